"""`group_local: primary` at 4-16 times the preset's experts: does a solve keep its time limit?

Generated log-normal loads (seed 0), 8 GPUs per node, 9 slots per GPU, two groups per node;
`schedkit`'s heuristic through `solve()` (the portfolio's bounds, the planner, the answer and
its validation) with a 0 s and a 1 s limit. The contract: runtime at most the limit + 1 s.
Writes benchmarks/results/placement_primary_scale.md:

    .venv/bin/python benchmarks/placement_primary_scale.py
"""

from __future__ import annotations

import os
import time

import numpy as np
from placement_realistic import write_result

from schedkit.generate.placement import instance
from schedkit.models.placement import PlacementProblem
from schedkit.solvers.portfolio import solve

CASES = [(1024, 16, 61), (2048, 32, 61), (4096, 64, 20)]  # experts, nodes, layers
SLOTS, GPN = 9, 8


def problem(experts: int, nodes: int, layers: int) -> PlacementProblem:
    """Log-normal loads, two groups per node, 9 slots per GPU."""
    redundant = nodes * GPN * SLOTS - experts
    data = instance("scale", layers, experts, redundant, nodes, GPN, groups=2 * nodes, seed=0)
    return PlacementProblem.model_validate({**data, "group_local": "primary"})


def main() -> None:
    t0, load0 = time.perf_counter(), os.getloadavg()[0]
    solve(problem(256, 4, 2), "heuristic", time_limit=0)  # imports out of the timings
    lines = [
        "# `primary` at scale: time limits kept",
        "",
        "Command: `.venv/bin/python benchmarks/placement_primary_scale.py`; 2-core machine.",
        "",
        "| experts | nodes | layers | limit s | runtime s | wall s | status | valid | balance |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for experts, nodes, layers in CASES:
        p = problem(experts, nodes, layers)
        for limit in (0.0, 1.0):
            t = time.perf_counter()
            r = solve(p, "heuristic", time_limit=limit, threads=1)
            wall = time.perf_counter() - t
            assert r.solution is not None and r.valid
            w = p.load_stack[0]
            moe = w.sum(axis=1) > 0
            avg = w.sum(axis=1) / p.num_gpus
            bal = np.array(r.metrics["max_loads"])[moe] / avg[moe]
            lines.append(
                f"| {experts} | {nodes} | {layers} | {limit:g} | {r.runtime_s:.2f} | {wall:.2f} | "
                f"{r.status.value} | {r.valid} | {bal.mean():.4f} |"
            )
            print(lines[-1], flush=True)
    write_result("placement_primary_scale", lines, t0, load0)


if __name__ == "__main__":
    main()
