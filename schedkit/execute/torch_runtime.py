"""Pipeline replay through torch.distributed.pipelining's own schedule runtime.

The schedule (and 1F1B as the baseline) is exported as torch's action CSV
(`schedkit.io.torch_pipeline.to_torch_csv`, what `schedkit export --format torch-csv` writes:
by default with explicit send / receive actions placed from the schedule's timing, and here
with stage 0's split backward as one full backward (`fuse_first`) and, on gloo, every receive
posted at the start of the step (`comms="early"`, `comms_for`); `TorchSchedule(solution,
comms="none", fuse_first=False)` runs the plain compute-only CSV, which torch lowers itself),
checked by torch's own validation, lowering and dry-run (`torch_validate`), then run by
`_PipelineScheduleRuntime` in one process per device over `PipelineStage`s of the built-in block
model (`torch_runtime_exec`). Measured per schedule: the iteration wall time (first rank start
to last rank done, median over the timed iterations, ms) and, after the last iteration, every
parameter gradient against the single-process reference (`pipeline.reference_grads`). With
`trace=True` every action of the timed iterations is timed as well (`torch_runtime_trace`) and
summed per rank (`ActionSummary`: compute, waiting for received data, posting sends and
receives, the rest); there is no makespan or re-simulation here: run the default runtime
(schedkit's executor) for those.

torch's runtime accepts any stage-to-rank mapping that the CSV implies (one or several stages
per rank, looped or V placement; adjacent stages on one rank hand off locally). A schedule it
refuses (parsing, `_validate_schedule`, send / recv lowering or its deadlock check) raises
`BackendUnavailable` with torch's reason on one line.

This module imports torch only inside functions.
"""

from __future__ import annotations

import functools
import re
import statistics
from collections.abc import Callable, Mapping
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
    comms: str = "explicit"
    actions: list[ActionSummary] | None = None

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
        out = dict(self.__dict__)
        if self.actions is not None:
            out["actions"] = [a.__dict__ for a in self.actions]
        return out


@dataclass(frozen=True)
class TorchSchedule:
    """A schedule as torch's runtime gets it: with explicit send / receive actions
    (`comms="explicit"`) or compute-only, torch placing them (`"none"`); with `fuse_first`,
    stage 0's I and W as one full backward at W's place (`to_torch_csv`). With `executor` it
    runs on schedkit's executor instead, in the same processes (a comparison under the same
    load; no CSV)."""

    solution: PipelineSolution
    comms: str = "explicit"
    executor: bool = False
    fuse_first: bool = True


@dataclass
class ActionSummary:
    """One rank's time in torch's action loop (ms, medians over the timed iterations):
    compute ops less their waits, waiting for received data, posting sends and receives, the
    rest of the iteration (the loop itself, the final wait for sends); `late` counts compute
    ops that waited over 0.5 ms for their input; `op_ms` is the mean time of each compute
    action kind and stage, its wait excluded (torch's letters: F, I, W, B for a full
    backward)."""

    rank: int
    compute: float
    recv_wait: float
    send_post: float
    recv_post: float
    rest: float
    late: float
    op_ms: dict[str, float] = field(default_factory=dict)


def summarise_actions(rank: int, result: Any) -> ActionSummary:
    """`ActionSummary` of one rank's traced iterations."""
    rows = []
    for it, acts in enumerate(result.actions):
        wall = result.ends[it] - result.starts[it]
        send = sum(e - s for a, s, e, _ in acts if "SEND" in a)
        recv = sum(e - s for a, s, e, _ in acts if "RECV" in a)
        wait = sum(w for *_, w in acts)
        busy = sum(e - s for _, s, e, _ in acts)
        late = sum(1 for *_, w in acts if w > 5e-4)
        rows.append((busy - send - recv - wait, wait, send, recv, wall - busy, late))
    cols = [statistics.median(col) for col in zip(*rows, strict=True)]
    ms = [round(1e3 * v, 2) for v in cols[:5]]
    return ActionSummary(rank, ms[0], ms[1], ms[2], ms[3], ms[4], cols[5], op_means(result))


def op_means(result: Any) -> dict[str, float]:
    """Mean time (ms) of each compute action kind and stage over the traced iterations."""
    samples: dict[str, list[float]] = {}
    for acts in result.actions:
        for a, s, e, w in acts:
            if m := re.match(r"^(\d+)([FIWB])\d+$", a):
                samples.setdefault(f"{m.group(2)}{m.group(1)}", []).append(e - s - w)
    return {k: round(1e3 * statistics.fmean(v), 3) for k, v in sorted(samples.items())}


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


