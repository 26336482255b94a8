"""What every `schedkit generate <kind>` shares: its options are checked by a pydantic model
(the same strict number types as instance files), and the instance is checked by the loader's
own model before anything is written, so a generator never writes a file `load` rejects."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import typer
from pydantic import BaseModel, ValidationError

from schedkit.errors import InputError
from schedkit.io.errors import from_validation_error
from schedkit.io.loader import problem_from_dict
from schedkit.io.output import check_output_path, write_output
from schedkit.io.yaml_out import to_yaml
from schedkit.models.base import Problem

M = TypeVar("M", bound=BaseModel)


def check_options(model: type[M], values: dict[str, Any]) -> M:
    """`values` validated by `model`; an InputError names the option (`--gpus-per-node`)."""
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        error = from_validation_error(exc, model)
        option = "--" + error.field.replace("_", "-") if error.field else None
        raise InputError(error.reason, field=option, hint=error.hint) from None


def checked_problem(data: dict[str, Any], out: Path | None) -> Problem:
    """The generated instance, validated exactly as `schedkit.load` would validate the file."""
    return problem_from_dict(data, str(out) if out is not None else None)


def write_instance(problem: Problem | str, out: Path | None) -> None:
    """The instance (a problem, or its YAML text) to `out` (see `write_output`) or to stdout."""
    text = problem if isinstance(problem, str) else to_yaml(problem)
    if out is None:
        typer.echo(text, nl=False)
    else:
        write_output(out, text, "--out")
        typer.echo(f"wrote {out}")


__all__ = ["check_options", "check_output_path", "checked_problem", "write_instance"]
