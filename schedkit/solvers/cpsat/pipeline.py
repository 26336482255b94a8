"""CP-SAT model of pipeline schedules: an interval per op, no-overlap per device, precedences
with communication, memory as a reservoir per device. Where a measured `times.BW` is shorter
than B + W, each backward chooses between one fused BW and split B + W (pipeline_ops.py).

Strengthening: microbatches run in order on every (stage, kind) (a symmetry that loses no
optimum, see bounds.py and fusion.py), F(0, 0) starts at 0, memory-implied precedences for
one stage per device, and the combinatorial bounds on every device span and the objective.
The model is hinted with the given solution or the best reference schedule (fused choices
kept).
"""

from __future__ import annotations

import math

from ortools.sat.python import cp_model

from schedkit.models.pipeline import bounds
from schedkit.models.pipeline.fusion import ModelTimes, fusable_stages, model_times
from schedkit.models.pipeline.problem import OpKey, PipelineProblem, PipelineSolution
from schedkit.models.pipeline.references import best_reference
from schedkit.models.pipeline.scaling import Scaled, from_integer_starts, memory_precedences, scale
from schedkit.solvers.budget import Budget, BudgetExpired
from schedkit.solvers.cpsat.pipeline_ops import OpVars, add_hint, horizon, memory_events, op_vars
from schedkit.solvers.cpsat.runner import CpsatRun, run_cpsat
from schedkit.solvers.pipeline_sizes import check_ops as check_size
from schedkit.solvers.result import BackendOutput, SolveOptions, Status, Termination

RESERVE_S, RESERVE_S_PER_OP = 0.5, 2e-4
"""Seconds kept back from CP-SAT for reading its solution and validating it (measured on a
loaded 2-core machine: CP-SAT overran its own limit by up to ~1 s at 3,000 ops)."""


def _precedences(model: cp_model.CpModel, problem: PipelineProblem, sc: Scaled, ov: OpVars) -> None:
    """Dependencies (B is the backward delivering the input gradient: B or fused BW),
    microbatch order, and the memory-implied precedences."""
    start, end = ov.start, ov.end
    last, m = problem.stages - 1, problem.microbatches
    for s in range(problem.stages):
        for j in range(m):
            if s > 0:
                model.add(start[("F", s, j)] >= end[("F", s - 1, j)] + sc.lag(problem, s - 1, s))
            pred = ("F", s, j) if s == last else ("B", s + 1, j)
            model.add(start[("B", s, j)] >= end[pred] + sc.lag(problem, pred[1], s))
            model.add(start[("W", s, j)] >= end[("B", s, j)])
            if j > 0:  # microbatch order (symmetry breaking; W: ghosts keep the chain)
                for k in ("F", "B", "W"):
                    model.add(start[(k, s, j)] >= end[(k, s, j - 1)])
    fusable = fusable_stages(problem)
    for before, f in memory_precedences(problem, sc):
        if before[0] == "B" or before[1] not in fusable:  # W-based ones assume no fusion
            model.add(start[f] >= end[before])


def _memory(model: cp_model.CpModel, problem: PipelineProblem, sc: Scaled, ov: OpVars) -> None:
    if sc.limit is None:
        return
    for local in problem.stages_of:
        times, changes = memory_events(problem, sc, ov, local)
        low = min(0, sum(c for c in changes if c < 0))
        model.add_reservoir_constraint(times, changes, low, sc.limit)


def _objective(
    model: cp_model.CpModel, problem: PipelineProblem, sc: Scaled, ov: OpVars, h: int
) -> cp_model.IntVar:
    """Span or makespan: the last W's end (a ghost's included) is each stage's last end."""
    start, end = ov.start, ov.end
    m, r = problem.microbatches, sc.resolution
    obj = model.new_int_var(0, h, "objective")
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
) -> tuple[cp_model.CpModel, OpVars, cp_model.IntVar]:
    """The CP-SAT model, with its op variables and the objective (BudgetExpired when the
    budget runs out while building)."""
    model = cp_model.CpModel()
    h = horizon(problem, sc)
    ov = op_vars(model, problem, sc, h)
    model.add(ov.start[("F", 0, 0)] == 0)
    for intervals in ov.intervals:
        model.add_no_overlap(intervals)
    for step in (_precedences, _memory):
        if budget is not None:
            budget.checkpoint()
        step(model, problem, sc, ov)
    obj = _objective(model, problem, sc, ov, h)
    return model, ov, obj


