"""RCPSP on CP-SAT: interval variables, one cumulative per resource, precedences with lags.

Downtime enters each cumulative as fixed intervals that take the missing capacity; activity
time windows become variable domains; a disjunctive pair is a two-interval no-overlap. The
makespan is bounded below by the critical-path and energy bounds and above by the heuristic's
schedule (also used as a solution hint). The proof phase runs CP-SAT's default parameters: on
PSPLIB's hardest j30 sets they proved optimality 2-3x faster than stronger cumulative
propagation (timetable edge finding, overload checker) or an lb_tree_search phase, and
no-overlaps on demand cliques did not help; with one worker an improvement phase with LNS
follows (`solve`; docs/benchmarks.md, RCPSP). `options.params["cpsat"]` may override any
CP-SAT parameter.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from schedkit.models.rcpsp.bounds import earliest_starts, latest_starts
from schedkit.models.rcpsp.problem import RcpspProblem, RcpspSolution, Resource
from schedkit.models.rcpsp.schedule import makespan
from schedkit.models.rcpsp.start import ExactStart, exact_start
from schedkit.solvers.arguments import number_param
from schedkit.solvers.exact.rcpsp_start import settled
from schedkit.solvers.result import BackendOutput, SolveOptions, Status

if TYPE_CHECKING:  # OR-Tools is imported only when a model is built (a spent budget needs none)
    from ortools.sat.python import cp_model

    from schedkit.solvers.budget import Budget
    from schedkit.solvers.cpsat.runner import CpsatRun


def downtime_pieces(res: Resource) -> list[tuple[int, int, int]]:
    """Disjoint (start, end, missing capacity) pieces of a resource's downtime profile."""
    points = sorted({w.start for w in res.downtime} | {w.end for w in res.downtime})
    out = []
    for a, b in itertools.pairwise(points):
        missing = res.capacity - res.capacity_at(a)
        if missing > 0:
            out.append((a, b, missing))
    return out


def build_model(
    problem: RcpspProblem, horizon: int, lb: int, hint: list[int] | None
) -> tuple[cp_model.CpModel, list[cp_model.IntVar], cp_model.IntVar]:
    """The CP-SAT model: start variables, makespan variable, all constraints."""
    from ortools.sat.python import cp_model

    model = cp_model.CpModel()
    es = earliest_starts(problem)
    ls = latest_starts(problem, horizon)
    dur = problem.durations
    starts = [model.new_int_var(es[j], max(es[j], ls[j]), f"s{j}") for j in range(problem.n)]
    intervals = [
        model.new_fixed_size_interval_var(starts[j], dur[j], f"i{j}") for j in range(problem.n)
    ]
    cmax = model.new_int_var(lb, max(lb, horizon), "makespan")
    for j in range(problem.n):
        model.add(cmax >= starts[j] + dur[j])
    for i, j, delay in problem.arcs:
        model.add(starts[j] >= starts[i] + delay)
    for k, res in enumerate(problem.resources):
        users = [j for j in range(problem.n) if problem.demand[j][k] > 0 and dur[j] > 0]
        ivs = [intervals[j] for j in users]
        dems = [problem.demand[j][k] for j in users]
        for a, b, missing in downtime_pieces(res):
            ivs.append(model.new_fixed_size_interval_var(a, b - a, f"down{k}_{a}"))
            dems.append(missing)
        if ivs and sum(dems) > res.capacity:
            model.add_cumulative(ivs, dems, res.capacity)
    for i, j in problem.pairs:
        model.add_no_overlap([intervals[i], intervals[j]])
    model.minimize(cmax)
    if hint is not None:
        for var, value in zip(starts, hint, strict=True):
            model.add_hint(var, value)
        model.add_hint(cmax, makespan(problem, hint))
    return model, starts, cmax


IMPROVE_SHARE = 0.5
"""With one worker: the share of CP-SAT's time given to the improvement phase (see `solve`)."""

MAX_ROUNDS = 8
"""Improvement runs at most (each restarts from the best schedule when CP-SAT stops early)."""

PROOF_DEFAULTS = {"linearization_level": 0}
"""The proof phase without CP-SAT's LP relaxation: on PSPLIB's hardest j30 sets (j3013, j3029)
it proved optimality 1.5-8x faster (docs/benchmarks.md, RCPSP)."""


def solve(
    problem: RcpspProblem, options: SolveOptions, hint: RcpspSolution | None
) -> BackendOutput:
    """Minimise the makespan with CP-SAT within the budget, in two phases.

    First the proof phase: is there a schedule shorter than the incumbent? CP-SAT's default
    search without LP relaxation on a model whose horizon is the incumbent's makespan less one
    (tighter time windows; "infeasible" proves the incumbent optimal). If that ends unproven,
    the rest of the budget goes to an improvement phase: CP-SAT's portfolio with its LNS
    workers interleaved in one thread (`interleave_search`), hinted with the best schedule and
    given the proven bound. The split is `params["improve_share"]` (default `IMPROVE_SHARE`
    with one worker, 0 with more: their portfolio already runs LNS in parallel).
    """
    budget = options.budget
    start = exact_start(problem, hint, budget)
    if start.proven or budget.expired():
        return settled(start)
    default_share = IMPROVE_SHARE if options.threads == 1 else 0.0
    share = float(number_param(options.params, "improve_share", default_share, high=1.0))
    proof = _prove(problem, options, start, budget.split(1.0 - share) if share else budget)
    best, bound, run = proof.best, proof.bound, proof.run
    if proof.done or best is None or budget.remaining() < 0.2:
        return _output(problem, run, best, bound, proof.stats)
    more = improve(problem, options, best, bound, budget, interleave=bool(share))
    stats = {**proof.stats, **more.stats} if more.run else proof.stats
    return _output(problem, more.run or run, more.best, more.bound, stats)


