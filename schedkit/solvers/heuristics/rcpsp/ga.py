"""Genetic algorithm on activity lists for the RCPSP (Hartmann 1998) with forward-backward
improvement of every child (Valls, Ballestín and Quintanilla 2005).

An individual is a precedence-feasible activity list decoded by the serial SGS; two-point
crossover keeps lists feasible; mutation swaps neighbours that are not linked by a precedence.
Each child is justified (one backward and one forward pass) and its list replaced by the order
of the improved schedule. Every decoding counts as one generated schedule, as in the
comparisons of Kolisch and Hartmann (2006). Fitness is (deadline lateness, makespan).

On plain instances (finish-start arcs, no deadlines) the generations and the random samples
of each population run compiled (`ga_kernels`, same operators and selection); the rule-based
lists stay in Python.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np

from schedkit import compiled
from schedkit.models.rcpsp.problem import RcpspProblem
from schedkit.solvers.budget import Budget
from schedkit.solvers.heuristics.rcpsp import ga_kernels, sgs_kernels
from schedkit.solvers.heuristics.rcpsp.rules import list_from_priority, priorities, regret_sample
from schedkit.solvers.heuristics.rcpsp.sgs import Justifier, Sgs

Key = tuple[int, int]
Population = list[tuple[Key, list[int]]]


@dataclass
class GaResult:
    """Best schedule found (deadline-feasible if any was), with search statistics."""

    start: list[int]
    makespan: int
    lateness: int
    schedules: int
    generations: int
    history: dict[str, int] = field(default_factory=dict)
    runs: int = 1
    """GA runs (more than one with `restart`)."""


class Evaluator:
    """Decodes lists, applies justification, counts schedules and keeps the best."""

    def __init__(
        self,
        sgs: Sgs,
        schedules: int,
        budget: Budget,
        target: int,
        flags: tuple[bool, bool] = (True, True),
        lft: Sequence[float] = (),
    ) -> None:
        """`flags` = (justify every child, run the generations compiled where they apply);
        `lft`: the priorities of the compiled regret sampling."""
        justify, fast = flags
        self.sgs = sgs
        self.just = Justifier(sgs) if justify else None
        self.schedules, self.budget, self.target = schedules, budget, target
        self.kernels: ga_kernels.GaArrays | None = None
        if fast and ga_kernels.applies(sgs):
            mirror = self.just.bwd if self.just is not None else sgs.mirrored()
            self.kernels = ga_kernels.GaArrays.of(sgs, mirror, lft)
        """The compiled generations' data, where they apply."""
        self.count = 0
        self.best_key: Key = (math.inf, math.inf)  # type: ignore[assignment]
        self.best_start: list[int] = []

    @property
    def limits(self) -> tuple[int, int, bool]:
        """What the kernels need to count and stop as `evaluate` and `done` do (not the time):
        schedules, target, justify."""
        return int(self.schedules), int(self.target), self.just is not None

    def key(self, start: list[int]) -> Key:
        return (self.sgs.lateness(start), self.sgs.makespan(start))

    def record(self, start: list[int]) -> Key:
        key = self.key(start)
        if key < self.best_key:
            self.best_key, self.best_start = key, start
        return key

    def evaluate(self, order: list[int]) -> tuple[Key, list[int]]:
        """Fitness of `order` and the (possibly improved) list to keep."""
        start = self.sgs.serial(order)
        self.count += 1
        key = self.record(start)
        if self.just is not None and self.count + 2 <= self.schedules and key[1] > self.target:
            new_order, new_start = self.just.improve(order, start)
            self.count += 2
            new_key = self.record(new_start)
            if new_key <= key:
                return new_key, new_order
        return key, order

    def done(self) -> bool:
        return (
            self.count >= self.schedules
            or self.budget.expired()
            or (self.best_key[0] == 0 and self.best_key[1] <= self.target)
        )


def crossover(mother: Sequence[int], father: Sequence[int], q1: int, q2: int) -> list[int]:
    """Two-point crossover: mother's first q1, father's next activities up to q2, rest mother."""
    child = list(mother[:q1])
    taken = set(child)
    for src, limit in ((father, q2), (mother, len(mother))):
        for j in src:
            if len(child) >= limit:
                break
            if j not in taken:
                child.append(j)
                taken.add(j)
    return child