def torch_csv_checked(
    problem: PipelineProblem,
    name: str,
    solution: PipelineSolution,
    comms: str = "explicit",
    fuse_first: bool = False,
) -> str:
    """The schedule's CSV (`comms`, `fuse_first` as in `to_torch_csv`), after torch's own
    checks accepted it; otherwise BackendUnavailable with torch's reason on one line."""
    require_runtime()
    text = to_torch_csv(problem, solution, comms, fuse_first)
    try:
        torch_validate(problem, text, early=comms == "early")
    except Exception as exc:  # torch raises AssertionError / ValueError / RuntimeError
        raise BackendUnavailable(
            f"{RUNTIME_NAME} cannot run schedule {name!r}: {first_line(exc)}"
        ) from None
    return text


def measure(
    problem: PipelineProblem, name: str, sched: TorchSchedule, per_rank: list[Any]
) -> TorchRuntimeMeasure:
    """Predicted figures and measured iteration wall times of one schedule (ms), and the
    per-rank action summaries when traced."""
    walls = iteration_walls(per_rank)
    traced = all(getattr(r, "actions", None) for r in per_rank)
    return TorchRuntimeMeasure(
        name=name,
        **predicted(problem, sched.solution.orders(problem.devices)),
        measured_wall=1e3 * statistics.median(walls),
        iterations=[round(1e3 * w, 3) for w in walls],
        comms="executor" if sched.executor else sched.comms,
        actions=[summarise_actions(r, res) for r, res in enumerate(per_rank)] if traced else None,
    )


def comms_for(backend: str) -> str:
    """The export a replay uses: receives posted early on gloo (where that costs nothing and
    ran closest to schedkit's executor, docs/replay.md), explicit elsewhere (NCCL)."""
    return "early" if backend == "gloo" else "explicit"


def _torch_exec(trace: bool = False) -> tuple[Callable[..., Any], Callable[..., None]]:
    """The per-rank module of torch's runtime: its job class (tracing actions when `trace`)
    and worker."""
    from schedkit.execute import torch_runtime_exec

    job = functools.partial(torch_runtime_exec.TorchJob, trace=trace)
    return job, torch_runtime_exec.worker


def _wire(problem: PipelineProblem, name: str, sched: TorchSchedule) -> Any:
    """The schedule's checked CSV, or its op orders for schedkit's executor."""
    if sched.executor:
        return sched.solution.orders(problem.devices)
    return torch_csv_checked(problem, name, sched.solution, sched.comms, sched.fuse_first)


TORCH: Runtime[TorchSchedule, TorchRuntimeMeasure, TorchRuntimeResult] = Runtime(
    load=_torch_exec,
    wire=_wire,
    measure=measure,
    schedule_of=lambda _problem, sol, backend: TorchSchedule(sol, comms_for(backend)),
    result=TorchRuntimeResult,
)
"""torch's runtime (`torch_runtime_exec`): schedules travel as checked CSV with explicit
send / receive actions (posted early on gloo, `comms_for`)."""
TORCH_TRACED = TORCH.__class__(**{**TORCH.__dict__, "load": functools.partial(_torch_exec, True)})
"""The same, timing every action (`ActionSummary`)."""


def run_torch_runtime(
    problem: PipelineProblem,
    schedules: Mapping[str, PipelineSolution | TorchSchedule],
    trace: bool = False,
    **options: Unpack[RunArgs],
) -> tuple[dict[str, TorchRuntimeMeasure], str, str]:
    """Run several schedules through torch's runtime in one set of processes (a bare
    solution with explicit send / receive actions), timing every action when `trace`:
    (measures, device, backend)."""
    wrapped = {
        k: s if isinstance(s, TorchSchedule) else TorchSchedule(s) for k, s in schedules.items()
    }
    runtime = TORCH_TRACED if trace else TORCH
    return run_runtime(problem, wrapped, runtime, RunOptions(**options))


def replay_torch_runtime(
    problem: PipelineProblem, solution: PipelineSolution, **options: Any
) -> TorchRuntimeResult:
    """Run `solution` (with 1F1B as the baseline and any `others`) through torch's runtime
    and check its gradients: `pipeline.replay_pipeline(runtime="torch")`, which takes the
    same `options` (sizes, device, iters, warmup, baseline, check, seed, others)."""
    result = replay_pipeline(problem, solution, runtime="torch", **options)
    assert isinstance(result, TorchRuntimeResult)
    return result
