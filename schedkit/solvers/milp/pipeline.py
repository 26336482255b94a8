"""MILP (Pyomo + HiGHS) of pipeline schedules: the disjunctive big-M form of the zero-bubble
paper's ILP.

A start time per op; for every pair of ops on one device whose order is not already implied
(dependencies, microbatch order per (stage, kind)), a binary says which runs first and two
big-M constraints keep them apart. Memory is a running sum: when F(s, j) starts, its own
amount plus the amounts of every op ordered before it must fit the limit. Warm-started from
the hint (or the best reference) when HiGHS accepts a start; meant for small instances.

Fused backwards (where a measured `times.BW` is shorter than B + W, see fusion.py): a binary
`x` per (stage, microbatch) makes B's duration BW and W's duration 0, W then pinned at B's
end (a point no other op can straddle), so that every order binary and memory term keeps its
meaning; the W of such a stage keep no fixed order among themselves (only split ones do).
"""

from __future__ import annotations

import itertools
from typing import Any

import pyomo.environ as pyo

from schedkit.errors import ModelTooLarge
from schedkit.models.pipeline import bounds
from schedkit.models.pipeline.fusion import fusable_stages, model_times
from schedkit.models.pipeline.problem import Op, OpKey, PipelineProblem, PipelineSolution
from schedkit.models.pipeline.references import best_reference
from schedkit.models.pipeline.scaling import all_keys
from schedkit.models.pipeline.simulate import predecessors, timed_solution, to_solution
from schedkit.models.pipeline.validator import validate
from schedkit.solvers.milp.highs import MilpRun, solve_model
from schedkit.solvers.pipeline_sizes import MAX_PAIRS, check_pairs_estimate
from schedkit.solvers.result import BackendOutput, SolveOptions, Status

ORDER = {"F": 0, "B": 1, "W": 2}


def check_size(problem: PipelineProblem) -> None:
    """Raise ModelTooLarge above MAX_PAIRS order pairs, estimated from the op counts first
    (`pipeline_sizes`) so that a huge instance costs nothing."""
    check_pairs_estimate(problem)
    if len(_pairs(problem, fusable_stages(problem))) > MAX_PAIRS:
        raise ModelTooLarge(f"too many order pairs for the MILP (> {MAX_PAIRS})")


def fixed_before(a: OpKey, b: OpKey, fusable: frozenset[int] = frozenset()) -> bool:
    """a runs before b in every microbatch-ordered schedule (same stage only; the W of a
    stage in `fusable` are not ordered among themselves)."""
    if a[1] != b[1] or a == b or (a[0] == b[0] == "W" and a[1] in fusable):
        return False
    return ORDER[a[0]] <= ORDER[b[0]] and a[2] <= b[2]


def _pairs(problem: PipelineProblem, fusable: frozenset[int]) -> list[tuple[OpKey, OpKey]]:
    keys = all_keys(problem)
    per_device: list[list[OpKey]] = [[] for _ in range(problem.devices)]
    for k in keys:
        per_device[problem.device_of(k[1])].append(k)
    return [
        (a, b)
        for row in per_device
        for a, b in itertools.combinations(row, 2)
        if not fixed_before(a, b, fusable) and not fixed_before(b, a, fusable)
    ]


def _before(model: Any, a: OpKey, b: OpKey) -> Any:
    """1 when a runs before b, as a constant or an expression of the order binaries."""
    if fixed_before(a, b, model.fusable):
        return 1
    if fixed_before(b, a, model.fusable):
        return 0
    return model.y[a, b] if (a, b) in model.pair_set else 1 - model.y[b, a]


def _duration(problem: PipelineProblem, m: Any, key: OpKey) -> Any:
    """The op's duration: a constant, or linear in `x` where the backward may fuse (B takes
    BW's time, W none)."""
    kind, s, j = key
    base = problem.duration(key)
    if kind == "F" or s not in m.fusable:
        return base
    if kind == "B":
        return base + (problem.t["BW"][s] - base) * m.x[s, j]
    return base * (1 - m.x[s, j])


