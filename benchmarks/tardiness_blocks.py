"""Block moves in the compiled dynasearch step: do they pay for their cost at n = 1000?

    .venv/bin/python benchmarks/tardiness_blocks.py --time-limit 30

Instances: three of `tardiness_large.py`'s grid (generated weighted, n = 1000). Per instance,
the heuristic backend with `blocks` 1 (swaps and insertions only, the default), 2 and 3 (also
blocks of up to 2 or 3 consecutive jobs moved forward and backward), in turn in one process,
seed 0, no stall stop. Writes `benchmarks/results/tardiness_blocks.md`: value and kicks per
setting, and each setting's value against the best of the three.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from schedkit import compiled
from schedkit.generate.tardiness import generate
from schedkit.solvers.heuristics import tardiness as heuristic
from schedkit.solvers.result import SolveOptions

RESULTS = Path(__file__).resolve().parent / "results"
INSTANCES = [(0.6, 0.2, 210), (0.6, 0.8, 213), (0.8, 0.4, 216)]
"""(TF, RDD, seed) of grid instances of `tardiness_large.py --grid`."""
BLOCKS = (1, 2, 3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time-limit", type=float, default=30.0)
    args = parser.parse_args()
    compiled.warm_up()
    rows = []
    for tf, rdd, seed in INSTANCES:
        problem = generate(1000, tf, rdd, seed, weighted=True)
        got = {}
        for blocks in BLOCKS:
            params = {"stall_iters": 10**9, "blocks": blocks}
            options = SolveOptions(time_limit=args.time_limit, params=params)
            out = heuristic.solve(problem, options, None)
            assert out.solution is not None and out.solution.objective is not None
            got[blocks] = (out.solution.objective, out.stats["ils_iterations"])
            print(problem.name, blocks, *got[blocks], flush=True)
        best = min(v for v, _ in got.values())
        cells = [f"{v:,.0f} ({k}) +{(v - best) / best * 100:.4f} %" for v, k in got.values()]
        rows.append(f"| {problem.name} | " + " | ".join(cells) + " |")
    head = " | ".join(f"blocks {b}: value (kicks) vs best" for b in BLOCKS)
    text = "\n".join(
        [
            "# Tardiness, n = 1000: block moves in the compiled dynasearch step",
            "",
            f"Heuristic backend, {args.time_limit:g} s per run, seed 0, in turn in one process;",
            "shared 2-core machine. Command:",
            "",
            f"    .venv/bin/python benchmarks/tardiness_blocks.py {' '.join(sys.argv[1:])}",
            "",
            f"| instance | {head} |",
            "|---|" + "---|" * len(BLOCKS),
            *rows,
        ]
    )
    print(text)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "tardiness_blocks.md").write_text(text + "\n")


if __name__ == "__main__":
    main()
