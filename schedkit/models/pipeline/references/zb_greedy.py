"""The Zero Bubble repository's automatic scheduler, re-implemented from its published code.

Source: sail-sg/zero-bubble-pipeline-parallelism,
`megatron/core/pipeline_parallel/zerobubble/scheduler/zb.py`: `Graph.manual_order` builds one
stage-by-stage order (one stage per device) in microbatch rounds, and `initial_solution` keeps
the best of its 8 variants (allow_bubble_before_first_b x prioritize_b x no_bubble_greedy) by
the longest stage time (the span objective). Per-stage costs, per-stage memory and one comm
delay between stages are modelled as there. Every branch follows the original, including
its quirks (a forward whose upstream twin is not placed yet reads that twin's end as 0, which
its closing asserts then reject); the only change is a 1e-9 tolerance on comparisons (float
rounding). A variant that fails there (memory that cannot fit, a failed assert) is skipped,
and so is one whose run leaves an op unplaced.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from schedkit.models.pipeline.problem import OpKey, PipelineProblem

if TYPE_CHECKING:
    from schedkit.solvers.budget import Budget

Orders = list[list[OpKey]]
TOL = 1e-9
KINDS = "FBW"


@dataclass(frozen=True)
class ZbVariant:
    """The three switches of `manual_order`."""

    allow_bubble_before_first_b: bool
    prioritize_b: bool
    no_bubble_greedy: bool

    def __str__(self) -> str:
        flags = (self.allow_bubble_before_first_b, self.prioritize_b, self.no_bubble_greedy)
        return "zb(" + ",".join("T" if f else "F" for f in flags) + ")"


ZB_VARIANTS = tuple(
    ZbVariant(a, p, n) for a in (True, False) for p in (True, False) for n in (True, False)
)
"""The 8 variants in the order `initial_solution` tries them (the first best one wins)."""


class CannotFitMemory(Exception):
    """The variant needs a W to free memory but none is pending (the original's ValueError)."""


class OutOfTime(Exception):
    """The budget ran out during a run."""


class _Order:
    """State of one `manual_order` run: counters, end times, memory and bubble per stage."""

    def __init__(self, problem: PipelineProblem, variant: ZbVariant) -> None:
        n, m = problem.stages, problem.microbatches
        self.n, self.m, self.v = n, m, variant
        self.cost = {k: problem.t[k] for k in KINDS}
        self.mem_of = {k: problem.mem[k] for k in KINDS}
        limit = problem.memory.limit
        self.max_mem = [
            limit if limit is not None else self.mem_of["F"][s] * m * 3 for s in range(n)
        ]
        self.comm = problem.comm
        self.count = {k: [0] * n for k in KINDS}
        self.mem = [0.0] * n
        self.e = [0.0] * n
        self.t: dict[OpKey, float] = {}
        self.bubble = [0.0] * n
        self.rows: Orders = [[] for _ in range(n)]

    def end(self, kind: str, s: int, j: int) -> float:
        """End time of an op (0 when not placed yet, as in the original)."""
        return self.t.get((kind, s, j), 0.0)

    def put(self, s: int, kind: str) -> None:
        """Place the next op of `kind` on stage s as early as its order and inputs allow."""
        j = self.count[kind][s]
        cost = self.cost[kind][s]
        tmp = no_bubble = self.e[s] + cost
        if s > 0 and kind == "F":
            tmp = max(tmp, self.end("F", s - 1, j) + self.comm + cost)
        if s < self.n - 1 and kind == "B":
            tmp = max(tmp, self.end("B", s + 1, j) + self.comm + cost)
        if self.count["F"][s] > 0:
            self.bubble[s] += tmp - no_bubble
        self.e[s] = self.t[(kind, s, j)] = tmp
        self.mem[s] += self.mem_of[kind][s]
        self.count[kind][s] += 1
        self.rows[s].append((kind, s, j))

    def slack(self, s: int) -> float:
        """Largest stage bubble minus this stage's (the original's bubble budget)."""
        return max([0.0, *self.bubble]) - self.bubble[s]

    def fits(self, s: int, extra: float) -> bool:
        return self.mem[s] + extra <= self.max_mem[s] + TOL

    def run(self, budget: Budget | None = None) -> Orders:
        for i in range(self.m):
            if budget is not None and budget.expired():
                raise OutOfTime
            if i == 0:
                self.first_round()
            else:
                self.round(i)
        for s in range(self.n):
            while self.count["W"][s] < self.m:
                self.put(s, "W")
        return self.rows

    def consistent(self) -> bool:
        """The original's closing asserts: every end time respects its dependencies."""
        c, comm = self.cost, self.comm
        for s in range(self.n):
            for j in range(self.m):
                f, b, w = self.end("F", s, j), self.end("B", s, j), self.end("W", s, j)
                if b < f + c["B"][s] - TOL or w < b + c["W"][s] - TOL:
                    return False
                if s > 0 and f < self.end("F", s - 1, j) + comm + c["F"][s] - TOL:
                    return False
                if s < self.n - 1 and b < self.end("B", s + 1, j) + comm + c["B"][s] - TOL:
                    return False
        return True

    def complete(self) -> bool:
        """Every op placed once. The original can end a run with a forward never placed (its
        round i may skip stage 0's last F); its asserts read that F's end as 0 and pass."""
        return all(self.count[k][s] == self.m for k in KINDS for s in range(self.n))

    def span(self) -> float:
        """The original's `best_time`: longest stage time from its first F to its last W."""
        last = self.m - 1
        return max(
            self.end("W", s, last) - self.end("F", s, 0) + self.cost["F"][s] for s in range(self.n)
        )

    def first_round(self) -> None:
        """Microbatch 0 up the pipeline, the warm-up forwards, then microbatch 0 back down."""
        for s in range(self.n):
            self.put(s, "F")
        required = self.warmup_forwards()
        for s in range(self.n):
            while (
                s > 0
                and required[s] > 0
                and required[s] >= required[s - 1]
                and self.count["F"][s] + required[s] < self.m
            ):
                required[s] -= 1
        for s in range(self.n):
            for _ in range(required[s]):
                self.put(s, "F")
        for s in reversed(range(self.n)):
            self.put(s, "B")

    def warmup_forwards(self) -> list[int]:
        """How many more forwards each stage fits before its first B arrives."""
        required = [0] * self.n
        last_t = 0.0
        f = self.count["F"]
        for s in reversed(range(self.n)):
            if s == self.n - 1:
                last_t = self.end("F", s, 0) + self.cost["B"][s]
                continue
            mem, cost = self.mem[s], self.e[s]
            while (
                f[s] + required[s] < self.m and mem + self.mem_of["F"][s] <= self.max_mem[s] + TOL
            ):
                step = self.cost["F"][s]
                if self.v.allow_bubble_before_first_b:
                    if cost + step > last_t + self.comm:
                        break
                elif cost >= last_t + self.comm:
                    break
                mem += self.mem_of["F"][s]
                cost += step
                required[s] += 1
            last_t = max(cost, last_t + self.comm) + self.cost["B"][s]
        return required

    def round(self, i: int) -> None:
        """Round i: a forward on the stages that want one, then B(i) down the pipeline."""
        required = [self.wants_forward(s) for s in range(self.n)]
        for s in range(self.n - 2, -1, -1):
            required[s] = min(required[s], required[s + 1])
        for s in range(self.n):
            if required[s]:
                self.free_for(s, self.mem_of["F"][s])
                if s > 0:
                    self.fill(s, self.end("F", s - 1, self.count["F"][s]) + self.comm)
                self.put(s, "F")
        for s in reversed(range(self.n)):
            self.free_for(s, self.mem_of["B"][s])
            if s + 1 < self.n:
                self.fill(s, self.end("B", s + 1, i) + self.comm)
            if s == 0 and self.count["F"][s] == self.m:
                while self.count["W"][s] < self.count["B"][s]:
                    self.put(s, "W")
            self.put(s, "B")

    def wants_forward(self, s: int) -> int:
        """1 when stage s takes a forward this round (the prioritize_b test may say no)."""
        f, b, w = self.count["F"], self.count["B"], self.count["W"]
        if f[s] >= self.m:
            return 0
        if not (s + 1 < self.n and f[s] >= f[s + 1] + 2 and self.v.prioritize_b):
            return 1
        nxt = s + 1
        next_plus_fw = self.e[nxt] + self.cost["F"][nxt] + self.cost["B"][nxt] + self.comm
        if self.e[s] >= next_plus_fw:
            return 0
        w_cost, w_cnt = 0.0, 0
        mem_with_w = self.mem[s] + self.mem_of["F"][s]
        while mem_with_w > self.max_mem[s] + TOL and w[s] + w_cnt < b[s]:
            w_cost += self.cost["W"][s]
            mem_with_w += self.mem_of["W"][s]
            w_cnt += 1
        if self.e[s] + self.cost["F"][s] + w_cost <= next_plus_fw:
            return 1
        if next_plus_fw - self.e[s] <= self.slack(s):
            return 0
        return 1

    def free_for(self, s: int, amount: float) -> None:
        """Run pending W until `amount` more memory fits."""
        while not self.fits(s, amount):
            if self.count["W"][s] >= self.count["B"][s]:
                raise CannotFitMemory(f"stage {s} cannot fit memory")
            self.put(s, "W")

    def fill(self, s: int, ready: float) -> None:
        """Pending W that end by `ready` (the input's arrival), then maybe one more."""
        w, b = self.count["W"], self.count["B"]
        while w[s] < b[s] and self.e[s] + self.cost["W"][s] <= ready:
            self.put(s, "W")
        if w[s] < b[s] and self.e[s] < ready:
            if ready - self.e[s] <= self.slack(s):
                if self.v.no_bubble_greedy:
                    self.put(s, "W")
            else:
                self.put(s, "W")


def zb_order(
    problem: PipelineProblem, variant: ZbVariant, budget: Budget | None = None
) -> tuple[Orders, float] | None:
    """One `manual_order` run: per-device orders and the original's span (None where the
    original fails: it cannot fit memory, or its closing asserts reject its own times; and
    when the problem has more than one stage per device or the budget runs out)."""
    if problem.chunks != 1:
        return None
    state = _Order(problem, variant)
    try:
        orders = state.run(budget)
    except (CannotFitMemory, OutOfTime):
        return None
    if not state.complete() or not state.consistent():
        return None
    return orders, state.span()
