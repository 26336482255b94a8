"""Generated unweighted total tardiness (Potts & Van Wassenhove): rules, heuristic, exact.

    .venv/bin/python benchmarks/tardiness_generated.py
    .venv/bin/python benchmarks/tardiness_generated.py --sizes 20 100 --heuristic-time 2

Five instances per size n, one per (TF, RDD) pair of COMBOS, seed 1000 n + index. The pairs
span the literature grid TF, RDD in {0.2, ..., 1.0}: loose (0.2, 0.8), medium (0.4, 0.4), the
hard band of Potts & Van Wassenhove (0.6, 0.2) and (0.8, 0.6), and all-late (1.0, 1.0).
For each instance: EDD and MDD, the schedkit heuristic, Lawler's algorithm and CP-SAT (both
through `schedkit.solve`, with a time limit; CP-SAT only up to --cpsat-max-n jobs), the best
value, the best lower bound (combinatorial bound, or a proven optimum) and the gap. Writes
`benchmarks/results/tardiness_generated.md`.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import schedkit
from schedkit.generate.tardiness import generate
from schedkit.models.tardiness.bounds import lower_bound
from schedkit.models.tardiness.problem import TardinessProblem
from schedkit.solvers.heuristics import tardiness as heuristic
from schedkit.solvers.result import SolveOptions, Status, relative_gap

RESULTS = Path(__file__).resolve().parent / "results"
COMBOS = [(0.2, 0.8), (0.4, 0.4), (0.6, 0.2), (0.8, 0.6), (1.0, 1.0)]


@dataclass
class Row:
    """Values found on one instance (None: the method did not run or gave nothing)."""

    name: str
    n: int
    edd: int
    mdd: int
    heuristic: int
    heuristic_s: float
    exact: dict[str, tuple[float | None, bool, float]] = field(default_factory=dict)
    """backend -> (value, proven optimal, seconds)."""
    bound: float = 0.0

    @property
    def best(self) -> float:
        values = [v for v, _, _ in self.exact.values() if v is not None]
        return min([self.heuristic, *values])

    @property
    def proven(self) -> bool:
        return any(ok and v == self.best for v, ok, _ in self.exact.values())

    @property
    def gap(self) -> float:
        gap = relative_gap(self.best, self.best if self.proven else self.bound)
        return 0.0 if gap is None else gap


def run_exact(
    problem: TardinessProblem, backend: str, limit: float
) -> tuple[float | None, bool, float]:
    """(value, proven, seconds) of one exact backend; None when it did not produce the answer."""
    start = time.monotonic()
    res = schedkit.solve(problem, backend, time_limit=limit)
    seconds = time.monotonic() - start
    if res.backend != backend:  # unavailable or crashed: the portfolio fell back
        return None, False, seconds
    return res.objective, res.status is Status.OPTIMAL, seconds


def run_instance(problem: TardinessProblem, args: argparse.Namespace) -> Row:
    """Rules, heuristic and the exact backends on one instance."""
    start = time.monotonic()
    out = heuristic.solve(problem, SolveOptions(time_limit=args.heuristic_time), None)
    assert out.solution is not None and out.solution.objective is not None
    row = Row(
        problem.name,
        problem.n,
        out.stats["edd"],
        out.stats["mdd"],
        int(out.solution.objective),
        time.monotonic() - start,
        bound=lower_bound(problem),
    )
    row.exact["lawler"] = run_exact(problem, "lawler", args.exact_time)
    if problem.n <= args.cpsat_max_n:
        row.exact["cpsat"] = run_exact(problem, "cpsat", args.exact_time)
    return row


def pct(value: float, best: float) -> str:
    """Deviation of `value` from `best` in percent."""
    if best == 0:
        return "0.0" if value == 0 else "inf"
    return f"{100 * (value - best) / best:.1f}"


def size_summary(n: int, rows: list[Row]) -> list[str]:
    """One table row: mean deviation of each method from the best value, and more."""

    def mean_dev(values: list[float | None]) -> str:
        known = [pct(v, r.best) for v, r in zip(values, rows, strict=True) if v is not None]
        nums = [float(x) for x in known if x != "inf"]
        return f"{statistics.mean(nums):.1f}" if nums else "-"

    def solved(backend: str) -> str:
        runs = [r.exact[backend] for r in rows if backend in r.exact]
        return f"{sum(ok for _, ok, _ in runs)}/{len(runs)}" if runs else "-"

    return [
        str(n),
        mean_dev([r.edd for r in rows]),
        mean_dev([r.mdd for r in rows]),
        mean_dev([r.heuristic for r in rows]),
        f"{statistics.mean(r.heuristic_s for r in rows):.2f}",
        f"{sum(r.heuristic == r.best for r in rows)}/{len(rows)}",
        solved("lawler"),
        solved("cpsat"),
        f"{sum(r.proven for r in rows)}/{len(rows)}",
        f"{100 * statistics.mean(r.gap for r in rows):.2f}",
    ]


HEADER = [
    "n", "EDD %", "MDD %", "heuristic %", "heuristic s", "heuristic = best",
    "Lawler optimal", "CP-SAT optimal", "proven", "mean gap %",
]  # fmt: skip


def detail(rows: list[Row]) -> list[str]:
    """Per-instance Markdown rows."""
    lines = [
        "| instance | EDD | MDD | heuristic | Lawler | CP-SAT | best | bound |",
        "|" + "---|" * 8,
    ]
    for r in rows:
        cells = []
        for backend in ("lawler", "cpsat"):
            v, ok, s = r.exact.get(backend, (None, False, 0.0))
            cells.append("-" if v is None else f"{v:.0f}{' *' if ok else ''} ({s:.1f} s)")
        bound = r.best if r.proven else r.bound
        lines.append(
            f"| {r.name} | {r.edd} | {r.mdd} | {r.heuristic} | {cells[0]} | {cells[1]} "
            f"| {r.best:.0f} | {bound:.0f} |"
        )
    return lines


def markdown(table: list[list[str]], rows: list[Row], args: argparse.Namespace) -> str:
    """The whole report."""
    combos = ", ".join(f"({tf:g}, {rdd:g})" for tf, rdd in COMBOS)
    return (
        "\n".join(
            [
                "# Generated unweighted total tardiness",
                "",
                f"5 instances per n, (TF, RDD) in {combos}, seed 1000 n + index.",
                f"Heuristic time limit {args.heuristic_time:g} s; Lawler and CP-SAT"
                f" {args.exact_time:g} s each (CP-SAT up to n = {args.cpsat_max_n}).",
                "Columns `X %`: mean deviation from the best value found. Gap: (best - bound) /",
                "best with the combinatorial bound, or 0 when an exact backend proved the best",
                "value optimal. A timed-out Lawler run reports its fallback (EDD) sequence.",
                "Times are wall-clock on a shared 2-core machine. Command:",
                "",
                f"    .venv/bin/python benchmarks/tardiness_generated.py {' '.join(sys.argv[1:])}",
                "",
                "| " + " | ".join(HEADER) + " |",
                "|" + "---|" * len(HEADER),
                *("| " + " | ".join(row) + " |" for row in table),
                "",
                "Per instance (`*`: proven optimal):",
                "",
                *detail(rows),
            ]
        )
        + "\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[20, 100, 200, 500])
    parser.add_argument("--heuristic-time", type=float, default=5.0)
    parser.add_argument("--exact-time", type=float, default=10.0)
    parser.add_argument("--cpsat-max-n", type=int, default=100)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    table: list[list[str]] = []
    all_rows: list[Row] = []
    for n in args.sizes:
        problems = [generate(n, tf, rdd, 1000 * n + i) for i, (tf, rdd) in enumerate(COMBOS)]
        rows = [run_instance(p, args) for p in problems]
        all_rows += rows
        table.append(size_summary(n, rows))
        print(" | ".join(f"{h}: {c}" for h, c in zip(HEADER, table[-1], strict=True)), flush=True)
    text = markdown(table, all_rows, args)
    if not args.no_write:
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / "tardiness_generated.md").write_text(text)
        print(f"wrote {RESULTS / 'tardiness_generated.md'}")


if __name__ == "__main__":
    main()
