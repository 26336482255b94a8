"""Compiled against numpy inner loops of the tardiness heuristic, timed side by side.

    .venv/bin/python benchmarks/tardiness_kernels.py

Rows: one full dynasearch step (every swap and insertion scored, the best independent set
chosen) at n = 100 ... 2000 without release dates, and the costs of every move of the
release-date descent at n = 50 ... 200, on a random sequence of a generated weighted
instance (TF 0.6, RDD 0.4; releases R = 0.5). Each path runs `--repeats` times in turn, the
median kept; both give the same moves and values (the tests check it). Writes
`benchmarks/results/tardiness_kernels.md`.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from schedkit import compiled
from schedkit.generate.tardiness import generate
from schedkit.solvers.heuristics.tardiness import neighbourhood, release
from schedkit.solvers.heuristics.tardiness.evaluation import Arrays
from schedkit.solvers.heuristics.tardiness.neighbourhood import SwapPairs

RESULTS = Path(__file__).resolve().parent / "results"


def median_ms(fn: Callable[[], Any], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def row(what: str, n: int, moves: int, ms: list[float]) -> str:
    return f"| {what} | {n} | {moves} | {ms[0]:.2f} | {ms[1]:.2f} | {ms[0] / ms[1]:.1f} |"


def dynasearch_row(n: int, repeats: int) -> str:
    a = Arrays.of(generate(n, 0.6, 0.4, n, weighted=True))
    seq = np.random.default_rng(0).permutation(n)
    plain, fast = SwapPairs.build(n, 0), SwapPairs.build(n, 0, compiled=True)
    ms = [median_ms(lambda p=p: neighbourhood.step(a, seq, p), repeats) for p in (plain, fast)]
    return row("dynasearch step", n, n * (n - 1) // 2 * 3, ms)


def release_row(n: int, repeats: int) -> str:
    a = Arrays.of(generate(n, 0.6, 0.4, n, weighted=True, releases=0.5))
    seq = np.random.default_rng(0).permutation(n)
    moves = release.window_moves(n, n)
    plain, fast = release.costs_of(a, moves, False), release.costs_of(a, moves, True)
    ms = [median_ms(lambda c=c: c(seq), repeats) for c in (plain, fast)]
    return row("release-date move costs", n, len(moves), ms)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    compiled.warm_up()
    rows = [dynasearch_row(n, args.repeats) for n in (100, 500, 1000, 2000)]
    rows += [release_row(n, args.repeats) for n in (50, 100, 200)]
    text = "\n".join(
        [
            "# Tardiness heuristic: compiled loops against numpy",
            "",
            f"Median of {args.repeats} runs each, in turn in one process; milliseconds on the",
            "shared 2-core machine. Command:",
            "",
            f"    .venv/bin/python benchmarks/tardiness_kernels.py {' '.join(sys.argv[1:])}",
            "",
            "| what | n | moves | numpy ms | compiled ms | ratio |",
            "|---|---|---|---|---|---|",
            *rows,
        ]
    )
    print(text)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "tardiness_kernels.md").write_text(text + "\n")


if __name__ == "__main__":
    main()
