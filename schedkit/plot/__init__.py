"""Plots of problems and their solutions, one module per kind.

    >>> from schedkit.plot import plot
    >>> plot(problem, result.solution, "schedule.png")   # .png, .svg, .pdf or .html

`draw(problem, solution)` returns the matplotlib figure (a `ScheduleFigure` that also records
the boxes, marks, series and heatmap it drew); `plot` draws and saves it, choosing the format
from the suffix (HTML needs plotly).
"""

from __future__ import annotations

from pathlib import Path

from schedkit.errors import InputError
from schedkit.kinds import all_kinds, kind_of, resolve
from schedkit.models.base import Problem, Solution
from schedkit.plot.common import Box, ScheduleFigure, Series, output_format, save


def draw(problem: Problem, solution: Solution) -> ScheduleFigure:
    """The figure for `solution` of `problem`, drawn by the plot its kind declares."""
    spec = kind_of(problem)
    if spec.plot is None:
        kinds = ", ".join(sorted(k for k, s in all_kinds().items() if s.plot))
        raise InputError(
            f"no plot for problem kind {spec.name!r} (plots exist for {kinds})", field="kind"
        )
    fig: ScheduleFigure = resolve(spec.plot)(problem, solution)
    return fig


def plot(problem: Problem, solution: Solution, path: str | Path) -> Path:
    """Draw `solution` and write it to `path` (.png, .svg, .pdf or .html); returns the path."""
    output_format(Path(path))  # fail on a bad suffix or missing plotly before drawing
    return save(draw(problem, solution), path)


__all__ = ["Box", "ScheduleFigure", "Series", "draw", "plot", "save"]
