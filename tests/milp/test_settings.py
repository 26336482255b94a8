"""`params["milp"]`: keys, values and the solver are checked before any solve starts."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

import schedkit
from schedkit.cli import app
from schedkit.errors import InputError
from schedkit.solvers.milp import settings
from schedkit.solvers.milp.settings import check_milp_params, milp_settings
from schedkit.solvers.result import Status

from .conftest import SMALL

TARDINESS = str(SMALL["tardiness"])


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"slover": "scip"}, "param milp.slover: unknown MILP parameter 'slover'"),
        ({"mip_gap": 2}, "param milp.mip_gap: mip_gap must be a number in [0, 1], got 2"),
        (
            {"mip_gap": "small"},
            "param milp.mip_gap: mip_gap must be a number in [0, 1], got 'small'",
        ),
        ({"options": 3}, "param milp.options: expected milp.options.NAME=VALUE pairs"),
        ({"solver": "nosuch"}, "param milp.solver: unknown MILP solver 'nosuch'"),
        (
            {"options": {"no_such_option": 1}},
            "param milp.options.no_such_option: highs has no option 'no_such_option'",
        ),
    ],
)
def test_bad_milp_params_are_input_errors(values: dict, message: str) -> None:
    with pytest.raises(InputError) as info:
        check_milp_params(values)
    assert str(info.value).startswith(message)  # a hint in parentheses may follow


def test_missing_solver_names_the_package(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "is_available", lambda name: False)
    with pytest.raises(InputError) as info:
        check_milp_params({"solver": "scip"})
    assert str(info.value) == (
        "param milp.solver: MILP solver 'scip' is not available here: "
        "install pyscipopt (pip install 'schedkit[scip]')"
    )


def test_missing_solver_is_exit_2_with_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "is_available", lambda name: name != "gurobi")
    result = CliRunner().invoke(app, ["solve", TARDINESS, "-b", "milp", "-p", "milp.solver=gurobi"])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert lines == [
        "error: param milp.solver: MILP solver 'gurobi' is not available here: "
        "install gurobipy (pip install 'schedkit[gurobi]')"
    ]


def test_settings_defaults_and_the_older_highs_section() -> None:
    plain = milp_settings({})
    assert (plain.solver, plain.options, plain.gap) == ("highs", {}, 1e-9)
    both = milp_settings(
        {"highs": {"presolve": "off"}, "milp": {"options": {"mip_heuristic_effort": 0.5}}}
    )
    assert both.options == {"presolve": "off", "mip_heuristic_effort": 0.5}
    scip = milp_settings(
        {"highs": {"presolve": "off"}, "milp": {"solver": "scip", "mip_gap": 0.01}}
    )
    assert (scip.solver, scip.options, scip.gap) == ("scip", {}, 0.01)


def test_auto_runs_with_milp_params() -> None:
    problem = schedkit.load(SMALL["tardiness"])
    result = schedkit.solve(problem, "auto", time_limit=5, params={"milp": {"mip_gap": 0}})
    assert result.valid and result.status is Status.OPTIMAL and result.objective == 42
