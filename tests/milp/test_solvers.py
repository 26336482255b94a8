"""Every installed MILP solver proves the same optimum on one small instance of every kind."""

from __future__ import annotations

import pytest

import schedkit
from schedkit.solvers.milp.runner import solve_model
from schedkit.solvers.result import Status, Termination

from .conftest import SMALL, SOLVERS, build, options, solver_param

OPTIMA = {"tardiness": 42.0, "rcpsp": 15.0, "pipeline": 14.0, "placement": 281.5}
"""Optima of the small instances; `schedkit.solve` proves the same with cpsat and milp."""


@pytest.mark.parametrize("kind", sorted(SMALL))
@pytest.mark.parametrize("solver", [solver_param(s) for s in SOLVERS])
def test_same_optimum_on_every_solver(kind: str, solver: str) -> None:
    run = solve_model(build(kind), options(solver))
    assert run.solver == solver
    assert (run.status, run.termination, run.loaded) == (Status.OPTIMAL, Termination.OPTIMAL, True)
    assert run.objective == pytest.approx(OPTIMA[kind], rel=1e-6)
    assert run.bound == pytest.approx(OPTIMA[kind], rel=1e-6)


@pytest.mark.parametrize("solver", [solver_param(s) for s in SOLVERS])
def test_solve_with_param_milp_solver(solver: str) -> None:
    problem = schedkit.load(SMALL["tardiness"])
    result = schedkit.solve(
        problem, "milp", time_limit=20, threads=1, params={"milp": {"solver": solver}}
    )
    assert result.valid and result.backend == "milp"
    assert (result.status, result.objective) == (Status.OPTIMAL, OPTIMA["tardiness"])


@pytest.mark.parametrize("name", [solver_param("gurobi_direct"), solver_param("appsi_highs")])
def test_classic_pyomo_interface(name: str) -> None:
    """Names outside schedkit's table run through Pyomo's classic SolverFactory."""
    run = solve_model(build("tardiness"), options(name))
    assert (run.status, run.termination) == (Status.OPTIMAL, Termination.OPTIMAL)
    assert run.objective == pytest.approx(OPTIMA["tardiness"])
