"""A backend's answer from per-layer placement arrays: the solution object, its status and
the combinatorial bound it is judged against (shared by every placement backend)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from schedkit.models.placement.bounds import layer_bounds
from schedkit.models.placement.layout import value
from schedkit.models.placement.problem import PlacementProblem, PlacementSolution

if TYPE_CHECKING:
    from schedkit.solvers.budget import Budget


def free_tokens(w: np.ndarray, place: np.ndarray) -> list[list[float]]:
    """Tokens per slot minimising the largest GPU load when any split is allowed (LP)."""
    from scipy.optimize import linprog  # imported on use: scipy is slow to import

    G, S = place.shape
    n = G * S
    c = np.zeros(n + 1)
    c[-1] = 1.0
    a_eq = np.zeros((len(w), n + 1))
    a_eq[place.ravel(), np.arange(n)] = 1.0
    a_ub = np.zeros((G, n + 1))
    a_ub[np.repeat(np.arange(G), S), np.arange(n)] = 1.0
    a_ub[:, -1] = -1.0
    res = linprog(c, A_ub=a_ub, b_ub=np.zeros(G), A_eq=a_eq, b_eq=w, method="highs")
    x = np.clip(res.x[:n], 0.0, None)
    for e in range(len(w)):  # exact sums despite LP tolerances
        idx = np.flatnonzero(place.ravel() == e)
        x[idx] *= w[e] / x[idx].sum() if x[idx].sum() > 0 else 0.0
        if x[idx].sum() == 0:
            x[idx[0]] = w[e]
    out: list[list[float]] = x.reshape(G, S).tolist()
    return out


def make_solution(problem: PlacementProblem, layers: list[np.ndarray]) -> PlacementSolution:
    """The solution object (with the free-split tokens when `split: free`). The placement
    comes from int arrays, so pydantic's check of every slot (most of the answer's time at
    EPLB's scale, some 60 layers x 320 slots) is skipped; the validator checks it all."""
    placement = tuple(tuple(tuple(g) for g in np.asarray(p).tolist()) for p in layers)
    if problem.split != "free":
        return PlacementSolution.model_construct(placement=placement)
    tokens = [free_tokens(problem.loads[i], p) for i, p in enumerate(layers)]
    return PlacementSolution(
        placement=placement, tokens=tuple(tuple(tuple(t) for t in g) for g in tokens)
    )


def meets_bounds(problem: PlacementProblem, layers: list[np.ndarray], bounds: np.ndarray) -> bool:
    """Every layer's largest load equals its bound, for an objective of loads alone."""
    exact = problem.split == "even" and not problem.uses_traffic and problem.move_cost == 0
    maxes = [value(problem.load_stack[:, i, :], p) for i, p in enumerate(layers)]
    return exact and all(m <= b * (1 + 1e-9) for m, b in zip(maxes, bounds, strict=True))


def layer_answer(
    problem: PlacementProblem,
    layers: list[np.ndarray],
    budget: Budget | None = None,
    found: np.ndarray | None = None,
) -> tuple[PlacementSolution, np.ndarray, bool]:
    """(solution, per-layer bounds, every layer meets its bound); `found`: per-layer bounds
    a backend found on the way (0 where none), kept where stronger."""
    bounds = layer_bounds(problem, budget)
    if found is not None:
        bounds = np.maximum(bounds, found)
    return make_solution(problem, layers), bounds, meets_bounds(problem, layers, bounds)
