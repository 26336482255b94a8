"""torch.distributed.pipelining's own schedule classes as references, generated at run time.

Each class builds its per-rank action lists (`pipeline_order`) in its constructor from the
stage count, the rank count and the microbatch count alone, so it is built here over stand-in
stages (no process group, no model), written as torch's compute-only CSV and read back through
schedkit's CSV reader (`io/torch_pipeline.py`); the simulator then times it with the problem's
durations. torch is optional: without it (or when a class refuses the shape, e.g. a
microbatch count its rounds do not divide) the reference is simply not applicable.

The multi-stage classes accept one stage per rank too, so on a plain pipeline they give
torch's 1F1B (ScheduleInterleaved1F1B), GPipe (ScheduleLoopedBFS) and ZB-H1-like
(ScheduleInterleavedZeroBubble) orders. torch 2.13's single-stage `Schedule1F1B` writes an
order that starts the last rank at microbatch 1 and ends it at microbatch m (one past the
last), which the CSV reader rejects: that reference is then not applicable.
"""

from __future__ import annotations

import csv
import importlib.util
import io
from dataclasses import dataclass
from functools import cache
from typing import Any

from schedkit.models.pipeline.problem import OpKey, PipelineProblem

Orders = list[list[OpKey]]


@dataclass(frozen=True)
class TorchSchedule:
    """A torch schedule class and the stage layout it needs (`single`: a single-stage class,
    one stage per rank; `loop`: a multi-stage class over looped stages, one or more per rank;
    `v`: two stages per rank in a V)."""

    cls: str
    layout: str

    def applies(self, problem: PipelineProblem) -> bool:
        if self.layout == "single":
            return problem.chunks == 1
        if self.layout == "v":
            return problem.chunks == 2 and problem.stage_placement == "v"
        return problem.stage_placement == "loop"


TORCH_SCHEDULES = {
    "torch-gpipe": TorchSchedule("ScheduleGPipe", "single"),
    "torch-1f1b": TorchSchedule("Schedule1F1B", "single"),
    "torch-interleaved-1f1b": TorchSchedule("ScheduleInterleaved1F1B", "loop"),
    "torch-looped-bfs": TorchSchedule("ScheduleLoopedBFS", "loop"),
    "torch-interleaved-zb": TorchSchedule("ScheduleInterleavedZeroBubble", "loop"),
    "torch-zbv": TorchSchedule("ScheduleZBVZeroBubble", "v"),
    "torch-dualpipev": TorchSchedule("ScheduleDualPipeV", "v"),
}


def torch_available() -> bool:
    """Whether torch with its pipelining schedules can be imported (without importing it)."""
    try:
        return importlib.util.find_spec("torch") is not None
    except (ImportError, ValueError):
        return False


class _Stage:
    """The attributes a schedule constructor reads from a `PipelineStage`."""

    def __init__(self, index: int, stages: int, ranks: int, submod: Any) -> None:
        self.stage_index, self.num_stages = index, stages
        self.group_size, self.group_rank = ranks, 0
        self.is_first, self.is_last = index == 0, index == stages - 1
        self.has_backward = True
        self.submod = submod
        self.stage_index_to_group_rank: dict[int, int] = {}


def _cell(action: Any) -> list[str]:
    """One action as CSV cells (an overlapped F/B pair becomes its two parts)."""
    if action is None:
        return []
    if action.sub_actions is not None:
        return [c for sub in action.sub_actions for c in _cell(sub)]
    return [str(action)]


@cache
def torch_csv(
    cls_name: str, devices: int, stages: tuple[int, ...], n: int, m: int, single: bool
) -> str | None:
    """The CSV of `cls_name` for rank-0 stages `stages` of `n` over `devices` ranks (None when
    torch is missing or the class refuses the shape)."""
    if not torch_available():
        return None
    try:
        import torch
        from torch.distributed.pipelining import schedules

        cls = getattr(schedules, cls_name)
        submod = torch.nn.Identity()
        built = [_Stage(s, n, devices, submod) for s in stages]
        schedule = cls(built[0], m) if single else cls(built, m)
        order = schedule.pipeline_order
        rows = [[c for a in order[r] for c in _cell(a)] for r in range(devices)]
    except Exception:  # any refusal (shape checks, API drift): not applicable
        return None
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    return buf.getvalue()


def torch_orders(problem: PipelineProblem, name: str) -> Orders | None:
    """The per-device orders of torch schedule `name` on the problem (None: not applicable)."""
    spec = TORCH_SCHEDULES[name]
    if not spec.applies(problem):
        return None
    p, stages = problem.devices, problem.stages_of[0]
    text = torch_csv(
        spec.cls, p, stages, problem.stages, problem.microbatches, spec.layout == "single"
    )
    if text is None:
        return None
    from schedkit.io.torch_pipeline import from_torch_csv

    try:
        solution = from_torch_csv(problem, text)
    except ValueError:
        return None
    return solution.orders(problem.devices)
