"""Pipeline plot: one row per device, a box per op, memory over time, metrics in the title."""

from __future__ import annotations

from pathlib import Path

import pytest

import schedkit
from schedkit.models.pipeline import PipelineProblem, PipelineSolution
from schedkit.models.pipeline.references import build
from schedkit.plot.pipeline import draw

from .plot_helpers import check_files, rects


@pytest.fixture(scope="module")
def problem(instances_dir: Path) -> PipelineProblem:
    p = schedkit.load(instances_dir / "pipeline" / "p4-m8.yaml")
    assert isinstance(p, PipelineProblem)
    return p


@pytest.fixture(scope="module")
def solution(problem: PipelineProblem) -> PipelineSolution:
    result = schedkit.solve(problem, "heuristic", time_limit=1)
    assert isinstance(result.solution, PipelineSolution)
    return result.solution


def check_boxes(problem: PipelineProblem, solution: PipelineSolution) -> None:
    fig = draw(problem, solution)
    boxes = rects(fig.axes[0], "")
    assert len(boxes) == len(fig.boxes) == len(solution.ops)
    for op in solution.ops:
        r = boxes[f"{op.kind}:{op.stage}:{op.microbatch}"]
        assert r.get_x() == pytest.approx(op.start)
        assert r.get_width() == pytest.approx(problem.duration(op.key))
        assert r.get_y() + r.get_height() / 2 == pytest.approx(op.device)
    labels = sorted(t.get_text() for t in fig.axes[0].texts)
    assert labels == sorted(str(op.microbatch) for op in solution.ops)
    m = schedkit.validate(problem, solution).metrics
    assert f"bubble ratio {m['bubble_ratio_overall']:.1%}" in fig.title_text
    assert f"peak memory {max(m['peak_memory']):g}" in fig.title_text
    memory = [s for s in fig.series if s.panel == "memory"]
    assert [max(s.y) for s in memory] == pytest.approx(m["peak_memory"])


def test_boxes_heuristic(problem: PipelineProblem, solution: PipelineSolution) -> None:
    check_boxes(problem, solution)


@pytest.mark.parametrize("name", ["1f1b", "zb-h1"])
def test_boxes_references(problem: PipelineProblem, name: str) -> None:
    solution = build(problem, name)
    assert solution is not None
    check_boxes(problem, solution)


def test_v_placement(instances_dir: Path) -> None:
    problem = schedkit.load(instances_dir / "pipeline" / "p4-m8-v.yaml")
    assert isinstance(problem, PipelineProblem)
    solution = build(problem, "zb-v")
    assert solution is not None
    check_boxes(problem, solution)


def test_files(problem: PipelineProblem, solution: PipelineSolution, tmp_path: Path) -> None:
    check_files(problem, solution, tmp_path)
