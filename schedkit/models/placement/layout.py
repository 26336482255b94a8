"""Arithmetic on one layer's placement array, shared by every placement backend.

A layer's placement is a (gpus, slots) int array of logical experts; `w` is a (K, E) matrix
of the layer's loads under K scenarios (K = 1 without robust planning). Under `split: even`
a replica of expert e carries w[k, e] / count[e] tokens.
"""

from __future__ import annotations

import numpy as np

from schedkit.models.placement.problem import PlacementProblem, PlacementSolution


def gpu_loads(w: np.ndarray, place: np.ndarray, cnt: np.ndarray) -> np.ndarray:
    """(K, gpus) loads of a (gpus, slots) placement with replica counts `cnt`."""
    per = w / np.maximum(cnt, 1)
    out: np.ndarray = per[:, place].sum(axis=2)
    return out


def value(w: np.ndarray, place: np.ndarray) -> float:
    """Largest GPU load over scenarios of a placement."""
    cnt = np.bincount(place.ravel(), minlength=w.shape[1])
    return float(gpu_loads(w, place, cnt).max())


def counts_to_placement(counts: np.ndarray) -> np.ndarray:
    """(gpus, E) replicas per GPU to a (gpus, slots) placement."""
    experts = np.arange(counts.shape[1])
    return np.array([np.repeat(experts, row) for row in counts], dtype=np.int64)


def replicas_per_gpu(place: np.ndarray, experts: int) -> np.ndarray:
    """(gpus, E) replicas of each expert on each GPU."""
    gpus, slots = place.shape
    out = np.zeros((gpus, experts), dtype=np.int64)
    np.add.at(out, (np.repeat(np.arange(gpus), slots), place.ravel()), 1)
    return out


def shares(problem: PlacementProblem, place: np.ndarray) -> np.ndarray:
    """(E, nodes) share of each expert's replicas on each node."""
    G, S = place.shape
    node = np.repeat(np.arange(G) // problem.gpus_per_node, S)
    out = np.zeros((problem.num_experts, problem.nodes))
    np.add.at(out, (place.ravel(), node), 1.0)
    out /= np.maximum(out.sum(axis=1, keepdims=True), 1.0)
    return out


def group_homes(
    place: np.ndarray, experts: int, gpus_per_node: int, size: int
) -> np.ndarray | None:
    """Home node of every expert: the first node holding a replica of its whole group (None
    when some group has no such node)."""
    G, S = place.shape
    nodes = G // gpus_per_node
    on = np.zeros((experts, nodes), dtype=bool)
    on[place.ravel(), np.repeat(np.arange(G) // gpus_per_node, S)] = True
    grp: np.ndarray = np.all(on.reshape(-1, size, nodes), axis=1)  # (groups, nodes)
    if not bool(np.all(grp.any(axis=1))):
        return None
    home: np.ndarray = np.repeat(np.argmax(grp, axis=1), size)
    return home


def trivial_layer(experts: int, gpus: int, slots: int) -> np.ndarray:
    """Physical slot p holds expert p % E (SGLang's trivial location; dense layers)."""
    out: np.ndarray = (np.arange(gpus * slots) % experts).reshape(gpus, slots)
    return out


def hint_arrays(
    problem: PlacementProblem, hint: PlacementSolution | None
) -> list[np.ndarray] | None:
    """The hint as per-layer arrays when its shape fits the problem."""
    if hint is None:
        return None
    try:
        arr = hint.array()
    except ValueError:
        return None
    if arr.shape != (problem.num_layers, problem.num_gpus, problem.slots_per_gpu):
        return None
    if arr.min(initial=0) < 0 or arr.max(initial=0) >= problem.num_experts:
        return None
    return list(arr)
