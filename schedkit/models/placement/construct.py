"""Constructive steps of a placement, shared by the heuristic and the exact backends' start.

Replica counts by the greedy on load per replica, packings of replicas on GPUs with equal
counts (longest-first and balanced largest differencing), group home nodes, redundant
replicas spread over nodes, and `start_layer`: a quick valid placement of one layer for
every variant (flat, `strict` and `primary` groups, re-planning under a move budget).
"""

from __future__ import annotations

import heapq

import numpy as np

from schedkit.models.placement.bounds import greedy_counts
from schedkit.models.placement.layout import trivial_layer, value
from schedkit.models.placement.node_greedy import group_nodes, node_greedy
from schedkit.models.placement.problem import PlacementProblem
from schedkit.models.placement.resplit import resplit_nodes


def replicate(w: np.ndarray, slots: int) -> np.ndarray:
    """Replica counts minimising the largest load per replica (greedy on w / count)."""
    return greedy_counts(w.max(axis=0), slots)


def items_of(cnt: np.ndarray) -> np.ndarray:
    """The expert of every replica (expert e repeated cnt[e] times)."""
    return np.repeat(np.arange(len(cnt)), cnt)


def pack_lpt(size: np.ndarray, gpus: int, per_gpu: int) -> np.ndarray:
    """Longest-first greedy with equal counts; returns (gpus, per_gpu) item indices."""
    out = np.empty((gpus, per_gpu), dtype=np.int64)
    fill = [0] * gpus
    heap = [(0.0, g) for g in range(gpus)]
    for i in np.argsort(-size, kind="stable"):
        load, g = heapq.heappop(heap)
        out[g, fill[g]] = i
        fill[g] += 1
        if fill[g] < per_gpu:
            heapq.heappush(heap, (load + float(size[i]), g))
    return out


def pack_bldm(size: np.ndarray, gpus: int, per_gpu: int) -> np.ndarray:
    """Balanced largest differencing: merge chunks of `gpus` items, heaviest with lightest."""
    order = np.argsort(-size, kind="stable")
    heap: list[tuple[float, int, list[list[int]], list[float]]] = []
    for c in range(per_gpu):
        chunk = order[c * gpus : (c + 1) * gpus]
        sets = [[int(i)] for i in chunk]
        sums = [float(size[i]) for i in chunk]
        heap.append((-(max(sums) - min(sums)), c, sets, sums))
    heapq.heapify(heap)
    tick = per_gpu
    while len(heap) > 1:
        _, _, sa, ua = heapq.heappop(heap)
        _, _, sb, ub = heapq.heappop(heap)
        ia = sorted(range(gpus), key=lambda i: -ua[i])
        ib = sorted(range(gpus), key=lambda i: ub[i])
        sets = [sa[i] + sb[j] for i, j in zip(ia, ib, strict=True)]
        sums = [ua[i] + ub[j] for i, j in zip(ia, ib, strict=True)]
        heapq.heappush(heap, (-(max(sums) - min(sums)), tick, sets, sums))
        tick += 1
    return np.array(heap[0][2], dtype=np.int64)


def pack_counts(w: np.ndarray, cnt: np.ndarray, gpus: int, per_gpu: int) -> np.ndarray:
    """The better of LPT and differencing for replica counts `cnt`: (gpus, per_gpu) experts."""
    items = items_of(cnt)
    size = (w.max(axis=0) / cnt)[items]
    packs = [items[f(size, gpus, per_gpu)] for f in (pack_lpt, pack_bldm)]
    return min(packs, key=lambda q: value(w, q))


def home_nodes(
    w: np.ndarray, cnt: np.ndarray, group_size: int, nodes: int, room: int
) -> np.ndarray:
    """A home node per group: longest-first by the load of the group's first replicas, at
    most `room` experts per node."""
    first = (w.max(axis=0) / cnt).reshape(-1, group_size).sum(axis=1)
    return group_nodes(first, nodes, group_size, room)


def spread_extras(
    w: np.ndarray, cnt: np.ndarray, home: np.ndarray, nodes: int, per_node: int
) -> np.ndarray:
    """(nodes, E) replicas per node: each expert's first replica on its home node, the others,
    largest first, on the node with the least load that has a free slot."""
    size = w.max(axis=0) / cnt
    rep = np.zeros((nodes, len(cnt)), dtype=np.int64)
    rep[home, np.arange(len(cnt))] = 1
    load = np.bincount(home, weights=size, minlength=nodes)
    free = per_node - rep.sum(axis=1)
    extra = np.repeat(np.arange(len(cnt)), cnt - 1)
    for e in extra[np.argsort(-size[extra], kind="stable")]:
        ok = np.flatnonzero(free > 0)
        n = int(ok[np.argmin(load[ok])])
        rep[n, e] += 1
        load[n] += size[e]
        free[n] -= 1
    return rep


