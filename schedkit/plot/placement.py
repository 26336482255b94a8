"""Placement: GPU x layer load heatmap over per-GPU load bars against the mean."""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.lines import Line2D

from schedkit.models.placement.problem import PlacementProblem, PlacementSolution
from schedkit.models.placement.validator import best_free_split
from schedkit.plot.common import (
    PALETTE,
    ScheduleFigure,
    Series,
    add_series,
    checked_report,
    legend_patches,
    new_figure,
    title,
)

BARS = "per-GPU load"
ANNOTATE_CELLS = 160


def gpu_loads(problem: PlacementProblem, solution: PlacementSolution) -> np.ndarray:
    """(layers, GPUs) tokens per GPU: each expert's load split evenly over its replicas, or
    under `split: free` the claimed tokens (else the best split, as the validator does)."""
    out = np.zeros((problem.num_layers, problem.num_gpus))
    for layer, gpus in enumerate(solution.placement):
        w = problem.loads[layer]
        if problem.split == "free":
            tokens = (
                solution.tokens[layer] if solution.tokens is not None else best_free_split(w, gpus)
            )
            out[layer] = [sum(t) for t in tokens]
            continue
        counts = np.bincount([e for slots in gpus for e in slots], minlength=len(w))
        for g, slots in enumerate(gpus):
            out[layer, g] = sum(w[e] / counts[e] for e in slots)
    return out


def draw(problem: PlacementProblem, solution: PlacementSolution) -> ScheduleFigure:
    """Heatmap of the load of every (layer, GPU) with node boundaries, and below it each
    GPU's load summed over layers against the mean (bars coloured by node)."""
    report = checked_report(problem, solution)
    loads = gpu_loads(problem, solution)
    L, G = loads.shape
    width = min(22.0, max(9.0, 3.0 + 0.3 * G))
    heat = min(10.0, max(2.0, 0.3 * L))
    fig, (heat_ax, bar_ax) = new_figure(width, heat + 4.2, [heat, 2.6])
    fig.heatmap = loads
    _heatmap(fig, heat_ax, problem, loads)
    _bars(fig, bar_ax, problem, loads)
    m = report.metrics
    title(
        fig,
        problem,
        report,
        f"objective {report.objective:g}, max/mean GPU load per "
        f"layer: mean {m['balance_mean']:.3f}, worst {m['balance_max']:.3f}\n"
        f"{L} layers, {problem.num_experts} experts, {problem.nodes}x"
        f"{problem.gpus_per_node} GPUs x {problem.slots_per_gpu} slots",
    )
    return fig


def _heatmap(fig: ScheduleFigure, ax: Axes, problem: PlacementProblem, loads: np.ndarray) -> None:
    L, G = loads.shape
    image = ax.imshow(
        loads,
        aspect="auto",
        cmap="viridis",
        interpolation="nearest",
        extent=(-0.5, G - 0.5, L - 0.5, -0.5),
    )
    fig.colorbar(
        image,
        ax=ax,
        location="top",
        shrink=0.6,
        aspect=40,
        label="tokens on GPU (white lines: node boundaries)",
    )
    for k in range(1, problem.nodes):
        ax.axvline(k * problem.gpus_per_node - 0.5, color="white", linewidth=2.0)
    if L * G <= ANNOTATE_CELLS:
        top = loads.max()
        for (layer, g), v in np.ndenumerate(loads):
            ax.text(
                g,
                layer,
                f"{v:.4g}",
                ha="center",
                va="center",
                fontsize=7,
                color="black" if v > 0.6 * top else "white",
            )
    ax.set_ylabel("layer")
    if L <= 40:
        ax.set_yticks(range(L))


def _bars(fig: ScheduleFigure, ax: Axes, problem: PlacementProblem, loads: np.ndarray) -> None:
    G = loads.shape[1]
    totals = loads.sum(axis=0)
    mean = float(totals.mean())
    colors = [PALETTE[problem.node_of(g) % len(PALETTE)] for g in range(G)]
    ax.bar(range(G), totals, color=colors, edgecolor="black", linewidth=0.4, width=0.8)
    fig.series.append(
        Series(
            BARS,
            "load over all layers",
            tuple(map(float, range(G))),
            tuple(map(float, totals)),
            PALETTE[0],
            "bar",
        )
    )
    add_series(
        fig,
        ax,
        Series(BARS, "mean", (-0.5, G - 0.5), (mean, mean), "black", "line"),
        linestyle="--",
        linewidth=1.2,
    )
    ax.set_ylim(0, max(float(totals.max()), mean) * 1.3)
    ax.set_xlim(-0.5, G - 0.5)
    ax.set_xlabel("GPU")
    ax.set_ylabel("tokens (sum over layers)")
    if G <= 64:
        ax.set_xticks(range(G))
    nodes = {
        f"node {n}": {"facecolor": PALETTE[n % len(PALETTE)], "edgecolor": "black"}
        for n in range(min(problem.nodes, 10))
    }
    handles = [
        *legend_patches(nodes),
        Line2D([], [], color="black", linestyle="--", label=f"mean {mean:.4g}"),
    ]
    ax.legend(handles=handles, loc="upper center", ncol=len(handles), fontsize=7)
