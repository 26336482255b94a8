"""Resource-constrained project scheduling (RCPSP) with the constraints met in practice.

Activities have integer durations and demands on renewable resources. Precedences carry a
non-negative minimum time lag, finish-to-start (FS, the default) or start-to-start (SS), which
covers generalised precedences with non-negative lags. On top of the classic model:

- resource downtime: inside `[start, end)` the capacity of a resource drops to `capacity`;
- activity time windows: `release` (earliest start) and `deadline` (latest finish);
- disjunctive pairs: two activities that must not overlap in time.

The objective is the makespan, max_j (S_j + d_j). Activity ids are strings (integers in YAML
are accepted and turned into strings); a solution gives start times by activity *position*.
"""

from __future__ import annotations

from functools import cached_property
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BeforeValidator, Field, model_validator

from schedkit.models.base import MAX_EXACT_INT, Frozen, Int, NonNegInt, PosInt, Problem, Solution


def _to_id(value: Any) -> Any:
    """Accept integer ids from YAML/JSON (PSPLIB numbers activities 1..n+2)."""
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


ActivityId = Annotated[str, BeforeValidator(_to_id)]


class Downtime(Frozen):
    """Inside `[start, end)` the resource offers only `capacity` units (0: closed)."""

    start: NonNegInt
    end: PosInt
    capacity: NonNegInt = 0

    @model_validator(mode="after")
    def _window(self) -> Downtime:
        if self.end <= self.start:
            raise ValueError(f"downtime end {self.end} must be after its start {self.start}")
        return self


class Resource(Frozen):
    """A renewable resource: `capacity` units per time unit, reduced inside `downtime`."""

    name: str
    capacity: NonNegInt
    downtime: tuple[Downtime, ...] = ()

    @model_validator(mode="after")
    def _below_capacity(self) -> Resource:
        for w in self.downtime:
            if w.capacity > self.capacity:
                raise ValueError(
                    f"resource {self.name!r}: downtime capacity {w.capacity} exceeds the "
                    f"normal capacity {self.capacity}"
                )
        return self

    def capacity_at(self, t: int) -> int:
        """Units available during [t, t+1): the smallest of the windows covering t."""
        cap = self.capacity
        for w in self.downtime:
            if w.start <= t < w.end:
                cap = min(cap, w.capacity)
        return cap


class Activity(Frozen):
    """One activity: duration, demand per resource (in resource order), time window."""

    id: ActivityId
    duration: NonNegInt
    demands: tuple[NonNegInt, ...] = ()
    """One value per resource, in the order of `resources`; empty means no demand."""
    release: NonNegInt = 0
    deadline: NonNegInt | None = None
    """Latest finish time, if any."""


class Precedence(Frozen):
    """`after` starts at least `lag` after `before` finishes (FS) or starts (SS)."""

    before: ActivityId
    after: ActivityId
    lag: NonNegInt = 0
    type: Literal["FS", "SS"] = "FS"


