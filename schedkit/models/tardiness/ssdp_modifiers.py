"""SSDP stage 3: state-space modifiers with elimination against the upper bound.

With the multipliers fixed, a feasible schedule of cost c is a path of reduced cost
c - sum(mu). Jobs in the modifier set M carry a bit in the state and run exactly once (a path
ends only with every bit set). A state whose value plus a lower bound on any completion
exceeds `limit` = UB - 1 - sum(mu) lies on no schedule better than UB, so it is never stored.
The completion bounds: the stage-2 value of the rest from its node (t, k), and the least
value that the previous pass, run in the other direction of time, found for the remaining
time with the complementary bits (`Complement`; a pass with fewer members still bounds, on
the bits it has). A pass yields: no path (UB is optimal), a path running every job once (an
optimal schedule), or a path that repeats jobs; then more jobs join M. The time steps
run as compiled loops (`ssdp_pass_kernels.py`, the same states) where numba is usable.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from schedkit import compiled
from schedkit.models.tardiness.ssdp_graph import Graph
from schedkit.models.tardiness.ssdp_pass_kernels import pass_rows
from schedkit.models.tardiness.ssdp_states import FIELDS, States

if TYPE_CHECKING:
    from schedkit.solvers.budget import Budget

INF = np.inf
MAX_KEY_BITS = 62
"""Bits of a (time, mask) key in int64 (the time takes the high bits)."""


class OutOfTime(Exception):
    """The budget ended during a pass."""


@dataclass(frozen=True)
class Complement:
    """Least value of the partial paths of one pass, per (time, mask over its members)."""

    keys: np.ndarray
    values: np.ndarray
    width: int
    """How many modifier bits the masks hold."""

    @classmethod
    def of(cls, st: States, width: int) -> Complement:
        times = np.repeat(np.arange(st.horizon + 1), np.diff(st.offset))
        key = (times << width) | st["mask"][: st.size]
        order = np.argsort(key, kind="stable")
        key, values = key[order], st["best"][: st.size][order]
        if len(key) == 0:
            return cls(key, values, width)
        head = first_per_group(key)
        return cls(key[head], np.minimum.reduceat(values, head), width)

    def lookup(self, times: int, masks: np.ndarray) -> np.ndarray:
        """Values at `times` for the masks (only their first `width` bits count); +inf
        where no partial path of the pass had that key."""
        key = (times << self.width) | (masks & ((1 << self.width) - 1))
        at = np.minimum(np.searchsorted(self.keys, key), len(self.keys) - 1)
        found = self.keys[at] == key if len(self.keys) else np.zeros(len(key), dtype=bool)
        return np.where(found, self.values[at] if len(self.keys) else INF, INF)


@dataclass
class Rule:
    """How a pass prunes: the modifier set, the limit on a path's reduced cost, the
    stage-2 completion values per node, and the other direction's last pass."""

    members: list[int]
    bits: np.ndarray
    room: np.ndarray
    """(H + 2, n): limit - stage-2 value of the rest of the path from node (t, k)."""
    limit: float
    horizon: int
    other: Complement | None = None

    @property
    def full(self) -> int:
        return (1 << len(self.members)) - 1

    @classmethod
    def of(cls, members: list[int], n: int, after: np.ndarray, limit: float, horizon: int,
           other: Complement | None) -> Rule:  # fmt: skip
        bits = np.zeros(n, dtype=np.int64)
        bits[members] = 1 << np.arange(len(members), dtype=np.int64)
        return cls(list(members), bits, limit - after[:, :n], limit, horizon, other)

    def keeps(self, t: int, mask: np.ndarray, value: np.ndarray) -> np.ndarray:
        """Which states at t may lie on a path within the limit, by the other direction's
        pass: it ran the remaining members from time H - t."""
        if self.other is None:
            return np.ones(len(mask), dtype=bool)
        rest = self.other.lookup(self.horizon - t, self.full ^ mask)
        return value + rest <= self.limit


@dataclass(frozen=True)
class Pass:
    """One stage-3 pass: its least path value (+inf when no path is left) and that path."""

    value: float
    path: np.ndarray
    states: int
    table: Complement
    """Least value per (time, modifier mask) of this pass: prunes the next one."""
    store: States
    """The states themselves (for the arc elimination of `ssdp_elimination.by_passes`)."""


def first_per_group(keys: np.ndarray) -> np.ndarray:
    """Positions where a run of equal values starts in the sorted `keys`."""
    return np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])


