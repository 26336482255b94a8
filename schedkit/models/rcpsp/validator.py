"""Independent validator for RCPSP schedules (shares no code with the solvers).

Violation codes: `bad_length`, `negative_start`, `precedence`, `release`, `deadline`,
`resource_overload` (normal capacity exceeded), `downtime_overload` (the reduced capacity of a
downtime window exceeded), `disjunctive_overlap`, `objective_mismatch`.
"""

from __future__ import annotations

from schedkit.models.base import Report, check_claimed_objective
from schedkit.models.rcpsp.problem import RcpspProblem, RcpspSolution, Resource

MAX_REPORTED = 20


def validate(problem: RcpspProblem, solution: RcpspSolution) -> Report:
    """Check every constraint of `problem` against the start times; recompute the makespan."""
    report = Report()
    starts = list(solution.start)
    if len(starts) != problem.n:
        report.add("bad_length", f"{len(starts)} start times for {problem.n} activities")
        return report
    _check_times(problem, starts, report)
    _check_precedences(problem, starts, report)
    for k, res in enumerate(problem.resources):
        _check_resource(problem, starts, k, res, report)
    _check_disjunctive(problem, starts, report)
    ends = [s + a.duration for s, a in zip(starts, problem.activities, strict=True)]
    report.objective = float(max(ends, default=0))
    report.metrics = {"makespan": int(report.objective), "activities": problem.n}
    check_claimed_objective(report, solution.objective)
    return report


def _check_times(problem: RcpspProblem, starts: list[int], report: Report) -> None:
    for a, s in zip(problem.activities, starts, strict=True):
        if s < 0:
            report.add("negative_start", f"activity {a.id} starts at {s} < 0")
        if s < a.release:
            report.add("release", f"activity {a.id} starts at {s} before its release {a.release}")
        if a.deadline is not None and s + a.duration > a.deadline:
            report.add(
                "deadline",
                f"activity {a.id} finishes at {s + a.duration} after its deadline {a.deadline}",
            )


def _check_precedences(problem: RcpspProblem, starts: list[int], report: Report) -> None:
    acts = problem.activities
    pos = {a.id: j for j, a in enumerate(acts)}
    for p in problem.precedences:
        i, j = pos[p.before], pos[p.after]
        ref = starts[i] + (acts[i].duration if p.type == "FS" else 0)
        if starts[j] < ref + p.lag:
            what = "finish" if p.type == "FS" else "start"
            report.add(
                "precedence",
                f"activity {p.after} starts at {starts[j]} but must wait until {ref + p.lag} "
                f"({p.type}: {what} of {p.before} at {ref} + lag {p.lag})",
            )


def _check_resource(
    problem: RcpspProblem, starts: list[int], k: int, res: Resource, report: Report
) -> None:
    """Usage is piecewise constant between start/end/downtime boundaries: a sweep over the
    sorted boundaries checks each piece where usage rises or capacity drops (O(n log n))."""
    delta: dict[int, int] = {}
    for j, a in enumerate(problem.activities):
        if a.demands and a.demands[k] > 0 and a.duration > 0:
            s = starts[j]
            delta[s] = delta.get(s, 0) + a.demands[k]
            delta[s + a.duration] = delta.get(s + a.duration, 0) - a.demands[k]
    checks = {s for s, d in delta.items() if d > 0} | {w.start for w in res.downtime}
    found = used = 0
    for t in sorted(delta.keys() | checks):
        used += delta.get(t, 0)
        if t not in checks or found >= MAX_REPORTED:
            continue
        cap = res.capacity_at(t)
        if used > cap:
            found += 1
            if cap < res.capacity:
                report.add(
                    "downtime_overload",
                    f"resource {res.name} uses {used} > {cap} at t={t}, inside a downtime window",
                )
            else:
                report.add("resource_overload", f"resource {res.name} uses {used} > {cap} at t={t}")


def _check_disjunctive(problem: RcpspProblem, starts: list[int], report: Report) -> None:
    pos = {a.id: j for j, a in enumerate(problem.activities)}
    for a, b in problem.disjunctive:
        i, j = pos[a], pos[b]
        di, dj = problem.activities[i].duration, problem.activities[j].duration
        if di and dj and starts[i] < starts[j] + dj and starts[j] < starts[i] + di:
            report.add(
                "disjunctive_overlap",
                f"activities {a} [{starts[i]}, {starts[i] + di}) and {b} "
                f"[{starts[j]}, {starts[j] + dj}) overlap",
            )
