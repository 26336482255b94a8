"""Combinatorial bounds and static infeasibility checks for the RCPSP.

- Critical path (LB0): longest path through precedences and lags from the release dates.
- Resource (energy) bound: every resource k must deliver sum_j d_j r_jk units; the makespan is
  at least the first T at which the (downtime-reduced) capacity integrated over [0, T) covers it.
- `infeasibility_reason`: a proof that no schedule exists, found without search (a demand above
  capacity, a deadline before the earliest finish, an activity that fits nowhere in its window).
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING

from schedkit.models.rcpsp.problem import RcpspProblem, Resource

if TYPE_CHECKING:
    from schedkit.solvers.budget import Budget


def topological_order(problem: RcpspProblem) -> list[int]:
    """Activity positions in an order compatible with every precedence (the graph is acyclic)."""
    indeg = [0] * problem.n
    succ: list[list[int]] = [[] for _ in range(problem.n)]
    for i, j, _ in problem.arcs:
        succ[i].append(j)
        indeg[j] += 1
    order = [j for j in range(problem.n) if indeg[j] == 0]
    for i in order:  # the list grows while it is read
        for j in succ[i]:
            indeg[j] -= 1
            if indeg[j] == 0:
                order.append(j)
    return order


def earliest_starts(problem: RcpspProblem) -> list[int]:
    """ES_j from release dates and precedence delays, ignoring resources."""
    es = [a.release for a in problem.activities]
    out: list[list[tuple[int, int]]] = [[] for _ in range(problem.n)]
    for i, j, delay in problem.arcs:
        out[i].append((j, delay))
    for i in topological_order(problem):
        for j, delay in out[i]:
            es[j] = max(es[j], es[i] + delay)
    return es


def latest_starts(problem: RcpspProblem, horizon: int) -> list[int]:
    """LS_j such that every deadline (and `horizon` as a common deadline) can still be met."""
    acts = problem.activities
    ls = [
        min(horizon, a.deadline if a.deadline is not None else horizon) - a.duration for a in acts
    ]
    inc: list[list[tuple[int, int]]] = [[] for _ in range(problem.n)]
    for i, j, delay in problem.arcs:
        inc[j].append((i, delay))
    for j in reversed(topological_order(problem)):
        for i, delay in inc[j]:
            ls[i] = min(ls[i], ls[j] - delay)
    return ls


def critical_path_bound(problem: RcpspProblem) -> int:
    """LB0: the longest path (earliest finish of the last activity) without resources."""
    es = earliest_starts(problem)
    return max((s + d for s, d in zip(es, problem.durations, strict=True)), default=0)


def _energy_time(res: Resource, energy: int) -> int:
    """The first T such that the capacity of `res` summed over [0, T) reaches `energy`."""
    if energy <= 0:
        return 0
    points = sorted({0} | {w.start for w in res.downtime} | {w.end for w in res.downtime})
    total = 0
    for a, b in itertools.pairwise(points):
        cap = res.capacity_at(a)
        if cap and total + cap * (b - a) >= energy:
            return a + -(-(energy - total) // cap)
        total += cap * (b - a)
    if res.capacity == 0:
        return 10**9
    return points[-1] + -(-(energy - total) // res.capacity)


def resource_bound(problem: RcpspProblem) -> int:
    """max_k of the time resource k needs to deliver the total work asked of it."""
    best = 0
    for k, res in enumerate(problem.resources):
        energy = sum(d * r[k] for d, r in zip(problem.durations, problem.demand, strict=True))
        best = max(best, _energy_time(res, energy))
    return best


def lower_bound(problem: RcpspProblem, budget: Budget | None = None) -> float:
    """The best combinatorial bound: max(critical path, resource energy)."""
    return float(max(critical_path_bound(problem), resource_bound(problem)))


def _fits_somewhere(res: Resource, need: int, dur: int, first: int, last: int | None) -> bool:
    """Is there a start s in [first, last] with capacity >= need over [s, s + dur)?"""
    blocked = sorted((w.start, w.end) for w in res.downtime if w.capacity < need)
    s = first
    for a, b in blocked:
        if last is not None and s > last:
            return False
        if s + dur <= a or b <= s:
            continue
        s = max(s, b)
    return last is None or s <= last


def infeasibility_reason(problem: RcpspProblem) -> str | None:
    """Why no schedule exists, when that follows from the data alone; None otherwise."""
    for a, row in zip(problem.activities, problem.demand, strict=True):
        for res, need in zip(problem.resources, row, strict=True):
            if need > res.capacity and a.duration > 0:
                return (
                    f"activity {a.id} needs {need} units of resource {res.name} "
                    f"whose capacity is {res.capacity}"
                )
    es = earliest_starts(problem)
    for a, e in zip(problem.activities, es, strict=True):
        if a.deadline is not None and e + a.duration > a.deadline:
            return (
                f"activity {a.id} has deadline {a.deadline} but cannot finish before "
                f"{e + a.duration} (release dates and precedence lags)"
            )
    horizon = max(es) + sum(problem.durations) + 1
    ls = latest_starts(problem, horizon)
    for a, e, lat in zip(problem.activities, es, ls, strict=True):
        if e > lat:
            return (
                f"activity {a.id} cannot start before {e} (release dates and precedences) "
                f"but must start by {lat} to meet the deadlines"
            )
    for a, row, e, lat in zip(problem.activities, problem.demand, es, ls, strict=True):
        last = lat if any(b.deadline is not None for b in problem.activities) else None
        for res, need in zip(problem.resources, row, strict=True):
            if need and a.duration and not _fits_somewhere(res, need, a.duration, e, last):
                return (
                    f"activity {a.id} (needs {need} of {res.name} for {a.duration}) fits in no "
                    f"gap between the downtime windows of {res.name} within [{e}, {lat}]"
                )
    return None
