"""MILP models of 1|r_j|sum w_j T_j in Pyomo, solved by HiGHS.

Two formulations (`params={"formulation": ...}`):

- `time-indexed` (Sousa & Wolsey): x[j,t] = 1 if job j starts at t; one start per job, at most
  one job in process per period, cost w_j max(0, t + p_j - d_j). Tight LP bound, but
  n x H binaries and sum(p) x H non-zeros: used by default only when that is small
  (`time_indexed_max_nonzeros`, default 200,000; wt40 instances need about 4 million).
- `disjunctive`: completion times C_j, one order binary y[i,j] per pair and big-M
  disjunctions (M = horizon). n(n-1)/2 binaries; its LP bound is weak (near 0), so on
  wt40-size instances it mostly improves the warm start rather than proving optimality.

Both carry the combinatorial (assignment) bound as a cut on the objective, and both start
from the hint, or from the EDD sequence when no hint is given, so HiGHS never returns
anything worse than a dispatch rule.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from schedkit.errors import InputError, ModelTooLarge
from schedkit.models.tardiness.bounds import lower_bound
from schedkit.models.tardiness.orders import edd_order
from schedkit.models.tardiness.problem import TardinessProblem, TardinessSolution
from schedkit.solvers.result import BackendOutput, SolveOptions, Status, Termination

if TYPE_CHECKING:
    import pyomo.environ as pyo

TIME_INDEXED_MAX_NONZEROS = 200_000
MAX_PAIRS = 20_000
"""Most order binaries of the disjunctive model (about 200 jobs): larger builds outlast limits."""


def horizon(problem: TardinessProblem) -> int:
    return int(problem.r.max() + problem.p.sum())


def time_indexed_nonzeros(problem: TardinessProblem) -> int:
    """Non-zeros of the capacity rows of the time-indexed model."""
    return int(problem.p.sum()) * horizon(problem)


def build_time_indexed(problem: TardinessProblem) -> pyo.ConcreteModel:
    """x[j,t] start binaries; capacity per period; tardiness cost on each start time."""
    import pyomo.environ as pyo  # slow to import: only when a model is built

    h = horizon(problem)
    m = pyo.ConcreteModel()
    pairs = [
        (j, t)
        for j, job in enumerate(problem.jobs)
        for t in range(job.release_date, h - job.processing_time + 1)
    ]
    m.x = pyo.Var(pairs, within=pyo.Binary)
    m.one = pyo.Constraint(
        range(problem.n), rule=lambda m, j: sum(m.x[jj, t] for jj, t in pairs if jj == j) == 1
    )
    running: dict[int, list[tuple[int, int]]] = {t: [] for t in range(h)}
    for j, t in pairs:
        for u in range(t, t + problem.jobs[j].processing_time):
            running[u].append((j, t))
    m.capacity = pyo.Constraint(
        range(h),
        rule=lambda m, u: (
            sum(m.x[k] for k in running[u]) <= 1 if running[u] else pyo.Constraint.Skip
        ),
    )
    m.cost = pyo.Objective(
        expr=sum(
            problem.jobs[j].weight
            * max(0, t + problem.jobs[j].processing_time - problem.jobs[j].due_date)
            * m.x[j, t]
            for j, t in pairs
        )
    )
    return m


def build_disjunctive(problem: TardinessProblem) -> pyo.ConcreteModel:
    """Completion times, pairwise order binaries with big-M, tardiness variables."""
    import pyomo.environ as pyo  # slow to import: only when a model is built

    big_m = horizon(problem)
    jobs = problem.jobs
    n = problem.n
    m = pyo.ConcreteModel()
    m.C = pyo.Var(
        range(n), bounds=lambda m, j: (jobs[j].release_date + jobs[j].processing_time, big_m)
    )
    m.T = pyo.Var(range(n), within=pyo.NonNegativeReals)
    pairs = [(i, j) for i in range(n) for j in range(i + 1, n)]
    m.y = pyo.Var(pairs, within=pyo.Binary)
    m.i_first = pyo.Constraint(
        pairs,
        rule=lambda m, i, j: m.C[j] >= m.C[i] + jobs[j].processing_time - big_m * (1 - m.y[i, j]),
    )
    m.j_first = pyo.Constraint(
        pairs, rule=lambda m, i, j: m.C[i] >= m.C[j] + jobs[i].processing_time - big_m * m.y[i, j]
    )
    m.late = pyo.Constraint(range(n), rule=lambda m, j: m.T[j] >= m.C[j] - jobs[j].due_date)
    m.cost = pyo.Objective(expr=sum(jobs[j].weight * m.T[j] for j in range(n)))
    return m


def add_bound_cut(m: pyo.ConcreteModel, bound: float) -> None:
    """objective >= the combinatorial lower bound: helps HiGHS prove what the LP cannot."""
    import pyomo.environ as pyo  # slow to import: only when a model is built

    m.bound_cut = pyo.Constraint(expr=m.cost.expr >= bound)


def edd(problem: TardinessProblem) -> TardinessSolution:
    """Earliest-due-date order: the MIP start when no hint is given."""
    return TardinessSolution(sequence=tuple(edd_order(problem)))


def _schedule(problem: TardinessProblem, sequence: tuple[int, ...]) -> dict[int, int]:
    """Semi-active start times of a sequence."""
    t, starts = 0, {}
    for j in sequence:
        t = max(t, problem.jobs[j].release_date)
        starts[j] = t
        t += problem.jobs[j].processing_time
    return starts


def _warm(
    problem: TardinessProblem, m: pyo.ConcreteModel, hint: TardinessSolution, kind: str
) -> list[tuple[Any, float]]:
    starts = _schedule(problem, hint.sequence)
    if kind == "time-indexed":
        return [(m.x[j, s], 1.0) for j, s in starts.items() if (j, s) in m.x]
    warm: list[tuple[Any, float]] = []
    pos = {j: k for k, j in enumerate(hint.sequence)}
    for j, s in starts.items():
        end = s + problem.jobs[j].processing_time
        warm += [(m.C[j], end), (m.T[j], max(0, end - problem.jobs[j].due_date))]
    warm += [(m.y[i, j], 1.0 if pos[i] < pos[j] else 0.0) for i, j in m.y]
    return warm


def _starts(problem: TardinessProblem, m: pyo.ConcreteModel, kind: str) -> dict[int, float]:
    if kind == "time-indexed":
        return {j: t for (j, t), v in m.x.items() if (v.value or 0) > 0.5}
    return {j: m.C[j].value - problem.jobs[j].processing_time for j in range(problem.n)}


FORMULATIONS = ("time-indexed", "disjunctive")


def formulation(problem: TardinessProblem, options: SolveOptions) -> str:
    """`params["formulation"]`, or time-indexed while its size stays below the limit."""
    limit = int(options.params.get("time_indexed_max_nonzeros", TIME_INDEXED_MAX_NONZEROS))
    default = "time-indexed" if time_indexed_nonzeros(problem) <= limit else "disjunctive"
    kind = str(options.params.get("formulation", default))
    if kind not in FORMULATIONS:
        raise InputError(
            f"unknown formulation {kind!r}",
            field="param formulation",
            hint=" or ".join(FORMULATIONS),
        )
    return kind


def solve(
    problem: TardinessProblem, options: SolveOptions, hint: TardinessSolution | None
) -> BackendOutput:
    """Build the chosen formulation, warm-start it from `hint`, solve with HiGHS."""
    kind = formulation(problem, options)
    if kind == "disjunctive" and problem.n * (problem.n - 1) // 2 > MAX_PAIRS:
        raise ModelTooLarge(
            f"the disjunctive model of {problem.n} jobs needs {problem.n * (problem.n - 1) // 2} "
            f"order binaries (at most {MAX_PAIRS})"
        )
    comb = lower_bound(problem, options.budget)
    if options.budget.expired():
        status = Status.FEASIBLE if hint is not None else Status.UNKNOWN
        return BackendOutput(hint, status, comb, {}, Termination.TIME_LIMIT, "budget spent")
    model = build_time_indexed(problem) if kind == "time-indexed" else build_disjunctive(problem)
    add_bound_cut(model, comb)
    warm = _warm(problem, model, hint if hint is not None else edd(problem), kind)
    from schedkit.solvers.milp.highs import solve_model  # imports Pyomo

    run = solve_model(model, options, warm)
    bound = max(comb, run.bound or 0.0)
    stats = {"formulation": kind, "termination": run.termination}
    if not run.loaded:
        return BackendOutput(None, run.status, bound, stats)
    starts = _starts(problem, model, kind)
    order = tuple(sorted(starts, key=lambda j: (starts[j], j)))
    solution = TardinessSolution(sequence=order)  # semi-active times: removes rounding noise
    status = run.status if run.status is not Status.INFEASIBLE else Status.UNKNOWN
    return BackendOutput(solution, status, bound, stats)


def compile_model(problem: TardinessProblem, options: SolveOptions) -> pyo.ConcreteModel:
    """The model `solve` builds (formulation params and bound cut applied), without solving:
    for `schedkit export --format lp|mps` and `schedkit info --model milp`."""
    kind = formulation(problem, options)
    model = build_time_indexed(problem) if kind == "time-indexed" else build_disjunctive(problem)
    add_bound_cut(model, lower_bound(problem, options.budget))
    return model
