"""MILP (Pyomo + HiGHS) of pipeline schedules: the disjunctive big-M form of the zero-bubble
paper's ILP.

A start time per op; for every pair of ops on one device whose order is not already implied
(dependencies, microbatch order per (stage, kind)), a binary says which runs first and two
big-M constraints keep them apart. Memory is a running sum: when F(s, j) starts, its own
amount plus the amounts of every op ordered before it must fit the limit. Warm-started from
the hint (or the best reference) when HiGHS accepts a start; meant for small instances.
"""

from __future__ import annotations

import itertools
from typing import Any

import pyomo.environ as pyo

from schedkit.errors import ModelTooLarge, UnsupportedProblem
from schedkit.models.pipeline import bounds
from schedkit.models.pipeline.problem import Op, OpKey, PipelineProblem, PipelineSolution
from schedkit.models.pipeline.references import best_reference
from schedkit.models.pipeline.scaling import all_keys, split_orders
from schedkit.models.pipeline.simulate import simulate, to_solution
from schedkit.models.pipeline.validator import validate
from schedkit.solvers.milp.highs import MilpRun, solve_model
from schedkit.solvers.result import BackendOutput, SolveOptions, Status

ORDER = {"F": 0, "B": 1, "W": 2}
MAX_PAIRS = 20_000


def check_size(problem: PipelineProblem) -> None:
    """Raise UnsupportedProblem for a fused backward time of its own (the model splits every
    backward), ModelTooLarge above MAX_PAIRS order pairs, estimated from the op counts first
    (the pairs of a device are at most n(n-1)/2) so that a huge instance costs nothing."""
    if problem.fused_time_given:
        raise UnsupportedProblem("times.BW differs from B + W: the model splits every backward")
    per_device = 3 * problem.chunks * problem.microbatches
    if problem.devices * per_device * (per_device - 1) // 2 > 4 * MAX_PAIRS:
        raise ModelTooLarge(f"too many order pairs for the MILP (> {MAX_PAIRS})")
    if len(_pairs(problem)) > MAX_PAIRS:
        raise ModelTooLarge(f"too many order pairs for the MILP (> {MAX_PAIRS})")


def fixed_before(a: OpKey, b: OpKey) -> bool:
    """a runs before b in every microbatch-ordered schedule (same stage only)."""
    return a[1] == b[1] and ORDER[a[0]] <= ORDER[b[0]] and a[2] <= b[2] and a != b


def _pairs(problem: PipelineProblem) -> list[tuple[OpKey, OpKey]]:
    keys = all_keys(problem)
    per_device: list[list[OpKey]] = [[] for _ in range(problem.devices)]
    for k in keys:
        per_device[problem.device_of(k[1])].append(k)
    return [
        (a, b)
        for row in per_device
        for a, b in itertools.combinations(row, 2)
        if not fixed_before(a, b) and not fixed_before(b, a)
    ]


def _before(model: Any, a: OpKey, b: OpKey) -> Any:
    """1 when a runs before b, as a constant or an expression of the order binaries."""
    if fixed_before(a, b):
        return 1
    if fixed_before(b, a):
        return 0
    return model.y[a, b] if (a, b) in model.pair_set else 1 - model.y[b, a]


def build_model(problem: PipelineProblem, horizon: float) -> Any:
    m, keys = pyo.ConcreteModel(), all_keys(problem)
    pairs = _pairs(problem)
    m.pair_set = set(pairs)
    m.S = pyo.Var(keys, domain=pyo.NonNegativeReals, bounds=(0, horizon))
    m.y = pyo.Var(pairs, domain=pyo.Binary)
    m.T = pyo.Var(domain=pyo.NonNegativeReals)
    m.c = pyo.ConstraintList()
    dur, end = problem.duration, lambda k: m.S[k] + problem.duration(k)
    m.c.add(m.S[("F", 0, 0)] == 0)
    _precedences(problem, m, end)
    for a, b in pairs:
        m.c.add(m.S[b] >= end(a) - horizon * (1 - m.y[a, b]))
        m.c.add(m.S[a] >= m.S[b] + dur(b) - horizon * m.y[a, b])
    limit = problem.memory.limit
    if limit is not None:
        for f in (k for k in keys if k[0] == "F"):
            d = problem.device_of(f[1])
            others = [k for k in keys if problem.device_of(k[1]) == d and k != f]
            level = problem.mem["F"][f[1]] + sum(
                problem.mem[k[0]][k[1]] * _before(m, k, f) for k in others
            )
            if not isinstance(level, int | float):
                m.c.add(level <= limit)
            elif level > limit + 1e-9:  # fixed order overflows: no schedule exists
                m.c.add(m.T <= -1)
    _objective(problem, m, end)
    return m


