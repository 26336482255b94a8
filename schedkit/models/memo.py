"""A kind's lower bound, computed once per problem object.

`solve()` computes the kind's bound within its budget, then its backends ask for the same
problem's bound again (a heuristic to know when to stop, an exact backend to cut its model).
`per_problem` keeps the first bound computed with a budget, unless that budget ran out while
it was computed (the bound may then be cut short, and a later call with time may do better).
A call without a budget computes afresh. Entries go with their problem (weak references).
"""

from __future__ import annotations

import functools
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from schedkit.solvers.budget import Budget


class PerProblem:
    """`bound(problem, budget=None)` with its per-problem cache in `.cache` (by id)."""

    def __init__(self, bound: Callable[[Any, Budget | None], Any]) -> None:
        self.bound = bound
        self.cache: dict[int, Any] = {}
        functools.update_wrapper(self, bound)

    def __call__(self, problem: Any, budget: Budget | None = None) -> Any:
        if budget is None:
            return self.bound(problem, None)
        key = id(problem)
        if key in self.cache:
            return self.cache[key]
        value = self.bound(problem, budget)
        if not budget.expired():
            self.cache[key] = value
            weakref.finalize(problem, self.cache.pop, key, None)
        return value


def per_problem(bound: Callable[[Any, Budget | None], Any]) -> PerProblem:
    """Decorate a kind's `lower_bound(problem, budget)` with the per-problem cache."""
    return PerProblem(bound)
