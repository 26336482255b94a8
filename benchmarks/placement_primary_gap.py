"""Is the `primary` gap on the hottest layers the bound's or the search's?

The `deepseek-v3` preset at EP64 (8 nodes x 8 GPUs x 5 slots, 8 groups: one group per node),
`group_local: primary`, seed 0. The heuristic plans every MoE layer; on the `--layers` layers
with the largest gap to the combinatorial bound (`layer_bound`), the node-level MILP
(`primary_relaxation.node_bound`, HiGHS) gives a stronger bound and a node-level placement,
which is then searched and packed like any other start (`BalanceSearch`, `on_gpus`, `polish`).
The heuristic's answer is also read at node level (its hottest node's load / GPUs per node):
what it loses below that is the packing on GPUs, above the MILP's optimum the node search.
Writes benchmarks/results/placement_primary_gap.md:

    .venv/bin/python benchmarks/placement_primary_gap.py --layers 5 --milp-limit 120
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np
from placement_realistic import footer, loads_instance

from schedkit.models.placement import PlacementProblem, validate
from schedkit.models.placement.bounds import layer_bounds
from schedkit.models.placement.layout import group_homes, value
from schedkit.models.placement.primary_relaxation import node_bound
from schedkit.solvers.budget import Budget
from schedkit.solvers.heuristics.placement.planner import solve as heuristic
from schedkit.solvers.heuristics.placement.primary_search import BalanceSearch, on_gpus, polish
from schedkit.solvers.result import SolveOptions

ROOT = Path(__file__).resolve().parent
GPN, SLOTS, NODES, SIZE = 8, 5, 8, 32


def from_milp(w: np.ndarray, rep: np.ndarray, seconds: float) -> float:
    """Largest GPU load after searching and packing from the MILP's node-level replicas."""
    home = np.arange(w.shape[1]) // SIZE
    search = BalanceSearch(w, rep, home, SIZE, np.arange(NODES), GPN, SLOTS)
    search.run(Budget.start(seconds))
    place = on_gpus(w, search, GPN, SLOTS)
    out = polish(w, place, search.home, SIZE, GPN, Budget.start(seconds))
    experts = w.shape[1]
    assert group_homes(out, experts, GPN, SIZE) is not None  # every group node-local
    assert out.shape == (NODES * GPN, SLOTS) and np.bincount(out.ravel()).min() >= 1
    return value(w, out)


def node_level(w: np.ndarray, place: np.ndarray) -> float:
    """The hottest node's load / GPUs per node under the even split (no packing loss)."""
    share = w[0] / np.bincount(place.ravel(), minlength=w.shape[1])
    return float(share[place].sum(axis=1).reshape(NODES, GPN).sum(axis=1).max()) / GPN


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--layers", type=int, default=5)
    ap.add_argument("--milp-limit", type=float, default=60.0, help="seconds per layer")
    a = ap.parse_args()
    t0 = time.perf_counter()
    load0 = os.getloadavg()[0]
    data = loads_instance("deepseek-v3", NODES, 0)
    p = PlacementProblem.model_validate({**data, "groups": 8, "group_local": "primary"})
    out = heuristic(p, SolveOptions(time_limit=600, threads=1), None)
    assert out.solution is not None
    found = np.array(validate(p, out.solution).metrics["max_loads"])
    placed = [np.array(layer) for layer in out.solution.placement]
    bounds = layer_bounds(p)
    moe = np.flatnonzero(p.loads.sum(axis=1) > 0)
    gap = (found - bounds) / np.maximum(found, 1e-12)
    lines = [
        "# `primary` gap: bound or search?",
        "",
        f"Command: `.venv/bin/python benchmarks/placement_primary_gap.py --layers {a.layers} "
        f"--milp-limit {a.milp_limit:g}`; 2-core machine shared with other jobs.",
        "",
        "Values in units of the layer's average GPU load.",
        "",
        "| layer | bound | node MILP bound | MILP status | heuristic | its node level | gap "
        "before | gap to MILP bound | from the MILP start | its gap | MILP s |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for layer in moe[np.argsort(-gap[moe], kind="stable")][: a.layers]:
        w = p.load_stack[:, layer, :]
        avg = float(w[0].sum()) / p.num_gpus
        t = time.perf_counter()
        res = node_bound(w[0], SIZE, NODES, GPN, SLOTS, float(bounds[layer]), a.milp_limit)
        secs = time.perf_counter() - t
        nb = max(res.bound, float(bounds[layer]))
        start = from_milp(w, res.rep, 20.0) if res.rep is not None else np.inf
        status = "optimal" if res.value <= res.bound * (1 + 1e-6) else "limit"
        best = min(found[layer], start)
        lines.append(
            f"| {layer} | {bounds[layer] / avg:.4f} | {nb / avg:.4f} | {status} | "
            f"{found[layer] / avg:.4f} | {node_level(w, placed[layer]) / avg:.4f} | "
            f"{100 * gap[layer]:.2f} % | "
            f"{100 * (found[layer] - nb) / found[layer]:.2f} % | {start / avg:.4f} | "
            f"{100 * (best - nb) / best:.2f} % | {secs:.0f} |"
        )
        print(lines[-1], flush=True)
    lines += [
        "",
        footer(t0, load0),
    ]
    (ROOT / "results" / "placement_primary_gap.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
