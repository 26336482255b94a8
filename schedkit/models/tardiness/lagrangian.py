"""Lagrangian bound for 1|r_j|sum w_j T_j: the first stage of SSDP (Tanaka, Fujikuma & Araki
2009).

Time-indexed view: a schedule without idle time is a path 0 -> P = sum p_j in the graph whose
nodes are the times 0..P and whose arcs (t - p_j -> t) complete job j at t, at cost
w_j max(0, t - d_j). Relaxing "every job exactly once" with multipliers mu_j leaves a shortest
path over time, solved by dynamic programming in O(nP):

    h(t) = min_j h(t - p_j) + w_j max(0, t - d_j) - mu_j,    LB(mu) = h(P) + sum_j mu_j.

As in Tanaka et al., the path may not run the same job twice in succession: each node keeps
its best value and the best value ending with another job. The multipliers follow subgradient
steps (g_j = 1 - times job j is on the path; Polyak step towards the best known value), and
every few steps the path, ordered by first completion with the missing jobs at their due
dates, gives a sequence whose cost improves that known value. The bound is valid for any
multipliers, so it stops at the budget with the best value so far.

With release dates the horizon is H = max r_j + P, job j may complete at t only when
t >= r_j + p_j, and idle arcs t - 1 -> t (cost 0, the last job unchanged) let the path wait.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from schedkit.models.tardiness.orders import edd_order
from schedkit.models.tardiness.problem import TardinessProblem

if TYPE_CHECKING:
    from schedkit.solvers.budget import Budget

MAX_CELLS = 4_000_000
"""Largest n x P table the bound builds (wt100 needs about 500,000)."""
STEP_START = 2.0
STEP_MIN = 1e-4
PATIENCE = 10
"""Steps without a better bound before the step size is halved."""
REPAIR_EVERY = 5


IDLE_BEST, IDLE_SECOND = -1, -2
"""Sources of a node's value that are an idle unit after the best or second value at t - 1."""


