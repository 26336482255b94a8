"""Pipeline replay driver: spawn one process per device, run the schedule (and 1F1B the same
way), measure, re-simulate and check the gradients against a single-process reference.

Every schedule runs `warmup` + `iters` iterations in the same processes (a barrier before
each). Per schedule the driver reports the predicted objective (instance units), the measured
makespan (first op start to last op end over all ranks) and span (largest per-device span), the
wall time (first rank start to last rank done, sends included), and the makespan and span
re-simulated by `schedkit.models.pipeline.simulate` with the measured mean duration of every
(kind, stage) and the measured cross-device latency. Times are milliseconds, medians over the
timed iterations.

`replay_pipeline(..., runtime="torch")` runs the exported CSV through torch.distributed.
pipelining's own runtime instead (`schedkit.execute.torch_runtime`): same model, same
reference gradients, iteration wall times only. Both runtimes go through the same driver
(`Runtime`, `run_runtime`, `replay_runtime`) and share the result's fields and reporting
(`PipelineResultBase`).

This module imports torch only inside functions.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import (
    TYPE_CHECKING,
    Any,
    ClassVar,
    Generic,
    Protocol,
    Required,
    TypedDict,
    TypeVar,
    Unpack,
    cast,
)

import numpy as np

from schedkit.errors import BackendUnavailable
from schedkit.execute import BlockSizes, require_torch
from schedkit.execute.common import free_port, resolve_device, spawn, time_shared
from schedkit.models.pipeline.problem import OpKey, PipelineProblem, PipelineSolution
from schedkit.models.pipeline.references import build
from schedkit.models.pipeline.simulate import simulate, spans

if TYPE_CHECKING:
    from schedkit.execute.torch_runtime import TorchRuntimeResult

Orders = list[list[OpKey]]
GRAD_TOL = 1e-5
WAIT_EPS = 5e-5
"""An op whose start is this much (s) after its rank's previous op waited for its input."""


class Measured(Protocol):
    """What a pipeline result needs of one schedule's measure."""

    name: str
    grad_max_abs_diff: float | None

    def metric(self, objective: str, which: str) -> float: ...

    def figures(self) -> str: ...

    def to_dict(self) -> dict[str, Any]: ...


M = TypeVar("M", bound=Measured)
S = TypeVar("S")
R = TypeVar("R", bound="PipelineResultBase[Any]")


def predicted(problem: PipelineProblem, orders: Orders) -> dict[str, float]:
    """The predicted makespan and span of a schedule (the instance's units)."""
    plan = simulate(problem, orders)
    return {
        "predicted_makespan": plan.makespan,
        "predicted_span": max(spans(problem, plan.start, plan.end)),
    }


def iteration_walls(per_rank: list[Any]) -> list[float]:
    """Per timed iteration, first rank start to last rank done (s)."""
    return [
        max(r.ends[i] for r in per_rank) - min(r.starts[i] for r in per_rank)
        for i in range(len(per_rank[0].starts))
    ]


@dataclass
class ScheduleMeasure:
    """Predicted and measured figures of one schedule (times in ms, predictions in the
    instance's units)."""

    name: str
    predicted_makespan: float
    predicted_span: float
    measured_makespan: float
    measured_span: float
    measured_wall: float
    resimulated_makespan: float
    resimulated_span: float
    comm_ms: float
    op_ms: dict[str, float]
    iterations: list[float] = field(default_factory=list)
    grad_max_abs_diff: float | None = None

    def metric(self, objective: str, which: str) -> float:
        """`which` (predicted, measured, resimulated) value of the objective (span/makespan)."""
        value: float = getattr(self, f"{which}_{objective}")
        return value

    @property
    def resim_error(self) -> float:
        """|re-simulated - measured| / measured makespan."""
        return abs(self.resimulated_makespan - self.measured_makespan) / self.measured_makespan

    def figures(self) -> str:
        """The measured and re-simulated makespans, for `summary`."""
        return (
            f" | measured makespan {self.measured_makespan:.1f} ms (wall {self.measured_wall:.1f})"
            f" | re-simulated {self.resimulated_makespan:.1f} ms ({self.resim_error:.1%} off)"
        )

    def to_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "resim_error": self.resim_error}


