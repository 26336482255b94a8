"""The answer contract shared by every kind and backend: Status, Termination, SolveOptions,
BackendOutput and Result."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from schedkit.models.base import Solution
from schedkit.solvers.budget import Budget


class Status(StrEnum):
    """What is known about an answer (solver crashes and time-outs are not statuses)."""

    OPTIMAL = "optimal"
    FEASIBLE = "feasible"
    INFEASIBLE = "infeasible"
    UNKNOWN = "unknown"


class Termination(StrEnum):
    """Why a backend stopped, beside the `Status` of its answer."""

    OPTIMAL = "optimal"
    """It proved its answer optimal."""
    INFEASIBLE = "infeasible"
    """It proved that no answer exists."""
    TIME_LIMIT = "time_limit"
    """The budget ran out."""
    COMPLETED = "completed"
    """It stopped on its own without a proof (a heuristic's stall or iteration limit)."""
    INTERRUPTED = "interrupted"
    """Stopped from outside (Ctrl-C)."""
    UNAVAILABLE = "unavailable"
    """It could not run here: a missing package, an unsupported variant, a model too large."""
    ERROR = "error"
    """It crashed; the reason holds the exception."""


@dataclass(frozen=True)
class SolveOptions:
    """Limits and knobs of one solve; `budget` is the one clock every part draws from.

    `params` are checked by `solve()` against the engines' and the kind's known names and pass
    through to the backend.
    """

    time_limit: float = 10.0
    threads: int = 2
    seed: int = 0
    verbose: bool = False
    params: dict[str, Any] = field(default_factory=dict)
    budget: Budget = field(default=None, compare=False)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        if self.budget is None:
            object.__setattr__(self, "budget", Budget.start(self.time_limit))

    def with_budget(self, budget: Budget, **changes: Any) -> SolveOptions:
        """The same options drawing from `budget` (a child of this one's, usually)."""
        return replace(self, budget=budget, **changes)


def stopped(budget: Budget) -> Termination:
    """Why a backend without a proof stopped: the budget ran out, or it finished on its own."""
    return Termination.TIME_LIMIT if budget.expired() else Termination.COMPLETED


_TERMINATION_OF = {
    "optimal": Termination.OPTIMAL,
    "infeasible": Termination.INFEASIBLE,
}


@dataclass
class BackendOutput:
    """What one backend returns before validation: its best solution and what it proved.

    `lower_bound` is the backend's own proven bound (None if it has none); `reason` says why
    it ended where it did (e.g. the infeasibility it found); `stats` is for people, not code.
    """

    solution: Solution | None
    status: Status
    lower_bound: float | None = None
    stats: dict[str, Any] = field(default_factory=dict)
    termination: Termination | None = None
    reason: str = ""

    def __post_init__(self) -> None:
        if self.termination is None:
            self.termination = _TERMINATION_OF.get(self.status.value, Termination.COMPLETED)


def relative_gap(objective: float | None, lower_bound: float | None) -> float | None:
    """(objective - bound) / |objective|, 0 when both are 0; None when either is unknown."""
    if objective is None or lower_bound is None:
        return None
    if objective == lower_bound:
        return 0.0
    if objective == 0:
        return math.inf
    return max(0.0, (objective - lower_bound) / abs(objective))


@dataclass
class Result:
    """The validated answer of `solve()`: the objective is the validator's, not the solver's."""

    kind: str
    name: str
    status: Status
    objective: float | None
    lower_bound: float | None
    backend: str
    runtime_s: float
    solution: Solution | None
    valid: bool
    stats: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    reason: str = ""
    """Why the answer is what it is (the infeasibility found, or why no backend answered)."""

    @property
    def gap(self) -> float | None:
        return relative_gap(self.objective, self.lower_bound)

    def to_dict(self) -> dict[str, Any]:
        gap = self.gap
        return {
            "kind": self.kind,
            "name": self.name,
            "status": self.status.value,
            "objective": self.objective,
            "lower_bound": self.lower_bound,
            "gap": None if gap is None or math.isinf(gap) else gap,
            "backend": self.backend,
            "runtime_s": round(self.runtime_s, 4),
            "valid": self.valid,
            "reason": self.reason,
            "metrics": self.metrics,
            "stats": self.stats,
            "solution": None if self.solution is None else solution_to_dict(self.solution),
        }

    def to_json(self, indent: int | None = 2) -> str:
        """Strict JSON: a non-finite number (none should occur) is written as null."""
        return json.dumps(_finite(self.to_dict()), indent=indent, default=str, allow_nan=False)


def solution_to_dict(solution: Solution) -> dict[str, Any]:
    """A solution as JSON-ready data, tagged with its kind."""
    return {"kind": type(solution).KIND, **solution.model_dump(mode="json")}


def _finite(data: Any) -> Any:
    """`data` with every NaN or infinite float replaced by None (JSON has no such numbers)."""
    if isinstance(data, float):
        return data if math.isfinite(data) else None
    if isinstance(data, dict):
        return {k: _finite(v) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [_finite(v) for v in data]
    return data
