"""Combinatorial lower bounds on the largest GPU load of each layer.

- average: total load / GPUs;
- replication: some replica of expert e carries at least w_e / c_e tokens and the counts sum to
  at most the slot count R, so the bound is the least T with sum_e max(1, ceil(w_e / T)) <= R
  (it dominates the largest expert load over the largest possible replica count); replicas on
  one GPU add up, so also T >= w_e / GPUs;
- count enumeration (even split, few experts): every replica-count vector that can beat a
  quick upper bound U (c_e >= w_e / U) is enumerated and bounded on its own: with one slot per
  GPU by its largest replica, with two by pairing the sorted replicas largest with smallest
  (optimal for exactly two items per GPU), otherwise by the average, and the GPU of the largest
  replica holding the smallest others; the least over the vectors is a bound, and the optimum
  itself when slots_per_gpu <= 2;
- strict node-local groups: a group's replicas share one node of `gpus_per_node` GPUs;
- primary node-local groups: each group's home node carries its home replicas
  (`primary_bound`).
The problem's bound is the sum over layers (traffic and moves are non-negative).
"""

from __future__ import annotations

import heapq
import itertools
import math
import time
from typing import TYPE_CHECKING

import numpy as np

from schedkit.models.placement.primary_bound import primary_bound, transfer_bound
from schedkit.models.placement.problem import PlacementProblem

if TYPE_CHECKING:
    from schedkit.solvers.budget import Budget


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


ENUM_LIMIT = 20000
"""Most count vectors the enumeration bound looks at (else it is skipped)."""


def greedy_counts(w: np.ndarray, slots: int) -> np.ndarray:
    """Replica counts by the greedy on load per replica (EPLB's replication)."""
    cnt = np.ones(len(w), dtype=np.int64)
    heap = [(-float(v), e) for e, v in enumerate(w)]
    heapq.heapify(heap)
    for _ in range(slots - len(w)):
        _, e = heapq.heappop(heap)
        cnt[e] += 1
        heapq.heappush(heap, (-float(w[e]) / cnt[e], e))
    return cnt


def packed_value(w: np.ndarray, counts: np.ndarray, gpus: int, per_gpu: int) -> float:
    """Largest GPU load of longest-first packing with `per_gpu` replicas per GPU (a value
    some placement reaches; pairs largest with smallest when per_gpu == 2)."""
    items = np.sort(np.repeat(w / counts, counts))[::-1]
    if per_gpu == 1:
        return float(items[0])
    if per_gpu == 2:
        return float((items[:gpus] + items[::-1][:gpus]).max())
    heap = [(0.0, 0, g) for g in range(gpus)]
    top = 0.0
    for v in items:
        load, n, g = heapq.heappop(heap)
        load += float(v)
        top = max(top, load)
        if n + 1 < per_gpu:
            heapq.heappush(heap, (load, n + 1, g))
    return top


def count_vectors(kmin: np.ndarray, total: int) -> np.ndarray:
    """(V, E): every vector c >= kmin with sum(c) == total (stars and bars)."""
    E = len(kmin)
    extra = total - int(kmin.sum())
    if extra < 0:
        return np.zeros((0, E), dtype=np.int64)
    if E == 1:
        return np.array([[total]], dtype=np.int64)
    bars = np.array(list(itertools.combinations(range(extra + E - 1), E - 1)), dtype=np.int64)
    edges = np.hstack([np.full((len(bars), 1), -1), bars, np.full((len(bars), 1), extra + E - 1)])
    out: np.ndarray = np.diff(edges, axis=1) - 1 + kmin[None, :]
    return out


def vector_bounds(w: np.ndarray, counts: np.ndarray, gpus: int, per_gpu: int) -> np.ndarray:
    """(V,) a bound on the largest GPU load of each count vector (exact if per_gpu <= 2)."""
    n = gpus * per_gpu
    kmax = int(counts.max())
    k = np.arange(kmax)[None, None, :]
    size = np.where(k < counts[:, :, None], (w[None, :] / counts)[:, :, None], -np.inf).reshape(
        len(counts), -1
    )
    items = -np.sort(-size, axis=1)[:, :n]  # descending, exactly n finite per row
    if per_gpu == 1:
        out: np.ndarray = items[:, 0]
        return out
    if per_gpu == 2:
        out = (items[:, :gpus] + items[:, ::-1][:, :gpus]).max(axis=1)
        return out
    avg = float(w.sum()) / gpus
    out = np.maximum(avg, items[:, 0] + items[:, n - per_gpu + 1 :].sum(axis=1))
    return out


