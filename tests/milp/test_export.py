"""`schedkit export --format lp|mps|cpsat` writes the compiled model; other tools read it back
(highspy's readModel, CP-SAT's proto parser) and find the instance's optimum."""

from __future__ import annotations

from pathlib import Path

import highspy
import pytest
from google.protobuf import text_format
from ortools.sat import cp_model_pb2
from ortools.sat.python import cp_model
from typer.testing import CliRunner

from schedkit.cli import app

from .conftest import SMALL
from .test_solvers import OPTIMA

CPSAT_KINDS = ("tardiness", "rcpsp")
"""Kinds whose CP-SAT objective is in the instance's units (pipeline and placement scale
times and loads to integers)."""


def export(kind: str, fmt: str, folder: Path, *params: str) -> Path:
    out = folder / f"{kind}.{fmt}"
    args = ["export", str(SMALL[kind]), "-f", fmt, "-o", str(out)]
    for p in params:
        args += ["-p", p]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    return out


def highs_optimum(path: Path) -> float:
    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    assert highs.readModel(str(path)) == highspy.HighsStatus.kOk
    highs.run()
    assert highs.getModelStatus() == highspy.HighsModelStatus.kOptimal
    return float(highs.getInfo().objective_function_value)


@pytest.mark.parametrize("fmt", ["lp", "mps"])
@pytest.mark.parametrize("kind", sorted(SMALL))
def test_lp_and_mps_read_back_with_highspy(kind: str, fmt: str, tmp_path: Path) -> None:
    path = export(kind, fmt, tmp_path)
    assert highs_optimum(path) == pytest.approx(OPTIMA[kind], rel=1e-6)


@pytest.mark.parametrize("kind", sorted(SMALL))
def test_cpsat_text_proto_reads_back(kind: str, tmp_path: Path) -> None:
    path = export(kind, "cpsat", tmp_path)
    proto = text_format.Parse(path.read_text(), cp_model_pb2.CpModelProto())
    model = cp_model.CpModel()
    model.proto.parse_text_format(text_format.MessageToString(proto))
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.max_time_in_seconds = 30
    assert solver.solve(model) == cp_model.OPTIMAL
    if kind in CPSAT_KINDS:
        assert solver.objective_value == pytest.approx(OPTIMA[kind])


def test_params_shape_the_exported_model(tmp_path: Path) -> None:
    """The tardiness MILP is time-indexed (x) by default, disjunctive (C, T, y) on request;
    both give the optimum."""
    default = export("tardiness", "lp", tmp_path).read_text()
    assert "x(0_0)" in default and "y(0_1)" not in default
    path = export("tardiness", "lp", tmp_path / "..", "formulation=disjunctive")
    text = path.read_text()
    assert "y(0_1)" in text and "C(0)" in text and "x(0_0)" not in text
    assert highs_optimum(path) == pytest.approx(OPTIMA["tardiness"])


def test_model_format_errors() -> None:
    runner = CliRunner()
    tardiness = str(SMALL["tardiness"])
    bad_param = runner.invoke(app, ["export", tardiness, "-f", "lp", "-p", "milp.solver=nosuch"])
    assert bad_param.exit_code == 2
    assert "unknown MILP solver 'nosuch'" in bad_param.output
    free = str(Path(__file__).with_name("placement_free.yaml"))
    no_model = runner.invoke(app, ["export", free, "-f", "cpsat"])
    assert no_model.exit_code == 2
    assert "no cpsat model: cpsat models split: even only" in no_model.output
