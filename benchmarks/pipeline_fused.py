"""Fused backward (`times.BW`): cpsat, milp and heuristic side by side, printed as Markdown.

p = 4, m = 8, memory limit 4 (1F1B's), comm 0.05; uniform times (F = B = W = 1) and
heterogeneous ones (per stage); BW = 0.8 (B + W), 1.2 (B + W), and none (all split, for
comparison). Each cell: the validated objective, proof mark (*), the backend's bound, the
number of fused backwards, wall seconds. `bound` is the combinatorial lower bound.

    .venv/bin/python benchmarks/pipeline_fused.py --time-limit 10
"""

from __future__ import annotations

import argparse

import schedkit
from schedkit.models.pipeline import PipelineProblem, bounds
from schedkit.solvers.result import Status

BACKENDS = ("cpsat", "milp", "heuristic")
TIMES = {
    "uniform": {"F": [1.0] * 4, "B": [1.0] * 4, "W": [1.0] * 4},
    "heterogeneous": {
        "F": [1.0, 1.2, 0.8, 1.1],
        "B": [1.1, 1.3, 0.9, 1.2],
        "W": [0.6, 0.7, 0.5, 0.6],
    },
}


def problem(times: str, ratio: float | None) -> PipelineProblem:
    t: dict[str, list[float]] = dict(TIMES[times])
    if ratio is not None:
        t["BW"] = [round(ratio * (b + w), 2) for b, w in zip(t["B"], t["W"], strict=True)]
    return PipelineProblem(
        devices=4,
        microbatches=8,
        times=t,
        comm=0.05,
        memory={"F": 1.0, "B": -0.5, "W": -0.5, "limit": 4.0},
    )


def cell(pb: PipelineProblem, backend: str, time_limit: float) -> str:
    res = schedkit.solve(pb, backend=backend, time_limit=time_limit, threads=2)
    if not res.valid or res.objective is None:
        return "—"
    mark = "*" if res.status is Status.OPTIMAL else ""
    lb = "—" if res.lower_bound is None else f"{res.lower_bound:.2f}"
    fused = res.metrics["fused_backwards"]
    return f"{res.objective:.2f}{mark} (lb {lb}, {fused} BW, {res.runtime_s:.1f} s)"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--time-limit", type=float, default=10.0)
    args = ap.parse_args()
    print("| times | BW | bound | " + " | ".join(BACKENDS) + " |")
    print("|---|---|---|" + "---|" * len(BACKENDS))
    for times in TIMES:
        for ratio in (0.8, 1.2, None):
            pb = problem(times, ratio)
            cells = [cell(pb, b, args.time_limit) for b in BACKENDS]
            label = "split" if ratio is None else f"{ratio} (B+W)"
            bound = bounds.lower_bound(pb) or 0.0
            print(f"| {times} | {label} | {bound:.2f} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
