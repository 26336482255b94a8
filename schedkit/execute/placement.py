"""Placement replay: route a token trace to expert replicas and run every GPU's replicas as
real FFN matmuls, then compare measured per-GPU time balance with the predicted load balance.

The trace has, per layer, round(scale x load) tokens of every expert (generated from the
instance's loads, or given), each starting on GPU `i % gpus`. A token goes to the replicas of
its expert in turn (the validator's even split), so the GPU loads are the predicted ones up to
rounding. Measured per GPU and layer: the time of its slots' FFNs (median of `iters`), and the
tokens that cross GPUs and nodes (dispatch and combine). Compared: the given placement, the
EPLB-style greedy and a naive contiguous placement.

Two modes. Single process (the default on one device or the CPU): the simulated GPUs run one
after another and the crossings are counted from the routing. One process per GPU
(`processes=True`, automatic when there is a CUDA GPU per simulated GPU): rank g owns the
tokens that start on GPU g, sends each to its replica's GPU with `all_to_all_single`
(dispatch), runs its slots' FFNs on what it received, and sends the outputs back (combine);
gloo on the CPU, nccl on CUDA, the same code (`placement_exec`). There the crossings and bytes
are measured from the tensors actually exchanged, dispatch and combine are timed, and every
token's returned output is checked against a local computation of its expert. torch is
imported in functions.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from schedkit.errors import BackendUnavailable
from schedkit.execute import require_torch
from schedkit.execute.common import (
    backend_of,
    check_device,
    cuda_count,
    device_sync,
    free_port,
    spawn,
    time_shared,
    torch_threads,
)
from schedkit.models.placement.answer import make_solution
from schedkit.models.placement.problem import PlacementProblem, PlacementSolution
from schedkit.models.placement.validator import validate
from schedkit.solvers.heuristics.placement.eplb_greedy import eplb_layers

Trace = list[np.ndarray]
"""Per layer, the logical expert of every token (int array)."""


@dataclass
class PlacementMeasure:
    """Predicted and measured balance of one placement (times in ms)."""

    name: str
    predicted_ratio: float
    measured_ratio: float
    predicted_max_tokens: list[float]
    measured_ms: list[list[float]]
    tokens: list[list[int]]
    gpu_tokens_moved: int
    node_tokens_moved: int
    bytes_per_token: int
    dispatch_ms: list[list[float]] | None = None
    combine_ms: list[list[float]] | None = None
    bytes_moved: int | None = None
    output_max_abs_diff: float | None = None

    @property
    def measured_max_ms(self) -> float:
        """Sum over layers of the slowest GPU (the layers' critical path)."""
        return float(sum(max(row) for row in self.measured_ms))

    def to_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "measured_max_ms": self.measured_max_ms}


@dataclass
class PlacementReplayResult:
    """The placements compared on one token trace."""

    schedule: str
    device: str
    gpus: int
    nodes: int
    hidden: int
    ffn: int
    scale: float
    iters: int
    measures: dict[str, PlacementMeasure] = field(default_factory=dict)
    processes: int = 1
    backend: str | None = None

    @property
    def time_shared(self) -> bool:
        """Whether the GPU processes time-shared fewer GPUs (their compute times stay
        meaningful, their exchange times include waiting for the other processes)."""
        return self.processes > 1 and time_shared(self.device, self.backend)

    def to_dict(self) -> dict[str, Any]:
        out = {k: v for k, v in self.__dict__.items() if k != "measures"}
        out["measures"] = {k: m.to_dict() for k, m in self.measures.items()}
        out["time_shared"] = self.time_shared
        return out

    def summary(self) -> str:
        shared = ", time-sharing the GPU" if self.time_shared else ""
        how = (
            f"one process per GPU on {self.device} ({self.backend}{shared})"
            if self.processes > 1
            else f"run one after another on {self.device}"
        )
        lines = [
            f"placement replay: {self.gpus} GPUs ({self.nodes} nodes) {how}, hidden "
            f"{self.hidden}, ffn {self.ffn}, {self.iters} iterations"
        ]
        for m in self.measures.values():
            line = (
                f"  {m.name:>9}: max/mean predicted {m.predicted_ratio:.3f} measured "
                f"{m.measured_ratio:.3f} | slowest-GPU sum {m.measured_max_ms:.1f} ms | "
                f"tokens moved GPU {m.gpu_tokens_moved}, node {m.node_tokens_moved}"
            )
            if m.dispatch_ms is not None and m.combine_ms is not None:
                line += (
                    f" | all-to-all dispatch {exchange_ms(m.dispatch_ms):.1f} ms, combine "
                    f"{exchange_ms(m.combine_ms):.1f} ms, {m.bytes_moved} bytes | output "
                    f"diff {m.output_max_abs_diff}"
                )
            lines.append(line)
        return "\n".join(lines)


