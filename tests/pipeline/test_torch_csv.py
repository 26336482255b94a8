"""Export to / import from torch.distributed.pipelining's action CSV."""

from __future__ import annotations

import pytest

from schedkit.errors import InputError
from schedkit.io.torch_pipeline import from_torch_csv, to_torch_csv, torch_validate
from schedkit.models.pipeline.references import reference_solutions
from schedkit.models.pipeline.validator import validate

from .pipeline_helpers import make

CASES = [{}, {"chunks": 2}, {"chunks": 2, "stage_placement": "v"}]


@pytest.mark.parametrize("kw", CASES)
def test_round_trip(kw: dict) -> None:
    pb = make(4, 8, **kw)
    for name, sol in reference_solutions(pb).items():
        text = to_torch_csv(pb, sol)
        assert len(text.strip().splitlines()) == 4
        assert from_torch_csv(pb, text).ops == sol.ops, name


def test_action_names() -> None:
    pb = make(2, 2)
    sols = reference_solutions(pb, ["zb-h1", "1f1b"])
    first_row = to_torch_csv(pb, sols["zb-h1"]).splitlines()[0].split(",")
    assert first_row[0] == "0F0" and "0I0" in first_row and "0W1" in first_row
    assert "1B0" in to_torch_csv(pb, sols["1f1b"])  # fused backward is torch's B


def test_import_errors() -> None:
    pb = make(2, 2)
    with pytest.raises(InputError, match="belongs to rank"):
        from_torch_csv(pb, "1F0\n0F0\n")
    with pytest.raises(InputError, match="rows"):
        from_torch_csv(pb, "0F0\n")
    with pytest.raises(InputError, match="deadlock"):
        from_torch_csv(pb, "0F0,0I0,0W0,0F1,0I1,0W1\n1F1,1I1,1W1,1F0,1I0,1W0\n")


def test_import_skips_comm_actions() -> None:
    pb = make(2, 1)
    text = "0F0,0SEND_F0,0RECV_B0,0I0,0W0\n1RECV_F0,1F0,1I0,1SEND_B0,1W0\n"
    assert len(from_torch_csv(pb, text).ops) == 6


@pytest.mark.parametrize("kw", CASES)
def test_torch_accepts_exports(kw: dict) -> None:
    pytest.importorskip("torch.distributed.pipelining")
    pb = make(4, 8, **kw)
    for sol in reference_solutions(pb).values():
        mapping = torch_validate(pb, to_torch_csv(pb, sol))
        assert mapping == {s: pb.device_of(s) for s in range(pb.stages)}


def test_torch_rejects_broken_schedule() -> None:
    pytest.importorskip("torch.distributed.pipelining")
    pb = make(2, 2)
    with pytest.raises(AssertionError):
        torch_validate(pb, "0F0,0W0,0I0,0F1,0I1,0W1\n1F0,1I0,1W0,1F1,1I1,1W1\n")
    with pytest.raises(AssertionError):
        torch_validate(pb, "0F0,0I0,0W0,0F1,0I1\n1F0,1I0,1W0,1F1,1I1,1W1\n")


def test_export_puts_the_last_stage_forwards_in_order() -> None:
    """torch takes microbatch j's loss from position j of the last stage's forwards: a
    schedule whose last stage runs F(2) before F(1) is exported with those two renumbered,
    with the same dependencies and times (and so the same span)."""
    pb = make(2, 4)
    sol = reference_solutions(pb, ["1f1b"])["1f1b"]
    swap = {1: 2, 2: 1}
    ops = tuple(o.model_copy(update={"microbatch": swap.get(o.microbatch, o.microbatch)})
                for o in sol.ops)  # fmt: skip
    mixed = sol.model_copy(update={"ops": ops})
    assert validate(pb, mixed).feasible
    last = to_torch_csv(pb, mixed, comms="none").splitlines()[1].split(",")
    assert [c for c in last if c.startswith("1F")] == ["1F0", "1F1", "1F2", "1F3"]
    back = from_torch_csv(pb, to_torch_csv(pb, mixed))
    assert back.ops == sol.ops  # renumbering the mixed one gives the original back
    assert validate(pb, back).objective == validate(pb, mixed).objective
