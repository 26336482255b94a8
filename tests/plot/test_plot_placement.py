"""Placement plot: layer x GPU load heatmap and per-GPU load bars against the mean."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from matplotlib.patches import Rectangle

import schedkit
from schedkit.models.placement import PlacementProblem, PlacementSolution
from schedkit.plot.placement import draw

from .plot_helpers import check_files


@pytest.fixture(scope="module")
def problem(instances_dir: Path) -> PlacementProblem:
    p = schedkit.load(instances_dir / "placement" / "eplb_example.yaml")
    assert isinstance(p, PlacementProblem)
    return p


@pytest.fixture(scope="module")
def solution(problem: PlacementProblem) -> PlacementSolution:
    result = schedkit.solve(problem, "heuristic", time_limit=1)
    assert isinstance(result.solution, PlacementSolution)
    return result.solution


def even_loads(problem: PlacementProblem, solution: PlacementSolution) -> np.ndarray:
    """Per (layer, GPU) load with every expert's tokens split evenly over its replicas."""
    out = np.zeros((problem.num_layers, problem.num_gpus))
    for layer, gpus in enumerate(solution.placement):
        flat = [e for slots in gpus for e in slots]
        for g, slots in enumerate(gpus):
            out[layer, g] = sum(problem.loads[layer][e] / flat.count(e) for e in slots)
    return out


def test_heatmap_and_bars(problem: PlacementProblem, solution: PlacementSolution) -> None:
    fig = draw(problem, solution)
    expected = even_loads(problem, solution)
    assert fig.heatmap is not None
    assert fig.heatmap.shape == (problem.num_layers, problem.num_gpus)
    image = fig.axes[0].images[0].get_array()
    assert image is not None and image.shape == expected.shape
    np.testing.assert_allclose(image, expected)
    np.testing.assert_allclose(fig.heatmap, expected)
    report = schedkit.validate(problem, solution)
    np.testing.assert_allclose(expected.max(axis=1), report.metrics["max_loads"])
    bar_ax = fig.axes[1]
    heights = [p.get_height() for p in bar_ax.patches if isinstance(p, Rectangle)]
    np.testing.assert_allclose(heights, expected.sum(axis=0))
    mean = next(s for s in fig.series if s.name == "mean")
    assert mean.y[0] == pytest.approx(expected.sum(axis=0).mean())


def test_free_split_uses_the_validators_loads() -> None:
    problem = PlacementProblem(
        loads=[[10.0, 2.0, 4.0]], gpus_per_node=2, slots_per_gpu=2, split="free"
    )
    solution = PlacementSolution(placement=(((0, 1), (0, 2)),))
    fig = draw(problem, solution)
    assert fig.heatmap is not None
    assert fig.heatmap.sum() == pytest.approx(16.0)
    assert fig.heatmap.max() == pytest.approx(schedkit.validate(problem, solution).objective)


def test_files(problem: PlacementProblem, solution: PlacementSolution, tmp_path: Path) -> None:
    check_files(problem, solution, tmp_path)
