"""The solve() contract on every kind and every backend it registers, on instances/ files:
a validated answer whose objective is the validator's, a bound below it, the optimum where the
backend proves one, JSON that round-trips, and the backend asked for actually answering."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import schedkit
from schedkit.solvers.result import Status

OPTIMA = {"tardiness": 60, "rcpsp": 15, "pipeline": 27, "placement": 308}
"""Optimum of each sample (proven by CP-SAT, or by the bound for placement)."""
PROVES = {
    "tardiness": {"auto", "cpsat", "milp"},
    "rcpsp": {"auto", "cpsat", "milp"},
    "pipeline": {"auto", "heuristic", "cpsat", "milp"},
    "placement": {"auto", "heuristic"},
}
"""Backends that prove the sample's optimum within the limit."""
DECLINES = {("tardiness", "lawler")}
"""Backends that decline the sample (weighted jobs) and fall back to the heuristic."""


def test_every_backend_keeps_the_contract(kind_backend: tuple[str, str], sample_path: Path) -> None:
    kind, backend = kind_backend
    problem = schedkit.load(str(sample_path))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", schedkit.FallbackWarning)
        result = schedkit.solve(problem, backend, time_limit=5, threads=1)
    assert result.valid and result.solution is not None and result.objective is not None
    report = schedkit.validate(problem, result.solution)
    assert report.feasible and report.objective == result.objective
    assert result.lower_bound is not None and result.lower_bound <= result.objective
    assert result.objective >= OPTIMA[kind]
    if backend in PROVES[kind]:
        assert result.status is Status.OPTIMAL
        assert result.objective == result.lower_bound == OPTIMA[kind]
    if backend != "auto":
        declined = (kind, backend) in DECLINES
        assert result.backend == ("heuristic" if declined else backend), result.stats
    data = json.loads(result.to_json())
    assert schedkit.solution_from_dict(problem, data) == result.solution
    assert data["status"] == result.status.value and data["backend"] == result.backend
