"""The pipeline validator's fast path: every check of `validator.py` on arrays, for schedules
with no violation.

At p = 64, m = 512 (98,304 ops) the per-op Python checks take about 2 s, more than the time
limit such a solve is given. Here the same checks run as numpy operations over arrays of the
ops (kind, stage, microbatch, device, start), with the same tolerances and in the same order
of summation where it matters (memory levels, per-device work). Any violation, or anything
unusual (a type the arrays cannot hold), returns None and the per-op path runs instead, so the
messages stay the per-op checks' own.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from schedkit.models.pipeline.problem import PipelineProblem, PipelineSolution

EPS = 1e-6
KINDS = ("F", "B", "W", "BW")
CODE = {k: i for i, k in enumerate(KINDS)}


@dataclass(frozen=True)
class Columns:
    """The ops as arrays, in solution order."""

    kind: np.ndarray
    stage: np.ndarray
    microbatch: np.ndarray
    device: np.ndarray
    start: np.ndarray

    @classmethod
    def of(cls, sol: PipelineSolution) -> Columns | None:
        """None where a field is not what the arrays hold exactly (the per-op path decides)."""
        ops = sol.ops
        starts = [o.start for o in ops]
        ints = [(o.stage, o.microbatch, o.device) for o in ops]
        if {type(x) for x in starts} - {float, int} or {type(v) for t in ints for v in t} - {int}:
            return None
        kinds = [CODE.get(o.kind, -1) for o in ops]
        if -1 in kinds:
            return None
        try:
            cols = np.array(ints, dtype=np.int64).reshape(-1, 3)
        except OverflowError:  # an index beyond int64: out of range, for the per-op checks
            return None
        start = np.array(starts, dtype=np.float64)
        return cls(np.array(kinds, dtype=np.int64), cols[:, 0], cols[:, 1], cols[:, 2], start)


@dataclass(frozen=True)
class Summary:
    """What the metrics are computed from, per device: first start, last end, total work,
    peak memory; the fused backwards; and the op keys of each device in start order."""

    first: list[float]
    last: list[float]
    work: list[float]
    peaks: list[float]
    fused: int
    orders: list[list[tuple[str, int, int]]]


def summarize(problem: PipelineProblem, sol: PipelineSolution) -> Summary | None:
    """The `Summary` of a schedule without violations, else None (the per-op path decides)."""
    c = Columns.of(sol)
    if c is None or not _complete(problem, c):
        return None
    times = np.array([problem.t[k] for k in KINDS])  # (kind, stage)
    dur = times[c.kind, c.stage]
    tol = EPS * max(1.0, float(np.max(np.abs(c.start) + dur, initial=0.0)) * 1e-6)
    if np.any(c.start < -tol) or not _dependencies_met(problem, c, dur, tol):
        return None
    order = np.lexsort((dur > 0, c.start, c.device))
    bounds = np.searchsorted(c.device[order], np.arange(problem.devices + 1))
    peaks = _device_peaks(problem, c, dur, tol, order, bounds)
    if peaks is None:
        return None
    return _summary(problem, c, dur, order, bounds, peaks)


def _complete(problem: PipelineProblem, c: Columns) -> bool:
    """Finite starts, known stages and microbatches on their devices, every op once, and per
    (stage, microbatch) either a fused BW or both B and W."""
    s_, m_ = problem.stages, problem.microbatches
    if not np.all(np.isfinite(c.start)):
        return False
    if np.any((c.stage < 0) | (c.stage >= s_) | (c.microbatch < 0) | (c.microbatch >= m_)):
        return False
    if np.any(c.device != np.array(problem.device_list)[c.stage]):
        return False
    count = np.bincount((c.kind * s_ + c.stage) * m_ + c.microbatch, minlength=4 * s_ * m_)
    f, b, w, bw = count.reshape(4, s_, m_)
    if count.max(initial=0) > 1 or not f.all():
        return False
    return bool(np.all(np.where(bw == 1, (b == 0) & (w == 0), (b == 1) & (w == 1))))


def _dependencies_met(problem: PipelineProblem, c: Columns, dur: np.ndarray, tol: float) -> bool:
    """Every op starts after its predecessor's end plus the lag (`simulate.predecessors`)."""
    s_, m_, last = problem.stages, problem.microbatches, problem.stages - 1
    end = np.full((4, s_ + 1, m_), np.nan)
    end[c.kind, c.stage, c.microbatch] = c.start + dur
    lag = np.array([problem.lag(a, a + 1) for a in range(s_ - 1)] + [0.0])  # a -> a + 1
    s, j = c.stage, c.microbatch
    down = np.where(np.isnan(end[3, s + 1, j]), end[1, s + 1, j], end[3, s + 1, j])
    ready = np.select(
        [c.kind == 0, c.kind == 2, s == last],
        [
            np.where(s > 0, end[0, s - 1, j] + lag[s - 1], -np.inf),
            end[1, s, j],
            end[0, s, j],
        ],
        down + lag[np.minimum(s, s_ - 1)],
    )
    return not bool(np.any(c.start < ready - tol))


def _device_peaks(
    problem: PipelineProblem,
    c: Columns,
    dur: np.ndarray,
    tol: float,
    order: np.ndarray,
    bounds: np.ndarray,
) -> list[float] | None:
    """Per device in start order: no overlap, and the memory level (summed in that order)
    within the limit; the peak level of each device, or None on a violation."""
    start, end = c.start[order], (c.start + dur)[order]
    same = c.device[order][1:] == c.device[order][:-1]
    if np.any(same & (start[1:] < end[:-1] - tol)):
        return None
    mem = np.array([problem.mem[k] for k in KINDS])[c.kind, c.stage][order]
    limit = problem.memory.limit
    peaks: list[float] = []
    for d in range(problem.devices):
        level = np.cumsum(mem[bounds[d] : bounds[d + 1]])
        if limit is not None and np.any(level > limit + EPS * max(1.0, limit)):
            return None
        peaks.append(max(0.0, float(level.max(initial=0.0))))
    return peaks


def _summary(
    problem: PipelineProblem,
    c: Columns,
    dur: np.ndarray,
    order: np.ndarray,
    bounds: np.ndarray,
    peaks: list[float],
) -> Summary:
    """Per device, in start order: first start, last end, work (summed by Python in that
    order, as the per-op path does), and the op keys."""
    start, end, d_sorted = c.start[order], (c.start + dur)[order], dur[order]
    keys = list(zip([KINDS[k] for k in c.kind[order].tolist()], c.stage[order].tolist(),
                    c.microbatch[order].tolist(), strict=True))  # fmt: skip
    first, last, work, orders = [], [], [], []
    for d in range(problem.devices):
        lo, hi = int(bounds[d]), int(bounds[d + 1])
        first.append(float(start[lo:hi].min()) if hi > lo else 0.0)
        last.append(float(end[lo:hi].max()) if hi > lo else 0.0)
        work.append(sum(d_sorted[lo:hi].tolist()))
        orders.append(keys[lo:hi])
    return Summary(first, last, work, peaks, int(np.count_nonzero(c.kind == 3)), orders)
