"""Time to target on OR-Library wt40 / wt50: seconds until the heuristic reaches the optimum.

    .venv/bin/python benchmarks/tardiness_ttt.py                  # all 250 instances
    .venv/bin/python benchmarks/tardiness_ttt.py --sizes 40 --first 25

For each instance: the dispatch rules, then the iterated search with the listed optimum as
its target (it stops when it reaches it), seed 0, at most `--time-limit` seconds. The time
counts the rules and the search (no lower bound). Writes `benchmarks/results/tardiness_ttt.md`.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

from schedkit import compiled
from schedkit.datasets import data_path
from schedkit.io.orlib import read_wt, read_wt_optima
from schedkit.models.tardiness.problem import TardinessProblem
from schedkit.solvers.budget import Budget
from schedkit.solvers.heuristics import tardiness as heuristic

RESULTS = Path(__file__).resolve().parent / "results"


def time_to_target(problem: TardinessProblem, target: int, limit: float, seed: int) -> float:
    """Seconds to reach `target` (inf when the limit passes first)."""
    start = time.monotonic()
    budget = Budget.start(limit)
    rules = heuristic.rule_sequences(problem)
    first = min(rules.values(), key=lambda s: heuristic.total_tardiness(problem, s))
    res = heuristic.iterated_search(
        heuristic.Arrays.of(problem),
        np.array(first, dtype=np.int64),
        heuristic.SearchParams(stall_iters=10**9),
        seed=seed,
        budget=budget,
        target=target,
    )
    return time.monotonic() - start if res.value <= target else float("inf")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[40, 50])
    parser.add_argument("--first", type=int, default=None)
    parser.add_argument("--time-limit", type=float, default=10.0)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    compiled.warm_up()  # load the kernels before the clock, as a batch worker does
    rows = []
    for n in args.sizes:
        path = data_path("orlib", f"wt{n}.txt")
        problems = read_wt(path.read_text(), str(path))[: args.first]
        optima = read_wt_optima(data_path("orlib", f"wtopt{n}.txt"))
        times = [
            time_to_target(p, opt, args.time_limit, args.seed)
            for p, opt in zip(problems, optima, strict=False)
        ]
        hit = [t for t in times if t < float("inf")]
        row = (
            f"| wt{n} | {len(times)} | {len(hit)} | {statistics.mean(hit):.3f} | "
            f"{statistics.median(hit):.3f} | {max(hit):.3f} |"
        )
        print(row, flush=True)
        rows.append(row)
    text = "\n".join(
        [
            "# Time to target on OR-Library wt40 / wt50 (heuristic, target = listed optimum)",
            "",
            f"Seed {args.seed}, at most {args.time_limit:g} s per instance; wall-clock seconds",
            "on a shared 2-core machine (noisy), the compiled kernels loaded first. Command:",
            "",
            f"    .venv/bin/python benchmarks/tardiness_ttt.py {' '.join(sys.argv[1:])}",
            "",
            "| set | instances | reach optimum | mean s | median s | max s |",
            "|---|---|---|---|---|---|",
            *rows,
        ]
    )
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "tardiness_ttt.md").write_text(text + "\n")


if __name__ == "__main__":
    main()
