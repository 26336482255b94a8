"""Placement: bound validity against brute force, exact small instances, group_local modes,
lexicographic traffic, exact backends under `group_local: primary`."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from schedkit.generate.placement import instance
from schedkit.io.loader import load
from schedkit.models.placement import PlacementProblem, PlacementSolution, validate
from schedkit.models.placement.bounds import layer_bound
from schedkit.solvers.portfolio import solve
from schedkit.solvers.result import Status


def brute_optimum(w: np.ndarray, gpus: int, per_gpu: int) -> float:
    """Least largest GPU load over every slot assignment covering all experts (even split)."""
    E = len(w)
    cells = np.array(list(itertools.product(range(E), repeat=gpus * per_gpu)))
    cnt = np.stack([np.bincount(r, minlength=E) for r in cells])
    ok = (cnt > 0).all(axis=1)
    cells, cnt = cells[ok], cnt[ok]
    size = w[cells] / np.take_along_axis(cnt, cells, axis=1)
    return float(size.reshape(len(cells), gpus, per_gpu).sum(axis=2).max(axis=1).min())


CASES = [(E, G, s) for E in (2, 3, 4) for G in (2, 3) for s in (1, 2, 3) if E <= G * s <= 7]


@pytest.mark.parametrize(("E", "G", "s"), CASES)
def test_bound_valid_and_tight_for_two_slots(E, G, s):
    rng = np.random.default_rng(100 * E + 10 * G + s)
    for _ in range(3):
        w = rng.integers(1, 60, E).astype(float)
        p = PlacementProblem.model_validate(
            {"loads": [w.tolist()], "gpus_per_node": G, "slots_per_gpu": s}
        )
        opt = brute_optimum(w, G, s)
        b = layer_bound(p, 0)
        assert b <= opt + 1e-9, (w, G, s, b, opt)
        if s <= 2:  # enumeration + pairing is exact there
            assert b == pytest.approx(opt), (w, G, s, b, opt)


def test_small_instance_solved_exactly_by_heuristic():
    p = PlacementProblem.model_validate(instance("s", 3, 8, 8, 1, 8, seed=0))
    r = solve(p, "heuristic", time_limit=2)
    assert r.status is Status.OPTIMAL and r.gap == pytest.approx(0.0, abs=1e-12)
    greedy = solve(p, "eplb", time_limit=1)
    assert r.objective < greedy.objective


def grouped(mode: object) -> PlacementProblem:
    return PlacementProblem.model_validate(
        {
            "loads": [[8, 1, 1, 1]],
            "nodes": 2,
            "gpus_per_node": 1,
            "slots_per_gpu": 3,
            "groups": 2,
            "group_local": mode,
        }
    )


def placed(rows: list[list[int]]) -> PlacementSolution:
    return PlacementSolution.model_validate({"placement": [rows]})


def test_group_local_modes():
    assert grouped(True).group_local == "strict" and grouped(False).group_local == "off"
    default = grouped("off").model_dump()
    del default["group_local"]
    assert PlacementProblem.model_validate(default).group_local == "primary"
    spread = placed([[0, 1, 2], [0, 2, 3]])  # group 0's expert 0 also replicated on node 1
    assert validate(grouped("primary"), spread).feasible
    assert "group_split" in validate(grouped("strict"), spread).codes()
    torn = placed([[0, 2, 3], [1, 2, 3]])  # no node holds both experts of group 0
    assert "group_not_local" in validate(grouped("primary"), torn).codes()
    assert validate(grouped("off"), torn).feasible
    # the hot expert 0 can only be spread across nodes without strict locality
    for mode in ("primary", "strict", "off"):
        assert solve(grouped(mode), "heuristic", time_limit=1).valid
    prim = solve(grouped("primary"), "cpsat", time_limit=5, threads=2)
    strict = solve(grouped("strict"), "cpsat", time_limit=5, threads=2)
    assert prim.status is Status.OPTIMAL and prim.objective < strict.objective
    milp = solve(grouped("primary"), "milp", time_limit=5, threads=2)
    assert milp.status is Status.OPTIMAL and milp.objective == pytest.approx(prim.objective)


def test_primary_groups_balance_at_deployment_size():
    data = instance("g", 3, 128, 16, 2, 8, seed=0)
    runs = {}
    for mode in ("primary", "strict"):
        p = PlacementProblem.model_validate({**data, "groups": 8, "group_local": mode})
        runs[mode] = solve(p, "heuristic", time_limit=3)
        assert runs[mode].valid
    assert runs["primary"].metrics["balance_mean"] <= 1.01
    assert runs["primary"].objective <= runs["strict"].objective + 1e-9


def test_lexicographic_lowers_traffic_at_equal_balance(instances_dir):
    p = load(instances_dir / "placement" / "small_traffic.yaml")
    assert p.group_local == "primary"
    only = PlacementProblem.model_validate({**p.model_dump(), "traffic_weight": 0.0})
    lexi = PlacementProblem.model_validate(
        {**p.model_dump(), "traffic_weight": 0.0, "traffic_mode": "lexicographic"}
    )
    assert lexi.lexicographic and not lexi.uses_traffic
    a = solve(only, "heuristic", time_limit=2)
    b = solve(lexi, "heuristic", time_limit=2)
    ma, mb = validate(p, a.solution).metrics, validate(p, b.solution).metrics
    assert mb["inter_node_traffic"] < ma["inter_node_traffic"]
    for x, y in zip(mb["max_loads"], ma["max_loads"], strict=True):
        assert x <= y * (1 + 1e-9)
    c = solve(lexi, "cpsat", time_limit=4, threads=2)  # exact balance, then the same pass
    mc = validate(p, c.solution).metrics
    assert c.valid and mc["inter_node_traffic"] < ma["inter_node_traffic"]
