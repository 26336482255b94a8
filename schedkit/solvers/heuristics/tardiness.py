"""Single-machine (weighted) total tardiness: dispatch rules and iterated dynasearch.

Dispatch rules (`edd`, `mdd`, `atc`, `wspt`) build a sequence in their non-delay form: at each
step the next job is chosen among the jobs already released (the machine jumps to the next
release date when none is). They return tuples of 0-based job indices.

`solve` starts from the best rule sequence (or the hint when better) and runs an iterated
local search (Congram, Potts & van de Velde 2002; Grosso, Della Croce & Tadei 2004): a
*dynasearch* step applies the best set of independent swap and insertion moves at once,
found by dynamic programming over the positions, until no move improves; then a random kick
(a few random swaps) perturbs the local optimum and the search goes on. Without release
dates a move on positions i..j leaves the completion time of position j unchanged, so moves
on disjoint intervals add up and all of them are evaluated at once with numpy. With release
dates the deltas are not additive: the search then applies the best single move of a
windowed neighbourhood, evaluated by simulating all candidate sequences in a batch.

It stops at the time limit, when the objective reaches the combinatorial lower bound, after
`stall_iters` kicks without improvement, or after `max_iters` kicks.

`options.params` (all optional):

- `max_iters` (int): most kicks (default: unbounded).
- `stall_iters` (int, default 400 + 4n): stop after this many kicks without improvement.
- `kick` (int, default 4): random swaps per kick.
- `kick_span` (int, default 0 = n, or `release_window` with release dates): largest
  position distance of a kick swap.
- `window` (int, default 0 = all): largest position distance of a dynasearch swap.
- `release_window` (int, default 8): move distance with release dates.
- `atc_k` (list of float, default [0.5, 1, 2, 3, 5]): look-ahead values tried for ATC.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from schedkit.models.tardiness.bounds import lower_bound
from schedkit.models.tardiness.problem import TardinessProblem, TardinessSolution
from schedkit.solvers.result import BackendOutput, SolveOptions, Status, Termination

Seq = tuple[int, ...]
Priority = Callable[[int, np.ndarray, np.ndarray], np.ndarray]
"""(time, ready jobs, unscheduled jobs) -> priority of each ready job; the lowest goes next."""

ATC_K = (0.5, 1.0, 2.0, 3.0, 5.0)
BATCH_CELLS = 2_000_000  # candidate-sequence cells simulated per numpy batch (release dates)
TABLE_CELLS = 4_000_000  # largest (shift value, position) table of the swap evaluation


# --------------------------------------------------------------------------- dispatch rules


def _dispatch(problem: TardinessProblem, priority: Priority) -> Seq:
    """Non-delay list scheduling: repeatedly start the ready job of lowest priority."""
    p, r = problem.p, problem.r
    releases = problem.has_releases
    rem = np.arange(problem.n)
    t = 0
    seq: list[int] = []
    while len(rem):
        ready = rem
        if releases:
            t = max(t, int(r[rem].min()))
            ready = rem[r[rem] <= t]
        j = int(ready[np.argmin(priority(t, ready, rem))])
        seq.append(j)
        rem = rem[rem != j]
        t = max(t, int(r[j])) + int(p[j])
    return tuple(seq)


def _static(problem: TardinessProblem, keys: tuple[np.ndarray, ...]) -> Seq:
    """Dispatch on a fixed priority (`keys`, most significant first; ties: lowest index)."""
    if not problem.has_releases:
        return tuple(int(j) for j in np.lexsort(keys[::-1]))
    key = np.lexsort(keys[::-1]).argsort()  # rank of each job in the static order
    return _dispatch(problem, lambda t, ready, _: key[ready])


def edd(problem: TardinessProblem) -> Seq:
    """Earliest due date first (ties: lowest index)."""
    return _static(problem, (problem.d,))


def mdd(problem: TardinessProblem) -> Seq:
    """Modified due date, max(d_j, t + p_j), divided by w_j when weighted (Kanet & Li's WMDD).

    max(p_j, d_j - t) / w_j orders jobs like max(d_j, t + p_j) when all weights are 1.
    """
    with np.errstate(divide="ignore"):
        inv_w = np.where(problem.w > 0, 1.0 / np.maximum(problem.w, 1), np.inf)

    def priority(t: int, ready: np.ndarray, _: np.ndarray) -> np.ndarray:
        result: np.ndarray = np.maximum(problem.p[ready], problem.d[ready] - t) * inv_w[ready]
        return result

    return _dispatch(problem, priority)


def atc(problem: TardinessProblem, k: float = 2.0) -> Seq:
    """Apparent tardiness cost (Vepsalainen & Morton): max (w/p) exp(-slack+ / (k p_avg)).

    p_avg is the mean processing time of the unscheduled jobs; the index is compared in log
    form so that large slacks do not underflow to ties.
    """
    p, d = problem.p, problem.d
    with np.errstate(divide="ignore"):
        log_ratio = np.log(problem.w / p)

    def priority(t: int, ready: np.ndarray, unscheduled: np.ndarray) -> np.ndarray:
        scale = k * float(p[unscheduled].sum()) / len(unscheduled)
        result: np.ndarray = np.maximum(0, d[ready] - p[ready] - t) / scale - log_ratio[ready]
        return result

    return _dispatch(problem, priority)


def wspt(problem: TardinessProblem) -> Seq:
    """Weighted shortest processing time first: largest w_j / p_j (ties: earliest due date)."""
    return _static(problem, (-problem.w / problem.p, problem.d))


# --------------------------------------------------------------------------- evaluation


@dataclass(frozen=True)
class Arrays:
    """The instance as int64 arrays (p, d, w, r), as the search uses them."""

    p: np.ndarray
    d: np.ndarray
    w: np.ndarray
    r: np.ndarray

    @classmethod
    def of(cls, problem: TardinessProblem) -> Arrays:
        return cls(problem.p, problem.d, problem.w, problem.r)

    @property
    def has_releases(self) -> bool:
        return bool(np.any(self.r > 0))


def completion_times(a: Arrays, seqs: np.ndarray) -> np.ndarray:
    """Completion times of sequences (last axis = positions), jobs started as early as possible.

    C_k = S_k + max(0, max_{m<=k} (r_m - S_{m-1})) with S the prefix sums of processing times.
    """
    p = a.p[seqs]
    s = np.cumsum(p, axis=-1)
    idle = np.maximum.accumulate(a.r[seqs] - (s - p), axis=-1)
    return s + np.maximum(idle, 0)


def cost(a: Arrays, seqs: np.ndarray) -> np.ndarray:
    """Total weighted tardiness of each sequence (last axis = positions)."""
    c = completion_times(a, seqs)
    return (a.w[seqs] * np.maximum(0, c - a.d[seqs])).sum(axis=-1)


def total_tardiness(problem: TardinessProblem, seq: Sequence[int]) -> int:
    """Total weighted tardiness of `seq` (jobs started as early as possible)."""
    return int(cost(Arrays.of(problem), np.asarray(seq, dtype=np.int64)))


# --------------------------------------------------------------------------- dynasearch moves


@dataclass(frozen=True)
class SwapPairs:
    """Position pairs (i, j), 0 < j - i <= window, of the swap neighbourhood, and masks."""

    i: np.ndarray
    j: np.ndarray
    upper: np.ndarray
    """(n, n) mask of j > i."""

    @classmethod
    def build(cls, n: int, window: int) -> SwapPairs:
        ii, jj = np.triu_indices(n, 1)
        if window > 0:
            keep = jj - ii <= window
            ii, jj = ii[keep], jj[keep]
        return cls(ii, jj, np.triu(np.ones((n, n), dtype=bool), 1))


@dataclass
class Moves:
    """Improving moves on position intervals [lo, hi] with their cost deltas (< 0)."""

    lo: np.ndarray
    hi: np.ndarray
    delta: np.ndarray
    kind: np.ndarray
    """0 = swap lo and hi, 1 = move lo to hi (forward), 2 = move hi to lo (backward)."""


def shift_sums(
    p: np.ndarray, d: np.ndarray, w: np.ndarray, c: np.ndarray, shifts: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Prefix sums, per distinct shift, of the tardiness change of each position shifted.

    Returns (table, index): table[index[q], m] is sum_{k < m} of the change of position k when
    it completes shifts[q] later, so a range i+1..j-1 is table[.., j] - table[.., i + 1].
    """
    lo, hi = int(shifts.min(initial=0)), int(shifts.max(initial=0))
    if (hi - lo + 1) * len(p) <= TABLE_CELLS:
        values, index = np.arange(lo, hi + 1), shifts - lo
    else:
        values, index = np.unique(shifts, return_inverse=True)
    t = w * np.maximum(0, c - d)
    change = w * np.maximum(0, c[None, :] + values[:, None] - d) - t
    table = np.zeros((len(values), len(p) + 1), dtype=np.int64)
    np.cumsum(change, axis=1, out=table[:, 1:])
    return table, index


def swap_deltas(a: Arrays, seq: np.ndarray, c: np.ndarray, pairs: SwapPairs) -> np.ndarray:
    """Cost change of swapping positions i and j for every pair (no release dates).

    The job from j ends at C_{i-1} + p_j, the one from i at C_j, and the jobs between shift by
    p_j - p_i; jobs after j do not move.
    """
    p, d, w = a.p[seq], a.d[seq], a.w[seq]
    t = w * np.maximum(0, c - d)
    i, j = pairs.i, pairs.j
    table, index = shift_sums(p, d, w, c, p[j] - p[i])
    mid = table[index, j] - table[index, i + 1]
    new_j = w[j] * np.maximum(0, c[i] - p[i] + p[j] - d[j])
    new_i = w[i] * np.maximum(0, c[j] - d[i])
    result: np.ndarray = new_i + new_j - t[i] - t[j] + mid
    return result


def insert_deltas(
    a: Arrays, seq: np.ndarray, c: np.ndarray, upper: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Cost change of moving the job at position i to position j, as (forward, backward).

    forward[i, j] (j > i): jobs i+1..j move left by p_i, job i ends at C_j.
    backward[i, j] (j < i): jobs j..i-1 move right by p_i, job i ends at C_j - p_j + p_i.
    Entries outside those triangles are 0.
    """
    p, d, w = a.p[seq], a.d[seq], a.w[seq]
    t = w * np.maximum(0, c - d)
    late = c - d  # lateness of each position as it stands
    # forward: positions i+1..j complete p_i earlier
    fwd = np.maximum(late[None, :] - p[:, None], 0)
    fwd *= w
    fwd -= t
    fwd *= upper
    np.cumsum(fwd, axis=1, out=fwd)
    fwd += w[:, None] * np.maximum(c[None, :] - d[:, None], 0) - t[:, None]
    fwd *= upper
    # backward: positions j..i-1 complete p_i later (suffix sums up to i - 1)
    lower = upper.T
    bwd = np.maximum(late[None, :] + p[:, None], 0)
    bwd *= w
    bwd -= t
    bwd *= lower
    bwd = np.cumsum(bwd[:, ::-1], axis=1)[:, ::-1]
    bwd += w[:, None] * np.maximum((c - p)[None, :] + p[:, None] - d[:, None], 0) - t[:, None]
    bwd *= lower
    return fwd, bwd


def improving_moves(a: Arrays, seq: np.ndarray, pairs: SwapPairs) -> Moves:
    """All improving swaps and insertions of `seq` (no release dates)."""
    c = np.cumsum(a.p[seq])
    sd = swap_deltas(a, seq, c, pairs)
    fwd, bwd = insert_deltas(a, seq, c, pairs.upper)
    s_idx = np.flatnonzero(sd < 0)
    fi, fj = np.nonzero(fwd < 0)
    bi, bj = np.nonzero(bwd < 0)
    return Moves(
        lo=np.concatenate([pairs.i[s_idx], fi, bj]),
        hi=np.concatenate([pairs.j[s_idx], fj, bi]),
        delta=np.concatenate([sd[s_idx], fwd[fi, fj], bwd[bi, bj]]),
        kind=np.concatenate(
            [np.zeros(len(s_idx), np.int8), np.ones(len(fi), np.int8), np.full(len(bi), 2, np.int8)]
        ),
    )


def select_independent(moves: Moves, n: int) -> list[int]:
    """Dynasearch: the set of moves on disjoint intervals with the most negative total delta.

    best[x] is the best total of moves within positions < x; moves are scanned by their last
    position, so best[lo] is final when a move on [lo, hi] is scanned.
    """
    if len(moves.delta) == 0:
        return []
    order = np.argsort(moves.hi, kind="stable")
    lo, hi, delta = moves.lo[order].tolist(), moves.hi[order].tolist(), moves.delta[order].tolist()
    best = [0] * (n + 1)
    pick = [-1] * (n + 1)
    x = 0
    for m, (first, last, change) in enumerate(zip(lo, hi, delta, strict=True)):
        while x <= last:
            x += 1
            best[x] = best[x - 1]
        value = best[first] + change
        if value < best[x]:
            best[x], pick[x] = value, m
    chosen: list[int] = []
    while x > 0:
        if pick[x] < 0:
            x -= 1
        else:
            chosen.append(int(order[pick[x]]))
            x = lo[pick[x]]
    return chosen


def apply_move(seq: np.ndarray, lo: int, hi: int, kind: int) -> None:
    """Apply one swap (kind 0) or insertion (1 forward, 2 backward) in place."""
    if kind == 0:
        seq[lo], seq[hi] = seq[hi], seq[lo]
    elif kind == 1:
        seq[lo : hi + 1] = np.roll(seq[lo : hi + 1], -1)
    else:
        seq[lo : hi + 1] = np.roll(seq[lo : hi + 1], 1)


def dynasearch(a: Arrays, seq: np.ndarray, pairs: SwapPairs, deadline: float) -> np.ndarray:
    """Descend with dynasearch steps to a local optimum (or the deadline); no release dates."""
    seq = seq.copy()
    while time.monotonic() < deadline:
        moves = improving_moves(a, seq, pairs)
        chosen = select_independent(moves, len(seq))
        if not chosen:
            break
        for m in chosen:
            apply_move(seq, int(moves.lo[m]), int(moves.hi[m]), int(moves.kind[m]))
    return seq


# --------------------------------------------------------------------------- release dates


def window_moves(n: int, window: int) -> np.ndarray:
    """(moves, 3) rows (lo, hi, kind) of swaps and insertions with hi - lo <= window."""
    rows = []
    for gap in range(1, min(window, n - 1) + 1):
        lo = np.arange(n - gap)
        for kind in (0, 1, 2) if gap > 1 else (0,):
            rows.append(np.stack([lo, lo + gap, np.full_like(lo, kind)], axis=1))
    return np.concatenate(rows) if rows else np.zeros((0, 3), dtype=np.int64)


def move_permutations(n: int, moves: np.ndarray) -> np.ndarray:
    """Position permutations realising `moves`: candidate = seq[perm]."""
    perm = np.tile(np.arange(n, dtype=np.int32), (len(moves), 1))
    for row, (lo, hi, kind) in enumerate(moves.tolist()):
        apply_move(perm[row], lo, hi, kind)
    return perm


def batch_costs(a: Arrays, seq: np.ndarray, perms: np.ndarray) -> np.ndarray:
    """Cost of every candidate seq[perm], simulated in chunks of BATCH_CELLS cells."""
    chunk = max(1, BATCH_CELLS // len(seq))
    return np.concatenate([cost(a, seq[perms[s : s + chunk]]) for s in range(0, len(perms), chunk)])


def disjoint_greedy(moves: np.ndarray, order: np.ndarray) -> list[int]:
    """Moves in `order` whose position intervals overlap none taken before."""
    taken = np.zeros(int(moves[:, 1].max()) + 2, dtype=bool)
    chosen = []
    for m in order.tolist():
        lo, hi = int(moves[m, 0]), int(moves[m, 1])
        if not taken[lo : hi + 1].any():
            taken[lo : hi + 1] = True
            chosen.append(m)
    return chosen


def release_descent(
    a: Arrays, seq: np.ndarray, moves: np.ndarray, perms: np.ndarray, deadline: float
) -> np.ndarray:
    """Descent over a fixed move set with release dates, every candidate simulated in batch.

    Each step applies the improving moves on disjoint intervals together, best first (their
    deltas are not additive here, so the result is checked), or else the best single move.
    """
    seq = seq.copy()
    current = int(cost(a, seq))
    while len(perms) and time.monotonic() < deadline:
        values = batch_costs(a, seq, perms)
        improving = np.flatnonzero(values < current)
        if len(improving) == 0:
            break
        order = improving[np.argsort(values[improving], kind="stable")]
        combined = seq.copy()
        for m in disjoint_greedy(moves, order):
            lo, hi, kind = (int(x) for x in moves[m])
            apply_move(combined, lo, hi, kind)
        value = int(cost(a, combined))
        if value > values[order[0]]:
            combined, value = seq[perms[order[0]]], int(values[order[0]])
        seq, current = combined, value
    return seq


# --------------------------------------------------------------------------- iterated search


@dataclass
class SearchParams:
    """Knobs of the iterated local search (see the module docstring)."""

    max_iters: int | None = None
    stall_iters: int | None = None
    kick: int = 4
    kick_span: int = 0
    window: int = 0
    release_window: int = 8
    atc_k: tuple[float, ...] = ATC_K

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> SearchParams:
        known = {f for f in cls.__dataclass_fields__}
        values = {k: v for k, v in params.items() if k in known}
        if "atc_k" in values:
            values["atc_k"] = tuple(float(k) for k in values["atc_k"])
        return cls(**values)


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


def kick(seq: np.ndarray, rng: np.random.Generator, swaps: int, span: int) -> np.ndarray:
    """`swaps` random swaps of positions at most `span` apart (the perturbation)."""
    out = seq.copy()
    n = len(seq)
    for _ in range(swaps):
        i = int(rng.integers(n))
        j = int(rng.integers(max(0, i - span), min(n, i + span + 1)))
        out[i], out[j] = out[j], out[i]
    return out


STOPS = {"time_limit": Termination.TIME_LIMIT, "lower_bound": Termination.OPTIMAL}
"""The search's stop reasons that are terminations of their own (the others: completed)."""


def _stop_reason(
    res: SearchResult,
    params: SearchParams,
    stall: int,
    stall_limit: int,
    deadline: float,
    target: float,
) -> str | None:
    """Why the search should stop now, or None to go on."""
    if res.value <= target:
        return "lower_bound"
    if params.max_iters is not None and res.iterations >= params.max_iters:
        return "max_iters"
    if stall >= stall_limit:
        return "stall"
    if time.monotonic() >= deadline:
        return "time_limit"
    return None


def iterated_search(
    a: Arrays,
    start: np.ndarray,
    params: SearchParams,
    *,
    seed: int,
    deadline: float,
    target: float = -math.inf,
) -> SearchResult:
    """Iterated dynasearch from `start` until the deadline, `target`, stall or max_iters.

    A kicked local optimum replaces the current one when it is not worse (so the search
    drifts across plateaus); the best one is kept.
    """
    t0 = time.monotonic()
    n = len(start)
    rng = np.random.default_rng(seed)
    descend = _descent(a, n, params)
    span = params.kick_span or (params.release_window if a.has_releases else n)
    stall_limit = params.stall_iters if params.stall_iters is not None else 400 + 4 * n
    current = descend(start, deadline)
    cur_value = int(cost(a, current))
    res = SearchResult(current, cur_value, history=[(time.monotonic() - t0, cur_value)])
    stall = 0
    while (stop := _stop_reason(res, params, stall, stall_limit, deadline, target)) is None:
        res.iterations += 1
        stall += 1
        cand = descend(kick(current, rng, params.kick, span), deadline)
        value = int(cost(a, cand))
        if value <= cur_value:
            current, cur_value = cand, value
        if value < res.value:
            res.sequence, res.value, stall = cand, value, 0
            res.time_to_best_s = time.monotonic() - t0
            res.iters_to_best = res.iterations
            res.history.append((res.time_to_best_s, value))
    res.stop = stop
    return res


def _descent(a: Arrays, n: int, params: SearchParams) -> Callable[[np.ndarray, float], np.ndarray]:
    """The local search to use: dynasearch without release dates, batched descent with them."""
    if a.has_releases:
        moves = window_moves(n, params.release_window)
        perms = move_permutations(n, moves)
        return lambda seq, deadline: release_descent(a, seq, moves, perms, deadline)
    pairs = SwapPairs.build(n, params.window)
    return lambda seq, deadline: dynasearch(a, seq, pairs, deadline)


# --------------------------------------------------------------------------- backend


def rule_sequences(problem: TardinessProblem, atc_k: Sequence[float] = ATC_K) -> dict[str, Seq]:
    """The sequence of each dispatch rule; "atc" is the best over the `atc_k` values."""
    seqs = {"edd": edd(problem), "mdd": mdd(problem), "wspt": wspt(problem)}
    atcs = [atc(problem, k) for k in atc_k]
    seqs["atc"] = min(atcs, key=lambda s: total_tardiness(problem, s))
    return seqs


def _valid_hint(problem: TardinessProblem, hint: TardinessSolution | None) -> Seq | None:
    if hint is None or sorted(hint.sequence) != list(range(problem.n)):
        return None
    return tuple(hint.sequence)


def solve(
    problem: TardinessProblem, options: SolveOptions, hint: TardinessSolution | None
) -> BackendOutput:
    """Best dispatch rule, then iterated dynasearch within `options.budget.remaining()` seconds."""
    params = SearchParams.from_params(options.params)
    lb = lower_bound(problem, options.budget)
    rules = rule_sequences(problem, params.atc_k)
    values = {name: total_tardiness(problem, s) for name, s in rules.items()}
    starts = dict(rules)
    hinted = _valid_hint(problem, hint)
    if hinted is not None:
        starts["hint"] = hinted
    start = min(starts.values(), key=lambda s: total_tardiness(problem, s))
    a = Arrays.of(problem)
    deadline = time.monotonic() + options.budget.remaining()
    res = iterated_search(
        a,
        np.array(start, dtype=np.int64),
        params,
        seed=options.seed,
        deadline=deadline,
        target=lb,
    )
    seq = tuple(int(j) for j in res.sequence)
    status = Status.OPTIMAL if res.value <= lb else Status.FEASIBLE
    stats: dict[str, Any] = {
        **values,
        "ils_iterations": res.iterations,
        "iters_to_best": res.iters_to_best,
        "time_to_best_s": round(res.time_to_best_s, 4),
        "stop": res.stop,
    }
    solution = TardinessSolution(sequence=seq, objective=float(res.value))
    return BackendOutput(solution, status, float(lb), stats, STOPS.get(res.stop))
