"""Per-rank execution of a pipeline schedule with torch.distributed point-to-point messages.

Each rank runs its ops in the schedule's order. F(s, j) sends its output to the device of
stage s + 1 and B / BW(s, j) sends dL/dx to the device of stage s - 1 (a dict hand-off when
that is the same device). Sends are `isend`s, so a sender never blocks. A rank posts a receive
in the sender's send order: NCCL matches point-to-point messages in order, so on NCCL a receive
is posted when an op needs its input (with every earlier message from that sender first);
gloo matches by tag, and there every receive is posted when the iteration starts, so that data
moves as soon as it is sent (a gloo send otherwise waits for the receiver's "ready", which
costs milliseconds on a busy CPU). Either way a schedule that the simulator finds
deadlock-free cannot deadlock here. Each op is timed from the moment its input is there to
the moment its output is handed off (after a device synchronisation on CUDA).

Imports torch at module level: load it only after `schedkit.execute.require_torch()`.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import torch
import torch.distributed as dist
from torch import nn

from schedkit.execute import BlockSizes, blocks
from schedkit.execute.common import device_sync, wire_device
from schedkit.models.pipeline.problem import OpKey

Msg = tuple[str, int, int]
"""("act", s, j): output of F(s, j); ("grad", s, j): dL/dx of stage s for microbatch j."""
Record = tuple[str, int, int, float, float]
"""(kind, stage, microbatch, start, end) in seconds of time.perf_counter."""
T = TypeVar("T")


@dataclass
class PipelineJob(Generic[T]):
    """What every rank needs (picklable): the pipeline, the sizes and the schedules to run,
    each a `T` as the rank's runtime takes it."""

    devices: int
    microbatches: int
    device_of: tuple[int, ...]
    sizes: BlockSizes
    schedules: list[tuple[str, T]]
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
class Job(PipelineJob[list[list[OpKey]]]):
    """A job of schedkit's executor: every schedule as per-device op orders."""


@dataclass
class RankTimes:
    """One rank's measurements of one schedule: per timed iteration its start and end
    (`time.perf_counter`, seconds), and the parameter gradients of the last iteration (numpy,
    so that they cross the process boundary without torch's shared memory)."""

    starts: list[float] = field(default_factory=list)
    ends: list[float] = field(default_factory=list)
    grads: dict[str, Any] = field(default_factory=dict)

    def record(self, start: float, end: float, grads: dict[str, Any], timed: bool) -> None:
        """Keep an iteration's start and end when it is `timed`, its gradients in any case."""
        if timed:
            self.starts.append(start)
            self.ends.append(end)
        self.grads = grads


@dataclass
class RankResult(RankTimes):
    """`RankTimes` of schedkit's executor, with every timed iteration's op records (after its
    sends completed)."""

    iterations: list[list[Record]] = field(default_factory=list)


def sender_of(msg: Msg, device_of: tuple[int, ...]) -> int:
    return device_of[msg[1]]


def receiver_of(msg: Msg, device_of: tuple[int, ...]) -> int:
    return device_of[msg[1] + 1] if msg[0] == "act" else device_of[msg[1] - 1]


def produced(op: OpKey, stages: int) -> Msg | None:
    """The message an op produces, if any."""
    kind, s, j = op
    if kind == "F" and s < stages - 1:
        return ("act", s, j)
    if kind in ("B", "BW") and s > 0:
        return ("grad", s, j)
    return None


def needed(op: OpKey, stages: int) -> Msg | None:
    """The message an op consumes, if any (W consumes nothing: its input is local)."""
    kind, s, j = op
    if kind == "F" and s > 0:
        return ("act", s - 1, j)
    if kind in ("B", "BW") and s < stages - 1:
        return ("grad", s + 1, j)
    return None


def tag_of(msg: Msg, stages: int, microbatches: int) -> int:
    base = 0 if msg[0] == "act" else stages * microbatches
    return base + msg[1] * microbatches + msg[2]


