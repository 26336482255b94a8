"""A kind defined only under tests/ (0/1 knapsack) gets every command through its KindSpec."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

import schedkit
from schedkit import kinds
from schedkit.cli import app

HERE = Path(__file__).resolve().parent
SMALL = str(HERE / "schedkit_knapsack" / "small.yaml")
OPTIMUM, GREEDY, BOUND = 4, 7, 2
runner = CliRunner()


@pytest.fixture(autouse=True)
def knapsack_kind(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The plugin registered the way a user does it: $SCHEDKIT_KINDS and an importable module."""
    monkeypatch.syspath_prepend(str(HERE))
    monkeypatch.setenv(kinds.PLUGINS_ENV, "schedkit_knapsack")
    monkeypatch.setattr(kinds, "_SPECS", {})
    monkeypatch.setattr(kinds, "_PLUGINS", [])
    yield


@pytest.mark.parametrize(("backend", "objective"), [("greedy", GREEDY), ("cpsat", 4), ("milp", 4)])
def test_solve_every_backend(backend: str, objective: int) -> None:
    result = runner.invoke(app, ["solve", SMALL, "-b", backend, "-t", "5", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (data["kind"], data["objective"], data["valid"]) == ("knapsack", objective, True)


def test_auto_proves_the_optimum_beyond_the_lp_bound() -> None:
    result = schedkit.solve(schedkit.load(SMALL), time_limit=5)
    assert (result.status, result.objective, result.lower_bound) == ("optimal", OPTIMUM, OPTIMUM)
    assert result.stats["combinatorial_bound"] == BOUND
    assert list(result.stats["attempts"]) == ["greedy", "cpsat"]


def test_kind_params_are_checked() -> None:
    ok = schedkit.solve(schedkit.load(SMALL), "greedy", params={"order": "value"})
    assert ok.objective == OPTIMUM  # by value: items 3, 1, 2 (the ratio rule leaves out 7)
    with pytest.raises(schedkit.InputError, match="unknown parameter 'ordr' for kind 'knapsack'"):
        schedkit.solve(schedkit.load(SMALL), "greedy", params={"ordr": "value"})


def test_validate_info_plot_export(tmp_path: Path) -> None:
    good, bad = tmp_path / "good.json", tmp_path / "bad.json"
    good.write_text(json.dumps({"kind": "knapsack", "chosen": [1, 2, 3]}))
    bad.write_text(json.dumps({"kind": "knapsack", "chosen": [0, 1, 2, 3]}))
    assert runner.invoke(app, ["validate", SMALL, str(good)]).exit_code == 0
    invalid = runner.invoke(app, ["validate", SMALL, str(bad)])
    assert invalid.exit_code == 1 and "capacity: weight 11 exceeds capacity 10" in invalid.output
    info = json.loads(runner.invoke(app, ["info", SMALL, "--json"]).stdout)
    assert info["lower_bound"] == BOUND and info["exports"] == ["csv"]
    assert info["backends"] == ["auto", "greedy", "cpsat", "milp"]
    png = tmp_path / "k.png"
    assert runner.invoke(app, ["plot", SMALL, str(good), "-o", str(png)]).exit_code == 0
    assert png.stat().st_size > 0
    csv = runner.invoke(app, ["export", SMALL, str(good), "--format", "csv"])
    assert csv.exit_code == 0
    assert csv.stdout.splitlines() == [
        "item,value,weight,chosen",
        "0,4,1,0",
        "1,7,5,1",
        "2,7,4,1",
        "3,8,1,1",
    ]


def test_bench_runs_the_plugin_kind_in_child_processes(tmp_path: Path) -> None:
    rows = schedkit.bench(
        [SMALL], ["greedy", "cpsat"], time_limit=5, db=str(tmp_path / "k.sqlite"), jobs=1
    )
    records = rows.to_dict("records") if hasattr(rows, "to_dict") else rows
    got = {(r["backend"], r["outcome"], r["objective"]) for r in records}
    assert got == {("greedy", "ok", GREEDY), ("cpsat", "ok", OPTIMUM)}
