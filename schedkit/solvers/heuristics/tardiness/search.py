"""Iterated local search: descend, kick, descend again, keep the best (Grosso et al. 2004).

A kick is a few random swaps; the descent is dynasearch (without release dates) or the
batched descent (with them). Up to `FULL_MAX` jobs the dynasearch neighbourhood is every swap
and insertion, each full step one compiled loop (`dynasearch_kernels`) where numba is there
(up to `COMPILED_FULL_MAX` jobs); without it, from `FOCUS_FROM` jobs the descent after a kick
first moves only the jobs near the kicked positions (O(n) per focused job, `focused.py`) and
ends with full steps. Beyond `FULL_MAX` (numpy) the (n, n) matrices cost too much time and
memory per step, so moves span at most `BAND_WIDTH` positions (O(n width) per step) and kicks
stay within that span.

A kicked local optimum replaces the current one when it is not worse (the search drifts
across plateaus); the best one is kept.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from schedkit import compiled
from schedkit.errors import InputError
from schedkit.solvers.arguments import flag_param, number_param
from schedkit.solvers.budget import Budget
from schedkit.solvers.heuristics.tardiness import dynasearch_kernels, release_kernels
from schedkit.solvers.heuristics.tardiness.evaluation import Arrays, cost
from schedkit.solvers.heuristics.tardiness.focused import focused_descent
from schedkit.solvers.heuristics.tardiness.neighbourhood import (
    SwapPairs,
    dynasearch,
    step_seconds,
)
from schedkit.solvers.heuristics.tardiness.release import (
    costs_of,
    release_descent,
    window_moves,
)
from schedkit.solvers.heuristics.tardiness.rules import ATC_K

FULL_MAX = 2000
"""Largest n searched with the full neighbourhood by numpy (each step builds (n, n)
matrices: about 0.1-0.3 s and 8 MB each at n = 1000); larger instances descend by band."""
COMPILED_FULL_MAX = 5000
"""The same for the compiled step (no matrices; about 20 ms per step at n = 2000, 0.54 s at
n = 5000 with three other processes on two cores); at n = 5000 it ended 6.8 % below the band's
value after 10 s on one instance."""
BAND_WIDTH = 40
"""Largest move distance of the band neighbourhood (beyond `FULL_MAX` jobs)."""
FOCUS_FROM = 200
"""From this many jobs (up to `FULL_MAX`), a descent after a kick starts focused on the kicked
positions (`focused.py`) and ends with full-neighbourhood steps."""
RELEASE_CELLS = 2_000_000
"""Sequence cells simulated per descent step with release dates (moves x n)."""
RELEASE_MIN_WIDTH = 8
PERM_CELLS = 30_000_000
"""Most cells of numpy's candidate permutations (moves x n, int32): beyond about 1100 jobs
its window shrinks below `RELEASE_MIN_WIDTH` (at n = 5000 the 8-position window took 2.3 GB
and a 6 s step under a 2 s limit)."""
BLOCKS = 1
"""Default largest block of consecutive jobs a compiled dynasearch step moves."""
COMPILED_RELEASE_FACTOR = 10
"""How many more cells a step may simulate with the compiled move costs (which simulate
only what a move changes: 10-19 times faster than the numpy batches at n = 50-200,
benchmarks/results/tardiness_kernels.md)."""

Descent = Callable[[np.ndarray, Budget, np.ndarray | None], np.ndarray]
"""(sequence, budget, positions a kick touched or None) -> a local optimum."""


INT_PARAMS = {
    "max_iters": 0,
    "stall_iters": 1,
    "kick": 0,
    "kick_span": 0,
    "window": 0,
    "release_window": 0,
    "blocks": 1,
}
"""The integer knobs and their least values."""


def look_aheads(value: Any) -> tuple[float, ...]:
    """ATC look-ahead values from a positive number or a non-empty list of them."""
    items = value if isinstance(value, list | tuple) else [value]
    ok = [v for v in items if isinstance(v, int | float) and not isinstance(v, bool) and v > 0]
    if not items or len(ok) < len(items) or not all(math.isfinite(float(v)) for v in ok):
        raise InputError(
            f"expected a positive number or a list of them, got {value!r}", field="param atc_k"
        )
    return tuple(float(v) for v in ok)


@dataclass
class SearchParams:
    """Knobs of the iterated local search (see the package docstring)."""

    max_iters: int | None = None
    stall_iters: int | None = None
    kick: int = 4
    kick_span: int = 0
    window: int = 0
    release_window: int = 0
    atc_k: tuple[float, ...] = ATC_K
    compiled: bool = True
    """Full dynasearch steps by the compiled kernel where it applies (`use_compiled`)."""
    blocks: int = BLOCKS
    """Compiled steps: blocks of up to this many consecutive jobs move as one."""

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> SearchParams:
        """The knobs given in `params`, checked (an InputError names a bad one)."""
        values: dict[str, Any] = {
            k: number_param(params, k, low, integer=True, low=low)
            for k, low in INT_PARAMS.items()
            if k in params
        }
        if "atc_k" in params:
            values["atc_k"] = look_aheads(params["atc_k"])
        if "compiled" in params:
            values["compiled"] = flag_param(params, "compiled", True)
        return cls(**values)

    def release_width(self, n: int, fast: bool = False) -> int:
        """Move distance with release dates: `release_window`, or as far as
        `RELEASE_CELLS` simulated cells per step allow (every move up to about 80 jobs;
        with the compiled costs, `fast`, up to about 190)."""
        if self.release_window > 0:
            return self.release_window
        cells = RELEASE_CELLS * (COMPILED_RELEASE_FACTOR if fast else 1)
        least = RELEASE_MIN_WIDTH if fast else min(RELEASE_MIN_WIDTH, PERM_CELLS // (3 * n * n))
        return max(1, least, min(n - 1, cells // (3 * n * n)))

    def band_width(self, n: int, fast: bool = False) -> int:
        """Largest move distance of a descent step: `window`, or all up to `FULL_MAX` jobs
        (`COMPILED_FULL_MAX` with the compiled step, `fast`)."""
        if self.window > 0:
            return self.window
        return 0 if n <= (COMPILED_FULL_MAX if fast else FULL_MAX) else BAND_WIDTH


@dataclass
class SearchResult:
    """Best sequence found by `iterated_search` and how it went."""

    sequence: np.ndarray
    value: int
    iterations: int = 0
    iters_to_best: int = 0
    time_to_best_s: float = 0.0
    stop: str = "time_limit"
    history: list[tuple[float, int]] = field(default_factory=list)

    def offer(self, seq: np.ndarray, value: int, elapsed: float) -> bool:
        """Keep `seq` if it is the best so far; True if it was."""
        if value >= self.value:
            return False
        self.sequence, self.value = seq.copy(), value
        self.time_to_best_s, self.iters_to_best = elapsed, self.iterations
        self.history.append((elapsed, value))
        return True


def kick(seq: np.ndarray, rng: np.random.Generator, swaps: int, span: int) -> np.ndarray:
    """`swaps` random swaps of positions at most `span` apart (the perturbation)."""
    return kick_at(seq, rng, swaps, span)[0]


def kick_at(
    seq: np.ndarray, rng: np.random.Generator, swaps: int, span: int
) -> tuple[np.ndarray, np.ndarray]:
    """`kick`, and the positions it swapped."""
    out = seq.copy()
    n = len(seq)
    touched = []
    for _ in range(swaps):
        i = int(rng.integers(n))
        j = int(rng.integers(max(0, i - span), min(n, i + span + 1)))
        out[i], out[j] = out[j], out[i]
        touched += [i, j]
    return out, np.array(touched, dtype=np.int64)


def _stop_reason(
    res: SearchResult, params: SearchParams, stall: int, stall_limit: int, budget: Budget,
    step: float,
) -> str | None:  # fmt: skip
    """Why the search should stop now, or None to go on (a kick is pointless when the time
    left holds no descent step of about `step` seconds)."""
    if params.max_iters is not None and res.iterations >= params.max_iters:
        return "max_iters"
    if stall >= stall_limit:
        return "stall"
    if budget.expired() or budget.remaining() < step:
        return "time_limit"
    return None


def iterated_search(
    a: Arrays,
    start: np.ndarray,
    params: SearchParams,
    *,
    seed: int,
    budget: Budget,
    target: float = -math.inf,
) -> SearchResult:
    """Iterated search from `start` until the budget's end, `target`, stall or max_iters."""
    t0 = budget.now()
    n = len(start)
    rng = np.random.default_rng(seed)
    fast = use_compiled(a, params, budget)
    descend, step = _descent(a, n, params, fast)
    span = params.kick_span or (params.release_width(n, fast) if a.has_releases else n)
    if not a.has_releases and params.band_width(n, fast):
        span = params.kick_span or params.band_width(n, fast)
    stall_limit = params.stall_iters if params.stall_iters is not None else 400 + 4 * n
    current = descend(start, budget, None)
    cur_value = int(cost(a, current))
    res = SearchResult(current, cur_value, history=[(budget.now() - t0, cur_value)])
    stall = 0
    while res.value > target:
        stop = _stop_reason(res, params, stall, stall_limit, budget, step)
        if stop is not None:
            res.stop = stop
            return res
        res.iterations += 1
        stall += 1
        kicked, touched = kick_at(current, rng, params.kick, span)
        cand = descend(kicked, budget, touched)
        value = int(cost(a, cand))
        if value <= cur_value:
            current, cur_value = cand, value
        if res.offer(cand, value, budget.now() - t0):
            stall = 0
    res.stop = "lower_bound"
    return res