def build_model(problem: PipelineProblem, horizon: float) -> Any:
    m, keys = pyo.ConcreteModel(), all_keys(problem)
    m.fusable = fusable_stages(problem)
    pairs = _pairs(problem, m.fusable)
    m.pair_set = set(pairs)
    m.S = pyo.Var(keys, domain=pyo.NonNegativeReals, bounds=(0, horizon))
    m.y = pyo.Var(pairs, domain=pyo.Binary)
    fused = [(s, j) for s in sorted(m.fusable) for j in range(problem.microbatches)]
    m.x = pyo.Var(fused, domain=pyo.Binary)
    m.T = pyo.Var(domain=pyo.NonNegativeReals)
    m.c = pyo.ConstraintList()
    m.c.add(m.S[("F", 0, 0)] == 0)
    _precedences(problem, m)
    _disjunctions(problem, m, pairs, horizon)
    _fusion(problem, m, horizon)
    _memory(problem, m, keys)
    _objective(problem, m)
    return m


def _end(problem: PipelineProblem, m: Any, key: OpKey) -> Any:
    return m.S[key] + _duration(problem, m, key)


def _disjunctions(
    problem: PipelineProblem, m: Any, pairs: list[tuple[OpKey, OpKey]], horizon: float
) -> None:
    for a, b in pairs:
        m.c.add(m.S[b] >= _end(problem, m, a) - horizon * (1 - m.y[a, b]))
        m.c.add(m.S[a] >= _end(problem, m, b) - horizon * m.y[a, b])


def _fusion(problem: PipelineProblem, m: Any, horizon: float) -> None:
    """A fused op's W sits at its backward's end; split W run in microbatch order."""
    for s, j in m.x:
        m.c.add(m.S[("W", s, j)] <= _end(problem, m, ("B", s, j)) + horizon * (1 - m.x[s, j]))
    for a, b in m.pair_set:
        if a[0] == b[0] == "W" and a[1] == b[1]:  # a has the lower microbatch
            m.c.add(m.y[a, b] >= 1 - m.x[a[1], a[2]] - m.x[b[1], b[2]])


def _memory(problem: PipelineProblem, m: Any, keys: list[OpKey]) -> None:
    limit = problem.memory.limit
    if limit is None:
        return
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


def _precedences(problem: PipelineProblem, m: Any) -> None:
    last = problem.stages - 1
    for s in range(problem.stages):
        for j in range(problem.microbatches):
            if s > 0:
                m.c.add(
                    m.S[("F", s, j)] >= _end(problem, m, ("F", s - 1, j)) + problem.lag(s - 1, s)
                )
            pred = ("F", s, j) if s == last else ("B", s + 1, j)
            m.c.add(m.S[("B", s, j)] >= _end(problem, m, pred) + problem.lag(pred[1], s))
            m.c.add(m.S[("W", s, j)] >= _end(problem, m, ("B", s, j)))
            if j > 0:
                for k in ("F", "B", "W"):
                    if k != "W" or s not in m.fusable:
                        m.c.add(m.S[(k, s, j)] >= _end(problem, m, (k, s, j - 1)))


def _objective(problem: PipelineProblem, m: Any) -> None:
    """Every stage's last W (any W where the W keep no order) ends within T."""
    last_mb = problem.microbatches - 1
    for local in problem.stages_of:
        first = m.S[("F", local[0], 0)] if problem.objective == "span" else 0
        for s in local:
            mbs = range(problem.microbatches) if s in m.fusable else (last_mb,)
            for j in mbs:
                m.c.add(_end(problem, m, ("W", s, j)) - first <= m.T)
    m.c.add((bounds.lower_bound(problem) or 0.0) <= m.T)
    m.obj = pyo.Objective(expr=m.T, sense=pyo.minimize)


def _warm_start(
    m: Any, problem: PipelineProblem, hint: PipelineSolution
) -> list[tuple[Any, float]]:
    """The hint's ASAP times, fused choices and orders as a MIP start (empty if the hint
    deadlocks); a fused op's W at its backward's end, ordered first among ties."""
    mt = model_times(problem, hint, problem.duration, problem.comm)
    if mt is None:
        return []
    start = dict(mt.start)
    for s, j in mt.fused:
        start[("W", s, j)] = mt.end[("B", s, j)]

    def rank(k: OpKey) -> tuple[float, bool]:
        return (start[k], (k[1], k[2]) not in mt.fused or k[0] != "W")

    values: list[tuple[Any, float]] = [(m.S[k], v) for k, v in start.items()]
    values += [(m.x[i], float(i in mt.fused)) for i in m.x]
    values += [(m.y[a, b], float(rank(a) < rank(b))) for a, b in m.pair_set]
    first = {d: mt.start[("F", loc[0], 0)] for d, loc in enumerate(problem.stages_of)}
    span = max(
        e - (first[problem.device_of(k[1])] if problem.objective == "span" else 0)
        for k, e in mt.end.items()
    )
    return [*values, (m.T, span)]


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
    stats = {"warm_start": bool(warm), "horizon": horizon, "fusable_stages": len(model.fusable)}
    return _output(problem, model, run, stats)


