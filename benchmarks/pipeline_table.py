"""Pipeline schedules: references versus schedkit's best, written to benchmarks/results/pipeline.md.

For p in {4, 8}, m in {8, 16, 32}, uniform times (F = B = W = 1) and non-uniform ones
(F = 1, B = 1.1, W = 0.6, comm = 0.05), at the memory limit of 1F1B (p microbatches of
activations) and of ZB-H2 (2p - 1): span, makespan and bubble ratio of 1F1B, ZB-H1, ZB-H2 and
the ZB greedy scheduler (best of its variants for each objective), then schedkit's best for
each objective (`schedkit.solve`, auto), its bound, proof mark and solve time.

    .venv/bin/python benchmarks/pipeline_table.py --time-limit 30 [--quick]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

import schedkit
from schedkit.models.pipeline import PipelineProblem
from schedkit.models.pipeline.references import build, zb_greedy_variants
from schedkit.models.pipeline.simulate import to_solution
from schedkit.models.pipeline.validator import validate

OUT = Path(__file__).resolve().parent / "results" / "pipeline.md"
TIMES = {
    "uniform": ({"F": 1.0, "B": 1.0, "W": 1.0}, 0.0),
    "non-uniform": ({"F": 1.0, "B": 1.1, "W": 0.6}, 0.05),
}
REFS = ["1f1b", "zb-h1", "zb-h2"]


def problem(p: int, m: int, times: str, limit: float, objective: str) -> PipelineProblem:
    t, comm = TIMES[times]
    return PipelineProblem(
        name=f"p{p}-m{m}-{times}-L{limit:g}",
        devices=p,
        microbatches=m,
        times=t,
        comm=comm,
        memory={"F": 1.0, "B": -0.5, "W": -0.5, "limit": limit},
        objective=objective,
    )


def cell(report: Any) -> str:
    if report is None or not report.feasible:
        return "—"
    mt = report.metrics
    return f"{mt['span']:.4g} / {mt['makespan']:.4g} / {100 * mt['bubble_ratio_overall']:.1f}%"


def greedy_best(pb: PipelineProblem) -> Any:
    """The Zero Bubble repository's greedy scheduler: best valid variant for the objective."""
    best = None
    for orders, _ in zb_greedy_variants(pb).values():
        report = validate(pb, to_solution(pb, orders))
        if report.feasible and (best is None or (report.objective or 0) < (best.objective or 0)):
            best = report
    return best


def ours(pb: PipelineProblem, time_limit: float) -> tuple[str, Any]:
    start = time.monotonic()
    res = schedkit.solve(
        pb, time_limit=time_limit, threads=2, params={"greedy_time": 0.25 * time_limit}
    )
    took = time.monotonic() - start
    gap = f"gap {100 * (res.gap or 0):.1f}%"
    mark = "**opt**" if res.status is schedkit.Status.OPTIMAL else gap
    lb = "—" if res.lower_bound is None else f"{res.lower_bound:.4g}"
    return f"{res.objective:.4g} (LB {lb}, {mark}, {took:.1f}s, {res.backend})", res


def row(p: int, m: int, times: str, limit: float, time_limit: float) -> tuple[str, list[str]]:
    pb = problem(p, m, times, limit, "span")
    refs = {n: validate(pb, sol) for n in REFS if (sol := build(pb, n)) is not None}
    greedy = {obj: greedy_best(problem(p, m, times, limit, obj)) for obj in ("span", "makespan")}
    best_span, rs = ours(pb, time_limit)
    best_mk, rm = ours(problem(p, m, times, limit, "makespan"), time_limit)
    notes = []
    for obj, res, g in (("span", rs, greedy["span"]), ("makespan", rm, greedy["makespan"])):
        feasible = [r.metrics[obj] for r in [*refs.values(), g] if r is not None and r.feasible]
        if feasible and res.objective > min(feasible) + 1e-6:
            notes.append(f"WORSE than a reference on {obj}")
    line = (
        f"| {p} | {m} | {times} | {limit:g} | "
        + " | ".join(cell(refs.get(n)) for n in REFS)
        + f" | {cell(greedy['span'])} | {best_span} | {best_mk} |"
    )
    return line, notes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--time-limit", type=float, default=30.0)
    parser.add_argument("--quick", action="store_true", help="p = 4, m = 8 only")
    args = parser.parse_args()
    sizes = [(4, 8)] if args.quick else [(p, m) for p in (4, 8) for m in (8, 16, 32)]
    lines = [
        "# Pipeline schedules: references vs schedkit",
        "",
        f"`.venv/bin/python benchmarks/pipeline_table.py --time-limit {args.time_limit:g}"
        f"{' --quick' if args.quick else ''}` (CP-SAT with 2 workers; shared 2-core machine, "
        "so times are pessimistic).",
        "",
        "Reference cells: span / makespan / overall bubble ratio (— = exceeds the memory "
        "limit). ZB greedy: best variant for span. schedkit columns: objective (lower bound, "
        "proof or gap, wall time, winning backend), solved once per objective.",
        "",
        "| p | m | times | mem limit | 1F1B | ZB-H1 | ZB-H2 | ZB greedy | schedkit span "
        "| schedkit makespan |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    problems: list[str] = []
    for p, m in sizes:
        for times in TIMES:
            for limit in (float(p), 2.0 * p - 1):
                line, notes = row(p, m, times, limit, args.time_limit)
                print(line, flush=True)
                lines.append(line)
                problems += [f"p{p} m{m} {times} L{limit:g}: {n}" for n in notes]
    lines += [
        "",
        "Never worse than a feasible reference: "
        + ("yes" if not problems else "NO: " + "; ".join(problems)),
        "",
    ]
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text("\n".join(lines))
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
