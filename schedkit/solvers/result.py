"""The answer contract shared by every kind and backend: Status, SolveOptions, Result."""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from schedkit.models.base import Solution


class Status(StrEnum):
    """What is known about an answer (solver crashes and time-outs are not statuses)."""

    OPTIMAL = "optimal"
    FEASIBLE = "feasible"
    INFEASIBLE = "infeasible"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class SolveOptions:
    """Limits and knobs of one solve; `params` pass through to the backend untouched."""

    time_limit: float = 10.0
    threads: int = 2
    seed: int = 0
    verbose: bool = False
    params: dict[str, Any] = field(default_factory=dict)
    start: float = field(default_factory=time.monotonic)

    @property
    def deadline(self) -> float:
        return self.start + self.time_limit

    def remaining(self) -> float:
        """Seconds left before the deadline (never negative)."""
        return max(0.0, self.deadline - time.monotonic())

    def sub(self, time_limit: float, **changes: Any) -> SolveOptions:
        """The same options with a new clock starting now and at most `time_limit` seconds."""
        fresh = SolveOptions(
            time_limit=max(0.0, min(time_limit, self.remaining())),
            threads=self.threads,
            seed=self.seed,
            verbose=self.verbose,
            params=dict(self.params),
        )
        return replace(fresh, **changes) if changes else fresh


@dataclass
class BackendOutput:
    """What one backend returns before validation: its best solution and what it proved."""

    solution: Solution | None
    status: Status
    lower_bound: float | None = None
    stats: dict[str, Any] = field(default_factory=dict)


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
            "metrics": self.metrics,
            "stats": self.stats,
            "solution": None if self.solution is None else solution_to_dict(self.solution),
        }

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, default=str)


def solution_to_dict(solution: Solution) -> dict[str, Any]:
    """A solution as JSON-ready data, tagged with its kind."""
    return {"kind": type(solution).KIND, **solution.model_dump(mode="json")}
