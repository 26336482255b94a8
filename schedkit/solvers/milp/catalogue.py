"""The MILP solvers schedkit knows by name, how to reach them through Pyomo, and what to install.

`--param milp.solver=NAME` takes a name of `SOLVERS` (`highs`, `scip`, `gurobi`, `cplex`,
`xpress`, `cbc`, `glpk`) or any name Pyomo's `SolverFactory` knows (`gurobi_persistent`,
`cplex_persistent`, `appsi_highs`, ...). Per solver family the table says which package
provides it and the solver's own names for the time limit, threads, MIP gaps and seed, so one
runner (`schedkit.solvers.milp.runner`) applies the same contract to every solver.
"""

from __future__ import annotations

import functools
import importlib
from dataclasses import dataclass

CONTRIB = {
    "highs": "schedkit.solvers.milp.highs:WarmHighs",
    "scip_direct": "pyomo.contrib.solver.solvers.scip.scip_direct:ScipDirect",
    "scip_persistent": "pyomo.contrib.solver.solvers.scip.scip_persistent:ScipPersistent",
    "gurobi_direct_v2": "pyomo.contrib.solver.solvers.gurobi.gurobi_direct:GurobiDirect",
    "gurobi_persistent_v2": (
        "pyomo.contrib.solver.solvers.gurobi.gurobi_persistent:GurobiPersistent"
    ),
}
"""Pyomo names run through the `pyomo.contrib.solver` interface -> its class. These take the
time limit, threads and gaps as config fields; the family's seed name goes in the options."""


@dataclass(frozen=True)
class Family:
    """A solver's package and its own names for the contract's options."""

    package: str
    time: str | None = None
    threads: str | None = None
    gap: str | None = None
    abs_gap: str | None = None
    seed: str | None = None
    whole_seconds: bool = False
    """The time limit option takes an integer (GLPK's --tmlim)."""


FAMILIES = {
    "highs": Family(
        "highspy", "time_limit", "threads", "mip_rel_gap", "mip_abs_gap", "random_seed"
    ),
    "scip": Family(
        "pyscipopt (pip install 'schedkit[scip]')",
        "limits/time",
        "lp/threads",
        "limits/gap",
        "limits/absgap",
        "randomization/randomseedshift",
    ),
    "gurobi": Family(
        "gurobipy (pip install 'schedkit[gurobi]')",
        "TimeLimit",
        "Threads",
        "MIPGap",
        "MIPGapAbs",
        "Seed",
    ),
    "cplex": Family(
        "cplex (IBM's Python package, with a licence)",
        "timelimit",
        "threads",
        "mip_tolerances_mipgap",
        "mip_tolerances_absmipgap",
        "randomseed",
    ),
    "xpress": Family(
        "xpress (FICO's Python package, with a licence)",
        "timelimit",
        "threads",
        "miprelstop",
        "mipabsstop",
        "randomseed",
    ),
    "cbc": Family(
        "the cbc executable (e.g. apt install coinor-cbc)",
        "seconds",
        "threads",
        "ratioGap",
        "allowableGap",
        "randomCbcSeed",
    ),
    "glpk": Family(
        "the glpsol executable (e.g. apt install glpk-utils)",
        "tmlim",
        gap="mipgap",
        whole_seconds=True,
    ),
}


@dataclass(frozen=True)
class SolverInfo:
    """One MILP solver as the runner sees it: Pyomo name and option names."""

    name: str
    pyomo: str
    family: Family

    @property
    def contrib(self) -> bool:
        """Runs through `pyomo.contrib.solver` (time, threads and gaps are config fields)."""
        return self.pyomo in CONTRIB


SOLVERS = {
    "highs": "highs",
    "scip": "scip_direct",
    "gurobi": "gurobi_direct_v2",
    "cplex": "cplex_direct",
    "xpress": "xpress_direct",
    "cbc": "cbc",
    "glpk": "glpk",
}
"""schedkit's solver names -> the Pyomo name used for each; `highs` is the default."""

DEFAULT = "highs"


def solver_info(name: str) -> SolverInfo:
    """How to run solver `name` (a schedkit name or any Pyomo solver name)."""
    pyomo_name = SOLVERS.get(name, name)
    family = next((f for key, f in FAMILIES.items() if key in pyomo_name), None)
    if family is None:
        family = Family(f"the solver Pyomo calls {name!r}")
    return SolverInfo(name, pyomo_name, family)


def is_known(name: str) -> bool:
    """True for schedkit's names and every name Pyomo's solver factories know."""
    import pyomo.environ as pyo

    return name in SOLVERS or name in CONTRIB or name in pyo.SolverFactory


def contrib_class(pyomo_name: str) -> type:
    """The `pyomo.contrib.solver` class of `pyomo_name` (a key of CONTRIB)."""
    module, _, cls = CONTRIB[pyomo_name].partition(":")
    found: type = getattr(importlib.import_module(module), cls)
    return found


@functools.cache
def is_available(name: str) -> bool:
    """Whether solver `name` is installed (and licensed) on this machine."""
    info = solver_info(name)
    try:
        if info.contrib:
            return bool(contrib_class(info.pyomo)().available())
        import pyomo.environ as pyo

        opt = pyo.SolverFactory(info.pyomo)
        if not opt.available(exception_flag=False):
            return False
        check = getattr(opt, "license_is_valid", None)
        return bool(check()) if check is not None else True
    except Exception:  # a broken installation counts as absent
        return False


def available_solvers() -> list[str]:
    """schedkit's named solvers found on this machine (for `schedkit info`)."""
    return [name for name in SOLVERS if is_available(name)]