@dataclass
class PipelineResultBase(Generic[M]):
    """A schedule and its baseline replayed on `devices` processes by one runtime."""

    VIA: ClassVar[str] = ""
    """Names the runtime in the summary's title (empty: schedkit's executor)."""
    MEASURED: ClassVar[str] = "measured"
    """What the summary calls the measured speedup."""

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
    measures: dict[str, M]
    runtime: str = "schedkit"

    def speedup(self, which: str = "measured", name: str | None = None) -> float | None:
        """Baseline / schedule on the objective (None without a baseline)."""
        if self.baseline is None:
            return None
        base = self.measures[self.baseline].metric(self.objective, which)
        return base / self.measures[name or self.schedule].metric(self.objective, which)

    @property
    def grads_ok(self) -> bool:
        return all(
            m.grad_max_abs_diff is not None and m.grad_max_abs_diff <= GRAD_TOL
            for m in self.measures.values()
        )

    def to_dict(self) -> dict[str, Any]:
        out = {k: v for k, v in self.__dict__.items() if k != "measures"}
        out["measures"] = {k: m.to_dict() for k, m in self.measures.items()}
        out["speedup_measured"] = self.speedup("measured")
        out["speedup_predicted"] = self.speedup("predicted")
        out["grads_ok"] = self.grads_ok
        return out

    def line(self, m: M) -> str:
        """One schedule's summary line."""
        pred = m.metric(self.objective, "predicted")
        diff = m.grad_max_abs_diff if m.grad_max_abs_diff is not None else "-"
        return (
            f"  {m.name:>12}: predicted {self.objective} {pred:.4g}{m.figures()} | grad diff {diff}"
        )

    def summary(self) -> str:
        lines = [
            f"pipeline replay{self.VIA}: {self.devices} {self.device} processes "
            f"({self.backend}), m={self.microbatches}, {self.iters} iterations, "
            f"sizes {self.sizes}",
            *(self.line(m) for m in self.measures.values()),
        ]
        if self.baseline is not None:
            lines.append(
                f"  speedup over {self.baseline}: {self.MEASURED} "
                f"{self.speedup('measured'):.3f}, predicted "
                f"{self.speedup('predicted'):.3f}"
            )
        return "\n".join(lines)


@dataclass
class PipelineReplayResult(PipelineResultBase[ScheduleMeasure]):
    """A schedule and its baseline replayed by schedkit's executor on `devices` processes."""


def _producer(op: OpKey, stages: int, fused: set[OpKey]) -> OpKey | None:
    """The op on another stage whose output `op` consumes (None for W and stage-0 F)."""
    kind, s, j = op
    if kind == "F":
        return ("F", s - 1, j) if s > 0 else None
    if kind in ("B", "BW") and s < stages - 1:
        return ("BW", s + 1, j) if ("BW", s + 1, j) in fused else ("B", s + 1, j)
    return None


def _comm_samples(
    problem: PipelineProblem, ranks: list[list[tuple[str, int, int, float, float]]]
) -> list[float]:
    """Producer end -> consumer start of cross-device inputs that the consumer waited for."""
    ends = {(k, s, j): t1 for recs in ranks for (k, s, j, _, t1) in recs}
    fused = {op for op in ends if op[0] == "BW"}
    out = []
    for recs in ranks:
        prev = None
        for k, s, j, t0, t1 in recs:
            src = _producer((k, s, j), problem.stages, fused)
            if (
                src is not None
                and problem.device_of(src[1]) != problem.device_of(s)
                and prev is not None
                and t0 - prev > WAIT_EPS
            ):
                out.append(max(0.0, t0 - ends[src]))
            prev = t1
    return out