def pack_nodes(w: np.ndarray, rep: np.ndarray, gpus_per_node: int, per_gpu: int) -> np.ndarray:
    """(gpus, per_gpu) placement of each node's replicas on its GPUs (better of LPT and
    differencing)."""
    nodes, E = rep.shape
    size = w.max(axis=0) / rep.sum(axis=0)
    out = np.empty((nodes * gpus_per_node, per_gpu), dtype=np.int64)
    for n in range(nodes):
        items = np.repeat(np.arange(E), rep[n])
        packs = [items[f(size[items], gpus_per_node, per_gpu)] for f in (pack_lpt, pack_bldm)]
        out[n * gpus_per_node : (n + 1) * gpus_per_node] = min(
            packs, key=lambda q: float(size[q].sum(axis=1).max())
        )
    return out


def primary_start(
    w: np.ndarray, cnt: np.ndarray, group_size: int, nodes: int, per_node: int
) -> tuple[np.ndarray, np.ndarray]:
    """(home node per expert, (nodes, E) replicas per node) for counts `cnt`."""
    home = np.repeat(home_nodes(w, cnt, group_size, nodes, per_node), group_size)
    return home, spread_extras(w, cnt, home, nodes, per_node)


def strict_start(w: np.ndarray, p: PlacementProblem) -> np.ndarray:
    """Whole groups to nodes (longest-first), then each node replicated and packed alone."""
    size, gpn, S = p.group_size, p.gpus_per_node, p.slots_per_gpu
    ones = np.ones(w.shape[1], dtype=np.int64)
    home = home_nodes(w, ones, size, p.nodes, gpn * S)
    out = np.empty((p.num_gpus, S), dtype=np.int64)
    for n in range(p.nodes):
        experts = np.concatenate(
            [np.arange(g * size, (g + 1) * size) for g in np.flatnonzero(home == n)]
        )
        local = w[:, experts]
        out[n * gpn : (n + 1) * gpn] = experts[
            pack_counts(local, replicate(local, gpn * S), gpn, S)
        ]
    return out


def dense_layer(p: PlacementProblem) -> np.ndarray:
    """The placement of an all-zero (dense) layer: SGLang's trivial one (slot p holds expert
    p % E), or with node-local groups the constructive one for equal loads."""
    if not (p.groups_strict or p.groups_primary):
        return trivial_layer(p.num_experts, p.num_gpus, p.slots_per_gpu)
    return load_start(p, np.ones((1, p.num_experts)))


def start_layer(p: PlacementProblem, layer: int) -> np.ndarray:
    """A quick valid placement of `layer` (the previous one when a move budget binds)."""
    w = p.load_stack[:, layer, :]
    if p.previous is not None and p.max_moves is not None:
        return np.array(p.previous[layer], dtype=np.int64)
    if not w.any():
        return dense_layer(p)
    return load_start(p, w)


def load_start(p: PlacementProblem, w: np.ndarray) -> np.ndarray:
    """The constructive placement for loads `w` (K, E) (groups kept as the problem says)."""
    if p.groups_strict:
        return strict_start(w, p)
    cnt = replicate(w, p.num_slots)
    if p.groups_primary:  # the better of the node-aware greedy and the greedy counts
        gpn, S = p.gpus_per_node, p.slots_per_gpu
        _, fast = node_greedy(w, p.group_size, p.nodes, gpn, S)
        _, spread = primary_start(w, cnt, p.group_size, p.nodes, gpn * S)
        packs = [(pack_nodes(w, rep, gpn, S), rep) for rep in (fast, spread)]
        place, rep = min(packs, key=lambda q: value(w, q[0]))
        # pairs of GPUs re-split: 1.123 to 1.074 mean balance on the deepseek-v3 preset at
        # EP64 for some 2 ms more per layer (docs/placement.md)
        return resplit_nodes(w, place, rep.sum(axis=0), gpn)
    return pack_counts(w, cnt, p.num_gpus, p.slots_per_gpu)
