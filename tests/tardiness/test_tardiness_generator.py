"""The Potts & Van Wassenhove generator: reproducible, in range, and written as loadable YAML."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
import yaml
from typer.testing import CliRunner

import schedkit
from schedkit.generate.tardiness import command, generate
from schedkit.io.yaml_out import to_yaml
from schedkit.models.tardiness import TardinessProblem


def test_same_seed_same_instance() -> None:
    assert generate(40, 0.6, 0.4, seed=7) == generate(40, 0.6, 0.4, seed=7)
    assert generate(40, 0.6, 0.4, seed=7).jobs != generate(40, 0.6, 0.4, seed=8).jobs


@pytest.mark.parametrize(("tf", "rdd"), [(0.2, 0.2), (0.6, 0.6), (1.0, 1.0), (0.4, 1.0)])
def test_due_dates_in_stated_range(tf: float, rdd: float) -> None:
    for seed in range(5):
        problem = generate(100, tf, rdd, seed)
        total = int(problem.p.sum())
        low, high = total * (1 - tf - rdd / 2), total * (1 - tf + rdd / 2)
        assert problem.d.min() >= max(0.0, low) - 1e-9
        assert problem.d.max() <= high + 1e-9
        assert 1 <= problem.p.min() and problem.p.max() <= 100
        assert not problem.weighted and not problem.has_releases
    # the draws spread over the range: wider RDD, wider spread
    narrow = generate(200, tf, 0.2, seed=0).d
    wide = generate(200, tf, 1.0, seed=0).d
    assert narrow.max() - narrow.min() < wide.max() - wide.min()


def test_weighted_weights() -> None:
    problem = generate(200, 0.6, 0.6, seed=3, weighted=True)
    assert problem.weighted
    assert problem.w.min() >= 1 and problem.w.max() <= 10
    assert len(set(problem.w.tolist())) == 10


def test_yaml_round_trip() -> None:
    problem = TardinessProblem.from_arrays(p=[3, 2], d=[5, 1], w=[2, 1], r=[0, 4], name="t")
    data = yaml.safe_load(to_yaml(problem))
    assert data["kind"] == "tardiness"
    assert data["columns"]["release_date"] == [0, 4]
    assert TardinessProblem.model_validate(data) == problem
    plain = yaml.safe_load(to_yaml(generate(5, 0.5, 0.5, seed=1)))
    assert set(plain["columns"]) == {"processing_time", "due_date", "weight"}


def test_command_writes_and_prints(tmp_path: Path) -> None:
    app = typer.Typer()
    app.command()(command)
    runner = CliRunner()
    out = tmp_path / "g.yaml"
    args = ["--n", "12", "--tf", "0.8", "--rdd", "0.2", "--seed", "4", "--weighted"]
    result = runner.invoke(app, [*args, "--out", str(out)])
    assert result.exit_code == 0, result.output
    loaded = schedkit.load(out)
    assert isinstance(loaded, TardinessProblem)
    assert loaded.jobs == generate(12, 0.8, 0.2, seed=4, weighted=True).jobs
    printed = runner.invoke(app, args)
    assert printed.exit_code == 0
    assert yaml.safe_load(printed.output)["columns"] == yaml.safe_load(out.read_text())["columns"]


def test_rejects_bad_parameters() -> None:
    with pytest.raises(ValueError, match="TF"):
        generate(10, 1.5, 0.2, seed=0)
    with pytest.raises(ValueError, match="n must"):
        generate(0, 0.5, 0.2, seed=0)
