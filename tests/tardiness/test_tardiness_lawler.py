"""Lawler's decomposition equals brute force, refuses what it cannot solve, stops in time."""

from __future__ import annotations

import itertools
import time

import numpy as np
import pytest

from schedkit.errors import UnsupportedProblem
from schedkit.generate.tardiness import generate
from schedkit.models.tardiness import TardinessProblem, TardinessSolution
from schedkit.solvers.exact import lawler
from schedkit.solvers.heuristics.tardiness import total_tardiness
from schedkit.solvers.result import SolveOptions, Status, Termination


def brute_force(problem: TardinessProblem) -> int:
    return min(total_tardiness(problem, s) for s in itertools.permutations(range(problem.n)))


def random_unweighted(seed: int) -> TardinessProblem:
    """Small instances with many ties (short p ranges) and all kinds of due-date tightness."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 8))
    p = rng.integers(1, int(rng.choice([3, 10, 100])) + 1, n)
    total = int(p.sum())
    tf, rdd = rng.uniform(0, 1), rng.uniform(0, 1.2)
    low = max(0, int(total * (1 - tf - rdd / 2)))
    d = rng.integers(low, max(low, int(total * (1 - tf + rdd / 2))) + 1, n)
    return TardinessProblem.from_arrays(p=p.tolist(), d=d.tolist())


@pytest.mark.parametrize("seed", range(120))
def test_matches_brute_force(seed: int) -> None:
    problem = random_unweighted(seed)
    out = lawler.solve(problem, SolveOptions(time_limit=10), None)
    assert out.status is Status.OPTIMAL
    assert out.solution is not None and isinstance(out.solution, TardinessSolution)
    assert sorted(out.solution.sequence) == list(range(problem.n))
    optimum = brute_force(problem)
    assert total_tardiness(problem, out.solution.sequence) == optimum
    assert out.solution.objective == optimum == out.lower_bound


def test_hand_checked_instance() -> None:
    # EDD (0, 1) gives 2 + 3 = 5; (1, 0) gives 0 + 4 = 4
    problem = TardinessProblem.from_arrays(p=[10, 2], d=[8, 9])
    value, seq = lawler.solve_lawler(problem)
    assert (value, seq) == (4, [1, 0])


def test_agrees_with_heuristic_on_medium_instances() -> None:
    from schedkit.solvers.heuristics import tardiness as heuristic

    for seed, (tf, rdd) in enumerate([(0.6, 0.2), (0.8, 0.6), (0.4, 0.4)]):
        problem = generate(30, tf, rdd, seed)
        value, seq = lawler.solve_lawler(problem)
        assert total_tardiness(problem, seq) == value
        found = heuristic.solve(
            problem, SolveOptions(time_limit=3, params={"stall_iters": 100}), None
        )
        assert found.solution is not None and found.solution.objective is not None
        assert value <= found.solution.objective  # never worse than a feasible sequence
        assert value == found.solution.objective  # the heuristic finds these optima


def test_refuses_weights_and_release_dates() -> None:
    weighted = TardinessProblem.from_arrays(p=[1, 2], d=[1, 1], w=[1, 2])
    released = TardinessProblem.from_arrays(p=[1, 2], d=[1, 1], r=[0, 3])
    with pytest.raises(UnsupportedProblem, match="unweighted"):
        lawler.solve(weighted, SolveOptions(), None)
    with pytest.raises(UnsupportedProblem, match="release"):
        lawler.solve(released, SolveOptions(), None)


def test_stops_at_time_limit_with_hint() -> None:
    problem = generate(300, 0.6, 0.2, seed=1)
    hint = TardinessSolution(sequence=tuple(reversed(range(300))))
    t0 = time.monotonic()
    options = SolveOptions(time_limit=0.2)
    out = lawler.solve(problem, options, hint)
    assert time.monotonic() - t0 < 1.5
    assert out.status is Status.FEASIBLE and out.termination is Termination.TIME_LIMIT
    assert isinstance(out.solution, TardinessSolution)
    assert out.solution.sequence == hint.sequence
    assert out.lower_bound is not None and out.lower_bound >= 0
