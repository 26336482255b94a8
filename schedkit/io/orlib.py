"""OR-Library single-machine weighted tardiness files (wt40.txt, wt50.txt, wt100.txt).

Each file is a stream of integers: for every instance in turn, n processing times, n weights
and n due dates; n comes from the file name. The optima files (wtopt40.txt) list one value per
instance, in order.
"""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import ValidationError

from schedkit.errors import InputError
from schedkit.io.errors import from_validation_error
from schedkit.models.tardiness.problem import TardinessProblem

NAME = re.compile(r"wt([0-9]+)", re.IGNORECASE)
MAX_JOBS = 10**6
"""Largest n a wtN.txt file name may announce."""


def jobs_from_name(path: str) -> int:
    """n from a file name such as wt40.txt."""
    match = NAME.match(Path(path).name)
    if not match:
        raise InputError("cannot tell n from the file name", file=path, hint="expected wtN.txt")
    n = int(match.group(1))
    if not 1 <= n <= MAX_JOBS:
        raise InputError(
            f"the file name announces n = {n} jobs", file=path, hint=f"need 1 <= n <= {MAX_JOBS}"
        )
    return n


def parse_ints(text: str, path: str) -> list[int]:
    """Every whitespace-separated integer of `text`; an InputError names the first bad token."""
    values: list[int] = []
    for i, token in enumerate(text.split()):
        try:
            values.append(int(token))
        except ValueError:
            raise InputError(f"token {i + 1} is {token!r}, not an integer", file=path) from None
    return values


def read_wt(text: str, path: str) -> list[TardinessProblem]:
    """All instances of an OR-Library wt file."""
    n = jobs_from_name(path)
    values = parse_ints(text, path)
    block = 3 * n
    if not values or len(values) % block:
        raise InputError(
            f"malformed OR-Library stream: {len(values)} integers is not a multiple of "
            f"3 x n = {block}",
            file=path,
            hint=f"each instance is {n} processing times, {n} weights, {n} due dates",
        )
    stem = Path(path).stem
    problems = []
    for k in range(len(values) // block):
        chunk = values[k * block : (k + 1) * block]
        try:
            problems.append(
                TardinessProblem.from_arrays(
                    p=chunk[:n], w=chunk[n : 2 * n], d=chunk[2 * n :], name=f"{stem}#{k + 1}"
                )
            )
        except ValidationError as exc:
            error = from_validation_error(exc, TardinessProblem)
            raise InputError(error.reason, file=f"{path}#{k + 1}", field=error.field) from None
    return problems


def read_wt_optima(path: str | Path) -> list[int]:
    """Optimal (or best-known) values of wtoptN.txt, in instance order."""
    return parse_ints(Path(path).read_text(), str(path))


def read_wt_reference(path: str | Path) -> dict[str, float]:
    """{"wtN#k": value} from wtoptN.txt (the names `bench` gives OR-Library instances)."""
    match = re.match(r"wtopt(\d+)\.txt$", Path(path).name.lower())
    n = match.group(1) if match else "?"
    return {f"wt{n}#{i}": float(v) for i, v in enumerate(read_wt_optima(path), 1)}