@dataclass
class OpSamples:
    """Every timed iteration's makespan and span (s), per (kind, stage) every op's duration
    (s), and the cross-device latencies (s) of one schedule over all ranks."""

    makespans: list[float] = field(default_factory=list)
    spans: list[float] = field(default_factory=list)
    durations: dict[tuple[str, int], list[float]] = field(default_factory=lambda: defaultdict(list))
    comm: list[float] = field(default_factory=list)


def op_samples(problem: PipelineProblem, per_rank: list[Any]) -> OpSamples:
    """The op records of every rank, iteration by iteration, as `OpSamples`."""
    out = OpSamples()
    for i in range(len(per_rank[0].iterations)):
        ranks = [r.iterations[i] for r in per_rank]
        t0 = min(rec[3] for recs in ranks for rec in recs)
        out.makespans.append(max(rec[4] for recs in ranks for rec in recs) - t0)
        out.spans.append(max(recs[-1][4] - recs[0][3] for recs in ranks if recs))
        for recs in ranks:
            for k, s, _, a, b in recs:
                out.durations[(k, s)].append(b - a)
        out.comm += _comm_samples(problem, ranks)
    return out


def measure(
    problem: PipelineProblem, name: str, orders: Orders, per_rank: list[Any]
) -> ScheduleMeasure:
    """Predicted, measured and re-simulated figures of one schedule from every rank's result."""
    samples = op_samples(problem, per_rank)
    op_ms = {k: 1e3 * statistics.fmean(v) for k, v in samples.durations.items()}
    comm_ms = 1e3 * statistics.median(samples.comm) if samples.comm else 0.0
    resim = simulate(problem, orders, lambda op: op_ms[(op[0], op[1])], comm=comm_ms)
    return ScheduleMeasure(
        name=name,
        **predicted(problem, orders),
        measured_makespan=1e3 * statistics.median(samples.makespans),
        measured_span=1e3 * statistics.median(samples.spans),
        measured_wall=1e3 * statistics.median(iteration_walls(per_rank)),
        resimulated_makespan=resim.makespan,
        resimulated_span=max(spans(problem, resim.start, resim.end)),
        comm_ms=comm_ms,
        op_ms={f"{k}{s}": round(v, 4) for (k, s), v in sorted(op_ms.items())},
        iterations=[round(1e3 * x, 3) for x in samples.makespans],
    )


def reference_grads(
    problem: PipelineProblem, sizes: BlockSizes, seed: int = 0
) -> dict[str, np.ndarray]:
    """Parameter gradients of the whole model run in one process, microbatch by microbatch,
    with plain `loss.backward()` (the ground truth of every replay)."""
    require_torch()
    from schedkit.execute import blocks

    mods = [blocks.make_stage(s, sizes, seed) for s in range(problem.stages)]
    for j in range(problem.microbatches):
        x = blocks.make_input(j, sizes, seed)
        for mod in mods:
            x = mod(x)
        blocks.loss_of(x, problem.microbatches).backward()
    return blocks.stage_grads(enumerate(mods))


def grad_diff(ref: dict[str, np.ndarray], got: dict[str, Any]) -> float:
    """Largest absolute difference over every parameter (inf if one is missing)."""
    if set(ref) != set(got):
        return float("inf")
    return max(float(np.max(np.abs(ref[k] - np.asarray(got[k])))) for k in ref)


def baseline_solution(problem: PipelineProblem) -> tuple[str, PipelineSolution] | None:
    """1F1B (or interleaved 1F1B with chunks) as the baseline, when it applies."""
    for name in ("1f1b", "interleaved-1f1b"):
        sol = build(problem, name)
        if sol is not None:
            return name, sol
    return None


def make_sizes(sizes: BlockSizes | None, **overrides: int | None) -> BlockSizes:
    """`sizes` (or the defaults) with the given non-None fields replaced."""
    base = sizes or BlockSizes()
    fields = {**base.to_dict(), **{k: v for k, v in overrides.items() if v is not None}}
    return BlockSizes(**fields)


