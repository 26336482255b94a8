"""The independent validator on corrupted schedules: each broken constraint has its code."""

from __future__ import annotations

import pytest

from schedkit.models.rcpsp import RcpspProblem, RcpspSolution, validate

PROBLEM = RcpspProblem.model_validate(
    {
        "resources": [
            {"name": "R", "capacity": 3, "downtime": [{"start": 10, "end": 12, "capacity": 1}]}
        ],
        "activities": [
            {"id": "a", "duration": 3, "demands": [2]},
            {"id": "b", "duration": 2, "demands": [2]},
            {"id": "c", "duration": 2, "demands": [1], "release": 1, "deadline": 9},
            {"id": "d", "duration": 2, "demands": [1]},
        ],
        "precedences": [
            {"before": "a", "after": "b", "lag": 1},
            {"before": "a", "after": "c", "type": "SS", "lag": 1},
        ],
        "disjunctive": [["c", "d"]],
    }
)
GOOD = (0, 4, 1, 3)  # a [0,3) b [4,6) c [1,3) d [3,5)


def test_valid_schedule() -> None:
    report = validate(PROBLEM, RcpspSolution(start=GOOD, objective=6))
    assert report.feasible, report.violations
    assert report.objective == 6


@pytest.mark.parametrize(
    ("start", "code"),
    [
        ((0, 3, 1, 3), "precedence"),  # FS lag 1: b must wait until 4
        ((1, 4, 1, 3), "precedence"),  # SS lag 1: c must start >= 2
        ((0, 4, 0, 3), "precedence"),  # c before its release too
        ((0, 4, 8, 3), "deadline"),  # c ends at 10 > 9
        ((0, 4, 1, 2), "disjunctive_overlap"),  # d [2,4) overlaps c [1,3)
        ((0, 10, 1, 10), "downtime_overload"),  # b + d = 3 > 1 inside [10, 12)
        ((0, 1, 1, 5), "resource_overload"),  # a and b together use 4 > 3 at t=1
        ((-1, 4, 1, 3), "negative_start"),
        ((0, 4, 1), "bad_length"),
    ],
)
def test_corrupted_schedules(start: tuple[int, ...], code: str) -> None:
    report = validate(PROBLEM, RcpspSolution(start=start))
    assert code in report.codes(), report.violations


def test_release_and_claimed_objective() -> None:
    p = PROBLEM.model_copy(update={"precedences": ()})
    assert "release" in validate(p, RcpspSolution(start=(0, 4, 0, 3))).codes()
    report = validate(PROBLEM, RcpspSolution(start=GOOD, objective=5))
    assert report.codes() == ["objective_mismatch"]