def use_compiled(a: Arrays, params: SearchParams, budget: Budget) -> bool:
    """Whether the descent runs compiled: asked for, and its kernel compiled already or time
    left to compile it; with release dates the move costs (`release_kernels`), else full
    dynasearch steps where the shift table fits (`dynasearch_kernels`)."""
    if not params.compiled:
        return False
    if a.has_releases:
        return compiled.usable(budget, release_kernels.move_costs)
    fits = dynasearch_kernels.fits(a.p, params.blocks)
    return fits and compiled.usable(budget, dynasearch_kernels.best_moves)


def _descent(a: Arrays, n: int, params: SearchParams, fast: bool) -> tuple[Descent, float]:
    """The local search and the estimated seconds of one of its steps: batched descent with
    release dates, else dynasearch (compiled move costs or full steps when `fast`)."""
    if a.has_releases:
        moves = window_moves(n, params.release_width(n, fast))
        costs = costs_of(a, moves, fast)
        return lambda seq, budget, _: release_descent(a, seq, moves, costs, budget), 0.0
    pairs = SwapPairs.build(n, params.band_width(n, fast), compiled=fast, blocks=params.blocks)
    step = step_seconds(pairs, n)
    if pairs.upper is None or n < FOCUS_FROM or pairs.compiled:
        return lambda seq, budget, _: dynasearch(a, seq, pairs, budget), step

    def descend(seq: np.ndarray, budget: Budget, touched: np.ndarray | None) -> np.ndarray:
        if touched is None:
            return dynasearch(a, seq, pairs, budget)
        return focused_descent(a, seq, touched, pairs, budget)

    return descend, step
