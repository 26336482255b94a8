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
from schedkit.io.errors import field_path, from_validation_error, primary_errors
from schedkit.io.formats import INSTANCE_SUFFIXES, find_format, known_patterns
from schedkit.kinds import get_kind
from schedkit.models.base import Problem

INDEX = re.compile(r"^(?P<path>.+)#(?P<k>[^#/]*)$")
DIGITS = re.compile(r"[0-9]+")
MAX_FILE_BYTES = 256 * 2**20
"""Instance and solution files above this size are refused before they are read."""
MAX_DEPTH = 64
"""Nesting depth allowed in a YAML/JSON document (schedkit's own files need under 10)."""
MAX_ALIAS_NODES = 2_000_000
"""Values a YAML document with anchors may expand to (guards against alias bombs)."""
_INT_TAG = "tag:yaml.org,2002:int"


def _decimal(value: str) -> bool:
    """A plain decimal integer without a sign or a leading zero (YAML 1.1 reads it as int)."""
    return value.isascii() and value.isdigit() and (value == "0" or value[0] != "0")


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """PyYAML's safe loader (libyaml's C parser when present) with a fast path for plain
    decimal integers, which make up most of a large instance: the same values, read faster."""

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        if kind is yaml.ScalarNode and implicit[0] and _decimal(value):
            return _INT_TAG
        return super().resolve(kind, value, implicit)

    def construct_decimal(self, node: Any) -> Any:
        value = node.value
        return int(value) if _decimal(value) else self.construct_yaml_int(node)


_Loader.add_constructor(_INT_TAG, _Loader.construct_decimal)
_YAML_LOADER: Any = _Loader


def split_index(spec: str) -> tuple[str, int | None]:
    """'wt40.txt#7' -> ('wt40.txt', 7); the index is 1-based."""
    match = INDEX.match(str(spec))
    if not match or Path(spec).exists():
        return str(spec), None
    path, k = match.group("path"), match.group("k")
    if not DIGITS.fullmatch(k) or int(k) < 1:
        raise InputError(f"instance index {k!r} is not a positive integer", file=path)
    return path, int(k)


def read_text(path: str) -> str:
    """The file as UTF-8 text; an InputError if it is missing, empty or not UTF-8."""
    p = Path(path)
    if not p.exists():
        raise InputError("no such file", file=path)
    if p.is_dir():
        raise InputError("is a directory, not an instance file", file=path)
    try:
        size = p.stat().st_size
        if size > MAX_FILE_BYTES:
            raise InputError(
                f"file is {size / 2**20:.0f} MiB, above the {MAX_FILE_BYTES // 2**20} MiB limit",
                file=path,
            )
        data = p.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", file=path) from None
    if not data.strip():
        raise InputError("file is empty", file=path)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start})", file=path
        ) from None


def parse_document(text: str, path: str) -> Any:
    """Parse YAML (the C loader when present) or JSON (by the `.json` suffix), with guards:
    nesting depth, and the expanded size of a YAML document that uses anchors."""
    is_json = path.lower().endswith(".json")
    try:
        data = json.loads(text) if is_json else yaml.load(text, Loader=_YAML_LOADER)
    except (yaml.YAMLError, ValueError) as exc:  # JSONDecodeError is a ValueError
        reason = " ".join(str(exc).split())
        raise InputError(f"cannot parse: {reason[:300]}", file=path) from None
    except RecursionError:
        raise InputError(
            f"cannot parse: nested deeper than {MAX_DEPTH} levels", file=path
        ) from None
    if not is_json and "&" in text:
        check_expansion(data, path)
    return data


def check_expansion(data: Any, path: str) -> None:
    """InputError if `data` nests deeper than MAX_DEPTH or expands (YAML aliases share
    values) to more than MAX_ALIAS_NODES values; a self-referencing alias is caught too."""
    stack: list[tuple[Any, int]] = [(data, 1)] if isinstance(data, dict | list) else []
    count = 0
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise InputError(
                f"nested deeper than {MAX_DEPTH} levels (a recursive YAML alias?)", file=path
            )
        items = node.values() if isinstance(node, dict) else node
        count += len(items)
        if count > MAX_ALIAS_NODES:
            raise InputError(
                f"YAML aliases expand to more than {MAX_ALIAS_NODES} values (an alias bomb?)",
                file=path,
            )
        stack += [(x, depth + 1) for x in items if isinstance(x, dict | list)]


def parse_mapping(text: str, path: str) -> dict[str, Any]:
    """Parse a YAML or JSON document that must be a mapping."""
    data = parse_document(text, path)
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


def check_path_argument(value: object, function: str, argument: str = "path") -> None:
    """TypeError unless `value` is a str or a Path (the Python API's argument check)."""
    if not isinstance(value, str | Path):
        raise TypeError(
            f"{function}(): {argument} must be a str or a Path, not {type(value).__name__}"
        )


def load_all(path: str | Path) -> list[Problem]:
    """Every instance in a file (one for YAML/JSON, many for multi-instance formats)."""
    check_path_argument(path, "load_all")
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
        first = primary_errors(exc.errors())[0]
        reason = first["msg"].removeprefix("Value error, ")
        field = field_path(tuple(first["loc"])) or None
        raise InputError(f"invalid {fmt.name} data: {reason}", file=path, field=field) from None
    return problems


def load(spec: str | Path) -> Problem:
    """Load one instance: `path` or `path#k` (k-th instance of a multi-instance file, 1-based)."""
    check_path_argument(spec, "load")
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
