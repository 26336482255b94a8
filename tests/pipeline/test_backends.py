"""Backends: validity, agreement of the exact ones, optimality proofs, bounds, speed."""

from __future__ import annotations

import importlib

import pytest

import schedkit
from schedkit.models.pipeline import bounds
from schedkit.models.pipeline.references import build, feasible_references
from schedkit.solvers.result import SolveOptions, Status, Termination

from .pipeline_helpers import make

NONUNIFORM = {"times": {"F": 1.0, "B": 1.1, "W": 0.6}, "comm": 0.05}
BACKENDS = ["heuristic", "cpsat", "milp"]
KIND_DIR = {"heuristic": "heuristics", "cpsat": "cpsat", "milp": "milp"}


def run(backend: str, pb, time_limit: float = 20.0, hint=None):
    module = importlib.import_module(f"schedkit.solvers.{KIND_DIR[backend]}.pipeline")
    return module.solve(pb, SolveOptions(time_limit=time_limit, threads=2), hint)


TINY = [
    make(2, 3, limit=2.0, objective="span", **NONUNIFORM),
    make(3, 4, limit=3.0, objective="makespan", **NONUNIFORM),
    make(3, 4, limit=5.0, objective="span"),
    make(2, 3, chunks=2, stage_placement="v", limit=3.0, **NONUNIFORM),
]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("idx", range(len(TINY)))
def test_backend_valid_and_not_worse_than_references(backend: str, idx: int) -> None:
    pb = TINY[idx]
    out = run(backend, pb, time_limit=3.0 if backend == "heuristic" else 20.0)
    assert out.solution is not None
    report = schedkit.validate(pb, out.solution)
    assert report.feasible, report.codes()
    best_ref = min(
        (r.objective or 0 for _, r in feasible_references(pb).values()), default=float("inf")
    )
    assert (report.objective or 0) <= best_ref + 1e-6
    assert (report.objective or 0) >= (bounds.lower_bound(pb) or 0) - 1e-6


@pytest.mark.parametrize("idx", range(len(TINY)))
def test_exact_backends_agree(idx: int) -> None:
    pb = TINY[idx]
    cp, mi = run("cpsat", pb), run("milp", pb)
    assert cp.status is Status.OPTIMAL and mi.status is Status.OPTIMAL
    values = [schedkit.validate(pb, o.solution).objective for o in (cp, mi)]
    assert values[0] == pytest.approx(values[1], abs=1e-6)


@pytest.mark.parametrize("limit", [4.0, 7.0])
@pytest.mark.parametrize("objective", ["span", "makespan"])
def test_cpsat_proves_p4_m8(limit: float, objective: str) -> None:
    pb = make(4, 8, limit=limit, objective=objective, **NONUNIFORM)
    out = run("cpsat", pb, time_limit=60)
    assert out.status is Status.OPTIMAL
    value = schedkit.validate(pb, out.solution).objective
    assert out.lower_bound == pytest.approx(value, abs=1e-6)
    refs = feasible_references(pb)
    assert all(value <= r.objective + 1e-6 for _, r in refs.values())


def test_issue_example_optimal_by_bound() -> None:
    for limit, span in ((4.0, 27.0), (7.0, 24.0)):
        result = schedkit.solve(make(4, 8, limit=limit), time_limit=5)
        assert result.status is Status.OPTIMAL and result.objective == span
        assert result.metrics["makespan"] == 27.0


def test_portfolio_reports_metrics(instances_dir) -> None:
    pb = schedkit.load(instances_dir / "pipeline" / "p4-m8-nonuniform.yaml")
    result = schedkit.solve(pb, time_limit=5)
    assert result.valid and result.objective == result.metrics["makespan"]
    assert {"span", "bubble_ratio", "peak_memory"} <= set(result.metrics)
    assert max(result.metrics["peak_memory"]) <= 7.0


def test_infeasible_memory() -> None:
    pb = make(3, 4, limit=0.5)
    for backend in ("heuristic", "cpsat"):
        assert run(backend, pb).status is Status.INFEASIBLE
    assert schedkit.solve(pb, time_limit=2).status is Status.INFEASIBLE


def test_heuristic_large_matches_zb_greedy() -> None:
    """At 12k ops (no local search) the answer is still at least the Zero Bubble greedy's."""
    pb = make(32, 128, limit=32.0, **NONUNIFORM)
    out = run("heuristic", pb, time_limit=10)
    assert out.solution is not None
    report = schedkit.validate(pb, out.solution)
    zb = build(pb, "zb-greedy")
    assert zb is not None and report.feasible
    assert report.objective <= schedkit.validate(pb, zb).objective + 1e-9


def test_cpsat_answers_within_a_short_limit() -> None:
    """A 2 s limit on 384 ops: an answer always (CP-SAT's own, or its hint when the search
    finds none in time) and a termination that says which. (The time itself is measured in
    benchmarks/overrun.py, not asserted here.)"""
    pb = make(8, 16, limit=8.0, **NONUNIFORM)
    out = run("cpsat", pb, time_limit=2.0)
    assert out.solution is not None and schedkit.validate(pb, out.solution).feasible
    assert out.status in (Status.OPTIMAL, Status.FEASIBLE)
    assert out.termination in (Termination.OPTIMAL, Termination.TIME_LIMIT)


def test_cpsat_and_milp_refuse_huge_models_before_building() -> None:
    from schedkit.errors import ModelTooLarge

    pb = make(64, 512, limit=64.0, **NONUNIFORM)
    for backend in ("cpsat", "milp"):
        with pytest.raises(ModelTooLarge):
            run(backend, pb, time_limit=2.0)


@pytest.mark.parametrize("limit", [4.0, 7.0])
def test_heuristic_not_worse_than_any_reference_heterogeneous(limit: float) -> None:
    """Heterogeneous stages with comm: every reference (torch's too, when installed) is a
    starting point, so none beats the heuristic."""
    times = {"F": [1.0, 1.2, 0.8, 1.1], "B": [1.1, 1.4, 1.0, 1.3], "W": [0.6, 0.9, 0.5, 0.7]}
    pb = make(4, 8, limit=limit, times=times, comm=0.05)
    res = schedkit.solve(
        pb, backend="heuristic", time_limit=10, params={"torch_schedules": True, "improve_time": 0}
    )
    refs = feasible_references(pb)
    assert res.valid and "zb-greedy" in refs
    assert res.objective <= min(r.objective for _, r in refs.values()) + 1e-9
