"""Reference pipeline schedules: builders of per-device op orders, timed by the simulator.

`REFERENCES` maps a name to a builder `(problem, budget) -> orders | None` (None: not
applicable, e.g. ZB-V without a V placement, torch not installed). The closed forms and torch's
schedules ignore the memory limit; the two greedy schedulers respect it; `feasible_references`
keeps those the validator accepts. Names starting with `torch-` are torch's own schedule
classes (`torch_schedules.py`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from schedkit.models.base import Report
from schedkit.models.pipeline.problem import OpKey, PipelineProblem, PipelineSolution
from schedkit.models.pipeline.references.classic import gpipe, interleaved, one_f_one_b, serial
from schedkit.models.pipeline.references.greedy import VARIANTS, Variant, greedy, greedy_variants
from schedkit.models.pipeline.references.torch_schedules import TORCH_SCHEDULES, torch_orders
from schedkit.models.pipeline.references.zb_greedy import ZB_VARIANTS, ZbVariant, zb_order
from schedkit.models.pipeline.references.zerobubble import zb_h1, zb_h2, zb_v
from schedkit.models.pipeline.simulate import to_solution
from schedkit.models.pipeline.validator import validate

if TYPE_CHECKING:
    from schedkit.solvers.budget import Budget

Orders = list[list[OpKey]]
Builder = Callable[[PipelineProblem, "Budget | None"], Orders | None]


def zb_greedy_variants(
    problem: PipelineProblem, budget: Budget | None = None
) -> dict[str, tuple[Orders, float]]:
    """Orders and the original's span of every Zero Bubble variant that succeeds in time."""
    out: dict[str, tuple[Orders, float]] = {}
    for variant in ZB_VARIANTS:
        if budget is not None and budget.expired():
            break
        found = zb_order(problem, variant, budget)
        if found is not None:
            out[str(variant)] = found
    return out


def zb_greedy(problem: PipelineProblem, budget: Budget | None = None) -> Orders | None:
    """The Zero Bubble repository's `initial_solution`: its best variant by its own span."""
    best: tuple[Orders, float] | None = None
    for orders, span in zb_greedy_variants(problem, budget).values():
        if best is None or span < best[1]:
            best = (orders, span)
    return None if best is None else best[0]


def list_greedy(problem: PipelineProblem, budget: Budget | None = None) -> Orders | None:
    """The best completed `list-greedy` variant for the problem's objective."""
    found = {str(v): o for v, o in greedy_variants(problem, budget).items()}
    best = best_of(problem, found)
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


def _fixed(build: Callable[[PipelineProblem], Orders | None]) -> Builder:
    def builder(problem: PipelineProblem, budget: Budget | None = None) -> Orders | None:
        return build(problem)

    return builder


def _torch(name: str) -> Builder:
    def builder(problem: PipelineProblem, budget: Budget | None = None) -> Orders | None:
        return torch_orders(problem, name)

    return builder


REFERENCES: dict[str, Builder] = {
    "gpipe": _fixed(gpipe),
    "1f1b": _fixed(one_f_one_b),
    "interleaved-1f1b": _fixed(interleaved),
    "zb-h1": _fixed(zb_h1),
    "zb-h2": _fixed(zb_h2),
    "zb-v": _fixed(zb_v),
    "zb-greedy": zb_greedy,
    "list-greedy": list_greedy,
    "serial": _fixed(serial),
    **{name: _torch(name) for name in TORCH_SCHEDULES},
}
GREEDY = ("zb-greedy", "list-greedy")
"""The references that search (and draw from the budget); the others are closed forms."""


def build(
    problem: PipelineProblem, name: str, budget: Budget | None = None
) -> PipelineSolution | None:
    """Reference `name` timed ASAP with the planned durations (None if not applicable)."""
    orders = REFERENCES[name](problem, budget)
    return None if orders is None else to_solution(problem, orders, name=name)


def reference_solutions(
    problem: PipelineProblem, names: list[str] | None = None, budget: Budget | None = None
) -> dict[str, PipelineSolution]:
    """Every applicable reference (memory limit not checked)."""
    out = {}
    for name in names or list(REFERENCES):
        sol = build(problem, name, budget)
        if sol is not None:
            out[name] = sol
    return out


def feasible_references(
    problem: PipelineProblem, names: list[str] | None = None, budget: Budget | None = None
) -> dict[str, tuple[PipelineSolution, Report]]:
    """References the validator accepts (memory limit included), with their reports."""
    out = {}
    for name, sol in reference_solutions(problem, names, budget).items():
        report = validate(problem, sol)
        if report.feasible:
            out[name] = (sol, report)
    return out


def best_reference(
    problem: PipelineProblem, budget: Budget | None = None
) -> tuple[PipelineSolution, Report] | None:
    """The best feasible closed-form or greedy reference for the problem's objective (torch's
    classes are left out: importing torch costs more than most budgets it would serve)."""
    names = [n for n in REFERENCES if not n.startswith("torch-")]
    found = list(feasible_references(problem, names, budget).values())
    if not found:
        return None
    return min(found, key=lambda sr: float(sr[1].objective or 0.0))


__all__ = [
    "GREEDY",
    "REFERENCES",
    "TORCH_SCHEDULES",
    "VARIANTS",
    "ZB_VARIANTS",
    "Variant",
    "ZbVariant",
    "best_of",
    "best_reference",
    "build",
    "feasible_references",
    "greedy",
    "greedy_variants",
    "list_greedy",
    "reference_solutions",
    "zb_greedy",
    "zb_greedy_variants",
]
