"""Pipeline: one row per device with F/B/W boxes (zero-bubble paper style) and memory."""

from __future__ import annotations

from matplotlib.axes import Axes
from matplotlib.lines import Line2D

from schedkit.models.pipeline.problem import Op, PipelineProblem, PipelineSolution
from schedkit.plot.common import (
    PALETTE,
    Box,
    ScheduleFigure,
    Series,
    add_series,
    checked_report,
    draw_box,
    legend_patches,
    lighten,
    new_figure,
    points_per_unit,
    set_rows,
    timeline_height,
    title,
)

KIND_COLORS = {"F": "#6a9fe0", "B": "#f0a04b", "W": "#7cc46f", "BW": "#b38bd6"}
KIND_NAMES = {
    "F": "F (forward)",
    "B": "B (input grad)",
    "W": "W (weight grad)",
    "BW": "BW (fused backward)",
}
PANEL = "devices"
MEMORY = "memory"


def op_color(problem: PipelineProblem, op: Op) -> str:
    """The colour of `op`'s kind; the later chunks of a device are lighter."""
    chunk = problem.stages_of[op.device].index(op.stage) if problem.chunks > 1 else 0
    return lighten(KIND_COLORS[op.kind], 0.5 * chunk / problem.chunks)


def draw(problem: PipelineProblem, solution: PipelineSolution) -> ScheduleFigure:
    """Device timelines (box x = start, width = duration, label = microbatch) over a
    memory-over-time panel; span, bubble ratio and peak memory in the title."""
    report = checked_report(problem, solution)
    m = report.metrics
    p = problem.devices
    per_device = len(solution.ops) / p
    width = min(24.0, max(11.0, 6.0 + 0.12 * per_device))
    fig, (ax, mem_ax) = new_figure(width, timeline_height(p, 2.6, 0.45), [max(p, 2), 2.6])
    end = max(op.start + problem.duration(op.key) for op in solution.ops)
    start = min(0.0, *(op.start for op in solution.ops))
    ppu = points_per_unit(fig, end - start)
    for op in sorted(solution.ops, key=lambda o: (o.device, o.start)):
        box = Box(
            PANEL,
            f"{op.kind}:{op.stage}:{op.microbatch}",
            op.device,
            op.start,
            problem.duration(op.key),
            str(op.microbatch),
            op_color(problem, op),
        )
        draw_box(fig, ax, box, pt_per_unit=ppu, max_font=8.0)
    set_rows(fig, ax, PANEL, [_device_label(problem, d) for d in range(p)])
    _device_stats(ax, m["bubble_ratio"], m["peak_memory"])
    ax.set_xlim(start, end)
    _legend(ax, problem, solution)
    _memory_panel(fig, mem_ax, problem, solution, end)
    limit = problem.memory.limit
    of_limit = f" (limit {limit:g})" if limit is not None else ""
    label = f"[{solution.name}] " if solution.name else ""
    title(
        fig,
        problem,
        report,
        f"{label}span {m['span']:g}, makespan {m['makespan']:g}, "
        f"bubble ratio {m['bubble_ratio_overall']:.1%}, "
        f"peak memory {max(m['peak_memory']):g}{of_limit}",
    )
    return fig


def _device_label(problem: PipelineProblem, device: int) -> str:
    if problem.chunks == 1:
        return f"device {device}"
    stages = ",".join(str(s) for s in problem.stages_of[device])
    return f"device {device} (stages {stages})"


def _device_stats(ax: Axes, bubble: list[float], peak: list[float]) -> None:
    """Per-device bubble ratio and peak memory as right-hand tick labels."""
    right = ax.twinx()
    right.set_ylim(ax.get_ylim())
    right.set_yticks(
        range(len(bubble)),
        [f"bubble {b:.0%}, peak {m:g}" for b, m in zip(bubble, peak, strict=True)],
        fontsize=8,
    )


def _legend(ax: Axes, problem: PipelineProblem, solution: PipelineSolution) -> None:
    """Op kinds (and the chunk shading) in one row above the device panel."""
    kinds = [k for k in KIND_COLORS if any(op.kind == k for op in solution.ops)]
    items = {KIND_NAMES[k]: {"facecolor": KIND_COLORS[k], "edgecolor": "black"} for k in kinds}
    if problem.chunks > 1:
        items["later chunk (lighter)"] = {
            "facecolor": lighten(KIND_COLORS["F"], 0.25),
            "edgecolor": "black",
        }
    ax.legend(
        handles=legend_patches(items),
        loc="lower left",
        bbox_to_anchor=(0.0, 1.0),
        ncol=len(items),
        fontsize=8,
        frameon=False,
        title="box label = microbatch",
        title_fontsize=8,
        alignment="left",
    )


def memory_levels(
    problem: PipelineProblem, solution: PipelineSolution, device: int
) -> tuple[list[float], list[float]]:
    """(times, levels): the device's activation memory after each op start, from 0."""
    ops = sorted(
        (op for op in solution.ops if op.device == device),
        key=lambda o: (o.start, problem.duration(o.key) > 0),
    )
    times, levels, level = [0.0], [0.0], 0.0
    for op in ops:
        level += problem.mem[op.kind][op.stage]
        times.append(op.start)
        levels.append(level)
    return times, levels


def _memory_panel(
    fig: ScheduleFigure, ax: Axes, problem: PipelineProblem, solution: PipelineSolution, end: float
) -> None:
    """Memory over time, one step line per device, and the limit."""
    for d in range(problem.devices):
        times, levels = memory_levels(problem, solution, d)
        series = Series(
            MEMORY, f"device {d}", (*times, end), (*levels, levels[-1]), PALETTE[d % len(PALETTE)]
        )
        add_series(fig, ax, series, linewidth=1.2)
    handles = [
        Line2D([], [], color=PALETTE[d % len(PALETTE)], label=f"device {d}")
        for d in range(min(problem.devices, 10))
    ]
    if problem.memory.limit is not None:
        ax.axhline(problem.memory.limit, color="darkred", linestyle="--", linewidth=1.0)
        handles.append(Line2D([], [], color="darkred", linestyle="--", label="limit"))
    ax.set_ylabel("memory")
    ax.set_xlabel("time")
    ax.grid(alpha=0.3)
    ax.legend(
        handles=handles,
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        fontsize=7,
        ncol=1 if len(handles) <= 9 else 2,
    )