def exchange_ms(per_layer: list[list[float]]) -> float:
    """Sum over layers of the slowest GPU's time in one all-to-all."""
    return float(sum(max(row) for row in per_layer))


def naive_placement(problem: PlacementProblem) -> PlacementSolution:
    """Experts 0..E-1 in slot order, the redundant slots filled cyclically from expert 0."""
    slots = problem.num_slots
    row = np.arange(slots) % problem.num_experts
    layer = row.reshape(problem.num_gpus, problem.slots_per_gpu)
    return make_solution(problem, [layer.copy() for _ in range(problem.num_layers)])


def greedy_placement(problem: PlacementProblem) -> PlacementSolution:
    """The EPLB-style greedy (schedkit's NumPy port of DeepSeek's EPLB)."""
    return make_solution(problem, eplb_layers(problem))


def token_trace(problem: PlacementProblem, scale: float = 1.0, seed: int = 0) -> Trace:
    """Per layer, round(scale x load) tokens of every expert, in random order."""
    rng = np.random.default_rng(seed)
    out = []
    for loads in problem.loads:
        counts = np.rint(np.asarray(loads) * scale).astype(np.int64)
        out.append(rng.permutation(np.repeat(np.arange(len(counts)), counts)))
    return out


def dispatch(
    problem: PlacementProblem, layer: tuple[tuple[int, ...], ...], experts: np.ndarray
) -> tuple[list[list[np.ndarray]], int, int]:
    """Token indices per (gpu, slot), and the tokens that change GPU and node (one way)."""
    replicas: dict[int, list[tuple[int, int]]] = {}
    for g, slots in enumerate(layer):
        for s, e in enumerate(slots):
            replicas.setdefault(e, []).append((g, s))
    picks: list[list[list[int]]] = [[[] for _ in slots] for slots in layer]
    seen = np.zeros(problem.num_experts, dtype=np.int64)
    gpus = problem.num_gpus
    moved = node_moved = 0
    for i, e in enumerate(experts.tolist()):
        g, s = replicas[e][seen[e] % len(replicas[e])]
        seen[e] += 1
        picks[g][s].append(i)
        src = i % gpus
        moved += src != g
        node_moved += problem.node_of(src) != problem.node_of(g)
    idx = [[np.asarray(p, dtype=np.int64) for p in row] for row in picks]
    return idx, moved, node_moved


@dataclass
class Routes:
    """How one GPU's tokens move in one layer (token indices are the trace's). Dispatch
    sends `send_order` (the tokens that start on this GPU, grouped by destination GPU,
    `send_splits` per GPU) and receives `recv_order` (the tokens this GPU computes, grouped
    by source GPU, `recv_splits` per GPU); `slot_pos[s]` are the positions in `recv_order` of
    the tokens of slot s. Combine sends the outputs back along the same splits, reversed."""

    send_order: np.ndarray
    send_splits: list[int]
    recv_order: np.ndarray
    recv_splits: list[int]
    slot_pos: list[np.ndarray]


def destinations(idx: list[list[np.ndarray]], tokens: int) -> tuple[np.ndarray, np.ndarray]:
    """Per token, the GPU and the slot that compute it (from `dispatch`'s indices)."""
    gpu = np.full(tokens, -1, dtype=np.int64)
    slot = np.full(tokens, -1, dtype=np.int64)
    for g, row in enumerate(idx):
        for s, picks in enumerate(row):
            gpu[picks], slot[picks] = g, s
    return gpu, slot


def routes(
    problem: PlacementProblem, layer: tuple[tuple[int, ...], ...], experts: np.ndarray, gpu: int
) -> Routes:
    """GPU `gpu`'s dispatch and combine in one layer (tokens start on GPU i % gpus)."""
    gpus = problem.num_gpus
    idx, _, _ = dispatch(problem, layer, experts)
    dest, slot = destinations(idx, len(experts))
    src = np.arange(len(experts)) % gpus
    own = np.nonzero(src == gpu)[0]
    send_order = own[np.argsort(dest[own], kind="stable")]
    mine = np.nonzero(dest == gpu)[0]
    recv_order = mine[np.argsort(src[mine], kind="stable")]
    recv_slot = slot[recv_order]
    return Routes(
        send_order=send_order,
        send_splits=np.bincount(dest[own], minlength=gpus).tolist(),
        recv_order=recv_order,
        recv_splits=np.bincount(src[mine], minlength=gpus).tolist(),
        slot_pos=[np.nonzero(recv_slot == s)[0] for s in range(len(layer[gpu]))],
    )


