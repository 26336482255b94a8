"""Every kind of bad input gives one clear InputError (file, field path, reason) and exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

import schedkit
from schedkit.cli import app

CASES: dict[str, tuple[bytes, str]] = {
    "missing.yaml": (
        b"kind: tardiness\njobs:\n  - {due_date: 3}\n",
        "jobs[0].processing_time: required field is missing",
    ),
    "wrong_type.yaml": (
        b"kind: tardiness\njobs:\n  - {processing_time: abc, due_date: 3}\n",
        "jobs[0].processing_time: Input should be a valid integer, got 'abc'",
    ),
    "negative.yaml": (
        b"kind: tardiness\njobs:\n  - {processing_time: -2, due_date: 3}\n",
        "jobs[0].processing_time: Input should be greater than 0, got -2",
    ),
    "unknown_kind.yaml": (
        b"kind: tardyness\njobs: []\n",
        "kind: unknown kind 'tardyness' (valid: ",
    ),
    "typo.yaml": (
        b"kind: tardiness\njobs:\n  - {procesing_time: 2, due_date: 3}\n",
        "jobs[0].procesing_time: unknown key 'procesing_time' (and 1 more error) "
        "(did you mean 'processing_time'?",
    ),
    "no_kind.yaml": (b"jobs: []\n", "kind: required field is missing"),
    "empty.yaml": (b"", "file is empty"),
    "latin1.yaml": (b"kind: tardiness\nname: caf\xe9\n", "not UTF-8 text (byte 0xe9 at offset 25)"),
    "wt2.txt": (
        b"1 2 3 4 5\n",
        "malformed OR-Library stream: 5 integers is not a multiple of 3 x n = 6",
    ),
    "columns.yaml": (
        b"kind: tardiness\ncolumns: {processing_time: [1, 2], due_date: [3]}\n",
        "columns differ in length",
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_file_gives_one_clear_error(tmp_path: Path, name: str) -> None:
    content, expected = CASES[name]
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(schedkit.InputError) as info:
        schedkit.load(path)
    message = str(info.value)
    assert message.startswith(f"{path}: ")
    assert expected in message


@pytest.mark.parametrize("name", sorted(CASES))
def test_cli_exits_2_without_traceback(tmp_path: Path, name: str) -> None:
    content, expected = CASES[name]
    path = tmp_path / name
    path.write_bytes(content)
    result = CliRunner().invoke(app, ["solve", str(path)])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert expected in " ".join(result.output.split())


def test_instance_index_out_of_range(data_dir: Path) -> None:
    path = data_dir / "orlib" / "wt40.txt"
    with pytest.raises(
        schedkit.InputError,
        match=r"instance #126 is out of range: the file "
        r"holds 125",
    ):
        schedkit.load(f"{path}#126")


def test_multi_instance_file_needs_an_index(data_dir: Path) -> None:
    path = data_dir / "orlib" / "wt40.txt"
    with pytest.raises(schedkit.InputError, match=r"file holds 125 instances \(name one as"):
        schedkit.load(path)


def test_bad_index_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(schedkit.InputError, match="instance index 'x' is not a positive integer"):
        schedkit.load(f"{tmp_path}/wt40.txt#x")
    with pytest.raises(schedkit.InputError, match="no such file"):
        schedkit.load(tmp_path / "nothing.yaml")


def test_unknown_format_lists_known_ones(tmp_path: Path) -> None:
    path = tmp_path / "instance.xyz"
    path.write_text("1 2 3")
    with pytest.raises(schedkit.InputError, match=r"unknown file format \(known: \*\.yaml"):
        schedkit.load(path)


def test_problem_is_immutable() -> None:
    problem = schedkit.load(Path(__file__).parent.parent / "instances/tardiness/releases.yaml")
    with pytest.raises(Exception, match="frozen"):
        problem.name = "other"  # type: ignore[misc]
