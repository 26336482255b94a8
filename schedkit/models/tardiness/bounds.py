"""Lower bounds for (weighted) total tardiness, computed within the solve's budget.

- Sorted bound, O(n log n): the k-th smallest completion time of any schedule is at least the
  k-th completion time S_k of preemptive SRPT (the sum of the k smallest processing times
  without release dates). sum_k max(0, S_k - d_(k)), due dates sorted, is the cheapest
  assignment of due dates to those times (the cost is convex in S - d), so it bounds the total
  tardiness; times the least weight, the weighted total.
- Assignment bound: the cheapest assignment of jobs to the times S_k with the weighted costs
  w_j max(0, S_k - d_j), a linear assignment problem (n x n, cubic time): run only when its
  estimated time fits a share of the budget.
- SSDP bound (`ssdp_bound.py`: stages 2 and 3 of Tanaka, Fujikuma & Araki; no release dates,
  n^2 x sum(p) small enough, at least `SSDP_MIN_SECONDS` left): a share of what remains.
  It usually reaches the optimum (a proof), and then `auto` stops as soon as the heuristic
  matches it.
- Otherwise the Lagrangian bound of stage 1 (`lagrangian.py`; with release dates, n x
  (max r + sum(p)) small enough): a share of what remains.

The result is kept per problem object, so the heuristic and the exact backends reuse the
bound the portfolio computed instead of spending their own time on it again.
"""

from __future__ import annotations

import heapq
from typing import TYPE_CHECKING

import numpy as np

from schedkit.models.memo import per_problem
from schedkit.models.tardiness.lagrangian import lagrangian_bound
from schedkit.models.tardiness.problem import TardinessProblem
from schedkit.models.tardiness.ssdp_bound import ssdp_bound

if TYPE_CHECKING:
    from schedkit.solvers.budget import Budget

ASSIGNMENT_SECONDS_PER_N3 = 1e-9
"""Estimated seconds of the assignment bound per n^3 (measured: n = 2000 in about 6 s)."""
ASSIGNMENT_SHARE = 0.2
"""Most of the remaining budget the assignment bound may take."""
ASSIGNMENT_MAX_COST = 2**40
"""Largest cost w_j x horizon for which the float64 assignment is exact (n x 2^40 < 2^53)."""
LAGRANGIAN_SHARE = 0.25
"""Share of the remaining budget the Lagrangian bound takes."""
SSDP_SHARE = 0.75
"""Share of the remaining budget the SSDP bound takes (a proof saves the rest)."""
SSDP_MIN_SECONDS = 1.0
"""Least remaining time for which SSDP is tried; below it, stage 1 alone. With the compiled
loops over the arcs left, most wt40 / wt50 proofs take well under a second (`auto` at 1.8 s:
119 and 82 of 125 proven, every optimum still found; with 5 s as the threshold, 23 and 20).
Where it does not prove, the search keeps a quarter of the limit, and it needs milliseconds
at n = 40-50."""


def srpt_completion_times(p: np.ndarray, r: np.ndarray) -> list[int]:
    """Completion times, in order, of preemptive shortest-remaining-processing-time."""
    if not np.any(r > 0):
        return np.cumsum(np.sort(p)).tolist()
    order = np.argsort(r, kind="stable")
    pl, rl = p.tolist(), r.tolist()
    heap: list[tuple[int, int]] = []
    done: list[int] = []
    t = i = 0
    n = len(pl)
    while len(done) < n:
        if not heap:
            t = max(t, rl[order[i]])
        while i < n and rl[order[i]] <= t:
            heapq.heappush(heap, (pl[order[i]], int(order[i])))
            i += 1
        rem, j = heapq.heappop(heap)
        next_release = rl[order[i]] if i < n else None
        if next_release is not None and t + rem > next_release:
            heapq.heappush(heap, (rem - (next_release - t), j))
            t = next_release
        else:
            t += rem
            done.append(t)
    return done


def sorted_bound(problem: TardinessProblem) -> int:
    """min weight x sum_k max(0, S_k - d_(k)), S the SRPT times, d sorted: O(n log n)."""
    slots = np.array(srpt_completion_times(problem.p, problem.r), dtype=np.int64)
    late = np.maximum(0, slots - np.sort(problem.d))
    return int(problem.w.min()) * int(late.sum())


def assignment_bound(problem: TardinessProblem) -> int:
    """min over job-to-slot assignments of sum_j w_j max(0, S_k - d_j), S = SRPT times."""
    from scipy.optimize import linear_sum_assignment

    slots = np.array(srpt_completion_times(problem.p, problem.r), dtype=np.int64)
    cost = problem.w[:, None] * np.maximum(0, slots[None, :] - problem.d[:, None])
    rows, cols = linear_sum_assignment(cost)
    return int(cost[rows, cols].sum())


def assignment_fits(problem: TardinessProblem, budget: Budget | None) -> bool:
    """Whether the assignment bound is exact here and its estimated time fits `budget`.

    SciPy solves the assignment in floating point: with costs above `ASSIGNMENT_MAX_COST`
    its optimum could be off, and a sub-optimal assignment is no bound, so it is not used.
    """
    horizon = int(problem.r.max()) + int(problem.p.sum())
    if problem.n < 2 or int(problem.w.max()) * horizon > ASSIGNMENT_MAX_COST:
        return False
    if budget is None:
        return True
    return ASSIGNMENT_SECONDS_PER_N3 * problem.n**3 <= ASSIGNMENT_SHARE * budget.remaining()


def compute_bound(problem: TardinessProblem, budget: Budget | None = None) -> float:
    """The best bound that `budget` allows (no budget: the sorted and assignment bounds)."""
    bound = sorted_bound(problem)
    if assignment_fits(problem, budget):
        bound = max(bound, assignment_bound(problem))
    if budget is None or budget.expired():
        return float(bound)
    if budget.remaining() >= SSDP_MIN_SECONDS:
        proof = ssdp_bound(problem, budget.split(SSDP_SHARE))
        if proof is not None:
            return float(max(bound, proof.bound))
    found = lagrangian_bound(problem, budget.split(LAGRANGIAN_SHARE))
    if found is not None:
        bound = max(bound, found.proven_bound())
    return float(bound)


@per_problem
def lower_bound(problem: TardinessProblem, budget: Budget | None = None) -> float:
    """The best bound known for `problem` within `budget` (kept per problem object)."""
    return compute_bound(problem, budget)


_cache = lower_bound.cache
