"""SSDP stages 2 and 3 for 1||sum w_j T_j (Tanaka, Fujikuma & Araki 2009): a proof of optimality.

Stage 2 (`ssdp_dp.py`) takes subgradient steps on the multipliers mu of "each job exactly
once" over the graph without interchange-dominated arcs and without 2-cycles (from any mu:
stage 1's, in `lagrangian.py`, or zero), removing for good the arcs that no schedule better
than UB uses (`ssdp_elimination.py`). Stage 3 (`ssdp_modifiers.py`) fixes mu, removes every
state through which no path is cheaper than UB, and memorises, for a growing set M of jobs,
which of them the path has processed (the state-space modifiers; each job of M runs exactly
once). Per M it runs a pass forward and one backward in time, which together remove more arcs,
and adds to M the jobs in the fewest states (`pick_members`), until either no path is left
(UB is optimal), the best path runs every job once (it is an optimal schedule), or the states
grow large; then stage 2 resumes on the smaller graph (`ssdp_bound.stage3`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from schedkit.models.tardiness.ssdp_dp import backward, best_path, forward
from schedkit.models.tardiness.ssdp_elimination import by_passes, eliminate, elimination_limit
from schedkit.models.tardiness.ssdp_graph import Graph, reversed_graph
from schedkit.models.tardiness.ssdp_modifiers import (
    MAX_KEY_BITS,
    Complement,
    OutOfTime,
    Pass,
    Rule,
    modifier_pass,
)
from schedkit.models.tardiness.ssdp_states import BYTES_PER_STATE, TooManyStates

if TYPE_CHECKING:
    from schedkit.solvers.budget import Budget

STEP_START = 2.0
"""Polyak step factor: mu += factor x (UB - bound) / |g|^2 x g, g = 1 - occurrences."""
STEP_MIN = 1e-4
"""Stage 2 stops when the factor falls below this (the bound has converged)."""
PATIENCE = 60
"""Steps without a better bound before the step size is halved."""
ADD_PER_PASS = 3
"""Most jobs added to the modifier set per pass."""
FULL_SHARE = 0.25
"""Share of the state cap past which stage 3 ends a round instead of adding members (three
more members multiplied the states by 5-7 on wt50 #57, so the next pass would run into the
cap and its work be lost)."""
ELIMINATE_EVERY = 20
"""Stage-2 steps between arc eliminations (each costs about four steps)."""
REPEATED_ROOM = 20
"""Free modifier bits from which M takes the jobs the path repeats (`pick_members`), once the
rounds stall with the fewest-states rule alone (`ssdp_bound.stage3`). Used from the start,
20 proved generated n = 80, TF 1 and n = 100, TF 0.8 (6 or 12 left one of them open), but
lost two n = 100 instances whose repeated jobs filled the state cap."""


@dataclass
class Stage2:
    """The subgradient steps of stage 2: the best bound, its multipliers, and where the steps
    stand (current multipliers and step factor), so that they can be resumed."""

    mu: np.ndarray
    bound: float = -math.inf
    best_mu: np.ndarray | None = None
    steps: int = 0
    step: float = STEP_START
    stale: int = 0
    feasible: bool = False
    """Whether the best path ran every job exactly once (the bound is then the optimum)."""
    done: bool = False
    """Converged (tiny step), reached the upper bound, or found a feasible path."""
    history: list[float] = field(default_factory=list)
    removed: int = 0
    """Arcs eliminated against the upper bound."""


def subgradient(
    g: Graph, mu: np.ndarray, upper: int, budget: Budget | None, steps: int | None = None
) -> Stage2:
    """Subgradient steps on the stage-2 relaxation from `mu` (see `resume`)."""
    return resume(g, Stage2(mu.copy(), best_mu=mu.copy()), upper, budget, steps)


def resume(
    g: Graph, res: Stage2, upper: int, budget: Budget | None, steps: int | None = None
) -> Stage2:
    """Up to `steps` more steps, until the step is tiny, the bound reaches `upper`, or the
    budget ends; Polyak steps towards `upper`, the factor halved after `PATIENCE` steps
    without a better bound. Every `ELIMINATE_EVERY` steps the arcs on no schedule better
    than `upper` at the current and the best multipliers leave `g` for good."""
    n = g.problem.n
    last = math.inf if steps is None else res.steps + steps
    while res.steps < last and not res.done and not (budget is not None and budget.expired()):
        ahead = forward(g, res.mu)
        value, path = best_path(g, ahead)
        bound = value + float(res.mu.sum())
        res.steps += 1
        res.history.append(bound)
        if res.steps % ELIMINATE_EVERY == 0:
            res.removed += eliminate(g, res.mu, upper, ahead)
            if res.best_mu is not None:
                res.removed += eliminate(g, res.best_mu, upper)
        gsub = 1.0 - np.bincount(path, minlength=n)
        if bound > res.bound + 1e-9:
            res.bound, res.best_mu, res.stale = bound, res.mu.copy(), 0
            res.feasible = not gsub.any()
        else:
            res.stale += 1
            if res.stale >= PATIENCE:
                res.step, res.stale = res.step / 2, 0
        res.done = res.step <= STEP_MIN or not gsub.any() or bound > upper - 1 + 1e-6
        if not res.done:
            res.mu = res.mu + res.step * max(upper - bound, 1.0) / float(gsub @ gsub) * gsub
    return res


@dataclass
class Stage3:
    """What stage 3 proved: a bound (the optimum when `proven`), the passes, |M|, and the
    arcs its passes removed."""

    bound: float
    proven: bool
    passes: int = 0
    members: list[int] = field(default_factory=list)
    states: int = 0
    removed: int = 0


def modifiers(
    g: Graph,
    mu: np.ndarray,
    upper: int,
    budget: Budget | None,
    cap_bytes: int,
    early: bool = True,
    repeated: bool = False,
) -> Stage3:
    """Stage 3 from fixed `mu`: for a growing modifier set, a pass forward in time (pruned by
    the previous backward one) and one backward (pruned by it), whose states together remove
    arcs from `g` (`by_passes`); until a proof, the budget's end, the state cap, or (`early`)
    a pass past `FULL_SHARE` of the cap. The bound is valid at every pass: OPT >= min(UB,
    pass value)."""
    n, shift = g.problem.n, float(mu.sum())
    limit = elimination_limit(upper, mu)
    res = Stage3(-math.inf, False)
    other: Complement | None = None
    removed = -1
    while len(res.members) <= max_members(g.horizon):
        if budget is not None and budget.expired():
            return res
        if removed != 0:  # the first time, or the passes removed arcs
            graphs = (g, reversed_graph(g))
            after = [backward(x, mu).best for x in graphs]
        found = []
        for side in (0, 1):
            rule = Rule.of(res.members, n, after[side], limit, g.horizon, other)
            try:
                found.append(modifier_pass(graphs[side], mu, rule, budget, cap_bytes))
            except (TooManyStates, OutOfTime):
                return res
            if settled(res, found[-1], shift, upper, n):
                return res
            other = found[-1].table
        ahead, back = found
        if budget is not None and budget.expired():
            return res
        removed = by_passes(g, ahead.store, back.store, len(res.members), limit)
        res.removed += removed
        if early and max(ahead.states, back.states) * BYTES_PER_STATE > FULL_SHARE * cap_bytes:
            return res  # the next, larger set would most likely hit the cap: skip that pass
        room = max_members(g.horizon) - len(res.members) if repeated else math.inf
        res.members += pick_members(ahead, back, n, res.members, room)
    return res


def settled(res: Stage3, found: Pass, shift: float, upper: int, n: int) -> bool:
    """Count the pass into `res`; True when it proves (no path left: UB is optimal; or a
    path that runs every job once: an optimal schedule)."""
    res.passes += 1
    res.states = max(res.states, found.states)
    if not math.isfinite(found.value):
        res.bound, res.proven = float(upper), True
        return True
    res.bound = max(res.bound, min(float(upper), found.value + shift))
    if (np.bincount(found.path, minlength=n) == 1).all():
        res.bound, res.proven = found.value + shift, True
        return True
    return False


def max_members(horizon: int) -> int:
    """Most modifier bits that fit a (time, mask) key in 62 bits."""
    return MAX_KEY_BITS - int(horizon + 2).bit_length()


def pick_members(ahead: Pass, back: Pass, n: int, members: list[int], room: float) -> list[int]:
    """At most `ADD_PER_PASS` jobs not yet in M. While more than `REPEATED_ROOM` bits are
    free (`room`; infinite until the rounds stall): those in the fewest states of the two
    passes, ties to those the path runs least often (the rule of Tanaka, Fujikuma & Araki's
    code). A job with few states is cheap to add: its bit is fixed outside the few times it
    can complete, so the states grow little, and M grows to most of the jobs, where the
    relaxation is exact (adding the jobs the path repeats instead left wt50 #83 at 964 of 973
    with 1 GB of states; this proves it in 10 s). The last bits go to the jobs the path
    repeats, most often first: with n > 50 the key's bits can run out before M holds every
    job, and the repeated jobs are what keeps the path from being a schedule."""
    count = np.bincount(back.path, minlength=n)
    if room <= REPEATED_ROOM:
        repeated = [int(j) for j in np.argsort(-count, kind="stable") if count[j] > 1]
        picked = [j for j in repeated if j not in members][:ADD_PER_PASS]
        if picked:
            return picked
    occ = np.zeros(n, dtype=np.int64)
    for x in (ahead, back):
        occ += np.bincount(x.store["job"][: x.store.size], minlength=n + 1)[:n]
    order = np.lexsort((count, occ))
    return [int(j) for j in order if int(j) not in members][:ADD_PER_PASS]
