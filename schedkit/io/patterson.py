"""Patterson-format RCPSP files (`.rcp`, as in the RCPLIB / Patterson sets).

A stream of integers: the number of activities n (dummies included) and of resources m; the m
capacities; then one record per activity: duration, m demands, the number of successors and
the successors (1-based activity numbers). Line breaks are not significant. Activities get ids
"1" .. "n" as in the file.
"""

from __future__ import annotations

from schedkit.errors import InputError
from schedkit.io.psplib import plain_problem
from schedkit.models.rcpsp.problem import RcpspProblem


def _tokens(text: str, path: str) -> list[int]:
    values = []
    for k, tok in enumerate(text.split()):
        try:
            values.append(int(tok))
        except ValueError:
            raise InputError(f"token {k + 1} is {tok!r}, not an integer", file=path) from None
    return values


def read_rcp(text: str, path: str) -> list[RcpspProblem]:
    """The single instance of a Patterson `.rcp` file."""
    vals = _tokens(text, path)
    if len(vals) < 2:
        raise InputError("expected 'n m' on the first line", file=path)
    n, m = vals[0], vals[1]
    pos = 2 + m
    if n < 1 or m < 0 or len(vals) < pos:
        raise InputError(f"bad header: {n} activities, {m} resources", file=path)
    caps = vals[2:pos]
    activities, precedences = [], []
    for j in range(1, n + 1):
        if pos + m + 2 > len(vals):
            raise InputError(f"file ends inside the record of activity {j} of {n}", file=path)
        dur, dem, ns = vals[pos], vals[pos + 1 : pos + 1 + m], vals[pos + 1 + m]
        succ = vals[pos + 2 + m : pos + 2 + m + ns]
        if len(succ) < ns:
            raise InputError(f"activity {j}: {ns} successors announced, file ends", file=path)
        bad = [s for s in succ if not 1 <= s <= n]
        if bad:
            raise InputError(f"activity {j}: successor {bad[0]} is outside 1..{n}", file=path)
        activities.append({"id": j, "duration": dur, "demands": dem})
        precedences += [{"before": j, "after": s} for s in succ]
        pos += 2 + m + ns
    if pos != len(vals):
        raise InputError(f"{len(vals) - pos} unexpected integers after activity {n}", file=path)
    return [plain_problem(path, caps, activities, precedences)]


def to_rcp(problem: RcpspProblem) -> str:
    """The Patterson text of a plain instance (FS precedences without lags, no side data)."""
    if problem.has_side_constraints:
        raise ValueError("the Patterson format holds only plain RCPSP instances")
    succ: list[list[int]] = [[] for _ in range(problem.n)]
    for i, j, _ in problem.arcs:
        succ[i].append(j + 1)
    lines = [f"{problem.n} {problem.m}", " ".join(str(r.capacity) for r in problem.resources)]
    for j in range(problem.n):
        row = [problem.durations[j], *problem.demand[j], len(succ[j]), *succ[j]]
        lines.append(" ".join(map(str, row)))
    return "\n".join(lines) + "\n"
