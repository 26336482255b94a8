"""OR-Library weighted tardiness (wt40, wt50): how often a backend reaches the listed optimum.

    .venv/bin/python benchmarks/tardiness_orlib.py                   # heuristic backend alone
    .venv/bin/python benchmarks/tardiness_orlib.py --backend auto --time-limit 4
    .venv/bin/python benchmarks/tardiness_orlib.py --sizes 40 --first 20

`heuristic` calls the heuristic backend directly (no portfolio); any other backend goes through
`schedkit.solve`. Prints one row per size and writes a Markdown table to
`benchmarks/results/tardiness_orlib_<backend>.md`.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import schedkit
from schedkit.datasets import data_path
from schedkit.io.orlib import read_wt, read_wt_optima
from schedkit.models.tardiness.problem import TardinessProblem
from schedkit.solvers.heuristics import tardiness as heuristic
from schedkit.solvers.result import SolveOptions, Status

RESULTS = Path(__file__).resolve().parent / "results"


@dataclass
class Row:
    """One instance: value found, listed optimum, proven optimal, wall time."""

    name: str
    value: float
    optimum: int
    proven: bool
    seconds: float
    to_best: float | None = None
    """Seconds the heuristic took to find its final value (heuristic backend only)."""


def run_one(problem: TardinessProblem, backend: str, time_limit: float, seed: int) -> Row:
    """Solve one instance with `backend` and time it."""
    start = time.monotonic()
    if backend == "heuristic":
        out = heuristic.solve(problem, SolveOptions(time_limit=time_limit, seed=seed), None)
        assert out.solution is not None and out.solution.objective is not None
        value, proven = out.solution.objective, out.status is Status.OPTIMAL
        to_best = float(out.stats["time_to_best_s"])
    else:
        to_best = None
        res = schedkit.solve(problem, backend, time_limit=time_limit, seed=seed)
        value = res.objective if res.objective is not None else float("inf")
        proven = res.status is Status.OPTIMAL
    return Row(problem.name, value, -1, proven, time.monotonic() - start, to_best)


def run_size(n: int, args: argparse.Namespace) -> list[Row]:
    """Every (or the first `args.first`) instance of wt<n>.txt."""
    path = data_path("orlib", f"wt{n}.txt")
    problems = read_wt(path.read_text(), str(path))
    optima = read_wt_optima(data_path("orlib", f"wtopt{n}.txt"))
    rows = []
    for problem, opt in list(zip(problems, optima, strict=True))[: args.first]:
        row = run_one(problem, args.backend, args.time_limit, args.seed)
        row.optimum = opt
        rows.append(row)
        if row.value != opt and args.verbose:
            print(f"  {row.name}: {row.value:g} (optimum {opt})", file=sys.stderr)
    return rows


def summary(n: int, rows: list[Row]) -> list[str]:
    """Table cells for one size."""
    hits = sum(r.value <= r.optimum for r in rows)
    better = sum(r.value < r.optimum for r in rows)
    times = [r.seconds for r in rows]
    return [
        f"wt{n}",
        str(len(rows)),
        f"{hits}" + (f" ({better} below the listed value)" if better else ""),
        str(sum(r.proven for r in rows)),
        f"{statistics.mean(times):.3f}",
        f"{statistics.median(times):.3f}",
        f"{max(times):.3f}",
        best_times(rows),
    ]


def best_times(rows: list[Row]) -> str:
    """Mean / max seconds to the final value (heuristic search only), else '-'."""
    known = [r.to_best for r in rows if r.to_best is not None]
    return f"{statistics.mean(known):.3f} / {max(known):.3f}" if known else "-"


HEADER = [
    "set", "instances", "reach optimum", "proven optimal", "mean s", "median s", "max s",
    "search s to best (mean / max)",
]  # fmt: skip


def markdown(table: list[list[str]], args: argparse.Namespace, misses: list[Row]) -> str:
    """The results as a Markdown document."""
    lines = [
        f"# OR-Library weighted tardiness: backend `{args.backend}`",
        "",
        f"Time limit {args.time_limit:g} s per instance, seed {args.seed}. Times are wall-clock",
        "seconds on a shared 2-core machine. Command:",
        "",
        f"    .venv/bin/python benchmarks/tardiness_orlib.py {' '.join(sys.argv[1:])}",
        "",
        "| " + " | ".join(HEADER) + " |",
        "|" + "---|" * len(HEADER),
        *("| " + " | ".join(row) + " |" for row in table),
    ]
    if misses:
        lines += ["", "Missed: " + ", ".join(f"{r.name} {r.value:g}/{r.optimum}" for r in misses)]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default="heuristic", help="heuristic, auto, cpsat, ...")
    parser.add_argument("--time-limit", type=float, default=1.0, help="seconds per instance")
    parser.add_argument("--sizes", type=int, nargs="+", default=[40, 50])
    parser.add_argument("--first", type=int, default=None, help="only the first K instances")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--verbose", action="store_true", help="print each miss")
    parser.add_argument("--no-write", action="store_true", help="do not write the .md file")
    args = parser.parse_args()
    table, misses = [], []
    for n in args.sizes:
        rows = run_size(n, args)
        table.append(summary(n, rows))
        misses += [r for r in rows if r.value > r.optimum]
        print(" | ".join(f"{h}: {c}" for h, c in zip(HEADER, table[-1], strict=True)))
    text = markdown(table, args, misses)
    if not args.no_write:
        RESULTS.mkdir(exist_ok=True)
        out = RESULTS / f"tardiness_orlib_{args.backend}.md"
        out.write_text(text)
        print(f"wrote {out}")


if __name__ == "__main__":
    main()
