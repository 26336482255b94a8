"""Dispatch rules (EDD, MDD, ATC, WSPT) in their non-delay form.

At each step the next job is chosen among the jobs already released (the machine jumps to
the next release date when none is). They return tuples of 0-based job indices.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from schedkit.models.tardiness.problem import TardinessProblem
from schedkit.solvers.budget import Budget
from schedkit.solvers.heuristics.tardiness.evaluation import total_tardiness

Seq = tuple[int, ...]
Priority = Callable[[int, np.ndarray, np.ndarray], np.ndarray]
"""(time, ready jobs, unscheduled jobs) -> priority of each ready job; the lowest goes next."""

ATC_K = (0.5, 1.0, 2.0, 3.0, 5.0)


def _dispatch(problem: TardinessProblem, priority: Priority) -> Seq:
    """Non-delay list scheduling: repeatedly start the ready job of lowest priority."""
    p, r = problem.p, problem.r
    releases = problem.has_releases
    rem = np.arange(problem.n)
    t = 0
    seq: list[int] = []
    while len(rem):
        ready = rem
        if releases:
            t = max(t, int(r[rem].min()))
            ready = rem[r[rem] <= t]
        j = int(ready[np.argmin(priority(t, ready, rem))])
        seq.append(j)
        rem = rem[rem != j]
        t = max(t, int(r[j])) + int(p[j])
    return tuple(seq)


def _static(problem: TardinessProblem, keys: tuple[np.ndarray, ...]) -> Seq:
    """Dispatch on a fixed priority (`keys`, most significant first; ties: lowest index)."""
    if not problem.has_releases:
        return tuple(int(j) for j in np.lexsort(keys[::-1]))
    key = np.lexsort(keys[::-1]).argsort()  # rank of each job in the static order
    return _dispatch(problem, lambda t, ready, _: key[ready])


def edd(problem: TardinessProblem) -> Seq:
    """Earliest due date first (ties: lowest index)."""
    return _static(problem, (problem.d,))


def mdd(problem: TardinessProblem) -> Seq:
    """Modified due date, max(d_j, t + p_j), divided by w_j when weighted (Kanet & Li's WMDD).

    max(p_j, d_j - t) / w_j orders jobs like max(d_j, t + p_j) when all weights are 1.
    """
    with np.errstate(divide="ignore"):
        inv_w = np.where(problem.w > 0, 1.0 / np.maximum(problem.w, 1), np.inf)

    def priority(t: int, ready: np.ndarray, _: np.ndarray) -> np.ndarray:
        result: np.ndarray = np.maximum(problem.p[ready], problem.d[ready] - t) * inv_w[ready]
        return result

    return _dispatch(problem, priority)


def atc(problem: TardinessProblem, k: float = 2.0) -> Seq:
    """Apparent tardiness cost (Vepsalainen & Morton): max (w/p) exp(-slack+ / (k p_avg)).

    p_avg is the mean processing time of the unscheduled jobs; the index is compared in log
    form so that large slacks do not underflow to ties.
    """
    p, d = problem.p, problem.d
    with np.errstate(divide="ignore"):
        log_ratio = np.log(problem.w / p)

    def priority(t: int, ready: np.ndarray, unscheduled: np.ndarray) -> np.ndarray:
        scale = k * float(p[unscheduled].sum()) / len(unscheduled)
        result: np.ndarray = np.maximum(0, d[ready] - p[ready] - t) / scale - log_ratio[ready]
        return result

    return _dispatch(problem, priority)


def wspt(problem: TardinessProblem) -> Seq:
    """Weighted shortest processing time first: largest w_j / p_j (ties: earliest due date)."""
    return _static(problem, (-problem.w / problem.p, problem.d))


def rule_sequences(
    problem: TardinessProblem, atc_k: Sequence[float] = ATC_K, budget: Budget | None = None
) -> dict[str, Seq]:
    """The sequence of each dispatch rule; "atc" is the best over the `atc_k` values.

    The static rules (EDD, WSPT) always run; MDD and ATC (O(n^2) each) only while `budget`
    lasts, so a large instance still starts its search in time.
    """
    seqs = {"edd": edd(problem), "wspt": wspt(problem)}
    if budget is not None and budget.expired():
        return seqs
    seqs["mdd"] = mdd(problem)
    atcs: list[Seq] = []
    for k in atc_k:
        if budget is not None and budget.expired():
            break
        atcs.append(atc(problem, k))
    if atcs:
        seqs["atc"] = min(atcs, key=lambda s: total_tardiness(problem, s))
    return seqs
