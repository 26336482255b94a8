"""The batched `primary` start (`quick_primary`): its bookkeeping against recomputation, its
packing steps against brute force, validity, and its balance against EPLB on the preset."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from schedkit.generate.placement import PRESET_TOKENS, PRESETS, instance
from schedkit.models.placement import PlacementProblem, PlacementSolution, validate
from schedkit.models.placement.layout import group_homes, value
from schedkit.models.placement.quick_primary import (
    Grow,
    block_floor,
    eplb_top,
    homes,
    quick_layers,
    resplit,
)
from schedkit.solvers.exact.placement_layers import incumbent
from schedkit.solvers.heuristics.placement.eplb_greedy import solve_eplb
from schedkit.solvers.portfolio import solve
from schedkit.solvers.result import SolveOptions


def preset(nodes: int, group_local: str) -> PlacementProblem:
    """The deepseek-v3 preset (61 layers, 3 dense) at EP32 (4 nodes, 9 slots) or EP64 (8, 5)."""
    pre = PRESETS["deepseek-v3"]
    slots = 9 if nodes == 4 else 5
    data = instance(
        "ds", pre["layers"], 256, nodes * 8 * slots - 256, nodes, 8, groups=8, dist="grouped",
        skew=pre["skew"], group_skew=pre["group_skew"], dense=pre["dense_layers"],
        tokens=PRESET_TOKENS, seed=0,
    )  # fmt: skip
    return PlacementProblem.model_validate({**data, "group_local": group_local})


def balance(p: PlacementProblem, layers: list[np.ndarray]) -> np.ndarray:
    """max / mean GPU load of every layer with load."""
    w = p.load_stack
    moe = np.flatnonzero(w.sum(axis=(0, 2)) > 0)
    return np.array(
        [value(w[:, i], layers[i]) / (w[:, i].sum(axis=1).max() / p.num_gpus) for i in moe]
    )


def test_grow_keeps_its_tops_and_loads_exact():
    p = preset(8, "primary")
    size = p.load_stack[0, 3:13]  # 10 MoE layers
    L, E = size.shape
    home = np.repeat(homes(size.reshape(L, 8, 32).sum(axis=2), 8, 32, 40), 32, axis=1)
    g = Grow(size, home, 8, 40, 8, eplb_top(size, 320))
    rep = g.run()
    cnt = rep.sum(axis=1)
    assert (g.free == 0).all() and (rep.sum(axis=2) == 40).all()
    assert (g.cnt == cnt).all() and np.allclose(g.item, size / cnt)
    assert (rep[np.arange(L)[:, None], home, np.arange(E)[None, :]] >= 1).all()  # home replicas
    assert np.allclose(g.loads, np.einsum("lne,le->ln", rep, size / cnt))
    held = np.where(rep > 0, (size / cnt)[:, None, :], -1.0)
    top2 = -np.sort(-held, axis=2)[:, :, :2]
    assert np.allclose(g.first, top2[:, :, 0]) and np.allclose(
        g.second, np.maximum(top2[:, :, 1], 0)
    )
    assert np.allclose(g.least, np.where(rep > 0, (size / cnt)[:, None, :], np.inf).min(axis=2))


def brute_hottest(sizes: np.ndarray, gpus: int, per_gpu: int) -> float:
    """Least hottest GPU over every split of the items into `gpus` x `per_gpu`."""
    best = np.inf
    for perm in itertools.permutations(range(len(sizes))):
        best = min(best, sizes[list(perm)].reshape(gpus, per_gpu).sum(axis=1).max())
    return float(best)


@pytest.mark.parametrize("seed", range(6))
def test_block_floor_and_resplit_against_brute_force(seed):
    rng = np.random.default_rng(seed)
    per = rng.lognormal(0.0, 1.0, (1, 1, 6))  # one layer, 6 replicas of distinct experts
    block = rng.permutation(6).reshape(1, 3, 2)
    best = brute_hottest(per[0, 0], 3, 2)
    assert block_floor(per[:, [0]][:, :, block[0]]) <= best + 1e-12
    out = resplit(per, block, np.zeros(1, dtype=np.int64))
    assert sorted(out.ravel()) == list(range(6))
    hottest = per[0, 0][out[0]].sum(axis=1).max()
    assert hottest <= per[0, 0][block[0]].sum(axis=1).max() + 1e-12
    # three GPUs of two: the best split of the hottest GPU with either partner is optimal here
    assert hottest == pytest.approx(best)


@pytest.mark.parametrize("nodes", [4, 8])
def test_quick_layers_are_valid_and_far_ahead_of_eplb(nodes):
    # EPLB's hierarchical policy on the preset: 1.1868 (EP32) and 1.8561 (EP64) mean balance;
    # the batched start: 1.0040 and 1.0627
    p = preset(nodes, "primary")
    layers = list(quick_layers(p))
    sol = solve(p, "heuristic", time_limit=0).solution
    assert sol is not None
    assert validate(p, sol).feasible
    assert all(group_homes(q, 256, p.gpus_per_node, 32) is not None for q in layers)
    strict = PlacementProblem.model_validate({**p.model_dump(), "group_local": "strict"})
    eplb = solve_eplb(strict, SolveOptions(time_limit=60, threads=1), None).solution
    assert eplb is not None
    ours, theirs = balance(p, layers).mean(), balance(strict, list(eplb.array())).mean()
    assert (ours, theirs) == pytest.approx(
        {4: (1.0040, 1.1868), 8: (1.0627, 1.8561)}[nodes], abs=1e-4
    )


def test_time_limit_zero_keeps_the_batched_start():
    p = preset(8, "primary")
    r = solve(p, "heuristic", time_limit=0)
    assert r.valid and r.solution is not None
    assert (r.solution.array() == quick_layers(p)).all()


def test_exact_backends_start_from_the_batched_start():
    p = preset(4, "primary")
    ctx = incumbent(p, None)
    assert all((a == b).all() for a, b in zip(ctx.place, quick_layers(p), strict=True))


@pytest.mark.parametrize(
    ("nodes", "gpn", "per_gpu", "groups", "extra", "scenarios"),
    [
        (1, 2, 3, 2, 2, 0),  # one node
        (2, 1, 4, 4, 0, 0),  # one GPU per node: nothing to re-split
        (2, 2, 1, 2, 0, 1),  # one slot per GPU, a second load matrix
        (3, 2, 2, 3, 3, 1),  # more slots than experts need, zero loads
        (2, 3, 3, 6, 6, 0),  # three groups per node
    ],
)
def test_quick_layers_valid_on_small_shapes(nodes, gpn, per_gpu, groups, extra, scenarios):
    rng = np.random.default_rng(nodes * 100 + gpn * 10 + per_gpu)
    experts = nodes * gpn * per_gpu - extra
    loads = rng.lognormal(0.0, 1.0, (4, experts)).round(1)
    loads[1] = 0.0  # a dense layer
    loads[2, ::3] = 0.0  # experts without load
    data = {
        "loads": loads.tolist(),
        "nodes": nodes,
        "gpus_per_node": gpn,
        "slots_per_gpu": per_gpu,
        "groups": groups,
        "group_local": "primary",
        "scenarios": [(loads * rng.uniform(0.5, 1.5, loads.shape)).tolist()] * scenarios,
    }
    p = PlacementProblem.model_validate(data)
    layers = quick_layers(p)
    assert layers.shape == (4, nodes * gpn, per_gpu)
    sol = PlacementSolution(placement=layers.tolist())
    report = validate(p, sol)
    assert report.feasible, report.violations[:3]
    r = solve(p, "heuristic", time_limit=0)
    assert r.valid
