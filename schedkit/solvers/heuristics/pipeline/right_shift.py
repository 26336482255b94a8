"""Right shift (ALAP) of an ASAP schedule with each device's end kept: every op as late as its
successors allow, which pulls each device's first op later and only shortens spans."""

from __future__ import annotations

from schedkit.models.pipeline.problem import OpKey, PipelineProblem, PipelineSolution
from schedkit.models.pipeline.simulate import simulate, spans, timed_solution

Orders = list[list[OpKey]]


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


def timed_objective(problem: PipelineProblem, solution: PipelineSolution) -> float:
    """Span or makespan of a timed schedule, straight from its start times."""
    start = {op.key: op.start for op in solution.ops}
    end = {k: v + problem.duration(k) for k, v in start.items()}
    if problem.objective == "span":
        return max(spans(problem, start, end))
    return max(end.values()) - min(start.values())


def right_shift(problem: PipelineProblem, orders: Orders, name: str) -> PipelineSolution:
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
    return timed_solution(orders, times, name)
