"""The budget's arithmetic on an injected clock, and solve() drawing every step from it."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

import schedkit
from schedkit.solvers.budget import Budget, BudgetExpired


class FakeClock:
    """A clock that moves only when told to."""

    def __init__(self, now: float = 0.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def test_remaining_and_expiry_follow_the_clock() -> None:
    clock = FakeClock(100.0)
    budget = Budget.start(10, clock)
    assert (budget.deadline, budget.limit, budget.remaining()) == (110.0, 10.0, 10.0)
    clock.advance(4)
    assert budget.remaining() == 6 and not budget.expired()
    clock.advance(7)
    assert budget.remaining() == 0 and budget.expired()
    with pytest.raises(BudgetExpired, match="time limit of 10 s reached"):
        budget.checkpoint()


def test_children_never_outlive_their_parent() -> None:
    clock = FakeClock()
    budget = Budget.start(10, clock)
    clock.advance(2)
    assert budget.split(0.25).deadline == 2 + 0.25 * 8
    assert budget.sub(100).deadline == 10  # clamped to the parent
    assert budget.sub(3).deadline == 5
    assert budget.split(7).deadline == 10  # a share above 1 is the whole remainder
    assert budget.allowance(4) == 2.0 and budget.allowance(0) == 8.0
    assert budget.part(4).deadline == 4
    assert budget.reserve(3).deadline == 7
    clock.advance(7)
    assert budget.reserve(3).deadline == 9  # never before now


def test_extended_is_the_only_way_past_the_deadline() -> None:
    clock = FakeClock()
    budget = Budget.start(1, clock)
    clock.advance(1.2)
    fallback = budget.extended(0.5)
    assert fallback.deadline == pytest.approx(1.7) and fallback.remaining() == 0.5
    assert budget.extended(0.0).deadline == 1.2
    assert Budget.start(math.inf, clock).remaining() == math.inf


def test_solve_draws_the_bound_from_the_same_budget(instances_dir: Path) -> None:
    """A clock that jumps past the limit while the bound is computed: the heuristic gets a
    spent budget, still answers (its first constructive step), and the runtime is the clock's."""
    clock = FakeClock()
    problem = schedkit.load(f"{instances_dir}/tardiness/small-weighted.yaml")
    spec = schedkit.get_kind("tardiness")
    seen: list[float] = []
    original = spec.lower_bound

    def slow_bound(p: object, budget: Budget | None = None) -> float:
        assert budget is not None
        seen.append(budget.remaining())
        clock.advance(5)
        return original(p, budget)

    object.__setattr__(spec, "lower_bound", slow_bound)  # the spec is frozen; restored below
    try:
        result = schedkit.solve(problem, "heuristic", time_limit=3, clock=clock)
    finally:
        object.__setattr__(spec, "lower_bound", original)
    assert seen == [3.0]
    assert result.valid and result.runtime_s >= 5
    attempt = result.stats["attempts"]["heuristic"]
    assert attempt["termination"] in ("time_limit", "optimal")
