"""`schedkit replay` flags: --runtime torch for pipelines, --processes for placements, and the
wrong flag for a kind is bad input (exit 2)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

pytest.importorskip("torch.distributed.pipelining", reason="needs PyTorch (schedkit[replay])")

from schedkit.cli import app
from schedkit.execute import write_pipeline_yaml
from schedkit.io.solution import save_solution

from .replay_helpers import problem, ref

runner = CliRunner()
PLACEMENT = Path(__file__).parents[2] / "instances" / "placement" / "replan_tiny.yaml"
TINY = ["--hidden", "32", "--seq", "8", "--batch", "2", "--iters", "1"]


def pipeline_files(tmp_path: Path) -> list[str]:
    pb = problem(2, 2)
    sol = ref(pb, "zb-h1")
    write_pipeline_yaml(pb, str(tmp_path / "pipe.yaml"))
    save_solution(sol, tmp_path / "sol.json")
    return [str(tmp_path / "pipe.yaml"), str(tmp_path / "sol.json")]


def placement_files(tmp_path: Path) -> list[str]:
    solved = tmp_path / "placement.json"
    result = runner.invoke(app, ["solve", str(PLACEMENT), "-t", "2", "--out", str(solved)])
    assert result.exit_code == 0, result.output
    return [str(PLACEMENT), str(solved)]


def test_pipeline_runtime_torch_json(tmp_path: Path) -> None:
    args = ["replay", *pipeline_files(tmp_path), "--device", "cpu", "--runtime", "torch"]
    result = runner.invoke(app, [*args, *TINY, "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["runtime"] == "torch" and data["grads_ok"] is True
    assert set(data["measures"]) == {"zb-h1", "1f1b"}


def test_wrong_flag_for_the_kind_is_bad_input(tmp_path: Path) -> None:
    pipe = pipeline_files(tmp_path)
    result = runner.invoke(app, ["replay", *pipe, "--processes"])
    assert result.exit_code == 2
    assert result.output == (
        "error: processes: --processes / --one-process is not an option of a pipeline replay "
        "(its options: --runtime)\n"
    )
    result = runner.invoke(app, ["replay", *pipe, "--runtime", "deepspeed"])
    assert result.exit_code == 2
    assert result.output == "error: runtime: unknown runtime 'deepspeed' (schedkit or torch)\n"
    place = placement_files(tmp_path)
    result = runner.invoke(app, ["replay", *place, "--runtime", "torch"])
    assert result.exit_code == 2
    assert result.output == (
        "error: runtime: --runtime is not an option of a placement replay "
        "(its options: --processes / --one-process)\n"
    )


def test_placement_one_process_per_gpu(tmp_path: Path) -> None:
    """replan_tiny has 2 GPUs: 2 gloo processes, one per GPU."""
    args = ["replay", *placement_files(tmp_path), "--device", "cpu", "--processes"]
    result = runner.invoke(app, [*args, "--hidden", "32", "--iters", "1", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["processes"] == 2 and data["backend"] == "gloo"
    assert all(m["output_max_abs_diff"] < 1e-4 for m in data["measures"].values())
