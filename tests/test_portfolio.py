"""The solve() contract: validated answers, fallbacks recorded in stats, time limits honoured."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import schedkit
from schedkit.errors import FallbackWarning
from schedkit.models.tardiness import SPEC
from schedkit.solvers.result import Status

OPTIMA_40 = {27: 64, 28: 15, 51: 0, 106: 0}


def wt40(data_dir: Path, k: int) -> schedkit.Problem:
    return schedkit.load(f"{data_dir}/orlib/wt40.txt#{k}")


@pytest.mark.parametrize("backend", ["cpsat", "milp"])
@pytest.mark.parametrize("k", [28, 51, 106])
def test_exact_backends_prove_known_optima(data_dir: Path, backend: str, k: int) -> None:
    result = schedkit.solve(wt40(data_dir, k), backend, time_limit=20)
    assert result.status is Status.OPTIMAL
    assert result.objective == OPTIMA_40[k]
    assert result.lower_bound == OPTIMA_40[k]
    assert result.backend == backend


def test_cpsat_proves_a_nonzero_optimum(data_dir: Path) -> None:
    result = schedkit.solve(wt40(data_dir, 27), "cpsat", time_limit=20)
    assert (result.status, result.objective) == (Status.OPTIMAL, 64)


def test_result_objective_is_recomputed_by_the_validator(data_dir: Path) -> None:
    problem = wt40(data_dir, 1)
    result = schedkit.solve(problem, "auto", time_limit=3)
    assert result.valid and result.solution is not None
    report = schedkit.validate(problem, result.solution)
    assert report.feasible and report.objective == result.objective
    assert result.lower_bound is not None and result.objective is not None
    assert result.lower_bound <= result.objective


def test_missing_backend_falls_back_to_the_heuristic(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(SPEC.backends, "cpsat", "schedkit.no_such_module:solve")
    with pytest.warns(FallbackWarning, match="cpsat: backend 'cpsat' cannot be imported"):
        result = schedkit.solve(wt40(data_dir, 1), "cpsat", time_limit=2)
    assert result.valid and result.backend == "heuristic"
    attempt = result.stats["attempts"]["cpsat"]
    assert attempt["termination"] == "unavailable"
    assert attempt["skipped"] == "BackendUnavailable"
    assert attempt["reason"].startswith("backend 'cpsat' cannot be imported: No module named")


def test_crashing_backend_falls_back_and_is_recorded(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(SPEC.backends, "milp", "json:loads")
    with pytest.warns(FallbackWarning, match="milp: crashed: TypeError"):
        result = schedkit.solve(wt40(data_dir, 1), "milp", time_limit=2)
    assert result.valid and result.backend == "heuristic"
    assert result.stats["attempts"]["milp"]["termination"] == "error"
    assert result.stats["attempts"]["milp"]["reason"].startswith("crashed: TypeError")


def test_auto_tries_the_next_exact_backend_when_one_is_missing(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(SPEC.backends, "cpsat", "schedkit.no_such_module:solve")
    # the last exact backend in the plan, played by CP-SAT's model, which proves wt40#27
    monkeypatch.setitem(SPEC.backends, "milp", "schedkit.solvers.cpsat.tardiness:solve")
    # a weak heuristic and a trivial bound, so that the exact backends must run
    monkeypatch.setitem(SPEC.backends, "heuristic", "tests_portfolio_helpers:edd_only")
    monkeypatch.syspath_prepend(str(Path(__file__).parent / "helpers"))
    original = SPEC.lower_bound
    object.__setattr__(SPEC, "lower_bound", lambda problem, budget=None: 0.0)  # frozen spec
    try:
        with pytest.warns(FallbackWarning, match="auto: cpsat did not run"):
            result = schedkit.solve(wt40(data_dir, 27), "auto", time_limit=20)
    finally:
        object.__setattr__(SPEC, "lower_bound", original)
    assert result.status is Status.OPTIMAL and result.objective == OPTIMA_40[27]
    attempts = result.stats["attempts"]
    assert list(attempts) == ["heuristic", "lawler", "cpsat", "milp"]
    assert attempts["lawler"]["skipped"] == "UnsupportedProblem"
    assert attempts["milp"]["termination"] == "optimal"


def test_unknown_backend_is_an_input_error(data_dir: Path) -> None:
    with pytest.raises(schedkit.InputError, match="kind 'tardiness' has no backend 'gurobi'"):
        schedkit.solve(wt40(data_dir, 1), "gurobi")


@pytest.mark.parametrize("backend", ["auto", "cpsat", "milp", "heuristic"])
def test_time_limit_is_honoured(data_dir: Path, backend: str) -> None:
    result = schedkit.solve(wt40(data_dir, 16), backend, time_limit=1.5)  # a hard instance
    assert result.valid
    assert result.runtime_s <= 1.5 + 1.0


def test_solution_round_trips_through_json(data_dir: Path) -> None:
    problem = wt40(data_dir, 3)
    result = schedkit.solve(problem, "heuristic", time_limit=1)
    data = json.loads(result.to_json())
    again = schedkit.solution_from_dict(problem, data)
    assert again == result.solution
    assert schedkit.validate(problem, again).feasible
