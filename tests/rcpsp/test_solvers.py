"""Backends against known optima (j30opt.sm), side constraints, infeasibility, size limits."""

from __future__ import annotations

from pathlib import Path

import pytest

import schedkit
from schedkit.errors import ModelTooLarge
from schedkit.generate.rcpsp import generate
from schedkit.models.rcpsp import RcpspProblem, RcpspSolution
from schedkit.solvers.milp.rcpsp import check_size
from schedkit.solvers.result import SolveOptions, Status

EASY_J30 = ["j301_1", "j305_1", "j3041_1", "j309_3"]


def _j30(data_dir: Path, name: str) -> schedkit.Problem:
    return schedkit.load(data_dir / "psplib" / "j30" / f"{name}.sm")


@pytest.mark.parametrize("name", EASY_J30)
def test_cpsat_proves_j30_optima(data_dir: Path, optima: dict[str, int], name: str) -> None:
    result = schedkit.solve(_j30(data_dir, name), "cpsat", time_limit=20, threads=2)
    assert result.status is Status.OPTIMAL and result.valid
    assert result.objective == optima[name] == result.lower_bound


@pytest.mark.parametrize("share", [0.0, 1.0])
def test_cpsat_improvement_phase_keeps_proofs(
    data_dir: Path, optima: dict[str, int], share: float
) -> None:
    """With one worker, all of CP-SAT's time in either phase still proves a j30 optimum."""
    problem = _j30(data_dir, "j3010_1")
    result = schedkit.solve(
        problem, "cpsat", time_limit=20, threads=1, params={"improve_share": share}
    )
    assert result.status is Status.OPTIMAL and result.objective == optima["j3010_1"]


def test_cpsat_proof_phase_proves_an_optimal_hint(data_dir: Path, optima: dict[str, int]) -> None:
    """Given the optimum as its incumbent, CP-SAT proves it by finding nothing shorter."""
    from schedkit.solvers.cpsat.rcpsp import solve as cpsat_solve

    problem = _j30(data_dir, "j3010_1")
    assert isinstance(problem, RcpspProblem)
    first = schedkit.solve(problem, "cpsat", time_limit=20, threads=1)
    hint = first.solution
    assert isinstance(hint, RcpspSolution) and first.objective == optima["j3010_1"]
    out = cpsat_solve(problem, SolveOptions(time_limit=20, threads=1), hint)
    assert out.status is Status.OPTIMAL and out.lower_bound == optima["j3010_1"]
    assert out.stats["proof"] == "nothing shorter than the incumbent"
    assert out.solution is not None and list(out.solution.start) == list(hint.start)


def test_milp_proves_smallest_j30(data_dir: Path, optima: dict[str, int]) -> None:
    result = schedkit.solve(_j30(data_dir, "j301_1"), "milp", time_limit=30, threads=1)
    assert result.status is Status.OPTIMAL and result.objective == optima["j301_1"]
    assert result.stats["attempts"]["milp"]["status"] in ("optimal",)


@pytest.mark.parametrize("name", ["j301_1", "j305_1"])
def test_heuristic_reaches_easy_optima(data_dir: Path, optima: dict[str, int], name: str) -> None:
    result = schedkit.solve(
        _j30(data_dir, name), "heuristic", time_limit=10, params={"schedules": 5000}
    )
    assert result.valid and result.objective == optima[name]


@pytest.mark.parametrize("backend", ["cpsat", "milp", "heuristic"])
def test_small_example_with_side_constraints(instances_dir: Path, backend: str) -> None:
    result = schedkit.solve(
        schedkit.load(instances_dir / "rcpsp" / "small.yaml"), backend, time_limit=10
    )
    assert result.valid and result.objective == 15
    if backend != "heuristic":
        assert result.status is Status.OPTIMAL


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_generated_instances_solved_and_validated(seed: int) -> None:
    problem = generate(10, 2, seed=seed, disjunctive=3)
    result = schedkit.solve(problem, time_limit=10)
    assert result.status is Status.OPTIMAL and result.valid
    assert schedkit.validate(problem, result.solution).feasible  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("file", "reason"),
    [
        ("infeasible_capacity.yaml", "needs 3 units of resource crane whose capacity is 2"),
        ("infeasible_deadline.yaml", "cannot finish before"),
    ],
)
def test_static_infeasibility(instances_dir: Path, file: str, reason: str) -> None:
    problem = schedkit.load(instances_dir / "rcpsp" / file)
    for backend in ("auto", "cpsat", "milp", "heuristic"):
        result = schedkit.solve(problem, backend, time_limit=5)
        assert result.status is Status.INFEASIBLE and result.solution is None
        attempt = next(iter(result.stats["attempts"].values()))
        assert reason in attempt["reason"]


def test_cpsat_proves_infeasibility_beyond_static_checks() -> None:
    problem = RcpspProblem.model_validate(
        {
            "activities": [
                {"id": "a", "duration": 5, "deadline": 8},
                {"id": "b", "duration": 5, "deadline": 8},
            ],
            "disjunctive": [["a", "b"]],
        }
    )
    result = schedkit.solve(problem, time_limit=5)
    assert result.status is Status.INFEASIBLE
    assert "CP-SAT proved" in result.stats["attempts"]["cpsat"]["reason"]


def test_milp_refuses_large_models() -> None:
    acts = [{"id": j, "duration": 100, "demands": [1]} for j in range(400)]
    problem = RcpspProblem.model_validate(
        {"resources": [{"name": "R", "capacity": 2}], "activities": acts}
    )
    with pytest.raises(ModelTooLarge, match="limits 60000 binaries"):
        check_size(problem, 20_000)


def test_auto_with_one_worker_proves_then_restarts_the_ga(data_dir: Path) -> None:
    """One worker: GA run, CP-SAT's proof phase without its LNS phase, then GA restarts from
    the best schedule (j6029_10 is not proven within seconds). More workers: CP-SAT to the end."""
    problem = schedkit.load(data_dir / "psplib" / "j60" / "j6029_10.sm")
    one = schedkit.solve(problem, time_limit=6, threads=1)
    attempts = one.stats["attempts"]
    assert list(attempts) == ["heuristic", "cpsat", "heuristic#2"]
    assert attempts["heuristic"]["ga_runs"] == 1 and "improvement_rounds" not in attempts["cpsat"]
    assert (
        one.valid
        and one.objective is not None
        and one.objective <= min(a["objective"] for a in attempts.values())
    )
    two = schedkit.solve(problem, time_limit=6, threads=2)
    assert list(two.stats["attempts"]) == ["heuristic", "cpsat"]


def test_auto_keeps_the_users_params(data_dir: Path) -> None:
    """A user's `improve_share` and `restart` win over the plan's defaults."""
    problem = schedkit.load(data_dir / "psplib" / "j60" / "j6029_10.sm")
    params = {"improve_share": 0.5, "restart": True, "stall": 3}
    attempts = schedkit.solve(problem, time_limit=6, threads=1, params=params).stats["attempts"]
    assert "improvement_rounds" in attempts["cpsat"] and attempts["heuristic"]["ga_runs"] > 1
