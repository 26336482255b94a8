"""Exact total tardiness (unweighted, no release dates): Lawler's decomposition.

Number the jobs in EDD order (ties: shorter first). Lawler (1977): if k is the longest job
(ties: the latest), some optimal schedule runs jobs {1..k+delta} \\ {k} first, then k, then
{k+delta+1..n}, for some delta >= 0; both sides are again problems of the same form, each a
set of consecutive jobs (in EDD order) shorter than k, started at a known time. They are
memoised on (first job, last job, length cap, start time).

Potts & Van Wassenhove's (1982) restriction keeps only the positions with
d_{k+delta} <= C_k(delta) < d_{k+delta+1} (the first test is skipped for delta = 0, the second
for the last position): otherwise moving job k+delta after k, or swapping k and job
k+delta+1, does not increase the cost. Two reductions close subproblems at once: if EDD has no
tardy job it is optimal; if every job is tardy wherever it goes, SPT is optimal.

The run stops at the time limit; it then returns the hint (or the EDD sequence) as feasible.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field

from schedkit.errors import UnsupportedProblem
from schedkit.models.tardiness.bounds import lower_bound
from schedkit.models.tardiness.orders import edd_order
from schedkit.models.tardiness.problem import TardinessProblem, TardinessSolution
from schedkit.solvers.budget import Budget
from schedkit.solvers.result import BackendOutput, SolveOptions, Status, Termination

EDD_OPTIMAL = -1
SPT_OPTIMAL = -2


class _Timeout(Exception):
    """The budget ran out during the recursion."""


@dataclass
class Lawler:
    """Lawler's decomposition over jobs renumbered in EDD order."""

    p: list[int]
    d: list[int]
    rank: list[int]
    """Position of each job in the order (processing time, EDD index): the longest is last."""
    budget: Budget | None = None
    memo: dict[tuple[int, int, int, int], tuple[int, int]] = field(default_factory=dict)
    calls: int = 0

    def members(self, lo: int, hi: int, cap: int) -> list[int]:
        """Jobs lo..hi (EDD numbers) whose rank is below `cap`."""
        rank = self.rank
        return [e for e in range(lo, hi + 1) if rank[e] < cap]

    def tardiness(self, jobs: list[int], t: int) -> int:
        """Total tardiness of `jobs` run in this order from time t."""
        total = 0
        for e in jobs:
            t += self.p[e]
            total += max(0, t - self.d[e])
        return total

    def reduce(self, jobs: list[int], t: int) -> tuple[int, int] | None:
        """(value, marker) when EDD or SPT is optimal for `jobs` from t, else None."""
        if self.tardiness(jobs, t) == 0:
            return 0, EDD_OPTIMAL
        if all(t + self.p[e] >= self.d[e] for e in jobs):
            return self.tardiness(sorted(jobs, key=self.rank.__getitem__), t), SPT_OPTIMAL
        return None

    def best(self, lo: int, hi: int, cap: int, t: int) -> int:
        """Least total tardiness of members(lo, hi, cap) started at t."""
        jobs = self.members(lo, hi, cap)
        if not jobs:
            return 0
        key = (jobs[0], jobs[-1], max(self.rank[e] for e in jobs), t)
        hit = self.memo.get(key)
        if hit is not None:
            return hit[0]
        self.calls += 1
        if self.budget is not None and self.budget.expired():
            raise _Timeout
        found = self.reduce(jobs, t)
        if found is None:
            found = self.split(jobs, t)
        self.memo[key] = found
        return found[0]

    def positions(self, jobs: list[int], t: int) -> list[tuple[int, int]]:
        """(last job before k, completion of k) for every position kept for the longest k."""
        k = max(jobs, key=self.rank.__getitem__)
        q = jobs.index(k)
        c_k = t + sum(self.p[e] for e in jobs[: q + 1])
        kept = []
        for r in range(q, len(jobs)):
            if r > q:
                c_k += self.p[jobs[r]]
                if c_k < self.d[jobs[r]]:
                    continue
            if r + 1 < len(jobs) and c_k >= self.d[jobs[r + 1]]:
                continue
            kept.append((jobs[r], c_k))
        return kept or self.all_positions(jobs, t)

    def all_positions(self, jobs: list[int], t: int) -> list[tuple[int, int]]:
        """Every position of Lawler's theorem (a safety net: the tests above keep one)."""
        k = max(jobs, key=self.rank.__getitem__)
        q = jobs.index(k)
        c_k = t + sum(self.p[e] for e in jobs[: q + 1])
        out = [(jobs[q], c_k)]
        for r in range(q + 1, len(jobs)):
            c_k += self.p[jobs[r]]
            out.append((jobs[r], c_k))
        return out

    def split(self, jobs: list[int], t: int) -> tuple[int, int]:
        """(value, last job before k) of the best Lawler split of `jobs` from t."""
        k = max(jobs, key=self.rank.__getitem__)
        cap = self.rank[k]
        lo, hi = jobs[0], jobs[-1]
        best_value, best_last = -1, k
        for last, c_k in self.positions(jobs, t):
            value = self.best(lo, last, cap, t) + max(0, c_k - self.d[k])
            if best_value >= 0 and value >= best_value:
                continue
            value += self.best(last + 1, hi, cap, c_k)
            if best_value < 0 or value < best_value:
                best_value, best_last = value, last
        return best_value, best_last

    def sequence(self, lo: int, hi: int, cap: int, t: int) -> list[int]:
        """An optimal order (EDD numbers) of members(lo, hi, cap) from t, after `best`."""
        jobs = self.members(lo, hi, cap)
        if not jobs:
            return []
        key = (jobs[0], jobs[-1], max(self.rank[e] for e in jobs), t)
        _, last = self.memo[key]
        if last == EDD_OPTIMAL:
            return jobs
        if last == SPT_OPTIMAL:
            return sorted(jobs, key=self.rank.__getitem__)
        k = max(jobs, key=self.rank.__getitem__)
        before = self.sequence(jobs[0], last, self.rank[k], t)
        c_k = t + sum(self.p[e] for e in before) + self.p[k]
        return [*before, k, *self.sequence(last + 1, jobs[-1], self.rank[k], c_k)]


