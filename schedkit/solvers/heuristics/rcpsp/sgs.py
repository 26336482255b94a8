"""Schedule generation schemes for the RCPSP: serial and parallel, plus forward-backward
improvement (justification).

The data are plain Python lists; the serial scheme, which the GA runs millions of times, runs
compiled over numpy copies of them (`sgs_kernels.py`) where numba is available. Time-varying
capacity (downtime) is an availability row per resource; a disjunctive pair is an extra unit
resource used by both of its activities; release dates bound the starts. Deadlines are not
enforced by the schemes: `lateness` measures how far a schedule misses them.
"""

from __future__ import annotations

import heapq
import operator
from collections.abc import Sequence
from typing import Any

from schedkit.models.rcpsp.problem import RcpspProblem
from schedkit.solvers.budget import Budget
from schedkit.solvers.heuristics.rcpsp import sgs_kernels

MAX_CELLS = 2_000_000
"""Largest availability table (time units x resources) the array scheme builds; beyond it the
heuristic generates schedules on capacity profiles (`schedkit.models.rcpsp.schedule`)."""


def table_cells(problem: RcpspProblem) -> int:
    """Cells of the availability table `Sgs` would build for `problem`."""
    last_down = max((w.end for r in problem.resources for w in r.downtime), default=0)
    lags = sum(delay for _, _, delay in problem.arcs)
    horizon = max(a.release for a in problem.activities) + last_down + sum(problem.durations)
    return (2 * (horizon + lags + 1) + 2) * (problem.m + len(problem.pairs))


class Sgs:
    """Precomputed data of one problem (or of its time-mirror) for fast schedule generation.

    One availability cell per time unit and resource: callers check `table_cells` first."""

    def __init__(self, problem: RcpspProblem, compiled: bool = True) -> None:
        """`compiled`: use the compiled serial scheme where numba is available."""
        self.problem = problem
        n = self.n = problem.n
        self.dur = list(problem.durations)
        self.release = [a.release for a in problem.activities]
        self.preds: list[list[tuple[int, int]]] = [[] for _ in range(n)]
        self.succs: list[list[tuple[int, int]]] = [[] for _ in range(n)]
        for i, j, delay in problem.arcs:
            self.preds[j].append((i, delay))
            self.succs[i].append((j, delay))
        last_down = max((w.end for r in problem.resources for w in r.downtime), default=0)
        lags = sum(delay for _, _, delay in problem.arcs)
        self.horizon = max(self.release) + last_down + sum(self.dur) + lags + 1
        length = 2 * self.horizon + 2
        self.deadline = [length if a.deadline is None else a.deadline for a in problem.activities]
        """No deadline: one past every time a schedule of this scheme can reach."""
        self.deadlines = any(a.deadline is not None for a in problem.activities)
        self.base = [
            [res.capacity_at(t) for t in range(length)] if res.downtime else [res.capacity] * length
            for res in problem.resources
        ]
        self.dem: list[list[tuple[int, int]]] = [
            [(k, r) for k, r in enumerate(row) if r > 0] if d > 0 else []
            for row, d in zip(problem.demand, self.dur, strict=True)
        ]
        for i, j in problem.pairs:  # a unit resource per disjunctive pair
            k = len(self.base)
            self.base.append([1] * length)
            if self.dur[i] and self.dur[j]:
                self.dem[i].append((k, 1))
                self.dem[j].append((k, 1))
        self.direct = {(i, j) for i, j, _ in problem.arcs}
        self.monotone = all(delay >= self.dur[i] for i, _, delay in problem.arcs)
        """Every arc orders both starts and ends (FS): sorting by time keeps lists feasible."""
        self.arrays = self.compiled() if compiled else None

    def compiled(self) -> sgs_kernels.SerialArrays | None:
        """The arrays of the compiled serial scheme, or None without numba."""
        return sgs_kernels.SerialArrays.of(self) if sgs_kernels.available() else None

    def mirrored(self) -> Sgs:
        """The time-reversed problem around `horizon`: t' = H - t, arcs and windows swapped."""
        m = object.__new__(Sgs)
        m.problem, m.n, m.horizon, m.dur = self.problem, self.n, self.horizon, self.dur
        h = self.horizon
        # S_j >= S_i + delay becomes S'_i >= S'_j + delay + d_j - d_i in mirrored time
        m.preds = [[] for _ in range(self.n)]
        m.succs = [[] for _ in range(self.n)]
        for i in range(self.n):
            for j, delay in self.succs[i]:
                mirror_delay = delay + self.dur[j] - self.dur[i]
                m.preds[i].append((j, mirror_delay))
                m.succs[j].append((i, mirror_delay))
        m.release = [max(0, h - dl) for dl in self.deadline]
        m.deadline = [h - r for r in self.release]
        m.deadlines = True
        m.base = [row[h - 1 :: -1] + row[h:] for row in self.base]
        m.dem, m.direct = self.dem, {(j, i) for i, j in self.direct}
        m.monotone = self.monotone
        m.arrays = None if self.arrays is None else m.compiled()
        return m

    def serial(self, order: Sequence[int], min_start: int = 0) -> list[int]:
        """Serial SGS: each activity of `order` in turn at its earliest feasible time."""
        if self.arrays is not None:
            return self.arrays.serial(order, min_start)
        return self.serial_python(order, min_start)

    def serial_python(self, order: Sequence[int], min_start: int = 0) -> list[int]:
        """`serial` in plain Python (the reference of the compiled scheme)."""
        avail = [row[:] for row in self.base]
        start = [0] * self.n
        dur, dem, preds, release = self.dur, self.dem, self.preds, self.release
        for j in order:
            t = release[j] if release[j] > min_start else min_start
            for i, delay in preds[j]:
                v = start[i] + delay
                if v > t:
                    t = v
            need = dem[j]
            if need:
                d = dur[j]
                t = _first_fit(avail, need, t, d)
                for k, r in need:
                    row = avail[k]
                    for tau in range(t, t + d):
                        row[tau] -= r
            start[j] = t
        return start

    def parallel(self, priority: Sequence[float], budget: Budget | None = None) -> list[int] | None:
        """Parallel SGS: at each decision time, start eligible activities by `priority` (low
        first) while they fit; None if `budget` runs out first (it is O(n T) on large
        instances)."""
        n = self.n
        avail = [row[:] for row in self.base]
        start = [-1] * n
        left = [len(p) for p in self.preds]
        earliest = list(self.release)
        eligible = {j for j in range(n) if left[j] == 0}
        changes = sorted(
            {t for row in self.base for t in range(1, len(row)) if row[t] != row[t - 1]}
        )
        t = 0
        done = 0
        while done < n:
            if budget is not None and budget.expired():
                return None
            progress = False
            for j in sorted((j for j in eligible if earliest[j] <= t), key=priority.__getitem__):
                d = self.dur[j]
                if self.dem[j] and not _fits_at(avail, self.dem[j], t, d):
                    continue
                for k, r in self.dem[j]:
                    row = avail[k]
                    for tau in range(t, t + d):
                        row[tau] -= r
                start[j] = t
                eligible.discard(j)
                done += 1
                progress = True
                for s, delay in self.succs[j]:
                    earliest[s] = max(earliest[s], t + delay)
                    left[s] -= 1
                    if left[s] == 0:
                        eligible.add(s)
            if progress:
                continue
            nxt = [earliest[j] for j in eligible if earliest[j] > t]
            nxt += [s + d for s, d in zip(start, self.dur, strict=True) if s >= 0 and s + d > t]
            nxt += [c for c in changes if c > t][:1]
            t = min(nxt) if nxt else t + 1
        return start

    def makespan(self, start: Sequence[int]) -> int:
        return max(map(operator.add, start, self.dur), default=0)

    def lateness(self, start: Sequence[int]) -> int:
        """Total amount by which deadlines are missed (0 for a deadline-feasible schedule;
        always 0 without deadlines, as every start lies within the availability table)."""
        if not self.deadlines:
            return 0
        return sum(
            max(0, s + d - dl) for s, d, dl in zip(start, self.dur, self.deadline, strict=True)
        )


