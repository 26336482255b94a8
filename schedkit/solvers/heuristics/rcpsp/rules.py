"""Priority rules for the RCPSP schedule generation schemes (Kolisch 1996).

Each rule gives one value per activity, smaller = scheduled first: LFT and LST (latest finish /
start from backward CPM), MTS (most total successors) and GRPW (greatest rank positional weight,
the activity's duration plus those of its immediate successors), the last two negated.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from schedkit.models.rcpsp.bounds import earliest_starts, latest_starts, topological_order
from schedkit.models.rcpsp.problem import RcpspProblem
from schedkit.solvers.heuristics.rcpsp.sgs import Sgs, priority_topological_order


def latest_finish(problem: RcpspProblem) -> list[int]:
    """LF_j from backward CPM with the critical-path length (or the deadlines) as horizon."""
    es = earliest_starts(problem)
    horizon = max((s + d for s, d in zip(es, problem.durations, strict=True)), default=0)
    ls = latest_starts(problem, horizon)
    return [s + d for s, d in zip(ls, problem.durations, strict=True)]


def total_successors(problem: RcpspProblem) -> list[int]:
    """Number of transitive successors of each activity (bitsets)."""
    succ: list[list[int]] = [[] for _ in range(problem.n)]
    for i, j, _ in problem.arcs:
        succ[i].append(j)
    bits = [0] * problem.n
    for i in reversed(topological_order(problem)):
        for j in succ[i]:
            bits[i] |= bits[j] | (1 << j)
    return [b.bit_count() for b in bits]


def priorities(problem: RcpspProblem) -> dict[str, list[float]]:
    """rule name -> priority value per activity (low first)."""
    lf = latest_finish(problem)
    dur = problem.durations
    grpw = list(dur)
    for i, j, _ in problem.arcs:
        grpw[i] += dur[j]
    return {
        "LFT": [float(v) for v in lf],
        "LST": [float(f - d) for f, d in zip(lf, dur, strict=True)],
        "MTS": [-float(v) for v in total_successors(problem)],
        "GRPW": [-float(v) for v in grpw],
    }


def list_from_priority(sgs: Sgs, prio: Sequence[float]) -> list[int]:
    """The precedence-feasible activity list that always takes the best-priority eligible one."""
    return priority_topological_order(sgs, prio)


def regret_sample(sgs: Sgs, prio: Sequence[float], rng: random.Random) -> list[int]:
    """Regret-based biased random sampling: eligible j is drawn with weight
    (max prio - prio_j + 1)^2 among the eligible ones (Kolisch & Drexl 1996)."""
    left = [len(p) for p in sgs.preds]
    eligible = [j for j in range(sgs.n) if left[j] == 0]
    out: list[int] = []
    while eligible:
        worst = max(prio[j] for j in eligible)
        weights = [(worst - prio[j] + 1.0) ** 2 for j in eligible]
        k = rng.choices(range(len(eligible)), weights)[0]
        i = eligible.pop(k)
        out.append(i)
        for j, _ in sgs.succs[i]:
            left[j] -= 1
            if left[j] == 0:
                eligible.append(j)
    return out
