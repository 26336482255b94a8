"""The validator's array checks agree with its per-op checks: the same metrics on valid
schedules of every shape, and no verdict of their own on a broken one (the per-op path then
gives the messages)."""

from __future__ import annotations

import math
from typing import Any

import pytest

from schedkit.models.pipeline import Op, PipelineProblem, PipelineSolution
from schedkit.models.pipeline.references import REFERENCES, build
from schedkit.models.pipeline.validator import (
    _check_devices,
    _device_rows,
    _metrics,
    metrics_of,
    validate,
)
from schedkit.models.pipeline.validator_arrays import summarize

from .pipeline_helpers import make

NONUNIFORM = {"times": {"F": 1.0, "B": 1.1, "W": 0.6}, "comm": 0.05}
HETERO = {"times": {"F": [1.0, 1.3, 0.8, 1.1], "B": [1.1, 1.2, 1.0, 1.4], "W": 0.6}, "comm": 0.1}
PROBLEMS = {
    "uniform": make(4, 8, limit=4.0),
    "nonuniform": make(4, 8, limit=7.0, **NONUNIFORM),
    "hetero": make(4, 8, **HETERO),
    "fused-cheaper": make(3, 6, times={"F": 1.0, "B": 1.0, "W": 1.0, "BW": 1.7}),
    "interleaved": make(2, 4, chunks=2, **NONUNIFORM),
    "v": make(2, 4, chunks=2, stage_placement="v", **NONUNIFORM),
}


def per_op_metrics(pb: PipelineProblem, sol: PipelineSolution) -> dict[str, Any]:
    rows = _device_rows(pb, sol)
    return _metrics(pb, rows, _check_devices(pb, rows, validate(pb, sol)))


@pytest.mark.parametrize("case", PROBLEMS)
def test_same_metrics_as_the_per_op_checks(case: str) -> None:
    pb = PROBLEMS[case]
    built = 0
    for name in REFERENCES:
        sol = build(pb, name)
        if sol is None or not validate(pb, sol).feasible:
            continue
        summary = summarize(pb, sol)
        assert summary is not None, name
        assert metrics_of(pb, summary) == per_op_metrics(pb, sol), name
        assert summary.orders == sol.orders(pb.devices), name
        built += 1
    assert built >= 3


def with_op(sol: PipelineSolution, key: tuple, **update: Any) -> PipelineSolution:
    ops = tuple(o.model_copy(update=update) if o.key == key else o for o in sol.ops)
    return sol.model_copy(update={"ops": ops})


def broken(pb: PipelineProblem, sol: PipelineSolution) -> dict[str, PipelineSolution]:
    """One schedule per kind of violation."""
    start = {o.key: o.start for o in sol.ops}
    extra = Op(device=1, kind="F", stage=0, microbatch=0, start=50.0)
    fewer = tuple(o for o in sol.ops if o.key != ("W", 2, 1))
    return {
        "dependency": with_op(sol, ("B", 0, 0), start=start[("B", 0, 0)] - 0.5),
        "overlap": with_op(sol, ("F", 0, 3), start=start[("F", 0, 3)] - 0.5),
        "negative": with_op(sol, ("F", 0, 0), start=-1.0),
        "missing": sol.model_copy(update={"ops": fewer}),
        "duplicate": sol.model_copy(update={"ops": (*sol.ops, extra)}),
        "device": with_op(sol, ("F", 1, 0), device=0),
        "stage": with_op(sol, ("F", 1, 0), stage=7),
        "huge": with_op(sol, ("F", 1, 0), microbatch=10**30),
        "nan": with_op(sol, ("F", 1, 0), start=math.nan),
        "bool": with_op(sol, ("F", 0, 0), start=False),
        "fused-and-split": sol.model_copy(
            update={"ops": (*sol.ops, Op(device=2, kind="BW", stage=2, microbatch=0, start=90.0))}
        ),
    }


def test_no_verdict_on_broken_schedules() -> None:
    pb = make(3, 4, limit=3.0)
    sol = build(pb, "zb-h1")
    assert sol is not None and summarize(pb, sol) is not None
    for name, bad in broken(pb, sol).items():
        assert summarize(pb, bad) is None, name
        assert not validate(pb, bad).feasible, name
    tight = pb.model_copy(update={"memory": pb.memory.model_copy(update={"limit": 2.0})})
    assert summarize(tight, sol) is None
    assert set(validate(tight, sol).codes()) == {"memory"}
