"""Placement replay on a tiny instance: the trace matches the loads, the dispatch gives the
predicted per-GPU tokens, and the three placements are measured."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("torch", reason="replay tests need PyTorch (schedkit[replay])")

from schedkit.execute import replay_placement
from schedkit.execute.placement import (
    dispatch,
    greedy_placement,
    naive_placement,
    token_trace,
)
from schedkit.models.placement import PlacementProblem, validate

LOADS = [[90, 132, 40, 61, 104, 165, 39, 4], [20, 107, 104, 64, 19, 197, 187, 157]]


def tiny() -> PlacementProblem:
    return PlacementProblem(loads=LOADS, nodes=2, gpus_per_node=2, slots_per_gpu=3)


def test_trace_and_dispatch_match_predicted_loads() -> None:
    pb = tiny()
    trace = token_trace(pb, scale=1.0)
    for layer, experts in enumerate(trace):
        assert np.bincount(experts, minlength=8).tolist() == LOADS[layer]
    sol = greedy_placement(pb)
    rep = validate(pb, sol)
    for layer, experts in enumerate(trace):
        idx, moved, node_moved = dispatch(pb, sol.placement[layer], experts)
        per_gpu = [sum(len(i) for i in row) for row in idx]
        assert sum(per_gpu) == len(experts)
        # even split up to one token per replica
        assert max(per_gpu) == pytest.approx(rep.metrics["max_loads"][layer], abs=3)
        assert 0 < node_moved <= moved <= len(experts)


def test_replay_compares_three_placements() -> None:
    pb = tiny()
    res = replay_placement(pb, greedy_placement(pb), device="cpu", iters=2, hidden=32, ffn=64)
    assert set(res.measures) == {"schedkit", "greedy", "naive"}
    naive = res.measures["naive"]
    assert naive.predicted_ratio == pytest.approx(validate(pb, naive_placement(pb))
                                                  .metrics["balance_mean"])
    assert naive.predicted_ratio > res.measures["greedy"].predicted_ratio
    for m in res.measures.values():
        assert len(m.measured_ms) == 2 and all(len(r) == 4 for r in m.measured_ms)
        assert all(t > 0 for r in m.measured_ms for t in r)
        assert m.measured_ratio >= 1.0
        assert [sum(r) for r in m.tokens] == [sum(x) for x in LOADS]
    assert res.to_dict()["measures"]["naive"]["measured_max_ms"] > 0
    assert "naive" in res.summary()
