"""The knapsack data model, its independent validator and its LP bound."""

from __future__ import annotations

import math
from typing import Any, ClassVar

from pydantic import Field

from schedkit.models.base import Frozen, Problem, Report, Solution, check_claimed_objective


class Item(Frozen):
    value: int = Field(ge=0)
    weight: int = Field(ge=1)


class KnapsackProblem(Problem):
    KIND: ClassVar[str] = "knapsack"
    kind: str = "knapsack"
    capacity: int = Field(ge=0)
    items: tuple[Item, ...] = Field(min_length=1)

    def summary(self) -> dict[str, Any]:
        return {"items": len(self.items), "capacity": self.capacity}

    @property
    def total_value(self) -> int:
        return sum(i.value for i in self.items)


class KnapsackSolution(Solution):
    KIND: ClassVar[str] = "knapsack"
    chosen: tuple[int, ...]


def validate(problem: KnapsackProblem, solution: KnapsackSolution) -> Report:
    """Indices in range and distinct, weight within capacity; objective = value left out."""
    report = Report()
    n = len(problem.items)
    bad = [i for i in solution.chosen if not 0 <= i < n]
    if bad:
        report.add("bad_index", f"items {bad} do not exist (0..{n - 1})")
        return report
    if len(set(solution.chosen)) != len(solution.chosen):
        report.add("duplicate", "an item is chosen twice")
    weight = sum(problem.items[i].weight for i in set(solution.chosen))
    if weight > problem.capacity:
        report.add("capacity", f"weight {weight} exceeds capacity {problem.capacity}")
    report.objective = problem.total_value - sum(
        problem.items[i].value for i in set(solution.chosen)
    )
    report.metrics = {"weight": weight}
    check_claimed_objective(report, solution.objective)
    return report


def lower_bound(problem: KnapsackProblem, budget: object = None) -> float:
    """Value left out by the fractional (LP) knapsack, rounded up: no 0/1 choice leaves less."""
    room, packed = problem.capacity, 0.0
    for item in sorted(problem.items, key=lambda i: -i.value / i.weight):
        take = min(1.0, room / item.weight)
        packed += take * item.value
        room -= take * item.weight
        if room <= 0:
            break
    return float(math.ceil(problem.total_value - packed - 1e-9))