def _precedences(problem: PipelineProblem, m: Any, end: Any) -> None:
    last = problem.stages - 1
    for s in range(problem.stages):
        for j in range(problem.microbatches):
            if s > 0:
                m.c.add(m.S[("F", s, j)] >= end(("F", s - 1, j)) + problem.lag(s - 1, s))
            pred = ("F", s, j) if s == last else ("B", s + 1, j)
            m.c.add(m.S[("B", s, j)] >= end(pred) + problem.lag(pred[1], s))
            m.c.add(m.S[("W", s, j)] >= end(("B", s, j)))
            if j > 0:
                for k in ("F", "B", "W"):
                    m.c.add(m.S[(k, s, j)] >= end((k, s, j - 1)))


def _objective(problem: PipelineProblem, m: Any, end: Any) -> None:
    last_mb = problem.microbatches - 1
    for local in problem.stages_of:
        first = m.S[("F", local[0], 0)] if problem.objective == "span" else 0
        for s in local:
            m.c.add(end(("W", s, last_mb)) - first <= m.T)
    m.c.add((bounds.lower_bound(problem) or 0.0) <= m.T)
    m.obj = pyo.Objective(expr=m.T, sense=pyo.minimize)


def _warm_start(
    m: Any, problem: PipelineProblem, hint: PipelineSolution
) -> list[tuple[Any, float]]:
    """The hint's ASAP times and orders as a MIP start (empty if the hint deadlocks)."""
    sim = simulate(problem, split_orders(hint.orders(problem.devices)))
    if sim.deadlock:
        return []
    start: list[tuple[Any, float]] = [(m.S[k], v) for k, v in sim.start.items() if k in m.S]
    start += [(m.y[a, b], float(sim.start[a] < sim.start[b])) for a, b in m.pair_set]
    span = max(
        sim.end[("W", s, problem.microbatches - 1)]
        - (sim.start[("F", loc[0], 0)] if problem.objective == "span" else 0)
        for loc in problem.stages_of
        for s in loc
    )
    return [*start, (m.T, span)]


def solve(
    problem: PipelineProblem, options: SolveOptions, hint: PipelineSolution | None
) -> BackendOutput:
    """Minimise the objective with HiGHS through Pyomo within the time limit."""
    reason = bounds.infeasible_reason(problem)
    if reason is not None:
        return BackendOutput(None, Status.INFEASIBLE, reason=reason)
    check_size(problem)
    if hint is None:
        ref = best_reference(problem, options.budget.split(0.1))
        hint = None if ref is None else ref[0]
    horizon = _horizon(problem, hint)
    model = build_model(problem, horizon)
    warm = _warm_start(model, problem, hint) if hint is not None else []
    run = solve_model(model, options, warm)
    return _output(problem, model, run, {"warm_start": bool(warm), "horizon": horizon})


def _horizon(problem: PipelineProblem, hint: PipelineSolution | None) -> float:
    """Big-M: the hint's makespan bounds every better makespan schedule; for spans, a serial
    schedule's length (always feasible) keeps the model exact."""
    if hint is not None and problem.objective == "makespan":
        sim = simulate(problem, split_orders(hint.orders(problem.devices)))
        return sim.makespan + 1e-6
    m = problem.microbatches
    work = sum(m * (problem.t["F"][s] + problem.t["BW"][s]) for s in range(problem.stages))
    return work + 2 * m * problem.stages * problem.comm


def _output(problem: PipelineProblem, model: Any, run: MilpRun, stats: dict) -> BackendOutput:
    stats["termination"] = run.termination
    if run.status is Status.INFEASIBLE:
        return BackendOutput(None, Status.INFEASIBLE, stats=stats)
    if not run.loaded:
        return BackendOutput(None, Status.UNKNOWN, run.bound, stats)
    starts = {k: float(pyo.value(model.S[k])) for k in model.S}
    return BackendOutput(_solution(problem, starts), run.status, run.bound, stats)


def _solution(problem: PipelineProblem, starts: dict[OpKey, float]) -> PipelineSolution:
    """The solver's times (rounded); if tolerances break them, the ASAP replay of its orders."""
    ops = [
        Op(
            device=problem.device_of(k[1]),
            kind=k[0],
            stage=k[1],
            microbatch=k[2],
            start=round(v, 7),
        )
        for k, v in starts.items()
    ]
    sol = PipelineSolution(ops=tuple(ops), name="milp")
    if validate(problem, sol).feasible:
        return sol
    return to_solution(problem, sol.orders(problem.devices), name="milp")


def compile_model(problem: PipelineProblem, options: SolveOptions) -> Any:
    """The model `solve` builds (big-M horizon from the best reference, as without a hint),
    for `schedkit export --format lp|mps` and `schedkit info --model milp`."""
    check_size(problem)
    ref = best_reference(problem, options.budget.split(0.1))
    return build_model(problem, _horizon(problem, None if ref is None else ref[0]))
