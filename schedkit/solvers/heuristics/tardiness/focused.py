"""Focused descent after a kick: moves of the jobs near the kicked positions first.

After a kick of a few swaps, the improving moves are mostly those of the jobs the kick
displaced. `focused_moves` evaluates only the swaps and insertions that move a job at one of
`rows` positions, in O(n |rows|) instead of O(n^2); the descent applies them (dynasearch
selection) and refocuses on the positions each applied move touched. When none is left, one
full-neighbourhood step checks the whole sequence: it ends the descent at a true local optimum
of the full neighbourhood, or its moves become the next focus. No release dates.
"""

from __future__ import annotations

import numpy as np

from schedkit.solvers.budget import Budget
from schedkit.solvers.heuristics.tardiness.evaluation import Arrays
from schedkit.solvers.heuristics.tardiness.neighbourhood import (
    Move,
    Moves,
    SwapPairs,
    apply_move,
    select_independent,
    step,
    step_seconds,
    swap_deltas,
)

MARGIN = 3
"""Positions on either side of a touched position that join the focus."""


def around(positions: np.ndarray, n: int) -> np.ndarray:
    """The positions within `MARGIN` of `positions`, sorted and unique."""
    spread = (positions[:, None] + np.arange(-MARGIN, MARGIN + 1)[None, :]).ravel()
    return np.unique(spread[(spread >= 0) & (spread < n)])


def focused_moves(a: Arrays, seq: np.ndarray, rows: np.ndarray) -> Moves:
    """Improving swaps and insertions that move the job at one of `rows` (no releases)."""
    n = len(seq)
    p, d, w = a.p[seq], a.d[seq], a.w[seq]
    c = np.cumsum(p)
    t = w * np.maximum(0, c - d)
    late = c - d
    r, cols = rows[:, None], np.arange(n)[None, :]
    lo, hi = np.minimum(r, cols).ravel(), np.maximum(r, cols).ravel()
    keep = lo < hi
    pairs = SwapPairs(lo[keep], hi[keep], 0, None)
    sd = swap_deltas(a, seq, c, pairs)
    # forward: the job at r goes to j > r, jobs r+1..j complete p_r earlier
    change = np.where(cols > r, w * np.maximum(late - p[r], 0) - t, 0)
    fwd = np.cumsum(change, axis=1) + w[r] * np.maximum(c - d[r], 0) - t[r]
    # backward: the job at r goes to j < r, jobs j..r-1 complete p_r later
    change = np.where(cols < r, w * np.maximum(late + p[r], 0) - t, 0)
    bwd = np.cumsum(change[:, ::-1], axis=1)[:, ::-1] + w[r] * np.maximum(c - p + p[r] - d[r], 0)
    bwd -= t[r]
    s_idx = np.flatnonzero(sd < 0)
    fi, fj = np.nonzero((cols > r) & (fwd < 0))
    bi, bj = np.nonzero((cols < r) & (bwd < 0))
    return Moves(
        lo=np.concatenate([pairs.i[s_idx], rows[fi], bj]),
        hi=np.concatenate([pairs.j[s_idx], fj, rows[bi]]),
        delta=np.concatenate([sd[s_idx], fwd[fi, fj], bwd[bi, bj]]),
        kind=np.concatenate(
            [np.zeros(len(s_idx), np.int8), np.ones(len(fi), np.int8), np.full(len(bi), 2, np.int8)]
        ),
    )


def _apply(seq: np.ndarray, chosen: list[Move]) -> np.ndarray:
    """Apply the chosen moves in place; the positions they touched (their two ends)."""
    for move in chosen:
        apply_move(seq, *move)
    return np.array([x for lo, hi, _, _ in chosen for x in (lo, hi)], dtype=np.int64)


def focused_step(a: Arrays, seq: np.ndarray, rows: np.ndarray) -> list[Move]:
    """The dynasearch choice among the moves of the jobs at `rows`."""
    moves = focused_moves(a, seq, rows)
    picked = select_independent(moves, len(seq))
    return [(int(moves.lo[m]), int(moves.hi[m]), int(moves.kind[m]), 1) for m in picked]


def focused_descent(
    a: Arrays, seq: np.ndarray, touched: np.ndarray, full: SwapPairs, budget: Budget
) -> np.ndarray:
    """Descend from `seq` (kicked at `touched`) to a local optimum of the full neighbourhood."""
    seq = seq.copy()
    n = len(seq)
    rows = around(touched, n)
    full_step = step_seconds(full, n)
    while not budget.expired():
        if not len(rows) and budget.remaining() < full_step:
            break  # no time left for a full step
        chosen = focused_step(a, seq, rows) if len(rows) else step(a, seq, full)
        if chosen:
            rows = around(_apply(seq, chosen), n)
        elif len(rows):
            rows = rows[:0]  # the focus is exhausted: check the whole neighbourhood next
        else:
            break
    return seq
