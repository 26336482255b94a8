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


BAD_PARAMS = [
    ("tardiness/small-weighted.yaml", "kick=abc", "param kick: must be an integer, got 'abc'"),
    ("tardiness/small-weighted.yaml", "window=-3", "param window: must lie in [0, inf], got -3"),
    ("tardiness/small-weighted.yaml", "max_iters=1.5", "param max_iters: must be an integer"),
    (
        "tardiness/small-weighted.yaml",
        "atc_k=[]",
        "param atc_k: expected a positive number or a list of them, got []",
    ),
    ("tardiness/small-weighted.yaml", "compiled=maybe", "param compiled: expected true or false"),
    ("tardiness/small-weighted.yaml", "blocks=0", "param blocks: must lie in [1, inf], got 0"),
    ("rcpsp/small.yaml", "pop_size=abc", "param pop_size: must be an integer, got 'abc'"),
    ("rcpsp/small.yaml", "pop_size=1", "param pop_size: must lie in [2, inf], got 1"),
    ("rcpsp/small.yaml", "justify=abc", "param justify: expected true or false, got 'abc'"),
    ("pipeline/p4-m8.yaml", "torch_schedules=1", "param torch_schedules: expected true or false"),
]


@pytest.mark.parametrize(("instance", "param", "expected"), BAD_PARAMS)
def test_bad_heuristic_param_exits_2_with_its_name(
    instances_dir: Path, instance: str, param: str, expected: str
) -> None:
    """A heuristic knob of the wrong type or range is the user's error, not a crash."""
    args = ["solve", str(instances_dir / instance), "-p", param, "--time-limit", "2"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2, result.output
    assert expected in result.output
    assert "Traceback" not in result.output and "crashed" not in result.output
