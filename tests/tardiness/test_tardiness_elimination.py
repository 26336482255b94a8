"""Arc elimination against the upper bound: it keeps every schedule better than UB, the
compiled and numpy loops agree, and it proves OR-Library instances stage 3 could not."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from schedkit.io.orlib import read_wt, read_wt_optima
from schedkit.models.tardiness import TardinessProblem
from schedkit.models.tardiness.ssdp import modifiers, subgradient
from schedkit.models.tardiness.ssdp_bound import ssdp_bound
from schedkit.models.tardiness.ssdp_dp import backward, forward
from schedkit.models.tardiness.ssdp_elimination import eliminate
from schedkit.models.tardiness.ssdp_graph import Graph, reversed_graph
from schedkit.solvers.budget import Budget
from schedkit.solvers.heuristics.tardiness.evaluation import Arrays, cost

from .instances import random_problem


def first_optimal(problem: TardinessProblem) -> tuple[int, tuple[int, ...]]:
    """The optimum and the first optimal sequence in lexicographic order (n <= 8)."""
    perms = list(itertools.permutations(range(problem.n)))
    values = cost(Arrays.of(problem), np.array(perms))
    at = int(values.argmin())
    return int(values[at]), perms[at]


def arcs_of(problem: TardinessProblem, order: tuple[int, ...]) -> list[tuple[int, int, int]]:
    """(completion time, job, job before; n for the start) of each job of `order`."""
    ends = np.cumsum(problem.p[list(order)])
    before = (problem.n, *order[:-1])
    return [(int(t), k, i) for t, k, i in zip(ends, order, before, strict=True)]


@pytest.mark.parametrize("seed", range(12))
def test_the_first_optimal_schedule_keeps_its_arcs(seed: int) -> None:
    """With UB = optimum + 1 the lexicographically first optimal schedule is better than UB,
    so no multiplier may remove one of its arcs; the bound stays at most the optimum."""
    problem = random_problem(300 + seed, n=7)
    best, order = first_optimal(problem)
    g = Graph.of(problem)
    rng = np.random.default_rng(seed)
    removed = sum(eliminate(g, rng.normal(0, 15, problem.n), best + 1) for _ in range(30))
    res = subgradient(g, np.zeros(problem.n), best + 1, None, steps=200)
    assert removed + res.removed > 0
    assert not any(g.forbidden[t, k, i] for t, k, i in arcs_of(problem, order))
    assert res.bound <= best + 1e-6
    # stage 3's pass pairs remove arcs too, at any multipliers, and never one of these
    for scale in (0.0, 10.0, 30.0):
        three = modifiers(g, rng.normal(0, scale, problem.n), best + 1, None, 2**26)
        assert three.bound <= best + 1e-6
    assert not any(g.forbidden[t, k, i] for t, k, i in arcs_of(problem, order))


@pytest.mark.parametrize("seed", range(6))
def test_compiled_and_numpy_eliminations_agree(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    from schedkit.models.tardiness import ssdp_kernels

    problem = random_problem(400 + seed, n=12)
    mu = np.random.default_rng(seed).normal(0.0, 20.0, problem.n)
    upper = int(cost(Arrays.of(problem), np.arange(problem.n)[None, :])[0])
    compiled, plain = Graph.of(problem), Graph.of(problem)
    removed = eliminate(compiled, mu, upper)
    monkeypatch.setattr(ssdp_kernels, "available", lambda: False)
    assert eliminate(plain, mu, upper) == removed > 0
    np.testing.assert_array_equal(compiled.forbidden, plain.forbidden)


@pytest.mark.parametrize("size, index", [(40, 14), (50, 85)])
def test_elimination_proves_what_stage_3_could_not(data_dir: Path, size: int, index: int) -> None:
    """Two OR-Library instances that stages 2 and 3 left open at 60 s before arcs were
    eliminated (at #85 every arc goes: no schedule beats UB); now stage 2 proves them. With UB
    one above the optimum (a false claim) the bound must stop at the optimum."""
    text = (data_dir / "orlib" / f"wt{size}.txt").read_text()
    problem = read_wt(text, f"wt{size}")[index - 1]
    opt = read_wt_optima(data_dir / "orlib" / f"wtopt{size}.txt")[index - 1]
    proof = ssdp_bound(problem, upper=opt)
    assert proof is not None and proof.proven and proof.stage == 2 and proof.removed > 0
    wrong = ssdp_bound(problem, Budget.start(4.0), upper=opt + 1)
    assert wrong is not None and not wrong.proven and wrong.bound <= opt


@pytest.mark.parametrize("seed", range(4))
def test_arc_lists_give_the_dense_tables(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Once most arcs are gone the compiled loops run over lists of the rest: same values."""
    from schedkit.models.tardiness import ssdp_arcs

    problem = random_problem(500 + seed, n=12)
    g = Graph.of(problem)
    upper = int(cost(Arrays.of(problem), np.arange(problem.n)[None, :])[0])
    subgradient(g, np.zeros(problem.n), upper, None, steps=60)
    mu = np.random.default_rng(seed).normal(0.0, 20.0, problem.n)
    assert ssdp_arcs.arc_lists(g) is not None  # few arcs left: the lists are used
    sparse = [run(g, mu) for run in (forward, backward)]
    monkeypatch.setattr(ssdp_arcs, "SPARSE_SHARE", 0.0)
    g.cache.clear()
    assert ssdp_arcs.arc_lists(g) is None
    dense = [run(g, mu) for run in (forward, backward)]
    for a, b in zip(sparse, dense, strict=True):
        np.testing.assert_array_equal(a.best, b.best)
        np.testing.assert_array_equal(a.second, b.second)
        np.testing.assert_array_equal(a.via[np.isfinite(a.best)], b.via[np.isfinite(b.best)])


@pytest.mark.parametrize("seed", range(3))
def test_list_elimination_and_filtered_lists_match_the_dense_ones(seed: int) -> None:
    """Elimination over the arc lists removes the arcs the dense loop removes, and the lists
    filtered after it equal the lists rebuilt from the dense table."""
    from schedkit.models.tardiness import ssdp_arcs, ssdp_kernels
    from schedkit.models.tardiness.ssdp_elimination import elimination_limit

    problem = random_problem(520 + seed, n=12)
    g = Graph.of(problem)
    upper = int(cost(Arrays.of(problem), np.arange(problem.n)[None, :])[0])
    subgradient(g, np.zeros(problem.n), upper, None, steps=40)
    assert ssdp_arcs.arc_lists(g) is not None
    mu = np.random.default_rng(seed).normal(0.0, 5.0, problem.n)
    ahead = forward(g, mu)
    low = float(ahead.best[g.horizon, : problem.n].min()) + float(mu.sum())
    cut = int((low + upper) / 2)  # below UB: more arcs go (the loops must still agree)
    dense = g.forbidden.copy()
    tables = ahead.arrays(), backward(g, mu).arrays()
    limit = elimination_limit(cut, mu)
    gone = ssdp_kernels.eliminate_rows(g.cost - mu, dense, g.source, *tables, limit)
    assert eliminate(g, mu, cut) == gone > 0
    np.testing.assert_array_equal(g.forbidden, dense)
    assert "stale" in g.cache
    kept, rebuilt = ssdp_arcs.arc_lists(g), ssdp_arcs.ArcLists.of(g)
    assert kept is not None
    for name in ("ahead_ptr", "ahead_prev", "back_ptr", "back_next"):
        np.testing.assert_array_equal(getattr(kept, name), getattr(rebuilt, name))


@pytest.mark.parametrize("seed", range(4))
def test_compiled_and_numpy_passes_agree(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """The compiled stage-3 pass stores the same states, values and links as numpy's, and
    finds the same path, in both directions, with and without the other pass's pruning."""
    from schedkit.models.tardiness import ssdp_modifiers as sm

    problem = random_problem(600 + seed, n=10)
    upper = int(cost(Arrays.of(problem), np.arange(problem.n)[None, :])[0])
    g = Graph.of(problem)
    mu = np.random.default_rng(seed).normal(0.0, 5.0, problem.n)
    limit = upper - 1 - float(mu.sum())
    other = None
    for graph in (g, reversed_graph(g)):
        rule = sm.Rule.of([0, 3, 5], problem.n, backward(graph, mu).best, limit, g.horizon, other)
        fast = sm.modifier_pass(graph, mu, rule, None, 2**26)
        monkeypatch.setattr(sm.compiled, "available", lambda: False)
        slow = sm.modifier_pass(graph, mu, rule, None, 2**26)
        monkeypatch.undo()
        assert fast.states == slow.states > 0 and fast.value == slow.value
        np.testing.assert_array_equal(fast.path, slow.path)
        for name in ("job", "mask", "best", "second", "via", "link", "link2"):
            np.testing.assert_array_equal(fast.store[name][: fast.states],
                                          slow.store[name][: slow.states])  # fmt: skip
        np.testing.assert_array_equal(fast.store.node, slow.store.node)
        other = fast.table


def test_members_are_the_jobs_in_fewest_states() -> None:
    """M grows by the jobs in the fewest states of the pass pair (ties: the fewest runs on the
    path), never a member twice, at most `ADD_PER_PASS` at a time; once at most
    `REPEATED_ROOM` bits are free, by the jobs the path repeats."""
    from types import SimpleNamespace

    from schedkit.models.tardiness.ssdp import ADD_PER_PASS, REPEATED_ROOM, pick_members

    class Store(dict[str, np.ndarray]):
        size = 0

    def fake(jobs: list[int], path: list[int]) -> Any:
        store = Store(job=np.array([*jobs, 99]))  # beyond `size`: not counted
        store.size = len(jobs)
        return SimpleNamespace(store=store, path=np.array(path))

    ahead = fake([0, 0, 0, 1, 1, 2, 3, 3, 3, 3, 4, 5, 5], [])
    back = fake([0, 1, 2, 4, 4, 5, 5], [2, 2, 4])
    # states: job 0: 4, 1: 3, 2: 2, 3: 4, 4: 3, 5: 4; path runs: 2 twice, 4 once
    assert ADD_PER_PASS == 3
    assert pick_members(ahead, back, 6, [], 40) == [2, 1, 4]
    assert pick_members(ahead, back, 6, [2, 4], 40) == [1, 0, 3]
    # few bits left: the jobs the path repeats first, else the fewest states again
    assert pick_members(ahead, back, 6, [], REPEATED_ROOM) == [2]
    assert pick_members(ahead, back, 6, [2], REPEATED_ROOM) == [1, 4, 0]


def test_wt50_83_is_proven_by_stage_3(data_dir: Path) -> None:
    """wt50 #83 stayed at 964 of 973 with 1 GB of states while M took the jobs the path
    repeats; with the jobs in the fewest states M grows past 20 jobs and proves it (about
    10 s on one core)."""
    problem = read_wt((data_dir / "orlib" / "wt50.txt").read_text(), "wt50")[82]
    opt = read_wt_optima(data_dir / "orlib" / "wtopt50.txt")[82]
    proof = ssdp_bound(problem, Budget.start(120.0), upper=opt)
    assert proof is not None and proof.proven and proof.stage == 3 and proof.members >= 20
