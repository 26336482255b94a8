"""Single-machine (weighted) total tardiness: jobs, due dates, weights, release dates."""

from __future__ import annotations

from functools import cached_property
from typing import Any, ClassVar

import numpy as np
from pydantic import Field, field_validator, model_validator

from schedkit.models.base import MAX_EXACT_INT, Frozen, Int, NonNegInt, PosInt, Problem, Solution

COLUMNS = ("processing_time", "due_date", "weight", "release_date", "name")


class Job(Frozen):
    """One job; times are non-negative integers (as in the standard benchmark sets)."""

    processing_time: PosInt
    due_date: NonNegInt
    weight: NonNegInt = 1
    release_date: NonNegInt = 0
    name: str | None = None


class TardinessProblem(Problem):
    """Sequence n jobs on one machine to minimise sum_j w_j max(0, C_j - d_j).

    YAML accepts `jobs:` as a list of job mappings, or `columns:` with one list per field
    (`processing_time`, `due_date`, optional `weight`, `release_date`, `name`) for large n.
    """

    KIND: ClassVar[str] = "tardiness"
    kind: str = "tardiness"
    jobs: tuple[Job, ...] = Field(min_length=1)

    @model_validator(mode="before")
    @classmethod
    def _columns_to_jobs(cls, data: Any) -> Any:
        if not isinstance(data, dict) or "columns" not in data:
            return data
        data = dict(data)
        columns = data.pop("columns")
        if "jobs" in data:
            raise ValueError("give either 'jobs' or 'columns', not both")
        if not isinstance(columns, dict):
            raise ValueError("'columns' must map field names to lists")
        unknown = sorted(set(columns) - set(COLUMNS))
        if unknown:
            raise ValueError(f"unknown column(s) {unknown}; valid: {list(COLUMNS)}")
        lengths = {k: len(v) for k, v in columns.items() if isinstance(v, list)}
        if len(set(lengths.values())) > 1:
            raise ValueError(f"columns differ in length: {lengths}")
        n = next(iter(lengths.values()), 0)
        data["jobs"] = [{k: columns[k][i] for k in columns} for i in range(n)]
        return data

    @field_validator("jobs")
    @classmethod
    def _exact_range(cls, jobs: tuple[Job, ...]) -> tuple[Job, ...]:
        """Refuse instances whose total weighted tardiness could exceed 2^53 (not exact)."""
        horizon = max(j.release_date for j in jobs) + sum(j.processing_time for j in jobs)
        worst = sum(j.weight for j in jobs) * horizon
        if worst > MAX_EXACT_INT:
            raise ValueError(
                f"sum(weight) x (max release_date + sum(processing_time)) = {worst:.3g} exceeds "
                f"2^53 = {MAX_EXACT_INT}, the range in which tardiness is computed exactly "
                "(scale the times or the weights down)"
            )
        return jobs

    @property
    def n(self) -> int:
        return len(self.jobs)

    @cached_property
    def p(self) -> np.ndarray:
        return np.array([j.processing_time for j in self.jobs], dtype=np.int64)

    @cached_property
    def d(self) -> np.ndarray:
        return np.array([j.due_date for j in self.jobs], dtype=np.int64)

    @cached_property
    def w(self) -> np.ndarray:
        return np.array([j.weight for j in self.jobs], dtype=np.int64)

    @cached_property
    def r(self) -> np.ndarray:
        return np.array([j.release_date for j in self.jobs], dtype=np.int64)

    @property
    def weighted(self) -> bool:
        return bool(np.any(self.w != 1))

    @property
    def has_releases(self) -> bool:
        return bool(np.any(self.r > 0))

    def summary(self) -> dict[str, Any]:
        return {
            "jobs": self.n,
            "weighted": self.weighted,
            "release_dates": self.has_releases,
            "total_processing_time": int(self.p.sum()),
            "max_due_date": int(self.d.max()),
        }

    def to_data(self) -> dict[str, Any]:
        """The columnar form: one list per field; release dates and names only when used."""
        columns: dict[str, list[Any]] = {
            "processing_time": self.p.tolist(),
            "due_date": self.d.tolist(),
            "weight": self.w.tolist(),
        }
        if self.has_releases:
            columns["release_date"] = self.r.tolist()
        if any(job.name is not None for job in self.jobs):
            columns["name"] = [job.name for job in self.jobs]
        return {"name": self.name, "columns": columns}

    @classmethod
    def from_arrays(
        cls,
        p: list[int],
        d: list[int],
        w: list[int] | None = None,
        r: list[int] | None = None,
        name: str = "unnamed",
    ) -> TardinessProblem:
        """Build from parallel lists (weights default to 1, release dates to 0)."""
        columns: dict[str, list[int]] = {"processing_time": p, "due_date": d}
        if w is not None:
            columns["weight"] = w
        if r is not None:
            columns["release_date"] = r
        return cls.model_validate({"name": name, "columns": columns})


class TardinessSolution(Solution):
    """Jobs (0-based indices) in processing order, with optional start times per position.

    Without `start`, each job starts as early as its release date and its predecessor allow.
    """

    KIND: ClassVar[str] = "tardiness"
    sequence: tuple[Int, ...]
    start: tuple[Int, ...] | None = None
