"""Turn pydantic validation errors into one clear `InputError` (field path, reason, hint)."""

from __future__ import annotations

import difflib
import reprlib
import types
import typing
from typing import Any

from pydantic import BaseModel, ValidationError

from schedkit.errors import InputError

MAX_REPR = 80
_REPR = reprlib.Repr()
_REPR.maxlevel, _REPR.maxlist, _REPR.maxtuple, _REPR.maxdict = 3, 6, 6, 4
_REPR.maxstring = _REPR.maxother = _REPR.maxlong = 60


def short_repr(value: Any) -> str:
    """A bounded repr of `value` (at most MAX_REPR characters, however large or deep the value
    is), so that an error stays one short line."""
    try:
        text = _REPR.repr(value)
    except (RecursionError, ValueError):
        return f"<{type(value).__name__}>"
    return text if len(text) <= MAX_REPR else text[: MAX_REPR - 3] + "..."


def field_path(loc: tuple[int | str, ...]) -> str:
    """('jobs', 3, 'due_date') -> 'jobs[3].due_date'."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif not str(part).startswith(("function-", "tagged-union", "union-")):
            out += f".{part}" if out else str(part)
    return out


def _model_at(model: type[BaseModel], loc: tuple[int | str, ...]) -> type[BaseModel] | None:
    """The pydantic model class that holds the last element of `loc`, if it can be found."""
    current: Any = model
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return None
        info = current.model_fields.get(str(part))
        if info is None:
            return None
        current = _inner_model(info.annotation)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _inner_model(annotation: Any) -> Any:
    """The first BaseModel found inside an annotation such as tuple[Job, ...] | None."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is not None:
        for arg in typing.get_args(annotation):
            found = _inner_model(arg)
            if found is not None:
                return found
    return None


def primary_errors(errors: list[Any]) -> list[Any]:
    """Errors that are not knock-ons of another, unknown keys first."""
    locs = [tuple(e["loc"]) for e in errors]
    kept = [
        e
        for e, loc in zip(errors, locs, strict=True)
        if not any(len(o) > len(loc) and o[: len(loc)] == loc for o in locs)
    ]
    return sorted(kept or errors, key=lambda e: e["type"] != "extra_forbidden")


def from_validation_error(
    exc: ValidationError, model: type[BaseModel], file: str | None = None
) -> InputError:
    """The first error of `exc` as an InputError; the count of the others is appended.

    Knock-on errors (on a container whose items already failed) are dropped, and an unknown
    key comes first: a typo also makes the intended key look missing.
    """
    errors = primary_errors(exc.errors())
    first = errors[0]
    loc = tuple(first["loc"])
    path = field_path(loc) or None
    hint = None
    if first["type"] == "missing":
        reason = "required field is missing"
    elif first["type"] == "extra_forbidden":
        key = str(loc[-1]) if loc else "?"
        reason = f"unknown key {key!r}"
        holder = _model_at(model, loc)
        if holder is not None:
            valid = [k for k in holder.model_fields if k != "kind"]
            close = difflib.get_close_matches(key, valid, n=1)
            hint = (f"did you mean {close[0]!r}? " if close else "") + f"valid keys: {valid}"
    else:
        reason = first["msg"].removeprefix("Value error, ")
        if "input" in first and first["type"] not in ("value_error",):
            reason += f", got {short_repr(first['input'])}"
    if len(errors) > 1:
        reason += f" (and {len(errors) - 1} more error{'s' if len(errors) > 2 else ''})"
    return InputError(reason, file=file, field=path, hint=hint)
