"""A MILP solver's own termination, read from either Pyomo interface, in schedkit's terms.

schedkit's models are bounded (they minimise non-negative times, loads or tardiness), so
"infeasible or unbounded" means infeasible.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pyomo.environ as pyo

from schedkit.solvers.result import Termination


@dataclass
class Outcome:
    """What a solver said: values loaded into the model, objective, bound, why it stopped."""

    loaded: bool
    objective: float | None
    bound: float | None
    termination: Termination
    raw: str
    reason: str = ""


CONTRIB = {
    "convergenceCriteriaSatisfied": Termination.OPTIMAL,
    "provenInfeasible": Termination.INFEASIBLE,
    "locallyInfeasible": Termination.INFEASIBLE,
    "infeasibleOrUnbounded": Termination.INFEASIBLE,
    "maxTimeLimit": Termination.TIME_LIMIT,
    "interrupted": Termination.INTERRUPTED,
    "error": Termination.ERROR,
    "licensingProblem": Termination.ERROR,
}
CLASSIC = {
    "optimal": Termination.OPTIMAL,
    "globallyOptimal": Termination.OPTIMAL,
    "infeasible": Termination.INFEASIBLE,
    "infeasibleOrUnbounded": Termination.INFEASIBLE,
    "maxTimeLimit": Termination.TIME_LIMIT,
    "userInterrupt": Termination.INTERRUPTED,
    "error": Termination.ERROR,
    "solverFailure": Termination.ERROR,
    "internalSolverError": Termination.ERROR,
    "licensingProblems": Termination.ERROR,
}


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if number == number else None  # NaN: none


def contrib_outcome(res: Any) -> Outcome:
    """Read a `pyomo.contrib.solver` Results (values not loaded yet)."""
    raw = res.termination_condition.name
    loaded = res.incumbent_objective is not None
    if loaded:
        res.solution_loader.load_vars()
    termination = CONTRIB.get(raw, Termination.COMPLETED)
    reason = f"solver ended with {raw}" if termination is Termination.ERROR else ""
    return Outcome(
        loaded,
        _number(res.incumbent_objective),
        _number(res.objective_bound),
        termination,
        raw,
        reason,
    )


def classic_outcome(model: Any, results: Any) -> Outcome:
    """Read a classic `SolverFactory` results object and load its solution into `model`."""
    raw = str(results.solver.termination_condition)
    termination = CLASSIC.get(raw, Termination.COMPLETED)
    loaded = len(results.solution) > 0 and termination is not Termination.INFEASIBLE
    objective = None
    if loaded:
        model.solutions.load_from(results)
        active = next(model.component_data_objects(pyo.Objective, active=True), None)
        objective = None if active is None else _number(pyo.value(active))
    bound = _number(results.problem.lower_bound)
    reason = f"solver ended with {raw}" if termination is Termination.ERROR else ""
    return Outcome(loaded, objective, bound, termination, raw, reason)
