"""The registry of problem kinds.

Each kind lives in its own package under `schedkit.models` and exposes a `SPEC`: its problem and
solution classes, its independent validator, its combinatorial lower bound, its backends, and
what the CLI and the batch runner need (plot, exporters, replay, best-known tables), all as
"module:function" paths imported on use, so a missing optional package only disables what
needs it. Adding a kind means writing that package, or a module of your own with a `SPEC`
named in $SCHEDKIT_KINDS (or passed to `use_kinds`); nothing else changes.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from schedkit.errors import InputError
from schedkit.io.formats import Format
from schedkit.models.base import Problem, Report, Solution


@dataclass(frozen=True)
class ReferenceSet:
    """Best-known values published beside a standard instance set (e.g. wtopt40.txt).

    `instance` is a regex on an instance file's name; `tables` are paths of reference files
    relative to that file's folder, as format strings over the regex's named groups and
    `{folder}` (the folder's name); `table` is a regex on a reference file's name (such files
    are skipped when a folder is expanded into instances); `reader(path)` returns
    {instance name: value}.
    """

    instance: str
    tables: tuple[str, ...]
    table: str
    reader: str


@dataclass(frozen=True)
class Replay:
    """How a kind's solutions run for real: `entry(problem, solution, *, device, iters,
    **sizes, **options)` and the names of the kind-specific `options` it takes."""

    entry: str
    options: tuple[str, ...] = ()


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
    auto_exact_share: float = 1.0
    """With one worker: the share of what is left that `auto` gives the exact backends; if they
    end unproven, the heuristic gets the rest, starting from the best answer."""
    auto_params: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    """backend -> params `auto` passes to it unless the user set them (not to the heuristic's
    run after the exact backends: that one keeps the heuristic's defaults)."""
    integral: bool = True
    """Objective values are integers, so a fractional bound may be rounded up."""
    formats: tuple[Format, ...] = ()
    """Standard file formats whose readers produce this kind."""
    generator: str | None = None
    """"module:function" of a typer command that generates instances (`schedkit generate`)."""
    models: Mapping[str, str] = field(default_factory=dict)
    """engine ("milp", "cpsat") -> "module:function" building the model exactly as that backend
    does: `build(problem, options) -> model`, for `export --format lp|mps|cpsat` and `info`."""
    params: Mapping[str, str] = field(default_factory=dict)
    """Kind-level `params` keys its backends read -> one line on each (engine sections such as
    `cpsat.*` are always accepted); any other key is an input error."""
    plot: str | None = None
    """"module:function" of `draw(problem, solution) -> ScheduleFigure` (`schedkit plot`)."""
    exporters: Mapping[str, str] = field(default_factory=dict)
    """format name -> "module:function" of `export(problem, solution) -> str`."""
    replay: Replay | None = None
    """How solutions run for real (`schedkit replay`), if they can."""
    references: tuple[ReferenceSet, ...] = ()
    """Best-known tables of standard sets, found by `bench` beside their instances."""


def resolve(target: str) -> Any:
    """The object a "module:function" path names (imported now)."""
    module_name, _, name = target.partition(":")
    return getattr(importlib.import_module(module_name), name)


_SPECS: dict[str, KindSpec] = {}


def kind_modules() -> list[str]:
    """The packages under `schedkit.models` that define a kind (they have a SPEC)."""
    import schedkit.models as models

    return [f"schedkit.models.{m.name}" for m in pkgutil.iter_modules(models.__path__) if m.ispkg]


PLUGINS_ENV = "SCHEDKIT_KINDS"
"""Comma-separated modules, each with a `SPEC`, that add kinds from outside schedkit."""
_PLUGINS: list[str] = []


def _spec_of(module: str) -> KindSpec:
    try:
        spec = getattr(importlib.import_module(module), "SPEC", None)
    except ImportError as exc:
        raise InputError(
            f"cannot import kind module {module!r}: {exc}", field=PLUGINS_ENV
        ) from None
    if not isinstance(spec, KindSpec):
        raise InputError(f"module {module!r} has no KindSpec named SPEC", field=PLUGINS_ENV)
    return spec


def use_kinds(modules: list[str]) -> None:
    """Register the kinds that `modules` define (each a module with a `SPEC`)."""
    _load_all()
    _add_plugins(modules)


def _add_plugins(modules: list[str]) -> None:
    for module in modules:
        spec = _spec_of(module)
        _SPECS[spec.name] = spec
        if module not in _PLUGINS:
            _PLUGINS.append(module)


def plugin_modules() -> list[str]:
    """The modules registered by `use_kinds` (or $SCHEDKIT_KINDS), for child processes."""
    _load_all()
    return list(_PLUGINS)


def _load_all() -> None:
    if _SPECS:
        return
    for module in kind_modules():
        spec = getattr(importlib.import_module(module), "SPEC", None)
        if isinstance(spec, KindSpec):
            _SPECS[spec.name] = spec
    _add_plugins([m.strip() for m in os.environ.get(PLUGINS_ENV, "").split(",") if m.strip()])


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
