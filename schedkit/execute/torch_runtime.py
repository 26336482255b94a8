"""Pipeline replay through torch.distributed.pipelining's own schedule runtime.

The schedule (and 1F1B as the baseline) is exported as torch's compute-only CSV
(`schedkit.io.torch_pipeline.to_torch_csv`, what `schedkit export --format torch-csv` writes),
checked by torch's own validation, lowering and dry-run (`torch_validate`), then run by
`_PipelineScheduleRuntime` in one process per device over `PipelineStage`s of the built-in block
model (`torch_runtime_exec`). Measured per schedule: the iteration wall time (first rank start
to last rank done, median over the timed iterations, ms) and, after the last iteration, every
parameter gradient against the single-process reference (`pipeline.reference_grads`). torch's
runtime exposes no per-op timing, so there is no makespan or re-simulation here: run the
default runtime (schedkit's executor) for those.

torch's runtime accepts any stage-to-rank mapping that the CSV implies (one or several stages
per rank, looped or V placement; adjacent stages on one rank hand off locally). A schedule it
refuses (parsing, `_validate_schedule`, send / recv lowering or its deadlock check) raises
`BackendUnavailable` with torch's reason on one line.

This module imports torch only inside functions.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar, Unpack

from schedkit.errors import BackendUnavailable
from schedkit.execute import require_torch
from schedkit.execute.pipeline import (
    PipelineResultBase,
    RunArgs,
    RunOptions,
    Runtime,
    iteration_walls,
    predicted,
    replay_pipeline,
    run_runtime,
)
from schedkit.io.torch_pipeline import to_torch_csv, torch_validate
from schedkit.models.pipeline.problem import PipelineProblem, PipelineSolution

RUNTIME_NAME = "torch.distributed.pipelining _PipelineScheduleRuntime"


@dataclass
class TorchRuntimeMeasure:
    """One schedule run by torch's runtime: predicted figures (instance units), the median
    iteration wall time and every timed iteration's (ms), the gradient check."""

    name: str
    predicted_makespan: float
    predicted_span: float
    measured_wall: float
    iterations: list[float] = field(default_factory=list)
    grad_max_abs_diff: float | None = None

    def metric(self, objective: str, which: str) -> float:
        """The iteration wall time (`which` measured) or the instance's objective
        (predicted)."""
        value: float = (
            self.measured_wall if which == "measured" else getattr(self, f"predicted_{objective}")
        )
        return value

    def figures(self) -> str:
        """The iteration wall time, for `summary`."""
        return f" | iteration wall {self.measured_wall:.1f} ms"

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class TorchRuntimeResult(PipelineResultBase[TorchRuntimeMeasure]):
    """A schedule and its baseline run by torch's runtime on `devices` processes; `speedup`
    compares iteration wall times (measured) or the instance's objective (predicted)."""

    VIA: ClassVar[str] = f" with {RUNTIME_NAME}"
    MEASURED: ClassVar[str] = "measured (wall)"

    runtime: str = "torch"


def first_line(exc: BaseException) -> str:
    """The first non-empty line of an exception's message (torch appends whole schedules)."""
    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
    return lines[0] if lines else type(exc).__name__


def require_runtime() -> None:
    """BackendUnavailable unless this torch has the (private) runtime API used here; written
    against torch 2.13's `_PipelineScheduleRuntime._load_csv` and static `PipelineStage`s."""
    torch = require_torch()
    try:
        from torch.distributed.pipelining.schedules import _PipelineScheduleRuntime
    except ImportError:
        raise BackendUnavailable(
            f"torch {torch.__version__} has no torch.distributed.pipelining "
            "_PipelineScheduleRuntime (written against torch 2.13)"
        ) from None
    if not hasattr(_PipelineScheduleRuntime, "_load_csv"):
        raise BackendUnavailable(
            f"torch {torch.__version__}: _PipelineScheduleRuntime has no _load_csv"
        )


def torch_csv_checked(problem: PipelineProblem, name: str, solution: PipelineSolution) -> str:
    """The schedule's compute-only CSV, after torch's own checks accepted it; otherwise
    BackendUnavailable with torch's reason on one line."""
    require_runtime()
    text = to_torch_csv(problem, solution)
    try:
        torch_validate(problem, text)
    except Exception as exc:  # torch raises AssertionError / ValueError / RuntimeError
        raise BackendUnavailable(
            f"{RUNTIME_NAME} cannot run schedule {name!r}: {first_line(exc)}"
        ) from None
    return text


def measure(
    problem: PipelineProblem, name: str, solution: PipelineSolution, per_rank: list[Any]
) -> TorchRuntimeMeasure:
    """Predicted figures and measured iteration wall times of one schedule (ms)."""
    walls = iteration_walls(per_rank)
    return TorchRuntimeMeasure(
        name=name,
        **predicted(problem, solution.orders(problem.devices)),
        measured_wall=1e3 * statistics.median(walls),
        iterations=[round(1e3 * w, 3) for w in walls],
    )


def _torch_exec() -> tuple[Callable[..., Any], Callable[..., None]]:
    """The per-rank module of torch's runtime: its job class and worker."""
    from schedkit.execute import torch_runtime_exec

    return torch_runtime_exec.TorchJob, torch_runtime_exec.worker


TORCH: Runtime[PipelineSolution, TorchRuntimeMeasure, TorchRuntimeResult] = Runtime(
    load=_torch_exec,
    wire=torch_csv_checked,
    measure=measure,
    schedule_of=lambda _problem, sol: sol,
    result=TorchRuntimeResult,
)
"""torch's runtime (`torch_runtime_exec`): schedules travel as checked compute-only CSV."""


def run_torch_runtime(
    problem: PipelineProblem, schedules: dict[str, PipelineSolution], **options: Unpack[RunArgs]
) -> tuple[dict[str, TorchRuntimeMeasure], str, str]:
    """Run several schedules through torch's runtime in one set of processes:
    (measures, device, backend)."""
    return run_runtime(problem, schedules, TORCH, RunOptions(**options))


def replay_torch_runtime(
    problem: PipelineProblem, solution: PipelineSolution, **options: Any
) -> TorchRuntimeResult:
    """Run `solution` (with 1F1B as the baseline and any `others`) through torch's runtime
    and check its gradients: `pipeline.replay_pipeline(runtime="torch")`, which takes the
    same `options` (sizes, device, iters, warmup, baseline, check, seed, others)."""
    result = replay_pipeline(problem, solution, runtime="torch", **options)
    assert isinstance(result, TorchRuntimeResult)
    return result