@dataclass(frozen=True)
class RunOptions:
    """How the ranks run every schedule: block sizes, device (auto, cpu or cuda), `iters`
    timed iterations after `warmup` untimed ones, the seed of weights and inputs, whether
    the gradients are checked against the single-process reference, and whether ranks may
    time-share fewer GPUs than there are ranks (`common.resolve_device`)."""

    sizes: BlockSizes
    device: str = "auto"
    iters: int = 5
    warmup: int = 1
    seed: int = 0
    check: bool = True
    share_gpu: bool = False


class RunArgs(TypedDict, total=False):
    """`RunOptions` as keyword arguments (`sizes` required), for `run_schedules` and
    `torch_runtime.run_torch_runtime`."""

    sizes: Required[BlockSizes]
    device: str
    iters: int
    warmup: int
    seed: int
    check: bool
    share_gpu: bool


@dataclass(frozen=True)
class Runtime(Generic[S, M, R]):
    """One way to run pipeline schedules, each held by the driver as an `S`: `load` imports
    the per-rank module and returns its job class and worker, `wire` turns a schedule into
    what the job carries to the ranks, `measure` makes one schedule's measure from its rank
    results, `schedule_of` turns a solution into an `S` for a communication backend (gloo,
    nccl), and `result` is the result class."""

    load: Callable[[], tuple[Callable[..., Any], Callable[..., None]]]
    wire: Callable[[PipelineProblem, str, S], Any]
    measure: Callable[[PipelineProblem, str, S, list[Any]], M]
    schedule_of: Callable[[PipelineProblem, PipelineSolution, str], S]
    result: type[R]


def run_runtime(
    problem: PipelineProblem,
    schedules: dict[str, S],
    runtime: Runtime[S, M, Any],
    opts: RunOptions,
) -> tuple[dict[str, M], str, str]:
    """Run several schedules with `runtime` in one set of processes, check every schedule's
    gradients against the single-process reference: (measures, device, backend)."""
    dev, backend = resolve_device(opts.device, problem.devices, opts.share_gpu)
    if time_shared(dev, backend) and runtime is not SCHEDKIT:
        raise BackendUnavailable(
            "ranks time-sharing a GPU run on schedkit's executor only: torch's runtime sends "
            "CUDA tensors point-to-point, which gloo cannot carry"
        )
    job_type, worker = runtime.load()
    wired = [(name, runtime.wire(problem, name, s)) for name, s in schedules.items()]
    job = job_type(
        devices=problem.devices,
        microbatches=problem.microbatches,
        device_of=problem.device_list,
        sizes=opts.sizes,
        schedules=wired,
        device=dev,
        backend=backend,
        warmup=opts.warmup,
        iters=opts.iters,
        seed=opts.seed,
        port=free_port(),
    )
    per_rank = spawn(job, worker)
    ref = reference_grads(problem, opts.sizes, opts.seed) if opts.check else None
    measures = {
        name: checked(runtime.measure(problem, name, s, [r[name] for r in per_rank]), per_rank, ref)
        for name, s in schedules.items()
    }
    return measures, dev, backend


def checked(m: M, per_rank: list[Any], ref: dict[str, np.ndarray] | None) -> M:
    """`m` with its gradient check against `ref` (every rank's gradients of the schedule
    together; no check without a reference)."""
    if ref is not None:
        ranks = [r[m.name] for r in per_rank]
        m.grad_max_abs_diff = grad_diff(ref, {k: v for r in ranks for k, v in r.grads.items()})
    return m


def _schedkit_exec() -> tuple[Callable[..., Any], Callable[..., None]]:
    """schedkit's per-rank executor: its job class and worker."""
    from schedkit.execute import pipeline_exec

    return pipeline_exec.Job, pipeline_exec.worker


