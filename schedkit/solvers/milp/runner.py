"""The one Pyomo runner: any MILP solver, within the budget, with schedkit's status and bound.

Every kind's MILP backend builds its Pyomo model and calls `solve_model`. The runner picks the
solver of `params["milp"]` (HiGHS by default; see `settings` and `catalogue`), gives it the
time left in the budget, the threads, the MIP gaps, the seed and the log (`verbose`), passes the
MIP start where the solver takes one, and maps the solver's termination to `Status`,
`Termination` and a proven bound. Solvers of `pyomo.contrib.solver` (HiGHS, SCIP, Gurobi) run
through that interface; every other name through Pyomo's classic `SolverFactory`.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pyomo.environ as pyo

from schedkit.errors import BackendUnavailable
from schedkit.solvers.budget import Budget
from schedkit.solvers.milp.catalogue import (
    FAMILIES,
    Family,
    SolverInfo,
    contrib_class,
    is_available,
    solver_info,
)
from schedkit.solvers.milp.settings import MilpSettings, milp_settings
from schedkit.solvers.milp.termination import Outcome, classic_outcome, contrib_outcome
from schedkit.solvers.result import SolveOptions, Status, Termination

MIN_SECONDS = 0.05
"""The shortest time limit a solver is given (some treat 0 as "no limit")."""
Start = list[tuple[Any, float]]
"""A MIP start: (Pyomo variable, value) pairs; integer variables not named start at 0."""


@dataclass
class MilpRun:
    """Outcome of one MILP run in schedkit terms; `loaded`: variable values are the solver's."""

    status: Status
    loaded: bool
    objective: float | None
    bound: float | None
    termination: Termination
    solver: str = "highs"
    reason: str = ""
    stats: dict[str, Any] = field(default_factory=dict)


def solve_model(
    model: pyo.ConcreteModel,
    options: SolveOptions,
    warm: Start | None = None,
    *,
    budget: Budget | None = None,
) -> MilpRun:
    """Solve `model` within `budget` (default `options.budget`); load values if any exist."""
    budget = budget or options.budget
    settings = milp_settings(options.params)
    info = solver_info(settings.solver)
    if not is_available(settings.solver):
        raise BackendUnavailable(
            f"MILP solver {settings.solver!r} is not available: install {info.family.package}"
        )
    if info.contrib:
        outcome = _run_contrib(model, info, settings, options, budget, warm or [])
    else:
        outcome = _run_classic(model, info, settings, options, budget, warm or [])
    return _finish(outcome, budget, info.name)


def _run_contrib(
    model: Any,
    info: SolverInfo,
    settings: MilpSettings,
    options: SolveOptions,
    budget: Budget,
    warm: Start,
) -> Outcome:
    """HiGHS, SCIP, Gurobi through `pyomo.contrib.solver`."""
    cls = contrib_class(info.pyomo)
    solver = cls() if info.pyomo == "highs" else _budgeted(cls, budget)()
    extra: dict[str, Any] = {}
    if info.pyomo == "highs":
        solver.mip_start = warm  # the contrib HiGHS has no MIP-start option: see WarmHighs
        solver.budget = budget
    elif warm:
        _set_start(model, warm)
        extra["warmstart_discrete_vars"] = True
    seed = {info.family.seed: options.seed} if info.family.seed else {}
    with _licence_limits(info.name):
        res = solver.solve(
            model,
            time_limit=max(MIN_SECONDS, budget.remaining()),
            threads=_threads(info.family, options.threads),
            rel_gap=settings.gap,
            abs_gap=settings.abs_gap,
            tee=options.verbose,
            raise_exception_on_nonoptimal_result=False,
            load_solutions=False,
            solver_options={**seed, **settings.options},
            **extra,
        )
    return contrib_outcome(res)


