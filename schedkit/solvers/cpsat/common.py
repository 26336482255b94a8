"""Shared CP-SAT plumbing: solver parameters from SolveOptions and status mapping."""

from __future__ import annotations

from typing import Any

from ortools.sat.python import cp_model

from schedkit.solvers.result import SolveOptions, Status

STATUS = {
    cp_model.OPTIMAL: Status.OPTIMAL,
    cp_model.FEASIBLE: Status.FEASIBLE,
    cp_model.INFEASIBLE: Status.INFEASIBLE,
    cp_model.MODEL_INVALID: Status.UNKNOWN,
    cp_model.UNKNOWN: Status.UNKNOWN,
}


def make_solver(options: SolveOptions) -> cp_model.CpSolver:
    """A CpSolver honouring the remaining time, threads, seed and verbosity.

    `options.params["cpsat"]` may hold any CP-SAT parameter by name (passed through).
    """
    solver = cp_model.CpSolver()
    params = solver.parameters
    params.max_time_in_seconds = max(0.01, options.remaining())
    params.num_workers = max(1, options.threads)
    params.random_seed = options.seed
    params.log_search_progress = options.verbose
    for key, value in options.params.get("cpsat", {}).items():
        setattr(params, key, value)
    return solver


def solver_stats(solver: cp_model.CpSolver, code: Any) -> dict[str, float | int | str]:
    """A few figures of a finished CP-SAT run for `Result.stats`."""
    return {
        "wall_time_s": round(solver.wall_time, 4),
        "branches": solver.num_branches,
        "conflicts": solver.num_conflicts,
        "status_name": solver.status_name(code),
    }