SCHEDKIT: Runtime[Orders, ScheduleMeasure, PipelineReplayResult] = Runtime(
    load=_schedkit_exec,
    wire=lambda _problem, _name, orders: orders,
    measure=measure,
    schedule_of=lambda problem, sol, _backend: sol.orders(problem.devices),
    result=PipelineReplayResult,
)
"""schedkit's own executor (`pipeline_exec`): schedules travel as per-device op orders."""


def run_schedules(
    problem: PipelineProblem, schedules: dict[str, Orders], **options: Unpack[RunArgs]
) -> tuple[dict[str, ScheduleMeasure], str, str]:
    """Replay several schedules in one set of processes: (measures, device, backend)."""
    return run_runtime(problem, schedules, SCHEDKIT, RunOptions(**options))


def replay_runtime(
    problem: PipelineProblem,
    solution: PipelineSolution,
    runtime: Runtime[Any, Any, R],
    opts: RunOptions,
    *,
    baseline: bool = True,
    others: dict[str, PipelineSolution] | None = None,
) -> R:
    """Run `solution` with `runtime` (with 1F1B as the baseline when `baseline` and any
    `others`) and gather the result."""
    name = solution.name or "schedule"
    sols = {name: solution, **(others or {})}
    base = baseline_solution(problem) if baseline else None
    if base is not None and base[0] not in sols:
        sols[base[0]] = base[1]
    _, wire = resolve_device(opts.device, problem.devices, opts.share_gpu)
    schedules = {k: runtime.schedule_of(problem, sol, wire) for k, sol in sols.items()}
    measures, dev, backend = run_runtime(problem, schedules, runtime, opts)
    return runtime.result(
        schedule=name,
        baseline=None if base is None else base[0],
        objective=problem.objective,
        device=dev,
        backend=backend,
        devices=problem.devices,
        microbatches=problem.microbatches,
        stages=problem.stages,
        sizes=opts.sizes.to_dict(),
        iters=opts.iters,
        measures=measures,
    )


RUNTIMES = ("schedkit", "torch")


def runtime_named(runtime: str) -> Runtime[Any, Any, Any]:
    """The runtime called `runtime` (schedkit or torch)."""
    if runtime not in RUNTIMES:
        raise BackendUnavailable(f"unknown runtime {runtime!r}: schedkit or torch")
    if runtime == "torch":
        from schedkit.execute.torch_runtime import TORCH

        return TORCH
    return SCHEDKIT


def replay_pipeline(
    problem: PipelineProblem,
    solution: PipelineSolution,
    *,
    device: str = "auto",
    iters: int = 5,
    warmup: int = 1,
    baseline: bool = True,
    check: bool = True,
    seed: int = 0,
    sizes: BlockSizes | None = None,
    hidden: int | None = None,
    seq: int | None = None,
    batch: int | None = None,
    layers: int | None = None,
    heads: int | None = None,
    others: dict[str, PipelineSolution] | None = None,
    runtime: str = "schedkit",
    share_gpu: bool = False,
) -> PipelineReplayResult | TorchRuntimeResult:
    """Run `solution` for real on `problem.devices` processes (with 1F1B as the baseline and
    any `others`), and compare measured, predicted and re-simulated times and gradients.
    `runtime="torch"` runs the exported CSV through torch.distributed.pipelining's own
    runtime instead (`schedkit.execute.torch_runtime`: wall times and gradients only).
    `share_gpu`: with fewer CUDA GPUs than devices, the ranks time-share them over gloo."""
    chosen = runtime_named(runtime)
    size = make_sizes(sizes, hidden=hidden, seq=seq, batch=batch, layers=layers, heads=heads)
    opts = RunOptions(size, device, iters, warmup, seed, check, share_gpu)
    result = replay_runtime(problem, solution, chosen, opts, baseline=baseline, others=others)
    return cast("PipelineReplayResult | TorchRuntimeResult", result)
