"""Plots of problems and their solutions, one module per kind.

    >>> from schedkit.plot import plot
    >>> plot(problem, result.solution, "schedule.png")   # .png, .svg, .pdf or .html

`draw(problem, solution)` returns the matplotlib figure (a `ScheduleFigure` that also records
the boxes, marks, series and heatmap it drew); `plot` draws and saves it, choosing the format
from the suffix (HTML needs plotly).
"""

from __future__ import annotations

import importlib
from pathlib import Path

from schedkit.errors import InputError
from schedkit.models.base import Problem, Solution
from schedkit.plot.common import Box, ScheduleFigure, Series, output_format, save

KINDS = ("tardiness", "rcpsp", "pipeline", "placement")


def draw(problem: Problem, solution: Solution) -> ScheduleFigure:
    """The figure for `solution` of `problem`, drawn by the module of the problem's kind."""
    kind = type(problem).KIND
    if kind not in KINDS:
        raise InputError(
            f"no plot for problem kind {kind!r} (plots exist for {', '.join(KINDS)})", field="kind"
        )
    module = importlib.import_module(f"schedkit.plot.{kind}")
    fig: ScheduleFigure = module.draw(problem, solution)
    return fig


def plot(problem: Problem, solution: Solution, path: str | Path) -> Path:
    """Draw `solution` and write it to `path` (.png, .svg, .pdf or .html); returns the path."""
    output_format(Path(path))  # fail on a bad suffix or missing plotly before drawing
    return save(draw(problem, solution), path)


__all__ = ["Box", "ScheduleFigure", "Series", "draw", "plot", "save"]
