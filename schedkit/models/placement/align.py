"""Renumber a new placement's GPUs and slots to keep as many replicas of an old one in place.

GPUs of one node are interchangeable and so are whole nodes (unless inter-node traffic
counts, which depends on which node an expert sits), so a plan can be matched to the current
placement by linear assignment before its moves are counted: loads do not change.
"""

from __future__ import annotations

import numpy as np

from schedkit.models.placement.problem import PlacementProblem


def overlap(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(len(a), len(b)) multiset intersection sizes of GPU rows."""
    E = int(max(a.max(), b.max())) + 1
    ca = np.stack([np.bincount(r, minlength=E) for r in a])
    cb = np.stack([np.bincount(r, minlength=E) for r in b])
    out: np.ndarray = np.minimum(ca[:, None, :], cb[None, :, :]).sum(axis=2)
    return out


def keep_slots(new_gpu: np.ndarray, old_gpu: np.ndarray) -> np.ndarray:
    """The experts of `new_gpu` ordered so that those also in `old_gpu` keep their slot."""
    rest = list(new_gpu)
    out = [-1] * len(new_gpu)
    for s, e in enumerate(old_gpu):
        if e in rest:
            out[s] = int(e)
            rest.remove(e)
    it = iter(rest)
    return np.array([x if x >= 0 else int(next(it)) for x in out])


def align(new: np.ndarray, old: np.ndarray, problem: PlacementProblem) -> np.ndarray:
    """Renumber GPUs (within nodes, and nodes unless traffic counts) and slots so that as
    many replicas as possible keep their slot of `old`; loads do not change."""
    from scipy.optimize import linear_sum_assignment  # imported on use: scipy is slow to import

    gpn = problem.gpus_per_node
    new = new.copy()
    if problem.nodes > 1 and not problem.uses_traffic:
        blocks = [new[n * gpn : (n + 1) * gpn].copy() for n in range(problem.nodes)]
        olds = [old[n * gpn : (n + 1) * gpn] for n in range(problem.nodes)]
        gain = np.array([[overlap(b, o).sum() for o in olds] for b in blocks])
        rows, cols = linear_sum_assignment(-gain)
        for r, c in zip(rows, cols, strict=True):
            new[c * gpn : (c + 1) * gpn] = blocks[r]
    for n in range(problem.nodes):
        sl = slice(n * gpn, (n + 1) * gpn)
        rows, cols = linear_sum_assignment(-overlap(new[sl], old[sl]))
        block = new[sl].copy()
        new[sl][cols] = block[rows]
    return np.array([keep_slots(g, o) for g, o in zip(new, old, strict=True)])
