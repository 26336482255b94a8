"""Per-rank execution of an exported schedule by torch.distributed.pipelining's own runtime.

Each rank wraps its stages of the built-in block model (`blocks.make_stage`, the same weights
as schedkit's executor and the reference) as `PipelineStage`s with static shapes, builds a
`_PipelineScheduleRuntime` over them, loads the schedule's CSV with `_load_csv` (format
"compute_comms" when it lists the send / receive actions, as schedkit's export does by
default; "compute_only" otherwise, and torch adds them itself) and calls `step` once per
iteration. With `trace`, every timed iteration's actions are timed too
(`torch_runtime_trace`). A schedule given as per-rank op orders instead of CSV runs on
schedkit's executor (`pipeline_exec.RankRunner`) in the same processes, taking turns with the
others, for a comparison under the same load. The loss is `blocks.loss_of` (already divided
by the microbatch count, so `scale_grads=False`); stage 0's rank passes the whole batch (the
microbatch inputs concatenated, which `step` splits back).

Imports torch at module level: load it only after `schedkit.execute.require_torch()`.
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
import time
from dataclasses import dataclass, field
from typing import Any

import torch
from torch.distributed.pipelining import PipelineStage
from torch.distributed.pipelining.schedules import _PipelineScheduleRuntime

from schedkit.execute import blocks, torch_runtime_trace
from schedkit.execute.common import device_sync
from schedkit.execute.pipeline_exec import (
    Job,
    PipelineJob,
    RankRunner,
    RankTimes,
    rank_device,
    serve,
    take_turns,
)
from schedkit.execute.torch_runtime_trace import ActionRecorder, ActionTime
from schedkit.io.torch_pipeline import torch_csv_format
from schedkit.models.pipeline.problem import OpKey


@dataclass
class TorchJob(PipelineJob[str | list[list[OpKey]]]):
    """A job of torch's runtime: every schedule as its CSV, as `schedkit export --format
    torch-csv` writes it (or as op orders, for schedkit's executor); `trace` times every
    action of the timed iterations."""

    trace: bool = False


@dataclass
class TorchRankResult(RankTimes):
    """One rank's start and end of every timed iteration, its last gradients and, when
    traced, every timed iteration's action times."""

    actions: list[list[ActionTime]] = field(default_factory=list)


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
    """torch's runtime over `stages`, with the CSV loaded through `_load_csv` in its format."""
    microbatches = job.microbatches

    def loss_fn(out: torch.Tensor, _target: torch.Tensor) -> torch.Tensor:
        return blocks.loss_of(out, microbatches)

    schedule = _PipelineScheduleRuntime(stages, microbatches, loss_fn=loss_fn, scale_grads=False)
    fd, path = tempfile.mkstemp(suffix=".csv", prefix="schedkit-torch-")
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(csv_text)
        schedule._load_csv(path, format=torch_csv_format(csv_text))
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


def skip_self_p2p(stages: list[PipelineStage], rank: int) -> None:
    """Compatibility with torch 2.11: its runtime opens P2P with a send and a receive to every
    neighbour stage's rank, this rank included when two adjacent stages share it (the V
    placement), which gloo cannot do (torch 2.13 no longer sends these); drop those."""
    for st in stages:
        ops = st._get_init_p2p_neighbors_ops

        def neighbours(ops: Any = ops) -> list[Any]:
            return [op for op in ops() if op.peer != rank]

        vars(st)["_get_init_p2p_neighbors_ops"] = neighbours


class TorchRankRunner:
    """One schedule on this rank: fresh `PipelineStage`s (torch's runtime keeps state in them)
    and the runtime over them, run one `step` per iteration."""

    def __init__(
        self,
        rank: int,
        job: TorchJob,
        csv_text: str,
        device: torch.device,
        recorder: ActionRecorder | None = None,
    ) -> None:
        self.recorder = recorder
        self.stages = make_pipeline_stages(rank, job, device)
        skip_self_p2p(self.stages, rank)
        self.schedule = load_schedule(self.stages, job, csv_text)
        self.args, self.target = step_args(self.stages, job, device)
        self.sync = device_sync(device)
        self.result = TorchRankResult()

    def run(self) -> tuple[float, float]:
        """One iteration from zeroed gradients: (start, end) around `step`, devices synced."""
        blocks.zero_grads(st.submod for st in self.stages)
        self.sync()
        start = time.perf_counter()
        self.schedule.step(*self.args, target=self.target, return_outputs=False)
        self.sync()
        return start, time.perf_counter()

    def turn(self, timed: bool) -> None:
        """One iteration, kept in `result` (its times when `timed`)."""
        if self.recorder is not None:
            self.recorder.active = timed
        start, end = self.run()
        grads = blocks.stage_grads((st.stage_index, st.submod) for st in self.stages)
        self.result.record(start, end, grads, timed)
        if self.recorder is not None and timed:
            self.result.actions.append(self.recorder.take())


def executor_runner(
    rank: int, job: TorchJob, orders: list[list[OpKey]], device: torch.device
) -> RankRunner:
    """schedkit's executor for one schedule on this rank (its own modules and inputs, the same
    weights)."""
    fields = {f.name: getattr(job, f.name) for f in dataclasses.fields(PipelineJob)}
    ex_job = Job(**{**fields, "schedules": []})
    stages = [s for s, d in enumerate(job.device_of) if d == rank]
    modules = {s: blocks.make_stage(s, job.sizes, job.seed).to(device) for s in stages}
    inputs = {
        j: blocks.make_input(j, job.sizes, job.seed).to(device)
        for j in range(job.microbatches if 0 in stages else 0)
    }
    return RankRunner(rank, ex_job, orders, modules, inputs, device)


def run_rank(rank: int, job: TorchJob) -> dict[str, RankTimes]:
    """Run every schedule warm-up + iters times through torch's runtime (or schedkit's
    executor, given op orders), the schedules taking turns within each iteration."""
    device = rank_device(job.device, rank)
    recorder = torch_runtime_trace.install() if job.trace else None
    runners: dict[str, TorchRankRunner | RankRunner] = {
        name: TorchRankRunner(rank, job, s, device, recorder)
        if isinstance(s, str)
        else executor_runner(rank, job, s, device)
        for name, s in job.schedules
    }
    take_turns(job, [runner.turn for runner in runners.values()])
    return {name: runner.result for name, runner in runners.items()}


def worker(rank: int, job: TorchJob, queue: Any) -> None:
    """Entry point of one spawned rank: run every schedule, put (rank, results) on `queue`."""
    serve(rank, job, queue, run_rank)
