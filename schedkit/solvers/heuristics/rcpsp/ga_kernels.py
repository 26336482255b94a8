"""The GA's generations compiled (numba): crossover, mutation, serial SGS and justification
of every child, then selection, without returning to Python between children.

The Python GA (`ga._evolve`) spends most of its time around the compiled serial scheme:
drawing mutation numbers, building lists, sorting justification keys. This module runs whole
generations as one call on flat arrays, with the same operators and the same selection
(stable sort by makespan, duplicates dropped, best `size` kept), about 4 times faster per
schedule on j60 (docs/benchmarks.md). It covers the plain case only (`applies`): compiled serial
scheme, finish-start arcs, no deadlines, so the fitness is the makespan alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from schedkit import compiled
from schedkit.solvers.heuristics.rcpsp.sgs_kernels import (
    SerialArrays,
    csr,
    parallel_starts,
    serial_starts,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    from schedkit.solvers.heuristics.rcpsp.sgs import Sgs

COUNT, BEST, GENERATIONS, LAST_GAIN = range(4)
"""Slots of the state vector one run shares with the kernels."""


def applies(sgs: Sgs) -> bool:
    """Whether the compiled generations can run `sgs`'s problem (see the module)."""
    return sgs.arrays is not None and sgs.monotone and not sgs.deadlines


def _fields(a: SerialArrays) -> tuple[np.ndarray, ...]:
    return (a.dur, a.release, *a.pred, *a.dem, a.base)


@dataclass(frozen=True)
class GaArrays:
    """What the kernels read: both schemes (forward and time-mirrored), the successors."""

    fwd: tuple[np.ndarray, ...]
    bwd: tuple[np.ndarray, ...]
    horizon: int
    succ: tuple[np.ndarray, np.ndarray]
    """Direct successors (CSR pointers, activities): mutation keeps them after their
    predecessors (a list per activity, not an n x n matrix, so large instances fit)."""
    sampling: tuple[np.ndarray, np.ndarray, tuple[np.ndarray, np.ndarray]]
    """`populate`'s: sampling priorities, predecessor counts, successors (CSR)."""
    changes: np.ndarray
    """Times at which some capacity changes, then a sentinel past the table (the parallel
    scheme's extra decision times)."""

    @classmethod
    def of(cls, sgs: Sgs, mirror: Sgs, prio: Sequence[float]) -> GaArrays:
        """The arrays of `sgs`, its `mirror`, and regret sampling by `prio`."""
        assert sgs.arrays is not None and mirror.arrays is not None
        preds = np.array([len(p) for p in sgs.preds], dtype=np.int64)
        ptr, job, _ = csr(sgs.succs)
        sampling = (np.asarray(prio, dtype=np.float64), preds, (ptr, job))
        base = sgs.arrays.base
        moves = np.flatnonzero((base[:, 1:] != base[:, :-1]).any(axis=0)) + 1
        changes = np.append(moves, base.shape[1]).astype(np.int64)
        fields = (_fields(sgs.arrays), _fields(mirror.arrays))
        return cls(*fields, sgs.horizon, (ptr, job), sampling, changes)


@compiled.jit
def _serial(order: np.ndarray, min_start: int, a: tuple[np.ndarray, ...]) -> np.ndarray:
    return serial_starts(order, min_start, a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8])


@compiled.jit
def _makespan(start: np.ndarray, dur: np.ndarray) -> int:
    return int((start + dur).max()) if len(start) else 0


@compiled.jit
def _crossover(mother: np.ndarray, father: np.ndarray, q1: int, q2: int, child: np.ndarray) -> None:
    """`ga.crossover` into `child`: mother's first q1, father's next up to q2, rest mother."""
    n = len(mother)
    taken = np.zeros(n, dtype=np.bool_)
    k = 0
    for i in range(q1):
        child[k] = mother[i]
        taken[mother[i]] = True
        k += 1
    for j in father:
        if k >= q2:
            break
        if not taken[j]:
            child[k] = j
            taken[j] = True
            k += 1
    for j in mother:
        if not taken[j]:
            child[k] = j
            taken[j] = True
            k += 1


@compiled.jit
def _linked(i: int, j: int, succ: tuple[np.ndarray, np.ndarray]) -> bool:
    """Whether an arc leads from i to j."""
    ptr, job = succ
    return bool((job[ptr[i] : ptr[i + 1]] == j).any())


