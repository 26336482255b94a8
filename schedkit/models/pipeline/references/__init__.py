"""Reference pipeline schedules: builders of per-device op orders, timed by the simulator.

`REFERENCES` maps a name to a builder `problem -> orders | None` (None: not applicable, e.g.
ZB-V without a V placement). The builders ignore the memory limit except the greedy
scheduler; `feasible_references` keeps those the validator accepts.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from schedkit.models.base import Report
from schedkit.models.pipeline.problem import OpKey, PipelineProblem, PipelineSolution
from schedkit.models.pipeline.references.classic import gpipe, interleaved, one_f_one_b, serial
from schedkit.models.pipeline.references.greedy import VARIANTS, Variant, greedy, greedy_variants
from schedkit.models.pipeline.references.zerobubble import zb_h1, zb_h2, zb_v
from schedkit.models.pipeline.simulate import to_solution
from schedkit.models.pipeline.validator import validate

Orders = list[list[OpKey]]


def zb_greedy(problem: PipelineProblem, deadline: float | None = None) -> Orders | None:
    """The best completed greedy variant for the problem's objective."""
    best = best_of(problem, {f"{v}": o for v, o in greedy_variants(problem, deadline).items()})
    return None if best is None else best[1]


def best_of(
    problem: PipelineProblem, candidates: dict[str, Orders]
) -> tuple[str, Orders, float] | None:
    """(name, orders, objective) of the best valid candidate."""
    best: tuple[str, Orders, float] | None = None
    for name, orders in candidates.items():
        try:
            report = validate(problem, to_solution(problem, orders))
        except ValueError:
            continue
        if (
            report.feasible
            and report.objective is not None
            and (best is None or report.objective < best[2] - 1e-9)
        ):
            best = (name, orders, report.objective)
    return best


REFERENCES: dict[str, Callable[[PipelineProblem], Orders | None]] = {
    "gpipe": gpipe,
    "1f1b": one_f_one_b,
    "interleaved-1f1b": interleaved,
    "zb-h1": zb_h1,
    "zb-h2": zb_h2,
    "zb-v": zb_v,
    "zb-greedy": zb_greedy,
    "serial": serial,
}


def build(problem: PipelineProblem, name: str) -> PipelineSolution | None:
    """Reference `name` timed ASAP with the planned durations (None if not applicable)."""
    orders = REFERENCES[name](problem)
    return None if orders is None else to_solution(problem, orders, name=name)


def reference_solutions(
    problem: PipelineProblem, names: list[str] | None = None
) -> dict[str, PipelineSolution]:
    """Every applicable reference (memory limit not checked)."""
    out = {}
    for name in names or list(REFERENCES):
        sol = build(problem, name)
        if sol is not None:
            out[name] = sol
    return out


def feasible_references(
    problem: PipelineProblem, names: list[str] | None = None
) -> dict[str, tuple[PipelineSolution, Report]]:
    """References the validator accepts (memory limit included), with their reports."""
    out = {}
    for name, sol in reference_solutions(problem, names).items():
        report = validate(problem, sol)
        if report.feasible:
            out[name] = (sol, report)
    return out


def best_reference(
    problem: PipelineProblem, time_limit: float = 1.0
) -> tuple[PipelineSolution, Report] | None:
    """The best feasible reference for the problem's objective; the greedy variants run
    while `time_limit` seconds last."""
    deadline = time.monotonic() + time_limit
    fixed = [n for n in REFERENCES if n != "zb-greedy"]
    found = list(feasible_references(problem, fixed).values())
    orders = zb_greedy(problem, deadline)
    if orders is not None:
        sol = to_solution(problem, orders, name="zb-greedy")
        report = validate(problem, sol)
        if report.feasible:
            found.append((sol, report))
    if not found:
        return None
    return min(found, key=lambda sr: float(sr[1].objective or 0.0))


__all__ = [
    "REFERENCES",
    "VARIANTS",
    "Variant",
    "best_of",
    "best_reference",
    "build",
    "feasible_references",
    "greedy",
    "greedy_variants",
    "reference_solutions",
    "zb_greedy",
]
