"""Reference schedules: validity and the published closed forms, as equalities."""

from __future__ import annotations

import pytest

from schedkit.models.pipeline import bounds
from schedkit.models.pipeline.references import REFERENCES, build, reference_solutions
from schedkit.models.pipeline.validator import validate

from .pipeline_helpers import make

SIZES = [(2, 3), (4, 8), (4, 13), (8, 16), (8, 24)]


def metrics(pb, name: str) -> dict:
    sol = build(pb, name)
    assert sol is not None
    report = validate(pb, sol)
    assert report.feasible, report.codes()
    return report.metrics


@pytest.mark.parametrize(("p", "m"), SIZES)
@pytest.mark.parametrize("fbw", [(1.0, 1.0, 1.0), (1.0, 2.0, 1.5), (0.7, 1.3, 0.4)])
def test_1f1b_closed_form(p: int, m: int, fbw: tuple[float, float, float]) -> None:
    f, b, w = fbw
    pb = make(p, m, limit=float(p), times={"F": f, "B": b, "W": w})
    got = metrics(pb, "1f1b")
    total = f + b + w
    assert got["span"] == pytest.approx(m * total + (p - 1) * total, abs=1e-9)
    assert got["device_bubble"][0] == pytest.approx((p - 1) * total, abs=1e-9)
    assert max(got["peak_memory"]) == pytest.approx(p)


@pytest.mark.parametrize(("p", "m"), SIZES)
@pytest.mark.parametrize("t", [1.0, 0.5, 2.0])
def test_zb_h1_closed_form(p: int, m: int, t: float) -> None:
    pb = make(p, m, limit=float(p), times={"F": t, "B": t, "W": t})
    got = metrics(pb, "zb-h1")
    assert got["span"] == pytest.approx(3 * m * t + (p - 1) * (t + t - t), abs=1e-9)
    assert got["device_bubble"][0] == pytest.approx((p - 1) * t, abs=1e-9)
    assert got["makespan"] == pytest.approx(got["span"], abs=1e-9)  # all devices end together
    assert max(got["peak_memory"]) == pytest.approx(p)  # the memory of 1F1B


@pytest.mark.parametrize(("p", "m"), [(2, 3), (4, 7), (4, 8), (8, 15), (8, 32)])
@pytest.mark.parametrize("t", [1.0, 0.5])
def test_zb_h2_zero_bubble(p: int, m: int, t: float) -> None:
    pb = make(p, m, limit=2.0 * p - 1, times={"F": t, "B": t, "W": t})
    got = metrics(pb, "zb-h2")
    assert got["span"] == pytest.approx(3 * m * t, abs=1e-9)
    assert got["bubble_ratio_overall"] == pytest.approx(0.0, abs=1e-9)
    assert max(got["peak_memory"]) == pytest.approx(2 * p - 1)
    assert got["makespan"] == pytest.approx(bounds.makespan_bound(pb), abs=1e-9)


def test_issue_example_numbers() -> None:
    at4, at7 = make(4, 8, limit=4.0), make(4, 8, limit=7.0)
    assert metrics(at4, "1f1b")["span"] == metrics(at4, "1f1b")["makespan"] == 33
    assert metrics(at4, "zb-h1")["span"] == 27
    assert metrics(at7, "zb-h2")["span"] == 24
    assert not validate(at4, build(at4, "zb-h2")).feasible  # needs 7 units
    assert bounds.makespan_bound(at7) == 27 == bounds.span_bound(at4)
    assert bounds.span_bound(at7) == 24


def test_zb_v_zero_bubble() -> None:
    pb = make(4, 8, chunks=2, stage_placement="v", times={"F": 0.5, "B": 0.5, "W": 0.5})
    got = metrics(pb, "zb-v")
    assert got["span"] == pytest.approx(pb.device_work(0))


@pytest.mark.parametrize(
    "kw",
    [
        {},
        {"chunks": 2},
        {"chunks": 2, "stage_placement": "v"},
        {"comm": 0.1, "times": {"F": [1, 2, 1], "B": 1.5, "W": 0.5}},
    ],
)
def test_every_reference_is_valid(kw: dict) -> None:
    pb = make(3, 6, **kw)
    sols = reference_solutions(pb)
    assert "gpipe" in sols and "list-greedy" in sols
    assert ("zb-greedy" in sols) == (pb.chunks == 1)  # the ZB repository's: one stage a device
    for name, sol in sols.items():
        assert validate(pb, sol).feasible, name
    assert set(sols) <= set(REFERENCES)


@pytest.mark.parametrize("limit", [4.0, 5.5, 7.0])
def test_greedy_respects_memory(limit: float) -> None:
    pb = make(4, 8, limit=limit, times={"F": 1.0, "B": 1.1, "W": 0.6}, comm=0.05)
    report = validate(pb, build(pb, "zb-greedy"))
    assert report.feasible and max(report.metrics["peak_memory"]) <= limit + 1e-9
