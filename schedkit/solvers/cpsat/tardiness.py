"""CP-SAT model of 1|r_j|sum w_j T_j: one interval per job, no-overlap, tardiness variables."""

from __future__ import annotations

from ortools.sat.python import cp_model

from schedkit.models.tardiness.bounds import lower_bound
from schedkit.models.tardiness.problem import TardinessProblem, TardinessSolution
from schedkit.solvers.budget import Budget, BudgetExpired
from schedkit.solvers.cpsat.runner import run_cpsat
from schedkit.solvers.result import BackendOutput, SolveOptions, Status, Termination


def build(
    problem: TardinessProblem, budget: Budget | None = None
) -> tuple[cp_model.CpModel, list[cp_model.IntVar], list[cp_model.IntVar]]:
    """Variables (starts, tardiness), constraints (no-overlap) and the weighted objective.

    Raises `BudgetExpired` when `budget` runs out while building (checked every 1000 jobs).
    """
    model = cp_model.CpModel()
    horizon = int(problem.r.max() + problem.p.sum())
    starts, tardiness, intervals = [], [], []
    for j, job in enumerate(problem.jobs):
        if budget is not None and j % 1000 == 999:
            budget.checkpoint()
        p = job.processing_time
        s = model.new_int_var(job.release_date, horizon - p, f"s{j}")
        intervals.append(model.new_fixed_size_interval_var(s, p, f"job{j}"))
        t = model.new_int_var(0, max(0, horizon - job.due_date), f"t{j}")
        model.add(t >= s + p - job.due_date)
        starts.append(s)
        tardiness.append(t)
    model.add_no_overlap(intervals)
    if not problem.has_releases:  # no idle time is ever needed: the machine ends at sum p
        ends = [s + job.processing_time for s, job in zip(starts, problem.jobs, strict=True)]
        model.add_max_equality(model.new_int_var(0, horizon, "cmax"), ends)
        for e in ends:
            model.add(e <= horizon)
    model.minimize(sum(job.weight * t for job, t in zip(problem.jobs, tardiness, strict=True)))
    return model, starts, tardiness


def timed_out(hint: TardinessSolution | None, bound: float) -> BackendOutput:
    """The hint (if any) as the answer when the budget ran out before the solver started."""
    status = Status.FEASIBLE if hint is not None else Status.UNKNOWN
    return BackendOutput(hint, status, bound, {}, Termination.TIME_LIMIT, "budget spent building")


def solve(
    problem: TardinessProblem, options: SolveOptions, hint: TardinessSolution | None
) -> BackendOutput:
    """Solve with CP-SAT, hinted with `hint`'s start times."""
    bound = lower_bound(problem, options.budget)
    try:
        model, starts, _ = build(problem, options.budget)
    except BudgetExpired:
        return timed_out(hint, bound)
    if hint is not None:
        t = 0
        for j in hint.sequence:
            t = max(t, problem.jobs[j].release_date)
            model.add_hint(starts[j], t)
            t += problem.jobs[j].processing_time
    run = run_cpsat(model, options)
    if not run.has_solution:
        return BackendOutput(None, run.status, bound, run.stats, run.termination, run.reason)
    values = [run.value(s) for s in starts]
    order = sorted(range(problem.n), key=lambda j: values[j])
    solution = TardinessSolution(
        sequence=tuple(order),
        start=tuple(values[j] for j in order),
        objective=run.objective,
    )
    lb = max(bound, run.bound) if run.bound is not None else bound
    return BackendOutput(solution, run.status, lb, run.stats, run.termination)


def compile_model(problem: TardinessProblem, options: SolveOptions) -> cp_model.CpModel:
    """The model `solve` builds (no hint), for `schedkit export --format cpsat` and `info`."""
    return build(problem)[0]