def enumerated_counts(
    w: np.ndarray, slots: int, gpus: int, per_gpu: int
) -> tuple[float, np.ndarray] | None:
    """(bound, count vectors sorted by their bound) under even split, when few enough vectors
    can beat the greedy's value; None otherwise. The bound is the optimum if per_gpu <= 2."""
    w = np.asarray(w, dtype=float)
    E = len(w)
    if E > 48 or slots < E:
        return None
    kmin = np.ones(E, dtype=np.int64)
    ub = packed_value(w, greedy_counts(w, slots), gpus, per_gpu)
    if ub > 0:
        kmin = np.maximum(1, np.ceil(w / ub - 1e-9)).astype(np.int64)
    extra = slots - int(kmin.sum())
    if extra < 0 or math.comb(extra + E - 1, E - 1) > ENUM_LIMIT:
        return None
    vecs = count_vectors(kmin, slots)
    if len(vecs) == 0:
        return None
    vb = vector_bounds(w, vecs, gpus, per_gpu)
    order = np.argsort(vb, kind="stable")
    return float(vb[order[0]]), vecs[order]


def flat_bound(w: np.ndarray, slots: int, gpus: int) -> float:
    """Average and replication bounds of one load vector over `gpus` GPUs with `slots` slots."""
    return max(float(np.sum(w)) / gpus, replication_bound(w, slots, gpus))


def layer_bound(problem: PlacementProblem, layer: int) -> float:
    """A lower bound on the largest GPU load of `layer` (worst scenario)."""
    best = 0.0
    for w in problem.load_stack[:, layer, :]:
        b = flat_bound(w, problem.num_slots, problem.num_gpus)
        if problem.split == "even":
            enum = enumerated_counts(w, problem.num_slots, problem.num_gpus, problem.slots_per_gpu)
            if enum is not None:
                b = max(b, enum[0])
        if problem.groups_strict:
            group_loads = w.reshape(-1, problem.group_size).sum(axis=1)
            b = max(b, float(group_loads.max()) / problem.gpus_per_node)
        if problem.groups_primary:
            b = max(b, primary_layer_bound(problem, w, b))
        best = max(best, b)
    return best


def primary_layer_bound(problem: PlacementProblem, w: np.ndarray, known: float) -> float:
    """`group_local: primary` bounds of one load vector (`known`: a bound already found)."""
    p = problem
    return primary_vector_bound(w, p.group_size, p.gpus_per_node, p.slots_per_gpu, p.nodes, known)


def primary_vector_bound(
    w: np.ndarray, size: int, gpn: int, per_gpu: int, nodes: int, known: float
) -> float:
    """`primary_layer_bound` from the shape: groups of `size`, `nodes` x `gpn` GPUs."""
    per_node = gpn * per_gpu
    b = primary_bound(w, size, gpn, nodes * per_node, known)
    if per_node // size == 1:  # at most one group per node
        b = max(b, transfer_bound(w, size, gpn, per_node, nodes))
    return b


def layer_bounds(problem: PlacementProblem, budget: Budget | None = None) -> np.ndarray:
    """`layer_bound` of every layer; once what is left of `budget` is less than the longest
    layer bound so far took, the average bound (O(E)) for the layers left."""
    out = np.empty(problem.num_layers)
    longest = 0.0
    for layer in range(problem.num_layers):
        if budget is not None and budget.remaining() <= longest:
            out[layer:] = (
                problem.load_stack[:, layer:, :].sum(axis=2).max(axis=0) / problem.num_gpus
            )
            break
        start = time.perf_counter()
        out[layer] = layer_bound(problem, layer)
        longest = max(longest, time.perf_counter() - start)
    return out


def lower_bound(problem: PlacementProblem, budget: Budget | None = None) -> float:
    """Sum over layers of the per-layer bound (within `budget`)."""
    return float(layer_bounds(problem, budget).sum())
