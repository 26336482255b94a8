"""Heuristic for pipeline schedules: the best reference schedule, then local improvement.

1. Every applicable reference (`candidates.py`): closed forms, both greedy schedulers in all
   their variants, torch's schedule classes, the hint; the best valid one is kept.
2. Local search on the orders (`local_search.py`) while its share of the budget lasts. With a
   measured `times.BW`, first the all-split search, then one that also fuses and splits
   backwards where BW < B + W (`fused_search.py`): never worse than all split.
3. For the span objective, a right shift (`right_shift.py`) that only shortens spans.

The answer is never worse than the best starting point: if a step made it worse (a bug), the
best starting point itself is returned.
"""

from __future__ import annotations

import math

from schedkit.errors import InputError
from schedkit.models.pipeline import bounds
from schedkit.models.pipeline.fusion import fusable_stages
from schedkit.models.pipeline.problem import PipelineProblem, PipelineSolution
from schedkit.models.pipeline.simulate import SimResult, timed_solution, to_solution
from schedkit.models.pipeline.validator import validate
from schedkit.solvers.arguments import flag_param
from schedkit.solvers.budget import Budget
from schedkit.solvers.heuristics.pipeline import fused_search
from schedkit.solvers.heuristics.pipeline.candidates import candidates, use_torch
from schedkit.solvers.heuristics.pipeline.fusion_moves import count_fused, with_split
from schedkit.solvers.heuristics.pipeline.local_search import Orders, evaluate, improve
from schedkit.solvers.heuristics.pipeline.right_shift import right_shift, timed_objective
from schedkit.solvers.result import BackendOutput, SolveOptions, Status

SMALL_OPS = 3000
"""Above this many ops one ASAP replay costs ~10 ms+: no local search, no self-check."""
REFS_CAP_S = 2.0
"""Default cap on the seconds spent building references (the greedy variants stop there)."""
POST_S_PER_OP = 3e-5
"""Seconds per op kept back for building the solution and the portfolio's validation (about
3 s at 98,304 ops on a loaded 2-core machine)."""
SHIFT_S_PER_OP = 5e-5
"""Rough cost of the right shift per op (pure Python, loaded machine): skipped when the
budget cannot pay for it (the ASAP times are kept)."""


def _share(options: SolveOptions, param: str, default: float, cap: float = math.inf) -> float:
    """Seconds for one step: the user's `param`, else `default` of what remains (at most
    `cap`)."""
    value = options.params.get(param)
    if value is None:
        return min(cap, default * options.budget.remaining())
    if isinstance(value, bool) or not isinstance(value, int | float) or not value >= 0:
        raise InputError(f"expected seconds >= 0, got {value!r}", field=f"param {param}")
    return float(value)


def solve(
    problem: PipelineProblem, options: SolveOptions, hint: PipelineSolution | None
) -> BackendOutput:
    """Best reference, improved locally within a share of the budget."""
    reason = bounds.infeasible_reason(problem)
    if reason is not None:
        return BackendOutput(None, Status.INFEASIBLE, reason=reason)
    budget = options.budget
    lb = bounds.lower_bound(problem, budget)
    ops = 3 * problem.stages * problem.microbatches
    budget = budget.reserve(POST_S_PER_OP * ops)  # for building and validating the answer
    refs_budget = budget.sub(_share(options, "greedy_time", 0.5, cap=REFS_CAP_S))
    with_torch = use_torch(flag_param(options.params, "torch_schedules", None))
    cands = candidates(problem, hint, refs_budget, with_torch)
    if problem.fused_time_given:  # no BW where it cannot pay, and every all-split version
        cands = with_split(cands, fusable_stages(problem))
    value, name, sim = _best(problem, cands, budget)
    if name is None:
        return BackendOutput(None, Status.UNKNOWN, lb, reason="no reference fits the memory")
    orders = cands[name]
    if ops <= SMALL_OPS and (lb is None or value > lb + 1e-6):
        step = budget.sub(_share(options, "improve_time", 0.6))
        if problem.fused_time_given:
            split = {n: o for n, o in cands.items() if not count_fused(o)}
            split_name = _best(problem, split, budget)[1]
            split_start = orders if split_name is None else split[split_name]
            orders = fused_search.search(problem, orders, split_start, step, options.seed, lb)
        else:
            orders = improve(problem, orders, step, options.seed, lb)
    if budget.remaining() > SHIFT_S_PER_OP * ops:
        solution = right_shift(problem, orders, "heuristic")
    elif orders is cands[name] and sim is not None:  # the start as it was scored
        solution = timed_solution(orders, sim.start, "heuristic")
    else:
        solution = to_solution(problem, orders, name="heuristic")
    final = timed_objective(problem, solution)
    if final > value + 1e-6 or (ops <= SMALL_OPS and not validate(problem, solution).feasible):
        solution, final = to_solution(problem, cands[name], name="heuristic"), value
    status = Status.OPTIMAL if lb is not None and final <= lb + 1e-6 else Status.FEASIBLE
    stats = {"start": name, "start_objective": round(value, 9), "candidates": len(cands)}
    return BackendOutput(solution, status, lb, stats)


FIRST = ("hint", "zb-greedy", "zb-h2", "zb-v", "zb-h1", "list-greedy", "interleaved-1f1b")


def _priority(name: str) -> int:
    """Rank of a candidate in the scoring order (FIRST, then the rest)."""
    for i, prefix in enumerate(FIRST):
        if name.startswith(prefix):
            return i
    return len(FIRST)


def _best(
    problem: PipelineProblem, cands: dict[str, Orders], budget: Budget
) -> tuple[float, str | None, SimResult | None]:
    """The candidate with the best ASAP objective, and its replay. Above SMALL_OPS, once the
    budget is spent, the first one that fits ends the scoring (each replay is linear in the
    ops), so the usual winners are scored first."""
    best: tuple[float, str | None, SimResult | None] = (math.inf, None, None)
    large = 3 * problem.stages * problem.microbatches > SMALL_OPS
    for name in sorted(cands, key=_priority):
        orders = cands[name]
        if best[1] is not None and budget.expired() and large:
            break
        value, sim = evaluate(problem, orders)
        if value < best[0] - 1e-12:
            best = (value, name, sim)
    return best
