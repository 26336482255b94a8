"""Dispatch rules on hand-checked instances; iterated dynasearch reaches known optima in time."""

from __future__ import annotations

import itertools
import time
from pathlib import Path

import numpy as np
import pytest

from schedkit.io.orlib import read_wt, read_wt_optima
from schedkit.models.tardiness import TardinessProblem, TardinessSolution, validate
from schedkit.solvers.budget import Budget
from schedkit.solvers.heuristics import tardiness as h
from schedkit.solvers.heuristics.tardiness import (
    dynasearch_kernels,
    focused,
    neighbourhood,
    release,
    release_kernels,
    search,
)
from schedkit.solvers.result import SolveOptions, Status, Termination


def brute_force(problem: TardinessProblem) -> int:
    return min(h.total_tardiness(problem, s) for s in itertools.permutations(range(problem.n)))


def random_problem(seed: int, n: int, releases: bool = False) -> TardinessProblem:
    rng = np.random.default_rng(seed)
    p = rng.integers(1, 20, n)
    d = rng.integers(0, int(p.sum()), n)
    r = rng.integers(0, int(p.sum()) // 2, n) if releases else None
    return TardinessProblem.from_arrays(
        p=p.tolist(),
        d=d.tolist(),
        w=rng.integers(1, 10, n).tolist(),
        r=None if r is None else r.tolist(),
    )


# --- dispatch rules -----------------------------------------------------------------------

# p = [10, 2], d = [8, 9]: EDD runs 0 then 1 (T = 2 + 3 = 5); MDD at t = 0 compares
# max(8, 10) = 10 with max(9, 2) = 9 and runs job 1 first (T = 0 + 4 = 4).
TWO = TardinessProblem.from_arrays(p=[10, 2], d=[8, 9])


def test_edd_and_mdd_on_two_jobs() -> None:
    assert h.edd(TWO) == (0, 1)
    assert h.mdd(TWO) == (1, 0)
    assert h.total_tardiness(TWO, h.edd(TWO)) == 5
    assert h.total_tardiness(TWO, h.mdd(TWO)) == 4


def test_atc_lookahead() -> None:
    # p_avg = 6. Job 0 has no slack: index 1/10 = 0.1. Job 1 has slack 7: (1/2) exp(-7 / 6k),
    # 0.279 for k = 2 (job 1 first) but ~ 0 for k = 0.1 (job 0 first).
    assert h.atc(TWO, k=2.0) == (1, 0)
    assert h.atc(TWO, k=0.1) == (0, 1)


def test_wspt_ratio_then_due_date() -> None:
    # w/p = 0.25, 1.5, 1/3, 1/3: job 1, then jobs 3 and 2 tie (job 3 due first), then job 0
    problem = TardinessProblem.from_arrays(p=[4, 2, 6, 3], d=[5, 3, 14, 6], w=[1, 3, 2, 1])
    assert h.wspt(problem) == (1, 3, 2, 0)
    assert h.edd(problem) == (1, 0, 3, 2)


def test_rules_are_non_delay_with_release_dates() -> None:
    # job 1 is due first but only released at 2: at t = 0 job 0 is the only ready job
    problem = TardinessProblem.from_arrays(p=[3, 2], d=[10, 1], r=[0, 2], w=[1, 5])
    for rule in (h.edd, h.mdd, h.wspt, h.atc):
        assert rule(problem) == (0, 1), rule.__name__
    # when nothing is ready the machine waits for the earliest release
    late = TardinessProblem.from_arrays(p=[3, 2], d=[10, 1], r=[5, 4])
    assert h.edd(late) == (1, 0)


def test_total_tardiness_matches_validator() -> None:
    problem = random_problem(3, 9, releases=True)
    seq = h.atc(problem)
    report = validate(problem, TardinessSolution(sequence=seq))
    assert report.objective == h.total_tardiness(problem, seq)


# --- neighbourhood evaluation -------------------------------------------------------------


@pytest.mark.parametrize("table_cells", [neighbourhood.TABLE_CELLS, 1])
def test_move_deltas_match_recomputation(table_cells: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(neighbourhood, "TABLE_CELLS", table_cells)  # 1 forces the np.unique path
    problem = random_problem(7, 12)
    a = h.Arrays.of(problem)
    seq = np.random.default_rng(1).permutation(12)
    base = int(h.cost(a, seq))
    pairs = h.SwapPairs.build(12, 0)
    moves = h.improving_moves(a, seq, pairs)
    assert len(moves.delta) > 0
    for lo, hi, kind, delta in zip(moves.lo, moves.hi, moves.kind, moves.delta, strict=True):
        moved = seq.copy()
        h.apply_move(moved, int(lo), int(hi), int(kind))
        assert int(h.cost(a, moved)) - base == delta
    chosen = h.select_independent(moves, 12)
    moved = seq.copy()
    for m in chosen:
        h.apply_move(moved, int(moves.lo[m]), int(moves.hi[m]), int(moves.kind[m]))
    assert int(h.cost(a, moved)) - base == sum(int(moves.delta[m]) for m in chosen) < 0


@pytest.mark.parametrize(("n", "top"), [(1, 5), (2, 3), (12, 3), (40, 20), (90, 60)])
def test_compiled_step_chooses_the_numpy_moves(n: int, top: int) -> None:
    """The compiled step picks the moves of `improving_moves` + `select_independent`, ties
    included (small p and d give many equal deltas)."""
    rng = np.random.default_rng(n)
    for _ in range(20):
        p = rng.integers(1, top + 1, n)
        problem = TardinessProblem.from_arrays(
            p=p.tolist(),
            d=rng.integers(0, int(p.sum()) + 1, n).tolist(),
            w=rng.integers(1, 4, n).tolist(),
        )
        a, seq = h.Arrays.of(problem), rng.permutation(n)
        plain = neighbourhood.step(a, seq, h.SwapPairs.build(n, 0))
        fast = neighbourhood.step(a, seq, h.SwapPairs.build(n, 0, compiled=True))
        assert sorted(fast) == sorted(plain)


def block_neighbourhood(n: int, blocks: int) -> list[tuple[int, int, int, int]]:
    """Every (lo, hi, kind, size) move: swaps, insertions, blocks of 2..`blocks` jobs."""
    moves = [(lo, hi, kind, 1) for hi in range(n) for lo in range(hi) for kind in (0, 1, 2)]
    return moves + [
        (lo, hi, kind, size)
        for size in range(2, blocks + 1)
        for hi in range(n)
        for lo in range(hi - size + 1)
        for kind in (1, 2)
    ]


def best_independent_total(a: h.Arrays, seq: np.ndarray, blocks: int) -> int:
    """The best total delta of moves on disjoint intervals, every delta recomputed."""
    base, n = int(h.cost(a, seq)), len(seq)
    best = [0] * (n + 1)
    by_end: dict[int, list[tuple[int, int]]] = {}
    for lo, hi, kind, size in block_neighbourhood(n, blocks):
        moved = seq.copy()
        h.apply_move(moved, lo, hi, kind, size)
        by_end.setdefault(hi, []).append((lo, int(h.cost(a, moved)) - base))
    for x in range(1, n + 1):
        best[x] = min([best[x - 1]] + [best[lo] + d for lo, d in by_end.get(x - 1, []) if d < 0])
    return best[n]


@pytest.mark.parametrize("blocks", [1, 2, 3])
def test_compiled_step_with_blocks_reaches_the_best_independent_total(blocks: int) -> None:
    """The moves the kernel picks improve the sequence by the best total that moves on
    disjoint intervals can reach, each move's delta recomputed from scratch."""
    rng = np.random.default_rng(blocks)
    sizes = []
    for _ in range(40):
        n = int(rng.integers(2, 13))
        p = rng.integers(1, 12, n)
        problem = TardinessProblem.from_arrays(
            p=p.tolist(),
            d=rng.integers(0, int(p.sum()) + 1, n).tolist(),
            w=rng.integers(1, 5, n).tolist(),
        )
        a, seq = h.Arrays.of(problem), rng.permutation(n)
        pairs = h.SwapPairs.build(n, 0, compiled=True, blocks=blocks)
        moved = seq.copy()
        for move in neighbourhood.step(a, seq, pairs):
            h.apply_move(moved, *move)
            sizes.append(move[3])
        assert int(h.cost(a, moved)) - int(h.cost(a, seq)) == best_independent_total(a, seq, blocks)
    assert max(sizes) == blocks  # blocks of the largest size were picked too


@pytest.mark.parametrize(("n", "releases"), [(60, False), (30, True)])
def test_compiled_and_numpy_searches_follow_the_same_path(n: int, releases: bool) -> None:
    """Without release dates below `FOCUS_FROM` both descend by full steps, and with them at
    n = 30 both neighbourhoods hold every move: a fixed number of kicks from one seed ends at
    the same sequence."""
    a = h.Arrays.of(random_problem(21, n, releases=releases))
    start = np.random.default_rng(0).permutation(n)
    out = [
        search.iterated_search(
            a, start, search.SearchParams(max_iters=25, compiled=c), seed=3, budget=Budget.start(60)
        )
        for c in (False, True)
    ]
    assert [r.iterations for r in out] == [25, 25]
    assert out[0].sequence.tolist() == out[1].sequence.tolist()
    assert [v for _, v in out[0].history] == [v for _, v in out[1].history]
    assert len(out[0].history) > 1


@pytest.mark.parametrize("n", [1, 2, 3, 15, 40])
def test_compiled_move_costs_with_releases_are_the_simulated_ones(n: int) -> None:
    """Simulating only what a move changes gives each candidate's full cost."""
    for seed in range(10):
        a = h.Arrays.of(random_problem(seed, n, releases=True))
        seq = np.random.default_rng(seed).permutation(n)
        moves = release.window_moves(n, n)
        got = release_kernels.move_costs(a.p, a.d, a.w, a.r, seq, moves).tolist()
        if n == 1:  # no move at all (numpy's batches need one)
            assert got == []
            continue
        plain = release.batch_costs(a, seq, release.move_permutations(n, moves))
        assert got == plain.tolist()


def test_numpy_release_moves_fit_their_memory_cap() -> None:
    """numpy's candidate permutations (a row of n per move) stay under `PERM_CELLS`, so
    n = 5000 does not build gigabytes; the compiled costs keep the 8-position window."""
    params = search.SearchParams()
    assert params.release_width(1000) == search.RELEASE_MIN_WIDTH
    width = params.release_width(5000)
    assert width == 1 and len(release.window_moves(5000, width)) * 5000 <= search.PERM_CELLS
    assert params.release_width(5000, fast=True) == search.RELEASE_MIN_WIDTH
    assert params.release_width(50) == params.release_width(50, fast=True) == 49


def test_the_shift_table_decides_whether_the_kernel_runs() -> None:
    assert dynasearch_kernels.fits(np.array([100] * 1000))
    assert not dynasearch_kernels.fits(np.array([10**6] * 1000))
    big = h.Arrays.of(TardinessProblem.from_arrays(p=[10**6, 1], d=[0, 0], w=[1, 1]))
    assert not search.use_compiled(big, search.SearchParams(), Budget.start(60))
    small = h.Arrays.of(random_problem(1, 5))
    assert search.use_compiled(small, search.SearchParams(), Budget.start(60))
    assert not search.use_compiled(small, search.SearchParams(compiled=False), Budget.start(60))


def test_band_moves_are_the_full_moves_within_the_band() -> None:
    problem = random_problem(11, 30)
    a = h.Arrays.of(problem)
    seq = np.random.default_rng(2).permutation(30)

    def table(moves: h.Moves, width: int) -> dict[tuple[int, int, int], int]:
        rows = zip(moves.lo, moves.hi, moves.kind, moves.delta, strict=True)
        return {(int(x), int(y), int(k)): int(d) for x, y, k, d in rows if y - x <= width}

    full = table(h.improving_moves(a, seq, h.SwapPairs.build(30, 0)), 5)
    band = h.improving_moves(a, seq, h.SwapPairs.build(30, 5))
    assert len(full) > 0 and table(band, 5) == full and len(band.delta) == len(full)


def test_focused_moves_are_the_full_moves_of_the_focused_jobs() -> None:
    problem = random_problem(12, 30)
    a = h.Arrays.of(problem)
    seq = np.random.default_rng(3).permutation(30)
    rows = np.array([0, 7, 8, 29])
    full = h.improving_moves(a, seq, h.SwapPairs.build(30, 0))
    expected = {
        (int(x), int(y), int(k)): int(dl)
        for x, y, k, dl in zip(full.lo, full.hi, full.kind, full.delta, strict=True)
        if {x, y} & set(rows.tolist()) and (k == 0 or (x if k == 1 else y) in rows)
    }
    got = focused.focused_moves(a, seq, rows)
    rows_got = zip(got.lo, got.hi, got.kind, got.delta, strict=True)
    assert {(int(x), int(y), int(k)): int(dl) for x, y, k, dl in rows_got} == expected
    assert len(expected) > 0


def test_focused_descent_reaches_a_full_local_optimum() -> None:
    problem = random_problem(13, 60)
    a = h.Arrays.of(problem)
    pairs = h.SwapPairs.build(60, 0)
    start = h.dynasearch(a, np.random.default_rng(5).permutation(60), pairs, Budget.start(10))
    kicked, touched = search.kick_at(start, np.random.default_rng(6), 4, 60)
    out = focused.focused_descent(a, kicked, touched, pairs, Budget.start(10))
    assert sorted(out.tolist()) == list(range(60))
    assert int(h.cost(a, out)) <= int(h.cost(a, kicked))
    assert len(h.improving_moves(a, out, pairs).delta) == 0


def test_large_instances_search_by_band_within_the_budget() -> None:
    rng = np.random.default_rng(4)
    n = search.COMPILED_FULL_MAX + 1
    p = rng.integers(1, 100, n)
    d = rng.integers(0, int(p.sum()), n)
    problem = TardinessProblem.from_arrays(p=p.tolist(), d=d.tolist())
    assert h.SearchParams().band_width(n, fast=True) == search.BAND_WIDTH
    assert h.SearchParams().band_width(search.FULL_MAX + 1) == search.BAND_WIDTH
    assert h.SearchParams().band_width(search.FULL_MAX + 1, fast=True) == 0
    out = h.solve(problem, SolveOptions(time_limit=1.0), None)
    assert out.solution is not None and out.solution.objective is not None
    assert isinstance(out.solution, TardinessSolution)
    assert out.solution.objective <= min(out.stats[r] for r in ("edd", "wspt"))
    assert validate(problem, out.solution).objective == out.solution.objective


# --- the backend --------------------------------------------------------------------------

WT40_SAMPLE = [1, 2, 3, 19, 38, 58, 88, 100]


@pytest.fixture(scope="module")
def wt40(data_dir: Path) -> tuple[list[TardinessProblem], list[int]]:
    path = data_dir / "orlib" / "wt40.txt"
    return read_wt(path.read_text(), str(path)), read_wt_optima(data_dir / "orlib" / "wtopt40.txt")


@pytest.mark.parametrize("k", WT40_SAMPLE)
def test_reaches_orlib_optimum(k: int, wt40: tuple[list[TardinessProblem], list[int]]) -> None:
    problems, optima = wt40
    # the stall limit (kicks without improvement) is lowered to keep the test short
    options = SolveOptions(time_limit=4.0, params={"stall_iters": 150})
    out = h.solve(problems[k - 1], options, None)
    assert isinstance(out.solution, TardinessSolution)
    assert out.solution.objective == optima[k - 1]
    assert validate(problems[k - 1], out.solution).objective == optima[k - 1]
    assert out.stats["edd"] >= optima[k - 1]
    if k == 1:
        assert optima[0] == 913 and out.stats["edd"] == 1588


def test_honours_time_limit() -> None:
    rng = np.random.default_rng(0)
    p = rng.integers(1, 100, 500)
    d = rng.integers(int(p.sum() * 0.2), int(p.sum() * 0.6), 500)
    problem = TardinessProblem.from_arrays(
        p=p.tolist(), d=d.tolist(), w=rng.integers(1, 10, 500).tolist()
    )
    t0 = time.monotonic()
    options = SolveOptions(time_limit=1.0, params={"stall_iters": 10**9})
    out = h.solve(problem, options, None)
    elapsed = time.monotonic() - t0
    assert elapsed < 1.6  # one dynasearch pass (n = 500) may finish past the deadline
    assert out.stats["stop"] == "time_limit" and out.termination is Termination.TIME_LIMIT
    assert out.solution is not None and out.solution.objective is not None
    assert out.solution.objective <= min(out.stats[r] for r in ("edd", "mdd", "atc", "wspt"))


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("releases", [False, True])
def test_small_instances_reach_brute_force_optimum(seed: int, releases: bool) -> None:
    problem = random_problem(seed, 7, releases=releases)
    out = h.solve(
        problem, SolveOptions(time_limit=2.0, seed=seed, params={"stall_iters": 60}), None
    )
    assert out.solution is not None
    assert out.solution.objective == brute_force(problem)


def test_status_optimal_at_lower_bound_and_stats() -> None:
    problem = TardinessProblem.from_arrays(p=[3, 2, 4], d=[9, 9, 9])
    out = h.solve(problem, SolveOptions(time_limit=1.0), None)
    assert out.status is Status.OPTIMAL and out.lower_bound == 0.0
    assert out.stats["stop"] == "lower_bound"
    loose = random_problem(5, 30)
    out = h.solve(loose, SolveOptions(time_limit=1.0, params={"max_iters": 5}), None)
    assert out.status is Status.FEASIBLE and out.stats["ils_iterations"] == 5
    assert out.stats["edd"] == h.total_tardiness(loose, h.edd(loose))


def test_seed_determinism_and_hint(wt40: tuple[list[TardinessProblem], list[int]]) -> None:
    problem, optimum = wt40[0][57], wt40[1][57]
    params = {"max_iters": 3, "stall_iters": 10**6}
    runs = [h.solve(problem, SolveOptions(time_limit=5.0, params=params), None) for _ in range(2)]
    assert runs[0].solution == runs[1].solution
    best = h.solve(
        problem, SolveOptions(time_limit=4.0, params={"stall_iters": 150}), None
    ).solution
    assert isinstance(best, TardinessSolution) and best.objective == optimum
    hinted = h.solve(problem, SolveOptions(time_limit=5.0, params={"max_iters": 0}), best)
    assert hinted.solution is not None and hinted.solution.objective == optimum


@pytest.mark.parametrize(
    "problem",
    [
        TardinessProblem.from_arrays(p=[5], d=[1]),
        TardinessProblem.from_arrays(p=[5], d=[1], r=[3]),
        TardinessProblem.from_arrays(p=[5, 2], d=[1, 0], r=[3, 1], w=[0, 2]),
    ],
)
def test_tiny_instances(problem: TardinessProblem) -> None:
    out = h.solve(problem, SolveOptions(time_limit=1.0, params={"stall_iters": 10}), None)
    assert out.solution is not None and out.solution.objective == brute_force(problem)
