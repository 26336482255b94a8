"""Serial schedule generation on capacity profiles: a schedule for any horizon, in O(n^2).

The heuristic's fast generation scheme keeps one array cell per time unit, which is quick on
PSPLIB's horizons of a few hundred but impossible when times reach 1e9. This one works on
breakpoints (`Profile`), so the exact backends get an incumbent and the heuristic an answer
whatever the time scale. Deadlines are not enforced: `lateness` says how far they are missed.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence

from schedkit.models.rcpsp.bounds import earliest_starts, latest_starts
from schedkit.models.rcpsp.problem import RcpspProblem
from schedkit.models.rcpsp.profile import Profile


def priority_order(problem: RcpspProblem, key: Sequence[float]) -> list[int]:
    """A precedence-feasible activity list taking the eligible activity of smallest key."""
    left = [0] * problem.n
    succ: list[list[int]] = [[] for _ in range(problem.n)]
    for i, j, _ in problem.arcs:
        succ[i].append(j)
        left[j] += 1
    heap = [(key[j], j) for j in range(problem.n) if left[j] == 0]
    heapq.heapify(heap)
    out: list[int] = []
    while heap:
        _, i = heapq.heappop(heap)
        out.append(i)
        for j in succ[i]:
            left[j] -= 1
            if left[j] == 0:
                heapq.heappush(heap, (key[j], j))
    return out


def latest_finish_order(problem: RcpspProblem) -> list[int]:
    """The activity list of the LFT rule (latest finish from backward CPM), ties by position."""
    es = earliest_starts(problem)
    horizon = max((s + d for s, d in zip(es, problem.durations, strict=True)), default=0)
    ls = latest_starts(problem, horizon)
    return priority_order(problem, [s + d for s, d in zip(ls, problem.durations, strict=True)])


def serial_schedule(problem: RcpspProblem, order: Sequence[int]) -> list[int]:
    """Each activity of `order` (precedence-feasible) at its earliest resource-feasible start.

    A disjunctive pair is a unit resource used by both activities; release dates bound starts.
    """
    profiles = [Profile.of(res) for res in problem.resources]
    pair_profiles = [Profile(1) for _ in problem.pairs]
    uses: list[list[tuple[Profile, int]]] = [
        [(p, r) for p, r in zip(profiles, row, strict=True) if r > 0] for row in problem.demand
    ]
    for prof, (i, j) in zip(pair_profiles, problem.pairs, strict=True):
        uses[i].append((prof, 1))
        uses[j].append((prof, 1))
    preds: list[list[tuple[int, int]]] = [[] for _ in range(problem.n)]
    for i, j, delay in problem.arcs:
        preds[j].append((i, delay))
    start = [0] * problem.n
    for j in order:
        d = problem.durations[j]
        t = max([problem.activities[j].release, *(start[i] + dl for i, dl in preds[j])])
        need = uses[j] if d > 0 else []
        moved = True
        while moved:  # the earliest time at which every resource of j fits
            moved = False
            for prof, units in need:
                s = prof.earliest(t, d, units)
                moved, t = moved or s != t, s
        for prof, units in need:
            prof.take(t, t + d, units)
        start[j] = t
    return start


def lateness(problem: RcpspProblem, start: Sequence[int]) -> int:
    """Total amount by which deadlines are missed (0: every deadline is met)."""
    return sum(
        max(0, s + a.duration - a.deadline)
        for s, a in zip(start, problem.activities, strict=True)
        if a.deadline is not None
    )


def makespan(problem: RcpspProblem, start: Sequence[int]) -> int:
    """The latest finish time of `start`."""
    return max((s + d for s, d in zip(start, problem.durations, strict=True)), default=0)
