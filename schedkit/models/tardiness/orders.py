"""Job orders shared by the exact backends and the heuristic (EDD, semi-active start times)."""

from __future__ import annotations

from collections.abc import Sequence

from schedkit.models.tardiness.problem import TardinessProblem


def edd_order(problem: TardinessProblem) -> list[int]:
    """Job indices by due date, ties by processing time then index."""
    d, p = problem.d.tolist(), problem.p.tolist()
    return sorted(range(problem.n), key=lambda j: (d[j], p[j], j))


def semi_active_starts(problem: TardinessProblem, sequence: Sequence[int]) -> list[int]:
    """Start of each job of `sequence`, in order, as early as its release and predecessor allow."""
    p, r = problem.p.tolist(), problem.r.tolist()
    starts: list[int] = []
    t = 0
    for j in sequence:
        t = max(t, r[j])
        starts.append(t)
        t += p[j]
    return starts
