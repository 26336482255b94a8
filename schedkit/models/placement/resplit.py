"""Re-split the replicas of two GPUs of one node: every even split, the best one kept.

Used by the `primary` heuristic after packing a node, and by the traffic pass to restore the
load cap of a node after a cross-node swap (replicas never leave their node here).
"""

from __future__ import annotations

import itertools
import math

import numpy as np

EPS = 1e-9

SPLIT_LIMIT = 4000
"""Most splits of two GPUs' replicas `repartition` enumerates (else single exchanges)."""


def split_masks(per_gpu: int) -> np.ndarray:
    """(M, 2 per_gpu) which of two GPUs' replicas go to the first: every even split (the first
    replica fixed on the first GPU, by symmetry) when few, else every one-for-one exchange."""
    n = 2 * per_gpu
    if math.comb(n, per_gpu) <= SPLIT_LIMIT:
        subsets = [c for c in itertools.combinations(range(n), per_gpu) if c[0] == 0]
        masks = np.zeros((len(subsets), n), dtype=bool)
        for r, c in enumerate(subsets):
            masks[r, list(c)] = True
        return masks
    masks = np.zeros((per_gpu * per_gpu + 1, n), dtype=bool)
    masks[:, :per_gpu] = True
    for i, j in itertools.product(range(per_gpu), repeat=2):
        masks[1 + i * per_gpu + j, [i, per_gpu + j]] = [False, True]
    return masks


def repartition(
    w: np.ndarray, block: np.ndarray, cnt: np.ndarray, masks: np.ndarray, rounds: int = 200
) -> np.ndarray:
    """The GPUs of one node: re-split the hottest GPU's and another GPU's replicas (the best
    split over `masks`, the best partner) while that lowers the hottest GPU; counts and node
    unchanged."""
    per = w / cnt
    block = block.copy()
    G = len(block)
    for _ in range(rounds):
        loads = per[:, block].sum(axis=2).max(axis=0)
        h = int(np.argmax(loads))
        others = np.delete(np.arange(G), h)
        if not len(others):
            break
        items = np.concatenate([np.repeat(block[h][None], len(others), axis=0), block[others]], 1)
        size = per[:, items]  # (K, G - 1, 2S)
        first = size @ masks.T  # (K, G - 1, M)
        worst = np.maximum(first, size.sum(axis=2, keepdims=True) - first).max(axis=0)
        g, k = np.unravel_index(int(np.argmin(worst)), worst.shape)
        if worst[g, k] >= loads[h] * (1 - EPS):
            break
        block[h], block[others[g]] = items[g][masks[k]], items[g][~masks[k]]
    return block


def resplit_nodes(
    w: np.ndarray, place: np.ndarray, cnt: np.ndarray, gpus_per_node: int
) -> np.ndarray:
    """`place` (GPUs, slots) with each node's GPUs re-split by `repartition` (a copy)."""
    out = place.copy()
    masks = split_masks(place.shape[1])
    for first in range(0, len(out), gpus_per_node):
        sl = slice(first, first + gpus_per_node)
        out[sl] = repartition(w, out[sl], cnt, masks)
    return out
