"""The torch CSV export with explicit send / receive actions: where they go, that torch's own
parser, checks and dry-run accept them, that reading back gives the same compute order, and
that torch's lowering would post a receive later than the export does."""

from __future__ import annotations

import pytest

from schedkit.errors import InputError
from schedkit.io.torch_pipeline import (
    from_torch_csv,
    to_torch_csv,
    to_torch_rows,
    torch_csv_format,
    torch_validate,
)

from .replay_helpers import problem, ref

ZB_H1_ROWS = [
    "0F0 0SEND_F0 0F1 0SEND_F1 0RECV_B0 0RECV_B1 0I0 0W0 0F2 0SEND_F2 0RECV_B2 0I1 0W1 "
    "0F3 0SEND_F3 0RECV_B3 0I2 0W2 0I3 0W3",
    "1RECV_F0 1RECV_F1 1F0 1I0 1SEND_B0 1F1 1I1 1SEND_B1 1RECV_F2 1W0 1F2 1I2 1SEND_B2 "
    "1RECV_F3 1W1 1F3 1I3 1SEND_B3 1W2 1W3",
]
SHAPES = [
    ((2, 4), {}, "zb-h1"),
    ((3, 6), {}, "zb-h2"),
    ((4, 8), {}, "1f1b"),
    ((2, 4), {"chunks": 2, "stage_placement": "v"}, "zb-v"),
    ((2, 4), {"chunks": 2}, "list-greedy"),
    ((2, 4), {"chunks": 2}, "interleaved-1f1b"),
]


def test_zb_h1_rows() -> None:
    """Sends right after their op; rank 0 posts the receive of B1's gradient before I0."""
    pb = problem(2, 4)
    assert [" ".join(r) for r in to_torch_rows(pb, ref(pb, "zb-h1"))] == ZB_H1_ROWS


@pytest.mark.parametrize(("shape", "kw", "name"), SHAPES)
def test_read_back_same_compute_order(shape: tuple[int, int], kw: dict, name: str) -> None:
    pb = problem(*shape, **kw)
    sol = ref(pb, name)
    text = to_torch_csv(pb, sol)
    assert torch_csv_format(text) == "compute_comms"
    assert from_torch_csv(pb, text).orders(pb.devices) == sol.orders(pb.devices)
    # every message once: a send and its receive per cross-rank hand-off
    cells = text.replace("\n", ",").split(",")
    sends = sum("SEND" in c for c in cells)
    assert sends == sum("RECV" in c for c in cells) > 0


@pytest.mark.parametrize(("shape", "kw", "name"), SHAPES)
def test_torch_accepts_explicit_messages(shape: tuple[int, int], kw: dict, name: str) -> None:
    """torch's parser, `_validate_schedule` and dry-run simulator accept the CSV as it is."""
    pytest.importorskip("torch.distributed.pipelining")
    pb = problem(*shape, **kw)
    mapping = torch_validate(pb, to_torch_csv(pb, ref(pb, name)))
    assert mapping == {s: pb.device_of(s) for s in range(pb.stages)}


def test_torch_lowering_posts_later() -> None:
    """torch's `_add_send_recv` of the compute-only CSV posts RECV_B1 on rank 0 after I0 and
    W0; the explicit export posts it before I0 (what the runtime then runs as written)."""
    ts = pytest.importorskip("torch.distributed.pipelining.schedules")
    pb = problem(2, 4)
    compute = to_torch_rows(pb, ref(pb, "zb-h1"), comms="none")
    assert not any("SEND" in c or "RECV" in c for row in compute for c in row)
    actions = {r: [ts._Action.from_str(c) for c in row] for r, row in enumerate(compute)}
    lowered = [str(a) for a in ts._add_send_recv(actions, lambda s: s, 2)[0]]
    assert lowered.index("0RECV_B1") > lowered.index("0W0")
    ours = ZB_H1_ROWS[0].split()
    assert ours.index("0RECV_B1") < ours.index("0I0")


