"""The one CP-SAT runner: parameters from `SolveOptions`, the budget, logs, status mapping.

Every kind's CP-SAT backend builds its model and calls `run_cpsat`; nothing else creates a
`CpSolver`. Parameters are applied in this order: the runner's defaults (time from the budget,
threads, seed, log), then the backend's `defaults` (tuning for its model), then the user's
`params["cpsat"]`, which `check_cpsat_params` validates against CP-SAT's own parameter message
before any solve starts, so a typo is an input error and not a crash.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from google.protobuf import text_format
from ortools.sat import sat_parameters_pb2
from ortools.sat.python import cp_model

from schedkit.errors import InputError
from schedkit.solvers.budget import Budget
from schedkit.solvers.result import SolveOptions, Status, Termination

STATUS = {
    cp_model.OPTIMAL: Status.OPTIMAL,
    cp_model.FEASIBLE: Status.FEASIBLE,
    cp_model.INFEASIBLE: Status.INFEASIBLE,
    cp_model.MODEL_INVALID: Status.UNKNOWN,
    cp_model.UNKNOWN: Status.UNKNOWN,
}

MIN_SECONDS = 0.01
"""CP-SAT treats 0 as "no limit"; the smallest time it is given."""


def _set(params: sat_parameters_pb2.SatParameters, name: str, value: Any) -> None:
    """Set one parameter by name; InputError naming it when the name or value is wrong."""
    fields = params.DESCRIPTOR.fields_by_name
    if name not in fields:
        raise InputError(
            f"CP-SAT has no parameter {name!r}",
            field=f"param cpsat.{name}",
            hint="see ortools/sat/sat_parameters.proto",
        )
    desc = fields[name]
    try:
        if desc.is_repeated:
            container = getattr(params, name)
            del container[:]
            values = value if isinstance(value, list | tuple) else [value]
            container.extend(values)
        elif desc.enum_type is not None and isinstance(value, str):
            if value not in desc.enum_type.values_by_name:
                valid = ", ".join(desc.enum_type.values_by_name)
                raise ValueError(f"valid: {valid}")
            setattr(params, name, desc.enum_type.values_by_name[value].number)
        else:
            setattr(params, name, value)
    except (TypeError, ValueError, KeyError) as exc:
        raise InputError(
            f"bad value {value!r} for CP-SAT parameter {name!r}: {exc}",
            field=f"param cpsat.{name}",
        ) from None


def check_cpsat_params(values: Any) -> None:
    """Raise InputError unless `values` is a mapping of valid CP-SAT parameters."""
    if not isinstance(values, Mapping):
        raise InputError("expected NAME=VALUE pairs under cpsat", field="param cpsat")
    probe = sat_parameters_pb2.SatParameters()
    for name, value in values.items():
        _set(probe, str(name), value)


def cpsat_parameters(
    options: SolveOptions, budget: Budget, defaults: Mapping[str, Any] | None = None
) -> sat_parameters_pb2.SatParameters:
    """CP-SAT parameters for one run within `budget`."""
    params = sat_parameters_pb2.SatParameters()
    params.max_time_in_seconds = max(MIN_SECONDS, budget.remaining())
    params.num_workers = max(1, options.threads)
    params.random_seed = options.seed
    params.log_search_progress = options.verbose
    for name, value in {**(defaults or {}), **options.params.get("cpsat", {})}.items():
        _set(params, name, value)
    return params


@dataclass
class CpsatRun:
    """A finished CP-SAT run in schedkit's terms; `solver` still answers `value()` queries."""

    solver: cp_model.CpSolver
    status: Status
    termination: Termination
    has_solution: bool
    objective: float | None
    bound: float | None
    reason: str = ""
    stats: dict[str, Any] = field(default_factory=dict)

    def value(self, expr: Any) -> int:
        return int(self.solver.value(expr))


def _termination(code: Any, solver: cp_model.CpSolver, budget: Budget) -> Termination:
    if code == cp_model.OPTIMAL:
        return Termination.OPTIMAL
    if code == cp_model.INFEASIBLE:
        return Termination.INFEASIBLE
    if code == cp_model.MODEL_INVALID:
        return Termination.ERROR
    limit = solver.parameters.max_time_in_seconds
    if budget.expired() or solver.wall_time >= 0.95 * limit:
        return Termination.TIME_LIMIT
    return Termination.COMPLETED


def run_cpsat(
    model: cp_model.CpModel,
    options: SolveOptions,
    *,
    budget: Budget | None = None,
    defaults: Mapping[str, Any] | None = None,
) -> CpsatRun:
    """Solve `model` within `budget` (default: `options.budget`)."""
    budget = budget or options.budget
    solver = cp_model.CpSolver()
    text = text_format.MessageToString(cpsat_parameters(options, budget, defaults))
    solver.parameters.parse_text_format(text)
    if options.verbose:  # logs on stderr, so that `--json` output stays clean
        solver.parameters.log_to_stdout = False
        solver.log_callback = lambda line: print(line, file=sys.stderr)
    code = solver.solve(model)
    status = STATUS[code]
    has_solution = code in (cp_model.OPTIMAL, cp_model.FEASIBLE)
    has_objective = model.proto.has_objective() or model.proto.has_floating_point_objective()
    proved_bound = code not in (cp_model.INFEASIBLE, cp_model.MODEL_INVALID)
    reason = ""
    if code == cp_model.MODEL_INVALID:
        reason = f"CP-SAT rejected the model: {model.validate()}"
    return CpsatRun(
        solver=solver,
        status=status,
        termination=_termination(code, solver, budget),
        has_solution=has_solution,
        objective=float(solver.objective_value) if has_solution and has_objective else None,
        bound=float(solver.best_objective_bound) if has_objective and proved_bound else None,
        reason=reason,
        stats={
            "wall_time_s": round(solver.wall_time, 4),
            "deterministic_time": round(solver.deterministic_time, 4),
            "branches": solver.num_branches,
            "conflicts": solver.num_conflicts,
            "cpsat_status": solver.status_name(code),
        },
    )