@dataclass
class _Improvement:
    """What the improvement phase leaves: best schedule, bound, its last run (None if no
    round ran) and that run's statistics."""

    best: list[int]
    bound: int
    run: CpsatRun | None
    stats: dict[str, Any]


def improve(
    problem: RcpspProblem,
    options: SolveOptions,
    best: list[int],
    bound: int,
    budget: Budget,
    interleave: bool = True,
) -> _Improvement:
    """The improvement phase: rounds of CP-SAT (with `interleave_search`: its LNS workers in
    one thread) from the best schedule with the proven bound imposed, until the budget ends,
    the bound is met, or a round stops early without a schedule to restart from."""
    from schedkit.solvers.cpsat.runner import run_cpsat

    horizon = makespan(problem, best)
    model, starts, cmax = build_model(problem, horizon, min(bound, horizon), best)
    out = _Improvement(best, bound, None, {})
    defaults = {"interleave_search": True} if interleave else None
    for rounds in range(1, MAX_ROUNDS + 1):
        if budget.remaining() < 0.2 or out.bound >= makespan(problem, out.best):
            break
        _restart_from(model, starts, cmax, out.best, out.bound, makespan(problem, out.best))
        out.run = run_cpsat(model, options, budget=budget, defaults=defaults)
        found, out.bound = _improved(problem, out.run, starts, out.best, out.bound)
        out.best = found or out.best
        out.stats = {"improvement_rounds": rounds, **out.run.stats}
        if out.run.status is not Status.FEASIBLE:
            break
    return out


@dataclass
class _Proof:
    """What the proof phase leaves: best schedule, bound, the last run, and whether it is done."""

    problem: RcpspProblem
    best: list[int] | None
    bound: int
    run: CpsatRun
    stats: dict[str, Any]

    @property
    def done(self) -> bool:
        """Optimal or infeasible: nothing left to improve."""
        if self.best is None:
            return self.run.status is Status.INFEASIBLE
        return self.bound >= makespan(self.problem, self.best)


def _prove(
    problem: RcpspProblem, options: SolveOptions, start: ExactStart, budget: Budget
) -> _Proof:
    """Search below the incumbent (or, without one, up to the serial horizon) within `budget`.

    Below the incumbent, a lower bound L of the restricted model means: the optimum is the
    incumbent's makespan or at least L, so min(L, makespan) bounds the original problem.
    """
    from schedkit.solvers.cpsat.runner import run_cpsat

    lb, incumbent = start.lb, start.incumbent
    horizon = start.horizon - 1 if incumbent is not None else start.horizon
    model, starts, _ = build_model(problem, horizon, min(lb, horizon), None)
    run = run_cpsat(model, options, budget=budget, defaults=PROOF_DEFAULTS)
    stats = {"horizon": start.horizon, **run.stats}
    if run.status is Status.INFEASIBLE and incumbent is not None:
        stats["proof"] = "nothing shorter than the incumbent"
        return _Proof(problem, incumbent, start.horizon, run, stats)
    best, bound = _improved(problem, run, starts, incumbent, lb)
    if incumbent is not None:  # the restricted model's bound holds unless the incumbent is optimal
        bound = min(bound, start.horizon)
    return _Proof(problem, best, bound, run, stats)


def _improved(
    problem: RcpspProblem, run: CpsatRun, starts: list[Any], best: list[int] | None, bound: int
) -> tuple[list[int] | None, int]:
    """The better of `best` and the run's schedule, and the larger of the bounds."""
    if run.has_solution:
        found = [run.value(v) for v in starts]
        if best is None or makespan(problem, found) <= makespan(problem, best):
            best = found
    if run.bound is not None:
        bound = max(bound, math.ceil(run.bound - 1e-6))
    return best, bound


def _restart_from(
    model: cp_model.CpModel, starts: list[Any], cmax: Any, best: list[int], bound: int, ms: int
) -> None:
    """Hint `best` and impose the proven `bound` before the next run."""
    model.clear_hints()
    for var, value in zip(starts, best, strict=True):
        model.add_hint(var, value)
    model.add_hint(cmax, ms)
    model.add(cmax >= bound)


def _output(
    problem: RcpspProblem, run: CpsatRun, best: list[int] | None, bound: int, stats: dict[str, Any]
) -> BackendOutput:
    if run.status is Status.INFEASIBLE and best is None:
        why = "CP-SAT proved that no schedule satisfies all constraints"
        return BackendOutput(None, Status.INFEASIBLE, None, stats, reason=why)
    if best is None:
        return BackendOutput(None, Status.UNKNOWN, float(bound), stats, run.termination, run.reason)
    ms = makespan(problem, best)
    solution = RcpspSolution(start=tuple(best), objective=float(ms))
    if bound >= ms:
        return BackendOutput(solution, Status.OPTIMAL, float(ms), stats)
    return BackendOutput(solution, Status.FEASIBLE, float(bound), stats, run.termination)


def compile_model(problem: RcpspProblem, options: SolveOptions) -> cp_model.CpModel:
    """The model `solve` builds (no hint: the backend's own start as horizon and hint), for
    `schedkit export --format cpsat` and `schedkit info --model cpsat`."""
    start = exact_start(problem, None, options.budget)
    horizon = start.horizon
    return build_model(problem, horizon, min(start.lb, horizon), start.incumbent)[0]
