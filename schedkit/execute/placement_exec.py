"""Per-rank execution of an expert placement, one process per GPU (gloo on CPU, nccl on CUDA).

Rank g is GPU g. Per placement and layer it owns the trace's tokens that start on GPU g
(`i % gpus == g`); dispatch sends each to the GPU of its replica with one
`all_to_all_single`, the rank runs its slots' expert FFNs on the tokens it received, and
combine sends every output back to its token's GPU with a second `all_to_all_single`. Each of
the three steps is timed `iters` times after one warm-up (medians, ms; a barrier before each
round), the rows that leave the GPU are counted from the split sizes actually exchanged, and
the outputs that come back are checked against this rank computing its own tokens' experts.
Rank 0 gathers every rank's figures with `gather_object`. With fewer CUDA GPUs than ranks
(`share_gpu`) the ranks time-share them (rank g on GPU g mod count) over gloo, and every
all-to-all is staged through host memory (the copies are part of dispatch and combine).

Imports torch at module level: load it only after `schedkit.execute.require_torch()`.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.distributed as dist

from schedkit.execute.blocks import ExpertFFN
from schedkit.execute.common import device_sync, wire_device
from schedkit.execute.pipeline_exec import rank_device, serve
from schedkit.execute.placement import Routes, layer_tokens, routes
from schedkit.models.placement.problem import Layout, PlacementProblem


@dataclass
class PlacementJob:
    """What every rank needs (picklable): the instance, the placements and the trace."""

    devices: int
    problem: PlacementProblem
    candidates: list[tuple[str, Layout]]
    trace: list[np.ndarray]
    hidden: int
    ffn: int
    iters: int
    seed: int = 0
    device: str = "cpu"
    backend: str = "gloo"
    port: int = 29500


@dataclass
class LayerStats:
    """One GPU in one layer: median times (ms) of its dispatch all-to-all, its FFNs and its
    combine all-to-all; the tokens it computed; the token rows and bytes it sent to other
    GPUs and other nodes (dispatch and combine together); the largest difference between a
    returned output and the local computation of the same token."""

    dispatch_ms: float
    compute_ms: float
    combine_ms: float
    tokens: int
    gpu_tokens: int
    node_tokens: int
    bytes_sent: int
    max_abs_diff: float


def exchange(
    x: torch.Tensor, send_splits: list[int], recv_splits: list[int], wire: Any = None
) -> torch.Tensor:
    """All-to-all of the rows of `x`: `send_splits[r]` rows to rank r, `recv_splits[r]` from it
    (the result is grouped by source rank, on `x`'s device). `wire`: the device the exchange
    runs on (the CPU for gloo, `common.wire_device`), `x`'s own by default."""
    src = x.contiguous() if wire is None else x.contiguous().to(wire)
    out = src.new_empty((sum(recv_splits), x.shape[1]))
    dist.all_to_all_single(out, src, output_split_sizes=recv_splits, input_split_sizes=send_splits)
    return out.to(x.device)


def expert_outputs(
    x: torch.Tensor, experts: np.ndarray, job: PlacementJob, layer: int
) -> torch.Tensor:
    """Each row of `x` through its own expert's FFN, computed here (the reference of the
    outputs that combine returns)."""
    out = torch.empty_like(x)
    uniq = np.unique(experts)
    net = ExpertFFN(uniq.tolist(), job.hidden, job.ffn, seed=job.seed * 1000 + layer)
    net = net.to(x.device)
    picks = [torch.from_numpy(np.nonzero(experts == e)[0]).to(x.device) for e in uniq]
    for pick, y in zip(picks, net([x[p] for p in picks]), strict=True):
        out[pick] = y
    return out


def crossing(rank: int, r: Routes, problem: PlacementProblem) -> tuple[int, int]:
    """Rows this GPU sends to other GPUs and to other nodes (dispatch + combine)."""
    node = problem.node_of(rank)
    gpu_rows = node_rows = 0
    for dst, rows in enumerate(np.add(r.send_splits, r.recv_splits).tolist()):
        if dst != rank:
            gpu_rows += rows
            node_rows += rows if problem.node_of(dst) != node else 0
    return gpu_rows, node_rows


def run_layer(
    rank: int,
    job: PlacementJob,
    slots: tuple[int, ...],
    r: Routes,
    layer: int,
    device: torch.device,
    sync: Callable[[], None],
) -> LayerStats:
    """Dispatch, compute and combine of one layer, `iters` timed rounds after a warm-up."""
    x = layer_tokens(len(job.trace[layer]), job.hidden, job.seed, layer)
    own = x[torch.from_numpy(r.send_order)].to(device)
    net = ExpertFFN(slots, job.hidden, job.ffn, seed=job.seed * 1000 + layer).to(device)
    pos = [torch.from_numpy(p).to(device) for p in r.slot_pos]
    wire = wire_device(device, job.backend)
    times: list[tuple[float, float, float]] = []
    back = own
    for it in range(job.iters + 1):
        dist.barrier()
        t0 = time.perf_counter()
        got = exchange(own, r.send_splits, r.recv_splits, wire)
        sync()
        t1 = time.perf_counter()
        ys = net([got[p] for p in pos])
        sync()
        t2 = time.perf_counter()
        out = torch.empty_like(got)
        for p, y in zip(pos, ys, strict=True):
            out[p] = y
        back = exchange(out, r.recv_splits, r.send_splits, wire)
        sync()
        if it:
            times.append((t1 - t0, t2 - t1, time.perf_counter() - t2))
    want = expert_outputs(own, job.trace[layer][r.send_order], job, layer)
    gpu_rows, node_rows = crossing(rank, r, job.problem)
    dispatch_s, compute_s, combine_s = (statistics.median(c) for c in zip(*times, strict=True))
    return LayerStats(
        dispatch_ms=1e3 * dispatch_s,
        compute_ms=1e3 * compute_s,
        combine_ms=1e3 * combine_s,
        tokens=len(r.recv_order),
        gpu_tokens=gpu_rows,
        node_tokens=node_rows,
        bytes_sent=gpu_rows * job.hidden * own.element_size(),
        max_abs_diff=float((back - want).abs().max()) if len(want) else 0.0,
    )


def run_rank(rank: int, job: PlacementJob) -> list[dict[str, list[LayerStats]]] | None:
    """Every placement's layers on this GPU; rank 0 returns every rank's figures by rank."""
    device = rank_device(job.device, rank)
    sync = device_sync(device)
    mine: dict[str, list[LayerStats]] = {}
    with torch.no_grad():
        for name, layout in job.candidates:
            mine[name] = [
                run_layer(
                    rank,
                    job,
                    layout[layer][rank],
                    routes(job.problem, layout[layer], experts, rank),
                    layer,
                    device,
                    sync,
                )
                for layer, experts in enumerate(job.trace)
            ]
    gathered: list[Any] | None = [None] * job.devices if rank == 0 else None
    dist.gather_object(mine, gathered, dst=0)
    return gathered


def worker(rank: int, job: PlacementJob, queue: Any) -> None:
    """Entry point of one spawned rank: run every placement, put (rank, results) on `queue`."""
    serve(rank, job, queue, run_rank)