def _fits_at(avail: list[list[int]], need: list[tuple[int, int]], t: int, d: int) -> bool:
    """Does `need` fit on every resource during [t, t + d)?"""
    end = t + d
    return all(min(avail[k][t:end]) >= r for k, r in need)


def _first_fit(avail: list[list[int]], need: list[tuple[int, int]], t: int, d: int) -> int:
    """The first time >= t at which `need` fits for `d` units of time."""
    while True:
        end = t + d
        moved = False
        for k, r in need:
            row = avail[k]
            if min(row[t:end]) < r:
                tau = end - 1
                while row[tau] >= r:
                    tau -= 1
                t = tau + 1
                moved = True
                break
        if not moved:
            return t


def feasible_order(sgs: Sgs, key: Sequence[tuple[int, int]]) -> list[int]:
    """Activities by increasing `key`, repaired into a precedence-feasible list of `sgs`.

    With FS arcs only, a sort suffices (ties are broken consistently by the caller); with SS
    arcs a heap-based topological sort picks the smallest key among the eligible activities.
    """
    if sgs.monotone:
        return sorted(range(sgs.n), key=key.__getitem__)
    return priority_topological_order(sgs, key)


def priority_topological_order(sgs: Sgs, key: Sequence[Any]) -> list[int]:
    """A topological order that always takes the eligible activity with the smallest key."""
    left = [len(p) for p in sgs.preds]
    heap = [(key[j], j) for j in range(sgs.n) if left[j] == 0]
    heapq.heapify(heap)
    out: list[int] = []
    while heap:
        _, i = heapq.heappop(heap)
        out.append(i)
        for j, _ in sgs.succs[i]:
            left[j] -= 1
            if left[j] == 0:
                heapq.heappush(heap, (key[j], j))
    return out


class Justifier:
    """Forward-backward improvement: right-justify a schedule, then left-justify it again."""

    def __init__(self, sgs: Sgs) -> None:
        self.fwd = sgs
        self.bwd = sgs.mirrored()

    def improve(self, order: Sequence[int], start: list[int]) -> tuple[list[int], list[int]]:
        """(new order, new starts) from one backward and one forward serial pass."""
        fwd, bwd = self.fwd, self.bwd
        h = fwd.horizon
        ms = fwd.makespan(start)
        n = fwd.n
        rank = [0] * n
        for pos, j in enumerate(order):
            rank[j] = pos
        back_key = [
            (-(s + d), -rank[j]) for j, (s, d) in enumerate(zip(start, fwd.dur, strict=True))
        ]
        back_order = feasible_order(bwd, back_key)
        bstart = bwd.serial(back_order, min_start=h - ms)
        mirror = [h - s - d for s, d in zip(bstart, fwd.dur, strict=True)]
        if min(mirror) < 0:
            return list(order), start
        for pos, j in enumerate(back_order):
            rank[j] = pos
        new_order = feasible_order(fwd, [(mirror[j], -rank[j]) for j in range(n)])
        return new_order, fwd.serial(new_order)
