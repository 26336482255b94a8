"""Time scales far beyond PSPLIB's, and spent budgets: every backend still answers correctly.

No time is materialised as an array of horizon length, so a downtime window at 1e9 or two
activities of 6e8 cost as little as small numbers; a zero time limit still yields a schedule.
"""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path

import pytest

import schedkit
from schedkit.models.rcpsp import RcpspProblem, RcpspSolution, validate
from schedkit.solvers.result import Status

BACKENDS = ("auto", "heuristic", "cpsat", "milp")


def _far_downtime() -> RcpspProblem:
    return RcpspProblem.model_validate(
        {
            "name": "far_downtime",
            "resources": [
                {"name": "R", "capacity": 2, "downtime": [{"start": 10**9, "end": 10**9 + 5}]}
            ],
            "activities": [
                {"id": "a", "duration": 3, "demands": [2]},
                {"id": "b", "duration": 4, "demands": [1]},
            ],
        }
    )


def _huge_chain() -> RcpspProblem:
    return RcpspProblem.model_validate(
        {
            "name": "huge_chain",
            "resources": [{"name": "R", "capacity": 1}],
            "activities": [
                {"id": "a", "duration": 6 * 10**8, "demands": [1]},
                {"id": "b", "duration": 6 * 10**8, "demands": [1]},
            ],
            "precedences": [{"before": "a", "after": "b"}],
        }
    )


@pytest.mark.parametrize("backend", BACKENDS)
def test_downtime_far_in_the_future(backend: str) -> None:
    result = schedkit.solve(_far_downtime(), backend, time_limit=5, threads=1)
    assert result.valid and result.objective == 7
    assert result.status in (Status.OPTIMAL, Status.FEASIBLE)


@pytest.mark.parametrize("backend", BACKENDS)
def test_huge_durations_need_no_default_deadline(backend: str) -> None:
    result = schedkit.solve(_huge_chain(), backend, time_limit=5, threads=1)
    assert result.status is Status.OPTIMAL
    assert result.objective == 12 * 10**8


def test_downtime_that_ends_late_is_used_after_it() -> None:
    problem = RcpspProblem.model_validate(
        {
            "resources": [{"name": "R", "capacity": 1, "downtime": [{"start": 2, "end": 10**9}]}],
            "activities": [{"id": "a", "duration": 3, "demands": [1]}],
        }
    )
    result = schedkit.solve(problem, "heuristic", time_limit=5)
    assert result.solution is not None and result.solution.start == (10**9,)  # type: ignore[attr-defined]


@pytest.mark.parametrize("backend", BACKENDS)
def test_zero_time_limit_still_answers(instances_dir: Path, backend: str) -> None:
    problem = schedkit.load(instances_dir / "rcpsp" / "small.yaml")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a named exact backend falls back to the heuristic
        result = schedkit.solve(problem, backend, time_limit=0)
    assert result.valid
    assert result.status in (Status.OPTIMAL, Status.FEASIBLE)


def test_validator_checks_huge_times_by_breakpoints() -> None:
    problem = _huge_chain()
    overlap = validate(problem, RcpspSolution(start=(0, 5 * 10**8)))
    assert [v.code for v in overlap.violations] == ["precedence", "resource_overload"]
    assert validate(problem, RcpspSolution(start=(0, 6 * 10**8))).feasible


def test_exact_backends_import_no_heuristic() -> None:
    code = (
        "import sys, schedkit.solvers.cpsat.rcpsp, schedkit.solvers.milp.rcpsp; "
        "print(sorted(m for m in sys.modules if 'heuristics' in m))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