def layer_tokens(tokens: int, hidden: int, seed: int, layer: int) -> Any:
    """The activations of a layer's tokens (CPU float32, the same in every process)."""
    torch = require_torch()
    gen = torch.Generator().manual_seed(seed * 31 + layer)
    return torch.randn(tokens, hidden, generator=gen)


def time_gpu(ffn: Any, xs: list[Any], iters: int, sync: Any) -> float:
    """Median ms of one GPU's replicas on their tokens (one warm-up run first)."""
    times = []
    for it in range(iters + 1):
        sync()
        t = time.perf_counter()
        ffn(xs)
        sync()
        if it:
            times.append(1e3 * (time.perf_counter() - t))
    return statistics.median(times)


def predicted(problem: PlacementProblem, sol: PlacementSolution) -> dict[str, Any]:
    """The validator's predicted balance: mean max/mean ratio and max tokens per layer."""
    report = validate(problem, sol)
    return {
        "predicted_ratio": float(report.metrics["balance_mean"]),
        "predicted_max_tokens": [float(v) for v in report.metrics["max_loads"]],
    }


def balance(ms: list[list[float]]) -> float:
    """Mean over layers of the slowest GPU's time over the mean GPU time."""
    return statistics.fmean(max(r) / statistics.fmean(r) for r in ms)


@dataclass(frozen=True)
class FFNRun:
    """How every placement runs: the experts' FFN sizes, `iters` timed runs (after a warm-up),
    the device (cpu or cuda) and the seed of weights and activations."""

    hidden: int
    ffn: int
    iters: int
    device: str
    seed: int = 0


def measured(
    problem: PlacementProblem,
    name: str,
    sol: PlacementSolution,
    ms: list[list[float]],
    tokens: list[list[int]],
    hidden: int,
    **extra: Any,
) -> PlacementMeasure:
    """A placement's measure from its per-layer, per-GPU compute times and tokens, the
    predicted balance, and `extra` figures (tokens moved, exchange times...)."""
    return PlacementMeasure(
        name=name,
        **predicted(problem, sol),
        measured_ratio=balance(ms),
        measured_ms=ms,
        tokens=tokens,
        bytes_per_token=4 * hidden,
        **extra,
    )


def measure(
    problem: PlacementProblem, name: str, sol: PlacementSolution, trace: Trace, run: FFNRun
) -> PlacementMeasure:
    """Run every layer's GPUs in turn in this process and collect times, tokens and traffic."""
    torch = require_torch()
    from schedkit.execute.blocks import ExpertFFN

    sync = device_sync(run.device)
    ms, tokens, moved, node_moved = [], [], 0, 0
    for layer, experts in enumerate(trace):
        idx, mv, nmv = dispatch(problem, sol.placement[layer], experts)
        moved, node_moved = moved + mv, node_moved + nmv
        x = layer_tokens(len(experts), run.hidden, run.seed, layer).to(run.device)
        row = []
        for g, slots in enumerate(sol.placement[layer]):
            net = ExpertFFN(slots, run.hidden, run.ffn, seed=run.seed * 1000 + layer)
            xs = [x[torch.from_numpy(i).to(run.device)] for i in idx[g]]
            with torch.no_grad():
                row.append(time_gpu(net.to(run.device), xs, run.iters, sync))
        ms.append([round(v, 4) for v in row])
        tokens.append([int(sum(len(i) for i in slot_idx)) for slot_idx in idx])
    return measured(
        problem,
        name,
        sol,
        ms,
        tokens,
        run.hidden,
        gpu_tokens_moved=2 * moved,
        node_tokens_moved=2 * node_moved,
    )


