"""Combinatorial lower bounds for pipeline schedules: per-device work plus the unavoidable
warm-up idle time.

Microbatches are interchangeable, so some optimal schedule runs each (stage, kind) in
microbatch order (sort each sequence of starts and relabel: every dependency between two
sorted sequences still holds). Then the first op of device d is F of its lowest stage for
microbatch 0, and between that start and the device's first B only F ops can run: at most
K = min(chunks * m, floor(limit / F-memory)) of them. The path of microbatch 0 up the
pipeline and back is a window of fixed length; what K forwards cannot fill is idle time.
The makespan adds the head start of device d (the forwards of microbatch 0 below it).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from schedkit.models.pipeline.problem import PipelineProblem

if TYPE_CHECKING:
    from schedkit.solvers.budget import Budget

EPS = 1e-9


def _crossings(problem: PipelineProblem, lo: int, hi: int) -> int:
    """Device changes between consecutive stages lo..hi."""
    return sum(problem.device_of(s) != problem.device_of(s + 1) for s in range(lo, hi))


def head(problem: PipelineProblem, device: int) -> float:
    """Earliest start of the device's first op, relative to F(0, 0)."""
    s0 = problem.stages_of[device][0]
    return sum(problem.t["F"][:s0]) + problem.comm * _crossings(problem, 0, s0)


def max_inflight_forwards(problem: PipelineProblem, device: int) -> int:
    """How many F ops the device can hold before its first B frees anything."""
    local = problem.stages_of[device]
    total = problem.chunks * problem.microbatches
    limit = problem.memory.limit
    amount = min(problem.mem["F"][s] for s in local)
    if limit is None or amount <= 0:
        return total
    return min(total, math.floor(limit / amount + EPS))


def warmup_idle(problem: PipelineProblem, device: int) -> float:
    """Idle time forced between the device's first op and its first B."""
    local = problem.stages_of[device]
    s0, last = local[0], problem.stages - 1
    up = sum(problem.t["F"][s0:]) + problem.comm * _crossings(problem, s0, last)
    window = min(
        up + sum(problem.t["B"][s + 1 :]) + problem.comm * _crossings(problem, s, last)
        for s in local
    )
    fill = max_inflight_forwards(problem, device) * min(problem.t["F"][s] for s in local)
    return max(0.0, window - fill)


def device_span_bound(problem: PipelineProblem, device: int) -> float:
    """Work plus forced warm-up idle of one device."""
    return problem.device_work(device) + warmup_idle(problem, device)


def span_bound(problem: PipelineProblem) -> float:
    return max(device_span_bound(problem, d) for d in range(problem.devices))


def makespan_bound(problem: PipelineProblem) -> float:
    chain = sum(problem.t["F"]) + sum(problem.t["B"]) + problem.t["W"][0]
    chain += 2 * problem.comm * _crossings(problem, 0, problem.stages - 1)
    per_device = max(
        head(problem, d) + device_span_bound(problem, d) for d in range(problem.devices)
    )
    return max(chain, per_device)


def infeasible_reason(problem: PipelineProblem) -> str | None:
    """Why no schedule can meet the memory limit, when that is clear; None otherwise."""
    limit = problem.memory.limit
    if limit is None:
        return None
    for d, local in enumerate(problem.stages_of):
        one = sum(problem.mem["F"][s] for s in local)
        final = problem.microbatches * sum(
            problem.mem["F"][s] + problem.mem["BW"][s] for s in local
        )
        if max(one, final) > limit + EPS:
            return f"device {d} needs {max(one, final):g} units of memory (limit {limit:g})"
    return None


def lower_bound(problem: PipelineProblem, budget: Budget | None = None) -> float | None:
    """The bound for the problem's objective (None when the instance is infeasible)."""
    if infeasible_reason(problem) is not None:
        return None
    return span_bound(problem) if problem.objective == "span" else makespan_bound(problem)
