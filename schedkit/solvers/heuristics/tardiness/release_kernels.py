"""The costs of every move of a sequence with release dates, as one compiled loop (numba).

`release.batch_costs` simulates each candidate sequence whole with numpy. Here each move
is simulated only where it can change anything: from its first position, over the moved
segment, and on until a completion time equals the current sequence's at that position
(from there on the schedule is the same, so the rest of the cost is the current suffix).
The values are exactly `batch_costs`'s (tested), so the descent takes the same steps.
"""

from __future__ import annotations

import numpy as np

from schedkit import compiled


@compiled.jit
def _segment(seq: np.ndarray, lo: int, hi: int, kind: int, out: np.ndarray) -> None:
    """Positions lo..hi of `seq` after the move, into out[: hi - lo + 1]."""
    size = hi - lo + 1
    for k in range(size):
        out[k] = seq[lo + k]
    if kind == 0:
        out[0], out[size - 1] = seq[hi], seq[lo]
    elif kind == 1:  # the job at lo goes to hi
        for k in range(size - 1):
            out[k] = seq[lo + 1 + k]
        out[size - 1] = seq[lo]
    else:  # the job at hi goes to lo
        out[0] = seq[hi]
        for k in range(1, size):
            out[k] = seq[lo + k - 1]


@compiled.jit
def move_costs(
    p: np.ndarray, d: np.ndarray, w: np.ndarray, r: np.ndarray, seq: np.ndarray, moves: np.ndarray
) -> np.ndarray:
    """Total weighted tardiness of `seq` after each (lo, hi, kind) row of `moves` (kind as in
    `neighbourhood.apply_move`), jobs started as early as their release dates allow."""
    n = len(seq)
    c = np.zeros(n, dtype=np.int64)
    before = np.zeros(n + 1, dtype=np.int64)  # cost of positions < k
    t = 0
    for k in range(n):
        j = seq[k]
        t = max(t, r[j]) + p[j]
        c[k] = t
        before[k + 1] = before[k] + (w[j] * (t - d[j]) if t > d[j] else 0)
    total = before[n]
    seg = np.empty(n, dtype=np.int64)
    out = np.empty(len(moves), dtype=np.int64)
    for m in range(len(moves)):
        lo, hi, kind = moves[m, 0], moves[m, 1], moves[m, 2]
        _segment(seq, lo, hi, kind, seg)
        t = c[lo - 1] if lo > 0 else 0
        value = before[lo]
        for k in range(hi - lo + 1):
            j = seg[k]
            t = max(t, r[j]) + p[j]
            if t > d[j]:
                value += w[j] * (t - d[j])
        pos = hi + 1
        while pos < n and t != c[pos - 1]:
            j = seq[pos]
            t = max(t, r[j]) + p[j]
            if t > d[j]:
                value += w[j] * (t - d[j])
            pos += 1
        out[m] = value + total - before[pos]
    return out


def warm_up() -> None:
    """Compile the kernel (or load it from numba's disk cache)."""
    one = np.ones(3, dtype=np.int64)
    move_costs(one, one, one, one, np.arange(3, dtype=np.int64), np.array([[0, 2, 1]]))