def from_ranks(
    problem: PlacementProblem,
    name: str,
    sol: PlacementSolution,
    per_gpu: list[list[Any]],
    hidden: int,
) -> PlacementMeasure:
    """A placement's measure from every rank's per-layer `placement_exec.LayerStats`."""
    layers = range(len(per_gpu[0]))

    def table(key: str) -> list[list[float]]:
        return [[round(getattr(g[layer], key), 4) for g in per_gpu] for layer in layers]

    stats = [st for g in per_gpu for st in g]
    tokens = [[int(g[layer].tokens) for g in per_gpu] for layer in layers]
    return measured(
        problem,
        name,
        sol,
        table("compute_ms"),
        tokens,
        hidden,
        gpu_tokens_moved=sum(st.gpu_tokens for st in stats),
        node_tokens_moved=sum(st.node_tokens for st in stats),
        dispatch_ms=table("dispatch_ms"),
        combine_ms=table("combine_ms"),
        bytes_moved=sum(st.bytes_sent for st in stats),
        output_max_abs_diff=max(st.max_abs_diff for st in stats),
    )


def measure_processes(
    problem: PlacementProblem,
    candidates: dict[str, PlacementSolution],
    trace: Trace,
    run: FFNRun,
    backend: str,
) -> dict[str, PlacementMeasure]:
    """Run every placement with one process per GPU (`placement_exec`) and gather the
    per-GPU figures that rank 0 collected."""
    from schedkit.execute import placement_exec

    job = placement_exec.PlacementJob(
        devices=problem.num_gpus,
        problem=problem,
        candidates=[(name, sol.placement) for name, sol in candidates.items()],
        trace=trace,
        **asdict(run),
        backend=backend,
        port=free_port(),
    )
    gathered = spawn(job, placement_exec.worker)[0]
    return {
        name: from_ranks(problem, name, sol, [g[name] for g in gathered], run.hidden)
        for name, sol in candidates.items()
    }


def resolve_mode(
    device: str, gpus: int, processes: bool | None, share_gpu: bool = False
) -> tuple[str, str | None]:
    """(device, backend): backend None runs the GPUs one after another in this process.
    `processes=None` takes one process per GPU when there is a CUDA GPU for each of them.
    One process per GPU on CUDA with fewer GPUs than the instance has needs `share_gpu`: the
    ranks then time-share the GPUs over gloo (tokens staged through host memory)."""
    require_torch()
    check_device(device)
    cuda = cuda_count()
    if device == "cuda" and not cuda:
        raise BackendUnavailable("--device cuda: no CUDA GPU is available")
    dev = "cuda" if device in ("auto", "cuda") and cuda else "cpu"
    if processes is None:
        processes = dev == "cuda" and 1 < gpus <= cuda
    if not processes:
        return dev, None
    if dev == "cuda" and cuda < gpus:
        if share_gpu:
            return dev, "gloo"
        raise BackendUnavailable(
            f"one process per GPU needs {gpus} CUDA GPUs, found {cuda}; use --share-gpu "
            "(the processes time-share the GPUs), --device cpu or one process"
        )
    return dev, backend_of(dev)


def replay_placement(
    problem: PlacementProblem,
    solution: PlacementSolution,
    *,
    device: str = "auto",
    iters: int = 5,
    hidden: int = 256,
    ffn: int = 512,
    scale: float = 1.0,
    trace: Trace | None = None,
    seed: int = 0,
    compare: bool = True,
    threads: int | None = 1,
    processes: bool | None = None,
    share_gpu: bool = False,
) -> PlacementReplayResult:
    """Run `solution` (and, with `compare`, the greedy and naive placements) on one token
    trace; `scale` multiplies the instance's loads into token counts. `processes`: one
    process per GPU (True), all GPUs in this process (False), or automatic (None: one process
    per GPU when there is a CUDA GPU for each); `share_gpu` lets one process per GPU run on
    fewer CUDA GPUs, time-sharing them."""
    dev, backend = resolve_mode(device, problem.num_gpus, processes, share_gpu)
    trace = trace if trace is not None else token_trace(problem, scale, seed)
    candidates = {"schedkit": solution}
    if compare:
        candidates |= {"greedy": greedy_placement(problem), "naive": naive_placement(problem)}
    result = PlacementReplayResult(
        schedule=next(iter(candidates)),
        device=dev,
        gpus=problem.num_gpus,
        nodes=problem.nodes,
        hidden=hidden,
        ffn=ffn,
        scale=scale,
        iters=iters,
        processes=1 if backend is None else problem.num_gpus,
        backend=backend,
    )
    run = FFNRun(hidden=hidden, ffn=ffn, iters=iters, device=dev, seed=seed)
    if backend is not None:
        result.measures = measure_processes(problem, candidates, trace, run, backend)
        return result
    with torch_threads(threads):
        for name, sol in candidates.items():
            result.measures[name] = measure(problem, name, sol, trace, run)
    return result
