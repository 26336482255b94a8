"""SSDP stages 2 and 3: valid against brute force, stronger than stage 1, proofs on wt40."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

import schedkit
from schedkit.io.orlib import read_wt_optima
from schedkit.models.tardiness import TardinessProblem
from schedkit.models.tardiness.lagrangian import PathDP, lagrangian_bound
from schedkit.models.tardiness.ssdp import modifiers, subgradient
from schedkit.models.tardiness.ssdp_bound import ssdp_bound
from schedkit.models.tardiness.ssdp_dp import backward, best_path, forward
from schedkit.models.tardiness.ssdp_graph import Graph, reversed_graph
from schedkit.solvers.budget import Budget
from schedkit.solvers.heuristics.tardiness.evaluation import Arrays, cost
from schedkit.solvers.result import Status

from .instances import random_problem


def optimum(problem: TardinessProblem) -> int:
    """The optimum by enumeration (n <= 8)."""
    perms = np.array(list(itertools.permutations(range(problem.n))))
    return int(cost(Arrays.of(problem), perms).min())


class TickingClock:
    """A clock that moves one second each time it is read."""

    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        self.t += 1.0
        return self.t


@pytest.mark.parametrize("seed", range(6))
def test_stage2_is_at_least_stage1(seed: int) -> None:
    problem = random_problem(seed, n=9)
    stage1 = lagrangian_bound(problem, Budget.start(5.0))
    assert stage1 is not None and stage1.mu is not None
    g = Graph.of(problem)
    # at the same multipliers the stage-2 graph only removes paths
    one, _, _ = PathDP.of(problem).solve(stage1.mu)
    two, _ = best_path(g, forward(g, stage1.mu))
    assert two >= one - 1e-9
    assert subgradient(g, stage1.mu, stage1.upper, None).bound >= stage1.bound - 1e-9


@pytest.mark.parametrize("seed", range(40))
def test_bound_never_exceeds_the_optimum(seed: int) -> None:
    n = 3 + seed % 5
    problem = random_problem(100 + seed, n)
    best = optimum(problem)
    for upper in (best, best + 3):
        proof = ssdp_bound(problem, upper=upper)
        assert proof is not None and proof.bound <= best
    # stage 3 from zero multipliers: no path (UB optimal), or a path running each job once
    for upper in (best, best + 3):
        found = modifiers(Graph.of(problem), np.zeros(n), upper, None, 2**26)
        assert found.proven and round(found.bound) == best


@pytest.mark.parametrize("seed", range(4))
def test_forward_backward_and_reversed_graph_agree(seed: int) -> None:
    problem = random_problem(200 + seed, n=8)
    mu = np.random.default_rng(seed).uniform(0, 30, problem.n)
    g = Graph.of(problem)
    there, path = best_path(g, forward(g, mu))
    assert backward(g, mu).best[0, problem.n] == pytest.approx(there)
    back = reversed_graph(g)
    assert best_path(back, forward(back, mu))[0] == pytest.approx(there)
    # the path's value is its reduced cost, jobs back to back from 0
    ends = np.cumsum(problem.p[path])
    reduced = problem.w[path] * np.maximum(0, ends - problem.d[path]) - mu[path]
    assert float(reduced.sum()) == pytest.approx(there)
    assert all(x != y for x, y in itertools.pairwise(path.tolist()))


def test_state_cap_and_budget_stop_cleanly() -> None:
    problem = random_problem(7, n=8)
    g = Graph.of(problem)
    capped = modifiers(g, np.zeros(problem.n), optimum(problem), None, cap_bytes=1000)
    assert not capped.proven and capped.passes == 0
    assert ssdp_bound(problem, Budget.start(0.0, TickingClock()), upper=10) is None
    # each stage-2 step reads the clock: a 5 s budget on this clock allows at most 5 steps
    proof = ssdp_bound(problem, Budget.start(5.0, TickingClock()), upper=optimum(problem) + 50)
    assert proof is not None and proof.steps <= 5 and proof.bound <= optimum(problem)


def test_not_used_with_release_dates() -> None:
    problem = TardinessProblem.from_arrays(p=[2, 3], d=[1, 1], r=[0, 4])
    assert ssdp_bound(problem, upper=10) is None


@pytest.mark.parametrize("index", [0, 3, 4])
def test_auto_proves_wt40_optima(data_dir: Path, index: int) -> None:
    opt = read_wt_optima(data_dir / "orlib" / "wtopt40.txt")[index]
    problem = schedkit.load(f"{data_dir}/orlib/wt40.txt#{index + 1}")
    result = schedkit.solve(problem, time_limit=30)
    assert result.status is Status.OPTIMAL
    assert result.objective == opt and result.lower_bound == opt


@pytest.mark.parametrize("seed", range(8))
def test_compiled_and_numpy_programs_agree(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """The compiled loops fill the same tables as the numpy ones, ties included."""
    from schedkit.models.tardiness import ssdp_kernels

    problem = random_problem(100 + seed, n=12)
    mu = np.random.default_rng(seed).normal(0.0, 20.0, problem.n)
    g = Graph.of(problem)
    for graph in (g, reversed_graph(g)):
        compiled = [run(graph, mu) for run in (forward, backward)]
        monkeypatch.setattr(ssdp_kernels, "available", lambda: False)
        plain = [run(graph, mu) for run in (forward, backward)]
        monkeypatch.undo()
        for a, b in zip(compiled, plain, strict=True):
            np.testing.assert_array_equal(a.best, b.best)
            np.testing.assert_array_equal(a.second, b.second)
            np.testing.assert_array_equal(a.via[np.isfinite(a.best)], b.via[np.isfinite(b.best)])
            finite = np.isfinite(a.second)
            np.testing.assert_array_equal(a.via2[finite], b.via2[finite])
        assert best_path(graph, compiled[0])[0] == best_path(graph, plain[0])[0]
