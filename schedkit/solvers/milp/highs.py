"""Run a Pyomo model on HiGHS (pyomo.contrib.solver interface), warm-started if asked.

The contrib interface has no MIP-start option, so `WarmHighs` passes the start to highspy's
`setSolution` just before `run()`. `solve_model` returns what every MILP backend needs: the
schedkit status, the incumbent and bound, and whether variable values were loaded.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pyomo.environ as pyo
from pyomo.contrib.solver.common.results import TerminationCondition
from pyomo.contrib.solver.solvers.highs import Highs

from schedkit.errors import BackendUnavailable
from schedkit.solvers.result import SolveOptions, Status


class WarmHighs(Highs):
    """HiGHS with a MIP start: `mip_start` lists (Pyomo variable, start value) pairs.

    (Set as a class-level default and assigned after construction: the base class re-runs
    `__init__` inside `solve()`, which would reset anything set there.)
    """

    mip_start: list[tuple[Any, float]] = []  # noqa: RUF012

    def _solve(self) -> Any:
        if self.mip_start:
            import highspy

            index = self._pyomo_var_to_solver_var_map
            values = [0.0] * len(index)
            for var, value in self.mip_start:
                if id(var) in index:
                    values[index[id(var)]] = float(value)
            solution = highspy.HighsSolution()
            solution.col_value = values
            solution.value_valid = True
            self._solver_model.setSolution(solution)
        return super()._solve()


_THREADS: list[int] = []
"""HiGHS keeps one thread pool per process: a later run asking for another thread count ends
with status "unknown". So the first count used in a process is kept for every later run."""


def pinned_threads(wanted: int) -> int:
    if not _THREADS:
        _THREADS.append(max(1, wanted))
    return _THREADS[0]


@dataclass
class MilpRun:
    """Outcome of one HiGHS run in schedkit terms."""

    status: Status
    loaded: bool
    objective: float | None
    bound: float | None
    termination: str


def solve_model(
    model: pyo.ConcreteModel, options: SolveOptions, warm: list[tuple[Any, float]] | None = None
) -> MilpRun:
    """Solve `model` within the budget; load variable values if any exist."""
    solver = WarmHighs()
    solver.mip_start = warm or []
    if not solver.available():
        raise BackendUnavailable("HiGHS (highspy) is not available")
    time_limit = max(0.05, options.budget.remaining())
    solver_options = {"random_seed": options.seed, **options.params.get("highs", {})}
    res = solver.solve(
        model,
        time_limit=time_limit,
        threads=pinned_threads(options.threads),
        rel_gap=1e-9,  # HiGHS' default 1e-4 would call a near-optimum "optimal"
        abs_gap=1e-6,
        tee=options.verbose,
        raise_exception_on_nonoptimal_result=False,
        load_solutions=False,
        solver_options=solver_options,
    )
    tc = res.termination_condition
    has_solution = res.incumbent_objective is not None
    if has_solution:
        res.solution_loader.load_vars()
    bound = res.objective_bound
    bound = None if bound is None or not math.isfinite(bound) else float(bound)
    if tc == TerminationCondition.provenInfeasible:
        status = Status.INFEASIBLE
    elif tc == TerminationCondition.convergenceCriteriaSatisfied and has_solution:
        status = Status.OPTIMAL
    elif has_solution:
        status = Status.FEASIBLE
    else:
        status = Status.UNKNOWN
    return MilpRun(status, has_solution, res.incumbent_objective, bound, tc.name)
