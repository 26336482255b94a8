"""Size gates of the exact pipeline backends, checked before OR-Tools or Pyomo is imported.

Importing either takes 0.5-0.8 s on a 2-core machine; at p = 64, m = 512 (98,304 ops) a
`--backend cpsat` solve that declines after the import ran past `time_limit + 1 s` on that
time alone. The registry's entries for `cpsat` and `milp` point here: an instance past the
gate raises `ModelTooLarge` (the portfolio falls back to the heuristic) without the import.
"""

from __future__ import annotations

from schedkit.errors import ModelTooLarge
from schedkit.models.pipeline.problem import PipelineProblem, PipelineSolution
from schedkit.solvers.registry import Backend, import_backend
from schedkit.solvers.result import BackendOutput, SolveOptions

MAX_OPS = 25_000
"""Largest CP-SAT model built (3 x stages x microbatches intervals): p = 32, m = 256 has
24,576; beyond, building alone takes seconds and the search finds nothing better than the
hint."""
MAX_PAIRS = 20_000
"""Most order pairs (binaries) of the MILP."""


def check_ops(problem: PipelineProblem) -> None:
    """Raise ModelTooLarge before building more than MAX_OPS intervals."""
    ops = 3 * problem.stages * problem.microbatches
    if ops > MAX_OPS:
        raise ModelTooLarge(f"{ops} ops: the CP-SAT model is limited to {MAX_OPS} intervals")


def check_pairs_estimate(problem: PipelineProblem) -> None:
    """Raise ModelTooLarge where the op counts alone rule the MILP out (the pairs of a device
    are at most n(n-1)/2; the exact count, `milp.pipeline.check_size`, needs the model's
    module)."""
    per_device = 3 * problem.chunks * problem.microbatches
    if problem.devices * per_device * (per_device - 1) // 2 > 4 * MAX_PAIRS:
        raise ModelTooLarge(f"too many order pairs for the MILP (> {MAX_PAIRS})")


def cpsat(
    problem: PipelineProblem, options: SolveOptions, hint: PipelineSolution | None
) -> BackendOutput:
    """The `cpsat` backend, past its size gate."""
    check_ops(problem)
    return _backend("cpsat")(problem, options, hint)


def milp(
    problem: PipelineProblem, options: SolveOptions, hint: PipelineSolution | None
) -> BackendOutput:
    """The `milp` backend, past its size gate."""
    check_pairs_estimate(problem)
    return _backend("milp")(problem, options, hint)


def _backend(name: str) -> Backend:
    """`solve` of `schedkit.solvers.<name>.pipeline`, imported now."""
    return import_backend(name, f"schedkit.solvers.{name}.pipeline:solve")
