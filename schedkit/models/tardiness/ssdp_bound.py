"""A lower bound for 1||sum w_j T_j that proves optimality: SSDP stages 2 and 3 in a budget.

Stage 2 (`ssdp.subgradient`) starts from zero multipliers (its graph is strong enough that
this beats starting from stage 1's) and takes at most half of the budget, less when it
converges; the rest goes to rounds of stage 3 (`ssdp.modifiers`), each followed by more
stage-2 steps on the graph its passes left (`stage3`). Both need an upper bound UB: the value
passed in, else a short run of the iterated dynasearch. The result is a proof when the bound
reaches UB, or when stage 3 finds a path that runs every job once.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from schedkit import compiled
from schedkit.models.tardiness.orders import edd_order
from schedkit.models.tardiness.problem import TardinessProblem
from schedkit.models.tardiness.ssdp import Stage2, modifiers, resume, subgradient
from schedkit.models.tardiness.ssdp_graph import Graph
from schedkit.models.tardiness.ssdp_kernels import (
    backward_lists,
    backward_rows,
    eliminate_lists,
    eliminate_rows,
    forward_lists,
    forward_rows,
    join_rows,
    kept_ahead,
    kept_back,
)
from schedkit.models.tardiness.ssdp_pass_kernels import pass_rows

if TYPE_CHECKING:
    from schedkit.solvers.budget import Budget

KERNELS = (forward_rows, backward_rows, eliminate_rows, join_rows, pass_rows, forward_lists,
           backward_lists, eliminate_lists, kept_ahead, kept_back)  # fmt: skip
"""The compiled loops a proof may call (all ready, or time to compile them, else numpy)."""

STAGE2_SHARE = 0.5
"""Most of the budget the subgradient steps of stage 2 take."""
UPPER_SHARE = 0.1
"""Most of the budget the search for the upper bound takes (it usually needs well under 1 s)."""
UPPER_SECONDS = 2.0
"""Its limit when there is no budget."""
STATE_BYTES = 256 * 2**20
"""Memory cap of the stage-3 states."""
SECONDS_PER_ARC = 40e-9
"""Estimated seconds to build the arc table, per arc (measured: n = 40, 3.3 million arcs in
0.11 s on an idle core), and about what one stage-2 step costs."""
SETUP_SHARE = 0.5
"""Most of the budget that building the table may take (else the bound is not tried)."""
ROUND_STEPS = 300
"""Stage-2 steps after each stage-3 round (its passes remove arcs, so the bound can rise)."""
ROUND_STEP = 0.25
"""Least step factor those steps start from."""


@dataclass
class Proof:
    """The bound, the upper bound it was measured against, and how it was reached."""

    bound: int
    upper: int
    stage: int
    steps: int
    passes: int = 0
    members: int = 0
    states: int = 0
    removed: int = 0
    """Arcs eliminated against the upper bound (stage 2's tests and stage 3's passes)."""

    @property
    def proven(self) -> bool:
        return self.bound >= self.upper


def ceil_bound(value: float) -> int:
    """A float bound rounded up to an integer, less a margin for float rounding; +inf (no
    path left: no schedule beats the upper bound) is `sys.maxsize`."""
    if value == math.inf:
        return sys.maxsize
    if not math.isfinite(value):
        return 0
    return max(0, math.ceil(value - 1e-6 - 1e-12 * abs(value)))


def search_upper(problem: TardinessProblem, budget: Budget) -> int:
    """The value of a short iterated dynasearch from EDD (an upper bound on the optimum)."""
    from schedkit.solvers.heuristics.tardiness.evaluation import Arrays
    from schedkit.solvers.heuristics.tardiness.search import SearchParams, iterated_search

    start = np.array(edd_order(problem), dtype=np.int64)
    return iterated_search(Arrays.of(problem), start, SearchParams(), seed=0, budget=budget).value


def ssdp_bound(
    problem: TardinessProblem, budget: Budget | None = None, upper: int | None = None
) -> Proof | None:
    """The SSDP bound within `budget`; None where it does not apply (release dates) or its
    tables would be too large."""
    if problem.has_releases or not Graph.fits(problem):
        return None
    if budget is not None and SECONDS_PER_ARC * Graph.arcs(problem) > SETUP_SHARE * (
        budget.remaining()
    ):
        return None
    if upper is None:
        from schedkit.solvers.budget import Budget as Clocked

        limit = budget.split(UPPER_SHARE) if budget else Clocked.start(UPPER_SECONDS)
        upper = search_upper(problem, limit)
    g = Graph.of(
        problem,
        compiled.usable(budget, *KERNELS),
    )
    two = subgradient(g, np.zeros(problem.n), upper, budget.split(STAGE2_SHARE) if budget else None)
    proof = Proof(min(upper, ceil_bound(two.bound)), upper, 2, two.steps, removed=two.removed)
    if proof.proven or two.feasible or (budget is not None and budget.expired()):
        return proof
    stage3(g, two, proof, budget, STATE_BYTES)
    return proof


def stage3(g: Graph, two: Stage2, proof: Proof, budget: Budget | None, cap: int) -> bool:
    """Rounds of stage 3 from the best stage-2 multipliers, each followed by `ROUND_STEPS`
    more stage-2 steps on what its passes left of the graph, into `proof`; until a proof, the
    budget's end, or a round that removes no arc and lifts no bound even with its modifier
    set grown up to the cap. The first such round hands M's last bits to the jobs the path
    repeats (`ssdp.pick_members`), the second ends stage 3. True if it proved."""
    assert two.best_mu is not None
    early, repeated = True, False
    while True:
        three = modifiers(g, two.best_mu, proof.upper, budget, cap, early, repeated)
        proof.passes += three.passes
        proof.members = max(proof.members, len(three.members))
        proof.states = max(proof.states, three.states)
        proof.removed += three.removed
        raise_bound(proof, three.bound)
        if three.proven or proof.proven or (budget is not None and budget.expired()):
            return three.proven or proof.proven
        before, removed = two.bound, two.removed
        two.mu, two.step, two.stale, two.done = (
            two.best_mu.copy(),
            max(two.step, ROUND_STEP),
            0,
            False,
        )
        resume(g, two, proof.upper, budget, ROUND_STEPS)
        proof.steps, proof.removed = two.steps, proof.removed + two.removed - removed
        raise_bound(proof, two.bound)
        if proof.proven:
            return True
        stuck = three.removed == 0 and two.bound <= before + 1e-9
        if stuck and not early:
            if repeated:
                return False
            repeated, stuck = True, False  # then M's last bits go to the repeated jobs
        early = not stuck  # stuck: the next round grows M up to the cap


def raise_bound(proof: Proof, value: float) -> None:
    """Take a stage-3 (or later stage-2) bound into `proof` where it is higher."""
    if ceil_bound(value) > proof.bound:
        proof.bound, proof.stage = min(proof.upper, ceil_bound(value)), 3
