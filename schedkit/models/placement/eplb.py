"""EPLB's layout (phy2log, log2phy, logcnt): export, import and consistency check.

`phy2log[l][p]` is the logical expert of physical slot p (GPU p // slots_per_gpu);
`log2phy[l][e]` lists the physical slots of expert e padded with -1 to the largest count;
`logcnt[l][e]` is the replica count. vLLM and SGLang take this layout to place experts.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from schedkit.models.placement.problem import PlacementProblem, PlacementSolution


def layout_arrays(solution: PlacementSolution, num_experts: int) -> dict[str, np.ndarray]:
    """phy2log (L, P), log2phy (L, E, max count) and logcnt (L, E) as int64 arrays."""
    phy2log = solution.array().reshape(len(solution.placement), -1)
    L = phy2log.shape[0]
    logcnt = np.stack([np.bincount(row, minlength=num_experts) for row in phy2log])
    width = int(logcnt.max())
    log2phy = np.full((L, num_experts, width), -1, dtype=np.int64)
    for layer in range(L):
        fill = np.zeros(num_experts, dtype=np.int64)
        for p, e in enumerate(phy2log[layer]):
            log2phy[layer, e, fill[e]] = p
            fill[e] += 1
    return {"phy2log": phy2log, "log2phy": log2phy, "logcnt": logcnt}


def to_eplb(solution: PlacementSolution, num_experts: int) -> dict[str, Any]:
    """The layout as JSON-ready nested lists."""
    return {k: v.tolist() for k, v in layout_arrays(solution, num_experts).items()}


def to_eplb_json(solution: PlacementSolution, num_experts: int, indent: int | None = None) -> str:
    return json.dumps(to_eplb(solution, num_experts), indent=indent)


def to_torch(solution: PlacementSolution, num_experts: int) -> dict[str, Any]:
    """The layout as torch int64 tensors (needs torch)."""
    import torch

    return {k: torch.from_numpy(v.copy()) for k, v in layout_arrays(solution, num_experts).items()}


def check_layout(phy2log: Any, log2phy: Any, logcnt: Any) -> list[str]:
    """Inconsistencies between the three arrays (an empty list when they agree)."""
    p2l = np.asarray(phy2log, dtype=np.int64)
    l2p = np.asarray(log2phy, dtype=np.int64)
    cnt = np.asarray(logcnt, dtype=np.int64)
    errors: list[str] = []
    for layer in range(p2l.shape[0]):
        real = np.bincount(p2l[layer], minlength=cnt.shape[1])
        if real.shape != cnt[layer].shape or np.any(real != cnt[layer]):
            errors.append(f"layer {layer}: logcnt differs from the counts in phy2log")
        for e in range(cnt.shape[1]):
            slots = [int(p) for p in l2p[layer, e] if p >= 0]
            if len(slots) != cnt[layer, e] or any(p2l[layer, p] != e for p in slots):
                errors.append(f"layer {layer}: log2phy of expert {e} disagrees with phy2log")
    return errors


def from_eplb(phy2log: Any, slots_per_gpu: int) -> PlacementSolution:
    """A solution from EPLB's phy2log (layers x physical slots)."""
    p2l = np.asarray(phy2log, dtype=np.int64)
    placement = p2l.reshape(p2l.shape[0], -1, slots_per_gpu).tolist()
    return PlacementSolution.model_validate({"placement": placement})


def export_json(problem: PlacementProblem, solution: PlacementSolution) -> str:
    """`schedkit export --format eplb`: EPLB's layout (phy2log, log2phy, logcnt) as JSON."""
    return to_eplb_json(solution, problem.num_experts, indent=2) + "\n"
