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
reference gradients, iteration wall times only.

This module imports torch only inside functions.
"""

from __future__ import annotations

import socket
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from schedkit.errors import BackendUnavailable
from schedkit.execute import BlockSizes, require_torch
from schedkit.models.pipeline.problem import OpKey, PipelineProblem, PipelineSolution
from schedkit.models.pipeline.references import build
from schedkit.models.pipeline.simulate import simulate, spans

if TYPE_CHECKING:
    from schedkit.execute.torch_runtime import TorchRuntimeResult

Orders = list[list[OpKey]]
GRAD_TOL = 1e-5
WAIT_EPS = 5e-5
"""An op whose start is this much (s) after its rank's previous op waited for its input."""


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


@dataclass
class PipelineReplayResult:
    """A schedule and its baseline replayed on `devices` processes."""

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
    measures: dict[str, ScheduleMeasure]
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
        out["measures"] = {
            k: {**m.__dict__, "resim_error": m.resim_error} for k, m in self.measures.items()
        }
        out["speedup_measured"] = self.speedup("measured")
        out["speedup_predicted"] = self.speedup("predicted")
        out["grads_ok"] = self.grads_ok
        return out

    def summary(self) -> str:
        lines = [
            f"pipeline replay: {self.devices} {self.device} processes ({self.backend}), "
            f"m={self.microbatches}, {self.iters} iterations, sizes {self.sizes}"
        ]
        for m in self.measures.values():
            pred = m.metric(self.objective, "predicted")
            lines.append(
                f"  {m.name:>12}: predicted {self.objective} {pred:.4g}"
                f" | measured makespan {m.measured_makespan:.1f} ms (wall {m.measured_wall:.1f})"
                f" | re-simulated {m.resimulated_makespan:.1f} ms ({m.resim_error:.1%} off)"
                f" | grad diff {m.grad_max_abs_diff if m.grad_max_abs_diff is not None else '-'}"
            )
        if self.baseline is not None:
            lines.append(
                f"  speedup over {self.baseline}: measured "
                f"{self.speedup('measured'):.3f}, predicted "
                f"{self.speedup('predicted'):.3f}"
            )
        return "\n".join(lines)


def resolve_device(device: str, devices: int) -> tuple[str, str]:
    """(device, backend): `auto` takes CUDA when it has a GPU per device, else the CPU."""
    torch = require_torch()
    if device not in ("auto", "cpu", "cuda"):
        raise BackendUnavailable(f"unknown device {device!r}: auto, cpu or cuda")
    has_cuda = torch.cuda.is_available() and torch.cuda.device_count() >= devices
    if device == "cuda" and not has_cuda:
        raise BackendUnavailable(
            f"--device cuda needs {devices} CUDA GPUs, found "
            f"{torch.cuda.device_count() if torch.cuda.is_available() else 0}"
        )
    if device == "cuda" or (device == "auto" and has_cuda):
        return "cuda", "nccl"
    return "cpu", "gloo"


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def spawn(job: Any, target: Any = None, timeout: float = 600.0) -> list[Any]:
    """Run `target(rank, job, queue)` (default `pipeline_exec.worker`) on `job.devices`
    spawned processes; their results by rank. The first rank that fails stops the run."""
    torch = require_torch()
    if target is None:
        from schedkit.execute import pipeline_exec

        target = pipeline_exec.worker
    ctx = torch.multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    procs = [
        ctx.Process(target=target, args=(r, job, queue), daemon=True) for r in range(job.devices)
    ]
    for p in procs:
        p.start()
    results: list[Any] = [None] * job.devices
    errors = []
    try:
        for _ in procs:
            rank, res, error = queue.get(timeout=timeout)
            results[rank] = res
            if error:
                errors.append(f"rank {rank}: {error}")
                break
    finally:
        for p in procs:
            p.join(timeout=5 if not errors else 0.5)
            if p.is_alive():
                p.kill()
    if errors:
        raise RuntimeError("replay failed: " + "; ".join(errors))
    return results


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


