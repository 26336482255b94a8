"""Pipeline schedules to and from torch.distributed.pipelining's compute-only action CSV.

One row per rank, one cell per action in execution order: `{stage}{type}{microbatch}` with
type F (forward), I (backward input: our B), W (backward weight) or B (full backward: our
fused BW), e.g. `0F1`, `1I0`, `0W3`. This is what `_PipelineScheduleRuntime._load_csv`
reads. Communication and FSDP actions (SEND_F, RECV_B, UNSHARD, ...) are skipped on import;
an overlapped pair `(0F7;7B3)OVERLAP_F_B` (DualPipeV) is read as its two actions in order.
torch itself is not needed, except by `torch_validate`.
"""

from __future__ import annotations

import csv
import io
import re
from typing import Any

from schedkit.errors import InputError
from schedkit.models.pipeline.problem import OpKey, PipelineProblem, PipelineSolution
from schedkit.models.pipeline.simulate import to_solution

TO_TORCH = {"F": "F", "B": "I", "W": "W", "BW": "B"}
FROM_TORCH = {v: k for k, v in TO_TORCH.items()}
ACTION = re.compile(
    r"^(\d+)(F|I|B|W|UNSHARD|RESHARD|REDUCE_GRAD|SEND_F|RECV_F|SEND_B|RECV_B)(\d*)$"
)
OVERLAP = re.compile(r"^\(([^()]*)\)OVERLAP_F_B$")


def to_torch_rows(problem: PipelineProblem, solution: PipelineSolution) -> list[list[str]]:
    """Per-rank action strings in start order."""
    return [[f"{s}{TO_TORCH[k]}{j}" for k, s, j in row] for row in solution.orders(problem.devices)]


def to_torch_csv(problem: PipelineProblem, solution: PipelineSolution) -> str:
    """The schedule as torch's compute-only CSV (one row per rank)."""
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(to_torch_rows(problem, solution))
    return buf.getvalue()


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


def torch_validate(problem: PipelineProblem, text: str) -> dict[int, int]:
    """Run torch's own checks on an exported CSV: action parsing, `_validate_schedule`
    (counts and F/I/W order per stage, stage-to-rank mapping), lowering to send/recv and the
    dry-run simulator (deadlocks). Returns torch's stage -> rank mapping; needs torch."""
    from torch.distributed.pipelining import schedules as ts

    actions: dict[int, list[Any]] = {
        rank: [ts._Action.from_str(c) for c in row]
        for rank, row in enumerate(csv.reader(io.StringIO(text)))
    }
    mapping: dict[int, int] = ts._validate_schedule(
        actions, problem.devices, problem.stages, problem.microbatches
    )
    if mapping != {s: problem.device_of(s) for s in range(problem.stages)}:
        raise AssertionError(f"torch infers stage->rank {mapping}")
    lowered = ts._add_send_recv(
        {r: [a for a in row if a is not None] for r, row in actions.items()},
        stage_to_rank=lambda s: mapping[s],
        num_stages=problem.stages,
    )
    ts._simulate_comms_compute(lowered, lambda s: mapping[s], problem.stages)
    return mapping
