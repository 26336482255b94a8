"""`load(path)`: instance files (YAML/JSON with a `kind:`), standard formats, and `file#k`."""

from __future__ import annotations

import importlib
import json
import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from schedkit.errors import InputError
from schedkit.io.errors import from_validation_error
from schedkit.io.formats import INSTANCE_SUFFIXES, find_format, known_patterns
from schedkit.kinds import get_kind
from schedkit.models.base import Problem

INDEX = re.compile(r"^(?P<path>.+)#(?P<k>[^#/]*)$")


def split_index(spec: str) -> tuple[str, int | None]:
    """'wt40.txt#7' -> ('wt40.txt', 7); the index is 1-based."""
    match = INDEX.match(str(spec))
    if not match or Path(spec).exists():
        return str(spec), None
    path, k = match.group("path"), match.group("k")
    if not k.isdigit() or int(k) < 1:
        raise InputError(f"instance index {k!r} is not a positive integer", file=path)
    return path, int(k)


def read_text(path: str) -> str:
    """The file as UTF-8 text; an InputError if it is missing, empty or not UTF-8."""
    p = Path(path)
    if not p.exists():
        raise InputError("no such file", file=path)
    if p.is_dir():
        raise InputError("is a directory, not an instance file", file=path)
    data = p.read_bytes()
    if not data.strip():
        raise InputError("file is empty", file=path)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start})", file=path
        ) from None


def parse_mapping(text: str, path: str) -> dict[str, Any]:
    """Parse a YAML or JSON document that must be a mapping."""
    try:
        data = json.loads(text) if path.lower().endswith(".json") else yaml.safe_load(text)
    except (yaml.YAMLError, json.JSONDecodeError) as exc:
        raise InputError(f"cannot parse: {exc}".replace("\n", " "), file=path) from None
    if not isinstance(data, dict):
        raise InputError(f"expected a mapping at the top, got {type(data).__name__}", file=path)
    return data


def problem_from_dict(data: dict[str, Any], file: str | None = None) -> Problem:
    """Build the problem of kind `data['kind']` from plain data.

    Validators receive the context {"base_dir": folder of `file`} so that a kind can resolve
    paths written in the instance (e.g. a loads.csv beside the YAML) relative to the file.
    """
    if "kind" not in data:
        raise InputError("required field is missing", file=file, field="kind")
    try:
        spec = get_kind(str(data["kind"]))
    except InputError as exc:
        raise exc.with_file(file) if file else exc from None
    body = dict(data)
    if file and "name" not in body:
        body["name"] = Path(file).stem
    try:
        base_dir = str(Path(file).resolve().parent) if file else str(Path.cwd())
        return spec.problem.model_validate(body, context={"base_dir": base_dir})
    except ValidationError as exc:
        raise from_validation_error(exc, spec.problem, file) from None


def load_all(path: str | Path) -> list[Problem]:
    """Every instance in a file (one for YAML/JSON, many for multi-instance formats)."""
    path = str(path)
    text = read_text(path)
    if path.lower().endswith(INSTANCE_SUFFIXES):
        return [problem_from_dict(parse_mapping(text, path), path)]
    fmt = find_format(path)
    if fmt is None:
        raise InputError(
            "unknown file format", file=path, hint=f"known: {', '.join(known_patterns())}"
        )
    module, _, func = fmt.reader.partition(":")
    reader = getattr(importlib.import_module(module), func)
    try:
        problems: list[Problem] = reader(text, path)
    except ValidationError as exc:
        raise InputError(f"invalid {fmt.name} data: {exc.errors()[0]['msg']}", file=path) from None
    return problems


def load(spec: str | Path) -> Problem:
    """Load one instance: `path` or `path#k` (k-th instance of a multi-instance file, 1-based)."""
    path, k = split_index(str(spec))
    problems = load_all(path)
    if k is None:
        if len(problems) > 1:
            raise InputError(
                f"file holds {len(problems)} instances",
                file=path,
                hint=f"name one as {path}#k with 1 <= k <= {len(problems)}",
            )
        return problems[0]
    if k > len(problems):
        raise InputError(
            f"instance #{k} is out of range: the file holds {len(problems)}", file=path
        )
    return problems[k - 1]
