"""The validator flags each kind of broken schedule with a stable code; the simulator
replays orders and detects deadlocks."""

from __future__ import annotations

from schedkit.models.pipeline import Op, PipelineSolution
from schedkit.models.pipeline.references import build
from schedkit.models.pipeline.simulate import replay, simulate
from schedkit.models.pipeline.validator import validate

from .pipeline_helpers import make


def base():
    pb = make(3, 4, limit=3.0)
    sol = build(pb, "zb-h1")
    assert sol is not None and validate(pb, sol).feasible
    return pb, sol


def shift(sol: PipelineSolution, key: tuple, start: float) -> PipelineSolution:
    ops = tuple(o.model_copy(update={"start": start}) if o.key == key else o for o in sol.ops)
    return sol.model_copy(update={"ops": ops})


def test_broken_dependency() -> None:
    pb, sol = base()
    b = next(o for o in sol.ops if o.key == ("B", 0, 0))
    bad = shift(sol, ("B", 0, 0), b.start - 0.5)  # device 0 idles before it: no overlap
    assert validate(pb, bad).codes() == ["dependency"]


def test_overlap_on_device() -> None:
    pb, sol = base()
    f = next(o for o in sol.ops if o.key == ("F", 0, 3))
    bad = shift(sol, ("F", 0, 3), f.start - 0.5)  # stage 0 F has no predecessor
    assert validate(pb, bad).codes() == ["overlap"]


def test_memory_overflow() -> None:
    pb, sol = base()
    tight = pb.model_copy(update={"memory": pb.memory.model_copy(update={"limit": 2.0})})
    report = validate(tight, sol)
    assert set(report.codes()) == {"memory"}
    assert report.metrics["peak_memory"][0] == 3.0


def test_missing_op() -> None:
    pb, sol = base()
    bad = sol.model_copy(update={"ops": tuple(o for o in sol.ops if o.key != ("W", 2, 1))})
    assert validate(pb, bad).codes() == ["missing_op"]


def test_duplicate_and_wrong_device() -> None:
    pb, sol = base()
    extra = Op(device=1, kind="F", stage=0, microbatch=0, start=50.0)
    codes = validate(pb, sol.model_copy(update={"ops": (*sol.ops, extra)})).codes()
    assert "wrong_device" in codes and "duplicate_op" in codes


def test_objective_and_claim() -> None:
    pb, sol = base()
    report = validate(pb, sol)
    assert report.objective == report.metrics["span"]
    assert "makespan" in report.metrics and len(report.metrics["bubble_ratio"]) == 3
    wrong = sol.model_copy(update={"objective": (report.objective or 0) + 1})
    assert "objective_mismatch" in validate(pb, wrong).codes()


def test_deadlock_detected() -> None:
    pb = make(2, 2)
    orders = [
        [("F", 0, 0), ("B", 0, 0), ("W", 0, 0), ("F", 0, 1), ("B", 0, 1), ("W", 0, 1)],
        [("F", 1, 1), ("B", 1, 1), ("W", 1, 1), ("F", 1, 0), ("B", 1, 0), ("W", 1, 0)],
    ]
    sim = simulate(pb, orders)
    assert sim.deadlock and ("B", 0, 0) in sim.blocked


def test_replay_other_durations() -> None:
    pb, sol = base()
    slow = replay(pb, sol, lambda op: 2.0 * pb.duration(op))
    assert not slow.deadlock
    assert slow.makespan == 2 * validate(pb, sol).metrics["makespan"]
    with_comm = replay(pb, sol, comm=0.5)
    assert with_comm.makespan > validate(pb, sol).metrics["makespan"]


def test_fused_backward_accepted() -> None:
    pb = make(3, 4)
    sol = build(pb, "1f1b")
    assert sol is not None and any(o.kind == "BW" for o in sol.ops)
    assert validate(pb, sol).feasible
