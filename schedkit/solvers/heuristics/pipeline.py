"""Heuristic for pipeline schedules: the best reference schedule, then local improvement.

1. Every applicable reference (1F1B, ZB-H1/H2, ZB-V, ...) and the greedy variants (as long
   as their time share lasts); the best valid one for the objective is kept.
2. Local search on the orders: move one W (or swap adjacent ops) on a device, replay ASAP,
   keep the move if the objective does not get worse and memory still fits.
3. For the span objective, a right-shift (ALAP) pass with each device's end fixed pulls every
   device's first op as late as its successors allow, which only shortens spans.
"""

from __future__ import annotations

import random
import time

from schedkit.models.pipeline import bounds
from schedkit.models.pipeline.problem import Op, OpKey, PipelineProblem, PipelineSolution
from schedkit.models.pipeline.references import REFERENCES, greedy_variants
from schedkit.models.pipeline.simulate import simulate, spans, to_solution
from schedkit.models.pipeline.validator import validate
from schedkit.solvers.result import BackendOutput, SolveOptions, Status

Orders = list[list[OpKey]]
EPS = 1e-9
GREEDY_S_PER_OP = 1e-4
"""Rough cost of one greedy variant per op (pessimistic, pure Python)."""


def _objective(problem: PipelineProblem, orders: Orders) -> float:
    """Objective of the ASAP replay; inf on deadlock or memory overflow."""
    limit = problem.memory.limit
    if limit is not None:
        for row in orders:
            level = 0.0
            for k, s, _ in row:
                level += problem.mem[k][s]
                if level > limit + 1e-9:
                    return float("inf")
    sim = simulate(problem, orders)
    if sim.deadlock:
        return float("inf")
    if problem.objective == "makespan":
        return sim.makespan
    return max(spans(problem, sim.start, sim.end))


def _neighbour(orders: Orders, rng: random.Random) -> Orders | None:
    """Move a random W to another position after its B, or swap two adjacent ops."""
    d = rng.randrange(len(orders))
    row = list(orders[d])
    if len(row) < 2:
        return None
    if rng.random() < 0.6:
        ws = [i for i, op in enumerate(row) if op[0] == "W"]
        if not ws:
            return None
        i = rng.choice(ws)
        op = row.pop(i)
        b = row.index(("B", op[1], op[2]))
        row.insert(rng.randint(b + 1, len(row)), op)
    else:
        i = rng.randrange(len(row) - 1)
        if row[i][1:] == row[i + 1][1:]:
            return None
        row[i], row[i + 1] = row[i + 1], row[i]
    new = list(orders)
    new[d] = row
    return new


def improve(problem: PipelineProblem, orders: Orders, deadline: float, seed: int = 0) -> Orders:
    """First-improvement local search until `deadline` (monotonic seconds)."""
    rng = random.Random(seed)
    best = _objective(problem, orders)
    while time.monotonic() < deadline:
        cand = _neighbour(orders, rng)
        if cand is None:
            continue
        value = _objective(problem, cand)
        if value <= best + EPS:
            orders, best = cand, value
    return orders


def _successors(problem: PipelineProblem, op: OpKey, present: set[OpKey]) -> list[OpKey]:
    kind, s, j = op
    out: list[OpKey] = []
    if kind == "F":
        if s < problem.stages - 1:
            out.append(("F", s + 1, j))
        else:
            out.append(("BW", s, j) if ("BW", s, j) in present else ("B", s, j))
    elif kind in ("B", "BW"):
        if kind == "B":
            out.append(("W", s, j))
        if s > 0:
            out.append(("BW", s - 1, j) if ("BW", s - 1, j) in present else ("B", s - 1, j))
    return [o for o in out if o in present]


def _timed_objective(problem: PipelineProblem, solution: PipelineSolution) -> float:
    """Span or makespan of a timed schedule, straight from its start times."""
    start = {op.key: op.start for op in solution.ops}
    end = {k: v + problem.duration(k) for k, v in start.items()}
    if problem.objective == "span":
        return max(spans(problem, start, end))
    return max(end.values()) - min(start.values())


