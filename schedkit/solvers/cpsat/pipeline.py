"""CP-SAT model of pipeline schedules: an interval per op (B and W always split), no-overlap
per device, precedences with communication, memory as a reservoir per device.

Strengthening: microbatches run in order on every (stage, kind) (a symmetry that loses no
optimum, see bounds.py), F(0, 0) starts at 0, memory-implied precedences for one stage per
device, and the combinatorial bounds on every device span and the objective. The model is
hinted with the given solution or the best reference schedule.
"""

from __future__ import annotations

import math

from ortools.sat.python import cp_model

from schedkit.errors import ModelTooLarge, UnsupportedProblem
from schedkit.models.pipeline import bounds
from schedkit.models.pipeline.problem import OpKey, PipelineProblem, PipelineSolution
from schedkit.models.pipeline.references import best_reference
from schedkit.models.pipeline.scaling import (
    Scaled,
    all_keys,
    from_integer_starts,
    integer_starts,
    memory_precedences,
    scale,
)
from schedkit.solvers.budget import Budget, BudgetExpired
from schedkit.solvers.cpsat.runner import run_cpsat
from schedkit.solvers.result import BackendOutput, SolveOptions, Status, Termination

Vars = dict[OpKey, cp_model.IntVar]
MAX_OPS = 25_000
"""Largest model built (3 x stages x microbatches intervals): p = 32, m = 256 has 24,576;
beyond, building alone takes seconds and the search finds nothing better than the hint."""


RESERVE_S, RESERVE_S_PER_OP = 0.5, 2e-4
"""Seconds kept back from CP-SAT for reading its solution and validating it (measured on a
loaded 2-core machine: CP-SAT overran its own limit by up to ~1 s at 3,000 ops)."""


def check_size(problem: PipelineProblem) -> None:
    """Raise UnsupportedProblem for a fused backward time of its own (the model splits every
    backward) and ModelTooLarge before building more than MAX_OPS intervals."""
    if problem.fused_time_given:
        raise UnsupportedProblem("times.BW differs from B + W: the model splits every backward")
    ops = 3 * problem.stages * problem.microbatches
    if ops > MAX_OPS:
        raise ModelTooLarge(f"{ops} ops: the CP-SAT model is limited to {MAX_OPS} intervals")


def _horizon(problem: PipelineProblem, sc: Scaled) -> int:
    """A serial schedule (one op at a time, everywhere) always fits in this many units."""
    m = problem.microbatches
    work = sum(m * (sc.dur["F"][s] + sc.dur["BW"][s]) for s in range(problem.stages))
    return work + 2 * m * problem.stages * sc.comm


def _precedences(
    model: cp_model.CpModel, problem: PipelineProblem, sc: Scaled, start: Vars, end: Vars
) -> None:
    last, m = problem.stages - 1, problem.microbatches
    for s in range(problem.stages):
        for j in range(m):
            if s > 0:
                model.add(start[("F", s, j)] >= end[("F", s - 1, j)] + sc.lag(problem, s - 1, s))
            pred = ("F", s, j) if s == last else ("B", s + 1, j)
            model.add(start[("B", s, j)] >= end[pred] + sc.lag(problem, pred[1], s))
            model.add(start[("W", s, j)] >= end[("B", s, j)])
            if j > 0:  # microbatch order (symmetry breaking)
                for k in ("F", "B", "W"):
                    model.add(start[(k, s, j)] >= end[(k, s, j - 1)])
    for before, f in memory_precedences(problem, sc):
        model.add(start[f] >= end[before])


def _memory(
    model: cp_model.CpModel, problem: PipelineProblem, sc: Scaled, start: Vars, end: Vars
) -> None:
    if sc.limit is None:
        return
    for local in problem.stages_of:
        times, changes = [], []
        for s in local:
            for j in range(problem.microbatches):
                times += [start[("F", s, j)], end[("B", s, j)], end[("W", s, j)]]
                changes += [sc.mem["F"][s], sc.mem["B"][s], sc.mem["W"][s]]
        low = min(0, sum(c for c in changes if c < 0))
        model.add_reservoir_constraint(times, changes, low, sc.limit)


def _objective(
    model: cp_model.CpModel,
    problem: PipelineProblem,
    sc: Scaled,
    start: Vars,
    end: Vars,
    horizon: int,
) -> cp_model.IntVar:
    m, r = problem.microbatches, sc.resolution
    obj = model.new_int_var(0, horizon, "objective")
    for d, local in enumerate(problem.stages_of):
        first = start[("F", local[0], 0)]
        lb = math.ceil(bounds.device_span_bound(problem, d) * r - 1e-6)
        if len(local) == 1:
            model.add(end[("W", local[0], m - 1)] - first >= lb)
        for s in local:
            model.add(obj >= end[("W", s, m - 1)] - (first if problem.objective == "span" else 0))
    total = (
        bounds.span_bound(problem)
        if problem.objective == "span"
        else (bounds.makespan_bound(problem))
    )
    model.add(obj >= math.ceil(total * r - 1e-6))
    model.minimize(obj)
    return obj