def _horizon(problem: PipelineProblem, hint: PipelineSolution | None) -> float:
    """Big-M: the hint's makespan bounds every better makespan schedule; for spans, a serial
    schedule's length (each backward at its longest; always feasible) keeps the model exact."""
    if hint is not None and problem.objective == "makespan":
        mt = model_times(problem, hint, problem.duration, problem.comm)
        if mt is not None:
            return max(mt.end.values()) - min(mt.start.values()) + 1e-6
    m, t = problem.microbatches, problem.t
    longest = [max(t["BW"][s], t["B"][s] + t["W"][s]) for s in range(problem.stages)]
    work = sum(m * (t["F"][s] + longest[s]) for s in range(problem.stages))
    return work + 2 * m * problem.stages * problem.comm


def _output(problem: PipelineProblem, model: Any, run: MilpRun, stats: dict) -> BackendOutput:
    stats["termination"] = run.termination
    if run.status is Status.INFEASIBLE:
        return BackendOutput(None, Status.INFEASIBLE, stats=stats)
    if not run.loaded:
        return BackendOutput(None, Status.UNKNOWN, run.bound, stats)
    fused = {i for i in model.x if pyo.value(model.x[i]) > 0.5}
    starts: dict[OpKey, float] = {}
    for (k, s, j), var in model.S.items():
        if (s, j) not in fused:
            starts[(k, s, j)] = float(pyo.value(var))
        elif k != "W":  # a fused op's W is no op of its own
            starts[("BW" if k == "B" else k, s, j)] = float(pyo.value(var))
    solution = _solution(problem, starts)
    stats["replayed"] = solution.name != "milp"
    return BackendOutput(solution, _honest_status(problem, solution, run), run.bound, stats)


def _honest_status(problem: PipelineProblem, solution: PipelineSolution, run: MilpRun) -> Status:
    """The solver's status, but not "optimal" for a schedule whose own objective is above the
    solver's bound: the replay that repairs tolerance breaks (`_solution`) can lengthen it
    (an ASAP replay starts a device's first op earlier, which lengthens its span)."""
    if run.status is not Status.OPTIMAL or run.bound is None:
        return run.status
    objective = validate(problem, solution).objective
    close = objective is not None and objective <= run.bound + 1e-6 * max(1.0, abs(run.bound))
    return Status.OPTIMAL if close else Status.FEASIBLE


def _solution(problem: PipelineProblem, starts: dict[OpKey, float]) -> PipelineSolution:
    """The solver's times (rounded); if tolerances break them (a binary at 1 - 1e-6 times a
    big-M overlaps two ops by ~1e-5), the same orders with each op pushed just late enough;
    the ASAP replay of the orders as a last resort."""
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
    pushed = _pushed(problem, sol)
    if pushed is not None and validate(problem, pushed).feasible:
        return pushed
    return to_solution(problem, sol.orders(problem.devices), name="milp-replayed")


def _pushed(problem: PipelineProblem, sol: PipelineSolution) -> PipelineSolution | None:
    """Every op at the later of its own start, its device's previous end and its inputs
    (plus communication), in start order: the solver's schedule up to its tolerances. None
    when an input starts later than the op that needs it (not a tolerance matter)."""
    ops = sorted(sol.ops, key=lambda o: o.start)
    present = {o.key for o in ops}
    free = [0.0] * problem.devices
    start: dict[OpKey, float] = {}
    for op in ops:
        t = max(op.start, free[op.device])
        for pred, lag in predecessors(problem, op.key, present):
            if pred not in start:
                return None
            t = max(t, start[pred] + problem.duration(pred) + lag)
        start[op.key] = t
        free[op.device] = t + problem.duration(op.key)
    return timed_solution(sol.orders(problem.devices), start, "milp")


def compile_model(problem: PipelineProblem, options: SolveOptions) -> Any:
    """The model `solve` builds (big-M horizon from the best reference, as without a hint),
    for `schedkit export --format lp|mps` and `schedkit info --model milp`."""
    check_size(problem)
    ref = best_reference(problem, options.budget.split(0.1))
    return build_model(problem, _horizon(problem, None if ref is None else ref[0]))
