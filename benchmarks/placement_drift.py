"""Plan on one workload, serve another: how much balance a placement loses when the loads it
was planned on (a prefill-like window) differ from the loads it serves (decode-like windows),
and how much planning against extra `scenarios` recovers.

Loads: the `deepseek-v3` preset at EP32 (4 nodes x 8 GPUs x 9 slots), workload A (seed 0).
The decode workload shifts A's expert popularity by a fixed log-normal factor per expert
(sigma `--drift`) and per group (sigma `--group-drift`); each decode window adds its own
log-normal noise (sigma `--noise`) and is resampled at the same token count. The served windows
B1..B4 and the planning scenarios S1, S2 are different decode windows (a scenario never equals
a served window). Writes benchmarks/results/placement_drift.md:

    .venv/bin/python benchmarks/placement_drift.py --drift 0.3 --group-drift 0.2 --noise 0.1
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

import numpy as np
from placement_realistic import loads_instance

from schedkit.models.placement import PlacementProblem, PlacementSolution
from schedkit.models.placement.robust import evaluate_under, robust_problem
from schedkit.solvers.heuristics.placement.eplb_greedy import solve_eplb
from schedkit.solvers.heuristics.placement.planner import solve as heuristic
from schedkit.solvers.result import SolveOptions

ROOT = Path(__file__).resolve().parent
SERVED = 4
SCENARIOS = 2


def workload(seed: int) -> dict[str, Any]:
    """The `deepseek-v3` preset at EP32 (4 nodes x 8 GPUs x 9 slots, 32 redundant)."""
    return loads_instance("deepseek-v3", 4, seed)


def shift(shape: tuple[int, int], sigma: float, group_sigma: float, seed: int) -> np.ndarray:
    """(layers, experts) log-normal factors per expert and per group of 32."""
    rng = np.random.default_rng(seed)
    per_group = np.repeat(rng.lognormal(0.0, group_sigma, (shape[0], 8)), shape[1] // 8, axis=1)
    out: np.ndarray = rng.lognormal(0.0, sigma, shape) * per_group
    return out


def window(loads: np.ndarray, factor: np.ndarray, noise: float, seed: int) -> np.ndarray:
    """A window of the shifted workload: popularity x factor x noise, resampled."""
    rng = np.random.default_rng(seed)
    out = np.zeros_like(loads)
    for layer, w in enumerate(loads):
        total = int(w.sum())
        if total:
            pop = (w + 1.0) * factor[layer] * rng.lognormal(0.0, noise, w.size)
            out[layer] = rng.multinomial(total, pop / pop.sum())
    return out


def plan(backend: Any, p: PlacementProblem) -> PlacementSolution:
    out = backend(p, SolveOptions(time_limit=600, threads=1), None)
    assert isinstance(out.solution, PlacementSolution)
    return out.solution


def served(p: PlacementProblem, sol: PlacementSolution, windows: list[np.ndarray]) -> str:
    """Mean and worst layer balance over the served windows (MoE layers only)."""
    means, worst = [], []
    for loads in windows:
        m = evaluate_under(p, sol, loads).metrics
        means.append(m["balance_mean"])
        worst.append(m["balance_max"])
    return f"{np.mean(means):.4f} | {np.max(worst):.4f}"


def rows(drift: float, group_drift: float, noise: float) -> list[str]:
    base = workload(0)
    a = np.array(base["loads"], dtype=float)
    factor = shift(a.shape, drift, group_drift, 99)
    windows = [window(a, factor, noise, 100 + i) for i in range(SERVED)]
    scen = [window(a, factor, noise, 200 + i) for i in range(SCENARIOS)]
    out = [
        "| group_local | placement | on A: mean | on A: worst | on B1..B4: mean | on B: worst |",
        "|---|---|---|---|---|---|",
    ]
    for mode in ("off", "primary"):
        p = PlacementProblem.model_validate(
            {**base, "groups": None if mode == "off" else 8, "group_local": mode}
        )
        plans = [
            ("EPLB on A", plan(solve_eplb, p)),
            ("schedkit on A", plan(heuristic, p)),
            (
                f"schedkit on A + {SCENARIOS} scenarios",
                plan(heuristic, robust_problem(p, [s.tolist() for s in scen])),
            ),
        ]
        for name, sol in plans:
            out.append(f"| {mode} | {name} | {served(p, sol, [a])} | {served(p, sol, windows)} |")
            print(out[-1], flush=True)
        oracle = [served(p, plan(heuristic, retarget(p, b)), [b]) for b in windows]
        best = np.mean([float(o.split(" | ")[0]) for o in oracle])
        out.append(f"| {mode} | schedkit on each B itself (oracle) | - | - | {best:.4f} | - |")
        print(out[-1], flush=True)
    return out


def retarget(p: PlacementProblem, loads: np.ndarray) -> PlacementProblem:
    return PlacementProblem.model_validate({**p.model_dump(), "loads": loads.tolist()})


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--drift", type=float, default=0.3)
    ap.add_argument("--group-drift", type=float, default=0.2)
    ap.add_argument("--noise", type=float, default=0.1)
    ap.add_argument("--out", type=Path, default=ROOT / "results" / "placement_drift.md")
    a = ap.parse_args()
    t = time.perf_counter()
    lines = [
        "# Plan on one workload, serve another",
        "",
        f"Command: `.venv/bin/python benchmarks/placement_drift.py --drift {a.drift} "
        f"--group-drift {a.group_drift} --noise {a.noise}`; 2-core shared machine.",
        "",
        "Balance = max / mean GPU load per MoE layer; A = the planned-on window, B1..B4 = "
        f"served windows, {SCENARIOS} further windows as `scenarios` (never served).",
        "",
        *rows(a.drift, a.group_drift, a.noise),
        "",
        f"Total wall time: {time.perf_counter() - t:.0f} s",
    ]
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
