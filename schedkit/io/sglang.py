"""SGLang interop: expert-distribution dumps in, `--init-expert-location` placements out.

In: SGLang's expert-distribution recorder (`/dump_expert_distribution_record`, stat mode)
saves a torch `.pt` dict whose `logical_count` holds tokens per (layer, logical expert), or per
(pass, layer, expert) when it keeps a window of passes (summed over passes here). The same
object as `.json` is read too. Every model layer is a row, dense ones included (all zeros: the
first 3 of DeepSeek-V3), so layer numbers stay SGLang's.

Out: `{"physical_to_logical_map": [[...] x layers]}`, layers x physical slots (slot p sits on
GPU p // slots_per_gpu), the JSON that `--init-expert-location FILE.json` loads through
`ExpertLocationMetadata.init_by_mapping`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from schedkit.models.placement.problem import PlacementProblem, PlacementSolution

KEY = "logical_count"


def _as_counts(raw: Any, what: str) -> np.ndarray:
    """The (layers, experts) count matrix of a dump's `logical_count` value."""
    if hasattr(raw, "detach"):  # a torch tensor
        raw = raw.detach().cpu().numpy()
    try:
        arr = np.asarray(raw, dtype=float)
    except (ValueError, TypeError):
        raise ValueError(f"{what}: {KEY} must be a numeric array (ragged or not numbers)") from None
    if arr.ndim == 3:  # (passes, layers, experts): a window of forward passes
        arr = arr.sum(axis=0)
    if arr.ndim != 2:
        raise ValueError(f"{what}: {KEY} must be layers x experts (or passes x layers x experts)")
    return arr


def counts_from_object(data: Any, what: str = "the dump") -> np.ndarray:
    """The count matrix of a dump object (a mapping with `logical_count`)."""
    if not isinstance(data, dict) or KEY not in data:
        keys = sorted(map(str, data))[:5] if isinstance(data, dict) else []
        raise ValueError(
            f"expected an array of numbers or an SGLang expert-distribution dump "
            f"(an object with {KEY!r}), got an object with keys {keys}"
        )
    return _as_counts(data[KEY], what)


def read_pt(path: Path) -> np.ndarray:
    """The count matrix of an SGLang `.pt` dump (needs torch)."""
    try:
        import torch
    except ImportError:
        raise ValueError(
            f"reading {str(path)!r} needs torch (pip install 'schedkit[replay]'), or save the "
            f"dump as JSON: {{{KEY!r}: [[...], ...]}}"
        ) from None
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many kinds for a bad file
        raise ValueError(f"torch cannot load it: {type(exc).__name__}: {exc}") from None
    if hasattr(data, "detach"):
        return _as_counts(data, "the tensor")
    return counts_from_object(data)


def physical_to_logical_map(placement: Any) -> list[list[int]]:
    """Layers x physical slots from a placement ([layer][gpu][slot] -> logical expert)."""
    return [[int(e) for gpu in layer for e in gpu] for layer in placement]


def to_sglang(placement: Any) -> dict[str, Any]:
    """The object `--init-expert-location` takes."""
    return {"physical_to_logical_map": physical_to_logical_map(placement)}


def to_sglang_json(problem: PlacementProblem, solution: PlacementSolution) -> str:
    """Exporter `sglang`: the placement as SGLang's `--init-expert-location` JSON (one line per
    layer)."""
    rows = physical_to_logical_map(solution.placement)
    body = ",\n".join("  " + json.dumps(r) for r in rows)
    return '{"physical_to_logical_map": [\n' + body + "\n]}\n"
