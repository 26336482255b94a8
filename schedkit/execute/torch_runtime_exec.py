"""Per-rank execution of an exported schedule by torch.distributed.pipelining's own runtime.

Each rank wraps its stages of the built-in block model (`blocks.make_stage`, the same weights
as schedkit's executor and the reference) as `PipelineStage`s with static shapes, builds a
`_PipelineScheduleRuntime` over them, loads the schedule's compute-only CSV with `_load_csv`
(torch adds the send / recv actions itself) and calls `step` once per iteration. The loss is
`blocks.loss_of` (already divided by the microbatch count, so `scale_grads=False`); stage 0's
rank passes the whole batch (the microbatch inputs concatenated, which `step` splits back).

Imports torch at module level: load it only after `schedkit.execute.require_torch()`.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch
from torch.distributed.pipelining import PipelineStage
from torch.distributed.pipelining.schedules import _PipelineScheduleRuntime

from schedkit.execute import BlockSizes, blocks
from schedkit.execute.pipeline_exec import rank_device, serve


@dataclass
class TorchJob:
    """What every rank needs (picklable): the pipeline, the sizes and, per schedule, its
    compute-only CSV as `schedkit export --format torch-csv` writes it."""

    devices: int
    microbatches: int
    device_of: tuple[int, ...]
    sizes: BlockSizes
    schedules: list[tuple[str, str]]
    device: str = "cpu"
    backend: str = "gloo"
    warmup: int = 1
    iters: int = 3
    seed: int = 0
    port: int = 29500

    @property
    def stages(self) -> int:
        return len(self.device_of)


@dataclass
class TorchRankResult:
    """One rank's measurements of one schedule: per timed iteration its start and end
    (`time.perf_counter`, seconds) and the parameter gradients of the last iteration (numpy)."""

    starts: list[float] = field(default_factory=list)
    ends: list[float] = field(default_factory=list)
    grads: dict[str, Any] = field(default_factory=dict)


def make_pipeline_stages(rank: int, job: TorchJob, device: torch.device) -> list[PipelineStage]:
    """This rank's stages, in stage order, as `PipelineStage`s with static input and output
    shapes (one microbatch: batch x seq x hidden), so no shape inference runs. Outputs and
    the inputs of every stage but the first require grad: that is what makes torch send
    dL/dx back."""
    sizes = job.sizes

    def meta(requires_grad: bool) -> torch.Tensor:
        shape = (sizes.batch, sizes.seq, sizes.hidden)
        return torch.empty(shape, device="meta", requires_grad=requires_grad)

    return [
        PipelineStage(
            blocks.make_stage(s, sizes, job.seed).to(device),
            s,
            job.stages,
            device,
            input_args=meta(s > 0),
            output_args=meta(True),
        )
        for s, d in enumerate(job.device_of)
        if d == rank
    ]


def load_schedule(
    stages: list[PipelineStage], job: TorchJob, csv_text: str
) -> _PipelineScheduleRuntime:
    """torch's runtime over `stages`, with the compute-only CSV loaded through `_load_csv`."""
    microbatches = job.microbatches

    def loss_fn(out: torch.Tensor, _target: torch.Tensor) -> torch.Tensor:
        return blocks.loss_of(out, microbatches)

    schedule = _PipelineScheduleRuntime(stages, microbatches, loss_fn=loss_fn, scale_grads=False)
    fd, path = tempfile.mkstemp(suffix=".csv", prefix="schedkit-torch-")
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(csv_text)
        schedule._load_csv(path, format="compute_only")
    finally:
        os.unlink(path)
    return schedule


def step_args(
    stages: list[PipelineStage], job: TorchJob, device: torch.device
) -> tuple[tuple[torch.Tensor, ...], torch.Tensor]:
    """`step`'s positional inputs (the whole batch on stage 0's rank, nothing elsewhere) and
    its target (a dummy of one entry per microbatch; the loss ignores it)."""
    args: tuple[torch.Tensor, ...] = ()
    if any(st.is_first for st in stages):
        xs = [blocks.make_input(j, job.sizes, job.seed) for j in range(job.microbatches)]
        args = (torch.cat(xs).to(device),)
    return args, torch.zeros(job.microbatches, device=device)


def run_step(
    schedule: _PipelineScheduleRuntime,
    stages: list[PipelineStage],
    args: tuple[torch.Tensor, ...],
    target: torch.Tensor,
    sync: Callable[[], None],
) -> tuple[float, float]:
    """One iteration from zeroed gradients: (start, end) around `step`, devices synced."""
    for st in stages:
        for p in st.submod.parameters():
            p.grad = None
    sync()
    start = time.perf_counter()
    schedule.step(*args, target=target, return_outputs=False)
    sync()
    return start, time.perf_counter()


def stage_grads(stages: list[PipelineStage]) -> dict[str, Any]:
    """Every parameter gradient as `{stage}.{name}` -> numpy array."""
    return {
        f"{st.stage_index}.{n}": p.grad.detach().cpu().numpy()
        for st in stages
        for n, p in st.submod.named_parameters()
        if p.grad is not None
    }


def run_rank(rank: int, job: TorchJob) -> dict[str, TorchRankResult]:
    """Run every schedule warm-up + iters times through torch's runtime, the schedules taking
    turns within each iteration (fresh stages per schedule: the runtime keeps state in them)."""
    import torch.distributed as dist

    device = rank_device(job.device, rank)
    sync: Callable[[], None] = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    runs = {}
    for name, csv_text in job.schedules:
        stages = make_pipeline_stages(rank, job, device)
        runs[name] = (stages, load_schedule(stages, job, csv_text))
    args, target = step_args(next(iter(runs.values()))[0], job, device)
    out = {name: TorchRankResult() for name in runs}
    for it in range(job.warmup + job.iters):
        for name, (stages, schedule) in runs.items():
            dist.barrier()
            start, end = run_step(schedule, stages, args, target, sync)
            if it >= job.warmup:
                out[name].starts.append(start)
                out[name].ends.append(end)
            out[name].grads = stage_grads(stages)
    return out


def worker(rank: int, job: TorchJob, queue: Any) -> None:
    """Entry point of one spawned rank: run every schedule, put (rank, results) on `queue`."""
    serve(rank, job, queue, run_rank)
