"""The `group_local: primary` bounds (home replicas per group; free slots of the other nodes)
against brute-force optima of tiny instances, and their effect on hot-group loads."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from schedkit.models.placement import PlacementProblem
from schedkit.models.placement.bounds import flat_bound, layer_bound
from schedkit.models.placement.primary_bound import movable, transfer_bound


def brute_primary(w: np.ndarray, nodes: int, gpn: int, per_gpu: int, size: int) -> float:
    """Least largest GPU load over every placement where some node holds each whole group."""
    E, G = len(w), nodes * gpn
    cells = np.array(list(itertools.product(range(E), repeat=G * per_gpu)))
    cnt = np.stack([np.bincount(r, minlength=E) for r in cells])
    on = np.zeros((len(cells), E, nodes), dtype=bool)
    rows = np.repeat(np.arange(len(cells)), G * per_gpu)
    on[rows, cells.ravel(), np.tile(np.repeat(np.arange(G) // gpn, per_gpu), len(cells))] = True
    local = on.reshape(len(cells), -1, size, nodes).all(axis=2).any(axis=2).all(axis=1)
    ok = (cnt > 0).all(axis=1) & local
    cells, cnt = cells[ok], cnt[ok]
    load = w[cells] / np.take_along_axis(cnt, cells, axis=1)
    return float(load.reshape(len(cells), G, per_gpu).sum(axis=2).max(axis=1).min())


CASES = [(2, 1, 3, 2), (2, 1, 4, 2)]  # nodes, gpn, slots per GPU, group size


@pytest.mark.parametrize(("nodes", "gpn", "per_gpu", "size"), CASES)
def test_primary_bound_valid(nodes, gpn, per_gpu, size):
    rng = np.random.default_rng(nodes * 100 + gpn * 10 + per_gpu)
    for _ in range(6):
        w = rng.integers(1, 40, nodes * size).astype(float)
        w[:size] *= 4  # one hot group
        p = PlacementProblem.model_validate(
            {
                "loads": [w.tolist()],
                "nodes": nodes,
                "gpus_per_node": gpn,
                "slots_per_gpu": per_gpu,
                "groups": nodes,
            }
        )
        assert p.groups_primary
        opt = brute_primary(w, nodes, gpn, per_gpu, size)
        assert layer_bound(p, 0) <= opt + 1e-9, (w, layer_bound(p, 0), opt)


def test_movable_takes_the_largest_shares():
    # one slot: half of the heaviest expert; two: both halves, or two thirds of one
    assert movable(np.array([8.0, 2.0]), 1) == 4.0
    assert movable(np.array([8.0, 6.0]), 2) == pytest.approx(7.0)
    assert movable(np.array([8.0, 1.0]), 2) == pytest.approx(8.0 * 2 / 3)


def test_transfer_bound_sees_hot_groups():
    # 2 nodes x 1 GPU x 3 slots, groups of 2: the hot group (10, 10) can send one replica
    # (5 tokens) to the other node's single free slot, so its node keeps at least 15
    w = np.array([10.0, 10.0, 1.0, 1.0])
    assert flat_bound(w, 6, 2) == 11.0
    assert transfer_bound(w, 2, 1, 3, 2) == 15.0
