"""schedkit's own memory-limit-driven list scheduler (`list-greedy`), for any stage layout.

In the spirit of the zero-bubble paper's heuristic (the faithful re-implementation of that
repository's scheduler is `zb_greedy.py`, one stage per device only), but event-driven and
valid for looped and V placements. Each device, whenever it is free, picks among its ready
ops: forwards as long as the memory limit (and an optional in-flight cap) allow, B when its
gradient has arrived, and W to fill time it would otherwise idle or to free memory. Variants
differ in the priority of F versus B, the in-flight cap and when W runs; the best variant is
kept (`list_greedy`).
"""

from __future__ import annotations

import heapq
import itertools
from dataclasses import dataclass
from typing import TYPE_CHECKING

from schedkit.models.pipeline.problem import OpKey, PipelineProblem

if TYPE_CHECKING:
    from schedkit.solvers.budget import Budget

Orders = list[list[OpKey]]
INF = float("inf")
EPS = 1e-9


@dataclass(frozen=True)
class Variant:
    """One priority rule: `b_first` prefers B over F; `w_mode` is "fill" (W only when nothing
    else is ready), "eager" (W right after its B) or "fit" (W only into gaps it fits, or to
    free memory); `cap` limits in-flight forwards ("1f1b": p - d, "2x": 2(p - d) - 1)."""

    b_first: bool = True
    w_mode: str = "fill"
    cap: str | None = None

    def limit(self, problem: PipelineProblem, d: int) -> float:
        p, c = problem.devices, problem.chunks
        if self.cap == "1f1b":
            return c * (p - d) + (c - 1) * p
        if self.cap == "2x":
            return c * (2 * (p - d) - 1) + (c - 1) * p
        return INF


VARIANTS = tuple(
    Variant(b, w, c)
    for c, w, b in itertools.product((None, "1f1b", "2x"), ("fill", "eager", "fit"), (True, False))
)


class _State:
    """Progress of one greedy run: per-stage counters, per-device clocks and memory."""

    def __init__(self, problem: PipelineProblem, variant: Variant) -> None:
        self.pb = problem
        self.v = variant
        self.nf = [0] * problem.stages
        self.nb = [0] * problem.stages
        self.pending: list[list[OpKey]] = [[] for _ in range(problem.devices)]
        self.free = [0.0] * problem.devices
        self.mem = [0.0] * problem.devices
        self.inflight = [0] * problem.devices
        self.end: dict[OpKey, float] = {}
        self.orders: Orders = [[] for _ in range(problem.devices)]

    def ready(self, op: OpKey) -> float:
        """When `op` may start given what is scheduled (INF: a predecessor is not yet)."""
        kind, s, j = op
        pb = self.pb
        if kind == "F":
            if s == 0:
                return 0.0
            e = self.end.get(("F", s - 1, j))
            return INF if e is None else e + pb.lag(s - 1, s)
        if s == pb.stages - 1:
            return self.end.get(("F", s, j), INF)
        e = self.end.get(("B", s + 1, j))
        return INF if e is None else e + pb.lag(s + 1, s)

    def candidates(self, d: int) -> list[tuple[float, OpKey]]:
        """Next F and next B of each local stage, with their ready times."""
        m = self.pb.microbatches
        out = []
        for s in self.pb.stages_of[d]:
            if self.nf[s] < m:
                out.append((self.ready(("F", s, self.nf[s])), ("F", s, self.nf[s])))
            if self.nb[s] < self.nf[s]:
                out.append((self.ready(("B", s, self.nb[s])), ("B", s, self.nb[s])))
        return out

    def f_allowed(self, d: int, op: OpKey) -> bool:
        if self.inflight[d] + 1 > self.v.limit(self.pb, d):
            return False
        limit = self.pb.memory.limit
        return limit is None or self.mem[d] + self.pb.mem["F"][op[1]] <= limit + 1e-9

    def pick(self, d: int, t: float) -> tuple[OpKey | None, float]:
        """The op device d starts at t (None: wait), and the next time worth waking up."""
        if self.v.w_mode == "eager" and self.pending[d]:
            return self.pending[d][0], t
        cands = self.candidates(d)
        now = [op for r, op in cands if r <= t + EPS]
        fs = [op for op in now if op[0] == "F" and self.f_allowed(d, op)]
        bs = [op for op in now if op[0] == "B"]
        first, second = (bs, fs) if self.v.b_first else (fs, bs)
        if first or second:
            return (first or second)[0], t
        upcoming = min((r for r, op in cands if r > t + EPS), default=INF)
        if self.pending[d] and self._w_now(d, t, upcoming, cands):
            return self.pending[d][0], t
        return None, upcoming

    def _w_now(self, d: int, t: float, upcoming: float, cands: list) -> bool:
        if self.v.w_mode != "fit":
            return True
        w = self.pb.duration(self.pending[d][0])
        blocked = all(op[0] == "F" and not self.f_allowed(d, op) for _, op in cands)
        return upcoming == INF or blocked or t + w <= upcoming + EPS

    def run(self, op: OpKey, d: int, t: float) -> float:
        kind, s, j = op
        end = t + self.pb.duration(op)
        self.end[op] = end
        self.free[d] = end
        self.mem[d] += self.pb.mem[kind][s]
        self.orders[d].append(op)
        if kind == "F":
            self.nf[s] += 1
            self.inflight[d] += 1
        elif kind == "B":
            self.nb[s] += 1
            self.pending[d].append(("W", s, j))
        else:
            self.pending[d].pop(0)
            self.inflight[d] -= 1
        return end


def greedy(
    problem: PipelineProblem, variant: Variant, budget: Budget | None = None
) -> Orders | None:
    """One list-scheduling run; None when the variant gets stuck (memory deadlock) or the
    budget runs out."""
    st = _State(problem, variant)
    heap = [(0.0, d) for d in range(problem.devices)]
    total = 3 * problem.stages * problem.microbatches
    scheduled = 0
    while heap:
        if budget is not None and scheduled % 512 == 0 and budget.expired():
            return None
        t, d = heapq.heappop(heap)
        if st.free[d] > t + EPS:
            continue
        op, wake = st.pick(d, t)
        if op is None:
            if wake < INF:
                heapq.heappush(heap, (wake, d))
            continue
        end = st.run(op, d, t)
        scheduled += 1
        heapq.heappush(heap, (end, d))
        for s in (op[1] - 1, op[1] + 1):
            if 0 <= s < problem.stages and problem.device_of(s) != d:
                heapq.heappush(heap, (end + problem.comm, problem.device_of(s)))
    return st.orders if scheduled == total else None


def greedy_variants(
    problem: PipelineProblem, budget: Budget | None = None
) -> dict[Variant, Orders]:
    """Every variant that completes within the budget."""
    out: dict[Variant, Orders] = {}
    for v in VARIANTS:
        if budget is not None and budget.expired():
            break
        orders = greedy(problem, v, budget)
        if orders is not None:
            out[v] = orders
    return out
