"""Placement model: loading, input errors, validator codes, bounds, EPLB layout, round trips."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest
from pydantic import ValidationError

from schedkit.io.loader import load
from schedkit.models.placement import PlacementProblem, PlacementSolution, validate
from schedkit.models.placement.bounds import lower_bound
from schedkit.models.placement.eplb import check_layout, from_eplb, to_eplb, to_torch
from schedkit.solvers.heuristics.placement.eplb_greedy import eplb_layer

EPLB_W = [
    [90, 132, 40, 61, 104, 165, 39, 4, 73, 56, 183, 86],
    [20, 107, 104, 64, 19, 197, 187, 157, 172, 86, 16, 27],
]
EPLB_PHY2LOG = [
    [5, 6, 5, 7, 8, 4, 3, 4, 10, 9, 10, 2, 0, 1, 11, 1],
    [7, 10, 6, 8, 6, 11, 8, 9, 2, 4, 5, 1, 5, 0, 3, 1],
]


def tiny(**kw: object) -> PlacementProblem:
    data = {"loads": [[7, 5, 3]], "gpus_per_node": 2, "slots_per_gpu": 2, **kw}
    return PlacementProblem.model_validate(data)


def sol(placement: object, **kw: object) -> PlacementSolution:
    return PlacementSolution.model_validate({"placement": placement, **kw})


def test_eplb_greedy_reproduces_readme(instances_dir):
    p = load(instances_dir / "placement" / "eplb_example.yaml")
    got = [eplb_layer(p.loads[i], 8, 2, 4, 2).ravel().tolist() for i in range(2)]
    assert got == EPLB_PHY2LOG
    report = validate(p, from_eplb(EPLB_PHY2LOG, 2))
    assert report.feasible
    assert report.metrics["balance"] == pytest.approx([1.208132, 1.242215], abs=1e-6)
    assert report.objective == pytest.approx(156.0 + 179.5)


def test_validator_codes():
    p = tiny()
    ok = [[[0, 1], [0, 2]]]
    assert validate(p, sol(ok)).feasible
    assert "slot_overflow" in validate(p, sol([[[0, 1, 2], [0]]])).codes()
    assert "missing_expert" in validate(p, sol([[[0, 1], [0, 1]]])).codes()
    assert "unknown_expert" in validate(p, sol([[[0, 9], [1, 2]]])).codes()
    assert validate(p, sol(ok, replicas=[[2, 1, 1]])).feasible
    assert "wrong_replica_count" in validate(p, sol(ok, replicas=[[1, 2, 1]])).codes()
    assert "load_mismatch" in validate(p, sol(ok, max_loads=[7.0])).codes()
    assert validate(p, sol(ok, max_loads=[8.5])).feasible  # 3.5 + 5
    assert "objective_mismatch" in validate(p, sol(ok, objective=8.0)).codes()
    assert "gpu_count" in validate(p, sol([[[0, 1]]])).codes()


def test_group_split_and_moves():
    p = PlacementProblem.model_validate(
        {
            "loads": [[1, 1, 1, 1]],
            "nodes": 2,
            "gpus_per_node": 1,
            "slots_per_gpu": 2,
            "groups": 2,
            "group_local": "strict",
        }
    )
    assert validate(p, sol([[[0, 1], [2, 3]]])).feasible
    assert "group_split" in validate(p, sol([[[0, 2], [1, 3]]])).codes()
    q = tiny(previous=[[[0, 1], [0, 2]]], max_moves=1)
    r = validate(q, sol([[[1, 0], [0, 2]]]))
    assert r.codes() == ["too_many_moves"] and r.metrics["moves"] == 2


def test_input_errors():
    with pytest.raises(ValidationError, match="cannot hold 3 experts"):
        tiny(slots_per_gpu=1)
    with pytest.raises(ValidationError, match="non-negative"):
        PlacementProblem.model_validate(
            {"loads": [[-1, 2]], "gpus_per_node": 2, "slots_per_gpu": 1}
        )
    with pytest.raises(ValidationError, match="must divide"):
        tiny(groups=2)
    with pytest.raises(ValidationError, match="extra"):
        tiny(slot_per_gpu=2)
    with pytest.raises(ValidationError, match="need a 'previous'"):
        tiny(max_moves=2)


def brute_force(p: PlacementProblem) -> float:
    """Optimal value of a one-layer even-split instance by enumeration."""
    best = np.inf
    for cells in itertools.product(range(p.num_experts), repeat=p.num_slots):
        s = sol([np.array(cells).reshape(p.num_gpus, p.slots_per_gpu).tolist()])
        r = validate(p, s)
        if r.feasible:
            best = min(best, r.objective)
    return float(best)


@pytest.mark.parametrize("seed", range(6))
def test_lower_bound_is_valid(seed):
    rng = np.random.default_rng(seed)
    p = tiny(loads=[rng.integers(1, 30, 3).tolist()], gpus_per_node=2, slots_per_gpu=2)
    assert lower_bound(p) <= brute_force(p) + 1e-9


def test_eplb_layout_round_trip():
    s = from_eplb(EPLB_PHY2LOG, 2)
    layout = to_eplb(s, 12)
    assert layout["phy2log"] == EPLB_PHY2LOG
    assert layout["logcnt"][0][5] == 2 and check_layout(**layout) == []
    bad = json.loads(json.dumps(layout))
    bad["logcnt"][0][0] = 2
    assert check_layout(**bad)
    assert from_eplb(layout["phy2log"], 2) == s
    pytest.importorskip("torch")
    t = to_torch(s, 12)
    assert t["log2phy"].shape == (2, 12, 2) and str(t["phy2log"].dtype) == "torch.int64"


def test_json_round_trips(tmp_path):
    p = tiny(scenarios=[[[3, 5, 7]]])
    again = PlacementProblem.model_validate_json(p.model_dump_json())
    assert np.array_equal(again.loads, p.loads)
    assert json.loads(again.model_dump_json()) == json.loads(p.model_dump_json())
    s = sol([[[0, 1], [0, 2]]], replicas=[[2, 1, 1]], objective=8.5)
    assert PlacementSolution.model_validate_json(s.model_dump_json()) == s


def test_load_files(tmp_path):
    np.save(tmp_path / "w.npy", np.array(EPLB_W, dtype=float))
    np.savetxt(tmp_path / "w.csv", np.array(EPLB_W), delimiter=",")
    (tmp_path / "w.json").write_text(json.dumps(EPLB_W))
    for name in ("w.npy", "w.csv", "w.json"):
        p = PlacementProblem.model_validate(
            {"loads": str(tmp_path / name), "nodes": 2, "gpus_per_node": 4, "slots_per_gpu": 2}
        )
        assert p.loads.tolist() == EPLB_W
    with pytest.raises(ValidationError, match="does not exist"):
        PlacementProblem.model_validate(
            {"loads": "nope.csv", "gpus_per_node": 1, "slots_per_gpu": 12}
        )
    rel = PlacementProblem.model_validate(
        {"loads": "w.csv", "gpus_per_node": 1, "slots_per_gpu": 12},
        context={"base_dir": str(tmp_path)},
    )
    assert rel.num_experts == 12
