"""Generated weighted tardiness, n = 1000: the heuristic at a short limit against long runs.

    .venv/bin/python benchmarks/tardiness_large.py --time-limit 60            # the short runs
    .venv/bin/python benchmarks/tardiness_large.py --time-limit 300 --seed 1  # the references
    .venv/bin/python benchmarks/tardiness_large.py --report                   # the table

With `--grid` the instances are the full 5 x 5 grid of (TF, RDD) in {0.2, ..., 1.0} (seed
200 + index, log `tardiness_grid.jsonl`); `--shard i/k` runs every k-th of them from the i-th,
so k processes can share the work:

    .venv/bin/python benchmarks/tardiness_large.py --grid --time-limit 60 --shard 0/2
    .venv/bin/python benchmarks/tardiness_large.py --grid --time-limit 600 --seed 1 --shard 0/2
    .venv/bin/python benchmarks/tardiness_large.py --grid --report

Instances: Potts & Van Wassenhove, w_j ~ U[1, 10], one per (TF, RDD) pair of COMBOS (seed
100 + index). Each run calls the heuristic backend directly (no portfolio) and appends one
JSON line per instance to `benchmarks/results/tardiness_large.jsonl`, so the short and the
long runs can be made in separate processes (each under ten minutes) and resumed. `--report`
writes `tardiness_large.md`: per instance, the value at each limit and the gap of the short
runs to the best value any run found.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

from schedkit.generate.tardiness import generate
from schedkit.solvers.heuristics import tardiness as heuristic
from schedkit.solvers.result import SolveOptions

RESULTS = Path(__file__).resolve().parent / "results"
LOG = RESULTS / "tardiness_large.jsonl"
GRID_LOG = RESULTS / "tardiness_grid.jsonl"
COMBOS = [(0.2, 0.2), (0.4, 0.6), (0.6, 0.2), (0.8, 0.8), (1.0, 0.4)]
LEVELS = (0.2, 0.4, 0.6, 0.8, 1.0)
GRID = [(tf, rdd) for tf in LEVELS for rdd in LEVELS]


def instances(args: argparse.Namespace) -> list[tuple[int, float, float]]:
    """(seed, TF, RDD) of the instances this process runs: the 5 samples or its grid shard."""
    if not args.grid:
        return [(100 + k, tf, rdd) for k, (tf, rdd) in enumerate(COMBOS[: args.instances])]
    first, step = (int(x) for x in args.shard.split("/"))
    return [(200 + k, tf, rdd) for k, (tf, rdd) in enumerate(GRID)][first::step]


def run(args: argparse.Namespace) -> None:
    """Solve each instance once at `args.time_limit`, appending a JSON line per instance."""
    done = set()
    log = GRID_LOG if args.grid else LOG
    if log.exists():
        for line in log.read_text().splitlines():
            row = json.loads(line)
            done.add((row["name"], row["limit"], row["seed"]))
    for seed, tf, rdd in instances(args):
        problem = generate(args.n, tf, rdd, seed, weighted=True)
        if (problem.name, args.time_limit, args.seed) in done:
            continue
        options = SolveOptions(
            time_limit=args.time_limit, seed=args.seed, params={"stall_iters": 10**9}
        )
        start = time.monotonic()
        out = heuristic.solve(problem, options, None)
        assert out.solution is not None and out.solution.objective is not None
        row = {
            "name": problem.name,
            "limit": args.time_limit,
            "seed": args.seed,
            "value": out.solution.objective,
            "seconds": round(time.monotonic() - start, 2),
            "kicks": out.stats["ils_iterations"],
            "time_to_best_s": out.stats["time_to_best_s"],
        }
        print(json.dumps(row), flush=True)
        with log.open("a") as f:
            f.write(json.dumps(row) + "\n")


def report(log: Path) -> str:
    """The Markdown table of every run in `log`."""
    rows = [json.loads(line) for line in log.read_text().splitlines()]
    by_name: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        by_name[row["name"]].append(row)
    limits = sorted({row["limit"] for row in rows})
    head = ["instance", *(f"value at {lim:g} s" for lim in limits), "best", "gap of shortest %"]
    lines = [
        "# Generated weighted tardiness, n = 1000: heuristic value by time limit",
        "",
        "Wall-clock limits on a shared 2-core machine (timings are noisy); each value is one run",
        "of the heuristic backend (seed in brackets). Command: see the script's docstring.",
        "",
        "| " + " | ".join(head) + " |",
        "|" + "---|" * len(head),
    ]
    gaps = []
    for name, runs in by_name.items():
        best = min(r["value"] for r in runs)
        cells = []
        for lim in limits:
            mine = [r for r in runs if r["limit"] == lim]
            cells.append(", ".join(f"{r['value']:.0f} ({r['seed']})" for r in mine) or "-")
        short = [r["value"] for r in runs if r["limit"] == limits[0]]
        gap = (min(short) - best) / best * 100 if short and best else 0.0
        gaps.append(gap)
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {best:.0f} | {gap:.4f} |")
    within = sum(g <= 0.01 for g in gaps)
    lines += [
        "",
        f"Shortest limit within 0.01 % of the best: {within} of {len(gaps)}; gap mean "
        f"{sum(gaps) / len(gaps):.4f} %, max {max(gaps):.4f} %.",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--instances", type=int, default=len(COMBOS))
    parser.add_argument("--grid", action="store_true", help="the 25-instance (TF, RDD) grid")
    parser.add_argument("--shard", default="0/1", help="i/k: every k-th instance from the i-th")
    parser.add_argument("--report", action="store_true", help="write the table and stop")
    args = parser.parse_args()
    RESULTS.mkdir(exist_ok=True)
    if args.report:
        log = GRID_LOG if args.grid else LOG
        text = report(log)
        log.with_suffix(".md").write_text(text)
        sys.stdout.write(text)
        return
    run(args)


if __name__ == "__main__":
    main()
