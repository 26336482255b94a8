"""MILP test helpers: one small instance per kind, the solvers installed here, a model builder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import schedkit
from schedkit.solvers.compiled import compile_model
from schedkit.solvers.milp.catalogue import is_available
from schedkit.solvers.result import SolveOptions

INSTANCES = Path(__file__).resolve().parents[2] / "instances"
SMALL = {
    "tardiness": INSTANCES / "tardiness/releases.yaml",
    "rcpsp": INSTANCES / "rcpsp/small.yaml",
    "pipeline": Path(__file__).with_name("pipeline_p3_m4.yaml"),
    "placement": Path(__file__).with_name("placement_l2_e6.yaml"),
}
"""One small instance per kind: every solver proves each one optimal in seconds."""
SOLVERS = ["highs", "scip", "gurobi"]
"""The solvers CI installs (`make setup`: highspy, pyscipopt, gurobipy's size-limited build)."""


def solver_param(name: str) -> Any:
    """`name` as a pytest param, skipped with the package to install when it is missing."""
    mark = pytest.mark.skipif(not is_available(name), reason=f"MILP solver {name} not installed")
    return pytest.param(name, marks=mark, id=name)


def options(solver: str = "highs", limit: float = 30.0, **params: Any) -> SolveOptions:
    return SolveOptions(time_limit=limit, threads=1, params={**params, "milp": {"solver": solver}})


def build(kind: str, engine: str = "milp", **params: Any) -> Any:
    """The compiled `engine` model of the kind's small instance."""
    problem = schedkit.load(SMALL[kind])
    return compile_model(problem, engine, options(**params)).model
