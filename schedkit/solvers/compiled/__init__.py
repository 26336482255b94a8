"""Compiled models as objects users can look at and take elsewhere.

`compile_model(problem, engine, options)` builds the MILP (Pyomo) or CP-SAT model exactly as
that backend builds it, params applied, through the kind's `KindSpec.models`; `export` writes
it as LP / MPS / CP-SAT text proto, `statistics` counts its variables, constraints and
non-zeros. Building draws from `options.budget` like a solve does.
"""

from __future__ import annotations

import importlib
import time
from dataclasses import dataclass
from typing import Any

from schedkit.errors import BackendSkipped, InputError
from schedkit.kinds import kind_of
from schedkit.models.base import Problem
from schedkit.solvers.budget import BudgetExpired
from schedkit.solvers.result import SolveOptions

ENGINES = ("milp", "cpsat")


@dataclass
class Compiled:
    """A built model, the engine it is for and how long building it took."""

    engine: str
    model: Any
    build_s: float


def compile_model(problem: Problem, engine: str, options: SolveOptions) -> Compiled:
    """The `engine` model of `problem` as its backend builds it; InputError if there is none."""
    spec = kind_of(problem)
    if engine not in spec.models:
        known = ", ".join(spec.models) or "none"
        raise InputError(
            f"kind {spec.name!r} has no {engine!r} model", field="model", hint=f"known: {known}"
        )
    module, _, name = spec.models[engine].partition(":")
    build = getattr(importlib.import_module(module), name)
    started = time.perf_counter()
    try:
        model = build(problem, options)
    except BackendSkipped as exc:
        raise InputError(f"no {engine} model: {exc}", field="model") from None
    except BudgetExpired:
        raise InputError(
            f"building the {engine} model took longer than {options.time_limit:g} s",
            field="model",
            hint="raise --time-limit",
        ) from None
    model.name = f"{spec.name}-{problem.name}"  # shown in the LP/MPS header and the proto
    return Compiled(engine, model, time.perf_counter() - started)


def model_options(problem: Problem, time_limit: float, params: dict[str, Any]) -> SolveOptions:
    """Options for building a model of `problem`: `params` checked as `solve()` checks them."""
    from schedkit.solvers.arguments import check_params, check_time_limit

    checked = check_params(kind_of(problem), params)
    return SolveOptions(time_limit=check_time_limit(time_limit), params=checked)