def _hint(
    problem: PipelineProblem, sc: Scaled, hint: PipelineSolution | None, options: SolveOptions
) -> PipelineSolution | None:
    if hint is not None:
        return hint
    ref = best_reference(problem, options.budget.split(0.1))
    return None if ref is None else ref[0]


def _seed_times(problem: PipelineProblem, sc: Scaled, seed: PipelineSolution) -> ModelTimes | None:
    """The seed's ASAP times in scaled units, fused choices kept where fusing pays."""
    return model_times(problem, seed, lambda op: sc.dur[op[0]][op[1]], sc.comm)


def _add_hint(
    model: cp_model.CpModel,
    problem: PipelineProblem,
    mt: ModelTimes,
    ov: OpVars,
    obj: cp_model.IntVar,
) -> None:
    """Hint every variable and the objective (a complete hint is taken at once)."""
    add_hint(model, problem, ov, mt)
    last = problem.microbatches - 1
    ends = [(mt.end[("W", s, last)], loc[0]) for loc in problem.stages_of for s in loc]
    if problem.objective == "span":
        value = max(e - mt.start[("F", s0, 0)] for e, s0 in ends)
    else:
        value = max(e for e, _ in ends)
    model.add_hint(obj, round(value))


def _starts(run: CpsatRun, ov: OpVars) -> dict[OpKey, int]:
    """The solved start of every op, a fused backward as BW and without its ghost W."""
    out: dict[OpKey, int] = {}
    for (k, s, j), var in ov.start.items():
        x = ov.fused.get((s, j))
        fused = x is not None and run.value(x) == 1
        if k == "W" and fused:
            continue
        out[("BW" if k == "B" and fused else k, s, j)] = run.value(var)
    return out


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
        model, ov, obj = build_model(problem, sc, options.budget)
    except BudgetExpired as exc:
        return BackendOutput(
            None, Status.UNKNOWN, termination=Termination.TIME_LIMIT, reason=str(exc)
        )
    seed = _hint(problem, sc, hint, options)
    hinted = _seed_times(problem, sc, seed) if seed is not None else None
    if hinted is not None:
        _add_hint(model, problem, hinted, ov, obj)
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
        "fusable_stages": len(fusable_stages(problem)),
        **run.stats,
    }
    if run.status is Status.INFEASIBLE:
        status = Status.INFEASIBLE if sc.exact else Status.UNKNOWN
        return BackendOutput(None, status, stats=stats, reason="CP-SAT proved it infeasible")
    bound = run.bound / sc.resolution if sc.exact and run.bound is not None else None
    if not run.has_solution:  # the hint is still the best answer known
        status = Status.UNKNOWN if seed is None else Status.FEASIBLE
        return BackendOutput(seed, status, bound, stats, run.termination, "CP-SAT found none")
    solution = from_integer_starts(problem, sc, _starts(run, ov), name="cpsat")
    proven = run.status is Status.OPTIMAL and sc.exact
    if proven:
        return BackendOutput(solution, Status.OPTIMAL, bound, stats)
    return BackendOutput(solution, Status.FEASIBLE, bound, stats, run.termination)


def compile_model(problem: PipelineProblem, options: SolveOptions) -> cp_model.CpModel:
    """The model `solve` builds, hinted with the best reference (as without a hint), for
    `schedkit export --format cpsat` and `schedkit info --model cpsat`."""
    check_size(problem)
    sc = scale(problem)
    model, ov, obj = build_model(problem, sc)
    seed = _hint(problem, sc, None, options)
    hinted = _seed_times(problem, sc, seed) if seed is not None else None
    if hinted is not None:
        _add_hint(model, problem, hinted, ov, obj)
    return model