class RcpspProblem(Problem):
    """Minimise the makespan of activities under resources, precedences, windows, disjunctions."""

    KIND: ClassVar[str] = "rcpsp"
    kind: str = "rcpsp"
    resources: tuple[Resource, ...] = ()
    activities: tuple[Activity, ...] = Field(min_length=1)
    precedences: tuple[Precedence, ...] = ()
    disjunctive: tuple[tuple[ActivityId, ActivityId], ...] = ()
    """Pairs of activity ids that must not overlap in time."""

    @model_validator(mode="after")
    def _consistent(self) -> RcpspProblem:
        ids = [a.id for a in self.activities]
        seen: set[str] = set()
        for i in ids:
            if i in seen:
                raise ValueError(f"activity id {i!r} is used twice")
            seen.add(i)
        names = [r.name for r in self.resources]
        if len(set(names)) != len(names):
            raise ValueError(f"resource names must be unique, got {names}")
        m = len(self.resources)
        for a in self.activities:
            if a.demands and len(a.demands) != m:
                raise ValueError(
                    f"activity {a.id!r} has {len(a.demands)} demands but there are {m} resources"
                )
        self._check_references(seen)
        cycle = self._find_cycle()
        if cycle:
            raise ValueError("precedence cycle: " + " -> ".join(cycle))
        horizon = self.serial_horizon
        if horizon > MAX_EXACT_INT:
            raise ValueError(
                f"the serial horizon (latest release or downtime end + every duration + every "
                f"lag) is {horizon:.3g}, above 2^53 = {MAX_EXACT_INT}, the range in which "
                "schedkit computes times exactly (scale the times down)"
            )
        return self

    @property
    def serial_horizon(self) -> int:
        """An upper bound on the makespan of a schedule that exists whenever any does without
        deadlines: everything one after another, after the last release and downtime."""
        last_down = max((w.end for r in self.resources for w in r.downtime), default=0)
        first = max([last_down, *(a.release for a in self.activities)])
        return (
            first + sum(a.duration for a in self.activities) + sum(p.lag for p in self.precedences)
        )

    def _check_references(self, ids: set[str]) -> None:
        for k, p in enumerate(self.precedences):
            for end in (p.before, p.after):
                if end not in ids:
                    raise ValueError(f"precedences[{k}] names unknown activity {end!r}")
            if p.before == p.after:
                raise ValueError(f"precedences[{k}] links activity {p.before!r} to itself")
        for k, (a, b) in enumerate(self.disjunctive):
            for end in (a, b):
                if end not in ids:
                    raise ValueError(f"disjunctive[{k}] names unknown activity {end!r}")
            if a == b:
                raise ValueError(f"disjunctive[{k}] pairs activity {a!r} with itself")

    def _find_cycle(self) -> list[str]:
        """A precedence cycle as a list of ids (first repeated at the end), or []."""
        succ: dict[str, list[str]] = {a.id: [] for a in self.activities}
        for p in self.precedences:
            succ[p.before].append(p.after)
        state: dict[str, int] = {}
        for root in succ:
            if root in state:
                continue
            stack: list[tuple[str, int]] = [(root, 0)]
            path: list[str] = []
            while stack:
                node, k = stack.pop()
                if k == 0:
                    state[node] = 1
                    path.append(node)
                if k < len(succ[node]):
                    stack.append((node, k + 1))
                    nxt = succ[node][k]
                    if state.get(nxt) == 1:
                        return [*path[path.index(nxt) :], nxt]
                    if nxt not in state:
                        stack.append((nxt, 0))
                else:
                    state[node] = 2
                    path.pop()
        return []

    # Derived data, by activity position (0-based) -------------------------------------
    @property
    def n(self) -> int:
        return len(self.activities)

    @property
    def m(self) -> int:
        return len(self.resources)

    @cached_property
    def index(self) -> dict[str, int]:
        """Activity id -> position."""
        return {a.id: j for j, a in enumerate(self.activities)}

    @cached_property
    def durations(self) -> list[int]:
        return [a.duration for a in self.activities]

    @cached_property
    def demand(self) -> list[list[int]]:
        """demand[j][k]: units of resource k used by activity j while it runs."""
        return [list(a.demands) if a.demands else [0] * self.m for a in self.activities]

    @cached_property
    def arcs(self) -> list[tuple[int, int, int]]:
        """(i, j, delay): S_j >= S_i + delay, one per precedence (delay = d_i + lag for FS)."""
        out = []
        for p in self.precedences:
            i, j = self.index[p.before], self.index[p.after]
            delay = p.lag + (self.activities[i].duration if p.type == "FS" else 0)
            out.append((i, j, delay))
        return out

    @cached_property
    def pairs(self) -> list[tuple[int, int]]:
        """Disjunctive pairs as positions."""
        return [(self.index[a], self.index[b]) for a, b in self.disjunctive]

    @property
    def has_side_constraints(self) -> bool:
        """True when downtime, windows, SS/lagged precedences or disjunctions are present."""
        return bool(
            self.disjunctive
            or any(r.downtime for r in self.resources)
            or any(a.release or a.deadline is not None for a in self.activities)
            or any(p.lag or p.type != "FS" for p in self.precedences)
        )

    def summary(self) -> dict[str, Any]:
        return {
            "activities": self.n,
            "resources": self.m,
            "precedences": len(self.precedences),
            "downtime_windows": sum(len(r.downtime) for r in self.resources),
            "deadlines": sum(a.deadline is not None for a in self.activities),
            "disjunctive_pairs": len(self.disjunctive),
            "total_duration": sum(self.durations),
        }


class RcpspSolution(Solution):
    """Start time of every activity, by position in `problem.activities` (0-based)."""

    KIND: ClassVar[str] = "rcpsp"
    start: tuple[Int, ...]
