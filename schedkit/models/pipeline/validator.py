"""Independent validator for pipeline schedules (no solver code).

It checks the given start times directly: every op present exactly once on its stage's device,
dependencies (with communication), one op at a time per device, the memory limit of every
device (prefix sums in start order). It recomputes both objectives, per-device bubbles and
peak memory; the ASAP replay of the same orders (simulate.py) is reported as a metric. The
checks run on arrays first (`validator_arrays.py`); only a schedule with a violation is
checked op by op, which gives the messages.
"""

from __future__ import annotations

from collections import Counter

from schedkit.models.base import Report, check_claimed_objective, is_finite_number
from schedkit.models.pipeline.problem import Op, OpKey, PipelineProblem, PipelineSolution
from schedkit.models.pipeline.simulate import SimResult, predecessors, simulate, spans
from schedkit.models.pipeline.validator_arrays import Summary, summarize

EPS = 1e-6
MAX_MESSAGES = 20


def _check_ops(problem: PipelineProblem, sol: PipelineSolution, report: Report) -> bool:
    """Ranges, devices, duplicates and missing ops; False when times cannot be checked."""
    ok = True
    for op in sol.ops:
        if not is_finite_number(op.start):
            report.add("bad_time", f"{_name(op.key)} starts at {op.start!r}, not a finite number")
            ok = False
        if not (0 <= op.stage < problem.stages and 0 <= op.microbatch < problem.microbatches):
            report.add("unknown_op", f"{_name(op.key)} is outside the stages/microbatches")
            ok = False
        elif op.device != problem.device_of(op.stage):
            report.add(
                "wrong_device",
                f"{_name(op.key)} is on device {op.device}, but stage "
                f"{op.stage} lives on device {problem.device_of(op.stage)}",
            )
            ok = False
    counts = Counter(op.key for op in sol.ops)
    for key, c in sorted(counts.items()):
        if c > 1:
            report.add("duplicate_op", f"{_name(key)} appears {c} times")
            ok = False
    for s in range(problem.stages):
        for j in range(problem.microbatches):
            ok &= _check_one(counts, s, j, report)
    return ok


def _check_one(counts: Counter[OpKey], s: int, j: int, report: Report) -> bool:
    fused, b, w = ("BW", s, j) in counts, ("B", s, j) in counts, ("W", s, j) in counts
    missing = [] if ("F", s, j) in counts else [("F", s, j)]
    if fused and (b or w):
        report.add("duplicate_op", f"stage {s} microbatch {j} has a fused BW and a split B/W")
        return False
    if not fused:
        missing += [k for k, there in ((("B", s, j), b), (("W", s, j), w)) if not there]
    for key in missing:
        report.add("missing_op", f"{_name(key)} is not scheduled")
    return not missing


def _name(key: OpKey) -> str:
    return f"{key[0]}(stage {key[1]}, mb {key[2]})"


def tolerance(problem: PipelineProblem, sol: PipelineSolution) -> float:
    """EPS in absolute terms up to times of 1e6, then relative (1e-12 of the largest end time):
    far above float rounding, far below any real difference."""
    scale = max((abs(op.start) + problem.duration(op.key) for op in sol.ops), default=0.0)
    return EPS * max(1.0, scale * 1e-6)


def _check_times(
    problem: PipelineProblem, sol: PipelineSolution, report: Report, tol: float = EPS
) -> None:
    ops = {op.key: op for op in sol.ops}
    for op in sol.ops:
        if op.start < -tol:
            report.add("negative_start", f"{_name(op.key)} starts at {op.start:g} < 0")
        for pred, lag in predecessors(problem, op.key, ops):
            p = ops[pred]
            ready = p.start + problem.duration(pred) + lag
            if op.start < ready - tol:
                report.add(
                    "dependency",
                    f"{_name(op.key)} starts at {op.start:g} before "
                    f"{_name(pred)} is done (+comm) at {ready:g}",
                )