def _run_classic(
    model: Any,
    info: SolverInfo,
    settings: MilpSettings,
    options: SolveOptions,
    budget: Budget,
    warm: Start,
) -> Outcome:
    """Any other Pyomo solver name (CPLEX, Xpress, CBC, GLPK, ...) by its classic interface."""
    opt = pyo.SolverFactory(info.pyomo)
    family, seconds = info.family, max(MIN_SECONDS, budget.remaining())
    values = {
        family.time: max(1, int(seconds)) if family.whole_seconds else seconds,
        family.threads: _threads(family, options.threads),
        family.gap: settings.gap,
        family.abs_gap: settings.abs_gap,
        family.seed: options.seed,
    }
    solver_options = {k: v for k, v in values.items() if k is not None} | settings.options
    kwargs: dict[str, Any] = {"tee": options.verbose, "load_solutions": False}
    if family.time is None:  # the solver's own name for it is unknown: Pyomo's generic limit
        kwargs["timelimit"] = seconds
    capable = getattr(opt, "warm_start_capable", None)
    if warm and capable is not None and capable():
        _set_start(model, warm)
        kwargs["warmstart"] = True
    with _licence_limits(info.name):
        results = opt.solve(model, options=solver_options, **kwargs)
    return classic_outcome(model, results)


def _threads(family: Family, wanted: int) -> int:
    """HiGHS keeps one thread pool per process, so every HiGHS run keeps the first count."""
    if family is FAMILIES["highs"]:
        from schedkit.solvers.milp.highs import pinned_threads

        return pinned_threads(wanted)
    return wanted


def _budgeted(cls: type, budget: Budget) -> type:
    """`cls` whose time limit is what `budget` has left once the solver's copy of the model
    is built: converting a large Pyomo model takes seconds that must not come on top."""

    def create(self: Any, model: Any, config: Any) -> Any:
        built = cls._create_solver_model(self, model, config)  # type: ignore[attr-defined]
        config.time_limit = max(MIN_SECONDS, budget.remaining())
        return built

    return type(cls.__name__, (cls,), {"_create_solver_model": create})


@contextlib.contextmanager
def _licence_limits(solver: str) -> Iterator[None]:
    """A solver refusing the model under its licence (e.g. gurobipy's size-limited pip
    licence) cannot run it here: BackendUnavailable, which the portfolio records."""
    try:
        yield
    except Exception as exc:
        if "licen" not in str(exc).lower():
            raise
        raise BackendUnavailable(f"{solver}: {exc}") from None


def _set_start(model: Any, warm: Start) -> None:
    """Write the MIP start into the variables' values (integer variables not named: 0)."""
    for var in model.component_data_objects(pyo.Var, descend_into=True):
        if var.is_integer() and not var.fixed:
            low = var.lb if var.lb is not None else 0
            var.set_value(max(0, low), skip_validation=True)
    for var, value in warm:
        var.set_value(value, skip_validation=True)


def _finish(outcome: Outcome, budget: Budget, solver: str) -> MilpRun:
    """Status and termination from the outcome; "optimal" only when the gap is really closed."""
    obj, bound, termination = outcome.objective, outcome.bound, outcome.termination
    if bound is not None and not math.isfinite(bound):
        bound = None
    if termination is Termination.COMPLETED and budget.expired():
        termination = Termination.TIME_LIMIT
    closed = bound is None or obj is None or obj - bound <= 2e-6 * max(1.0, abs(obj))
    if termination is Termination.OPTIMAL and not closed:
        termination = Termination.COMPLETED  # stopped at the user's milp.mip_gap
    if termination is Termination.INFEASIBLE and not outcome.loaded:
        status = Status.INFEASIBLE
    elif termination is Termination.OPTIMAL and outcome.loaded:
        status = Status.OPTIMAL
    else:
        status = Status.FEASIBLE if outcome.loaded else Status.UNKNOWN
    reason = outcome.reason
    stats = {"solver": solver, "solver_termination": outcome.raw}
    return MilpRun(status, outcome.loaded, obj, bound, termination, solver, reason, stats)
