"""torch's own schedule classes as references (built at run time, read through the CSV
reader, timed by the simulator)."""

from __future__ import annotations

import pytest

from schedkit.io.torch_pipeline import from_torch_csv
from schedkit.models.pipeline.references import TORCH_SCHEDULES, build, torch_schedules
from schedkit.models.pipeline.validator import validate

from .pipeline_helpers import make

LAYOUTS = [
    {},
    {"chunks": 2},
    {"chunks": 2, "stage_placement": "v"},
]


@pytest.mark.parametrize("kw", LAYOUTS)
def test_torch_schedules_are_valid(kw: dict) -> None:
    pytest.importorskip("torch.distributed.pipelining")
    pb = make(4, 8, times={"F": 1.0, "B": 1.1, "W": 0.6}, comm=0.05, **kw)
    built = {n: build(pb, n) for n in TORCH_SCHEDULES}
    found = {n: s for n, s in built.items() if s is not None}
    expected = {
        0: {"torch-gpipe", "torch-interleaved-zb"},
        1: {"torch-interleaved-1f1b", "torch-looped-bfs", "torch-interleaved-zb"},
        2: {"torch-zbv", "torch-dualpipev"},
    }[LAYOUTS.index(kw)]
    assert expected <= set(found)
    for name, sol in found.items():
        assert validate(pb, sol).feasible, name


def test_torch_zbv_matches_schedkit_zbv() -> None:
    """The V schedule torch builds is the one schedkit's closed form writes (same span)."""
    pytest.importorskip("torch.distributed.pipelining")
    pb = make(4, 8, chunks=2, stage_placement="v", times={"F": 0.5, "B": 0.5, "W": 0.5})
    ours, theirs = build(pb, "zb-v"), build(pb, "torch-zbv")
    assert ours is not None and theirs is not None
    assert validate(pb, theirs).objective == pytest.approx(validate(pb, ours).objective)


def test_without_torch_not_applicable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch_schedules, "torch_available", lambda: False)
    torch_schedules.torch_csv.cache_clear()
    pb = make(3, 6)
    assert all(build(pb, n) is None for n in TORCH_SCHEDULES)
    torch_schedules.torch_csv.cache_clear()


def test_reader_splits_overlapped_pairs() -> None:
    """DualPipeV's `(F;B)OVERLAP_F_B` cells read as the two actions in order."""
    pb = make(1, 2, chunks=2, stage_placement="v")
    text = "0F0,1F0,(0F1;1B0)OVERLAP_F_B,1F1,1B1,0B0,0B1\n"
    sol = from_torch_csv(pb, text)
    assert sol.orders(1)[0][:4] == [("F", 0, 0), ("F", 1, 0), ("F", 0, 1), ("BW", 1, 0)]
