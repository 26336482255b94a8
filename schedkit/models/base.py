"""Solver-neutral base classes shared by every problem kind.

A `Problem` is immutable and validated on construction; a `Solution` is the decision (a
sequence, start times, a placement) and may carry the objective its producer claims; a
`Report` is the validator's verdict, with the objective recomputed from the solution.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Annotated, Any, ClassVar

import numpy as np
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, Strict
from pydantic_core import PydanticCustomError

MAX_EXACT_INT = 2**53
"""The largest integer a float64 (and so a JSON number read by any tool) holds exactly: the
upper end of every integer field, and of every aggregate a kind checks (horizon, objective)."""


def _plain_number(value: Any) -> Any:
    """NumPy integers (as solvers produce them) as Python ints; anything else unchanged.

    The strict number types below then reject booleans, strings (numeric or not) and, for
    integers, floats: YAML `true` or `"4"` is a typo, not a number.
    """
    return int(value) if isinstance(value, np.integer) else value


def _finite_number(value: Any) -> Any:
    """`_plain_number`, and NaN or an infinity refused before any range check (so the error
    says "finite" rather than "less than ...")."""
    if isinstance(value, float | np.floating) and not math.isfinite(value):
        raise PydanticCustomError("finite_number", "Input should be a finite number")
    return _plain_number(value)


Int = Annotated[
    int, BeforeValidator(_plain_number), Strict(), Field(ge=-MAX_EXACT_INT, le=MAX_EXACT_INT)
]
"""An integer in [-2^53, 2^53]; booleans, strings and floats are rejected."""
NonNegInt = Annotated[int, BeforeValidator(_plain_number), Strict(), Field(ge=0, le=MAX_EXACT_INT)]
"""An integer in [0, 2^53]."""
PosInt = Annotated[int, BeforeValidator(_plain_number), Strict(), Field(gt=0, le=MAX_EXACT_INT)]
"""An integer in [1, 2^53]."""
Finite = Annotated[float, BeforeValidator(_finite_number), Strict(), Field(allow_inf_nan=False)]
"""A finite number (integers are accepted); NaN, infinities, booleans and strings are not."""
NonNegFinite = Annotated[
    float, BeforeValidator(_finite_number), Strict(), Field(allow_inf_nan=False, ge=0)
]
"""A finite number >= 0."""
PosFinite = Annotated[
    float, BeforeValidator(_finite_number), Strict(), Field(allow_inf_nan=False, gt=0)
]
"""A finite number > 0."""


def is_finite_number(value: Any) -> bool:
    """True for an int or a finite float (not a bool): what validators accept in a solution."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        return False
    return math.isfinite(value)


class Frozen(BaseModel):
    """Immutable pydantic model that rejects unknown keys (typos)."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Problem(Frozen):
    """An instance of one problem kind."""

    KIND: ClassVar[str] = ""
    name: str = "unnamed"

    def summary(self) -> dict[str, Any]:
        """Size figures shown by `schedkit info` (kind-specific)."""
        return {}

    def to_data(self) -> dict[str, Any]:
        """Plain data that validates back to an equal problem (defaults left out).

        Kinds may override it for a more compact form (e.g. columns for many jobs).
        """
        data = self.model_dump(mode="json", exclude_defaults=True)
        data.pop("kind", None)
        return data


class Solution(Frozen):
    """A decision for one problem; `objective` is what its producer claims (optional)."""

    KIND: ClassVar[str] = ""
    objective: Finite | None = None


@dataclass(frozen=True)
class Violation:
    """One violated constraint: a stable code (for tests and tools) and a readable message."""

    code: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


@dataclass
class Report:
    """Validator verdict: feasible iff no violation; objective recomputed from the schedule."""

    violations: list[Violation] = field(default_factory=list)
    objective: float | None = None
    metrics: dict[str, Any] = field(default_factory=dict)

    @property
    def feasible(self) -> bool:
        return not self.violations

    def add(self, code: str, message: str) -> None:
        self.violations.append(Violation(code, message))

    def codes(self) -> list[str]:
        return [v.code for v in self.violations]

    def to_dict(self) -> dict[str, Any]:
        return {
            "feasible": self.feasible,
            "objective": self.objective,
            "violations": [v.to_dict() for v in self.violations],
            "metrics": self.metrics,
        }


def check_claimed_objective(report: Report, claimed: float | None, *, tol: float = 1e-6) -> None:
    """Flag a solution whose claimed objective differs from the recomputed one (a claim that
    is not a finite number is always flagged)."""
    if claimed is None:
        return
    if not is_finite_number(claimed):
        report.add("objective_mismatch", f"claimed objective {claimed!r} is not a finite number")
        return
    if report.objective is None:
        return
    if abs(claimed - report.objective) > tol * max(1.0, abs(report.objective)):
        report.add(
            "objective_mismatch",
            f"claimed objective {claimed:g} but the schedule gives {report.objective:g}",
        )
