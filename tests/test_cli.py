"""The CLI of DESIGN.md: flags, --json keys, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

import schedkit
from schedkit.cli import app

runner = CliRunner()
SMALL = str(Path(__file__).parent.parent / "instances" / "tardiness" / "small-weighted.yaml")
JSON_KEYS = {
    "kind",
    "name",
    "status",
    "objective",
    "lower_bound",
    "gap",
    "backend",
    "runtime_s",
    "valid",
    "solution",
}


def solve_json(*args: str) -> tuple[int, dict]:
    result = runner.invoke(app, ["solve", *args, "--json"])
    return result.exit_code, json.loads(result.stdout)


def test_solve_json_has_the_documented_keys() -> None:
    code, data = solve_json(
        SMALL, "--backend", "cpsat", "--time-limit", "5", "--seed", "3", "--threads", "1"
    )
    assert code == 0
    assert JSON_KEYS <= set(data)
    assert data["kind"] == "tardiness" and data["status"] == "optimal"
    assert data["objective"] == data["lower_bound"] and data["gap"] == 0.0
    assert data["solution"]["kind"] == "tardiness"
    assert sorted(data["solution"]["sequence"]) == list(range(8))


def test_solve_out_then_validate(tmp_path: Path) -> None:
    out = tmp_path / "sol.json"
    result = runner.invoke(app, ["solve", SMALL, "-b", "milp", "-t", "5", "--out", str(out)])
    assert result.exit_code == 0, result.output
    checked = runner.invoke(app, ["validate", SMALL, str(out), "--json"])
    assert checked.exit_code == 0
    report = json.loads(checked.stdout)
    assert report["feasible"] and report["objective"] == json.loads(out.read_text())["objective"]


def test_validate_exits_1_and_lists_violations(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"kind": "tardiness", "sequence": [0, 0, 1, 2, 3, 4, 5, 6]}))
    result = runner.invoke(app, ["validate", SMALL, str(bad)])
    assert result.exit_code == 1
    assert "duplicate_job: job 0 appears 2 times in the sequence" in result.output
    assert "missing_job: job 7 is not in the sequence" in result.output


def test_validate_rejects_a_wrong_claimed_objective(tmp_path: Path) -> None:
    bad = tmp_path / "claim.json"
    bad.write_text(json.dumps({"objective": 1, "solution": {"sequence": list(range(8))}}))
    result = runner.invoke(app, ["validate", SMALL, str(bad), "--json"])
    assert result.exit_code == 1
    assert [v["code"] for v in json.loads(result.stdout)["violations"]] == ["objective_mismatch"]


def test_validate_kind_mismatch_is_bad_input(tmp_path: Path) -> None:
    bad = tmp_path / "other.json"
    bad.write_text(json.dumps({"kind": "rcpsp", "start": [0]}))
    result = runner.invoke(app, ["validate", SMALL, str(bad)])
    assert result.exit_code == 2
    assert "solution is for kind 'rcpsp' but the instance is 'tardiness'" in result.output


def test_info_json() -> None:
    result = runner.invoke(app, ["info", SMALL, "--json"])
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert (data["kind"], data["jobs"], data["weighted"]) == ("tardiness", 8, True)
    assert data["lower_bound"] <= solve_json(SMALL, "-b", "cpsat")[1]["objective"]


def test_bad_param_is_bad_input() -> None:
    result = runner.invoke(app, ["solve", SMALL, "--param", "novalue"])
    assert result.exit_code == 2
    assert "--param 'novalue' is not KEY=VALUE" in result.output


def test_params_pass_through_to_the_backend() -> None:
    code, data = solve_json(SMALL, "-b", "milp", "-p", "formulation=disjunctive")
    assert code == 0
    assert data["stats"]["attempts"]["milp"]["formulation"] == "disjunctive"


def test_convert_writes_yaml_that_loads_back_equal(tmp_path: Path, data_dir: Path) -> None:
    import schedkit

    spec = f"{data_dir}/orlib/wt40.txt#3"
    out = tmp_path / "wt40-3.yaml"
    result = runner.invoke(app, ["convert", spec, "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert schedkit.load(out) == schedkit.load(spec)


def test_export_unknown_format_is_bad_input(tmp_path: Path) -> None:
    sol = tmp_path / "s.json"
    sol.write_text(json.dumps({"sequence": list(range(8))}))
    result = runner.invoke(app, ["export", SMALL, str(sol), "--format", "torch-csv"])
    assert result.exit_code == 2
    assert "no export format 'torch-csv' for kind 'tardiness'" in result.output


def test_export_unknown_format_without_solution_names_the_format() -> None:
    """A format that does not exist is the error, not the missing solution it would need."""
    result = runner.invoke(app, ["export", SMALL, "--format", "nope"])
    assert result.exit_code == 2
    text = " ".join(result.output.split())
    assert "no export format 'nope' for kind 'tardiness' (tardiness: lp, mps, cpsat)" in text


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert (result.exit_code, result.output) == (0, f"schedkit {schedkit.__version__}\n")


def test_profile_refuses_a_non_finite_memory_limit_before_profiling() -> None:
    for value in ("inf", "nan", "0"):
        result = runner.invoke(app, ["profile", "--memory-limit", value])
        assert result.exit_code == 2
        assert result.output.startswith("error: --memory-limit: must be a finite number > 0")