def _device_rows(problem: PipelineProblem, sol: PipelineSolution) -> list[list[Op]]:
    rows: list[list[Op]] = [[] for _ in range(problem.devices)]
    for op in sol.ops:
        rows[op.device].append(op)
    return [sorted(r, key=lambda o: (o.start, problem.duration(o.key) > 0)) for r in rows]


def _check_devices(
    problem: PipelineProblem, rows: list[list[Op]], report: Report, tol: float = EPS
) -> list[float]:
    """Overlap and memory per device; returns the peak memory of each device."""
    peaks: list[float] = []
    limit = problem.memory.limit
    for d, row in enumerate(rows):
        level = peak = 0.0
        flagged = False
        for prev, op in zip([None, *row[:-1]], row, strict=True):
            if prev is not None:
                prev_end = prev.start + problem.duration(prev.key)
                if op.start < prev_end - tol:
                    report.add(
                        "overlap",
                        f"device {d}: {_name(op.key)} starts at {op.start:g} "
                        f"before {_name(prev.key)} ends at {prev_end:g}",
                    )
            level += problem.mem[op.kind][op.stage]
            peak = max(peak, level)
            if limit is not None and level > limit + EPS * max(1.0, limit) and not flagged:
                report.add(
                    "memory",
                    f"device {d}: memory reaches {level:g} > limit {limit:g} "
                    f"at {_name(op.key)} (t={op.start:g})",
                )
                flagged = True
        peaks.append(peak)
    return peaks


def _metrics(problem: PipelineProblem, rows: list[list[Op]], peaks: list[float]) -> dict:
    first = [min((o.start for o in r), default=0.0) for r in rows]
    last = [max((o.start + problem.duration(o.key) for o in r), default=0.0) for r in rows]
    work = [sum(problem.duration(o.key) for o in r) for r in rows]
    fused = sum(1 for r in rows for o in r if o.kind == "BW")
    return metrics_of(problem, Summary(first, last, work, peaks, fused, []))


def metrics_of(problem: PipelineProblem, s: Summary) -> dict:
    """Span, makespan, bubbles and peak memory from the per-device figures."""
    span = [b - a for a, b in zip(s.first, s.last, strict=True)]
    bubble = [max(0.0, x - w) for x, w in zip(span, s.work, strict=True)]
    total = sum(span)
    return {
        "span": max(span),
        "makespan": max(s.last) - min(s.first),
        "device_span": span,
        "device_bubble": bubble,
        "bubble_ratio": [b / x if x > 0 else 0.0 for b, x in zip(bubble, span, strict=True)],
        "bubble_ratio_overall": sum(bubble) / total if total > 0 else 0.0,
        "peak_memory": s.peaks,
        "memory_limit": problem.memory.limit,
        "fused_backwards": s.fused,
    }


def validate(problem: PipelineProblem, solution: PipelineSolution) -> Report:
    """Check every constraint on the given times; recompute span, makespan and bubbles."""
    report = Report()
    summary = summarize(problem, solution)
    if summary is not None:  # no violation: the array checks' figures
        report.metrics = metrics_of(problem, summary)
        orders = summary.orders
    else:
        if not _check_ops(problem, solution, report):
            return report
        tol = tolerance(problem, solution)
        _check_times(problem, solution, report, tol)
        rows = _device_rows(problem, solution)
        peaks = _check_devices(problem, rows, report, tol)
        if len(report.violations) > MAX_MESSAGES:
            extra = len(report.violations) - MAX_MESSAGES
            report.violations = report.violations[:MAX_MESSAGES]
            report.add("more", f"... and {extra} more violations")
        report.metrics = _metrics(problem, rows, peaks)
        orders = [[o.key for o in r] for r in rows]
    report.objective = float(report.metrics[problem.objective])
    sim = simulate(problem, orders)
    report.metrics["asap_deadlock"] = sim.deadlock
    if not sim.deadlock:
        asap = _asap_metrics(problem, sim)
        report.metrics.update(asap)
    check_claimed_objective(report, solution.objective)
    return report


def _asap_metrics(problem: PipelineProblem, sim: SimResult) -> dict[str, float]:
    return {"asap_span": max(spans(problem, sim.start, sim.end)), "asap_makespan": sim.makespan}
