"""The registry of problem kinds.

Each kind lives in its own package under `schedkit.models` and exposes a `SPEC`: its problem and
solution classes, its independent validator, its combinatorial lower bound and its backends
(import paths, loaded lazily so that a missing optional solver only disables that backend).
Adding a kind means writing that package: it is discovered, nothing else changes.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from schedkit.errors import InputError
from schedkit.io.formats import Format
from schedkit.models.base import Problem, Report, Solution


@dataclass(frozen=True)
class KindSpec:
    """Everything the generic machinery needs to know about one problem kind."""

    name: str
    problem: type[Problem]
    solution: type[Solution]
    validate: Callable[[Any, Any], Report]
    lower_bound: Callable[..., float | None]
    """`lower_bound(problem, budget=None)`: the kind's combinatorial bound, within `budget`."""
    backends: Mapping[str, str]
    """backend name -> "module:function"; the function is a `schedkit.solvers.registry.Backend`."""
    exact: tuple[str, ...] = ("cpsat", "milp")
    """Exact backends in the order `auto` tries them after the heuristic."""
    heuristic: str = "heuristic"
    auto_heuristic_share: float = 0.3
    """Share of the time limit that `auto` gives the heuristic before the exact backend."""
    integral: bool = True
    """Objective values are integers, so a fractional bound may be rounded up."""
    formats: tuple[Format, ...] = ()
    """Standard file formats whose readers produce this kind."""
    generator: str | None = None
    """"module:function" of a typer command that generates instances (`schedkit generate`)."""
    params: Mapping[str, str] = field(default_factory=dict)
    """Kind-level `params` keys its backends read -> one line on each (engine sections such as
    `cpsat.*` are always accepted); any other key is an input error."""


_SPECS: dict[str, KindSpec] = {}


def kind_modules() -> list[str]:
    """The packages under `schedkit.models` that define a kind (they have a SPEC)."""
    import schedkit.models as models

    return [f"schedkit.models.{m.name}" for m in pkgutil.iter_modules(models.__path__) if m.ispkg]


def _load_all() -> None:
    if _SPECS:
        return
    for module in kind_modules():
        spec = getattr(importlib.import_module(module), "SPEC", None)
        if isinstance(spec, KindSpec):
            _SPECS[spec.name] = spec


def all_kinds() -> dict[str, KindSpec]:
    """Every registered kind, by name."""
    _load_all()
    return dict(_SPECS)


def get_kind(name: str) -> KindSpec:
    """The spec of kind `name`; an `InputError` that lists the valid kinds otherwise."""
    _load_all()
    try:
        return _SPECS[name]
    except KeyError:
        valid = ", ".join(sorted(_SPECS))
        raise InputError(f"unknown kind {name!r}", field="kind", hint=f"valid: {valid}") from None


def kind_of(obj: Problem | Solution) -> KindSpec:
    """The spec of a problem or solution object."""
    return get_kind(type(obj).KIND)
