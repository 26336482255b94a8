"""Helpers for the replay tests: tiny block sizes, pipeline instances and reference schedules."""

from __future__ import annotations

from typing import Any

import pytest

from schedkit.models.pipeline import PipelineProblem, PipelineSolution
from schedkit.models.pipeline.references import build

TINY = {"hidden": 32, "seq": 8, "batch": 2, "heads": 2}
MEM = {"F": 1.0, "B": -0.5, "W": -0.5}


def problem(p: int, m: int, **kw: object) -> PipelineProblem:
    """A pipeline of `p` devices and `m` microbatches (memory F 1, B and W -0.5)."""
    return PipelineProblem(devices=p, microbatches=m, memory=MEM, **kw)


def ref(pb: PipelineProblem, name: str) -> PipelineSolution:
    """The reference schedule `name` of `pb` (it must apply)."""
    sol = build(pb, name)
    assert sol is not None
    return sol


def check_zb_h1(res: Any) -> dict[str, Any]:
    """What every runtime's replay of ZB-H1 on `problem(2, 4)` shows: 1F1B as the baseline,
    gradients equal to the reference, the predicted speedup 15 / 13; its `to_dict()`."""
    assert res.baseline == "1f1b" and set(res.measures) == {"zb-h1", "1f1b"}
    assert res.grads_ok, {k: m.grad_max_abs_diff for k, m in res.measures.items()}
    assert res.speedup("predicted") == pytest.approx(15 / 13)
    assert "zb-h1" in res.summary()
    d: dict[str, Any] = res.to_dict()
    assert d["speedup_measured"] > 0 and d["grads_ok"] is True
    return d
