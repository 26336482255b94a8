"""Explicit send / receive actions for torch.distributed.pipelining's action CSV.

torch's own lowering (`_add_send_recv`, run when a compute-only CSV is loaded) places each
receive where a lockstep walk over the ranks, one action per rank per step, reaches the
sender's compute. That walk ignores durations, so on a rank that runs several ops without a
send in between (W ops, stage 0's backwards) a receive is often posted ops after its data was
sent. On gloo a send only moves once its receive is posted, so the consumer then waits for a
round trip that a posted receive would have hidden.

Here every cross-rank message is placed from the schedule's own timing (the ASAP simulation
of its per-rank orders with the instance's durations): the send right after the producing op,
the receive as early as the order of messages allows. All messages between two ranks are
issued, on both ranks, in one global order (predicted send time, then sender rank and
position), so every receive matches its send in order (torch tags them all 0) and a runtime
that serialises the point-to-point operations of a pair of ranks (NCCL) cannot deadlock. A
receive therefore comes right after the last send of its rank that precedes it in that
order; ops between them (W, stage 0's I) then run while the data moves.

With `early=True` every receive is posted at the start of the step instead, still in that
order per pair of ranks: what schedkit's executor does on gloo, where a posted receive blocks
nothing and a send moves as soon as it is made. torch's runtime runs such a CSV as written
(it loads "compute_comms" without a dry-run), but a runtime that serialises a pair's
operations (NCCL) could hang on it, so it is for gloo (CPU) only.
"""

from __future__ import annotations

from schedkit.models.pipeline.problem import OpKey, PipelineProblem, PipelineSolution
from schedkit.models.pipeline.simulate import simulate

Comm = tuple[str, str, int]
"""(send action, matching receive action, receiving rank)."""


def comm_of(problem: PipelineProblem, op: OpKey) -> Comm | None:
    """The message an op sends to another rank, if any (F sends its output forward, B / BW
    dL/dx backward; adjacent stages on one rank hand off locally, as in torch's runtime)."""
    kind, s, j = op
    if kind == "F" and s < problem.stages - 1:
        send, recv, dst = f"{s}SEND_F{j}", f"{s + 1}RECV_F{j}", s + 1
    elif kind in ("B", "BW") and s > 0:
        send, recv, dst = f"{s}SEND_B{j}", f"{s - 1}RECV_B{j}", s - 1
    else:
        return None
    rank = problem.device_of(dst)
    return None if rank == problem.device_of(s) else (send, recv, rank)


def receive_anchors(
    problem: PipelineProblem, orders: list[list[OpKey]]
) -> dict[tuple[int, int], list[str]]:
    """Per (rank, op index) the receives posted right after that op (and its send); index -1
    is the start of the row. Messages are taken in the global order described above."""
    plan = simulate(problem, orders)
    if plan.deadlock:
        raise ValueError(f"orders deadlock: next ops {plan.blocked[:4]} can never run")
    events = sorted(
        (plan.end[op], rank, i, comm)
        for rank, row in enumerate(orders)
        for i, op in enumerate(row)
        if (comm := comm_of(problem, op)) is not None
    )
    anchor = [-1] * problem.devices
    after: dict[tuple[int, int], list[str]] = {}
    for _, rank, i, (_, recv, dst) in events:
        anchor[rank] = i
        after.setdefault((dst, anchor[dst]), []).append(recv)
    return after


def comm_rows(
    problem: PipelineProblem,
    solution: PipelineSolution,
    to_torch: dict[str, str],
    early: bool = False,
) -> list[list[str]]:
    """Per-rank actions with explicit SEND_F / RECV_F / SEND_B / RECV_B (torch's
    "compute_comms" CSV format); `to_torch` maps schedkit op kinds to torch's letters;
    `early`: every receive at the start of its rank's row (gloo only, see above)."""
    orders = solution.orders(problem.devices)
    after = receive_anchors(problem, orders)
    if early:  # the same receives in the same order, all at index -1
        after = {
            (rank, -1): [r for i in range(-1, len(row)) for r in after.get((rank, i), [])]
            for rank, row in enumerate(orders)
        }
    rows = []
    for rank, row in enumerate(orders):
        out = list(after.get((rank, -1), []))
        for i, op in enumerate(row):
            kind, s, j = op
            out.append(f"{s}{to_torch[kind]}{j}")
            if (comm := comm_of(problem, op)) is not None:
                out.append(comm[0])
            out.extend(after.get((rank, i), []))
        rows.append(out)
    return rows
