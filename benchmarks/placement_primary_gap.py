"""Is the `primary` gap on the hottest layers the bound's or the search's?

The `deepseek-v3` preset at EP64 (8 nodes x 8 GPUs x 5 slots, 8 groups: one group per node),
`group_local: primary`, seed 0. The heuristic plans every MoE layer twice in one run, without
and with the node LP's start on hot layers; every MoE layer's gap is read against the
combinatorial bound (`layer_bound`) and against the node LP (`node_lp`). On the `--layers`
layers with the largest gap to the node LP, the node-level MILP
(`primary_relaxation.node_bound`, HiGHS) gives a stronger bound and a node-level placement,
which is then searched and packed like any other start (`BalanceSearch`, `on_gpus`, `polish`).
The heuristic's answer is also read at node level (its hottest node's load / GPUs per node):
what it loses below that is the packing on GPUs, above the MILP's optimum the node search.
Before the MILP, the same layers get the count MILP (`node_bound(..., counts_only=True)`:
only the replica counts integral, counts limited by the heuristic's value), and every layer's
gap is read once more against the best bound found. Writes
benchmarks/results/placement_primary_gap.md:

    .venv/bin/python benchmarks/placement_primary_gap.py --layers 5 --milp-limit 120
"""

from __future__ import annotations

import argparse
import math
import os
import time
from pathlib import Path

import numpy as np
from placement_realistic import footer, loads_instance

from schedkit.models.placement import PlacementProblem, validate
from schedkit.models.placement.bounds import layer_bounds
from schedkit.models.placement.layout import group_homes, value
from schedkit.models.placement.primary_relaxation import node_bound, node_lp
from schedkit.solvers.budget import Budget
from schedkit.solvers.heuristics.placement import primary_search
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


def plan(p: PlacementProblem, limit: float, lp_start: bool) -> tuple[np.ndarray, list, float]:
    """(largest GPU load per layer, placements, seconds) of the heuristic, with or without
    the node LP's start on hot layers."""
    saved = primary_search.LP_MIN_SECONDS
    primary_search.LP_MIN_SECONDS = saved if lp_start else math.inf
    try:
        t = time.perf_counter()
        out = heuristic(p, SolveOptions(time_limit=limit, threads=1), None)
        secs = time.perf_counter() - t
    finally:
        primary_search.LP_MIN_SECONDS = saved
    assert out.solution is not None
    found = np.array(validate(p, out.solution).metrics["max_loads"])
    return found, [np.array(layer) for layer in out.solution.placement], secs


def lp_bounds(
    p: PlacementProblem, bounds: np.ndarray, found: np.ndarray, moe: np.ndarray
) -> tuple[np.ndarray, float]:
    """The node LP's bound of every MoE layer (never below `bounds`; counts limited by the
    best value `found`) and the seconds taken."""
    out = bounds.copy()
    t = time.perf_counter()
    for layer in moe:
        w, known = p.load_stack[0, layer], float(bounds[layer])
        out[layer] = node_lp(w, SIZE, NODES, GPN, SLOTS, known, 60.0, float(found[layer])).bound
    return out, time.perf_counter() - t


