"""Checks of `solve()`'s arguments: a wrong type is a TypeError, a wrong value an InputError.

Both name the argument, so a Python user sees what to fix instead of an AttributeError from
deep inside a backend. `--param` names are checked here too: the engines' sections (`cpsat`,
`highs`, `milp`) and the names the kind declares in `KindSpec.params`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from numbers import Real
from typing import Any

from schedkit.errors import InputError
from schedkit.kinds import KindSpec
from schedkit.models.base import Problem

ENGINE_SECTIONS = ("cpsat", "highs", "milp")
"""`params` keys that hold an engine's own parameters."""


def check_problem(problem: Any) -> Problem:
    """`problem` itself, or a TypeError saying what was passed instead."""
    if isinstance(problem, Problem):
        return problem
    hint = " (load a file with schedkit.load(path) first)" if isinstance(problem, str) else ""
    raise TypeError(f"problem must be a schedkit Problem, not {type(problem).__name__}{hint}")


def check_time_limit(value: Any) -> float:
    """A finite, non-negative number of seconds."""
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"time_limit must be a number of seconds, not {type(value).__name__}")
    seconds = float(value)
    if not math.isfinite(seconds) or seconds < 0:
        raise InputError(
            f"time_limit must be a finite number of seconds >= 0, got {value!r}",
            field="time_limit",
        )
    return seconds


def check_int(name: str, value: Any, minimum: int) -> int:
    """An int (not a bool) of at least `minimum`."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, not {type(value).__name__}")
    if value < minimum:
        raise InputError(f"{name} must be >= {minimum}, got {value}", field=name)
    return value


def check_params(spec: KindSpec, params: Any) -> dict[str, Any]:
    """A copy of `params` whose every key is an engine section or a parameter of the kind."""
    if params is None:
        return {}
    if not isinstance(params, Mapping):
        raise TypeError(f"params must be a dict, not {type(params).__name__}")
    for key, value in params.items():
        if key in ENGINE_SECTIONS:
            if not isinstance(value, Mapping):
                raise InputError(
                    f"expected {key}.NAME=VALUE, got a plain value", field=f"param {key}"
                )
            continue
        if key not in spec.params:
            known = ", ".join(sorted([*spec.params, *(f"{s}.*" for s in ENGINE_SECTIONS)]))
            raise InputError(
                f"unknown parameter {key!r} for kind {spec.name!r}",
                field=f"param {key}",
                hint=f"known: {known}",
            )
    if "cpsat" in params:
        from schedkit.solvers.cpsat.runner import check_cpsat_params

        check_cpsat_params(params["cpsat"])
    if "milp" in params:
        from schedkit.solvers.milp.settings import check_milp_params

        check_milp_params(params["milp"])
    return dict(params)


def number_param(
    params: Mapping[str, Any],
    name: str,
    default: float,
    *,
    integer: bool = False,
    low: float = 0.0,
    high: float = math.inf,
) -> Any:
    """`params[name]` as a number in [low, high] (an int if `integer`), or `default` when
    absent; an InputError naming the parameter otherwise (backends raise it: exit 2)."""
    value = params.get(name, default)
    wanted = int if integer else Real
    if isinstance(value, bool) or not isinstance(value, wanted):
        kind = "an integer" if integer else "a number"
        raise InputError(f"must be {kind}, got {value!r}", field=f"param {name}")
    number = float(value)
    if not (low <= number <= high) or not math.isfinite(number):
        raise InputError(f"must lie in [{low:g}, {high:g}], got {value!r}", field=f"param {name}")
    return value


def flag_param(params: Mapping[str, Any], name: str, default: bool | None) -> bool | None:
    """`params[name]` as true / false, or `default` when absent; an InputError otherwise."""
    value = params.get(name, default)
    if value is not None and not isinstance(value, bool):
        raise InputError(f"expected true or false, got {value!r}", field=f"param {name}")
    return value
