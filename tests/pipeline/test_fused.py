"""A fused backward with a measured cost of its own (`times.BW`)."""

from __future__ import annotations

from typing import Any

import pytest

import schedkit
from schedkit.io.torch_pipeline import to_torch_csv
from schedkit.models.pipeline import bounds
from schedkit.models.pipeline.references import build, feasible_references
from schedkit.models.pipeline.validator import validate
from schedkit.solvers.cpsat.pipeline import solve as cpsat_solve
from schedkit.solvers.milp.pipeline import solve as milp_solve
from schedkit.solvers.result import SolveOptions, Status

from .pipeline_helpers import make

TIMES = {"F": 1.0, "B": 1.1, "W": 0.6, "BW": 1.2}


def test_fused_time_is_used_by_the_validator() -> None:
    """1F1B runs only fused backwards: span (m + p - 1)(F + BW) with BW = 1.2, not B + W."""
    pb = make(4, 8, limit=4.0, times=TIMES)
    assert pb.t["BW"] == (1.2,) * 4 and pb.fused_time_given
    report = validate(pb, build(pb, "1f1b"))
    assert report.feasible and report.objective == pytest.approx(11 * 2.2)


def test_default_is_b_plus_w() -> None:
    pb = make(2, 2, times={"F": 1.0, "B": 1.1, "W": 0.6})
    assert pb.t["BW"] == pytest.approx((1.7, 1.7)) and not pb.fused_time_given


def test_heuristic_fuses_where_it_pays() -> None:
    pb = make(4, 8, limit=4.0, times=TIMES, comm=0.05)
    res = schedkit.solve(pb, backend="heuristic", time_limit=3)
    best_ref = min(r.objective for _, r in feasible_references(pb).values())
    assert res.valid and res.objective <= best_ref + 1e-9
    assert res.metrics["fused_backwards"] > 0
    assert bounds.lower_bound(pb) <= res.objective + 1e-9
    assert "0B0" in to_torch_csv(pb, res.solution)  # torch's full backward


@pytest.mark.parametrize("solve", [cpsat_solve, milp_solve])
def test_exact_models_choose_per_op(solve: Any) -> None:
    """The exact models accept a fused time of its own (see test_fused_exact.py)."""
    pb = make(2, 2, times=TIMES)
    out = solve(pb, SolveOptions(time_limit=10), None)
    report = validate(pb, out.solution)
    assert out.status is Status.OPTIMAL and report.feasible
    assert report.objective == pytest.approx(out.lower_bound, abs=1e-6)


def test_bad_fused_time_is_an_input_error() -> None:
    with pytest.raises(ValueError, match=r"times\.BW"):
        make(3, 2, times={"BW": [1.0, 2.0]})
