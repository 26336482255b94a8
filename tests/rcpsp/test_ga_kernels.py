"""The GA's compiled generations against the Python operators they replace."""

from __future__ import annotations

import itertools
import random
from pathlib import Path

import numpy as np
import pytest

import schedkit
from schedkit.generate.rcpsp import generate
from schedkit.generate.rcpsp_progen import generate_psplib
from schedkit.models.rcpsp import RcpspProblem, RcpspSolution, validate
from schedkit.solvers.budget import Budget
from schedkit.solvers.heuristics.rcpsp import ga, ga_kernels
from schedkit.solvers.heuristics.rcpsp.rules import priorities, regret_sample
from schedkit.solvers.heuristics.rcpsp.sgs import Justifier, Sgs
from schedkit.solvers.heuristics.rcpsp.sgs_kernels import parallel_starts


def _j30(data_dir: Path, name: str) -> RcpspProblem:
    problem = schedkit.load(data_dir / "psplib" / "j30" / f"{name}.sm")
    assert isinstance(problem, RcpspProblem)
    return problem


def _plain() -> RcpspProblem:
    """A PSPLIB-style instance: finish-start arcs, constant capacities, no deadlines."""
    return generate_psplib(20, 2, nc=1.8, rf=0.5, rs=0.3, seed=3)


def _lists(sgs: Sgs, count: int, seed: int) -> list[list[int]]:
    rng = random.Random(seed)
    lft = priorities(sgs.problem)["LFT"]
    return [regret_sample(sgs, lft, rng) for _ in range(count)]


def test_applies_to_plain_instances_only(instances_dir: Path) -> None:
    assert ga_kernels.applies(Sgs(_plain()))
    assert not ga_kernels.applies(Sgs(_plain(), compiled=False))
    constrained = schedkit.load(instances_dir / "rcpsp" / "constrained_n12.yaml")
    assert isinstance(constrained, RcpspProblem)
    assert not ga_kernels.applies(Sgs(constrained))  # deadlines: fitness is not the makespan
    start_start = generate(20, 2, seed=3, downtime=False, windows=False, disjunctive=0)
    assert not ga_kernels.applies(Sgs(start_start))  # SS arcs: lists need a topological repair


def test_crossover_matches_python() -> None:
    sgs = Sgs(_plain())
    rng = random.Random(1)
    lists = _lists(sgs, 20, 1)
    for mother, father in itertools.pairwise(lists):
        q1, q2 = sorted(rng.sample(range(sgs.n + 1), 2))
        child = np.empty(sgs.n, dtype=np.int64)
        ga_kernels._crossover(np.array(mother), np.array(father), q1, q2, child)
        assert child.tolist() == ga.crossover(mother, father, q1, q2)


@pytest.mark.parametrize("name", ["j301_1", "j3013_4", "j3029_7"])
def test_justification_matches_python(data_dir: Path, name: str) -> None:
    """Same list and starts as `Justifier.improve` (one backward, one forward pass)."""
    sgs = Sgs(_j30(data_dir, name))
    just = Justifier(sgs)
    g = ga_kernels.GaArrays.of(sgs, just.bwd, priorities(sgs.problem)["LFT"])
    for order in _lists(sgs, 10, 2):
        start = sgs.serial(order)
        new_order, new_start = ga_kernels._justify(
            np.array(order), np.array(start), (g.fwd, g.bwd), g.horizon
        )
        assert (new_order.tolist(), new_start.tolist()) == just.improve(order, start)


@pytest.mark.parametrize("name", ["j301_1", "j3013_4", "j3029_7"])
def test_parallel_scheme_matches_python(data_dir: Path, name: str) -> None:
    """The compiled parallel scheme over a list gives `Sgs.parallel`'s starts by rank."""
    sgs = Sgs(_j30(data_dir, name))
    g = ga_kernels.GaArrays.of(sgs, sgs.mirrored(), priorities(sgs.problem)["LFT"])
    for order in _lists(sgs, 10, 4):
        rank = [0.0] * sgs.n
        for pos, j in enumerate(order):
            rank[j] = float(pos)
        starts = parallel_starts(np.array(order), g.fwd, g.changes)
        assert starts.tolist() == sgs.parallel(rank)


def test_parallel_scheme_waits_for_capacity_changes(instances_dir: Path) -> None:
    """With downtime, a capacity change is a decision time: same starts as `Sgs.parallel`."""
    problem = generate(20, 2, seed=5, downtime=True, windows=False, disjunctive=0)
    sgs = Sgs(problem)
    g = ga_kernels.GaArrays.of(sgs, sgs.mirrored(), priorities(problem)["LFT"])
    assert len(g.changes) > 1
    for order in _lists(sgs, 10, 5):
        rank = [0.0] * sgs.n
        for pos, j in enumerate(order):
            rank[j] = float(pos)
        assert parallel_starts(np.array(order), g.fwd, g.changes).tolist() == sgs.parallel(rank)


