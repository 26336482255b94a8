"""Dynasearch over swaps and insertions without release dates (Congram, Potts & van de Velde).

A move on positions i..j leaves the completion time of position j unchanged, so moves on
disjoint intervals add up: every swap and insertion delta is computed at once with numpy in
O(n^2) (swaps through prefix sums per distinct shift, insertions through row-wise cumulative
sums), and the best set of independent moves is chosen by dynamic programming over positions.
With `SwapPairs.compiled`, a full step runs as one compiled loop instead
(`dynasearch_kernels.best_moves`: the same moves, 26-60 times faster at n = 100-2000).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from schedkit.solvers.budget import Budget
from schedkit.solvers.heuristics.tardiness.dynasearch_kernels import best_moves
from schedkit.solvers.heuristics.tardiness.evaluation import Arrays

TABLE_CELLS = 4_000_000  # largest (shift value, position) table of the swap evaluation
SECONDS_PER_CELL = 2e-7
"""Pessimistic evaluation time per move (n = 1000, 1.5 million moves: 0.1-0.15 s measured)."""
COMPILED_SECONDS_PER_CELL = 2e-8
"""The same for the compiled step: 4-6 times the 3.3e-9 to 5.5e-9 measured at n = 1000 to
2000 (benchmarks/results/tardiness_kernels.md), as a step on a loaded core can take that
much longer and a time limit must hold (5e-9 overran a 2 s limit by 0.3-0.65 s at n = 5000
with three processes on two cores)."""


@dataclass(frozen=True)
class SwapPairs:
    """The neighbourhood: position pairs (i, j), 0 < j - i <= width, and the full-width mask.

    `width` 0 (or n - 1) is the full neighbourhood: O(n^2) moves, the insertions evaluated
    on (n, n) matrices under `upper`. A smaller width is a band: O(n width) swaps and
    insertions, evaluated on (n, width) matrices (`upper` is then None). `compiled`: the
    full neighbourhood scored by `best_moves` (no arrays: `i`, `j` empty, `upper` None).
    """

    i: np.ndarray
    j: np.ndarray
    width: int
    upper: np.ndarray | None
    compiled: bool = False
    blocks: int = 1
    """Compiled only: blocks of up to this many jobs move too (1: single jobs)."""

    @classmethod
    def build(
        cls, n: int, width: int, full_inserts: bool = False, compiled: bool = False,
        blocks: int = 1,
    ) -> SwapPairs:  # fmt: skip
        """Swaps up to `width` apart (0: all); insertions too, unless `full_inserts`;
        `compiled` full steps where the neighbourhood is full, with blocks of up to
        `blocks` jobs."""
        full = width <= 0 or width >= n - 1
        if full and compiled:  # the kernel needs no pair or mask arrays
            none = np.zeros(0, dtype=np.int64)
            return cls(none, none, max(n - 1, 0), None, True, blocks)
        upper = np.triu(np.ones((n, n), dtype=bool), 1) if full or full_inserts else None
        if full:
            ii, jj = np.triu_indices(n, 1)
            return cls(ii, jj, max(n - 1, 0), upper)
        ii = np.concatenate([np.arange(n - k) for k in range(1, width + 1)])
        jj = np.concatenate([np.arange(k, n) for k in range(1, width + 1)])
        return cls(ii, jj, width, upper)


@dataclass
class Moves:
    """Improving moves on position intervals [lo, hi] with their cost deltas (< 0)."""

    lo: np.ndarray
    hi: np.ndarray
    delta: np.ndarray
    kind: np.ndarray
    """0 = swap lo and hi, 1 = move lo to hi (forward), 2 = move hi to lo (backward)."""


def shift_sums(
    p: np.ndarray, d: np.ndarray, w: np.ndarray, c: np.ndarray, shifts: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Prefix sums, per distinct shift, of the tardiness change of each position shifted.

    Returns (table, index): table[index[q], m] is sum_{k < m} of the change of position k when
    it completes shifts[q] later, so a range i+1..j-1 is table[.., j] - table[.., i + 1].
    """
    lo, hi = int(shifts.min(initial=0)), int(shifts.max(initial=0))
    if (hi - lo + 1) * len(p) <= TABLE_CELLS:
        values, index = np.arange(lo, hi + 1), shifts - lo
    else:
        values, index = np.unique(shifts, return_inverse=True)
    t = w * np.maximum(0, c - d)
    change = w * np.maximum(0, c[None, :] + values[:, None] - d) - t
    table = np.zeros((len(values), len(p) + 1), dtype=np.int64)
    np.cumsum(change, axis=1, out=table[:, 1:])
    return table, index


