"""The tardiness validator rejects every corrupted schedule and recomputes the objective."""

from __future__ import annotations

import pytest

from schedkit.models.tardiness import TardinessProblem, TardinessSolution, validate


@pytest.fixture()
def problem() -> TardinessProblem:
    # C = 3, 5, 9 in order 0, 1, 2; T = 1, 0, 3; weighted total 1*1 + 2*0 + 1*3 = 4
    return TardinessProblem.from_arrays(p=[3, 2, 4], d=[2, 5, 6], w=[1, 2, 1], r=[0, 1, 0])


def test_valid_sequence_objective_and_metrics(problem: TardinessProblem) -> None:
    report = validate(problem, TardinessSolution(sequence=(0, 1, 2)))
    assert report.feasible
    assert report.objective == 4.0
    assert report.metrics == {"tardy_jobs": 2, "max_tardiness": 3, "makespan": 9}


def test_release_date_forces_idle_time(problem: TardinessProblem) -> None:
    # job 1 released at 1 starts at 1, ends 3; job 0 runs 3..6 (T=4), job 2 6..10 (T=4)
    report = validate(problem, TardinessSolution(sequence=(1, 0, 2)))
    assert report.objective == 8.0


@pytest.mark.parametrize(
    ("solution", "code"),
    [
        (TardinessSolution(sequence=(0, 0, 2)), "duplicate_job"),
        (TardinessSolution(sequence=(0, 2)), "missing_job"),
        (TardinessSolution(sequence=(0, 1, 2, 7)), "unknown_job"),
        (TardinessSolution(sequence=(0, 1, 2), start=(0, 2, 5)), "overlap"),
        (TardinessSolution(sequence=(1, 0, 2), start=(0, 2, 5)), "release_date"),
        (TardinessSolution(sequence=(0, 1, 2), objective=3), "objective_mismatch"),
        (TardinessSolution(sequence=(0, 1, 2), start=(0, 3)), "bad_start"),
    ],
)
def test_corrupted_schedule_is_rejected(
    problem: TardinessProblem, solution: TardinessSolution, code: str
) -> None:
    report = validate(problem, solution)
    assert not report.feasible
    assert code in report.codes()


def test_explicit_start_times_with_idle_are_valid(problem: TardinessProblem) -> None:
    report = validate(problem, TardinessSolution(sequence=(0, 1, 2), start=(0, 4, 6)))
    assert report.feasible
    assert report.objective == 1 * 1 + 2 * 1 + 1 * 4
