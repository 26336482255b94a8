"""Helpers for the plot tests: write every static format, read drawn rectangles back."""

from __future__ import annotations

from pathlib import Path

from matplotlib.axes import Axes
from matplotlib.patches import Rectangle

from schedkit.models.base import Problem, Solution
from schedkit.plot import plot

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def check_files(problem: Problem, solution: Solution, tmp_path: Path) -> None:
    """plot() writes a real PNG and a non-empty SVG."""
    png = plot(problem, solution, tmp_path / "out" / "plot.png")
    svg = plot(problem, solution, tmp_path / "plot.svg")
    assert png.read_bytes().startswith(PNG_MAGIC)
    assert png.stat().st_size > 1000
    text = svg.read_text()
    assert text.lstrip().startswith("<?xml") and "<svg" in text


def rects(ax: Axes, prefix: str) -> dict[str, Rectangle]:
    """The rectangles on `ax` whose gid starts with `prefix`, by gid."""
    out = {}
    for patch in ax.patches:
        gid = patch.get_gid()
        if isinstance(patch, Rectangle) and gid is not None and gid.startswith(prefix):
            assert gid not in out, f"two rectangles with gid {gid}"
            out[gid] = patch
    return out
