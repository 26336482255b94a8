"""`primary` with two groups per node (EP32): is the gap to `layer_bound` the bound's?

The `deepseek-v3` preset at EP32 (4 nodes x 8 GPUs x 9 slots, 8 groups: two per node),
`group_local: primary`, seed 0. With several groups per node only the home-replica bound
applies, and the heuristic stays up to 2.2 % above it. Which groups share a node is part of
the answer, so the node LP (`primary_relaxation.node_lp`, counts limited by the heuristic's
value) is solved for every grouping (105 for 8 groups in pairs) and the least taken
(`grouping_bound`): a valid bound. Run on the `--layers` layers with the largest gap to
`layer_bound`. Writes benchmarks/results/placement_grouping_bound.md:

    .venv/bin/python benchmarks/placement_grouping_bound.py --layers 2
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
from placement_realistic import loads_instance, write_result

from schedkit.models.placement import PlacementProblem, validate
from schedkit.models.placement.bounds import layer_bounds
from schedkit.models.placement.primary_relaxation import grouping_bound
from schedkit.solvers.heuristics.placement.planner import solve as heuristic
from schedkit.solvers.result import SolveOptions

NODES, GPN, SLOTS, SIZE = 4, 8, 9, 32


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--time-limit", type=float, default=120.0, help="the heuristic's")
    a = ap.parse_args()
    t0, load0 = time.perf_counter(), os.getloadavg()[0]
    data = loads_instance("deepseek-v3", NODES, 0)
    p = PlacementProblem.model_validate({**data, "groups": 8, "group_local": "primary"})
    out = heuristic(p, SolveOptions(time_limit=a.time_limit, threads=1), None)
    assert out.solution is not None
    found = np.array(validate(p, out.solution).metrics["max_loads"])
    bounds = layer_bounds(p)
    moe = np.flatnonzero(p.loads.sum(axis=1) > 0)
    gap = (found - bounds) / np.maximum(found, 1e-12)
    lines = [
        "# `primary` at EP32: the bound over every grouping",
        "",
        f"Command: `.venv/bin/python benchmarks/placement_grouping_bound.py --layers {a.layers} "
        f"--time-limit {a.time_limit:g}`; 2-core machine.",
        "",
        "The `deepseek-v3` preset at EP32, seed 0. Values in units of the layer's average GPU "
        "load.",
        "",
        "| layer | bound | least node LP over 105 groupings | heuristic | gap before | gap | s |",
        "|---|---|---|---|---|---|---|",
    ]
    for layer in moe[np.argsort(-gap[moe], kind="stable")][: a.layers]:
        w = p.load_stack[0, layer]
        avg = float(w.sum()) / p.num_gpus
        t = time.perf_counter()
        b = grouping_bound(w, SIZE, (NODES, GPN, SLOTS), bounds[layer], found[layer], 3600.0)
        lines.append(
            f"| {layer} | {bounds[layer] / avg:.4f} | {b / avg:.4f} | {found[layer] / avg:.4f} | "
            f"{100 * gap[layer]:.2f} % | {100 * (found[layer] - b) / found[layer]:.2f} % | "
            f"{time.perf_counter() - t:.0f} |"
        )
        print(lines[-1], flush=True)
    write_result("placement_grouping_bound", lines, t0, load0)


if __name__ == "__main__":
    main()
