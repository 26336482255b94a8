"""The runner's status, termination and bound mapping, MIP starts, and its error paths."""

from __future__ import annotations

import pyomo.environ as pyo
import pytest

from schedkit.errors import BackendUnavailable
from schedkit.solvers.budget import Budget
from schedkit.solvers.milp import runner
from schedkit.solvers.milp.runner import solve_model
from schedkit.solvers.milp.termination import Outcome
from schedkit.solvers.result import Status, Termination

from .conftest import SOLVERS, options, solver_param

ALL = [solver_param(s) for s in SOLVERS]


def knapsack(infeasible: bool = False) -> pyo.ConcreteModel:
    """min -sum v_i x_i with sum w_i x_i <= 10: optimum -18 (items 0 and 1)."""
    m = pyo.ConcreteModel()
    m.x = pyo.Var(range(4), within=pyo.Binary)
    w, v = [5, 4, 6, 3], [10, 8, 5, 4]
    m.cap = pyo.Constraint(expr=sum(w[i] * m.x[i] for i in range(4)) <= 10)
    if infeasible:
        m.all = pyo.Constraint(expr=sum(m.x[i] for i in range(4)) >= 4)
    m.obj = pyo.Objective(expr=-sum(v[i] * m.x[i] for i in range(4)))
    return m


@pytest.mark.parametrize("solver", ALL)
def test_optimum_and_bound(solver: str) -> None:
    m = knapsack()
    run = solve_model(m, options(solver))
    assert (run.status, run.termination, run.objective, run.bound) == (
        Status.OPTIMAL,
        Termination.OPTIMAL,
        pytest.approx(-18),
        pytest.approx(-18),
    )
    assert [round(m.x[i].value) for i in range(4)] == [1, 1, 0, 0]


@pytest.mark.parametrize("solver", ALL)
def test_infeasible(solver: str) -> None:
    run = solve_model(knapsack(infeasible=True), options(solver))
    assert (run.status, run.termination, run.loaded) == (
        Status.INFEASIBLE,
        Termination.INFEASIBLE,
        False,
    )


@pytest.mark.parametrize("solver", ALL)
def test_partial_mip_start(solver: str) -> None:
    """A start naming some variables only (the others start at 0) is taken or ignored, never
    an error."""
    m = knapsack()
    run = solve_model(m, options(solver), [(m.x[0], 1.0)])
    assert run.status is Status.OPTIMAL and run.objective == pytest.approx(-18)


def test_gap_left_open_is_not_optimal() -> None:
    outcome = Outcome(True, 100.0, 99.0, Termination.OPTIMAL, "convergenceCriteriaSatisfied")
    run = runner._finish(outcome, Budget.start(10), "highs")
    assert (run.status, run.termination, run.bound) == (
        Status.FEASIBLE,
        Termination.COMPLETED,
        99.0,
    )


def test_stop_after_the_deadline_is_a_time_limit() -> None:
    outcome = Outcome(True, 100.0, 90.0, Termination.COMPLETED, "iterationLimit")
    run = runner._finish(outcome, Budget.start(0), "scip")
    assert (run.status, run.termination) == (Status.FEASIBLE, Termination.TIME_LIMIT)


def test_no_solution_in_time_is_unknown() -> None:
    outcome = Outcome(False, None, float("-inf"), Termination.TIME_LIMIT, "maxTimeLimit")
    run = runner._finish(outcome, Budget.start(0), "highs")
    assert (run.status, run.termination, run.bound) == (
        Status.UNKNOWN,
        Termination.TIME_LIMIT,
        None,
    )


def test_missing_solver_is_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runner, "is_available", lambda name: False)
    with pytest.raises(BackendUnavailable, match=r"install pyscipopt \(pip install"):
        solve_model(knapsack(), options("scip"))


def test_licence_refusal_is_unavailable() -> None:
    def refuse() -> None:
        raise RuntimeError("Model too large for size-limited license")

    with (
        pytest.raises(BackendUnavailable, match="gurobi: Model too large"),
        runner._licence_limits("gurobi"),
    ):
        refuse()
