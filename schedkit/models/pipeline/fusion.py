"""Fused backwards in the exact pipeline models: which stages may fuse, and a schedule's times
in the models' terms (a warm start).

A fused BW(s, j) only pays where `times.BW` < B + W: elsewhere B then W in BW's slot delivers
the input gradient no later, frees memory no later and ends no later, so the models split
there. Both models keep one "backward" per (stage, microbatch) under the key B: the op that
delivers the input gradient, a B or a fused BW, with a Boolean saying which.

Microbatch order with fusion: per stage, F ops and backwards (B or BW together) run in
microbatch order, and the W ops in the order of their (split) microbatches. Any schedule can
be relabelled that way: the k-th F, the k-th backward of a stage get label k; the k-th W gets
the k-th smallest label among the split backwards (the first k W follow k distinct split
backwards, so the backward with that label is done before the k-th W starts); dependencies
link k-th elements of sorted sequences (bounds.py) and memory only depends on the kinds.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from schedkit.models.pipeline.problem import OpKey, PipelineProblem, PipelineSolution
from schedkit.models.pipeline.simulate import simulate

TOL = 1e-12


def fusable_stages(problem: PipelineProblem) -> frozenset[int]:
    """Stages whose fused backward is shorter than B + W (the only ones worth fusing)."""
    t = problem.t
    return frozenset(s for s in range(problem.stages) if t["BW"][s] < t["B"][s] + t["W"][s] - TOL)


def split_fused(
    orders: Sequence[Sequence[OpKey]], keep: frozenset[int] = frozenset()
) -> list[list[OpKey]]:
    """The orders with each BW of a stage outside `keep` replaced by B then W."""
    out: list[list[OpKey]] = []
    for row in orders:
        new: list[OpKey] = []
        for k, s, j in row:
            split = k == "BW" and s not in keep
            new += [("B", s, j), ("W", s, j)] if split else [(k, s, j)]
        out.append(new)
    return out


def relabel(orders: Sequence[Sequence[OpKey]]) -> list[list[OpKey]] | None:
    """The orders relabelled into the models' microbatch order (module docstring); None
    when the W ops do not match the split backwards (a malformed schedule)."""
    split: dict[int, list[int]] = defaultdict(list)
    count: dict[tuple[str, int], int] = defaultdict(int)
    for row in orders:
        for k, s, _ in row:
            if k in ("B", "BW"):
                if k == "B":
                    split[s].append(count[("G", s)])
                count[("G", s)] += 1
    count.clear()
    out: list[list[OpKey]] = []
    for row in orders:
        new: list[OpKey] = []
        for k, s, _ in row:
            group = "G" if k in ("B", "BW") else k
            n = count[(group, s)]
            count[(group, s)] = n + 1
            if k == "W":
                if n >= len(split[s]):
                    return None
                n = split[s][n]
            new.append((k, s, n))
        out.append(new)
    return out


@dataclass
class ModelTimes:
    """A schedule in the models' terms: starts and ends of F, B (the backward, B or BW) and
    the W of split backwards; `fused` holds the (stage, microbatch) of every BW."""

    start: dict[OpKey, float] = field(default_factory=dict)
    end: dict[OpKey, float] = field(default_factory=dict)
    fused: set[tuple[int, int]] = field(default_factory=set)


def model_times(
    problem: PipelineProblem,
    solution: PipelineSolution,
    duration: Callable[[OpKey], float],
    comm: float,
) -> ModelTimes | None:
    """ASAP times of the solution's relabelled orders with the given durations (None when
    they deadlock or are malformed)."""
    orders = split_fused(solution.orders(problem.devices), fusable_stages(problem))
    ordered = relabel(orders)
    if ordered is None:
        return None
    sim = simulate(problem, ordered, duration, comm=comm)
    if sim.deadlock:
        return None
    out = ModelTimes()
    for (k, s, j), v in sim.start.items():
        if k == "BW":
            out.fused.add((s, j))
        key = ("B" if k == "BW" else k, s, j)
        out.start[key], out.end[key] = v, sim.end[(k, s, j)]
    return out
