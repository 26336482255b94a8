"""Pipeline schedules to and from torch.distributed.pipelining's action CSV.

One row per rank, one cell per action in execution order: `{stage}{type}{microbatch}` with
type F (forward), I (backward input: our B), W (backward weight) or B (full backward: our
fused BW), e.g. `0F1`, `1I0`, `0W3`. This is what `_PipelineScheduleRuntime._load_csv`
reads. By default the export also lists the cross-rank messages, `0SEND_F1` / `1RECV_F1`
(activations) and `1SEND_B0` / `0RECV_B0` (input gradients), placed from the schedule's own
timing (`torch_pipeline_comms`); torch loads such a CSV with `format="compute_comms"` and
runs it as written. `comms="none"` writes the compute-only CSV instead (`format=
"compute_only"`: torch's `_add_send_recv` then places the messages itself). Communication
and FSDP actions (SEND_F, RECV_B, UNSHARD, ...) are skipped on import; an overlapped pair
`(0F7;7B3)OVERLAP_F_B` (DualPipeV) is read as its two actions in order. The export renumbers
microbatches so that the last stage's forwards run in order, as torch's runtime requires
(`last_stage_in_order`). torch itself is not needed, except by `torch_validate`.
"""

from __future__ import annotations

import csv
import io
import re
from typing import Any, Literal

from schedkit.errors import InputError
from schedkit.io.torch_pipeline_comms import comm_rows
from schedkit.models.pipeline.problem import OpKey, PipelineProblem, PipelineSolution
from schedkit.models.pipeline.simulate import to_solution

TO_TORCH = {"F": "F", "B": "I", "W": "W", "BW": "B"}
FROM_TORCH = {v: k for k, v in TO_TORCH.items()}
ACTION = re.compile(
    r"^(\d+)(F|I|B|W|UNSHARD|RESHARD|REDUCE_GRAD|SEND_F|RECV_F|SEND_B|RECV_B)(\d*)$"
)
OVERLAP = re.compile(r"^\(([^()]*)\)OVERLAP_F_B$")
COMMS = ("explicit", "early", "none")
"""Export modes: explicit send / receive actions (torch's "compute_comms"), the same with every
receive posted at the start of the step (gloo only), or none ("compute_only", torch places
them)."""
COMM_ACTION = re.compile(r"^\d+(SEND|RECV)_[FB]\d+$")


def to_torch_rows(
    problem: PipelineProblem,
    solution: PipelineSolution,
    comms: str = "explicit",
    fuse_first: bool = False,
) -> list[list[str]]:
    """Per-rank action strings in start order, with the messages unless `comms` is "none";
    `fuse_first` as in `fuse_first_stage`."""
    if comms not in COMMS:
        raise InputError(f"unknown comms mode {comms!r}", field="comms", hint=" or ".join(COMMS))
    solution = last_stage_in_order(problem, solution)
    if comms != "none":
        rows = comm_rows(problem, solution, TO_TORCH, early=comms == "early")
    else:
        orders = solution.orders(problem.devices)
        rows = [[f"{s}{TO_TORCH[k]}{j}" for k, s, j in row] for row in orders]
    return fuse_first_stage(rows) if fuse_first else rows


def last_stage_in_order(problem: PipelineProblem, solution: PipelineSolution) -> PipelineSolution:
    """The same schedule with its microbatches renumbered so that the last stage runs their
    forwards in increasing order. torch's runtime keeps the losses of the last stage in a list
    in forward order and takes microbatch j's loss from position j, so a schedule whose last
    stage runs F(5) before F(4) (local search may swap them: microbatches are alike) would
    backpropagate one microbatch's loss through another's activations, and give wrong
    gradients or fail ("Loss for microbatch 4 is not available"). Renumbering keeps every
    dependency and time; only which slice of the batch is called j changes."""
    last = problem.stages - 1
    forwards = sorted((o.start, i) for i, o in enumerate(solution.ops)
                      if o.kind == "F" and o.stage == last)  # fmt: skip
    rank = {solution.ops[i].microbatch: new for new, (_, i) in enumerate(forwards)}
    if all(old == new for old, new in rank.items()):
        return solution
    ops = tuple(o.model_copy(update={"microbatch": rank.get(o.microbatch, o.microbatch)})
                for o in solution.ops)  # fmt: skip
    return solution.model_copy(update={"ops": ops})