def measure(
    problem: PipelineProblem, name: str, orders: Orders, per_rank: list[Any]
) -> ScheduleMeasure:
    """Predicted, measured and re-simulated figures of one schedule from every rank's result."""
    iters = len(per_rank[0].iterations)
    makespans, spans_, walls, comm = [], [], [], []
    durs: dict[tuple[str, int], list[float]] = defaultdict(list)
    for i in range(iters):
        ranks = [r.iterations[i] for r in per_rank]
        t0 = min(rec[3] for recs in ranks for rec in recs)
        makespans.append(max(rec[4] for recs in ranks for rec in recs) - t0)
        spans_.append(max(recs[-1][4] - recs[0][3] for recs in ranks if recs))
        walls.append(max(r.ends[i] for r in per_rank) - min(r.starts[i] for r in per_rank))
        for recs in ranks:
            for k, s, _, a, b in recs:
                durs[(k, s)].append(b - a)
        comm += _comm_samples(problem, ranks)
    op_ms = {k: 1e3 * statistics.fmean(v) for k, v in durs.items()}
    comm_ms = 1e3 * statistics.median(comm) if comm else 0.0
    resim = simulate(problem, orders, lambda op: op_ms[(op[0], op[1])], comm=comm_ms)
    plan = simulate(problem, orders)
    return ScheduleMeasure(
        name=name,
        predicted_makespan=plan.makespan,
        predicted_span=max(spans(problem, plan.start, plan.end)),
        measured_makespan=1e3 * statistics.median(makespans),
        measured_span=1e3 * statistics.median(spans_),
        measured_wall=1e3 * statistics.median(walls),
        resimulated_makespan=resim.makespan,
        resimulated_span=max(spans(problem, resim.start, resim.end)),
        comm_ms=comm_ms,
        op_ms={f"{k}{s}": round(v, 4) for (k, s), v in sorted(op_ms.items())},
        iterations=[round(1e3 * x, 3) for x in makespans],
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
    return {
        f"{s}.{n}": p.grad.detach().numpy()
        for s, mod in enumerate(mods)
        for n, p in mod.named_parameters()
        if p.grad is not None
    }


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


def baseline_orders(problem: PipelineProblem) -> tuple[str, Orders] | None:
    """The baseline's name and per-device op orders, when it applies."""
    base = baseline_solution(problem)
    return None if base is None else (base[0], base[1].orders(problem.devices))


def make_sizes(sizes: BlockSizes | None, **overrides: int | None) -> BlockSizes:
    """`sizes` (or the defaults) with the given non-None fields replaced."""
    base = sizes or BlockSizes()
    fields = {**base.to_dict(), **{k: v for k, v in overrides.items() if v is not None}}
    return BlockSizes(**fields)


def run_schedules(
    problem: PipelineProblem,
    schedules: dict[str, Orders],
    *,
    sizes: BlockSizes,
    device: str = "auto",
    iters: int = 5,
    warmup: int = 1,
    seed: int = 0,
    check: bool = True,
) -> tuple[dict[str, ScheduleMeasure], str, str]:
    """Replay several schedules in one set of processes: (measures, device, backend)."""
    from schedkit.execute.pipeline_exec import Job

    dev, backend = resolve_device(device, problem.devices)
    job = Job(
        devices=problem.devices,
        microbatches=problem.microbatches,
        device_of=problem.device_list,
        sizes=sizes,
        schedules=list(schedules.items()),
        device=dev,
        backend=backend,
        warmup=warmup,
        iters=iters,
        seed=seed,
        port=free_port(),
    )
    per_rank = spawn(job)
    ref = reference_grads(problem, sizes, seed) if check else None
    out = {}
    for name, orders in schedules.items():
        ranks = [r[name] for r in per_rank]
        m = measure(problem, name, orders, ranks)
        if ref is not None:
            got = {k: v for r in ranks for k, v in r.grads.items()}
            m.grad_max_abs_diff = grad_diff(ref, got)
        out[name] = m
    return out, dev, backend


RUNTIMES = ("schedkit", "torch")


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
) -> PipelineReplayResult | TorchRuntimeResult:
    """Run `solution` for real on `problem.devices` processes (with 1F1B as the baseline and
    any `others`), and compare measured, predicted and re-simulated times and gradients.
    `runtime="torch"` runs the exported CSV through torch.distributed.pipelining's own
    runtime instead (`schedkit.execute.torch_runtime`: wall times and gradients only)."""
    if runtime not in RUNTIMES:
        raise BackendUnavailable(f"unknown runtime {runtime!r}: schedkit or torch")
    size = make_sizes(sizes, hidden=hidden, seq=seq, batch=batch, layers=layers, heads=heads)
    if runtime == "torch":
        from schedkit.execute.torch_runtime import replay_torch_runtime

        return replay_torch_runtime(
            problem,
            solution,
            sizes=size,
            device=device,
            iters=iters,
            warmup=warmup,
            baseline=baseline,
            check=check,
            seed=seed,
            others=others,
        )
    name = solution.name or "schedule"
    schedules = {name: solution.orders(problem.devices)}
    for other, sol in (others or {}).items():
        schedules[other] = sol.orders(problem.devices)
    base = baseline_orders(problem) if baseline else None
    if base is not None and base[0] not in schedules:
        schedules[base[0]] = base[1]
    measures, dev, backend = run_schedules(
        problem,
        schedules,
        sizes=size,
        device=device,
        iters=iters,
        warmup=warmup,
        seed=seed,
        check=check,
    )
    return PipelineReplayResult(
        schedule=name,
        baseline=None if base is None else base[0],
        objective=problem.objective,
        device=dev,
        backend=backend,
        devices=problem.devices,
        microbatches=problem.microbatches,
        stages=problem.stages,
        sizes=size.to_dict(),
        iters=iters,
        measures=measures,
    )
