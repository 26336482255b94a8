"""Combinatorial lower bounds for (weighted) total tardiness.

Assignment bound: in any schedule the k-th smallest completion time is at least the k-th
completion time of the preemptive SRPT schedule (the sum of the k smallest processing times
without release dates). Tardiness grows with completion time, so the cheapest assignment of
jobs to those completion times, a linear assignment problem, bounds the optimum from below.
"""

from __future__ import annotations

import heapq
from typing import TYPE_CHECKING

import numpy as np
from scipy.optimize import linear_sum_assignment

from schedkit.models.tardiness.problem import TardinessProblem

if TYPE_CHECKING:
    from schedkit.solvers.budget import Budget


def srpt_completion_times(p: np.ndarray, r: np.ndarray) -> list[int]:
    """Completion times, in order, of preemptive shortest-remaining-processing-time."""
    order = np.argsort(r, kind="stable")
    heap: list[tuple[int, int]] = []
    done: list[int] = []
    t = 0
    i = 0
    n = len(p)
    while len(done) < n:
        if not heap:
            t = max(t, int(r[order[i]]))
        while i < n and r[order[i]] <= t:
            heapq.heappush(heap, (int(p[order[i]]), int(order[i])))
            i += 1
        rem, j = heapq.heappop(heap)
        next_release = int(r[order[i]]) if i < n else None
        if next_release is not None and t + rem > next_release:
            heapq.heappush(heap, (rem - (next_release - t), j))
            t = next_release
        else:
            t += rem
            done.append(t)
    return done


def assignment_bound(problem: TardinessProblem) -> int:
    """min over job-to-slot assignments of sum_j w_j max(0, S_k - d_j), S = SRPT times."""
    slots = np.array(srpt_completion_times(problem.p, problem.r), dtype=np.int64)
    cost = problem.w[:, None] * np.maximum(0, slots[None, :] - problem.d[:, None])
    rows, cols = linear_sum_assignment(cost)
    return int(cost[rows, cols].sum())


def lower_bound(problem: TardinessProblem, budget: Budget | None = None) -> float:
    """The best combinatorial bound known for `problem`."""
    return float(assignment_bound(problem))
