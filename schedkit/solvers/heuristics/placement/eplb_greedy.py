"""DeepSeek's EPLB (github.com/deepseek-ai/EPLB, `eplb.py`) re-implemented in NumPy: the
baseline schedkit improves on.

`rebalance_experts` follows the published algorithm step by step, for all layers at once:
with groups dividing into nodes (hierarchical policy), pack expert groups to nodes by
`balanced_packing` (heaviest first to the lightest pack with room), then replicate experts
inside each node (`replicate_experts`: the expert of largest load per replica gets the next
slot), then pack each node's replicas to its GPUs by `balanced_packing`; otherwise the global
policy (one group, one node). It returns EPLB's `phy2log`, `log2phy` and `logcnt`; its
README example is reproduced exactly (tests/placement/test_eplb.py).
"""

from __future__ import annotations

import numpy as np

from schedkit.models.placement.construct import dense_layer
from schedkit.models.placement.problem import PlacementProblem, PlacementSolution
from schedkit.solvers.heuristics.placement.output import heuristic_output
from schedkit.solvers.result import BackendOutput, SolveOptions


def balanced_packing(weight: np.ndarray, num_packs: int) -> tuple[np.ndarray, np.ndarray]:
    """(pack, rank in pack) of every item: heaviest first to the lightest non-full pack."""
    n = len(weight)
    per_pack = n // num_packs
    if per_pack == 1:
        return np.arange(n), np.zeros(n, dtype=np.int64)
    pack = np.full(n, -1, dtype=np.int64)
    rank = np.full(n, -1, dtype=np.int64)
    loads = [0.0] * num_packs
    items = [0] * num_packs
    for i in np.argsort(-weight, kind="stable"):
        p = min((q for q in range(num_packs) if items[q] < per_pack), key=loads.__getitem__)
        pack[i], rank[i] = p, items[p]
        loads[p] += float(weight[i])
        items[p] += 1
    return pack, rank


def replicate_experts(weight: np.ndarray, num_phy: int) -> tuple[np.ndarray, np.ndarray]:
    """phy2log in creation order (originals first) and replica counts, greedy on load/count."""
    num_log = len(weight)
    phy2log = np.concatenate([np.arange(num_log), np.zeros(num_phy - num_log, dtype=np.int64)])
    cnt = np.ones(num_log, dtype=np.int64)
    for i in range(num_log, num_phy):
        e = int(np.argmax(weight / cnt))
        phy2log[i] = e
        cnt[e] += 1
    return phy2log, cnt


def eplb_layer(
    w: np.ndarray, num_gpus: int, slots_per_gpu: int, num_groups: int, num_nodes: int
) -> np.ndarray:
    """EPLB's placement of one layer as a (gpus, slots) array of logical experts."""
    if num_groups % num_nodes:
        num_groups, num_nodes = 1, 1
    E = len(w)
    gsize = E // num_groups
    per_node_log = E // num_nodes
    phy_per_node = num_gpus * slots_per_gpu // num_nodes
    gpus_per_node = num_gpus // num_nodes
    gpack, grank = balanced_packing(w.reshape(num_groups, gsize).sum(axis=1), num_nodes)
    log2mlog = ((gpack * (num_groups // num_nodes) + grank) * gsize)[:, None] + np.arange(gsize)
    log2mlog = log2mlog.ravel()
    mlog2log = np.empty(E, dtype=np.int64)
    mlog2log[log2mlog] = np.arange(E)
    out = np.empty((num_gpus, slots_per_gpu), dtype=np.int64)
    for node in range(num_nodes):
        logs = mlog2log[node * per_node_log : (node + 1) * per_node_log]
        phy2m, cnt = replicate_experts(w[logs], phy_per_node)
        tokens = (w[logs] / cnt)[phy2m]
        pack, rank = balanced_packing(tokens, gpus_per_node)
        for p, m in enumerate(phy2m):
            out[node * gpus_per_node + pack[p], rank[p]] = logs[m]
    return out


def rebalance_experts(
    weight: np.ndarray, num_replicas: int, num_groups: int, num_nodes: int, num_gpus: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """EPLB's entry point: (phy2log (L, P), log2phy (L, E, max count) padded with -1,
    logcnt (L, E)) for loads `weight` (L, E)."""
    weight = np.asarray(weight, dtype=float)
    L, E = weight.shape
    per_gpu = num_replicas // num_gpus
    phy2log = np.stack(
        [eplb_layer(w, num_gpus, per_gpu, num_groups, num_nodes).ravel() for w in weight]
    )
    logcnt = np.stack([np.bincount(row, minlength=E) for row in phy2log])
    log2phy = np.full((L, E, int(logcnt.max())), -1, dtype=np.int64)
    for layer in range(L):
        fill = np.zeros(E, dtype=np.int64)
        for p, e in enumerate(phy2log[layer]):
            log2phy[layer, e, fill[e]] = p
            fill[e] += 1
    return phy2log, log2phy, logcnt


def eplb_layers(problem: PlacementProblem) -> list[np.ndarray]:
    """EPLB's placement of every layer (hierarchical when groups divide into nodes); an
    all-zero (dense) layer gets `dense_layer`."""
    groups = problem.groups or 1
    nodes = problem.nodes if problem.groups else 1
    G, S = problem.num_gpus, problem.slots_per_gpu
    return [
        eplb_layer(w, G, S, groups, nodes) if w.any() else dense_layer(problem)
        for w in problem.loads
    ]


def solve_eplb(
    problem: PlacementProblem, options: SolveOptions, hint: PlacementSolution | None
) -> BackendOutput:
    """The EPLB greedy alone (baseline; ignores traffic, scenarios and previous placements)."""
    return heuristic_output(problem, eplb_layers(problem), "eplb", options.budget)
