"""Tardiness: one row per job in processing order, due dates as ticks, tardy jobs marked."""

from __future__ import annotations

from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle

from schedkit.models.tardiness.problem import TardinessProblem, TardinessSolution
from schedkit.models.tardiness.validator import semi_active_starts
from schedkit.plot.common import (
    Box,
    ScheduleFigure,
    checked_report,
    draw_box,
    legend_patches,
    new_figure,
    points_per_unit,
    set_rows,
    timeline_height,
    title,
)

ON_TIME = "#8fb3de"
TARDY = "#f4b6b6"
LATE_EDGE = "#c62828"
PANEL = "timeline"


def starts_of(problem: TardinessProblem, solution: TardinessSolution) -> list[int]:
    """Start time of each sequence position (given, or semi-active as the validator does)."""
    if solution.start is not None:
        return list(solution.start)
    return semi_active_starts(problem, solution.sequence)


def draw(problem: TardinessProblem, solution: TardinessSolution) -> ScheduleFigure:
    """Job timeline: a box per job (x = start, width = processing time), a due-date tick in
    its row, and a red hatched mark over the part that runs past the due date."""
    report = checked_report(problem, solution)
    starts = starts_of(problem, solution)
    seq = solution.sequence
    fig, (ax,) = new_figure(11.0, timeline_height(len(seq)), [1.0])
    horizon = max(
        [s + problem.jobs[j].processing_time for j, s in zip(seq, starts, strict=True)]
        + [j.due_date for j in problem.jobs]
    )
    ppu = points_per_unit(fig, horizon * 1.08)
    names = []
    for row, (j, s) in enumerate(zip(seq, starts, strict=True)):
        job = problem.jobs[j]
        name = job.name or str(j)
        names.append(name)
        end = s + job.processing_time
        late = end > job.due_date
        draw_box(
            fig,
            ax,
            Box(PANEL, f"job:{j}", row, s, job.processing_time, name, TARDY if late else ON_TIME),
            pt_per_unit=ppu,
        )
        if late:
            _mark_late(fig, ax, row, j, s, end, job.due_date, job.weight)
    due = [problem.jobs[j].due_date for j in seq]
    ax.vlines(
        due,
        [r - 0.45 for r in range(len(seq))],
        [r + 0.45 for r in range(len(seq))],
        colors="black",
        linewidth=2.0,
        zorder=3,
    )
    set_rows(fig, ax, PANEL, names)
    ax.set_xlim(0, horizon * 1.08)
    ax.set_xlabel("time")
    ax.set_ylabel("job (processing order)")
    ax.grid(axis="x", alpha=0.3)
    _legend(ax, problem, seq)
    m = report.metrics
    weighted = "weighted " if problem.weighted else ""
    title(
        fig,
        problem,
        report,
        f"total {weighted}tardiness {report.objective:g}, tardy jobs "
        f"{m['tardy_jobs']}/{problem.n}, max tardiness {m['max_tardiness']}, "
        f"makespan {m['makespan']}",
    )
    return fig


def _mark_late(
    fig: ScheduleFigure, ax: Axes, row: int, job: int, start: int, end: int, due: int, weight: int
) -> None:
    """Hatch the part of a tardy job after its due date and write its (weighted) tardiness."""
    x = max(start, due)
    mark = Box(PANEL, f"tardy:{job}", row, x, end - x, "", LATE_EDGE)
    ax.add_patch(
        Rectangle(
            (x, row - 0.4),
            end - x,
            0.8,
            facecolor="none",
            hatch="///",
            edgecolor=LATE_EDGE,
            linewidth=1.0,
            gid=mark.key,
        )
    )
    fig.marks.append(mark)
    tardiness = end - due
    text = f"+{tardiness}" if weight == 1 else f"+{tardiness}×{weight}"
    ax.text(end, row, " " + text, va="center", ha="left", fontsize=7, color=LATE_EDGE)


def _legend(ax: Axes, problem: TardinessProblem, seq: tuple[int, ...]) -> None:
    """Legend outside the axes; release dates drawn (and listed) when there are any."""
    handles = legend_patches(
        {
            "on time": {"facecolor": ON_TIME, "edgecolor": "black"},
            "tardy": {"facecolor": TARDY, "edgecolor": "black"},
            "after due date": {"facecolor": "none", "edgecolor": LATE_EDGE, "hatch": "///"},
        }
    )
    handles.append(Line2D([], [], color="black", linewidth=2.0, label="due date"))
    if problem.has_releases:
        ax.plot(
            [problem.jobs[j].release_date for j in seq],
            range(len(seq)),
            ">",
            color="dimgray",
            markersize=5,
            zorder=4,
        )
        handles.append(
            Line2D([], [], marker=">", linestyle="none", color="dimgray", label="release date")
        )
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
