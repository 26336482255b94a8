"""A NumPy re-implementation of DeepSeek's EPLB greedy (the baseline schedkit improves on).

Replicate the expert with the highest load per replica until the slots are used, then pack
replicas to GPUs by longest-first greedy with equal item counts (`balanced_packing`). The
hierarchical variant (groups % nodes == 0) first packs expert groups to nodes and replicates
within each node. Without it, the global policy is vLLM's: one group, one node. Output for
one layer: a (gpus, slots) array of logical experts, identical to EPLB's `phy2log`.
"""

from __future__ import annotations

import numpy as np


def balanced_packing(weight: np.ndarray, num_packs: int) -> tuple[np.ndarray, np.ndarray]:
    """Pack items to `num_packs` packs with equal counts, heaviest first to the lightest pack."""
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
