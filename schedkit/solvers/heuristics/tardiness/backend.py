"""The `heuristic` backend: the best dispatch rule (or the hint), then the iterated search."""

from __future__ import annotations

from typing import Any

import numpy as np

from schedkit.models.tardiness.bounds import lower_bound
from schedkit.models.tardiness.problem import TardinessProblem, TardinessSolution
from schedkit.solvers.heuristics.tardiness.evaluation import Arrays, total_tardiness
from schedkit.solvers.heuristics.tardiness.rules import Seq, rule_sequences
from schedkit.solvers.heuristics.tardiness.search import SearchParams, iterated_search
from schedkit.solvers.result import BackendOutput, SolveOptions, Status, Termination

RULES_SHARE = 0.2
"""Most of the budget the O(n^2) dispatch rules may take before the search starts."""

STOPS = {"time_limit": Termination.TIME_LIMIT, "lower_bound": Termination.OPTIMAL}
"""The search's stop reasons that are terminations of their own (the others: completed)."""


def _valid_hint(problem: TardinessProblem, hint: TardinessSolution | None) -> Seq | None:
    if hint is None or sorted(hint.sequence) != list(range(problem.n)):
        return None
    return tuple(hint.sequence)


def solve(
    problem: TardinessProblem, options: SolveOptions, hint: TardinessSolution | None
) -> BackendOutput:
    """Best dispatch rule, then the iterated search until the budget, the bound or a stall."""
    budget = options.budget
    params = SearchParams.from_params(options.params)
    lb = lower_bound(problem, budget)
    rules = rule_sequences(problem, params.atc_k, budget.split(RULES_SHARE))
    values: dict[str, Any] = {name: total_tardiness(problem, s) for name, s in rules.items()}
    starts = dict(rules)
    hinted = _valid_hint(problem, hint)
    if hinted is not None:
        starts["hint"] = hinted
    start = min(starts.values(), key=lambda s: total_tardiness(problem, s))
    res = iterated_search(
        Arrays.of(problem),
        np.array(start, dtype=np.int64),
        params,
        seed=options.seed,
        budget=budget,
        target=lb,
    )
    status = Status.OPTIMAL if res.value <= lb else Status.FEASIBLE
    stats: dict[str, Any] = {
        **values,
        "ils_iterations": res.iterations,
        "iters_to_best": res.iters_to_best,
        "time_to_best_s": round(res.time_to_best_s, 4),
        "stop": res.stop,
    }
    solution = TardinessSolution(
        sequence=tuple(int(j) for j in res.sequence), objective=float(res.value)
    )
    return BackendOutput(solution, status, float(lb), stats, STOPS.get(res.stop))
