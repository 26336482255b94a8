"""One compiled dynasearch step over every swap and insertion (numba), in O(n^2).

`neighbourhood.improving_moves` builds (n, n) matrices with numpy and `select_independent`
then picks the best set of moves on disjoint intervals: about 0.1-0.15 s per step at
n = 1000, most of a kick's descent. Here one loop over the last position x of a move and its
first position lo scores each swap and insertion in O(1), from prefix sums of the tardiness
change of every position under every shift in [-max p, max p], and runs the same dynamic
programme as it goes. The moves are visited in the order `select_independent` scans them
(by last position; swaps, forward, backward insertions; by first position), with the same
strict comparison, so the chosen moves are the numpy path's, ties included (tested).
"""

from __future__ import annotations

import numpy as np

from schedkit import compiled

TABLE_CELLS = 4_000_000
"""Largest shift table ((2 max p + 1) x (n + 1) cells); larger instances keep numpy."""


def fits(p: np.ndarray) -> bool:
    """Whether the shift table of an instance with processing times `p` is small enough."""
    return (2 * int(p.max(initial=0)) + 1) * (len(p) + 1) <= TABLE_CELLS


@compiled.jit
def _shift_table(w: np.ndarray, late: np.ndarray, t: np.ndarray, top: int) -> np.ndarray:
    """table[s + top, m] = sum_{k < m} (w_k max(0, late_k + s) - t_k), s in [-top, top]."""
    n = len(w)
    table = np.zeros((2 * top + 1, n + 1), dtype=np.int64)
    for s in range(-top, top + 1):
        row = table[s + top]
        acc = 0
        for k in range(n):
            v = late[k] + s
            acc += (w[k] * v if v > 0 else 0) - t[k]
            row[k + 1] = acc
    return table


@compiled.jit
def _tardy(w: int, lateness: int) -> int:
    return w * lateness if lateness > 0 else 0


@compiled.jit
def best_moves(p: np.ndarray, d: np.ndarray, w: np.ndarray) -> np.ndarray:
    """The dynasearch choice for a sequence's (p, d, w) by position: (k, 3) rows of
    (lo, hi, kind), kind 0 = swap, 1 = move lo to hi, 2 = move hi to lo; empty at a local
    optimum."""
    n = len(p)
    c = np.cumsum(p)
    late = c - d
    t = np.zeros(n, dtype=np.int64)
    for k in range(n):
        t[k] = _tardy(w[k], late[k])
    top = int(p.max()) if n else 0
    table = _shift_table(w, late, t, top)
    best = np.zeros(n + 1, dtype=np.int64)
    pick = np.full((n + 1, 2), -1, dtype=np.int64)  # (lo, kind) of the best move ending at x - 1
    for x in range(n):
        best[x + 1] = best[x]
        # swaps (lo, x)
        for lo in range(x):
            row = table[p[x] - p[lo] + top]
            delta = (
                _tardy(w[lo], c[x] - d[lo])
                + _tardy(w[x], c[lo] - p[lo] + p[x] - d[x])
                - t[lo]
                - t[x]
                + row[x]
                - row[lo + 1]
            )
            if delta < 0 and best[lo] + delta < best[x + 1]:
                best[x + 1] = best[lo] + delta
                pick[x + 1, 0], pick[x + 1, 1] = lo, 0
        # forward insertions: the job at lo goes to x, lo+1..x complete p_lo earlier
        for lo in range(x):
            row = table[top - p[lo]]
            delta = _tardy(w[lo], c[x] - d[lo]) - t[lo] + row[x + 1] - row[lo + 1]
            if delta < 0 and best[lo] + delta < best[x + 1]:
                best[x + 1] = best[lo] + delta
                pick[x + 1, 0], pick[x + 1, 1] = lo, 1
        # backward insertions: the job at x goes to lo, lo..x-1 complete p_x later
        row = table[top + p[x]]
        for lo in range(x):
            delta = _tardy(w[x], c[lo] - p[lo] + p[x] - d[x]) - t[x] + row[x] - row[lo]
            if delta < 0 and best[lo] + delta < best[x + 1]:
                best[x + 1] = best[lo] + delta
                pick[x + 1, 0], pick[x + 1, 1] = lo, 2
    out = np.empty((n, 3), dtype=np.int64)
    k = 0
    x = n
    while x > 0:
        if pick[x, 0] < 0:
            x -= 1
            continue
        out[k, 0], out[k, 1], out[k, 2] = pick[x, 0], x - 1, pick[x, 1]
        k += 1
        x = pick[x, 0]
    return out[:k]


def warm_up() -> None:
    """Compile the kernel (or load it from numba's disk cache)."""
    one = np.ones(3, dtype=np.int64)
    best_moves(one, one, one)