def test_misordered_or_late_receives_refused() -> None:
    pytest.importorskip("torch.distributed.pipelining")
    pb = problem(2, 4)
    row0, row1 = (r.split() for r in ZB_H1_ROWS)
    swapped = [*row0]
    i, j = swapped.index("0RECV_B0"), swapped.index("0RECV_B1")
    swapped[i], swapped[j] = swapped[j], swapped[i]
    with pytest.raises(AssertionError, match="from rank 1 to rank 0 out of order"):
        torch_validate(pb, ",".join(swapped) + "\n" + ",".join(row1) + "\n")
    late = [c for c in row1 if c != "1RECV_F2"]
    late.insert(late.index("1I2"), "1RECV_F2")  # after its consumer 1F2
    with pytest.raises(ValueError, match="not progressing"):
        torch_validate(pb, ",".join(row0) + "\n" + ",".join(late) + "\n")


def test_early_rows_post_every_receive_first() -> None:
    """`comms="early"`: the same receives in the same order per rank, all before the first
    compute; the sends and compute order are unchanged."""
    pb = problem(2, 4)
    rows = to_torch_rows(pb, ref(pb, "zb-h1"), comms="early")
    for row, explicit in zip(rows, ZB_H1_ROWS, strict=True):
        cells = explicit.split()
        recvs = [c for c in cells if "RECV" in c]
        assert row == recvs + [c for c in cells if "RECV" not in c]
    assert rows[0][:4] == ["0RECV_B0", "0RECV_B1", "0RECV_B2", "0RECV_B3"]


@pytest.mark.parametrize(("shape", "kw", "name"), SHAPES)
def test_torch_accepts_early_receives_at_their_consumers(
    shape: tuple[int, int], kw: dict, name: str
) -> None:
    """torch's dry-run treats a receive as blocking where it is posted, so it refuses the early
    rows as written (posting them early waits for nothing on gloo); with the receives checked
    at their consumers it accepts them, and the message order per pair still holds."""
    pytest.importorskip("torch.distributed.pipelining")
    pb = problem(*shape, **kw)
    text = to_torch_csv(pb, ref(pb, name), comms="early")
    assert from_torch_csv(pb, text).orders(pb.devices) == ref(pb, name).orders(pb.devices)
    assert torch_validate(pb, text, early=True) == {s: pb.device_of(s) for s in range(pb.stages)}
    with pytest.raises((ValueError, IndexError)):
        torch_validate(pb, text)


def test_early_receives_still_checked_in_order() -> None:
    pytest.importorskip("torch.distributed.pipelining")
    pb = problem(2, 4)
    row0, row1 = to_torch_rows(pb, ref(pb, "zb-h1"), comms="early")
    row0[0], row0[1] = row0[1], row0[0]
    with pytest.raises(AssertionError, match="from rank 1 to rank 0 out of order"):
        torch_validate(pb, ",".join(row0) + "\n" + ",".join(row1) + "\n", early=True)


def test_fuse_first_stage() -> None:
    """Stage 0's I / W pairs become one full backward at W's place; rank 1 is unchanged and
    torch's checks accept the result."""
    pb = problem(2, 4)
    rows = to_torch_rows(pb, ref(pb, "zb-h1"), fuse_first=True)
    expected = ZB_H1_ROWS[0].replace("0I0 ", "").replace("0I1 ", "").replace("0I2 ", "")
    expected = expected.replace("0I3 ", "").replace("0W", "0B")
    assert " ".join(rows[0]) == expected and " ".join(rows[1]) == ZB_H1_ROWS[1]
    pytest.importorskip("torch.distributed.pipelining")
    torch_validate(pb, to_torch_csv(pb, ref(pb, "zb-h1"), fuse_first=True))


def test_compute_only_option() -> None:
    pb = problem(2, 4)
    sol = ref(pb, "zb-h1")
    text = to_torch_csv(pb, sol, comms="none")
    assert torch_csv_format(text) == "compute_only"
    assert text.splitlines()[0] == ",".join(c for c in ZB_H1_ROWS[0].split() if "_" not in c)
    with pytest.raises(InputError, match="comms"):
        to_torch_csv(pb, sol, comms="eager")
