"""Local search with release dates: deltas are not additive, so candidates are simulated.

The neighbourhood is every swap and insertion of positions at most `release_window` apart;
all candidate sequences are evaluated at once (`move_costs`, compiled, or in numpy batches),
and a step applies the improving moves on disjoint intervals together (checked) or else the
best single move.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from schedkit.solvers.budget import Budget
from schedkit.solvers.heuristics.tardiness.evaluation import Arrays, cost
from schedkit.solvers.heuristics.tardiness.neighbourhood import apply_move
from schedkit.solvers.heuristics.tardiness.release_kernels import move_costs

Costs = Callable[[np.ndarray], np.ndarray]
"""The cost of a sequence after each move of the neighbourhood."""

BATCH_CELLS = 2_000_000  # candidate-sequence cells simulated per numpy batch


def window_moves(n: int, window: int) -> np.ndarray:
    """(moves, 3) rows (lo, hi, kind) of swaps and insertions with hi - lo <= window."""
    rows = []
    for gap in range(1, min(window, n - 1) + 1):
        lo = np.arange(n - gap)
        for kind in (0, 1, 2) if gap > 1 else (0,):
            rows.append(np.stack([lo, lo + gap, np.full_like(lo, kind)], axis=1))
    return np.concatenate(rows) if rows else np.zeros((0, 3), dtype=np.int64)


def move_permutations(n: int, moves: np.ndarray) -> np.ndarray:
    """Position permutations realising `moves`: candidate = seq[perm]."""
    perm = np.tile(np.arange(n, dtype=np.int32), (len(moves), 1))
    for row, (lo, hi, kind) in enumerate(moves.tolist()):
        apply_move(perm[row], lo, hi, kind)
    return perm


def batch_costs(a: Arrays, seq: np.ndarray, perms: np.ndarray) -> np.ndarray:
    """Cost of every candidate seq[perm], simulated in chunks of BATCH_CELLS cells."""
    chunk = max(1, BATCH_CELLS // len(seq))
    return np.concatenate([cost(a, seq[perms[s : s + chunk]]) for s in range(0, len(perms), chunk)])


def costs_of(a: Arrays, moves: np.ndarray, fast: bool) -> Costs:
    """Move costs by the compiled loop (`fast`) or by simulating candidates in numpy."""
    if fast:
        return lambda seq: move_costs(a.p, a.d, a.w, a.r, seq, moves)
    perms = move_permutations(len(a.p), moves)
    return lambda seq: batch_costs(a, seq, perms)


def disjoint_greedy(moves: np.ndarray, order: np.ndarray) -> list[int]:
    """Moves in `order` whose position intervals overlap none taken before."""
    taken = np.zeros(int(moves[:, 1].max()) + 2, dtype=bool)
    chosen = []
    for m in order.tolist():
        lo, hi = int(moves[m, 0]), int(moves[m, 1])
        if not taken[lo : hi + 1].any():
            taken[lo : hi + 1] = True
            chosen.append(m)
    return chosen


def release_descent(
    a: Arrays, seq: np.ndarray, moves: np.ndarray, costs: Costs, budget: Budget
) -> np.ndarray:
    """Descent over a fixed move set with release dates, every candidate simulated in batch.

    Each step applies the improving moves on disjoint intervals together, best first (their
    deltas are not additive here, so the result is checked), or else the best single move.
    """
    seq = np.array(seq, dtype=np.int64)
    current = int(cost(a, seq))
    while len(moves) and not budget.expired():
        values = costs(seq)
        improving = np.flatnonzero(values < current)
        if len(improving) == 0:
            break
        order = improving[np.argsort(values[improving], kind="stable")]
        combined = seq.copy()
        for m in disjoint_greedy(moves, order):
            lo, hi, kind = (int(x) for x in moves[m])
            apply_move(combined, lo, hi, kind)
        value = int(cost(a, combined))
        if value > values[order[0]]:
            lo, hi, kind = (int(x) for x in moves[order[0]])
            combined, value = seq.copy(), int(values[order[0]])
            apply_move(combined, lo, hi, kind)
        seq, current = combined, value
    return seq
