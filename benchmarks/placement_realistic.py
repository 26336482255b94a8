"""Placement on realistic MoE loads: the `deepseek-v3` preset beside log-normal loads, at EP32
(4 nodes x 8 GPUs x 9 slots) and EP64 (8 x 8 x 5), groups off and `primary`, against DeepSeek's
EPLB (global and hierarchical policies) run in the same process.

Writes benchmarks/results/placement_realistic.md. Usage:

    .venv/bin/python benchmarks/placement_realistic.py --seed 0

Balance = max / mean GPU load per MoE layer (the 3 dense layers of the preset are left out);
gap = (layer value - layer bound) / layer value; ms / layer = wall time of the backend over the
MoE layers (EPLB's time includes nothing but its own algorithm and the answer's bound). The
last row of each size gives the `primary` heuristic the time EPLB's hierarchical policy took
in the same run as its limit. A second table times the algorithms alone, without the answer's
bounds: EPLB's hierarchical policy (`eplb_layers`) against schedkit's batched `primary` start
(`quick_layers`, what a solve with no time keeps), alternated 5 times in one process, least
time of each.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path
from typing import Any

import numpy as np

from schedkit.generate.placement import PRESET_TOKENS, PRESETS, instance
from schedkit.models.placement import PlacementProblem, validate
from schedkit.models.placement.bounds import layer_bounds
from schedkit.models.placement.layout import value
from schedkit.models.placement.quick_primary import quick_layers
from schedkit.solvers.heuristics.placement.eplb_greedy import eplb_layers, solve_eplb
from schedkit.solvers.heuristics.placement.planner import solve as heuristic
from schedkit.solvers.result import SolveOptions

ROOT = Path(__file__).resolve().parent
SIZES = [("EP32", 4, 9), ("EP64", 8, 5)]  # name, nodes, slots per GPU (8 GPUs per node)


def loads_instance(kind: str, nodes: int, seed: int) -> dict[str, Any]:
    """The instance data: preset `deepseek-v3` or log-normal (sigma 1, 58 MoE layers)."""
    redundant = nodes * 8 * (9 if nodes == 4 else 5) - 256
    if kind == "deepseek-v3":
        pre = PRESETS["deepseek-v3"]
        return instance(
            "ds",
            pre["layers"],
            256,
            redundant,
            nodes,
            8,
            groups=8,
            dist="grouped",
            skew=pre["skew"],
            group_skew=pre["group_skew"],
            dense=pre["dense_layers"],
            tokens=PRESET_TOKENS,
            seed=seed,
        )
    return instance("ln", 58, 256, redundant, nodes, 8, groups=8, seed=seed)


def measure(backend: Any, p: PlacementProblem, limit: float) -> dict[str, float]:
    """Balance mean / worst and gap to the per-layer bound over the MoE layers, ms / layer
    and total seconds."""
    moe = np.flatnonzero(p.loads.sum(axis=1) > 0)
    t = time.perf_counter()
    out = backend(p, SolveOptions(time_limit=limit, threads=1), None)
    secs = time.perf_counter() - t
    rep = validate(p, out.solution)
    assert rep.feasible, rep.violations[:3]
    bal = np.array(rep.metrics["balance"])[moe]
    value = np.array(rep.metrics["max_loads"])[moe]
    gap = (value - layer_bounds(p)[moe]) / value
    return {
        "mean": float(bal.mean()),
        "worst": float(bal.max()),
        "gap_mean": float(gap.mean()),
        "gap_max": float(gap.max()),
        "ms": 1e3 * secs / len(moe),
        "secs": secs,
    }


def variants(data: dict[str, Any]) -> list[tuple[str, Any, PlacementProblem]]:
    """(row name, backend, problem) of the four compared placements."""
    flat = {**data, "groups": None}
    grouped = {**data, "groups": 8}
    return [
        ("EPLB global", solve_eplb, PlacementProblem.model_validate(flat)),
        ("schedkit, groups off", heuristic, PlacementProblem.model_validate(flat)),
        (
            "EPLB hierarchical",
            solve_eplb,
            PlacementProblem.model_validate({**grouped, "group_local": "strict"}),
        ),
        (
            "schedkit, primary groups",
            heuristic,
            PlacementProblem.model_validate({**grouped, "group_local": "primary"}),
        ),
    ]


HEAD = [
    "| loads | size | placement | balance mean | balance worst | gap mean | gap max | ms / layer |",
    "|---|---|---|---|---|---|---|---|",
]


def rows(seed: int, limit: float) -> list[str]:
    out = list(HEAD)
    for kind in ("deepseek-v3", "log-normal"):
        for size, nodes, _ in SIZES:
            data = loads_instance(kind, nodes, seed)
            eplb_secs = limit
            runs = variants(data)
            primary = runs[-1]
            runs.append((f"{primary[0]}, EPLB's time", primary[1], primary[2]))
            for name, backend, p in runs:
                r = measure(backend, p, eplb_secs if name.endswith("EPLB's time") else limit)
                if name == "EPLB hierarchical":
                    eplb_secs = r["secs"]
                out.append(
                    f"| {kind} | {size} | {name} | {r['mean']:.4f} | {r['worst']:.4f} | "
                    f"{100 * r['gap_mean']:.2f} % | {100 * r['gap_max']:.2f} % | {r['ms']:.1f} |"
                )
                print(out[-1], flush=True)
    return out


ALONE = [
    "| loads | size | EPLB hierarchical ms / layer | balance | schedkit batched start ms / "
    "layer | balance | time ratio |",
    "|---|---|---|---|---|---|---|",
]


def mean_balance(p: PlacementProblem, layers: list[np.ndarray]) -> float:
    """Mean max / mean GPU load over the layers with load."""
    w = p.load_stack
    moe = np.flatnonzero(w.sum(axis=(0, 2)) > 0)
    avg = w.sum(axis=2).max(axis=0) / p.num_gpus
    return float(np.mean([value(w[:, i], layers[i]) / avg[i] for i in moe]))


def alone_rows(seed: int, repeats: int = 5) -> list[str]:
    """EPLB's hierarchical policy and schedkit's batched start, the algorithms alone."""
    out = list(ALONE)
    for kind in ("deepseek-v3", "log-normal"):
        for size, nodes, _ in SIZES:
            data = {**loads_instance(kind, nodes, seed), "groups": 8}
            strict = PlacementProblem.model_validate({**data, "group_local": "strict"})
            primary = PlacementProblem.model_validate({**data, "group_local": "primary"})
            moe = int((primary.load_stack.sum(axis=(0, 2)) > 0).sum())
            times: dict[str, list[float]] = {"eplb": [], "quick": []}
            for _ in range(repeats):
                t = time.perf_counter()
                theirs = eplb_layers(strict)
                times["eplb"].append(time.perf_counter() - t)
                t = time.perf_counter()
                ours = list(quick_layers(primary))
                times["quick"].append(time.perf_counter() - t)
            e, q = min(times["eplb"]), min(times["quick"])
            out.append(
                f"| {kind} | {size} | {1e3 * e / moe:.2f} | {mean_balance(strict, theirs):.4f} | "
                f"{1e3 * q / moe:.2f} | {mean_balance(primary, ours):.4f} | {q / e:.2f} |"
            )
            print(out[-1], flush=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--time-limit", type=float, default=120.0, help="per backend run")
    ap.add_argument("--out", type=Path, default=ROOT / "results" / "placement_realistic.md")
    a = ap.parse_args()
    t = time.perf_counter()
    load0 = os.getloadavg()[0]
    lines = [
        "# Placement on realistic loads",
        "",
        f"Command: `.venv/bin/python benchmarks/placement_realistic.py --seed {a.seed}`; "
        "2-core machine shared with other jobs (times are noisy, compare within a run).",
        "",
        *rows(a.seed, a.time_limit),
        "",
        "The algorithms alone (no bounds, no answer object), least of 5 alternated runs:",
        "",
        *alone_rows(a.seed),
        "",
        footer(t, load0),
    ]
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text("\n".join(lines) + "\n")


def write_result(name: str, lines: list[str], start: float, load0: float) -> None:
    """benchmarks/results/NAME.md: `lines`, then the `footer` line."""
    text = "\n".join([*lines, "", footer(start, load0)])
    (ROOT / "results" / f"{name}.md").write_text(text + "\n")


def footer(start: float, load0: float) -> str:
    """The closing line of a placement table: wall time since `start` and the load average."""
    return (
        f"Total wall time: {time.perf_counter() - start:.0f} s; load average (1 min) at start "
        f"{load0:.2f}, at end {os.getloadavg()[0]:.2f}"
    )


if __name__ == "__main__":
    main()
