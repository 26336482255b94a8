"""The hostile-input corpus through the Python API (class 7, and the validator's own checks of
solutions that bypass pydantic): every mistake is an InputError (a ValueError) or a TypeError
whose message names the argument, and every non-finite number in a solution is a violation."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import schedkit
from schedkit.models.pipeline.problem import Op, PipelineSolution
from schedkit.models.placement.problem import PlacementSolution
from schedkit.models.rcpsp.problem import RcpspSolution
from schedkit.models.tardiness.problem import TardinessProblem, TardinessSolution

from .cases import INSTANCES, SOLUTIONS

INSTANCE = Path(__file__).parent.parent.parent / "instances" / "tardiness" / "small-weighted.yaml"


def problem(kind: str = "tardiness", **change: Any) -> schedkit.Problem:
    return schedkit.get_kind(kind).problem.model_validate({**INSTANCES[kind], **change})


def solution(kind: str) -> schedkit.Solution:
    return schedkit.solution_from_dict(problem(kind), SOLUTIONS[kind])


P = problem()
ERRORS: list[tuple[str, Callable[[], object], type[Exception], str]] = [
    ("solve-none", lambda: schedkit.solve(None), TypeError, "problem"),  # type: ignore[arg-type]
    ("solve-path", lambda: schedkit.solve(str(INSTANCE)), TypeError, "problem"),  # type: ignore[arg-type]
    ("solve-dict", lambda: schedkit.solve(INSTANCES["tardiness"]), TypeError, "problem"),  # type: ignore[arg-type]
    ("solve-limit-negative", lambda: schedkit.solve(P, time_limit=-1), ValueError, "time_limit"),
    ("solve-limit-nan", lambda: schedkit.solve(P, time_limit=math.nan), ValueError, "time_limit"),
    ("solve-limit-inf", lambda: schedkit.solve(P, time_limit=math.inf), ValueError, "time_limit"),
    ("solve-limit-text", lambda: schedkit.solve(P, time_limit="fast"), TypeError, "time_limit"),  # type: ignore[arg-type]
    ("solve-limit-bool", lambda: schedkit.solve(P, time_limit=True), TypeError, "time_limit"),
    ("solve-threads-0", lambda: schedkit.solve(P, threads=0), ValueError, "threads"),
    ("solve-param", lambda: schedkit.solve(P, params={"no_such": 1}), ValueError, "no_such"),
    ("solve-backend", lambda: schedkit.solve(P, backend="nosuch"), ValueError, "nosuch"),
    ("solve-backend-none", lambda: schedkit.solve(P, backend=None), TypeError, "backend"),  # type: ignore[arg-type]
    ("validate-none", lambda: schedkit.validate(P, None), TypeError, "solution"),  # type: ignore[arg-type]
    ("validate-dict", lambda: schedkit.validate(P, {"sequence": [0]}), TypeError, "solution"),  # type: ignore[arg-type]
    (
        "validate-problem-none",
        lambda: schedkit.validate(None, solution("tardiness")),
        TypeError,
        "problem",
    ),  # type: ignore[arg-type]
    ("validate-other-kind", lambda: schedkit.validate(P, solution("rcpsp")), ValueError, "rcpsp"),
    ("load-none", lambda: schedkit.load(None), TypeError, "path"),  # type: ignore[arg-type]
    ("load-number", lambda: schedkit.load(3), TypeError, "path"),  # type: ignore[arg-type]
    ("load-all-none", lambda: schedkit.load_all(None), TypeError, "path"),  # type: ignore[arg-type]
    ("load-missing", lambda: schedkit.load("/no/such/file.yaml"), ValueError, "no such file"),
    ("from-dict-none", lambda: schedkit.solution_from_dict(P, None), TypeError, "data"),  # type: ignore[arg-type]
    ("from-dict-problem", lambda: schedkit.solution_from_dict(None, {}), TypeError, "problem"),  # type: ignore[arg-type]
    (
        "from-dict-nan",
        lambda: schedkit.solution_from_dict(P, {"sequence": [0, 1, 2], "objective": math.nan}),
        ValueError,
        "finite",
    ),
    (
        "from-dict-bool",
        lambda: schedkit.solution_from_dict(P, {"sequence": [0, 1, True]}),
        ValueError,
        "sequence[2]",
    ),
    ("load-solution-none", lambda: schedkit.load_solution(P, None), TypeError, "path"),  # type: ignore[arg-type]
    ("load-solution-problem", lambda: schedkit.load_solution(None, "x.json"), TypeError, "problem"),  # type: ignore[arg-type]
    (
        "from-arrays-bool",
        lambda: TardinessProblem.from_arrays([True], [1]),
        ValueError,
        "valid integer",
    ),
    (
        "from-arrays-string",
        lambda: TardinessProblem.from_arrays(["3"], [1]),
        ValueError,
        "valid integer",
    ),  # type: ignore[list-item]
    ("bench-empty", lambda: schedkit.bench([], db=":memory:"), ValueError, "no instance files"),
    (
        "bench-limit",
        lambda: schedkit.bench(str(INSTANCE), time_limit=-1, db=":memory:"),
        ValueError,
        "time limit",
    ),
    (
        "bench-backend",
        lambda: schedkit.bench(str(INSTANCE), "nosuch", db=":memory:"),
        ValueError,
        "nosuch",
    ),
]


@pytest.mark.parametrize(("name", "call", "error", "text"), ERRORS, ids=[e[0] for e in ERRORS])
def test_api_refuses(
    name: str, call: Callable[[], object], error: type[Exception], text: str
) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(error) as info:
            call()
    assert text in str(info.value)
    if not name.startswith("from-arrays"):  # pydantic's own ValidationError lists every error
        assert "\n" not in str(info.value)
    if isinstance(info.value, schedkit.InputError):
        assert isinstance(info.value, ValueError)


def test_numpy_numbers_are_numbers() -> None:
    """Solvers hand NumPy integers and floats to the models: they are plain numbers."""
    pb = TardinessProblem.from_arrays(list(np.array([3, 2])), list(np.array([1, 1])))
    assert pb.jobs[0].processing_time == 3 and type(pb.jobs[0].processing_time) is int
    sol = TardinessSolution(sequence=tuple(np.array([1, 0])), objective=np.float64(5.0))
    assert schedkit.validate(pb, sol).feasible


# Solutions built without validation (model_construct) still meet an independent validator ----
def _ops(**change: Any) -> PipelineSolution:
    ops = [Op.model_construct(**op) for op in SOLUTIONS["pipeline"]["ops"]]
    ops[0] = Op.model_construct(**{**SOLUTIONS["pipeline"]["ops"][0], **change})
    return PipelineSolution.model_construct(ops=tuple(ops), objective=None, name=None)


def _placement(**claims: Any) -> PlacementSolution:
    fields = {"placement": (((0,), (1,)),), "replicas": None, "max_loads": None, "tokens": None}
    return PlacementSolution.model_construct(**{**fields, "objective": None, **claims})


UNCHECKED: list[tuple[str, str, Callable[[], schedkit.Solution], str, dict[str, Any]]] = [
    ("pipeline-nan-start", "pipeline", lambda: _ops(start=math.nan), "bad_time", {}),
    ("pipeline-inf-start", "pipeline", lambda: _ops(start=math.inf), "bad_time", {}),
    ("pipeline-neg-inf-start", "pipeline", lambda: _ops(start=-math.inf), "bad_time", {}),
    ("pipeline-string-start", "pipeline", lambda: _ops(start="0"), "bad_time", {}),
    (
        "tardiness-nan-claim",
        "tardiness",
        lambda: TardinessSolution.model_construct(
            sequence=(0, 1, 2), start=None, objective=math.nan
        ),
        "objective_mismatch",
        {},
    ),
    (
        "rcpsp-inf-claim",
        "rcpsp",
        lambda: RcpspSolution.model_construct(start=(0, 2), objective=math.inf),
        "objective_mismatch",
        {},
    ),
    (
        "placement-nan-max-load",
        "placement",
        lambda: _placement(max_loads=(math.nan,)),
        "load_mismatch",
        {},
    ),
    (
        "placement-short-max-loads",
        "placement",
        lambda: _placement(max_loads=()),
        "load_mismatch",
        {},
    ),
    (
        "placement-nan-claim",
        "placement",
        lambda: _placement(objective=math.nan),
        "objective_mismatch",
        {},
    ),
    (
        "placement-nan-tokens-even",
        "placement",
        lambda: _placement(tokens=(((math.nan,), (2.0,)),)),
        "bad_split",
        {},
    ),
    (
        "placement-nan-tokens-free",
        "placement",
        lambda: _placement(tokens=(((math.nan,), (2.0,)),)),
        "bad_split",
        {"split": "free"},
    ),
    (
        "placement-inf-tokens-free",
        "placement",
        lambda: _placement(tokens=(((math.inf,), (2.0,)),)),
        "bad_split",
        {"split": "free"},
    ),
    (
        "placement-zero-tokens-free",
        "placement",
        lambda: _placement(tokens=(((0.0,), (0.0,)),)),
        "bad_split",
        {"split": "free"},
    ),
    (
        "placement-token-layers",
        "placement",
        lambda: _placement(tokens=((((4.0,), (2.0,))),) * 2),
        "bad_split",
        {},
    ),
]


@pytest.mark.parametrize(
    ("name", "kind", "build", "code", "change"), UNCHECKED, ids=[u[0] for u in UNCHECKED]
)
def test_validator_checks_every_number(
    name: str, kind: str, build: Callable[[], schedkit.Solution], code: str, change: dict[str, Any]
) -> None:
    report = schedkit.validate(problem(kind, **change), build())
    assert not report.feasible
    assert code in report.codes(), report.violations


def test_valid_solutions_stay_valid() -> None:
    for kind in INSTANCES:
        report = schedkit.validate(problem(kind), solution(kind))
        assert report.feasible, (kind, report.violations)
        assert report.objective is not None and math.isfinite(report.objective)


def test_api_corpus_size() -> None:
    assert len(ERRORS) + len(UNCHECKED) >= 40
