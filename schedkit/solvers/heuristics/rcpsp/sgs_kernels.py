"""A compiled serial schedule generation scheme (numba) over flat arrays of an `Sgs`.

The GA decodes every activity list with the serial SGS, three times per child with
justification, so this loop is where the heuristic spends its time. `SerialArrays` holds one
`Sgs`'s data as numpy arrays (predecessors and demands in CSR form, availability as a matrix);
`serial` gives the same starts as `Sgs.serial`'s Python loop (tested against it). Without
numba, `available()` is False and `Sgs` keeps its Python loop. `parallel_starts`, the parallel
scheme over a list, is there for the GA's optional parallel decoding (`ga_kernels`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from schedkit import compiled

if TYPE_CHECKING:
    from collections.abc import Sequence

    from schedkit.solvers.heuristics.rcpsp.sgs import Sgs


available = compiled.available


def csr(rows: Sequence[Sequence[tuple[int, int]]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Row pointers, first and second entries of lists of pairs."""
    ptr = np.zeros(len(rows) + 1, dtype=np.int64)
    ptr[1:] = np.cumsum([len(r) for r in rows])
    first = np.array([a for r in rows for a, _ in r], dtype=np.int64)
    second = np.array([b for r in rows for _, b in r], dtype=np.int64)
    return ptr, first, second


@dataclass(frozen=True)
class SerialArrays:
    """The data `serial_starts` reads, built once per `Sgs`."""

    dur: np.ndarray
    release: np.ndarray
    pred: tuple[np.ndarray, np.ndarray, np.ndarray]
    dem: tuple[np.ndarray, np.ndarray, np.ndarray]
    base: np.ndarray

    @classmethod
    def of(cls, sgs: Sgs) -> SerialArrays:
        return cls(
            np.array(sgs.dur, dtype=np.int64),
            np.array(sgs.release, dtype=np.int64),
            csr(sgs.preds),
            csr(sgs.dem),
            np.array(sgs.base, dtype=np.int64).reshape(len(sgs.base), 2 * sgs.horizon + 2),
        )

    def serial(self, order: Sequence[int], min_start: int) -> list[int]:
        """Starts of the serial SGS over `order` (see `Sgs.serial`)."""
        starts = serial_starts(
            np.asarray(order, dtype=np.int64), min_start, self.dur, self.release,
            *self.pred, *self.dem, self.base,
        )  # fmt: skip
        return starts.tolist()


def _serial_starts(
    order: np.ndarray,
    min_start: int,
    dur: np.ndarray,
    release: np.ndarray,
    pred_ptr: np.ndarray,
    pred_job: np.ndarray,
    pred_delay: np.ndarray,
    dem_ptr: np.ndarray,
    dem_res: np.ndarray,
    dem_amount: np.ndarray,
    base: np.ndarray,
) -> np.ndarray:
    """Each activity of `order` at its earliest time that respects its predecessors, release
    and every resource over its whole duration (first fit, jumping past the last clash).

    The availability table is copied from `base` lazily, up to the latest time read so far:
    the table spans twice the horizon, a schedule a small part of it."""
    avail = np.empty_like(base)
    filled = min_start  # avail equals base on [min_start, filled); nothing earlier is read
    start = np.zeros(len(dur), dtype=np.int64)
    for j in order:
        t = max(release[j], min_start)
        for e in range(pred_ptr[j], pred_ptr[j + 1]):
            t = max(t, start[pred_job[e]] + pred_delay[e])
        d = dur[j]
        moved = dem_ptr[j + 1] > dem_ptr[j]
        while moved:
            moved = False
            if t + d > filled:
                avail[:, filled : t + d] = base[:, filled : t + d]
                filled = t + d
            for e in range(dem_ptr[j], dem_ptr[j + 1]):
                k, r = dem_res[e], dem_amount[e]
                tau = t + d - 1
                while tau >= t and avail[k, tau] >= r:
                    tau -= 1
                if tau >= t:
                    t = tau + 1
                    moved = True
                    break
        for e in range(dem_ptr[j], dem_ptr[j + 1]):
            avail[dem_res[e], t : t + d] -= dem_amount[e]
        start[j] = t
    return start


serial_starts = compiled.jit(_serial_starts)


def _fits(avail: np.ndarray, j: int, t: int, d: int, dem: tuple[np.ndarray, ...]) -> bool:
    """Whether activity j's demands fit in `avail` over [t, t + d)."""
    if d == 0:
        return True
    dem_ptr, dem_res, dem_amount = dem
    for e in range(dem_ptr[j], dem_ptr[j + 1]):
        if avail[dem_res[e], t : t + d].min() < dem_amount[e]:
            return False
    return True


_fits_jit = compiled.jit(_fits)


def _ready_at(j: int, start: np.ndarray, release: np.ndarray, pred: tuple[np.ndarray, ...]) -> int:
    """Earliest start of j from its release and scheduled predecessors; -1 while one of them
    is not scheduled yet."""
    pred_ptr, pred_job, pred_delay = pred
    est = release[j]
    for e in range(pred_ptr[j], pred_ptr[j + 1]):
        p = pred_job[e]
        if start[p] < 0:
            return -1
        est = max(est, start[p] + pred_delay[e])
    return est


_ready_at_jit = compiled.jit(_ready_at)


def _parallel_starts(
    order: np.ndarray,
    a: tuple[np.ndarray, ...],
    changes: np.ndarray,
) -> np.ndarray:
    """Parallel SGS with the list's positions as priorities (`Sgs.parallel` on ranks): at
    each decision time, every eligible activity in list order starts if it fits; then the
    next finish, release or capacity change. `a` = `SerialArrays` fields; the list must be
    topological (one pass per decision time then sees every activity it made eligible)."""
    dur, release, pred, dem, base = a[0], a[1], (a[2], a[3], a[4]), (a[5], a[6], a[7]), a[8]
    n = len(dur)
    avail = np.empty_like(base)
    filled = 0
    start = np.full(n, -1, dtype=np.int64)
    done = 0
    t = 0
    last = base.shape[1]
    while done < n and t < last:
        nxt = last
        for j in order:
            if start[j] >= 0:
                continue
            est = _ready_at_jit(j, start, release, pred)
            if est < 0:
                continue
            if est > t:
                nxt = min(nxt, est)
                continue
            d = dur[j]
            if t + d > filled:
                avail[:, filled : t + d] = base[:, filled : t + d]
                filled = t + d
            if not _fits_jit(avail, j, t, d, dem):
                continue
            for e in range(dem[0][j], dem[0][j + 1]):
                avail[dem[1][e], t : t + d] -= dem[2][e]
            start[j] = t
            done += 1
        for j in range(n):
            if start[j] >= 0 and start[j] + dur[j] > t:
                nxt = min(nxt, start[j] + dur[j])
        for c in changes:
            if c > t:
                nxt = min(nxt, c)
                break
        t = nxt if nxt > t else t + 1
    return start


parallel_starts = compiled.jit(_parallel_starts)


def warm_up() -> None:
    """Compile the scheme on a tiny generated instance (the array types of real runs)."""
    from schedkit.generate.rcpsp import generate
    from schedkit.solvers.heuristics.rcpsp.sgs import Sgs

    problem = generate(4, 1, seed=0, downtime=False, windows=False, disjunctive=0)
    Sgs(problem).serial(range(problem.n))
