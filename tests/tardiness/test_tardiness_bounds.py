"""Lower bounds: valid against brute force, within the budget, exact with large values."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

import schedkit
from schedkit.errors import InputError
from schedkit.io.orlib import read_wt, read_wt_optima
from schedkit.models.tardiness import TardinessProblem
from schedkit.models.tardiness import bounds as b
from schedkit.models.tardiness.lagrangian import PathDP, lagrangian_bound
from schedkit.solvers.budget import Budget
from schedkit.solvers.heuristics.tardiness import total_tardiness


def brute_force(problem: TardinessProblem) -> int:
    return min(total_tardiness(problem, s) for s in itertools.permutations(range(problem.n)))


def random_problem(seed: int, n: int = 6, releases: bool = False) -> TardinessProblem:
    rng = np.random.default_rng(seed)
    p = rng.integers(1, 12, n)
    d = rng.integers(0, int(p.sum()), n)
    r = rng.integers(0, int(p.sum()) // 2, n).tolist() if releases else None
    return TardinessProblem.from_arrays(
        p=p.tolist(), d=d.tolist(), w=rng.integers(1, 10, n).tolist(), r=r
    )


class FrozenClock:
    """A clock that only moves when told to."""

    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("releases", [False, True])
def test_bounds_never_exceed_the_optimum(seed: int, releases: bool) -> None:
    problem = random_problem(seed, releases=releases)
    optimum = brute_force(problem)
    assert b.sorted_bound(problem) <= b.assignment_bound(problem) <= optimum
    assert b.compute_bound(problem, Budget.start(5.0)) <= optimum
    found = lagrangian_bound(problem, Budget.start(5.0))
    assert found is not None and found.proven_bound() <= optimum <= found.upper


@pytest.mark.parametrize("releases", [False, True])
def test_lagrangian_proves_small_optima(releases: bool) -> None:
    proved = 0
    for seed in range(10):
        problem = random_problem(100 + seed, releases=releases)
        found = lagrangian_bound(problem, Budget.start(5.0), upper=brute_force(problem))
        assert found is not None
        proved += found.proven_bound() >= found.upper
    assert proved >= 5  # the relaxation with its no-repeat rule closes most small instances


def test_path_dp_never_repeats_a_job_in_succession() -> None:
    # one short urgent job: without the rule the path would run job 0 three times in a row
    problem = TardinessProblem.from_arrays(p=[1, 3], d=[0, 10], w=[5, 1])
    value, path, ends = PathDP.of(problem).solve(np.array([10.0, 0.0]))
    assert all(x != y for x, y in itertools.pairwise(path.tolist()))
    assert int(problem.p[path].sum()) == 4 and ends.tolist() == np.cumsum(problem.p[path]).tolist()
    # release dates: job 1 cannot end before 9 + 3, so the path idles from 1 to 9 and after 12
    waiting = TardinessProblem.from_arrays(p=[1, 3], d=[0, 10], w=[5, 1], r=[0, 9])
    value, path, ends = PathDP.of(waiting).solve(np.array([10.0, 10.0]))
    assert path.tolist() == [0, 1] and ends.tolist() == [1, 12] and value == (5 - 10) + (2 - 10)


def test_wt40_first_instance(data_dir: Path) -> None:
    path = data_dir / "orlib" / "wt40.txt"
    problem = read_wt(path.read_text(), str(path))[0]
    assert read_wt_optima(data_dir / "orlib" / "wtopt40.txt")[0] == 913
    assert b.assignment_bound(problem) <= b.compute_bound(problem, Budget.start(1.0)) <= 913


def test_assignment_bound_is_skipped_when_it_would_outlast_the_budget() -> None:
    clock = FrozenClock()
    rng = np.random.default_rng(0)
    n = 5000
    problem = TardinessProblem.from_arrays(
        p=rng.integers(1, 100, n).tolist(), d=rng.integers(0, 50 * n, n).tolist()
    )
    assert not b.assignment_fits(problem, Budget.start(2.0, clock))
    assert b.assignment_fits(problem, Budget.start(10_000.0, clock))
    # with the budget spent, only the O(n log n) bound runs (the call returns at once)
    spent = Budget.start(0.0, clock)
    assert b.compute_bound(problem, spent) == b.sorted_bound(problem)


def test_bound_is_computed_once_per_problem() -> None:
    problem = random_problem(3)
    first = b.lower_bound(problem, Budget.start(5.0))
    assert b.lower_bound(problem, Budget.start(0.0)) == first  # cached: the budget is not used
    assert id(problem) in b._cache


def test_large_values_are_exact() -> None:
    # sum(w) x horizon = (2^24 + 1) x 2^27 < 2^53: accepted, and every figure is exact
    big = 2**26
    problem = TardinessProblem.from_arrays(p=[big, big], d=[0, 0], w=[2**24, 1])
    best = min(total_tardiness(problem, s) for s in ([0, 1], [1, 0]))
    assert best == 2**24 * big + 2 * big  # heavy job first
    assert b.sorted_bound(problem) == big + 2 * big  # least weight x (big + 2 big)
    assert not b.assignment_fits(problem, None)  # costs beyond 2^40: not solved in floats
    assert b.compute_bound(problem, Budget.start(1.0)) <= best


def test_values_beyond_the_exact_range_are_refused_at_load(tmp_path: Path) -> None:
    one = tmp_path / "one.yaml"
    one.write_text(
        "kind: tardiness\ncolumns: {processing_time: [1000000000000000000, 1], due_date: [0, 0]}\n"
    )
    with pytest.raises(InputError, match=r"processing_time.*9007199254740992"):
        schedkit.load(one)
    total = tmp_path / "total.yaml"  # each value fits, sum(w) x horizon = 2^61 does not
    total.write_text(
        f"kind: tardiness\ncolumns: {{processing_time: [{2**40}, {2**40}], due_date: [0, 0], "
        f"weight: [{2**20}, 1]}}\n"
    )
    with pytest.raises(InputError, match=r"exceeds 2\^53"):
        schedkit.load(total)
