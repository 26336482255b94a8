"""Placement benchmarks: EPLB's README example, deployment sizes, traffic, re-planning.

Writes benchmarks/results/placement.md. Usage (the defaults are the documented subset):

    .venv/bin/python benchmarks/placement_bench.py --layers 58 --exact-layers 4 \
        --long-layers 1 --threads 2

Greedy (EPLB) and the heuristic run on all `--layers` layers; CP-SAT and MILP run on the first
`--exact-layers` layers at 1 s per layer and the first `--long-layers` at 10 s per layer,
warm-started from the heuristic (as `auto` does). Loads: generated log-normal (sigma 1),
8192 tokens x top-8 per layer, seed 0.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from schedkit.generate.placement import expert_loads, instance
from schedkit.io.loader import load
from schedkit.models.placement import PlacementProblem, PlacementSolution, validate
from schedkit.models.placement.bounds import layer_bounds
from schedkit.models.placement.robust import evaluate_under, replan_problem
from schedkit.solvers.cpsat.placement import solve as cpsat
from schedkit.solvers.heuristics.placement.eplb_greedy import solve_eplb
from schedkit.solvers.heuristics.placement.planner import solve as heuristic
from schedkit.solvers.milp.placement import solve as milp
from schedkit.solvers.result import BackendOutput, SolveOptions

ROOT = Path(__file__).resolve().parent
SIZES = [  # name, experts, redundant, nodes, gpus per node, groups
    ("8 experts, 8 GPUs, 16 slots", 8, 8, 1, 8, None),
    ("128+16, 16 GPUs / 2 nodes", 128, 16, 2, 8, 8),
    ("256+32, 32 GPUs / 4 nodes", 256, 32, 4, 8, 8),
    ("256+64, 64 GPUs / 8 nodes", 256, 64, 8, 8, 8),
]
Backend = Callable[[Any, SolveOptions, Any], BackendOutput]


def run(
    backend: Backend, p: PlacementProblem, limit: float, threads: int, hint: Any = None
) -> dict[str, Any]:
    """Run a backend directly, validate, and collect balance figures."""
    t = time.perf_counter()
    out = backend(p, SolveOptions(time_limit=limit, threads=threads), hint)
    secs = time.perf_counter() - t
    assert isinstance(out.solution, PlacementSolution)
    rep = validate(p, out.solution)
    assert rep.feasible, rep.violations[:3]
    lb = float(layer_bounds(p).sum())
    obj = float(rep.objective or 0.0)
    return {
        "sol": out.solution,
        "obj": obj,
        "mean": rep.metrics["balance_mean"],
        "max": rep.metrics["balance_max"],
        "gap": (obj - lb) / obj,
        "ms_layer": 1e3 * secs / p.num_layers,
        "status": out.status.value,
        "metrics": rep.metrics,
    }


def row(name: str, r: dict[str, Any]) -> str:
    return (
        f"| {name} | {r['mean']:.4f} | {r['max']:.4f} | {100 * r['gap']:.2f} % | "
        f"{r['ms_layer']:.1f} | {r['status']} |"
    )


HEAD = (
    "| backend | balance mean | balance max | gap to LB | ms / layer | status |\n"
    "|---|---|---|---|---|---|"
)


def eplb_example(threads: int) -> list[str]:
    p = load(ROOT.parent / "instances" / "placement" / "eplb_example.yaml")
    out = [
        "## EPLB README example (2 layers x 12 experts, 16 slots, 4 groups, 2 nodes, 8 GPUs)",
        "",
    ]
    for local in ("primary", "strict", "off"):
        q = PlacementProblem.model_validate({**p.model_dump(), "group_local": local})
        out += [
            "",
            f"group_local: {local}",
            "",
            HEAD.replace("| backend", "| backend (per-layer balance)"),
        ]
        h = run(heuristic, q, 2, threads)
        for name, res in (
            ("EPLB greedy", run(solve_eplb, q, 1, threads)),
            ("schedkit heuristic", h),
            ("CP-SAT 10 s/layer", run(cpsat, q, 20, threads, h["sol"])),
            ("MILP 10 s/layer", run(milp, q, 20, threads, h["sol"])),
        ):
            out.append(row(f"{name} {res['metrics']['balance']}", res))
    return out


def sizes(layers: int, exact_layers: int, long_layers: int, threads: int) -> list[str]:
    out = ["", "## Deployment sizes (generated log-normal loads)", ""]
    for name, E, R, N, gpn, groups in SIZES:
        full = PlacementProblem.model_validate(instance("s", layers, E, R, N, gpn, seed=0))
        out += [
            "",
            f"### {name}: {layers} layers (exact backends: first layers as noted)",
            "",
            HEAD,
        ]
        g = run(solve_eplb, full, 1, threads)
        h = run(heuristic, full, 60, threads)
        out += [row("EPLB greedy (global)", g), row("schedkit heuristic", h)]
        for n_layers, per in ((exact_layers, 1.0), (long_layers, 10.0)):
            if n_layers <= 0:
                continue
            sub = PlacementProblem.model_validate(
                {**full.model_dump(), "loads": full.loads[:n_layers].tolist()}
            )
            hs = run(heuristic, sub, 30, threads)
            out.append(row(f"heuristic, first {n_layers} layers", hs))
            for bname, be in (("CP-SAT", cpsat), ("MILP", milp)):
                out.append(
                    row(
                        f"{bname} {per:g} s/layer, first {n_layers} layers",
                        run(be, sub, per * n_layers, threads, hs["sol"]),
                    )
                )
        for ng in (groups, 32) if groups else ():
            for mode in ("primary", "strict"):
                grp = PlacementProblem.model_validate(
                    {**full.model_dump(), "groups": ng, "group_local": mode}
                )
                if mode == "strict":
                    out.append(
                        row(
                            f"EPLB hierarchical, {ng} groups (strict)",
                            run(solve_eplb, grp, 1, threads),
                        )
                    )
                out.append(
                    row(
                        f"schedkit heuristic, {ng} groups, group_local {mode}",
                        run(heuristic, grp, 60, threads),
                    )
                )
    return out


def traffic(threads: int) -> list[str]:
    """Balance-only versus traffic-aware placements for a sweep of traffic weights."""
    out = [
        "",
        "## Co-activation: inter-node traffic versus balance",
        "",
        "64 experts + 16 redundant, 4 nodes x 4 GPUs, 8 layers, cross-layer affinity 0.6",
        "",
        "| placement | balance mean | balance max | inter-node traffic | share of co-activated"
        " tokens |",
        "|---|---|---|---|---|",
    ]
    p = PlacementProblem.model_validate(instance("t", 8, 64, 16, 4, 4, seed=0, traffic_weight=1e-3))
    rows = [
        ("EPLB greedy", solve_eplb, p),
        (
            "schedkit balance-only (traffic_weight 0)",
            heuristic,
            PlacementProblem.model_validate({**p.model_dump(), "traffic_weight": 0.0}),
        ),
    ]
    for tol in (0.0, 1e-3):
        rows.append(
            (
                f"schedkit lexicographic (balance first), balance_tolerance {tol:g}",
                heuristic,
                PlacementProblem.model_validate(
                    {
                        **p.model_dump(),
                        "traffic_weight": 0.0,
                        "traffic_mode": "lexicographic",
                        "balance_tolerance": tol,
                    }
                ),
            )
        )
    for tw in (1e-3, 1e-2, 1e-1):
        rows.append(
            (
                f"schedkit traffic-aware, traffic_weight {tw:g}",
                heuristic,
                PlacementProblem.model_validate({**p.model_dump(), "traffic_weight": tw}),
            )
        )
    for name, be, prob in rows:
        m = validate(p, run(be, prob, 20, threads)["sol"]).metrics
        out.append(
            f"| {name} | {m['balance_mean']:.4f} | {m['balance_max']:.4f} | "
            f"{m['inter_node_traffic']:.0f} | "
            f"{m['inter_node_traffic'] / m['total_coactivation']:.3f} |"
        )
    st = load(ROOT.parent / "instances" / "placement" / "small_traffic.yaml")
    assert isinstance(st, PlacementProblem)
    out += [
        "",
        "small_traffic.yaml (4 layers, 16 experts, 2 nodes x 2 GPUs, 4 groups), heuristic, "
        "per group_local mode:",
        "",
        "| group_local | placement | balance mean | balance max | inter-node traffic |",
        "|---|---|---|---|---|",
    ]
    for mode in ("primary", "strict", "off"):
        base = {**st.model_dump(), "group_local": mode}
        ref = PlacementProblem.model_validate(base)
        for name, extra in (
            ("balance-only", {"traffic_weight": 0.0}),
            ("lexicographic", {"traffic_weight": 0.0, "traffic_mode": "lexicographic"}),
            (f"weighted {st.traffic_weight:g}", {}),
        ):
            q = PlacementProblem.model_validate({**base, **extra})
            m = validate(ref, run(heuristic, q, 5, threads)["sol"]).metrics
            out.append(
                f"| {mode} | {name} | {m['balance_mean']:.4f} | {m['balance_max']:.4f} | "
                f"{m['inter_node_traffic']:.0f} |"
            )
    return out


def replan(threads: int) -> list[str]:
    out = [
        "",
        "## Drift and re-planning (128+16, 16 GPUs / 2 nodes, 8 layers)",
        "",
        "Planned on loads A (seed 0), served on loads B (seed 1).",
        "",
        "| placement | balance mean on B | balance max on B | replicas moved per layer |",
        "|---|---|---|---|",
    ]
    base = PlacementProblem.model_validate(instance("r", 8, 128, 16, 2, 8, seed=0))
    drift = expert_loads(8, 128, seed=1)
    plan = run(heuristic, base, 20, threads)["sol"]
    stale = evaluate_under(base, plan, drift).metrics
    out.append(
        f"| plan for A, kept | {stale['balance_mean']:.4f} | {stale['balance_max']:.4f} | 0 |"
    )
    for moves in (4, 16, 64, None):
        p = replan_problem(base, plan, drift, max_moves=moves)
        m = run(heuristic, p, 20, threads)["metrics"]
        out.append(
            f"| re-plan, max_moves {moves} | {m['balance_mean']:.4f} | {m['balance_max']:.4f} | "
            f"{np.mean(m['moves_per_layer']):.1f} |"
        )
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--layers", type=int, default=58)
    ap.add_argument("--exact-layers", type=int, default=4)
    ap.add_argument("--long-layers", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", type=Path, default=ROOT / "results" / "placement.md")
    a = ap.parse_args()
    t = time.perf_counter()
    lines = [
        "# Placement benchmark",
        "",
        f"Command: `.venv/bin/python benchmarks/placement_bench.py --layers {a.layers} "
        f"--exact-layers {a.exact_layers} --long-layers {a.long_layers} --threads {a.threads}`",
        "",
        "Balance = max / mean GPU load per layer (vLLM/SGLang balancedness is its inverse). Gap: "
        "(objective - lower bound) / objective, summed over layers. Shared 2-core machine: times "
        "are pessimistic. `group_local`: primary (default; every expert of a group has a "
        "replica on the group's node, redundant replicas anywhere), strict (all replicas of a "
        "group on one node, EPLB's hierarchical policy), off.",
        "",
    ]
    lines += eplb_example(a.threads)
    lines += sizes(a.layers, a.exact_layers, a.long_layers, a.threads)
    lines += traffic(a.threads)
    lines += replan(a.threads)
    lines += ["", f"Total wall time: {time.perf_counter() - t:.0f} s"]
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
