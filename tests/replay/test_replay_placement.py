"""Placement replay on a tiny instance: the trace matches the loads, the dispatch gives the
predicted per-GPU tokens, and the three placements are measured, in one process and with one
process per GPU (4 gloo processes exchanging tokens with all-to-all)."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("torch", reason="replay tests need PyTorch (schedkit[replay])")

from schedkit.errors import BackendUnavailable, InputError
from schedkit.execute import replay_placement
from schedkit.execute.placement import (
    dispatch,
    greedy_placement,
    naive_placement,
    resolve_mode,
    routes,
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
    assert naive.predicted_ratio == pytest.approx(
        validate(pb, naive_placement(pb)).metrics["balance_mean"]
    )
    assert naive.predicted_ratio > res.measures["greedy"].predicted_ratio
    for m in res.measures.values():
        assert len(m.measured_ms) == 2 and all(len(r) == 4 for r in m.measured_ms)
        assert all(t > 0 for r in m.measured_ms for t in r)
        assert m.measured_ratio >= 1.0
        assert [sum(r) for r in m.tokens] == [sum(x) for x in LOADS]
    assert res.to_dict()["measures"]["naive"]["measured_max_ms"] > 0
    assert "naive" in res.summary()


def test_routes_are_consistent_between_gpus() -> None:
    """What GPU a sends to GPU b is what b expects from a, token for token; every token is
    computed once, by the slot that `dispatch` picked."""
    pb = tiny()
    sol = greedy_placement(pb)
    experts = token_trace(pb)[0]
    idx, moved, _ = dispatch(pb, sol.placement[0], experts)
    rs = [routes(pb, sol.placement[0], experts, g) for g in range(pb.num_gpus)]
    for a, ra in enumerate(rs):
        assert sorted(ra.send_order.tolist()) == list(range(a, len(experts), pb.num_gpus))
        parts = np.split(ra.send_order, np.cumsum(ra.send_splits)[:-1])
        for b, rb in enumerate(rs):
            theirs = np.split(rb.recv_order, np.cumsum(rb.recv_splits)[:-1])[a]
            assert parts[b].tolist() == theirs.tolist()
    for g, r in enumerate(rs):
        for s, pos in enumerate(r.slot_pos):
            assert sorted(r.recv_order[pos].tolist()) == idx[g][s].tolist()
    assert sum(sum(r.send_splits) - r.send_splits[g] for g, r in enumerate(rs)) == moved


def test_one_process_per_gpu_exchanges_tokens() -> None:
    """4 ranks (gloo): the same tokens per GPU and the same crossings as the single-process
    count, now measured from the all-to-all splits; outputs come back right."""
    pb = tiny()
    sol = greedy_placement(pb)
    kw = {"device": "cpu", "iters": 1, "hidden": 32, "ffn": 64}
    one = replay_placement(pb, sol, processes=False, **kw)
    res = replay_placement(pb, sol, processes=True, **kw)
    assert (one.processes, one.backend) == (1, None)
    assert (res.processes, res.backend) == (4, "gloo")
    assert set(res.measures) == {"schedkit", "greedy", "naive"}
    for name, m in res.measures.items():
        ref = one.measures[name]
        assert m.tokens == ref.tokens
        assert (m.gpu_tokens_moved, m.node_tokens_moved) == (
            ref.gpu_tokens_moved,
            ref.node_tokens_moved,
        )
        assert m.bytes_moved == m.gpu_tokens_moved * m.bytes_per_token
        assert m.output_max_abs_diff is not None and m.output_max_abs_diff < 1e-4
        assert m.predicted_ratio == ref.predicted_ratio and m.measured_ratio >= 1.0
        for table in (m.measured_ms, m.dispatch_ms, m.combine_ms):
            assert table is not None and len(table) == 2 and all(len(r) == 4 for r in table)
            assert all(t >= 0 for r in table for t in r)
    assert "one process per GPU" in res.summary() and "all-to-all" in res.summary()
    assert res.to_dict()["measures"]["naive"]["bytes_moved"] > 0


def test_mode_resolution_on_cpu() -> None:
    """Without CUDA the default is one process; processes=True asks for gloo ranks."""
    import torch

    if torch.cuda.is_available():
        pytest.skip("checks the CPU-only defaults")
    assert resolve_mode("auto", 4, None) == ("cpu", None)
    assert resolve_mode("cpu", 4, True) == ("cpu", "gloo")
    with pytest.raises(BackendUnavailable, match="no CUDA GPU"):
        resolve_mode("cuda", 4, None)
    with pytest.raises(InputError, match="unknown device"):
        resolve_mode("tpu", 4, None)
