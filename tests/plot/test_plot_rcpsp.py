"""RCPSP plot: a Gantt box per activity, a usage profile per resource with downtime."""

from __future__ import annotations

from pathlib import Path

import pytest

import schedkit
from schedkit.models.rcpsp import (
    Activity,
    Downtime,
    Precedence,
    RcpspProblem,
    RcpspSolution,
    Resource,
)
from schedkit.plot.rcpsp import draw

from .plot_helpers import check_files, rects

ACTIVITIES = [(3, 2, 0), (2, 1, 1), (4, 2, 0), (2, 3, 0), (1, 1, 1), (0, 0, 0)]


@pytest.fixture(scope="module")
def problem() -> RcpspProblem:
    return RcpspProblem(
        name="downtime-demo",
        resources=[
            Resource(name="crew", capacity=3, downtime=[Downtime(start=4, end=6, capacity=1)]),
            Resource(name="crane", capacity=1),
        ],
        activities=[
            Activity(id=f"a{i}", duration=d, demands=[q, c], deadline=20 if i == 2 else None)
            for i, (d, q, c) in enumerate(ACTIVITIES)
        ],
        precedences=[Precedence(before="a0", after="a2"), Precedence(before="a2", after="a5")],
    )


@pytest.fixture(scope="module")
def solution(problem: RcpspProblem) -> RcpspSolution:
    result = schedkit.solve(problem, "heuristic", time_limit=1)
    assert isinstance(result.solution, RcpspSolution)
    return result.solution


def usage_at(problem: RcpspProblem, starts: tuple[int, ...], k: int, t: float) -> int:
    return sum(
        problem.demand[j][k]
        for j, a in enumerate(problem.activities)
        if starts[j] <= t < starts[j] + a.duration
    )


def value_at(x: tuple[float, ...], y: tuple[float, ...], t: float) -> float:
    """The value of a post-step series at time t."""
    return y[max(i for i, xi in enumerate(x) if xi <= t)]


def test_gantt_boxes(problem: RcpspProblem, solution: RcpspSolution) -> None:
    fig = draw(problem, solution)
    boxes = rects(fig.axes[0], "activity:")
    assert len(boxes) == len(fig.boxes) == problem.n
    for j, a in enumerate(problem.activities):
        r = boxes[f"activity:{j}"]
        assert (r.get_x(), r.get_width()) == (solution.start[j], a.duration)
    rows = sorted(b.row for b in fig.boxes)
    assert rows == list(range(problem.n))


def test_usage_and_capacity_profiles(problem: RcpspProblem, solution: RcpspSolution) -> None:
    fig = draw(problem, solution)
    assert len(fig.axes) >= 1 + problem.m
    for k, res in enumerate(problem.resources):
        series = {s.name: s for s in fig.series if s.panel == f"resource {res.name}"}
        usage, cap = series["usage"], series["capacity"]
        for t in range(int(max(usage.x))):
            assert value_at(usage.x, usage.y, t + 0.5) == usage_at(problem, solution.start, k, t)
            assert value_at(cap.x, cap.y, t + 0.5) == res.capacity_at(t)
    crew = next(s for s in fig.series if s.name == "capacity" and "crew" in s.panel)
    assert value_at(crew.x, crew.y, 4) == 1 and value_at(crew.x, crew.y, 6) == 3


def test_infeasible_schedule_is_drawn_and_flagged(problem: RcpspProblem) -> None:
    everything_at_zero = RcpspSolution(start=(0,) * problem.n)
    fig = draw(problem, everything_at_zero)
    assert len(fig.boxes) == problem.n
    assert "INFEASIBLE" in fig.title_text and "resource_overload" in fig.title_text


def test_files(problem: RcpspProblem, solution: RcpspSolution, tmp_path: Path) -> None:
    check_files(problem, solution, tmp_path)
