"""Backends keyed by (kind, backend name), imported lazily from the kind's `SPEC.backends`.

A backend is a function `solve(problem, options, hint) -> BackendOutput`; `hint` is a valid
solution to warm-start from (or None). A backend whose package cannot be imported raises
`BackendUnavailable`, which the portfolio records and falls back from.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from schedkit.errors import BackendUnavailable, InputError
from schedkit.kinds import KindSpec
from schedkit.solvers.result import BackendOutput, SolveOptions

Backend = Callable[[Any, SolveOptions, Any], BackendOutput]


def backend_names(spec: KindSpec) -> list[str]:
    """Backends a kind offers, `auto` first."""
    return ["auto", *spec.backends]


def get_backend(spec: KindSpec, name: str) -> Backend:
    """Import and return backend `name` of kind `spec`."""
    target = spec.backends.get(name)
    if target is None:
        valid = ", ".join(backend_names(spec))
        raise InputError(
            f"kind {spec.name!r} has no backend {name!r}", field="backend", hint=f"valid: {valid}"
        )
    return import_backend(name, target)


def import_backend(name: str, target: str) -> Backend:
    """The function `target` ("module:function") names; BackendUnavailable where its module
    (or a solver package it needs) cannot be imported."""
    module_name, _, func = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise BackendUnavailable(f"backend {name!r} cannot be imported: {exc}") from exc
    fn: Backend = getattr(module, func)
    return fn