def summary(name: str, found: np.ndarray, bound: np.ndarray, avg: np.ndarray, secs: float) -> str:
    """One row: balance and gap to `bound` over the MoE layers (`avg` > 0), ms per layer."""
    moe = np.flatnonzero(avg > 0)
    gap = 100 * (found[moe] - bound[moe]) / found[moe]
    bal = found[moe] / avg[moe]
    return (
        f"| {name} | {bal.mean():.4f} | {bal.max():.4f} | {gap.mean():.2f} % | {gap.max():.2f} % | "
        f"{int((gap > 0.5).sum())} | {int((gap > 1.0).sum())} | {1e3 * secs / len(moe):.0f} |"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--layers", type=int, default=5, help="layers given to the MILP")
    ap.add_argument("--milp-limit", type=float, default=60.0, help="seconds per layer")
    ap.add_argument("--time-limit", type=float, default=600.0, help="the heuristic's")
    a = ap.parse_args()
    t0 = time.perf_counter()
    load0 = os.getloadavg()[0]
    data = loads_instance("deepseek-v3", NODES, 0)
    p = PlacementProblem.model_validate({**data, "groups": 8, "group_local": "primary"})
    avg = p.load_stack[0].sum(axis=1) / p.num_gpus
    moe = np.flatnonzero(p.loads.sum(axis=1) > 0)
    bounds = layer_bounds(p)
    before, _, before_s = plan(p, a.time_limit, lp_start=False)
    found, placed, found_s = plan(p, a.time_limit, lp_start=True)
    lp, lp_s = lp_bounds(p, bounds, np.minimum(before, found), moe)
    lines = [
        "# `primary` gap: bound or search?",
        "",
        f"Command: `.venv/bin/python benchmarks/placement_primary_gap.py --layers {a.layers} "
        f"--milp-limit {a.milp_limit:g} --time-limit {a.time_limit:g}`; 2-core machine.",
        "",
        f"The `deepseek-v3` preset at EP64, seed 0, {len(moe)} MoE layers. Values in units of "
        "the layer's average GPU load; gaps to the combinatorial bound (`layer_bound`) or to the "
        "better of it and the node LP (`node_lp`, counts limited by the better heuristic value: "
        f"{lp_s:.0f} s for all layers).",
        "",
        "| heuristic | bound | balance mean | balance worst | gap mean | gap max | "
        "layers above 0.5 % | above 1 % | ms / layer |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, f, secs in (("without the LP start", before, before_s), ("with it", found, found_s)):
        lines.append(summary(f"{name} | combinatorial", f, bounds, avg, secs))
        lines.append(summary(f"{name} | node LP", f, lp, avg, secs))
    gap = (found - lp) / np.maximum(found, 1e-12)
    worst = moe[np.argsort(-gap[moe], kind="stable")]
    lines += [
        "",
        "Layers above 0.5 % to the node LP, with the LP start:",
        "",
        "| layer | bound | node LP | heuristic without / with the LP start | its node level "
        "| gap |",
        "|---|---|---|---|---|---|",
    ]
    for layer in worst[gap[worst] > 0.005]:
        u = avg[layer]
        lines.append(
            f"| {layer} | {bounds[layer] / u:.4f} | {lp[layer] / u:.4f} | "
            f"{before[layer] / u:.4f} / {found[layer] / u:.4f} | "
            f"{node_level(p.load_stack[:, layer], placed[layer]) / u:.4f} | "
            f"{100 * gap[layer]:.2f} % |"
        )
    print("\n".join(lines), flush=True)
    best = lp.copy()
    lines += count_rows(p, worst[: a.layers], (found, best, avg), a.milp_limit)
    lines += [
        "",
        "Against the best bound of each layer (the node LP, or the count MILP where it ran):",
        "",
        "| heuristic | bound | balance mean | balance worst | gap mean | gap max | "
        "layers above 0.5 % | above 1 % | ms / layer |",
        "|---|---|---|---|---|---|---|---|---|",
        summary("with the LP start | best", found, best, avg, found_s),
    ]
    print("\n".join(lines[-1:]), flush=True)
    lines += milp_rows(p, worst[: a.layers], (found, lp, avg), a.milp_limit)
    lines += ["", footer(t0, load0)]
    (ROOT / "results" / "placement_primary_gap.md").write_text("\n".join(lines) + "\n")


def count_rows(
    p: PlacementProblem, layers: np.ndarray, per_layer: tuple[np.ndarray, ...], limit: float
) -> list[str]:
    """The count MILP on `layers` (`per_layer`: the heuristic's values, the bounds so far,
    raised in place where the count MILP is stronger, the average GPU loads)."""
    found, best, avgs = per_layer
    lines = [
        "",
        f"The count MILP on the same layers (counts limited by the heuristic's value, {limit:g} "
        "s each):",
        "",
        "| layer | node LP | count MILP bound | status | heuristic | gap to the better bound | s |",
        "|---|---|---|---|---|---|---|",
    ]
    for layer in layers:
        w, avg, lp = p.load_stack[0, layer], avgs[layer], float(best[layer])
        t = time.perf_counter()
        res = node_bound(w, SIZE, NODES, GPN, SLOTS, lp, limit, float(found[layer]), True)
        secs = time.perf_counter() - t
        status = "optimal" if res.value <= res.bound * (1 + 1e-6) else "limit"
        best[layer] = max(lp, res.bound)
        lines.append(
            f"| {layer} | {lp / avg:.4f} | {res.bound / avg:.4f} | {status} | "
            f"{found[layer] / avg:.4f} | {100 * (found[layer] - best[layer]) / found[layer]:.2f} "
            f"% | {secs:.0f} |"
        )
        print(lines[-1], flush=True)
    return lines


def milp_rows(
    p: PlacementProblem, layers: np.ndarray, per_layer: tuple[np.ndarray, ...], limit: float
) -> list[str]:
    """The node MILP on `layers`: its bound, and the heuristic searched from its answer
    (`per_layer`: the heuristic's values, the node LP bounds, the average GPU loads)."""
    found, lp, avgs = per_layer
    if not len(layers):
        return []
    lines = [
        "",
        f"The node MILP on the {len(layers)} layers furthest from the node LP ({limit:g} s each):",
        "",
        "| layer | node LP | node MILP bound | MILP status | heuristic | from the MILP start | "
        "gap of the better to the MILP bound | MILP s |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for layer in layers:
        w = p.load_stack[:, layer, :]
        avg = avgs[layer]
        t = time.perf_counter()
        res = node_bound(w[0], SIZE, NODES, GPN, SLOTS, float(lp[layer]), limit)
        secs = time.perf_counter() - t
        nb = max(res.bound, float(lp[layer]))
        start = from_milp(w, res.rep, 20.0) if res.rep is not None else np.inf
        status = "optimal" if res.value <= res.bound * (1 + 1e-6) else "limit"
        best = min(found[layer], start)
        lines.append(
            f"| {layer} | {lp[layer] / avg:.4f} | {nb / avg:.4f} | {status} | "
            f"{found[layer] / avg:.4f} | {start / avg:.4f} | {100 * (best - nb) / best:.2f} % | "
            f"{secs:.0f} |"
        )
        print(lines[-1], flush=True)
    return lines


if __name__ == "__main__":
    main()
