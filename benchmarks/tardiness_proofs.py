"""Proofs on OR-Library wt40 / wt50: how often the lower bound reaches the listed optimum.

    .venv/bin/python benchmarks/tardiness_proofs.py --seconds 2     # all 250 instances
    .venv/bin/python benchmarks/tardiness_proofs.py --seconds 2 --with-optimum

Per instance: the assignment bound, then the Lagrangian bound (first stage of SSDP) within
`--seconds`, with its own Lagrangian-heuristic upper bound (what `lower_bound` computes; `auto`
gives it a quarter of the limit) or, with `--with-optimum`, the listed optimum as the upper
bound of the subgradient steps (the incumbent the heuristic finds in milliseconds). A bound
that reaches the optimum proves it. Writes `benchmarks/results/tardiness_proofs[_opt].md`.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

from schedkit.datasets import data_path
from schedkit.io.orlib import read_wt, read_wt_optima
from schedkit.models.tardiness.bounds import assignment_bound
from schedkit.models.tardiness.lagrangian import lagrangian_bound
from schedkit.solvers.budget import Budget

RESULTS = Path(__file__).resolve().parent / "results"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[40, 50])
    parser.add_argument("--first", type=int, default=None)
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--with-optimum", action="store_true")
    args = parser.parse_args()
    rows = []
    for n in args.sizes:
        path = data_path("orlib", f"wt{n}.txt")
        problems = read_wt(path.read_text(), str(path))[: args.first]
        optima = read_wt_optima(data_path("orlib", f"wtopt{n}.txt"))
        by_assignment = by_lagrange = 0
        times, gaps = [], []
        for problem, opt in zip(problems, optima, strict=False):
            start = time.monotonic()
            assign = assignment_bound(problem)
            upper = opt if args.with_optimum else None
            found = lagrangian_bound(problem, Budget.start(args.seconds), upper=upper)
            times.append(time.monotonic() - start)
            bound = max(assign, found.proven_bound() if found else 0)
            by_assignment += assign >= opt
            by_lagrange += bound >= opt
            if opt > 0:
                gaps.append((opt - bound) / opt * 100)
        row = (
            f"| wt{n} | {len(times)} | {by_assignment} | {by_lagrange} | "
            f"{statistics.mean(gaps):.2f} | {statistics.median(gaps):.2f} | "
            f"{statistics.mean(times):.2f} |"
        )
        print(row, flush=True)
        rows.append(row)
    source = "the listed optimum" if args.with_optimum else "its own Lagrangian heuristic"
    text = "\n".join(
        [
            "# Proofs on OR-Library wt40 / wt50: assignment and Lagrangian bounds",
            "",
            f"Lagrangian bound at most {args.seconds:g} s per instance, upper bound of the steps:",
            f"{source}. Gap: (optimum - bound) / optimum over instances with optimum > 0.",
            "Wall-clock seconds on a shared 2-core machine (noisy). Command:",
            "",
            f"    .venv/bin/python benchmarks/tardiness_proofs.py {' '.join(sys.argv[1:])}",
            "",
            "| set | instances | proven by assignment | proven by max(assignment, Lagrangian) "
            "| mean gap % | median gap % | mean s |",
            "|---|---|---|---|---|---|---|",
            *rows,
        ]
    )
    suffix = "_opt" if args.with_optimum else ""
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"tardiness_proofs{suffix}.md").write_text(text + "\n")


if __name__ == "__main__":
    main()
