"""Generated weighted tardiness with release dates: the heuristic against CP-SAT.

    .venv/bin/python benchmarks/tardiness_releases.py
    .venv/bin/python benchmarks/tardiness_releases.py --sizes 20 --heuristic-time 0.5

Instances: `generate(n, TF, RDD, seed, weighted=True, releases=R)` for the (TF, RDD) pairs of
COMBOS and R in RELEASES (release dates r_j ~ U[0, R sum p]). Methods: the heuristic backend
with the old fixed move window (`release_window=8`) and with the default (every move up to
about 80 jobs), each at `--heuristic-time`; CP-SAT through `schedkit.solve` at `--cpsat-time`
(its answer is the reference, proven optimal or not). Writes
`benchmarks/results/tardiness_releases.md`.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

import schedkit
from schedkit.generate.tardiness import generate
from schedkit.models.tardiness.problem import TardinessProblem
from schedkit.solvers.heuristics import tardiness as heuristic
from schedkit.solvers.result import SolveOptions, Status

RESULTS = Path(__file__).resolve().parent / "results"
COMBOS = [(0.4, 0.4), (0.6, 0.2), (0.8, 0.6)]
RELEASES = [0.2, 0.5]


def run_heuristic(problem: TardinessProblem, seconds: float, params: dict) -> float:
    out = heuristic.solve(problem, SolveOptions(time_limit=seconds, params=params), None)
    assert out.solution is not None and out.solution.objective is not None
    return out.solution.objective


def above(value: float, best: float) -> float:
    return 0.0 if value == best else (value - best) / max(best, 1) * 100


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[20, 50])
    parser.add_argument("--heuristic-time", type=float, default=1.0)
    parser.add_argument("--cpsat-time", type=float, default=10.0)
    args = parser.parse_args()
    rows = []
    for n in args.sizes:
        old, new, proven, old_hits, new_hits = [], [], 0, 0, 0
        count = 0
        for k, (tf, rdd) in enumerate(COMBOS):
            for r in RELEASES:
                problem = generate(n, tf, rdd, 1000 * n + k, weighted=True, releases=r)
                v_old = run_heuristic(problem, args.heuristic_time, {"release_window": 8})
                v_new = run_heuristic(problem, args.heuristic_time, {})
                res = schedkit.solve(problem, "cpsat", time_limit=args.cpsat_time)
                ref = res.objective if res.objective is not None else float("inf")
                best = min(v_old, v_new, ref)
                proven += res.status is Status.OPTIMAL and ref == best
                old.append(above(v_old, best))
                new.append(above(v_new, best))
                old_hits += v_old == best
                new_hits += v_new == best
                count += 1
                print(problem.name, v_old, v_new, ref, res.status.value, flush=True)
        rows.append(
            f"| {n} | {count} | {proven} | {old_hits} | {statistics.mean(old):.2f} | "
            f"{new_hits} | {statistics.mean(new):.2f} |"
        )
        print(rows[-1], flush=True)
    text = "\n".join(
        [
            "# Weighted tardiness with release dates: heuristic moves against CP-SAT",
            "",
            f"Heuristic {args.heuristic_time:g} s, CP-SAT {args.cpsat_time:g} s per instance;",
            "'best' is the best of the three answers. Wall-clock limits on a shared 2-core",
            "machine. Command:",
            "",
            f"    .venv/bin/python benchmarks/tardiness_releases.py {' '.join(sys.argv[1:])}",
            "",
            "| n | instances | CP-SAT proves best optimal | window 8: = best | window 8: mean % "
            "above best | default: = best | default: mean % above best |",
            "|---|---|---|---|---|---|---|",
            *rows,
        ]
    )
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "tardiness_releases.md").write_text(text + "\n")


if __name__ == "__main__":
    main()
