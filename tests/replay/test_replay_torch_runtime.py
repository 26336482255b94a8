"""Pipeline replay through torch.distributed.pipelining's own runtime (`runtime="torch"`) on CPU
with gloo at tiny sizes: the exported CSV (explicit send / receive actions by default, or
compute-only) runs and its gradients equal the single-process reference, for one stage per
rank (1F1B, ZB-H1), looped and V placements with two stages per rank; a traced run times
every action; a schedule torch refuses gives one line saying why."""

from __future__ import annotations

import pytest

pytest.importorskip("torch.distributed.pipelining", reason="needs PyTorch (schedkit[replay])")

from schedkit.errors import BackendUnavailable
from schedkit.execute import BlockSizes, replay
from schedkit.execute.pipeline import replay_pipeline
from schedkit.execute.torch_runtime import (
    RUNTIME_NAME,
    TorchRuntimeResult,
    TorchSchedule,
    run_torch_runtime,
    torch_csv_checked,
)

from .replay_helpers import TINY, check_zb_h1, problem, ref


def test_zb_h1_and_1f1b_match_reference() -> None:
    pb = problem(2, 4)
    res = replay_pipeline(pb, ref(pb, "zb-h1"), device="cpu", iters=2, runtime="torch", **TINY)
    assert isinstance(res, TorchRuntimeResult)
    for m in res.measures.values():
        assert m.comms == "early"  # gloo: every receive posted at the start of the step
        assert len(m.iterations) == 2 and m.measured_wall > 0
        assert min(m.iterations) - 1e-3 <= m.measured_wall <= max(m.iterations) + 1e-3
    assert check_zb_h1(res)["runtime"] == "torch"
    assert RUNTIME_NAME in res.summary()


def test_v_placement_two_stages_per_rank() -> None:
    """ZB-V: rank 0 holds stages 0 and 3, rank 1 stages 1 and 2 (handed off locally)."""
    pb = problem(2, 4, chunks=2, stage_placement="v")
    res = replay(pb, ref(pb, "zb-v"), device="cpu", iters=1, runtime="torch", **TINY)
    assert isinstance(res, TorchRuntimeResult)  # `replay` passes the runtime through
    assert res.baseline is None and res.grads_ok


def test_looped_placement_interleaved() -> None:
    """Looped chunks (rank 0: stages 0, 2): a zero-bubble list-greedy schedule and
    interleaved 1F1B as the baseline."""
    pb = problem(2, 4, chunks=2)
    sol = ref(pb, "list-greedy")
    res = replay_pipeline(pb, sol, device="cpu", iters=1, runtime="torch", **TINY)
    assert isinstance(res, TorchRuntimeResult)
    assert res.baseline == "interleaved-1f1b" and res.grads_ok


def test_both_csv_forms_traced() -> None:
    """ZB-H1 with explicit messages and stage 0 fused, the same with every receive posted first,
    plain compute-only (torch lowers it) and on schedkit's executor in one set of processes:
    all match the reference; the trace sums every rank's actions in torch's runtime (both ranks
    compute and send) and shows stage 0's full backward where it was fused."""
    pb = problem(2, 4)
    sol = ref(pb, "zb-h1")
    schedules = {
        "explicit": TorchSchedule(sol),
        "early": TorchSchedule(sol, comms="early"),
        "lowered": TorchSchedule(sol, comms="none", fuse_first=False),
        "executor": TorchSchedule(sol, executor=True),
    }
    ms, _, _ = run_torch_runtime(
        pb, schedules, trace=True, sizes=BlockSizes(**TINY), device="cpu", iters=1
    )
    ex = ms.pop("executor")
    assert ex.comms == "executor" and ex.actions is None and len(ex.iterations) == 1
    assert ex.grad_max_abs_diff is not None and ex.grad_max_abs_diff <= 1e-5
    assert [ms[k].comms for k in ("explicit", "early", "lowered")] == ["explicit", "early", "none"]
    for m in ms.values():
        assert m.grad_max_abs_diff is not None and m.grad_max_abs_diff <= 1e-5
        assert m.actions is not None and [a.rank for a in m.actions] == [0, 1]
        for a in m.actions:
            assert a.compute > 0 and a.send_post > 0
            assert min(a.recv_wait, a.recv_post, a.rest, a.late) >= 0
        assert m.to_dict()["actions"][0]["rank"] == 0
    assert set(ms["explicit"].actions[0].op_ms) == {"F0", "B0"}  # type: ignore[index]
    assert set(ms["lowered"].actions[0].op_ms) == {"F0", "I0", "W0"}  # type: ignore[index]


def test_refused_schedule_is_one_line() -> None:
    """A schedule whose CSV torch's checks refuse (here: built for 4 microbatches, run as 2)."""
    sol = ref(problem(2, 4), "1f1b")
    with pytest.raises(BackendUnavailable) as info:
        torch_csv_checked(problem(2, 2), "1f1b", sol)
    text = str(info.value)
    assert "\n" not in text and text.startswith(f"{RUNTIME_NAME} cannot run schedule '1f1b'")
    assert "expected 2" in text


def test_unknown_runtime() -> None:
    pb = problem(2, 2)
    with pytest.raises(BackendUnavailable, match="unknown runtime"):
        replay_pipeline(pb, ref(pb, "1f1b"), runtime="megatron")
