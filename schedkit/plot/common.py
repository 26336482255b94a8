"""Shared drawing helpers: the recording figure, boxes, colours, titles and saving.

Figures are plain `matplotlib.figure.Figure` objects (no pyplot, so no global state and no
GUI backend): PNG/PDF are rendered by the Agg canvas that `savefig` picks from the suffix.
Every drawing records what it drew (`boxes`, `marks`, `series`, `heatmap`) so that tests and
the HTML export read the same data as the static image.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
from matplotlib import colors as mcolors
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from schedkit.errors import InputError
from schedkit.models.base import Problem, Report, Solution

FORMATS = (".png", ".svg", ".pdf", ".html")
BOX_HEIGHT = 0.8
PALETTE = [mcolors.to_hex(c) for c in mcolors.TABLEAU_COLORS.values()]


@dataclass(frozen=True)
class Box:
    """One drawn rectangle: `row` is its y centre, `x` its start, `width` its duration."""

    panel: str
    key: str
    row: float
    x: float
    width: float
    label: str
    color: str


@dataclass(frozen=True)
class Series:
    """One drawn line or bar series (usage profile, memory, per-GPU loads)."""

    panel: str
    name: str
    x: tuple[float, ...]
    y: tuple[float, ...]
    color: str
    style: Literal["step", "line", "bar"] = "step"


class ScheduleFigure(Figure):
    """A matplotlib Figure that remembers the boxes, marks, series and heatmap it shows."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.boxes: list[Box] = []
        self.marks: list[Box] = []
        self.series: list[Series] = []
        self.heatmap: np.ndarray | None = None
        self.row_labels: dict[str, list[str]] = {}
        self.title_text = ""

    def boxes_in(self, panel: str) -> list[Box]:
        """The boxes drawn in `panel`."""
        return [b for b in self.boxes if b.panel == panel]


def new_figure(
    width: float, height: float, ratios: list[float]
) -> tuple[ScheduleFigure, list[Axes]]:
    """A figure with one column of panels (height `ratios`) sharing the x axis."""
    fig = ScheduleFigure(figsize=(width, height), layout="constrained")
    axes = fig.subplots(
        len(ratios), 1, sharex=True, squeeze=False, gridspec_kw={"height_ratios": ratios}
    )
    return fig, [ax for ax in axes[:, 0]]


def job_color(index: int) -> str:
    """A categorical colour for job/activity `index` (Tableau 10, cycling)."""
    return PALETTE[index % len(PALETTE)]


def lighten(color: str, amount: float) -> str:
    """`color` mixed with white by `amount` (0: unchanged, 1: white)."""
    r, g, b = (c + (1.0 - c) * amount for c in mcolors.to_rgb(color))
    return mcolors.to_hex((r, g, b))


def text_color(background: str) -> str:
    """Black or white, whichever reads better on `background`."""
    r, g, b = mcolors.to_rgb(background)
    return "black" if 0.299 * r + 0.587 * g + 0.114 * b > 0.5 else "white"


def points_per_unit(fig: Figure, span: float, share: float = 0.85) -> float:
    """Approximate width in points of one x unit when the axes span `span` units."""
    return fig.get_figwidth() * share * 72.0 / max(span, 1e-9)


def label_size(width_pt: float, text: str, max_size: float = 8.0) -> float | None:
    """The largest font size (>= 5 pt) at which `text` fits in `width_pt`, or None."""
    size = min(max_size, (width_pt - 2.0) / (0.62 * max(len(text), 1)))
    return size if size >= 5.0 else None


def draw_box(
    fig: ScheduleFigure, ax: Axes, box: Box, *, pt_per_unit: float, max_font: float = 8.0
) -> Rectangle:
    """Draw `box` as a labelled rectangle (gid = its key) and record it on `fig`."""
    rect = Rectangle(
        (box.x, box.row - BOX_HEIGHT / 2),
        box.width,
        BOX_HEIGHT,
        facecolor=box.color,
        edgecolor="black",
        linewidth=0.5,
        gid=box.key,
    )
    ax.add_patch(rect)
    size = label_size(box.width * pt_per_unit, box.label, max_font)
    if size is not None and box.label:
        ax.text(
            box.x + box.width / 2,
            box.row,
            box.label,
            ha="center",
            va="center",
            fontsize=size,
            color=text_color(box.color),
            clip_on=True,
        )
    fig.boxes.append(box)
    return rect


def set_rows(
    fig: ScheduleFigure, ax: Axes, panel: str, labels: list[str], max_labels: int = 60
) -> None:
    """Rows 0..n-1 top to bottom, labelled (labels hidden when there are too many)."""
    n = len(labels)
    ax.set_ylim(n - 0.5, -0.5)
    if n <= max_labels:
        ax.set_yticks(range(n), labels, fontsize=8 if n <= 30 else 6)
    else:
        ax.set_yticks([])
    fig.row_labels[panel] = labels