def fuse_first_stage(rows: list[list[str]]) -> list[list[str]]:
    """Stage 0's split backward as torch runs it, for less: `0I{j}` dropped and `0W{j}` made a
    full backward `0B{j}` in its place. torch's I on the first stage computes nothing (there is
    no input gradient) and its W then runs the whole backward, which costs more than torch's
    full backward; stage 0 sends nothing backward, so no other rank sees a change."""
    return [
        ["0B" + c[2:] if c.startswith("0W") else c for c in row if not c.startswith("0I")]
        for row in rows
    ]


def to_torch_csv(
    problem: PipelineProblem,
    solution: PipelineSolution,
    comms: str = "explicit",
    fuse_first: bool = False,
) -> str:
    """The schedule as torch's action CSV (one row per rank): with explicit send / receive
    actions (load with `format="compute_comms"`; `comms="early"` posts every receive at the
    start of the step, for gloo only), or compute-only with `comms="none"`; `fuse_first`:
    stage 0's I and W as one full backward (`fuse_first_stage`)."""
    buf = io.StringIO()
    rows = to_torch_rows(problem, solution, comms, fuse_first)
    csv.writer(buf, lineterminator="\n").writerows(rows)
    return buf.getvalue()


def torch_csv_format(text: str) -> Literal["compute_comms", "compute_only"]:
    """The `_load_csv` format of a CSV: "compute_comms" when it lists send / receive
    actions, else "compute_only"."""
    cells = (c.strip() for row in csv.reader(io.StringIO(text)) for c in row)
    return "compute_comms" if any(COMM_ACTION.match(c) for c in cells) else "compute_only"


def to_torch_compute_csv(problem: PipelineProblem, solution: PipelineSolution) -> str:
    """The compute-only CSV (torch's lowering places the messages)."""
    return to_torch_csv(problem, solution, comms="none")


def to_torch_early_csv(problem: PipelineProblem, solution: PipelineSolution) -> str:
    """The CSV with every receive posted at the start of the step (gloo only)."""
    return to_torch_csv(problem, solution, comms="early")


def _parse_cell(cell: str, rank: int, problem: PipelineProblem) -> list[OpKey]:
    """The ops of one cell: none (empty, comm or FSDP), one, or an overlapped pair's two."""
    overlap = OVERLAP.match(cell.strip())
    parts = overlap.group(1).split(";") if overlap else [cell]
    return [op for part in parts if (op := _parse_action(part, rank, problem)) is not None]


def _parse_action(cell: str, rank: int, problem: PipelineProblem) -> OpKey | None:
    text = cell.strip()
    if not text:
        return None
    match = ACTION.match(text)
    if match is None:
        raise InputError(
            f"rank {rank}: cannot parse action {text!r}",
            field="csv",
            hint="expected [stage][F|I|B|W][microbatch], e.g. 0F1",
        )
    stage, kind, mb = int(match.group(1)), match.group(2), match.group(3)
    if kind not in FROM_TORCH:
        return None
    if not mb:
        raise InputError(f"rank {rank}: action {text!r} has no microbatch", field="csv")
    if not (0 <= stage < problem.stages and 0 <= int(mb) < problem.microbatches):
        raise InputError(
            f"rank {rank}: action {text!r} is outside {problem.stages} stages x "
            f"{problem.microbatches} microbatches",
            field="csv",
        )
    if problem.device_of(stage) != rank:
        raise InputError(
            f"rank {rank}: stage {stage} belongs to rank {problem.device_of(stage)}", field="csv"
        )
    return (FROM_TORCH[kind], stage, int(mb))


