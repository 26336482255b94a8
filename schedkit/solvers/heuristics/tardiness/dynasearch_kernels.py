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


def fits(p: np.ndarray, blocks: int = 1) -> bool:
    """Whether the shift table of an instance with processing times `p` is small enough
    (shifts up to `blocks` x max p)."""
    return (2 * blocks * int(p.max(initial=0)) + 1) * (len(p) + 1) <= TABLE_CELLS


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
def _single_moves(
    x: int, p: np.ndarray, d: np.ndarray, w: np.ndarray, c: np.ndarray, t: np.ndarray,
    table: np.ndarray, top: int, best: np.ndarray, cur: int,
) -> tuple[int, int, int]:  # fmt: skip
    """The best total up to x over the swaps and insertions ending at x, in
    `select_independent`'s order (strict improvements only): (total, lo, kind)."""
    lo_at, kind_at = -1, -1
    for lo in range(x):  # swaps (lo, x)
        r = p[x] - p[lo] + top
        delta = (
            _tardy(w[lo], c[x] - d[lo])
            + _tardy(w[x], c[lo] - p[lo] + p[x] - d[x])
            - t[lo]
            - t[x]
            + table[r, x]
            - table[r, lo + 1]
        )
        if delta < 0 and best[lo] + delta < cur:
            cur, lo_at, kind_at = best[lo] + delta, lo, 0
    for lo in range(x):  # forward: the job at lo goes to x, lo+1..x end p_lo earlier
        r = top - p[lo]
        delta = _tardy(w[lo], c[x] - d[lo]) - t[lo] + table[r, x + 1] - table[r, lo + 1]
        if delta < 0 and best[lo] + delta < cur:
            cur, lo_at, kind_at = best[lo] + delta, lo, 1
    r = top + p[x]
    for lo in range(x):  # backward: the job at x goes to lo, lo..x-1 end p_x later
        delta = _tardy(w[x], c[lo] - p[lo] + p[x] - d[x]) - t[x] + table[r, x] - table[r, lo]
        if delta < 0 and best[lo] + delta < cur:
            cur, lo_at, kind_at = best[lo] + delta, lo, 2
    return cur, lo_at, kind_at


@compiled.jit
def _block_change(
    w: np.ndarray, late: np.ndarray, t: np.ndarray, first: int, size: int, shift: int
) -> int:
    """Tardiness change of positions first..first+size-1 when they end `shift` later."""
    out = 0
    for k in range(first, first + size):
        out += _tardy(w[k], late[k] + shift) - t[k]
    return out


@compiled.jit
def _block_moves(
    x: int, size: int, c: np.ndarray, w: np.ndarray, late: np.ndarray, t: np.ndarray,
    table: np.ndarray, top: int, best: np.ndarray, cur: int,
) -> tuple[int, int, int]:  # fmt: skip
    """The same for moves of `size` consecutive jobs ending at x: the block at lo goes to
    end at x (forward, kind 1), or the block ending at x goes to start at lo (kind 2)."""
    lo_at, kind_at = -1, -1
    for lo in range(x - size + 1):  # forward: block lo..lo+size-1, then lo+size..x move left
        r = top - (c[lo + size - 1] - (c[lo - 1] if lo else 0))
        delta = _block_change(w, late, t, lo, size, c[x] - c[lo + size - 1])
        delta += table[r, x + 1] - table[r, lo + size]
        if delta < 0 and best[lo] + delta < cur:
            cur, lo_at, kind_at = best[lo] + delta, lo, 1
    first = x - size + 1
    r = top + c[x] - c[first - 1]
    for lo in range(first):  # backward: block first..x, then lo..first-1 move right
        shift = (c[lo - 1] if lo else 0) - c[first - 1]
        delta = _block_change(w, late, t, first, size, shift) + table[r, first] - table[r, lo]
        if delta < 0 and best[lo] + delta < cur:
            cur, lo_at, kind_at = best[lo] + delta, lo, 2
    return cur, lo_at, kind_at


@compiled.jit
def best_moves(p: np.ndarray, d: np.ndarray, w: np.ndarray, blocks: int) -> np.ndarray:
    """The dynasearch choice for a sequence's (p, d, w) by position: (k, 4) rows of
    (lo, hi, kind, size): kind 0 = swap lo and hi, 1 = move the `size` jobs from lo to end
    at hi, 2 = move the `size` jobs ending at hi to start at lo; blocks of 2..`blocks` jobs
    after the single moves (`blocks` 1: none); empty at a local optimum."""
    n = len(p)
    c = np.cumsum(p)
    late = c - d
    t = np.zeros(n, dtype=np.int64)
    for k in range(n):
        t[k] = _tardy(w[k], late[k])
    top = max(1, blocks) * int(p.max()) if n else 0
    table = _shift_table(w, late, t, top)
    best = np.zeros(n + 1, dtype=np.int64)
    pick = np.full((n + 1, 3), -1, dtype=np.int64)  # (lo, kind, size) of the move ending at x
    for x in range(n):
        cur, lo, kind = _single_moves(x, p, d, w, c, t, table, top, best, best[x])
        if lo >= 0:
            pick[x + 1, 0], pick[x + 1, 1], pick[x + 1, 2] = lo, kind, 1
        for size in range(2, min(blocks, x) + 1):
            cur, lo, kind = _block_moves(x, size, c, w, late, t, table, top, best, cur)
            if lo >= 0:
                pick[x + 1, 0], pick[x + 1, 1], pick[x + 1, 2] = lo, kind, size
        best[x + 1] = cur
    out = np.empty((n, 4), dtype=np.int64)
    k = 0
    x = n
    while x > 0:
        if pick[x, 0] < 0:
            x -= 1
            continue
        out[k, 0], out[k, 1], out[k, 2], out[k, 3] = pick[x, 0], x - 1, pick[x, 1], pick[x, 2]
        k += 1
        x = pick[x, 0]
    return out[:k]


def warm_up() -> None:
    """Compile the kernel (or load it from numba's disk cache)."""
    one = np.ones(3, dtype=np.int64)
    best_moves(one, one, one, 2)