@compiled.jit
def _mutate(order: np.ndarray, succ: tuple[np.ndarray, np.ndarray], rate: float) -> None:
    """`ga.mutate`: swap neighbours with probability `rate` unless linked by an arc."""
    for i in range(len(order) - 1):
        if np.random.random() < rate and not _linked(order[i], order[i + 1], succ):
            order[i], order[i + 1] = order[i + 1], order[i]


@compiled.jit
def _justify(
    order: np.ndarray, start: np.ndarray, g: tuple[tuple[np.ndarray, ...], ...], h: int
) -> tuple[np.ndarray, np.ndarray]:
    """`Justifier.improve`: right-justify by the mirrored scheme, then left-justify."""
    fwd, bwd = g[0], g[1]
    dur = fwd[0]
    n = len(order)
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n)
    finish = start + dur
    back_order = np.argsort(-finish * n - rank)
    bstart = _serial(back_order, h - _makespan(start, dur), bwd)
    mirror = h - bstart - dur
    if n == 0 or mirror.min() < 0:
        return order.copy(), start
    rank[back_order] = np.arange(n)
    new_order = np.argsort(mirror * n - rank)
    return new_order, _serial(new_order, 0, fwd)


@compiled.jit
def _record(start: np.ndarray, ms: int, state: np.ndarray, best: np.ndarray) -> None:
    if ms < state[BEST]:
        state[BEST] = ms
        best[:] = start


@compiled.jit
def _evaluate(
    order: np.ndarray,
    g: tuple[tuple[np.ndarray, ...], ...],
    h: int,
    limits: tuple[int, int, bool],
    state: np.ndarray,
    best: np.ndarray,
    changes: np.ndarray,
) -> int:
    """`ga.Evaluator.evaluate`: decode `order`, justify it unless at the target, keep the
    better list in `order`; the makespan kept. `limits` = (schedules, target, justify);
    `changes` non-empty: decode by the parallel scheme (the capacity change times)."""
    schedules, target, justify = limits
    dur = g[0][0]
    start = parallel_starts(order, g[0], changes) if len(changes) else _serial(order, 0, g[0])
    state[COUNT] += 1
    ms = _makespan(start, dur)
    _record(start, ms, state, best)
    if justify and state[COUNT] + 2 <= schedules and ms > target:
        new_order, new_start = _justify(order, start, g, h)
        state[COUNT] += 2
        new_ms = _makespan(new_start, dur)
        _record(new_start, new_ms, state, best)
        if new_ms <= ms:
            order[:] = new_order
            return new_ms
    return ms


@compiled.jit
def _done(state: np.ndarray, limits: tuple[int, int, bool]) -> bool:
    return state[COUNT] >= limits[0] or state[BEST] <= limits[1]