def solve_lawler(problem: TardinessProblem, budget: Budget | None = None) -> tuple[int, list[int]]:
    """Optimal (value, sequence of job indices); raises _Timeout once `budget` is spent."""
    order = edd_order(problem)
    p = [int(problem.p[j]) for j in order]
    d = [int(problem.d[j]) for j in order]
    by_length = sorted(range(len(order)), key=lambda e: (p[e], e))
    rank = [0] * len(order)
    for position, e in enumerate(by_length):
        rank[e] = position
    solver = Lawler(p, d, rank, budget)
    n = len(order)
    old_limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(old_limit, 20 * n + 1000))
    try:
        value = solver.best(0, n - 1, n, 0)
        seq = solver.sequence(0, n - 1, n, 0)
    finally:
        sys.setrecursionlimit(old_limit)
    return value, [order[e] for e in seq]


def _check_supported(problem: TardinessProblem) -> None:
    if problem.weighted:
        raise UnsupportedProblem("lawler solves unweighted total tardiness only (weights != 1)")
    if problem.has_releases:
        raise UnsupportedProblem("lawler does not handle release dates")


def solve(
    problem: TardinessProblem, options: SolveOptions, hint: TardinessSolution | None
) -> BackendOutput:
    """Lawler's algorithm within the time limit; OPTIMAL, or the hint/EDD as FEASIBLE."""
    _check_supported(problem)
    budget = options.budget
    lb = lower_bound(problem, budget)
    start = budget.now()
    try:
        value, seq = solve_lawler(problem, budget)
    except _Timeout:
        fallback = tuple(hint.sequence) if hint is not None else tuple(edd_order(problem))
        stats = {"runtime_s": round(budget.now() - start, 4)}
        return BackendOutput(
            TardinessSolution(sequence=fallback),
            Status.FEASIBLE,
            lb,
            stats,
            termination=Termination.TIME_LIMIT,
        )
    stats = {"runtime_s": round(budget.now() - start, 4)}
    solution = TardinessSolution(sequence=tuple(seq), objective=float(value))
    return BackendOutput(solution, Status.OPTIMAL, float(value), stats)
