"""One box per chosen item along the capacity axis."""

from __future__ import annotations

from schedkit.plot.common import (
    Box,
    ScheduleFigure,
    draw_box,
    job_color,
    new_figure,
    points_per_unit,
)
from schedkit_knapsack.model import KnapsackProblem, KnapsackSolution


def draw(problem: KnapsackProblem, solution: KnapsackSolution) -> ScheduleFigure:
    fig, (ax,) = new_figure(8.0, 1.6, [1.0])
    ppu = points_per_unit(fig, problem.capacity * 1.05)
    x = 0.0
    for i in solution.chosen:
        item = problem.items[i]
        box = Box("knapsack", f"item:{i}", 0, x, item.weight, str(i), job_color(i))
        draw_box(fig, ax, box, pt_per_unit=ppu)
        x += item.weight
    ax.set_xlim(0, problem.capacity * 1.05)
    ax.axvline(problem.capacity, color="black")
    return fig