@compiled.jit
def _select(pop: np.ndarray, keys: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """The best `size` distinct lists by makespan (stable: earlier rows win ties)."""
    idx = np.argsort(keys, kind="mergesort")
    out = np.empty((min(size, len(keys)), pop.shape[1]), dtype=np.int64)
    out_keys = np.empty(len(out), dtype=np.int64)
    k = 0
    group = 0  # first kept row with the current makespan: only those can be equal
    for i in idx:
        if k >= size:
            break
        if k > 0 and keys[i] != out_keys[k - 1]:
            group = k
        duplicate = False
        for q in range(group, k):
            if (out[q] == pop[i]).all():
                duplicate = True
                break
        if not duplicate:
            out[k] = pop[i]
            out_keys[k] = keys[i]
            k += 1
    return out[:k], out_keys[:k]


Run = tuple[
    tuple[tuple[np.ndarray, ...], ...],
    int,
    tuple[np.ndarray, np.ndarray],
    tuple[int, int, bool, float, int, float],
    np.ndarray,
]
"""What a GA run's generations share: both schemes' arrays, the horizon, the successors, and
the knobs (schedules, target, justify, mutation rate, population size, share of children
decoded by the parallel scheme), the capacity change times (ending with a sentinel)."""


@compiled.jit
def _generation(
    pop: np.ndarray, keys: np.ndarray, run: Run, state: np.ndarray, best: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """One generation of `ga._evolve`: shuffled pairs, two children each, then selection."""
    g, h, succ, knobs, changes = run
    serial = changes[:0]
    limits = (knobs[0], knobs[1], knobs[2])
    m, n = pop.shape
    perm = np.random.permutation(m)
    pop, keys = pop[perm], keys[perm]
    children = np.empty((m - m % 2, n), dtype=np.int64)
    child_keys = np.empty(len(children), dtype=np.int64)
    c = 0
    for a in range(0, m - 1, 2):
        q1 = np.random.randint(0, n + 1)
        q2 = np.random.randint(0, n)
        q2 = q2 + 1 if q2 >= q1 else q2
        q1, q2 = min(q1, q2), max(q1, q2)
        for x, y in ((a, a + 1), (a + 1, a)):
            if _done(state, limits):
                break
            _crossover(pop[x], pop[y], q1, q2, children[c])
            _mutate(children[c], succ, knobs[3])
            # no draw at share 0: the default run keeps its random stream
            scheme = changes if knobs[5] > 0.0 and np.random.random() < knobs[5] else serial
            child_keys[c] = _evaluate(children[c], g, h, limits, state, best, scheme)
            c += 1
    merged = np.concatenate((pop, children[:c]))
    merged_keys = np.concatenate((keys, child_keys[:c]))
    return _select(merged, merged_keys, knobs[4])


@compiled.jit
def evolve(
    pop: np.ndarray, keys: np.ndarray, run: Run, stall: int, state: np.ndarray, best: np.ndarray
) -> tuple[np.ndarray, np.ndarray, bool]:
    """One generation unless done or stalled (`stall` generations without a better
    makespan in the population; 0: never); the population and whether the run goes on."""
    knobs = run[3]
    limits = (knobs[0], knobs[1], knobs[2])
    if _done(state, limits) or len(pop) < 2:
        return pop, keys, False
    if stall and state[GENERATIONS] - state[LAST_GAIN] >= stall:
        return pop, keys, False
    before = keys.min()
    state[GENERATIONS] += 1
    pop, keys = _generation(pop, keys, run, state, best)
    if keys[0] < before:  # selection sorts by makespan
        state[LAST_GAIN] = state[GENERATIONS]
    return pop, keys, True


@compiled.jit
def _regret_sample(
    prio: np.ndarray, preds: np.ndarray, succ: tuple[np.ndarray, np.ndarray], out: np.ndarray
) -> None:
    """`rules.regret_sample` into `out`: eligible j drawn with weight (max prio - prio_j + 1)^2.
    `preds` counts each activity's predecessors; `succ` = CSR pointers and successors."""
    ptr, job = succ
    left = preds.copy()
    eligible = np.empty(len(prio), dtype=np.int64)
    m = 0
    for j in range(len(prio)):
        if left[j] == 0:
            eligible[m] = j
            m += 1
    for pos in range(len(prio)):
        worst = prio[eligible[:m]].max()
        weights = (worst - prio[eligible[:m]] + 1.0) ** 2
        r = np.random.random() * weights.sum()
        k = 0
        while k < m - 1 and r >= weights[k]:
            r -= weights[k]
            k += 1
        i = eligible[k]
        eligible[k] = eligible[m - 1]
        m -= 1
        out[pos] = i
        for e in range(ptr[i], ptr[i + 1]):
            left[job[e]] -= 1
            if left[job[e]] == 0:
                eligible[m] = job[e]
                m += 1


@compiled.jit
def populate(
    count: int,
    sampling: tuple[np.ndarray, np.ndarray, tuple[np.ndarray, np.ndarray]],
    g: tuple[tuple[np.ndarray, ...], ...],
    h: int,
    limits: tuple[int, int, bool],
    state: np.ndarray,
    best: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Up to `count` regret-biased samples (`sampling` = priorities, predecessor counts,
    successors), each evaluated as `_evaluate` does, until done; lists and makespans."""
    prio, preds, succ = sampling
    rows = np.empty((count, len(prio)), dtype=np.int64)
    keys = np.empty(count, dtype=np.int64)
    serial = np.zeros(0, dtype=np.int64)
    c = 0
    while c < count and not _done(state, limits):
        _regret_sample(prio, preds, succ, rows[c])
        keys[c] = _evaluate(rows[c], g, h, limits, state, best, serial)
        c += 1
    return rows[:c], keys[:c]


@compiled.jit
def seed(seed: int) -> None:
    np.random.seed(seed)


def warm_up() -> None:
    """Compile the generations with the argument types of real runs (a short GA run)."""
    from schedkit.generate.rcpsp_progen import generate_psplib
    from schedkit.solvers.heuristics.rcpsp.ga import run_ga

    run_ga(generate_psplib(8, 2, nc=1.5, rf=0.5, rs=0.3, seed=0), schedules=400)
