"""Integer scaling of times and memory for the exact backends, and solver-side helpers.

CP-SAT needs integers: times are multiplied by a resolution R (the problem's `resolution`,
else the smallest power of 10 up to 10^4 that makes every time exact) and rounded up, so a
schedule of the scaled model is always feasible in real units. `exact` says whether the
rounding was lossless (only then does a proof of the scaled model carry over).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from schedkit.models.pipeline.problem import Op, OpKey, PipelineProblem, PipelineSolution

TOL = 1e-9


def _power_of_ten(values: list[float], max_exp: int) -> tuple[int, bool]:
    for k in range(max_exp + 1):
        r = 10**k
        if all(abs(v * r - round(v * r)) <= TOL * max(1.0, abs(v * r)) for v in values):
            return r, True
    return 10**max_exp, False


@dataclass(frozen=True)
class Scaled:
    """The problem in integer units: durations, comm, memory amounts and limit."""

    resolution: int
    exact: bool
    dur: dict[str, tuple[int, ...]]
    comm: int
    mem_scale: int
    mem: dict[str, tuple[int, ...]]
    limit: int | None

    def lag(self, problem: PipelineProblem, a: int, b: int) -> int:
        return 0 if problem.device_of(a) == problem.device_of(b) else self.comm


def scale(problem: PipelineProblem) -> Scaled:
    """Integer version of `problem` (times rounded up, frees rounded down, limit down)."""
    times = [v for k in ("F", "B", "W", "BW") for v in problem.t[k]] + [problem.comm]
    if problem.resolution is not None:
        r = problem.resolution
        exact = all(abs(v * r - round(v * r)) <= TOL * max(1.0, v * r) for v in times)
    else:
        r, exact = _power_of_ten(times, 4)
    dur = {k: tuple(math.ceil(v * r - TOL) for v in problem.t[k]) for k in ("F", "B", "W", "BW")}
    amounts = [v for k in ("F", "B", "W") for v in problem.mem[k]]
    lim = problem.memory.limit
    ms, mexact = _power_of_ten([*amounts, *([lim] if lim is not None else [])], 6)
    mem = {k: tuple(math.ceil(v * ms - TOL) for v in problem.mem[k]) for k in ("F", "B", "W")}
    limit = None if lim is None else math.floor(lim * ms + TOL)
    return Scaled(r, exact and mexact, dur, math.ceil(problem.comm * r - TOL), ms, mem, limit)


def from_integer_starts(
    problem: PipelineProblem, sc: Scaled, starts: dict[OpKey, int], name: str
) -> PipelineSolution:
    """A solution in real units from scaled start times."""
    ops = [
        Op(device=problem.device_of(s), kind=k, stage=s, microbatch=j, start=v / sc.resolution)
        for (k, s, j), v in sorted(starts.items(), key=lambda kv: (kv[1], kv[0]))
    ]
    return PipelineSolution(ops=tuple(ops), name=name)


def all_keys(problem: PipelineProblem) -> list[OpKey]:
    """Every op of a split-backward schedule."""
    return [
        (k, s, j)
        for s in range(problem.stages)
        for j in range(problem.microbatches)
        for k in ("F", "B", "W")
    ]


def memory_precedences(problem: PipelineProblem, sc: Scaled) -> list[tuple[OpKey, OpKey]]:
    """(before, F) pairs implied by the memory limit for one stage per device: the j-th F
    of a stage needs enough earlier B (and W) done to fit (microbatch order assumed)."""
    if sc.limit is None or problem.chunks != 1:
        return []
    out: list[tuple[OpKey, OpKey]] = []
    for s in range(problem.stages):
        a, b, w = sc.mem["F"][s], sc.mem["B"][s], sc.mem["W"][s]
        for j in range(problem.microbatches):
            need = a * (j + 1) - sc.limit
            if need <= 0:
                continue
            if b + w < 0:
                nb = math.ceil(need / -(b + w))
                out.append((("B", s, min(nb, problem.microbatches) - 1), ("F", s, j)))
            if w < 0 and need + b * j > 0:
                nw = math.ceil((need + b * j) / -w)
                out.append((("W", s, min(nw, problem.microbatches) - 1), ("F", s, j)))
    return out