def mutate(order: list[int], direct: set[tuple[int, int]], rate: float, rng: random.Random) -> None:
    """Swap neighbours with probability `rate` unless the first precedes the second."""
    for i in range(len(order) - 1):
        if rng.random() < rate and (order[i], order[i + 1]) not in direct:
            order[i], order[i + 1] = order[i + 1], order[i]


def _seeds(ev: Evaluator, rules: dict[str, list[float]]) -> Population:
    """Rule-based lists (serial and parallel SGS): decoded once, every GA run starts from them.
    The first list is always decoded, so even a spent budget gives a schedule."""
    sgs = ev.sgs
    pop: Population = []
    for prio in rules.values():
        if ev.done() and pop:
            break
        pop.append(ev.evaluate(list_from_priority(sgs, prio)))
        pstart = sgs.parallel(prio, ev.budget)
        if pstart is None:
            break
        ev.count += 1
        ev.record(pstart)
        pop.append(ev.evaluate(list_from_priority(sgs, [float(s) for s in pstart])))
    return pop


def _initial(
    ev: Evaluator, size: int, rng: random.Random, seeds: Population, lft: list[float]
) -> Population:
    """`seeds` topped up to `size` with regret-biased samples by LFT (compiled where the
    generations are)."""
    pop = list(seeds)
    if (g := ev.kernels) is not None:
        with _shared_state(ev) as (state, best):
            count = max(0, size - len(pop))
            schemes = (g.fwd, g.bwd)
            rows, keys = ga_kernels.populate(
                count, g.sampling, schemes, g.horizon, ev.limits, state, best
            )
        return pop + [((0, int(k)), row.tolist()) for k, row in zip(keys, rows, strict=True)]
    while len(pop) < size and not ev.done():
        pop.append(ev.evaluate(regret_sample(ev.sgs, lft, rng)))
    return pop


def default_pop_size(schedules: int) -> int:
    """40 lists for up to 10,000 schedules, 100 up to 100,000, 200 beyond (a time-limited run):
    larger populations converge later and further (docs/benchmarks.md, RCPSP)."""
    if schedules <= 10_000:
        return 40
    return 100 if schedules <= 100_000 else 200


def run_ga(
    problem: RcpspProblem,
    *,
    schedules: int = 5000,
    budget: Budget | None = None,
    seed: int = 0,
    target: int = 0,
    hints: Sequence[Sequence[int]] = (),
    pop_size: int | None = None,
    mutation: float = 0.05,
    justify: bool = True,
    stall: int = 0,
    restart: bool = False,
    compiled_generations: bool = True,
    parallel: float = 0.0,
) -> GaResult:
    """Run the GA until `schedules` schedules, the `budget` (default: none), `target`, or
    `stall` generations in a row without a better schedule in the run's population (0: no
    such stop).

    With `restart`, a stalled run is followed by another from a fresh population (rule-based
    lists and new random samples; the hints only seed the first) while the budget lasts, and
    the best schedule of all runs is kept: independent runs find better schedules than one
    long run whose population has converged (docs/benchmarks.md, RCPSP).
    `hints` are start-time vectors (e.g. a solution to improve); `target` is a lower bound.
    `compiled_generations=False` keeps the Python generations (the reference) on every instance.
    `parallel`: share of the children decoded by the parallel scheme before their
    justification (compiled generations only).
    """
    rng = random.Random(seed)
    kernels = (sgs_kernels.serial_starts, ga_kernels.evolve, ga_kernels.populate)
    sgs = Sgs(problem, compiled=compiled.usable(budget, *kernels))
    flags = (justify, compiled_generations)
    rules = priorities(problem)
    ev = Evaluator(sgs, schedules, budget or Budget.start(math.inf), target, flags, rules["LFT"])
    size = pop_size or default_pop_size(schedules)
    ruled = _seeds(ev, rules)
    if ev.kernels is not None and not _generation_fits(ev, size, ruled[0][1]):
        ev.kernels = None
    if ev.kernels is not None:
        ga_kernels.seed(seed)  # the kernels' own generator: `rng` draws as in the Python loop
    hint_lists = [list_from_priority(sgs, [float(s) for s in h]) for h in hints]
    first = [ev.evaluate(h) for h in hint_lists] + ruled
    knobs = (mutation, stall, parallel)
    generations = _evolve(ev, _initial(ev, size, rng, first, rules["LFT"]), rng, knobs)
    runs = 1
    while restart and stall and not ev.done():
        fresh = _initial(ev, size, rng, ruled, rules["LFT"])
        generations += _evolve(ev, fresh, rng, knobs)
        runs += 1
    lateness, makespan = ev.best_key
    return GaResult(ev.best_start, makespan, lateness, ev.count, generations, runs=runs)


