"""Placement replay: route a token trace to expert replicas and run every GPU's replicas as
real FFN matmuls, then compare measured per-GPU time balance with the predicted load balance.

The trace has, per layer, round(scale x load) tokens of every expert (generated from the
instance's loads, or given), each starting on GPU `i % gpus`. A token goes to the replicas of
its expert in turn (the validator's even split), so the GPU loads are the predicted ones up to
rounding. Measured per GPU and layer: the time of its slots' FFNs (median of `iters`), and the
tokens that cross GPUs and nodes (dispatch and combine). Compared: the given placement, the
EPLB-style greedy and a naive contiguous placement.

On one device (or the CPU) the simulated GPUs run one after another and their times are
compared; a one-process-per-GPU run is not implemented yet. torch is imported in functions.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from schedkit.execute import require_torch
from schedkit.models.placement.problem import PlacementProblem, PlacementSolution
from schedkit.models.placement.validator import validate
from schedkit.solvers.heuristics.placement import eplb_layers, make_solution

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

    def to_dict(self) -> dict[str, Any]:
        out = {k: v for k, v in self.__dict__.items() if k != "measures"}
        out["measures"] = {k: m.to_dict() for k, m in self.measures.items()}
        return out

    def summary(self) -> str:
        lines = [f"placement replay: {self.gpus} GPUs ({self.nodes} nodes) run one after another "
                 f"on {self.device}, hidden {self.hidden}, ffn {self.ffn}, {self.iters} iterations"]
        for m in self.measures.values():
            lines.append(
                f"  {m.name:>9}: max/mean predicted {m.predicted_ratio:.3f} measured "
                f"{m.measured_ratio:.3f} | slowest-GPU sum {m.measured_max_ms:.1f} ms | tokens "
                f"moved GPU {m.gpu_tokens_moved}, node {m.node_tokens_moved}")
        return "\n".join(lines)


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


def dispatch(problem: PlacementProblem, layer: tuple[tuple[int, ...], ...], experts: np.ndarray
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


def measure(problem: PlacementProblem, name: str, sol: PlacementSolution, trace: Trace, *,
            hidden: int, ffn: int, iters: int, device: str, seed: int = 0) -> PlacementMeasure:
    """Run every layer's GPUs in turn and collect times, tokens and traffic."""
    torch = require_torch()
    from schedkit.execute.blocks import ExpertFFN

    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    report = validate(problem, sol)
    ms, tokens, moved, node_moved = [], [], 0, 0
    for layer, experts in enumerate(trace):
        idx, mv, nmv = dispatch(problem, sol.placement[layer], experts)
        moved, node_moved = moved + mv, node_moved + nmv
        gen = torch.Generator().manual_seed(seed * 31 + layer)
        x = torch.randn(len(experts), hidden, generator=gen).to(device)
        row = []
        for g, slots in enumerate(sol.placement[layer]):
            net = ExpertFFN(slots, hidden, ffn, seed=seed * 1000 + layer).to(device)
            xs = [x[torch.from_numpy(i).to(device)] for i in idx[g]]
            with torch.no_grad():
                row.append(time_gpu(net, xs, iters, sync))
        ms.append([round(v, 4) for v in row])
        tokens.append([int(sum(len(i) for i in slot_idx)) for slot_idx in idx])
    ratios = [max(r) / statistics.fmean(r) for r in ms]
    return PlacementMeasure(
        name=name, predicted_ratio=float(report.metrics["balance_mean"]),
        measured_ratio=statistics.fmean(ratios),
        predicted_max_tokens=[float(v) for v in report.metrics["max_loads"]],
        measured_ms=ms, tokens=tokens, gpu_tokens_moved=2 * moved,
        node_tokens_moved=2 * node_moved, bytes_per_token=4 * hidden)


def replay_placement(problem: PlacementProblem, solution: PlacementSolution, *,
                     device: str = "auto", iters: int = 5, hidden: int = 256, ffn: int = 512,
                     scale: float = 1.0, trace: Trace | None = None, seed: int = 0,
                     compare: bool = True, threads: int | None = 1) -> PlacementReplayResult:
    """Run `solution` (and, with `compare`, the greedy and naive placements) on one token
    trace; `scale` multiplies the instance's loads into token counts."""
    torch = require_torch()
    dev = "cuda" if device in ("auto", "cuda") and torch.cuda.is_available() else "cpu"
    if device == "cuda" and dev != "cuda":
        from schedkit.errors import BackendUnavailable

        raise BackendUnavailable("--device cuda: no CUDA GPU is available")
    trace = trace if trace is not None else token_trace(problem, scale, seed)
    candidates = {"schedkit": solution}
    if compare:
        candidates |= {"greedy": greedy_placement(problem), "naive": naive_placement(problem)}
    result = PlacementReplayResult(
        schedule=next(iter(candidates)), device=dev, gpus=problem.num_gpus,
        nodes=problem.nodes, hidden=hidden, ffn=ffn, scale=scale, iters=iters)
    old = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(threads)
    try:
        for name, sol in candidates.items():
            result.measures[name] = measure(problem, name, sol, trace, hidden=hidden, ffn=ffn,
                                            iters=iters, device=dev, seed=seed)
    finally:
        torch.set_num_threads(old)
    return result
