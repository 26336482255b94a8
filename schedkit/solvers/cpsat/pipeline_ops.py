"""Variables of the CP-SAT pipeline model: an interval per op, and per (stage, microbatch) of
a stage where fusing pays (fusion.py) a Boolean `fused` choosing between a BW interval and the
split B and W intervals (optional, on the same device).

Keys: F, B and W of every (stage, microbatch). B's start and end belong to the backward that
delivers the input gradient (B, or BW when fused: the two optional intervals share them). An
absent W (fused op) is a ghost: its start and end only keep the chain of W ends of its stage
(W(j) starts after W(j-1) ends, W(j) after B(j)), so the last W's end is the stage's last end
in every case, and nothing else sees it. `free` is when the W half's memory is freed: W's end
when split, the backward's end when fused.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from schedkit.models.pipeline.fusion import ModelTimes, fusable_stages
from schedkit.models.pipeline.problem import OpKey, PipelineProblem
from schedkit.models.pipeline.scaling import Scaled

Vars = dict[OpKey, cp_model.IntVar]


@dataclass
class OpVars:
    """Start and end per op key; per (stage, microbatch) that may fuse, `fused` and `free`
    (when W's memory is freed: W's end, or the backward's end when fused); the intervals of
    every device."""

    start: Vars = field(default_factory=dict)
    end: Vars = field(default_factory=dict)
    fused: dict[tuple[int, int], cp_model.IntVar] = field(default_factory=dict)
    intervals: list[list[cp_model.IntervalVar]] = field(default_factory=list)
    free: dict[tuple[int, int], cp_model.IntVar] = field(default_factory=dict)


def horizon(problem: PipelineProblem, sc: Scaled) -> int:
    """A serial schedule (one op at a time, everywhere, each backward at its longest) always
    fits in this many units."""
    m, d = problem.microbatches, sc.dur
    longest = [max(d["BW"][s], d["B"][s] + d["W"][s]) for s in range(problem.stages)]
    work = sum(m * (d["F"][s] + longest[s]) for s in range(problem.stages))
    return work + 2 * m * problem.stages * sc.comm


Row = list[cp_model.IntervalVar]


def _fixed(model: cp_model.CpModel, ov: OpVars, row: Row, key: OpKey, d: int, h: int) -> None:
    k, s, j = key
    ov.start[key] = model.new_int_var(0, h - d, f"s_{k}{s}_{j}")
    ov.end[key] = model.new_int_var(d, h, f"e_{k}{s}_{j}")
    interval = model.new_interval_var(ov.start[key], d, ov.end[key], f"i_{k}{s}_{j}")
    row.append(interval)


def _fusable(
    model: cp_model.CpModel, ov: OpVars, row: Row, sc: Scaled, s: int, j: int, h: int
) -> None:
    """B/BW sharing one start and end, the W optional (a ghost when fused)."""
    b, w, bw = sc.dur["B"][s], sc.dur["W"][s], sc.dur["BW"][s]
    x = ov.fused[(s, j)] = model.new_bool_var(f"x{s}_{j}")
    key_b, key_w = ("B", s, j), ("W", s, j)
    gs = ov.start[key_b] = model.new_int_var(0, h - min(b, bw), f"s_B{s}_{j}")
    ge = ov.end[key_b] = model.new_int_var(min(b, bw), h, f"e_B{s}_{j}")
    model.add(ge == gs + b + (bw - b) * x)
    ws = ov.start[key_w] = model.new_int_var(0, h, f"s_W{s}_{j}")
    we = ov.end[key_w] = model.new_int_var(0, h, f"e_W{s}_{j}")
    model.add(we >= ws)
    free = ov.free[(s, j)] = model.new_int_var(0, h, f"m_W{s}_{j}")
    model.add(free == ge).only_enforce_if(x)
    model.add(free == we).only_enforce_if(~x)
    row += [
        model.new_optional_interval_var(gs, b, ge, ~x, f"i_B{s}_{j}"),
        model.new_optional_interval_var(gs, bw, ge, x, f"i_BW{s}_{j}"),
        model.new_optional_interval_var(ws, w, we, ~x, f"i_W{s}_{j}"),
    ]


def op_vars(model: cp_model.CpModel, problem: PipelineProblem, sc: Scaled, h: int) -> OpVars:
    """Every op's variables and intervals, grouped by device."""
    ov = OpVars(intervals=[[] for _ in range(problem.devices)])
    fusable = fusable_stages(problem)
    for s in range(problem.stages):
        row = ov.intervals[problem.device_of(s)]
        for j in range(problem.microbatches):
            _fixed(model, ov, row, ("F", s, j), sc.dur["F"][s], h)
            if s in fusable:
                _fusable(model, ov, row, sc, s, j, h)
            else:
                _fixed(model, ov, row, ("B", s, j), sc.dur["B"][s], h)
                _fixed(model, ov, row, ("W", s, j), sc.dur["W"][s], h)
    return ov


def memory_events(
    problem: PipelineProblem, sc: Scaled, ov: OpVars, local: tuple[int, ...]
) -> tuple[list[cp_model.IntVar], list[int]]:
    """(time, change) of every memory event of one device: F allocates at its start, B frees
    at its end, W at its end (split) or at the backward's end (fused: `free`). One event per
    amount, always active: the reservoir with active literals made CP-SAT 9.15 abort on a
    solution it had found ("Infeasible solution!") in a p = 3, m = 4 test."""
    times, changes = [], []
    for s in local:
        f, b, w = sc.mem["F"][s], sc.mem["B"][s], sc.mem["W"][s]
        for j in range(problem.microbatches):
            ge, we = ov.end[("B", s, j)], ov.end[("W", s, j)]
            times += [ov.start[("F", s, j)], ge, ov.free.get((s, j), we)]
            changes += [f, b, w]
    return times, changes


def add_hint(model: cp_model.CpModel, problem: PipelineProblem, ov: OpVars, mt: ModelTimes) -> None:
    """Hint every op variable and `fused` with a schedule's values; a ghost W starts and ends
    at the later of its backward's end and the previous W's end (its stage's chain), which
    `mt.end` then holds for the objective's hint."""
    for s in range(problem.stages):
        last_w = 0
        for j in range(problem.microbatches):
            for k in ("F", "B"):
                model.add_hint(ov.start[(k, s, j)], round(mt.start[(k, s, j)]))
                model.add_hint(ov.end[(k, s, j)], round(mt.end[(k, s, j)]))
            fused = (s, j) in mt.fused
            if (s, j) in ov.fused:
                model.add_hint(ov.fused[(s, j)], fused)
            if fused:
                ws = we = max(round(mt.end[("B", s, j)]), last_w)
            else:
                ws, we = round(mt.start[("W", s, j)]), round(mt.end[("W", s, j)])
            model.add_hint(ov.start[("W", s, j)], ws)
            model.add_hint(ov.end[("W", s, j)], we)
            if (s, j) in ov.free:
                model.add_hint(ov.free[(s, j)], round(mt.end[("B", s, j)]) if fused else we)
            mt.end[("W", s, j)] = last_w = we