def merge(key: np.ndarray, value: np.ndarray, prev: np.ndarray, link: np.ndarray) -> dict:
    """One state per key: the least value, and the least from another previous job."""
    if len(key) == 0:
        none = np.zeros(0, dtype=np.int64)
        return {"key": none, "best": value, "via": prev, "link": none, "second": value,
                "link2": none}  # fmt: skip
    order = np.argsort(key, kind="stable")
    key, value, prev, link = key[order], value[order], prev[order], link[order]
    head = first_per_group(key)
    group = np.cumsum(np.r_[False, key[1:] != key[:-1]])
    best = np.minimum.reduceat(value, head)
    at = first_match(value == best[group], group, len(head))
    other = np.where(prev != prev[at][group], value, INF)
    second = np.minimum.reduceat(other, head)
    at2 = first_match((other == second[group]) & np.isfinite(other), group, len(head))
    found = at2 >= 0
    return {
        "key": key[head],
        "best": best,
        "via": prev[at],
        "link": link[at],
        "second": second,
        "link2": np.where(found, link[np.maximum(at2, 0)], -1),
    }


def first_match(hit: np.ndarray, group: np.ndarray, groups: int) -> np.ndarray:
    """Per group, the first position where `hit` holds (-1 where none)."""
    out = np.full(groups, -1, dtype=np.int64)
    where = np.flatnonzero(hit)[::-1]
    out[group[where]] = where  # every hit is a least value; numpy keeps the last write
    return out


def extend(st: States, g: Graph, t: int, cost: np.ndarray, rule: Rule) -> None:
    """Add the states completing at t, from those at t - p_k for every next job k."""
    room = rule.room[t]
    jobs = np.flatnonzero(np.isfinite(room))
    arcs = ~g.forbidden[t, jobs]
    nxt, src = st.gather(g.source[t, jobs], jobs, arcs, room[jobs] - cost[jobs])
    before = st["job"][src]
    use2 = st["via"][src] == nxt
    value = np.where(use2, st["second"][src], st["best"][src]) + cost[nxt]
    mask = st["mask"][src]
    ok = (value <= room[nxt]) & ((mask & rule.bits[nxt]) == 0)
    nxt, src, value, before = nxt[ok], src[ok], value[ok], before[ok]
    width = len(rule.members)
    key = (nxt.astype(np.int64) << width) | mask[ok] | rule.bits[nxt]
    got = merge(key, value, before, 2 * src + use2[ok])
    job, mask = got["key"] >> width, got["key"] & rule.full
    keep = rule.keeps(t, mask, got["best"])
    st.add(
        t,
        job=job[keep],
        mask=mask[keep],
        **{k: got[k][keep] for k in ("best", "second", "via", "link", "link2")},
    )


def trace(st: States, x: int, start_job: int) -> np.ndarray:
    """The jobs of the path to state x (its best value), first to last."""
    jobs: list[int] = []
    rank = 0
    while int(st["job"][x]) != start_job:
        jobs.append(int(st["job"][x]))
        code = int(st["link2"][x] if rank else st["link"][x])
        x, rank = code // 2, code % 2
    return np.array(jobs[::-1], dtype=np.int64)


def compiled_rows(
    st: States, g: Graph, cost: np.ndarray, rule: Rule, budget: Budget | None
) -> None:
    """Times 1..H of a pass by the compiled loops (`ssdp_pass_kernels`), 64 at a time
    between looks at the clock; the columns grow (up to the cap) where a time does not fit."""
    other = rule.other
    keys = other.keys if other is not None else np.zeros(0, dtype=np.int64)
    values = other.values if other is not None else np.zeros(0)
    prune = (keys, values, other.width if other is not None else 0, rule.full, rule.limit)
    rules = (cost, g.forbidden, g.source, rule.room, rule.bits)
    t = 1
    while t <= g.horizon:
        if budget is not None and budget.expired():
            raise OutOfTime
        end = min(g.horizon + 1, t + 64)
        cols = tuple(st[f] for f in FIELDS)
        t, st.size = pass_rows(t, end, st.size, rules, cols, st.node, st.least,
                               len(rule.members), prune)  # fmt: skip
        if t < end:
            st.grow()


def modifier_pass(
    g: Graph, mu: np.ndarray, rule: Rule, budget: Budget | None, cap_bytes: int
) -> Pass:
    """The best path under `rule` (modifier set, elimination). Raises `TooManyStates` or
    `OutOfTime`."""
    n, h = g.problem.n, g.horizon
    cost = g.cost - mu
    st = States(h, n, cap_bytes)
    one = np.ones(1)
    st.add(0, job=np.array([n]), mask=np.zeros(1), best=np.zeros(1), second=one * INF,
           via=np.array([-1]), link=np.array([-1]), link2=np.array([-1]))  # fmt: skip
    if g.compiled and compiled.available():
        compiled_rows(st, g, cost, rule, budget)
    else:
        for t in range(1, h + 1):
            if t % 64 == 0 and budget is not None and budget.expired():
                raise OutOfTime
            extend(st, g, t, cost[t], rule)
    lo, hi = st.offset[h], st.offset[h + 1]
    table = Complement.of(st, len(rule.members))
    final = np.flatnonzero(st["mask"][lo:hi] == rule.full) + lo
    if len(final) == 0:
        return Pass(INF, np.zeros(0, dtype=np.int64), st.size, table, st)
    x = int(final[st["best"][final].argmin()])
    return Pass(float(st["best"][x]), trace(st, x, n), st.size, table, st)
