"""The `milp` section of `params`: which solver, its options, the MIP gap; checked before solving.

    --param milp.solver=scip            any name of `catalogue.SOLVERS` or a Pyomo solver name
    --param milp.options.NAME=VALUE     passed to the solver as is (its own option names)
    --param milp.mip_gap=0.01           relative gap at which the solver may stop (default 1e-9)

`check_milp_params` runs in `solve()`'s argument checks, so an unknown key, a solver that is
not installed or an option name the solver does not have is an input error (exit 2) before
any time is spent. The older `highs.NAME=VALUE` section still passes options to HiGHS.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from schedkit.errors import InputError
from schedkit.solvers.milp.catalogue import DEFAULT, SOLVERS, is_available, is_known, solver_info

KEYS = {
    "solver": "highs (default), scip, gurobi, cplex, xpress, cbc, glpk or a Pyomo solver name",
    "options": "NAME=VALUE options passed to the solver under its own names",
    "mip_gap": "relative MIP gap at which the solver may stop (default 1e-9: proven optimal)",
}
DEFAULT_GAP = 1e-9
"""HiGHS' own default, 1e-4, would call a near-optimum "optimal"."""
DEFAULT_ABS_GAP = 1e-6


@dataclass(frozen=True)
class MilpSettings:
    """The solver to run and what to pass it beyond the contract's time, threads and seed."""

    solver: str = DEFAULT
    options: dict[str, Any] = field(default_factory=dict)
    gap: float = DEFAULT_GAP
    abs_gap: float = DEFAULT_ABS_GAP


def milp_settings(params: Mapping[str, Any]) -> MilpSettings:
    """The settings of `params["milp"]` (and the older `params["highs"]` for HiGHS)."""
    section = params.get("milp", {})
    solver = str(section.get("solver", DEFAULT))
    options = dict(section.get("options", {}))
    if solver == "highs":
        options = {**params.get("highs", {}), **options}
    return MilpSettings(solver, options, float(section.get("mip_gap", DEFAULT_GAP)))


def _fail(key: str, reason: str, hint: str | None = None) -> InputError:
    return InputError(reason, field=f"param milp.{key}", hint=hint)


def check_milp_params(values: Any) -> None:
    """Raise InputError unless `values` is a valid `milp` section whose solver runs here."""
    if not isinstance(values, Mapping):
        raise _fail("", "expected milp.NAME=VALUE pairs")
    for key in values:
        if key not in KEYS:
            raise _fail(str(key), f"unknown MILP parameter {key!r}", f"known: {', '.join(KEYS)}")
    gap = values.get("mip_gap", DEFAULT_GAP)
    if isinstance(gap, bool) or not isinstance(gap, int | float) or not 0 <= gap <= 1:
        raise _fail("mip_gap", f"mip_gap must be a number in [0, 1], got {gap!r}")
    if not math.isfinite(gap):
        raise _fail("mip_gap", f"mip_gap must be finite, got {gap!r}")
    options = values.get("options", {})
    if not isinstance(options, Mapping):
        raise _fail("options", "expected milp.options.NAME=VALUE pairs")
    solver = values.get("solver", DEFAULT)
    if not isinstance(solver, str):
        raise _fail("solver", f"solver must be a name, got {solver!r}")
    check_solver(solver)
    check_options(solver, options)


def check_solver(name: str) -> None:
    """InputError unless solver `name` is known and installed (naming what to install)."""
    if not is_known(name):
        raise _fail(
            "solver",
            f"unknown MILP solver {name!r}",
            f"schedkit names: {', '.join(SOLVERS)}; or any Pyomo SolverFactory name",
        )
    if not is_available(name):
        package = solver_info(name).family.package
        raise _fail("solver", f"MILP solver {name!r} is not available here: install {package}")


def check_options(name: str, options: Mapping[str, Any]) -> None:
    """InputError for an option name the solver does not have (HiGHS, SCIP and Gurobi)."""
    family = solver_info(name).pyomo
    for option in options:
        if not _has_option(family, str(option)):
            raise _fail(f"options.{option}", f"{name} has no option {option!r}")


def _has_option(pyomo_name: str, option: str) -> bool:
    """Whether the solver knows `option`; True where schedkit cannot tell."""
    if "highs" in pyomo_name:
        import highspy

        highs = highspy.Highs()
        highs.setOptionValue("output_flag", False)  # no "unknown option" line on stdout
        return bool(highs.getOptionType(option)[0] == highspy.HighsStatus.kOk)
    if "scip" in pyomo_name:
        import pyscipopt

        try:
            pyscipopt.Model().getParam(option)
        except KeyError:
            return False
        return True
    if "gurobi" in pyomo_name:
        import gurobipy

        with gurobipy.Env(empty=True) as env:
            env.setParam("OutputFlag", 0)  # no licence banner on stdout
            env.start()
            with gurobipy.Model(env=env) as model:
                return model.getParamInfo(option) is not None
    return True