def build_model(
    problem: PipelineProblem, sc: Scaled, budget: Budget | None = None
) -> tuple[cp_model.CpModel, Vars, Vars, cp_model.IntVar]:
    """The CP-SAT model, with its start and end variables and the objective (BudgetExpired
    when the budget runs out while building)."""
    model = cp_model.CpModel()
    horizon = _horizon(problem, sc)
    start: Vars = {}
    end: Vars = {}
    per_device: list[list[cp_model.IntervalVar]] = [[] for _ in range(problem.devices)]
    for key in all_keys(problem):
        k, s, j = key
        d = sc.dur[k][s]
        start[key] = model.new_int_var(0, horizon - d, f"s_{k}{s}_{j}")
        end[key] = model.new_int_var(d, horizon, f"e_{k}{s}_{j}")
        per_device[problem.device_of(s)].append(
            model.new_interval_var(start[key], d, end[key], f"i_{k}{s}_{j}")
        )
    model.add(start[("F", 0, 0)] == 0)
    for intervals in per_device:
        model.add_no_overlap(intervals)
    for step in (_precedences, _memory):
        if budget is not None:
            budget.checkpoint()
        step(model, problem, sc, start, end)
    obj = _objective(model, problem, sc, start, end, horizon)
    return model, start, end, obj


def _hint(
    problem: PipelineProblem, sc: Scaled, hint: PipelineSolution | None, options: SolveOptions
) -> PipelineSolution | None:
    if hint is not None:
        return hint
    ref = best_reference(problem, options.budget.split(0.1))
    return None if ref is None else ref[0]


def _add_hint(
    model: cp_model.CpModel,
    problem: PipelineProblem,
    sc: Scaled,
    hinted: dict[OpKey, int],
    start: Vars,
    end: Vars,
    obj: cp_model.IntVar,
) -> None:
    """Hint every start, end and the objective (a complete hint is taken at once)."""
    for key, value in hinted.items():
        model.add_hint(start[key], value)
        model.add_hint(end[key], value + sc.dur[key[0]][key[1]])
    last = problem.microbatches - 1
    ends = [
        (hinted[("W", s, last)] + sc.dur["W"][s], loc[0]) for loc in problem.stages_of for s in loc
    ]
    if problem.objective == "span":
        value = max(e - hinted[("F", s0, 0)] for e, s0 in ends)
    else:
        value = max(e for e, _ in ends)
    model.add_hint(obj, value)


def solve(
    problem: PipelineProblem, options: SolveOptions, hint: PipelineSolution | None
) -> BackendOutput:
    """Minimise the problem's objective with CP-SAT within the time limit."""
    reason = bounds.infeasible_reason(problem)
    if reason is not None:
        return BackendOutput(None, Status.INFEASIBLE, reason=reason)
    check_size(problem)
    sc = scale(problem)
    try:
        model, start, end, obj = build_model(problem, sc, options.budget)
    except BudgetExpired as exc:
        return BackendOutput(
            None, Status.UNKNOWN, termination=Termination.TIME_LIMIT, reason=str(exc)
        )
    seed = _hint(problem, sc, hint, options)
    hinted = integer_starts(problem, sc, seed) if seed is not None else None
    if hinted is not None:
        _add_hint(model, problem, sc, hinted, start, end, obj)
    defaults: dict[str, int] = {}
    ops = 3 * problem.stages * problem.microbatches
    if ops > 300:  # reservoir probing gets too slow
        defaults["cp_model_probing_level"] = 0
    after = options.budget.reserve(RESERVE_S + RESERVE_S_PER_OP * ops)
    run = run_cpsat(model, options, budget=after, defaults=defaults)
    stats = {
        "resolution": sc.resolution,
        "exact_scaling": sc.exact,
        "hinted": hinted is not None,
        **run.stats,
    }
    if run.status is Status.INFEASIBLE:
        status = Status.INFEASIBLE if sc.exact else Status.UNKNOWN
        return BackendOutput(None, status, stats=stats, reason="CP-SAT proved it infeasible")
    bound = run.bound / sc.resolution if sc.exact and run.bound is not None else None
    if not run.has_solution:  # the hint is still the best answer known
        status = Status.UNKNOWN if seed is None else Status.FEASIBLE
        return BackendOutput(seed, status, bound, stats, run.termination, "CP-SAT found none")
    starts = {key: run.value(var) for key, var in start.items()}
    solution = from_integer_starts(problem, sc, starts, name="cpsat")
    proven = run.status is Status.OPTIMAL and sc.exact
    if proven:
        return BackendOutput(solution, Status.OPTIMAL, bound, stats)
    return BackendOutput(solution, Status.FEASIBLE, bound, stats, run.termination)


def compile_model(problem: PipelineProblem, options: SolveOptions) -> cp_model.CpModel:
    """The model `solve` builds, hinted with the best reference (as without a hint), for
    `schedkit export --format cpsat` and `schedkit info --model cpsat`."""
    check_size(problem)
    sc = scale(problem)
    model, start, end, obj = build_model(problem, sc)
    seed = _hint(problem, sc, None, options)
    hinted = integer_starts(problem, sc, seed) if seed is not None else None
    if hinted is not None:
        _add_hint(model, problem, sc, hinted, start, end, obj)
    return model
