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
from dataclasses import dataclass, field
from typing import Any

from schedkit.errors import BackendUnavailable
from schedkit.execute import BlockSizes, require_torch
from schedkit.execute.pipeline import (
    GRAD_TOL,
    baseline_solution,
    free_port,
    grad_diff,
    reference_grads,
    resolve_device,
    spawn,
)
from schedkit.io.torch_pipeline import to_torch_csv, torch_validate
from schedkit.models.pipeline.problem import PipelineProblem, PipelineSolution
from schedkit.models.pipeline.simulate import simulate, spans

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


@dataclass
class TorchRuntimeResult:
    """A schedule and its baseline run by torch's runtime on `devices` processes."""

    schedule: str
    baseline: str | None
    objective: str
    device: str
    backend: str
    devices: int
    microbatches: int
    stages: int
    sizes: dict[str, int]
    iters: int
    measures: dict[str, TorchRuntimeMeasure]
    runtime: str = "torch"

    def speedup(self, which: str = "measured") -> float | None:
        """Baseline / schedule: iteration wall time (measured) or the instance's objective
        (predicted); None without a baseline."""
        if self.baseline is None:
            return None
        base, mine = self.measures[self.baseline], self.measures[self.schedule]
        if which == "measured":
            return base.measured_wall / mine.measured_wall
        key = f"predicted_{self.objective}"
        value: float = getattr(base, key) / getattr(mine, key)
        return value

    @property
    def grads_ok(self) -> bool:
        return all(
            m.grad_max_abs_diff is not None and m.grad_max_abs_diff <= GRAD_TOL
            for m in self.measures.values()
        )

    def to_dict(self) -> dict[str, Any]:
        out = {k: v for k, v in self.__dict__.items() if k != "measures"}
        out["measures"] = {k: dict(m.__dict__) for k, m in self.measures.items()}
        out["speedup_measured"] = self.speedup("measured")
        out["speedup_predicted"] = self.speedup("predicted")
        out["grads_ok"] = self.grads_ok
        return out

    def summary(self) -> str:
        lines = [
            f"pipeline replay with {RUNTIME_NAME}: {self.devices} {self.device} processes "
            f"({self.backend}), m={self.microbatches}, {self.iters} iterations, "
            f"sizes {self.sizes}"
        ]
        for m in self.measures.values():
            pred = getattr(m, f"predicted_{self.objective}")
            diff = m.grad_max_abs_diff if m.grad_max_abs_diff is not None else "-"
            lines.append(
                f"  {m.name:>12}: predicted {self.objective} {pred:.4g} | iteration "
                f"wall {m.measured_wall:.1f} ms | grad diff {diff}"
            )
        if self.baseline is not None:
            lines.append(
                f"  speedup over {self.baseline}: measured (wall) "
                f"{self.speedup('measured'):.3f}, predicted "
                f"{self.speedup('predicted'):.3f}"
            )
        return "\n".join(lines)


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
    plan = simulate(problem, solution.orders(problem.devices))
    walls = [
        max(r.ends[i] for r in per_rank) - min(r.starts[i] for r in per_rank)
        for i in range(len(per_rank[0].starts))
    ]
    return TorchRuntimeMeasure(
        name=name,
        predicted_makespan=plan.makespan,
        predicted_span=max(spans(problem, plan.start, plan.end)),
        measured_wall=1e3 * statistics.median(walls),
        iterations=[round(1e3 * w, 3) for w in walls],
    )


def run_torch_runtime(
    problem: PipelineProblem,
    schedules: dict[str, PipelineSolution],
    *,
    sizes: BlockSizes,
    device: str = "auto",
    iters: int = 5,
    warmup: int = 1,
    seed: int = 0,
    check: bool = True,
) -> tuple[dict[str, TorchRuntimeMeasure], str, str]:
    """Run several schedules through torch's runtime in one set of processes:
    (measures, device, backend)."""
    from schedkit.execute import torch_runtime_exec

    csvs = [(name, torch_csv_checked(problem, name, sol)) for name, sol in schedules.items()]
    dev, backend = resolve_device(device, problem.devices)
    job = torch_runtime_exec.TorchJob(
        devices=problem.devices,
        microbatches=problem.microbatches,
        device_of=problem.device_list,
        sizes=sizes,
        schedules=csvs,
        device=dev,
        backend=backend,
        warmup=warmup,
        iters=iters,
        seed=seed,
        port=free_port(),
    )
    per_rank = spawn(job, torch_runtime_exec.worker)
    ref = reference_grads(problem, sizes, seed) if check else None
    out = {}
    for name, sol in schedules.items():
        ranks = [r[name] for r in per_rank]
        m = measure(problem, name, sol, ranks)
        if ref is not None:
            m.grad_max_abs_diff = grad_diff(ref, {k: v for r in ranks for k, v in r.grads.items()})
        out[name] = m
    return out, dev, backend


def replay_torch_runtime(
    problem: PipelineProblem,
    solution: PipelineSolution,
    *,
    sizes: BlockSizes,
    device: str = "auto",
    iters: int = 5,
    warmup: int = 1,
    baseline: bool = True,
    check: bool = True,
    seed: int = 0,
    others: dict[str, PipelineSolution] | None = None,
) -> TorchRuntimeResult:
    """Run `solution` (with 1F1B as the baseline and any `others`) through torch's runtime
    and check its gradients; see `pipeline.replay_pipeline(runtime="torch")`."""
    name = solution.name or "schedule"
    schedules = {name: solution, **(others or {})}
    base = baseline_solution(problem) if baseline else None
    if base is not None and base[0] not in schedules:
        schedules[base[0]] = base[1]
    measures, dev, backend = run_torch_runtime(
        problem,
        schedules,
        sizes=sizes,
        device=device,
        iters=iters,
        warmup=warmup,
        seed=seed,
        check=check,
    )
    return TorchRuntimeResult(
        schedule=name,
        baseline=None if base is None else base[0],
        objective=problem.objective,
        device=dev,
        backend=backend,
        devices=problem.devices,
        microbatches=problem.microbatches,
        stages=problem.stages,
        sizes=sizes.to_dict(),
        iters=iters,
        measures=measures,
    )