class RankRunner:
    """Runs one rank's op order for one iteration at a time."""

    def __init__(
        self,
        rank: int,
        job: Job,
        orders: list[list[OpKey]],
        modules: dict[int, nn.Module],
        inputs: dict[int, torch.Tensor],
        device: torch.device,
    ) -> None:
        self.rank, self.job, self.order = rank, job, orders[rank]
        # (stage, microbatch) whose backward is fused: their forwards capture nothing for W
        self.fused = {(s, j) for kind, s, j in self.order if kind == "BW"}
        self.modules, self.inputs, self.device = modules, inputs, device
        self.sync = device_sync(device)
        self.wire = wire_device(device, job.backend)
        self.result = RankResult()
        shape = (job.sizes.batch, job.sizes.seq, job.sizes.hidden)
        self.shape = shape
        # messages from each other rank to this one, in that rank's send order
        self.incoming: dict[int, list[Msg]] = {}
        for src, row in enumerate(orders):
            if src == rank:
                continue
            msgs = [
                m
                for op in row
                if (m := produced(op, job.stages)) is not None
                and receiver_of(m, job.device_of) == rank
            ]
            if msgs:
                self.incoming[src] = msgs

    def run(self) -> tuple[list[Record], float, float]:
        """One iteration: records, start and end (after every send completed)."""
        self._reset()
        self.sync()
        start = time.perf_counter()
        records = [self._op(op) for op in self.order]
        for work in self.sends:
            work.wait()
        self.sync()
        return records, start, time.perf_counter()

    def turn(self, timed: bool) -> None:
        """One iteration, kept in `result` (its records and times when `timed`)."""
        records, start, end = self.run()
        if timed:
            self.result.iterations.append(records)
        self.result.record(start, end, blocks.stage_grads(self.modules.items()), timed)

    def _reset(self) -> None:
        blocks.zero_grads(self.modules.values())
        self.sends: list[Any] = []
        self.local: dict[Msg, torch.Tensor] = {}
        self.posted: dict[Msg, tuple[Any, torch.Tensor]] = {}
        self.next_post = dict.fromkeys(self.incoming, 0)
        self.state: dict[tuple[int, int], blocks.Captured] = {}
        if self.job.backend == "gloo":
            for src, msgs in self.incoming.items():
                for msg in msgs:
                    self._post(src, msg)

    def _receive(self, msg: Msg) -> torch.Tensor:
        """The message's tensor: local, or posted (with all earlier ones from its sender)."""
        if msg in self.local:
            return self.local.pop(msg)
        src = sender_of(msg, self.job.device_of)
        queue = self.incoming[src]
        while msg not in self.posted:
            self._post(src, queue[self.next_post[src]])
        work, buf = self.posted.pop(msg)
        work.wait()
        return buf.to(self.device)

    def _post(self, src: int, msg: Msg) -> None:
        """Post the receive of the next message from `src` (they are posted in send order)."""
        self.next_post[src] += 1
        buf = torch.empty(self.shape, device=self.wire)
        tag = tag_of(msg, self.job.stages, self.job.microbatches)
        self.posted[msg] = (dist.irecv(buf, src=src, tag=tag), buf)

    def _send(self, msg: Msg, tensor: torch.Tensor) -> None:
        dst = receiver_of(msg, self.job.device_of)
        if dst == self.rank:
            self.local[msg] = tensor
            return
        tag = tag_of(msg, self.job.stages, self.job.microbatches)
        self.sends.append(dist.isend(tensor.contiguous().to(self.wire), dst=dst, tag=tag))

    def _op(self, op: OpKey) -> Record:
        kind, s, j = op
        need = needed(op, self.job.stages)
        data = self._receive(need) if need is not None else None
        self.sync()
        t0 = time.perf_counter()
        out = self._compute(op, data)
        self.sync()
        msg = produced(op, self.job.stages)
        if msg is not None and out is not None:
            self._send(msg, out)
        return (kind, s, j, t0, time.perf_counter())

    def _compute(self, op: OpKey, data: torch.Tensor | None) -> torch.Tensor | None:
        kind, s, j = op
        last = s == self.job.stages - 1
        if kind == "F":
            x = self.inputs[j] if s == 0 else data
            assert x is not None
            c = blocks.forward(self.modules[s], x, (s, j) not in self.fused, dx=s > 0)
            self.state[(s, j)] = c
            if last:
                c.y = blocks.loss_of(c.y, self.job.microbatches)
            return c.y.detach()
        c = self.state[(s, j)]
        grad = None if last else data
        if kind == "B":
            return blocks.backward_input(c, c.y, grad)
        if kind == "W":
            self._accumulate(blocks.backward_weight(c))
            del self.state[(s, j)]
            return None
        dx = blocks.backward_full(c, c.y, grad)
        del self.state[(s, j)]
        return dx

    @staticmethod
    def _accumulate(pgrads: list[tuple[nn.Parameter, torch.Tensor]]) -> None:
        for p, g in pgrads:  # each g is a fresh tensor from autograd.grad: kept, not copied
            if p.grad is None:
                p.grad = g.detach()
            else:
                p.grad += g