@dataclass(frozen=True)
class PathDP:
    """The shortest-path problem of one instance: costs and predecessor tables, by time."""

    p: np.ndarray
    cost: np.ndarray
    """(H + 1, n): w_j max(0, t - d_j) at row t, +inf where t < r_j + p_j."""
    prev: np.ndarray
    """(H + 1, n): t - p_j at row t, or H + 1 (a node of value +inf) where negative."""
    idle: bool
    """Whether the machine may idle (release dates): arcs t - 1 -> t that complete no job."""

    @classmethod
    def of(cls, problem: TardinessProblem) -> PathDP:
        p, d, r, w = problem.p, problem.d, problem.r, problem.w.astype(float)
        horizon = int(r.max()) + int(p.sum())
        t = np.arange(horizon + 1)[:, None]
        cost = w * np.maximum(0, t - d)
        cost[t < r + p] = np.inf
        prev = t - p
        prev[prev < 0] = horizon + 1
        return cls(p, cost, prev, bool(r.max() > 0))

    def solve(self, mu: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        """(h(H), the jobs of the path in order, their completion times) under `mu`."""
        horizon, n = len(self.cost) - 1, len(self.p)
        cost = self.cost - mu
        best, second = np.full(horizon + 2, np.inf), np.full(horizon + 2, np.inf)
        last, other = np.full(horizon + 2, -1), np.full(horizon + 2, -1)
        src = np.full((horizon + 2, 2), IDLE_BEST)
        best[0] = 0.0
        jobs = np.arange(n)
        for t in range(1, horizon + 1):
            pv = self.prev[t]
            v = np.where(last[pv] == jobs, second[pv], best[pv]) + cost[t]
            j = int(v.argmin())
            bj = float(v[j])
            v[j] = np.inf
            k = int(v.argmin())
            found = [(bj, j, j), (float(v[k]), k, k)]
            if self.idle:
                found += [
                    (float(best[t - 1]), int(last[t - 1]), IDLE_BEST),
                    (float(second[t - 1]), int(other[t - 1]), IDLE_SECOND),
                ]
                found.sort(key=lambda c: c[0])
                runner = next((c for c in found[1:] if c[1] != found[0][1]), (np.inf, -1, -1))
                found = [found[0], runner]
            (best[t], last[t], src[t, 0]), (second[t], other[t], src[t, 1]) = found
        path, ends = self._path(last, src, horizon)
        return float(best[horizon]), path, ends

    def _path(self, last: np.ndarray, src: np.ndarray, t: int) -> tuple[np.ndarray, np.ndarray]:
        """Jobs of the best path to t, first to last, and their completion times."""
        path: list[int] = []
        ends: list[int] = []
        rank = 0
        while t > 0:
            came = int(src[t, rank])
            if came < 0:  # an idle unit after the best (or second) value at t - 1
                t, rank = t - 1, 0 if came == IDLE_BEST else 1
                continue
            path.append(came)
            ends.append(t)
            t -= int(self.p[came])
            rank = 1 if t > 0 and int(last[t]) == came else 0
        return np.array(path[::-1], dtype=np.int64), np.array(ends[::-1], dtype=np.int64)


def cost_of(problem: TardinessProblem, sequence: np.ndarray) -> int:
    """Total weighted tardiness of a permutation, jobs started as early as possible."""
    p = problem.p[sequence]
    s = np.cumsum(p)
    c = s + np.maximum(np.maximum.accumulate(problem.r[sequence] - (s - p)), 0)
    return int((problem.w[sequence] * np.maximum(0, c - problem.d[sequence])).sum())


def repair(problem: TardinessProblem, path: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """A permutation from a path: jobs by first completion on it, missing ones at their due date."""
    first = np.full(problem.n, np.inf)
    np.minimum.at(first, path, ends)
    key = np.where(np.isfinite(first), first, problem.d.astype(float))
    return np.lexsort((problem.d, key))


@dataclass
class LagrangianResult:
    """The bound, the best sequence value seen, and the subgradient steps taken."""

    bound: float
    upper: int
    steps: int
    mu: np.ndarray | None = None
    """The multipliers of the best bound (stage 2 starts from them)."""

    def proven_bound(self) -> int:
        """The bound rounded up to the next integer, less a margin for float rounding."""
        if not math.isfinite(self.bound):
            return 0
        return max(0, math.ceil(self.bound - 1e-6 - 1e-12 * abs(self.bound)))


def lagrangian_bound(
    problem: TardinessProblem, budget: Budget | None = None, upper: int | None = None
) -> LagrangianResult | None:
    """Best Lagrangian bound within `budget`; None when the (n, horizon) table is too large."""
    if problem.n * (int(problem.r.max()) + int(problem.p.sum()) + 1) > MAX_CELLS:
        return None
    dp = PathDP.of(problem)
    known = cost_of(problem, np.array(edd_order(problem)))
    ub = known if upper is None else min(upper, known)
    mu = np.zeros(problem.n)
    res = LagrangianResult(-math.inf, ub, 0)
    step, stale = STEP_START, 0
    while step > STEP_MIN and not (budget is not None and budget.expired()):
        value, path, ends = dp.solve(mu)
        res.steps += 1
        bound = value + float(mu.sum())
        g = 1.0 - np.bincount(path, minlength=problem.n)
        if res.steps % REPAIR_EVERY == 1 or not g.any():
            res.upper = min(res.upper, cost_of(problem, repair(problem, path, ends)))
        if bound > res.bound + 1e-9:
            res.bound, res.mu, stale = bound, mu.copy(), 0
        else:
            stale += 1
            if stale >= PATIENCE:
                step, stale = step / 2, 0
        if not g.any() or res.proven_bound() >= res.upper:
            break
        mu += step * max(res.upper - bound, 1.0) / float(g @ g) * g
    return res
