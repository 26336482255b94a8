"""The hostile-input corpus through the command line, in-process: every case exits with its
code and shows its one line, never a traceback and never "internal error"."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from schedkit.cli import app

from .cases import INSTANCES, Case, all_cases, yml

CASES = all_cases()
BOX = re.compile(r"[│╭╮╰╯─━]+")


def _param(case: Case) -> object:
    marks = [pytest.mark.xfail(strict=True, reason=case.xfail)] if case.xfail else []
    return pytest.param(case, id=case.id, marks=marks)


def _write(folder: Path, case: Case) -> None:
    for name, content in case.files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content.replace("{d}", str(folder)), encoding="utf-8")


def _flat(text: str) -> str:
    """The output without rich's box drawing, whitespace collapsed (wrapped lines rejoin)."""
    return " ".join(BOX.sub(" ", text).split())


def _strict_json(text: str) -> object:
    def refuse(name: str) -> None:
        raise AssertionError(f"{name} in JSON output")

    return json.loads(text, parse_constant=refuse)


@pytest.mark.parametrize("case", [_param(c) for c in CASES])
def test_case(tmp_path: Path, case: Case) -> None:
    _write(tmp_path, case)
    argv = [a.replace("{d}", str(tmp_path)) for a in case.argv]
    result = CliRunner().invoke(app, argv)
    output = result.output
    assert result.exit_code == case.code, output
    assert "Traceback" not in output and "internal error" not in output, output
    assert not isinstance(result.exception, Exception) or isinstance(
        result.exception, SystemExit
    ), repr(result.exception)
    assert case.message in _flat(output), output
    if case.code == 2 and case.usage:
        assert _flat(output).count("Invalid value") == 1, output
    elif case.code == 2:
        errors = [line for line in output.splitlines() if line.startswith("error:")]
        assert len(errors) == 1, output
        assert len(errors[0]) < 400, errors[0]
    if "--json" in argv and case.code != 2:
        _strict_json(result.stdout)


def test_corpus_size() -> None:
    """The corpus covers every kind, every command and every class of the hostile test."""
    commands = {c.argv[0] for c in CASES}
    assert {"solve", "validate", "info", "convert", "generate", "plot", "export"} <= commands
    assert {"replay", "profile", "bench", "report", "demo"} <= commands
    assert {c.group for c in CASES} == {1, 3, 4, 5, 6}
    assert len(CASES) >= 300


def test_convert_json_writes_json_that_loads_back(tmp_path: Path) -> None:
    import schedkit

    for kind, data in INSTANCES.items():
        source, target = tmp_path / f"{kind}.yaml", tmp_path / f"{kind}.json"
        source.write_text(yml(data))
        result = CliRunner().invoke(app, ["convert", str(source), "-o", str(target)])
        assert result.exit_code == 0, result.output
        _strict_json(target.read_text())
        back, original = schedkit.load(target), schedkit.load(source)
        assert json.dumps(back.to_data()) == json.dumps(original.to_data())


def test_report_leaves_a_foreign_database_untouched(tmp_path: Path) -> None:
    import sqlite3

    instance = tmp_path / "instances" / "t.yaml"
    instance.parent.mkdir()
    instance.write_text(yml(INSTANCES["tardiness"]))
    folder = tmp_path / "db"
    folder.mkdir()
    db = folder / "other.sqlite"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE notes (text TEXT)")
    conn.commit()
    conn.close()
    before = db.read_bytes()
    for argv in (["report", "--db", str(db)], ["bench", str(instance), "--db", str(db)]):
        result = CliRunner().invoke(app, argv)
        assert result.exit_code == 2 and "not a bench database" in result.output, result.output
    assert db.read_bytes() == before
    assert sorted(p.name for p in folder.iterdir()) == ["other.sqlite"]


@pytest.mark.parametrize(
    "args",
    [
        ["tardiness", "--n", "3", "--tf", "1", "--rdd", "2"],
        ["rcpsp", "--n", "1", "--disjunctive", "5", "--infeasible"],
        ["placement", "--experts", "1", "--layers", "1", "--gpus-per-node", "1"],
        ["placement", "--experts", "8", "--groups", "8", "--nodes", "2", "--gpus-per-node", "2"],
    ],
    ids=lambda a: "-".join(a),
)
def test_generated_files_load_back(tmp_path: Path, args: list[str]) -> None:
    import schedkit

    out = tmp_path / "g.yaml"
    result = CliRunner().invoke(app, ["generate", *args, "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert schedkit.load(out).KIND == args[0]