def add_series(fig: ScheduleFigure, ax: Axes, series: Series, **style: Any) -> None:
    """Draw a step/line series on `ax` and record it on `fig`."""
    if series.style == "step":
        ax.step(series.x, series.y, where="post", color=series.color, label=series.name, **style)
    elif series.style == "line":
        ax.plot(series.x, series.y, color=series.color, label=series.name, **style)
    else:
        ax.bar(series.x, series.y, color=series.color, label=series.name, **style)
    fig.series.append(series)


def checked_report(problem: Problem, solution: Solution) -> Report:
    """The validator's report; raises InputError when the solution is too broken to draw."""
    from schedkit.validation import validate

    report = validate(problem, solution)
    if not report.metrics:
        first = report.violations[0].message if report.violations else "no metrics"
        raise InputError(f"cannot plot this solution: {first}", field="solution")
    return report


def title(fig: ScheduleFigure, problem: Problem, report: Report, text: str) -> None:
    """Set the figure title: instance name, `text`, and a warning when infeasible."""
    full = f"{problem.name}: {text}"
    if not report.feasible:
        codes = sorted(set(report.codes()))
        full += f"\nINFEASIBLE ({len(report.violations)} violations: {', '.join(codes)})"
    fig.suptitle(full, fontsize=10, color="black" if report.feasible else "darkred")
    fig.title_text = full


def output_format(path: Path) -> str:
    """The output format named by the suffix of `path`; HTML also needs plotly."""
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise InputError(
            f"cannot write {suffix or 'a file without suffix'!r}: use one of {', '.join(FORMATS)}",
            field="output",
        )
    if suffix == ".html":
        _plotly()
    return suffix


def save(fig: ScheduleFigure, path: str | Path) -> Path:
    """Write `fig` to `path` (PNG, SVG, PDF, or interactive HTML through plotly)."""
    out = Path(path)
    suffix = output_format(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".html":
        to_plotly(fig).write_html(out)
    else:
        fig.savefig(out, dpi=150 if suffix == ".png" else None)
    return out


def _plotly() -> Any:
    """plotly.graph_objects, or an InputError saying how to install it."""
    try:
        import plotly.graph_objects as go
    except ImportError:
        raise InputError("HTML output needs plotly: pip install plotly", field="output") from None
    return go


def to_plotly(fig: ScheduleFigure) -> Any:
    """An interactive plotly figure of the recorded boxes, series and heatmap."""
    go = _plotly()
    from plotly.subplots import make_subplots

    panels = list(dict.fromkeys([b.panel for b in fig.boxes] + [s.panel for s in fig.series]))
    if fig.heatmap is not None:
        panels.insert(0, "heatmap")
    pfig = make_subplots(rows=len(panels), cols=1, subplot_titles=panels, vertical_spacing=0.06)
    for row, panel in enumerate(panels, start=1):
        if panel == "heatmap" and fig.heatmap is not None:
            pfig.add_trace(go.Heatmap(z=fig.heatmap, colorscale="Viridis"), row=row, col=1)
            pfig.update_yaxes(autorange="reversed", title_text="layer", row=row, col=1)
        _plotly_boxes(go, pfig, fig, panel, row)
        for s in fig.series:
            if s.panel == panel:
                pfig.add_trace(_plotly_series(go, s), row=row, col=1)
    pfig.update_layout(
        title_text=fig.title_text.replace("\n", "<br>"),
        barmode="overlay",
        height=300 * len(panels) + 100,
    )
    return pfig


def _plotly_boxes(go: Any, pfig: Any, fig: ScheduleFigure, panel: str, row: int) -> None:
    boxes = fig.boxes_in(panel) + [m for m in fig.marks if m.panel == panel]
    for color in dict.fromkeys(b.color for b in boxes):
        group = [b for b in boxes if b.color == color]
        pfig.add_trace(
            go.Bar(
                base=[b.x for b in group],
                x=[b.width for b in group],
                y=[b.row for b in group],
                orientation="h",
                marker_color=color,
                text=[b.label for b in group],
                hovertext=[f"{b.key}: {b.x:g} + {b.width:g}" for b in group],
                showlegend=False,
            ),
            row=row,
            col=1,
        )
    if boxes:
        labels = fig.row_labels.get(panel, [])
        pfig.update_yaxes(
            autorange="reversed", tickvals=list(range(len(labels))), ticktext=labels, row=row, col=1
        )


def _plotly_series(go: Any, s: Series) -> Any:
    if s.style == "bar":
        return go.Bar(x=list(s.x), y=list(s.y), name=s.name, marker_color=s.color)
    shape = "hv" if s.style == "step" else "linear"
    return go.Scatter(
        x=list(s.x), y=list(s.y), name=s.name, mode="lines", line={"shape": shape, "color": s.color}
    )


def legend_patches(items: dict[str, dict[str, Any]]) -> list[Any]:
    """Legend handles: label -> Rectangle keyword arguments."""
    return [Rectangle((0, 0), 1, 1, label=label, **kw) for label, kw in items.items()]


def timeline_height(rows: int, extra: float = 0.0, per_row: float = 0.28) -> float:
    """Figure height (inches) for a timeline of `rows` rows plus `extra` for other panels."""
    return min(max(1.2 + per_row * rows, 2.2), 12.0) + extra + 0.8