def rank_device(device: str, rank: int) -> torch.device:
    """The torch device of `rank`: its own GPU on CUDA (made current; GPU rank mod count when
    ranks time-share them), else the CPU."""
    if device == "cuda":
        gpu = rank % torch.cuda.device_count()
        torch.cuda.set_device(gpu)
        return torch.device("cuda", gpu)
    return torch.device("cpu")


def serve(rank: int, job: Any, queue: Any, run: Callable[[int, Any], Any]) -> None:
    """Join the process group of `job` (its `port`, `backend`, `devices` ranks), put
    (rank, run(rank, job), None) on `queue`, or (rank, None, error) if it raises."""
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(job.port))
    torch.set_num_threads(1)
    try:
        dist.init_process_group(job.backend, rank=rank, world_size=job.devices)
        results = run(rank, job)
        queue.put((rank, results, None))
    except Exception as exc:  # report it to the driver instead of hanging it
        queue.put((rank, None, f"{type(exc).__name__}: {exc}"))
        raise
    finally:
        if dist.is_initialized():
            dist.destroy_process_group()


def take_turns(job: PipelineJob[Any], turns: list[Callable[[bool], None]]) -> None:
    """`warmup` + `iters` rounds in which every schedule runs one iteration after a barrier,
    `turn(timed)`: the schedules interleaved, so that load drift hits them all, and each round
    starting one schedule later than the one before, so that none always runs in one place."""
    for it in range(job.warmup + job.iters):
        shift = it % len(turns)
        for turn in turns[shift:] + turns[:shift]:
            dist.barrier()
            turn(it >= job.warmup)


def worker(rank: int, job: Job, queue: Any) -> None:
    """Entry point of one spawned rank: run every schedule, put (rank, results) on `queue`."""
    serve(rank, job, queue, run_rank)


def run_rank(rank: int, job: Job) -> dict[str, RankResult]:
    """Build this rank's stages and inputs, then run every schedule warm-up + iters times,
    the schedules taking turns within each iteration."""
    device = rank_device(job.device, rank)
    stages = [s for s, d in enumerate(job.device_of) if d == rank]
    modules = {s: blocks.make_stage(s, job.sizes, job.seed).to(device) for s in stages}
    inputs = (
        {j: blocks.make_input(j, job.sizes, job.seed).to(device) for j in range(job.microbatches)}
        if 0 in stages
        else {}
    )
    runners = {
        name: RankRunner(rank, job, orders, modules, inputs, device)
        for name, orders in job.schedules
    }
    take_turns(job, [runner.turn for runner in runners.values()])
    return {name: runner.result for name, runner in runners.items()}
