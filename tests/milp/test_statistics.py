"""`schedkit info --model milp|cpsat`: the counts match what a solver reads from the file."""

from __future__ import annotations

import json
from pathlib import Path

import highspy
import pytest
from typer.testing import CliRunner

import schedkit
from schedkit.cli import app
from schedkit.solvers.compiled import compile_model
from schedkit.solvers.compiled.export import model_text
from schedkit.solvers.compiled.statistics import statistics

from .conftest import SMALL, options


@pytest.mark.parametrize("kind", sorted(SMALL))
def test_milp_counts_match_highs(kind: str, tmp_path: Path) -> None:
    compiled = compile_model(schedkit.load(SMALL[kind]), "milp", options())
    stats = statistics(compiled)
    path = tmp_path / "model.mps"
    path.write_text(model_text(compiled, "mps"))
    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    highs.readModel(str(path))
    lp = highs.getLp()
    assert sum(stats["variables"].values()) == lp.num_col_
    assert stats["constraints"]["total"] == lp.num_row_
    assert stats["nonzeros"] == highs.getNumNz()
    integral = sum(1 for t in lp.integrality_ if t == highspy.HighsVarType.kInteger)
    assert stats["variables"]["binary"] + stats["variables"]["integer"] == integral


def test_cpsat_counts_of_the_tardiness_model() -> None:
    """One start and one tardiness variable per job plus the makespan: 2n + 1 integers; one
    interval per job and one no-overlap."""
    problem = schedkit.load(SMALL["tardiness"])
    stats = statistics(compile_model(problem, "cpsat", options()))
    n = problem.n  # type: ignore[attr-defined]
    assert stats["variables"]["integer"] + stats["variables"]["boolean"] >= 2 * n
    assert stats["constraints"]["interval"] == n
    assert stats["constraints"]["no_overlap"] == 1


def test_info_model_json() -> None:
    result = CliRunner().invoke(app, ["info", str(SMALL["rcpsp"]), "--model", "milp", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert "highs" in data["milp_solvers"]
    model = data["model"]
    assert model["engine"] == "milp" and model["build_s"] >= 0
    assert set(model["variables"]) == {"binary", "integer", "continuous"}
    assert model["constraints"]["total"] == (
        model["constraints"].get("equality", 0) + model["constraints"].get("inequality", 0)
    )


def test_info_unknown_model_is_exit_2() -> None:
    result = CliRunner().invoke(app, ["info", str(SMALL["rcpsp"]), "--model", "gurobi"])
    assert result.exit_code == 2
    assert "kind 'rcpsp' has no 'gurobi' model (known: milp, cpsat)" in result.output