def swap_deltas(a: Arrays, seq: np.ndarray, c: np.ndarray, pairs: SwapPairs) -> np.ndarray:
    """Cost change of swapping positions i and j for every pair (no release dates).

    The job from j ends at C_{i-1} + p_j, the one from i at C_j, and the jobs between shift by
    p_j - p_i; jobs after j do not move.
    """
    p, d, w = a.p[seq], a.d[seq], a.w[seq]
    t = w * np.maximum(0, c - d)
    i, j = pairs.i, pairs.j
    table, index = shift_sums(p, d, w, c, p[j] - p[i])
    mid = table[index, j] - table[index, i + 1]
    new_j = w[j] * np.maximum(0, c[i] - p[i] + p[j] - d[j])
    new_i = w[i] * np.maximum(0, c[j] - d[i])
    result: np.ndarray = new_i + new_j - t[i] - t[j] + mid
    return result


def insert_deltas(
    a: Arrays, seq: np.ndarray, c: np.ndarray, upper: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Cost change of moving the job at position i to position j, as (forward, backward).

    forward[i, j] (j > i): jobs i+1..j move left by p_i, job i ends at C_j.
    backward[i, j] (j < i): jobs j..i-1 move right by p_i, job i ends at C_j - p_j + p_i.
    Entries outside those triangles are 0.
    """
    p, d, w = a.p[seq], a.d[seq], a.w[seq]
    t = w * np.maximum(0, c - d)
    late = c - d  # lateness of each position as it stands
    # forward: positions i+1..j complete p_i earlier
    fwd = np.maximum(late[None, :] - p[:, None], 0)
    fwd *= w
    fwd -= t
    fwd *= upper
    np.cumsum(fwd, axis=1, out=fwd)
    fwd += w[:, None] * np.maximum(c[None, :] - d[:, None], 0) - t[:, None]
    fwd *= upper
    # backward: positions j..i-1 complete p_i later (suffix sums up to i - 1)
    lower = upper.T
    bwd = np.maximum(late[None, :] + p[:, None], 0)
    bwd *= w
    bwd -= t
    bwd *= lower
    bwd = np.cumsum(bwd[:, ::-1], axis=1)[:, ::-1]
    bwd += w[:, None] * np.maximum((c - p)[None, :] + p[:, None] - d[:, None], 0) - t[:, None]
    bwd *= lower
    return fwd, bwd


def band_insert_moves(
    a: Arrays, seq: np.ndarray, c: np.ndarray, width: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Improving insertions over at most `width` positions, as (lo, hi, delta, kind).

    Row i, column k - 1 of the (n, width) matrices is the move of the job at i to i + k
    (forward: i+1..i+k complete p_i earlier) or to i - k (backward: i-k..i-1 complete p_i
    later); running sums along k add up the shifted jobs, as `insert_deltas` does by rows.
    """
    n = len(seq)
    p, d, w = a.p[seq], a.d[seq], a.w[seq]
    t = w * np.maximum(0, c - d)
    late = c - d
    pos = np.arange(n)[:, None]
    out: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
    for kind, sign in ((1, 1), (2, -1)):
        target = pos + sign * np.arange(1, width + 1)[None, :]
        valid = (target >= 0) & (target < n)
        m = np.clip(target, 0, n - 1)
        change = w[m] * np.maximum(late[m] - sign * p[:, None], 0) - t[m]
        change[~valid] = 0
        own_end = c[m] if kind == 1 else c[m] - p[m] + p[:, None]
        delta = np.cumsum(change, axis=1) + w[:, None] * np.maximum(own_end - d[:, None], 0)
        delta -= t[:, None]
        rows, cols = np.nonzero(valid & (delta < 0))
        ends = target[rows, cols]
        lo, hi = (rows, ends) if kind == 1 else (ends, rows)
        out.append((lo, hi, delta[rows, cols], np.full(len(rows), kind, np.int8)))
    return tuple(np.concatenate(parts) for parts in zip(*out, strict=True))  # type: ignore[return-value]


def improving_moves(a: Arrays, seq: np.ndarray, pairs: SwapPairs) -> Moves:
    """All improving swaps and insertions of `seq` in the neighbourhood (no release dates)."""
    c = np.cumsum(a.p[seq])
    sd = swap_deltas(a, seq, c, pairs)
    s_idx = np.flatnonzero(sd < 0)
    swaps = (pairs.i[s_idx], pairs.j[s_idx], sd[s_idx], np.zeros(len(s_idx), np.int8))
    if pairs.upper is None:
        inserts = band_insert_moves(a, seq, c, pairs.width)
    else:
        fwd, bwd = insert_deltas(a, seq, c, pairs.upper)
        fi, fj = np.nonzero(fwd < 0)
        bi, bj = np.nonzero(bwd < 0)
        inserts = (
            np.concatenate([fi, bj]),
            np.concatenate([fj, bi]),
            np.concatenate([fwd[fi, fj], bwd[bi, bj]]),
            np.concatenate([np.ones(len(fi), np.int8), np.full(len(bi), 2, np.int8)]),
        )
    lo, hi, delta, kind = (np.concatenate(x) for x in zip(swaps, inserts, strict=True))
    return Moves(lo=lo, hi=hi, delta=delta, kind=kind)


def select_independent(moves: Moves, n: int) -> list[int]:
    """Dynasearch: the set of moves on disjoint intervals with the most negative total delta.

    best[x] is the best total of moves within positions < x; moves are scanned by their last
    position, so best[lo] is final when a move on [lo, hi] is scanned.
    """
    if len(moves.delta) == 0:
        return []
    order = np.argsort(moves.hi, kind="stable")
    lo, hi, delta = moves.lo[order].tolist(), moves.hi[order].tolist(), moves.delta[order].tolist()
    best = [0] * (n + 1)
    pick = [-1] * (n + 1)
    x = 0
    for m, (first, last, change) in enumerate(zip(lo, hi, delta, strict=True)):
        while x <= last:
            x += 1
            best[x] = best[x - 1]
        value = best[first] + change
        if value < best[x]:
            best[x], pick[x] = value, m
    chosen: list[int] = []
    while x > 0:
        if pick[x] < 0:
            x -= 1
        else:
            chosen.append(int(order[pick[x]]))
            x = lo[pick[x]]
    return chosen


def apply_move(seq: np.ndarray, lo: int, hi: int, kind: int, size: int = 1) -> None:
    """Apply one swap (kind 0) or insertion in place: 1 moves the `size` jobs from lo to
    end at hi, 2 the `size` jobs ending at hi to start at lo."""
    if kind == 0:
        seq[lo], seq[hi] = seq[hi], seq[lo]
    else:
        seq[lo : hi + 1] = np.roll(seq[lo : hi + 1], -size if kind == 1 else size)


def step_seconds(pairs: SwapPairs, n: int) -> float:
    """A pessimistic estimate of one full evaluation of `pairs` (its matrices' cells)."""
    if pairs.compiled:
        return COMPILED_SECONDS_PER_CELL * (1.5 + 2 * (pairs.blocks - 1)) * n * n
    inserts = n * n if pairs.upper is not None else 2 * n * pairs.width
    return SECONDS_PER_CELL * (len(pairs.i) + inserts)


Move = tuple[int, int, int, int]
"""(lo, hi, kind, size) of one move, as `apply_move` takes it."""


def step(a: Arrays, seq: np.ndarray, pairs: SwapPairs) -> list[Move]:
    """The dynasearch choice of one step over `pairs`."""
    if pairs.compiled:
        rows = best_moves(a.p[seq], a.d[seq], a.w[seq], pairs.blocks).tolist()
        return [(lo, hi, kind, size) for lo, hi, kind, size in rows]
    moves = improving_moves(a, seq, pairs)
    picked = select_independent(moves, len(seq))
    return [(int(moves.lo[m]), int(moves.hi[m]), int(moves.kind[m]), 1) for m in picked]


def dynasearch(
    a: Arrays, seq: np.ndarray, pairs: SwapPairs, budget: Budget, steps: int | None = None
) -> np.ndarray:
    """Descend with dynasearch steps to a local optimum, or until `steps` steps, or until the
    budget no longer holds one more step (estimated, then as long as the last one took)."""
    seq = seq.copy()
    taken = 0
    need = step_seconds(pairs, len(seq))
    while budget.remaining() > need and (steps is None or taken < steps):
        taken += 1
        began = budget.now()
        chosen = step(a, seq, pairs)
        if not chosen:
            break
        for move in chosen:
            apply_move(seq, *move)
        need = budget.now() - began
    return seq
