"""Generated weighted tardiness with release dates: heuristic moves and lower bounds.

    .venv/bin/python benchmarks/tardiness_releases.py
    .venv/bin/python benchmarks/tardiness_releases.py --sizes 20 --heuristic-time 0.5

Instances: `generate(n, TF, RDD, seed, weighted=True, releases=R)` for the (TF, RDD) pairs of
COMBOS and R in RELEASES (release dates r_j ~ U[0, R sum p]). Methods (METHODS): the
heuristic backend with the old fixed move window (`release_window=8`, numpy), with numpy's
default window (every move up to about 80 jobs, `compiled=false`), and with the default
(compiled move costs, every move up to about 190 jobs), each at `--heuristic-time`, seed 0;
the reference is the best of those and of one default run at `--reference-time` (seed 1).
Bounds: the assignment bound (SRPT times) and the best of it and the Lagrangian bound (idle
arcs for release dates) within `--bound-time`.
Writes `benchmarks/results/tardiness_releases.md`.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

from schedkit.generate.tardiness import generate
from schedkit.models.tardiness.bounds import assignment_bound, compute_bound
from schedkit.models.tardiness.problem import TardinessProblem
from schedkit.solvers.budget import Budget
from schedkit.solvers.heuristics import tardiness as heuristic
from schedkit.solvers.result import SolveOptions

RESULTS = Path(__file__).resolve().parent / "results"
COMBOS = [(0.4, 0.4), (0.6, 0.2), (0.8, 0.6)]
RELEASES = [0.2, 0.5]
METHODS = {
    "window 8": {"release_window": 8, "compiled": False},
    "numpy": {"compiled": False},
    "default": {},
}


def run_heuristic(problem: TardinessProblem, seconds: float, params: dict, seed: int = 0) -> float:
    options = SolveOptions(time_limit=seconds, seed=seed, params=params)
    out = heuristic.solve(problem, options, None)
    assert out.solution is not None and out.solution.objective is not None
    return out.solution.objective


def above(value: float, best: float) -> float:
    return 0.0 if value == best else (value - best) / max(best, 1) * 100


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[20, 50, 100])
    parser.add_argument("--heuristic-time", type=float, default=1.0)
    parser.add_argument("--reference-time", type=float, default=10.0)
    parser.add_argument("--bound-time", type=float, default=4.0)
    args = parser.parse_args()
    rows = []
    for n in args.sizes:
        above_best: dict[str, list[float]] = {m: [] for m in METHODS}
        gap_assign, gap_best = [], []
        for k, (tf, rdd) in enumerate(COMBOS):
            for r in RELEASES:
                problem = generate(n, tf, rdd, 1000 * n + k, weighted=True, releases=r)
                secs = args.heuristic_time
                got = {m: run_heuristic(problem, secs, p) for m, p in METHODS.items()}
                ref = run_heuristic(problem, args.reference_time, {}, seed=1)
                best = min(*got.values(), ref)
                assign = assignment_bound(problem)
                bound = compute_bound(problem, Budget.start(args.bound_time))
                gap_assign.append(above(best, assign) if best else 0.0)
                gap_best.append(above(best, bound) if best else 0.0)
                for m, value in got.items():
                    above_best[m].append(above(value, best))
                print(problem.name, *got.values(), ref, assign, bound, flush=True)
        cells = [
            f"{sum(x == 0 for x in v)} | {statistics.mean(v):.2f}" for v in above_best.values()
        ]
        rows.append(
            f"| {n} | {len(gap_best)} | {' | '.join(cells)} | {statistics.mean(gap_assign):.1f} | "
            f"{statistics.mean(gap_best):.1f} |"
        )
        print(rows[-1], flush=True)
    text = "\n".join(
        [
            "# Weighted tardiness with release dates: heuristic moves and lower bounds",
            "",
            f"Heuristic {args.heuristic_time:g} s per run, reference {args.reference_time:g} s,",
            f"bounds {args.bound_time:g} s; 'best' is the best of the three answers; bound gap =",
            "(best - bound) / bound. Wall-clock limits on a shared 2-core machine. Command:",
            "",
            f"    .venv/bin/python benchmarks/tardiness_releases.py {' '.join(sys.argv[1:])}",
            "",
            "| n | instances | "
            + " | ".join(f"{m}: = best | {m}: mean % above best" for m in METHODS)
            + " | assignment bound gap % | best bound gap % |",
            "|---|---|" + "---|---|" * len(METHODS) + "---|---|",
            *rows,
        ]
    )
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "tardiness_releases.md").write_text(text + "\n")


if __name__ == "__main__":
    main()
