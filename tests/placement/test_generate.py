"""`generate placement`: the `deepseek-v3` preset (dense layers, hot groups) and its option
checks."""

from __future__ import annotations

import numpy as np
import yaml
from typer.testing import CliRunner

from schedkit.cli import app
from schedkit.generate.placement import PRESETS, expert_loads


def run(*args: str) -> tuple[int, str]:
    """`schedkit generate placement ARGS`: exit code and output."""
    res = CliRunner().invoke(app, ["generate", "placement", *args])
    return res.exit_code, res.output


def test_preset_shape(tmp_path):
    out = tmp_path / "ep64.yaml"
    code, text = run(
        "--preset", "deepseek-v3", "--redundant", "64", "--nodes", "8", "--gpus-per-node", "8",
        "-o", str(out),
    )  # fmt: skip
    assert code == 0, text
    data = yaml.safe_load(out.read_text())
    loads = np.array(data["loads"])
    assert loads.shape == (61, 256) and data["groups"] == 8 and data["slots_per_gpu"] == 5
    assert not loads[:3].any() and loads[3:].all(axis=1).any()
    assert (loads[3:].sum(axis=1) == 200_000 * 8).all()


def test_grouped_loads_run_hot_by_group():
    pre = PRESETS["deepseek-v3"]
    w = expert_loads(
        40, 256, dist="grouped", skew=pre["skew"], group_skew=pre["group_skew"], groups=8, seed=1
    )
    spread = w.reshape(40, 8, 32).sum(axis=2)
    ratio = spread.max(axis=1) / spread.mean(axis=1)
    assert 1.3 < float(np.median(ratio)) < 2.5  # the hottest group carries well above its share


def test_option_errors():
    code, text = run("--dist", "grouped", "-o", "x.yaml")
    assert code == 2 and "--dist grouped needs --groups" in text
    code, text = run("--preset", "nope", "-o", "x.yaml")
    assert code == 2 and "unknown preset 'nope' (valid: deepseek-v3)" in text
