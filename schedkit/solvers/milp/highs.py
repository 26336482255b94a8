"""HiGHS through `pyomo.contrib.solver`, with a MIP start; the default solver of the runner.

The contrib interface has no MIP-start option, so `WarmHighs` passes the start to highspy's
`setSolution` just before `run()`. Backends call `solve_model` (re-exported here from
`schedkit.solvers.milp.runner`, which runs every solver, HiGHS included).
"""

from __future__ import annotations

from typing import Any

from pyomo.contrib.solver.solvers.highs import Highs

from schedkit.solvers.budget import Budget
from schedkit.solvers.milp.runner import MilpRun, solve_model

__all__ = ["MilpRun", "WarmHighs", "pinned_threads", "solve_model"]


class WarmHighs(Highs):
    """HiGHS with a MIP start: `mip_start` lists (Pyomo variable, start value) pairs.

    (Set as a class-level default and assigned after construction: the base class re-runs
    `__init__` inside `solve()`, which would reset anything set there.)
    """

    mip_start: list[tuple[Any, float]] = []  # noqa: RUF012
    budget: Budget | None = None
    """When set, the time limit is what it has left once HiGHS holds the model."""

    def _solve(self) -> Any:
        if self.budget is not None:
            self._active_config.time_limit = max(0.05, self.budget.remaining())
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
