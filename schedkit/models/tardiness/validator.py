"""Independent validator for tardiness solutions (shares no code with the solvers)."""

from __future__ import annotations

from collections import Counter

from schedkit.models.base import Report, check_claimed_objective
from schedkit.models.tardiness.problem import TardinessProblem, TardinessSolution


def semi_active_starts(problem: TardinessProblem, sequence: tuple[int, ...]) -> list[int]:
    """Earliest start of each position when jobs run in `sequence` order without idling."""
    starts: list[int] = []
    t = 0
    for j in sequence:
        job = problem.jobs[j]
        t = max(t, job.release_date)
        starts.append(t)
        t += job.processing_time
    return starts


def validate(problem: TardinessProblem, solution: TardinessSolution) -> Report:
    """Check the sequence is a permutation and the times are consistent; recompute the cost."""
    report = Report()
    n = problem.n
    seq = solution.sequence
    bad = [j for j in seq if not 0 <= j < n]
    for j in bad:
        report.add("unknown_job", f"job index {j} is outside 0..{n - 1}")
    counts = Counter(seq)
    for j, c in sorted(counts.items()):
        if c > 1:
            report.add("duplicate_job", f"job {j} appears {c} times in the sequence")
    for j in sorted(set(range(n)) - set(counts)):
        report.add("missing_job", f"job {j} is not in the sequence")
    if bad:
        return report
    starts = list(solution.start) if solution.start is not None else None
    if starts is None:
        starts = semi_active_starts(problem, seq)
    elif len(starts) != len(seq):
        report.add("bad_start", f"{len(starts)} start times for {len(seq)} sequence positions")
        return report
    total = 0
    tardy = 0
    max_tardiness = 0
    prev_end = None
    for k, (j, s) in enumerate(zip(seq, starts, strict=True)):
        job = problem.jobs[j]
        if s < job.release_date:
            report.add(
                "release_date", f"job {j} starts at {s} before its release {job.release_date}"
            )
        if prev_end is not None and s < prev_end:
            report.add("overlap", f"job {j} (position {k}) starts at {s} before {prev_end}")
        end = s + job.processing_time
        prev_end = end if prev_end is None else max(prev_end, end)
        lateness = end - job.due_date
        if lateness > 0:
            tardy += 1
            max_tardiness = max(max_tardiness, lateness)
            total += job.weight * lateness
    report.objective = float(total)
    report.metrics = {
        "tardy_jobs": tardy,
        "max_tardiness": max_tardiness,
        "makespan": prev_end or 0,
    }
    check_claimed_objective(report, solution.objective)
    return report