def _evolve(
    ev: Evaluator,
    pop: Population,
    rng: random.Random,
    knobs: tuple[float, int, float],
) -> int:
    """Evolve `pop` until the evaluator is done or `stall` generations bring the population
    no better schedule (`knobs` = mutation rate, stall, parallel share); the number of
    generations.

    The stall is the population's own: a restarted run converges as far as it can even when
    an earlier run found a better schedule (cut at `stall` generations, restarts gained less:
    docs/benchmarks.md, RCPSP)."""
    if ev.kernels is not None:
        return _evolve_compiled(ev, pop, knobs)
    mutation, stall, _ = knobs
    size = len(pop)
    generations = last_gain = 0
    best = min((key for key, _ in pop), default=ev.best_key)
    n = ev.sgs.n
    while not ev.done() and len(pop) > 1:
        if stall and generations - last_gain >= stall:
            break
        generations += 1
        rng.shuffle(pop)
        children = []
        for a in range(0, len(pop) - 1, 2):
            mother, father = pop[a][1], pop[a + 1][1]
            q1, q2 = sorted(rng.sample(range(n + 1), 2))
            for x, y in ((mother, father), (father, mother)):
                if ev.done():
                    break
                child = crossover(x, y, q1, q2)
                mutate(child, ev.sgs.direct, mutation, rng)
                children.append(ev.evaluate(child))
        seen: set[tuple[int, ...]] = set()
        merged = []
        for key, order in sorted(pop + children, key=lambda kv: kv[0]):
            tup = tuple(order)
            if tup not in seen:
                seen.add(tup)
                merged.append((key, order))
        pop = merged[:size]
        if pop[0][0] < best:
            best, last_gain = pop[0][0], generations
    return generations


GENERATION_SECONDS = 0.2
"""Longest predicted generation that runs compiled: the budget is checked only between
compiled generations, so on very large instances the Python loop (which checks it between
children) keeps the time limit instead."""


def _generation_fits(ev: Evaluator, size: int, order: list[int]) -> bool:
    """Whether a compiled generation of `size` lists (three decodings a child) should take at
    most `GENERATION_SECONDS`, timed on `order` (not counted as schedules)."""
    t = time.perf_counter()
    for _ in range(3):
        ev.sgs.serial(order)
    return size * (time.perf_counter() - t) <= GENERATION_SECONDS


def _evolve_compiled(ev: Evaluator, pop: Population, knobs: tuple[float, int, float]) -> int:
    """`_evolve` by the compiled generations, one call per generation so that the budget is
    checked between them."""
    g = ev.kernels
    assert g is not None
    mutation, stall, parallel = knobs
    rows = np.array([order for _, order in pop], dtype=np.int64).reshape(len(pop), ev.sgs.n)
    keys = np.array([key[1] for key, _ in pop], dtype=np.int64)
    params = (*ev.limits, float(mutation), len(pop), float(parallel))
    run = ((g.fwd, g.bwd), g.horizon, g.succ, params, g.changes)
    going = True
    with _shared_state(ev) as (state, best):
        while going and not ev.budget.expired():
            rows, keys, going = ga_kernels.evolve(rows, keys, run, int(stall), state, best)
    return int(state[ga_kernels.GENERATIONS])


@contextmanager
def _shared_state(ev: Evaluator) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """The evaluator's count and best makespan as the kernels' state vector, and a buffer
    for their best schedule; both are brought back into `ev` on exit."""
    best_ms = ev.best_key[1] if ev.best_key[1] < math.inf else np.iinfo(np.int64).max
    state = np.array([ev.count, best_ms, 0, 0], dtype=np.int64)
    best = np.zeros(ev.sgs.n, dtype=np.int64)
    yield state, best
    ev.count = int(state[ga_kernels.COUNT])
    if state[ga_kernels.BEST] < best_ms:
        ev.best_key, ev.best_start = (0, int(state[ga_kernels.BEST])), best.tolist()
