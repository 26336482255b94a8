"""Write a compiled model as a file another tool reads: LP or MPS (MILP), text proto (CP-SAT).

LP and MPS come from Pyomo's writers with symbolic labels, so names are the Pyomo component
names (`x(3_12)` for `x[3,12]`, `c_l_rows(5)_` for the 5th row of a ConstraintList `rows`);
docs/milp.md maps them back to jobs, activities, ops and experts.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from schedkit.errors import InputError
from schedkit.kinds import KindSpec
from schedkit.models.base import Problem
from schedkit.solvers.compiled import Compiled, compile_model
from schedkit.solvers.result import SolveOptions

MODEL_FORMATS = {"lp": "milp", "mps": "milp", "cpsat": "cpsat"}
"""Model file format -> the engine whose model it holds."""


def model_formats(spec: KindSpec) -> list[str]:
    """The model file formats a kind can write: those of the engines it compiles to."""
    return [fmt for fmt, engine in MODEL_FORMATS.items() if engine in spec.models]


def model_text(compiled: Compiled, fmt: str) -> str:
    """The model in format `fmt` (lp, mps or cpsat) as text."""
    if MODEL_FORMATS.get(fmt) != compiled.engine:
        raise InputError(f"cannot write a {compiled.engine} model as {fmt!r}", field="format")
    if fmt == "cpsat":
        return str(compiled.model.proto)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"model.{fmt}"
        # Pyomo picks its writer from the extension (".lp": CPLEX LP, ".mps": free MPS)
        compiled.model.write(str(path), io_options={"symbolic_solver_labels": True})
        return path.read_text()


def export_model(problem: Problem, fmt: str, options: SolveOptions) -> str:
    """The `fmt` file text of the model its backend builds for `problem` with `options`."""
    return model_text(compile_model(problem, MODEL_FORMATS[fmt], options), fmt)