def test_selection_keeps_the_best_distinct_lists_stably() -> None:
    pop = np.array([[0, 1, 2], [1, 0, 2], [0, 1, 2], [0, 2, 1], [2, 0, 1]], dtype=np.int64)
    keys = np.array([5, 4, 5, 4, 6], dtype=np.int64)
    rows, kept = ga_kernels._select(pop, keys, 3)
    assert rows.tolist() == [[1, 0, 2], [0, 2, 1], [0, 1, 2]]
    assert kept.tolist() == [4, 4, 5]
    rows, kept = ga_kernels._select(pop, keys, 10)  # the duplicate of row 0 is dropped
    assert rows.tolist() == [[1, 0, 2], [0, 2, 1], [0, 1, 2], [2, 0, 1]]


def test_mutation_never_breaks_precedence() -> None:
    sgs = Sgs(_plain())
    g = ga_kernels.GaArrays.of(sgs, sgs.mirrored(), priorities(sgs.problem)["LFT"])
    ga_kernels.seed(0)
    for order in _lists(sgs, 10, 3):
        row = np.array(order, dtype=np.int64)
        ga_kernels._mutate(row, g.succ, 1.0)
        pos = {j: k for k, j in enumerate(row.tolist())}
        assert sorted(pos) == list(range(sgs.n))
        assert all(pos[i] < pos[j] for i, j in sgs.direct)


def test_regret_samples_are_precedence_feasible_and_biased() -> None:
    """Every sample is a topological order; the LFT-first activity leads most often."""
    sgs = Sgs(_plain())
    lft = priorities(sgs.problem)["LFT"]
    g = ga_kernels.GaArrays.of(sgs, sgs.mirrored(), lft)
    ga_kernels.seed(0)
    firsts = []
    for _ in range(200):
        row = np.empty(sgs.n, dtype=np.int64)
        ga_kernels._regret_sample(*g.sampling, row)
        pos = {j: k for k, j in enumerate(row.tolist())}
        assert sorted(pos) == list(range(sgs.n))
        assert all(pos[i] < pos[j] for i, j in sgs.direct)
        firsts.append(row[1])  # row[0] is the dummy start, the only activity without arcs in
    eligible = [j for j, _ in sgs.succs[0]]
    favourite = min(eligible, key=lambda j: lft[j])
    assert max(set(firsts), key=firsts.count) == favourite


@pytest.mark.parametrize("name", ["j3013_1", "j3029_7"])
def test_compiled_ga_reaches_the_optimum_and_repeats_itself(
    data_dir: Path, optima: dict[str, int], name: str
) -> None:
    problem = _j30(data_dir, name)
    first = ga.run_ga(problem, schedules=50_000, target=0, stall=30, restart=True, seed=4)
    again = ga.run_ga(problem, schedules=50_000, target=0, stall=30, restart=True, seed=4)
    assert first.makespan == optima[name]
    assert (first.start, first.schedules) == (again.start, again.schedules)
    assert first.schedules <= 50_000
    report = validate(problem, RcpspSolution(start=tuple(first.start)))
    assert report.feasible and report.objective == optima[name]


def test_long_generations_stay_in_python(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A generation predicted longer than GENERATION_SECONDS runs the Python loop, which checks
    the budget between children: the same run as the Python reference."""
    problem = _j30(data_dir, "j3013_1")
    reference = ga.run_ga(problem, schedules=3_000, seed=2, compiled_generations=False)
    monkeypatch.setattr(ga, "GENERATION_SECONDS", 0.0)
    slow = ga.run_ga(problem, schedules=3_000, seed=2)
    assert (slow.start, slow.schedules, slow.generations) == (
        reference.start,
        reference.schedules,
        reference.generations,
    )


@pytest.mark.parametrize("fast", [True, False], ids=["compiled", "python"])
def test_a_run_stalls_on_its_own_population_not_on_earlier_runs(data_dir: Path, fast: bool) -> None:
    """A restarted run whose population cannot reach the best schedule of earlier runs still
    evolves while its own best improves: more generations than `stall`."""
    problem = schedkit.load(data_dir / "psplib" / "j60" / "j6013_1.sm")
    assert isinstance(problem, RcpspProblem)
    sgs = Sgs(problem)
    rules = priorities(problem)
    ev = ga.Evaluator(sgs, 10**9, Budget.start(60.0), 0, (True, fast), rules["LFT"])
    assert (ev.kernels is not None) is fast
    ga_kernels.seed(5)
    pop = [ev.evaluate(order) for order in _lists(sgs, 40, seed=5)]
    ev.best_key = (0, 1)  # as if an earlier run had found makespan 1: never beaten
    generations = ga._evolve(ev, pop, random.Random(5), (0.05, 3, 0.0))
    assert generations > 3
    assert ev.best_key == (0, 1)


def test_parallel_decoding_reaches_the_optimum_and_checks_its_share(
    data_dir: Path, optima: dict[str, int]
) -> None:
    """Half the children decoded by the parallel scheme, then justified: a valid optimal
    schedule; a share above 1 is refused by name."""
    problem = _j30(data_dir, "j3013_1")
    res = ga.run_ga(problem, schedules=50_000, stall=30, restart=True, seed=4, parallel=0.5)
    report = validate(problem, RcpspSolution(start=tuple(res.start)))
    assert report.feasible and report.objective == res.makespan == optima["j3013_1"]
    with pytest.raises(schedkit.InputError, match="parallel"):
        schedkit.solve(problem, "heuristic", time_limit=1, params={"parallel": 1.5})
