"""Solutions to and from JSON: a bare solution object, or a `schedkit solve --json` result."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from schedkit.errors import InputError
from schedkit.io.errors import from_validation_error
from schedkit.io.loader import check_path_argument, read_text
from schedkit.io.output import json_text, write_output
from schedkit.kinds import get_kind, kind_of
from schedkit.models.base import Problem, Solution
from schedkit.solvers.result import solution_to_dict


def solution_from_dict(problem: Problem, data: dict[str, Any], file: str | None = None) -> Solution:
    """Parse a solution of `problem`'s kind; a result object's `objective` becomes the claim."""
    if not isinstance(problem, Problem):
        raise TypeError(
            "solution_from_dict(): problem must be a schedkit Problem, "
            f"not {type(problem).__name__}"
        )
    if not isinstance(data, dict):
        raise TypeError(f"solution_from_dict(): data must be a dict, not {type(data).__name__}")
    body = dict(data)
    if isinstance(body.get("solution"), dict):
        claimed = body.get("objective")
        body = dict(body["solution"])
        if claimed is not None and body.get("objective") is None:
            body["objective"] = claimed
    spec = kind_of(problem)
    kind = body.pop("kind", spec.name)
    if kind != spec.name:
        get_kind(str(kind))  # an unknown kind gets its own error
        raise InputError(
            f"solution is for kind {kind!r} but the instance is {spec.name!r}",
            file=file,
            field="kind",
        )
    try:
        return spec.solution.model_validate(body)
    except ValidationError as exc:
        raise from_validation_error(exc, spec.solution, file) from None


def load_solution(problem: Problem, path: str | Path) -> Solution:
    """Read a solution JSON file for `problem`."""
    if not isinstance(problem, Problem):
        raise TypeError(
            f"load_solution(): problem must be a schedkit Problem, not {type(problem).__name__}"
        )
    check_path_argument(path, "load_solution")
    path = str(path)
    text = read_text(path)
    try:
        data = json.loads(text)
    except RecursionError:
        raise InputError("not valid JSON: nested too deeply", file=path) from None
    except ValueError as exc:  # JSONDecodeError, or an integer with too many digits
        reason = " ".join(str(exc).split())[:300]
        raise InputError(f"not valid JSON: {reason}", file=path) from None
    if not isinstance(data, dict):
        raise InputError("expected a JSON object", file=path)
    return solution_from_dict(problem, data, path)


def save_solution(solution: Solution, path: str | Path) -> None:
    """Write a solution as JSON (the inverse of `load_solution`)."""
    write_output(path, json_text(solution_to_dict(solution)) + "\n")
