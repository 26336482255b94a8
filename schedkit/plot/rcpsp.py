"""RCPSP: Gantt chart of the activities over one usage profile per resource."""

from __future__ import annotations

from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from schedkit.models.rcpsp.problem import RcpspProblem, RcpspSolution, Resource
from schedkit.plot.common import (
    Box,
    ScheduleFigure,
    Series,
    add_series,
    checked_report,
    draw_box,
    job_color,
    legend_patches,
    new_figure,
    points_per_unit,
    set_rows,
    timeline_height,
    title,
)

PANEL = "gantt"
USAGE = "#4e79a7"
CAPACITY = "black"
DOWNTIME = "#b0b0b0"
OVERLOAD = "#d62728"


def draw(problem: RcpspProblem, solution: RcpspSolution) -> ScheduleFigure:
    """Gantt rows in start order (box x = start, width = duration) and, per resource, the
    usage step profile against its capacity, with downtime windows shaded."""
    report = checked_report(problem, solution)
    starts = list(solution.start)
    horizon = max(
        [s + d for s, d in zip(starts, problem.durations, strict=True)]
        + [w.end for r in problem.resources for w in r.downtime]
        + [1]
    )
    ratios = [max(problem.n, 3) * 0.35] + [1.6] * problem.m
    fig, axes = new_figure(11.0, timeline_height(problem.n, 1.6 * problem.m), ratios)
    _gantt(fig, axes[0], problem, starts, points_per_unit(fig, horizon))
    for k, (ax, res) in enumerate(zip(axes[1:], problem.resources, strict=True)):
        _resource_panel(fig, ax, problem, starts, k, res, horizon)
    axes[-1].set_xlim(0, horizon)
    axes[-1].set_xlabel("time")
    late = "" if report.feasible else " (infeasible)"
    title(
        fig,
        problem,
        report,
        f"makespan {report.objective:g}{late}, {problem.n} activities, {problem.m} resources",
    )
    return fig


def _gantt(
    fig: ScheduleFigure, ax: Axes, problem: RcpspProblem, starts: list[int], ppu: float
) -> None:
    """One row per activity, ordered by start time; deadlines as red ticks."""
    order = sorted(range(problem.n), key=lambda j: (starts[j], j))
    for row, j in enumerate(order):
        a = problem.activities[j]
        draw_box(
            fig,
            ax,
            Box(PANEL, f"activity:{j}", row, starts[j], a.duration, a.id, job_color(j)),
            pt_per_unit=ppu,
        )
        if a.duration == 0:
            ax.plot(
                starts[j],
                row,
                "D",
                color=job_color(j),
                markeredgecolor="black",
                markersize=6,
                zorder=3,
                clip_on=False,
            )
    deadlines = [
        (row, d) for row, j in enumerate(order) if (d := problem.activities[j].deadline) is not None
    ]
    if deadlines:
        ax.vlines(
            [d for _, d in deadlines],
            [r - 0.45 for r, _ in deadlines],
            [r + 0.45 for r, _ in deadlines],
            colors=OVERLOAD,
            linewidth=2.0,
        )
        ax.legend(
            handles=[Line2D([], [], color=OVERLOAD, linewidth=2.0, label="deadline")],
            loc="upper left",
            bbox_to_anchor=(1.01, 1.0),
            fontsize=8,
        )
    set_rows(fig, ax, PANEL, [problem.activities[j].id for j in order])
    ax.set_ylabel("activity")
    ax.grid(axis="x", alpha=0.3)


def usage_profile(
    problem: RcpspProblem, starts: list[int], k: int, horizon: int
) -> tuple[list[int], list[int], list[int]]:
    """(times, usage, capacity) of resource k, piecewise constant from each time on."""
    res = problem.resources[k]
    users = [
        (s, s + a.duration, problem.demand[j][k])
        for j, (s, a) in enumerate(zip(starts, problem.activities, strict=True))
        if a.duration > 0 and problem.demand[j][k] > 0
    ]
    points = {0, horizon} | {s for s, _, _ in users} | {e for _, e, _ in users}
    points |= {t for w in res.downtime for t in (w.start, w.end)}
    times = sorted(t for t in points if 0 <= t <= horizon)
    usage = [sum(q for s, e, q in users if s <= t < e) for t in times]
    return times, usage, [res.capacity_at(t) for t in times]


def _resource_panel(
    fig: ScheduleFigure,
    ax: Axes,
    problem: RcpspProblem,
    starts: list[int],
    k: int,
    res: Resource,
    horizon: int,
) -> None:
    """Usage (filled steps), capacity (line), downtime (grey bands), overload (red)."""
    times, usage, cap = usage_profile(problem, starts, k, horizon)
    for w in res.downtime:
        ax.axvspan(w.start, w.end, color=DOWNTIME, alpha=0.35, linewidth=0)
    ax.fill_between(times, usage, step="post", color=USAGE, alpha=0.45, linewidth=0)
    add_series(
        fig,
        ax,
        Series(
            f"resource {res.name}",
            "usage",
            tuple(map(float, times)),
            tuple(map(float, usage)),
            USAGE,
        ),
        linewidth=1.0,
    )
    add_series(
        fig,
        ax,
        Series(
            f"resource {res.name}",
            "capacity",
            tuple(map(float, times)),
            tuple(map(float, cap)),
            CAPACITY,
        ),
        linewidth=1.5,
        linestyle="--",
    )
    over = [u > c for u, c in zip(usage, cap, strict=True)]
    if any(over):
        ax.fill_between(
            times, cap, usage, where=over, step="post", color=OVERLOAD, alpha=0.7, linewidth=0
        )
    ax.set_ylim(0, max([*usage, *cap, 1]) * 1.15)
    ax.yaxis.set_major_locator(MaxNLocator(nbins=4, integer=True))
    ax.set_ylabel(res.name, rotation=0, ha="right", va="center")
    ax.grid(axis="x", alpha=0.3)
    items = {"usage": {"facecolor": USAGE, "alpha": 0.6}}
    if res.downtime:
        items["downtime"] = {"facecolor": DOWNTIME, "alpha": 0.6}
    if any(over):
        items["overload"] = {"facecolor": OVERLOAD}
    handles = [
        *legend_patches(items),
        Line2D([], [], color=CAPACITY, linestyle="--", label="capacity"),
    ]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7)
