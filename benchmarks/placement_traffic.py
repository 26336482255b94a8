"""Inter-node traffic against balance: `traffic_mode: lexicographic` with a sweep of
`balance_tolerance`, beside the balance-only plan and EPLB.

Instance: generated log-normal loads, 64 experts + 16 redundant, 4 nodes x 4 GPUs, 8 layers,
co-activation with cross-layer affinity 0.6 (the generator's model), seed 0. Writes
benchmarks/results/placement_traffic.md:

    .venv/bin/python benchmarks/placement_traffic.py
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from placement_realistic import footer

from schedkit.generate.placement import instance
from schedkit.models.placement import PlacementProblem, validate
from schedkit.solvers.heuristics.placement.eplb_greedy import solve_eplb
from schedkit.solvers.heuristics.placement.planner import solve as heuristic
from schedkit.solvers.result import SolveOptions

ROOT = Path(__file__).resolve().parent
TOLERANCES = (0.0, 0.002, 0.005, 0.01)


def main() -> None:
    t = time.perf_counter()
    load0 = os.getloadavg()[0]
    base = instance("t", 8, 64, 16, 4, 4, seed=0, traffic_weight=1e-3)
    ref = PlacementProblem.model_validate(base)
    runs = [("EPLB greedy", solve_eplb, {})]
    runs.append(("balance only", heuristic, {"traffic_weight": 0.0}))
    for tol in TOLERANCES:
        extra = {"traffic_weight": 0.0, "traffic_mode": "lexicographic", "balance_tolerance": tol}
        runs.append((f"lexicographic, balance_tolerance {tol:g}", heuristic, extra))
    lines = [
        "# Inter-node traffic against balance",
        "",
        "Command: `.venv/bin/python benchmarks/placement_traffic.py`; 2-core shared machine.",
        "",
        "| placement | balance mean | balance max | inter-node traffic | vs balance only |",
        "|---|---|---|---|---|",
    ]
    only = None
    for name, backend, extra in runs:
        p = PlacementProblem.model_validate({**base, **extra})
        out = backend(p, SolveOptions(time_limit=20, threads=1), None)
        report = validate(ref, out.solution)
        assert report.feasible, report.violations[:3]
        m = report.metrics
        traffic = m["inter_node_traffic"]
        only = traffic if name == "balance only" else only
        change = "" if only is None else f"{100 * (traffic / only - 1):+.1f} %"
        lines.append(
            f"| {name} | {m['balance_mean']:.4f} | {m['balance_max']:.4f} | {traffic:.0f} | "
            f"{change} |"
        )
        print(lines[-1], flush=True)
    lines += [
        "",
        footer(t, load0),
    ]
    (ROOT / "results" / "placement_traffic.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