def right_shift(problem: PipelineProblem, orders: Orders) -> PipelineSolution:
    """ASAP times, then every op as late as possible with each device's end kept."""
    sim = simulate(problem, orders)
    present = set(sim.start)
    latest: dict[OpKey, float] = {}
    nxt_start = [max((sim.end[op] for op in row), default=0.0) for row in orders]
    pos = [len(row) - 1 for row in orders]
    pending = list(range(len(orders)))
    while pending:
        d = pending.pop()
        while pos[d] >= 0:
            op = orders[d][pos[d]]
            succ = _successors(problem, op, present)
            if any(x not in latest for x in succ):
                break
            finish = min([nxt_start[d]] + [latest[x] - problem.lag(op[1], x[1]) for x in succ])
            latest[op] = nxt_start[d] = max(sim.start[op], finish - problem.duration(op))
            pos[d] -= 1
            pending += [
                problem.device_of(s) for s in (op[1] - 1, op[1] + 1) if 0 <= s < problem.stages
            ]
    times = latest if len(latest) == len(present) else sim.start
    ops = [
        Op.model_construct(
            device=d,
            kind=k,
            stage=s,
            microbatch=j,  # type: ignore[arg-type]
            start=round(times[(k, s, j)], 9),
        )
        for d, row in enumerate(orders)
        for (k, s, j) in row
    ]
    return PipelineSolution(ops=tuple(ops), name="heuristic")


def _candidates(
    problem: PipelineProblem, hint: PipelineSolution | None, greedy_deadline: float
) -> dict[str, Orders]:
    """Orders of every applicable reference, the greedy variants that finish in time, the hint."""
    out: dict[str, Orders] = {}
    for name, builder in REFERENCES.items():
        if name != "zb-greedy":
            orders = builder(problem)
            if orders is not None:
                out[name] = orders
    for variant, orders in greedy_variants(problem, greedy_deadline).items():
        out[f"zb-greedy {variant}"] = orders
    if hint is not None:
        out["hint"] = hint.orders(problem.devices)
    return out


def solve(
    problem: PipelineProblem, options: SolveOptions, hint: PipelineSolution | None
) -> BackendOutput:
    """Best reference, improved locally within a small share of the time limit."""
    reason = bounds.infeasible_reason(problem)
    if reason is not None:
        return BackendOutput(None, Status.INFEASIBLE, reason=reason)
    share = min(0.3, 0.3 * options.budget.remaining())
    greedy_time = float(options.params.get("greedy_time", share))
    if GREEDY_S_PER_OP * 3 * problem.stages * problem.microbatches > greedy_time:
        greedy_time = 0.0  # not even one greedy variant would finish
    cands = _candidates(problem, hint, time.monotonic() + greedy_time)
    scored = sorted((_objective(problem, o), name) for name, o in cands.items())
    value, name = scored[0]
    if value == float("inf"):
        return BackendOutput(None, Status.UNKNOWN, reason="no reference fits")
    orders = cands[name]
    lb = bounds.lower_bound(problem)
    budget = float(options.params.get("improve_time", share))
    small = 3 * problem.stages * problem.microbatches <= 3000  # else one replay costs ~10 ms+
    if small and (lb is None or value > lb + 1e-6):
        orders = improve(problem, orders, time.monotonic() + budget, options.seed)
    solution = right_shift(problem, orders)
    # a cheap self-check (a failure would be a bug); at scale the portfolio's validation is
    # the only one
    if small and not validate(problem, solution).feasible:
        solution = to_solution(problem, cands[name], name="heuristic")
    final = _timed_objective(problem, solution)
    status = Status.OPTIMAL if lb is not None and final <= lb + 1e-6 else Status.FEASIBLE
    stats = {"start": name, "start_objective": round(value, 9), "candidates": len(cands)}
    return BackendOutput(solution, status, lb, stats)
