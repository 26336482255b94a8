"""Tardiness plot: one box per job at its start, due dates, tardy jobs marked."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

import schedkit
from schedkit import InputError
from schedkit.models.tardiness import TardinessProblem, TardinessSolution
from schedkit.models.tardiness.validator import semi_active_starts
from schedkit.plot import draw, plot
from schedkit.plot.tardiness import draw as draw_tardiness

from .plot_helpers import check_files, rects

HAS_PLOTLY = importlib.util.find_spec("plotly") is not None


@pytest.fixture(scope="module")
def solved(instances_dir: Path) -> tuple[TardinessProblem, TardinessSolution]:
    problem = schedkit.load(instances_dir / "tardiness" / "small-weighted.yaml")
    assert isinstance(problem, TardinessProblem)
    result = schedkit.solve(problem, "heuristic", time_limit=1)
    assert isinstance(result.solution, TardinessSolution)
    return problem, result.solution


def check_boxes(problem: TardinessProblem, solution: TardinessSolution) -> None:
    fig = draw_tardiness(problem, solution)
    ax = fig.axes[0]
    boxes = rects(ax, "job:")
    assert len(boxes) == len(fig.boxes) == problem.n
    starts = solution.start or semi_active_starts(problem, solution.sequence)
    for row, (j, s) in enumerate(zip(solution.sequence, starts, strict=True)):
        r = boxes[f"job:{j}"]
        assert r.get_x() == s
        assert r.get_width() == problem.jobs[j].processing_time
        assert r.get_y() + r.get_height() / 2 == row
    report = schedkit.validate(problem, solution)
    assert len(rects(ax, "tardy:")) == len(fig.marks) == report.metrics["tardy_jobs"]
    assert f"tardy jobs {report.metrics['tardy_jobs']}/{problem.n}" in fig.title_text


def test_boxes_and_tardy_marks(solved: tuple[TardinessProblem, TardinessSolution]) -> None:
    problem, solution = solved
    assert schedkit.validate(problem, solution).metrics["tardy_jobs"] > 0
    check_boxes(problem, solution)


def test_explicit_starts_and_release_dates() -> None:
    problem = TardinessProblem.from_arrays(p=[3, 2, 4], d=[3, 10, 6], r=[0, 5, 0])
    check_boxes(problem, TardinessSolution(sequence=(0, 2, 1), start=(1, 4, 9)))
    check_boxes(problem, TardinessSolution(sequence=(2, 0, 1)))


def test_files(solved: tuple[TardinessProblem, TardinessSolution], tmp_path: Path) -> None:
    check_files(*solved, tmp_path)


def test_draw_dispatches_on_kind(solved: tuple[TardinessProblem, TardinessSolution]) -> None:
    assert len(draw(*solved).boxes) == solved[0].n


def test_bad_suffix_and_broken_solution(
    solved: tuple[TardinessProblem, TardinessSolution], tmp_path: Path, instances_dir: Path
) -> None:
    problem, solution = solved
    with pytest.raises(InputError, match=r"\.jpg") as info:
        plot(problem, solution, tmp_path / "plot.jpg")
    assert info.value.field == "output"
    with pytest.raises(InputError, match="cannot plot"):
        draw(problem, TardinessSolution(sequence=(0, 99)))
    other = schedkit.load(instances_dir / "pipeline" / "p4-m8.yaml")
    with pytest.raises(InputError):
        draw(other, solution)


def test_html_needs_plotly(
    solved: tuple[TardinessProblem, TardinessSolution],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "plotly", None)  # as if it were not installed
    with pytest.raises(InputError, match="pip install plotly") as info:
        plot(*solved, tmp_path / "plot.html")
    assert info.value.field == "output"
    assert not (tmp_path / "plot.html").exists()


@pytest.mark.skipif(not HAS_PLOTLY, reason="plotly is not installed")
def test_html(solved: tuple[TardinessProblem, TardinessSolution], tmp_path: Path) -> None:
    out = plot(*solved, tmp_path / "plot.html")
    text = out.read_text()
    assert "plotly" in text.lower() and text.count("job:") >= solved[0].n
