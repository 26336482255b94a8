"""Combinatorial lower bounds on the largest GPU load of each layer.

- average: total load / GPUs;
- replication: some replica of expert e carries at least w_e / c_e tokens and the counts sum to
  at most the slot count R, so the bound is the least T with sum_e max(1, ceil(w_e / T)) <= R
  (it dominates the largest expert load over the largest possible replica count); replicas on
  one GPU add up, so also T >= w_e / GPUs;
- node-local groups: a group's replicas share one node of `gpus_per_node` GPUs.
The problem's bound is the sum over layers (traffic and moves are non-negative).
"""

from __future__ import annotations

import numpy as np

from schedkit.models.placement.problem import PlacementProblem


def replication_bound(w: np.ndarray, slots: int, gpus: int) -> float:
    """Least T with sum_e max(1, ceil(w_e / T)) <= slots, and T >= max w / gpus."""
    w = np.asarray(w, dtype=float)
    top = float(w.max(initial=0.0))
    if top <= 0:
        return 0.0
    base = top / gpus
    k = np.arange(1, gpus + 1)
    cand = np.unique((w[w > 0][:, None] / k[None, :]).ravel())
    cand = cand[cand >= base]

    def fits(t: float) -> bool:
        need = np.maximum(1, np.ceil(w / t - 1e-9)).sum()
        return bool(need <= slots)

    lo, hi = 0, len(cand) - 1  # cand[hi] = top always fits (one replica each)
    while lo < hi:
        mid = (lo + hi) // 2
        if fits(float(cand[mid])):
            hi = mid
        else:
            lo = mid + 1
    return max(base, float(cand[lo]))


def flat_bound(w: np.ndarray, slots: int, gpus: int) -> float:
    """Average and replication bounds of one load vector over `gpus` GPUs with `slots` slots."""
    return max(float(np.sum(w)) / gpus, replication_bound(w, slots, gpus))


def layer_bound(problem: PlacementProblem, layer: int) -> float:
    """A lower bound on the largest GPU load of `layer` (worst scenario)."""
    best = 0.0
    for w in problem.load_stack[:, layer, :]:
        b = flat_bound(w, problem.num_slots, problem.num_gpus)
        if problem.groups_local:
            group_loads = w.reshape(-1, problem.group_size).sum(axis=1)
            b = max(b, float(group_loads.max()) / problem.gpus_per_node)
        best = max(best, b)
    return best


def layer_bounds(problem: PlacementProblem) -> np.ndarray:
    """`layer_bound` of every layer."""
    return np.array([layer_bound(problem, layer) for layer in range(problem.num_layers)])


def lower_bound(problem: PlacementProblem) -> float:
    """Sum over layers of the per-layer bound."""
    return float(layer_bounds(problem).sum())