def from_torch_csv(problem: PipelineProblem, text: str) -> PipelineSolution:
    """Parse torch's action CSV; ops start as soon as possible in the given orders."""
    rows = [r for r in csv.reader(io.StringIO(text))]
    while rows and not any(c.strip() for c in rows[-1]):
        rows.pop()
    if len(rows) != problem.devices:
        raise InputError(
            f"{len(rows)} rows but the problem has {problem.devices} ranks", field="csv"
        )
    orders = [[op for c in row for op in _parse_cell(c, r, problem)] for r, row in enumerate(rows)]
    try:
        return to_solution(problem, orders, name="torch-csv")
    except ValueError as exc:
        raise InputError(str(exc), field="csv") from None


def torch_validate(problem: PipelineProblem, text: str, early: bool = False) -> dict[int, int]:
    """Run torch's own checks on an exported CSV: action parsing, `_validate_schedule`
    (counts and F/I/W order per stage, stage-to-rank mapping), lowering to send/recv (a
    compute-only CSV) or the order of the listed messages (`check_message_order`), and the
    dry-run simulator (deadlocks, a receive after its consumer; with `early`, receives posted
    at the start of the step are checked at their consumers, `receives_at_consumers`).
    Returns torch's stage -> rank mapping; needs torch."""
    from torch.distributed.pipelining import schedules as ts

    actions: dict[int, list[Any]] = {
        rank: [a for c in row if (a := ts._Action.from_str(c)) is not None]
        for rank, row in enumerate(csv.reader(io.StringIO(text)))
    }
    mapping: dict[int, int] = ts._validate_schedule(
        actions, problem.devices, problem.stages, problem.microbatches
    )
    if mapping != {s: problem.device_of(s) for s in range(problem.stages)}:
        raise AssertionError(f"torch infers stage->rank {mapping}")
    if torch_csv_format(text) == "compute_comms":
        check_message_order({r: [str(a) for a in row] for r, row in actions.items()}, mapping)
        lowered = receives_at_consumers(actions) if early else actions
    else:
        lowered = ts._add_send_recv(actions, lambda s: mapping[s], problem.stages)
    ts._simulate_comms_compute(lowered, lambda s: mapping[s], problem.stages)
    return mapping


def receives_at_consumers(actions: dict[int, list[Any]]) -> dict[int, list[Any]]:
    """The rows with every receive moved to just before the op that consumes it, for torch's
    dry-run, which treats a receive as blocking where it is posted: a receive posted earlier
    (`comms="early"`) waits for nothing on gloo, and at its consumer the dry-run still checks
    that its send comes first."""
    consumes = {"F": "RECV_F", "I": "RECV_B", "B": "RECV_B"}
    out: dict[int, list[Any]] = {}
    for rank, row in actions.items():
        kinds = [a.computation_type.value for a in row]
        recvs = {(k, a.stage_index, a.microbatch_index): a
                 for a, k in zip(row, kinds, strict=True) if k.startswith("RECV")}  # fmt: skip
        new = []
        for a, k in zip(row, kinds, strict=True):
            if k.startswith("RECV"):
                continue
            key = (consumes.get(k, ""), a.stage_index, a.microbatch_index)
            if (r := recvs.pop(key, None)) is not None:
                new.append(r)
            new.append(a)
        out[rank] = new + list(recvs.values())
    return out


def check_message_order(rows: dict[int, list[str]], rank_of: dict[int, int]) -> None:
    """AssertionError unless every rank receives from each peer exactly the messages that
    peer sends it, in the same order (torch tags them all 0, so they match in order)."""
    sent: dict[tuple[int, int], list[str]] = {}
    got: dict[tuple[int, int], list[str]] = {}
    for row in rows.values():
        for a in row:
            if m := re.match(r"^(\d+)(SEND|RECV)_([FB])(\d+)$", a):
                s, way, fb, j = int(m.group(1)), m.group(2), m.group(3), m.group(4)
                src = s if way == "SEND" else (s - 1 if fb == "F" else s + 1)
                dst = (s + 1 if fb == "F" else s - 1) if way == "SEND" else s
                key = (rank_of[src], rank_of[dst])
                (sent if way == "SEND" else got).setdefault(key, []).append(f"{src}{fb}{j}")
    if sent != got:
        bad = sorted(k for k in sent.keys() | got.keys() if sent.get(k) != got.get(k))
        raise AssertionError(f"messages from rank {bad[0][0]} to rank {bad[0][1]} out of order")
