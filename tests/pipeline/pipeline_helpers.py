"""Helpers for the pipeline tests."""

from __future__ import annotations

from typing import Any

from schedkit.models.pipeline import PipelineProblem


def make(p: int = 4, m: int = 8, limit: float | None = None, **kw: Any) -> PipelineProblem:
    """A pipeline problem with the issue's memory amounts (F 1, B and W -0.5)."""
    memory = {"F": 1.0, "B": -0.5, "W": -0.5, "limit": limit}
    return PipelineProblem(devices=p, microbatches=m, memory=memory, **kw)
