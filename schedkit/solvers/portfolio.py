"""`solve()`: run backends within the time limit and return the best *validated* answer.

`auto` runs the kind's heuristic for a share of the limit, then the first exact backend that
can run, warm-started from the incumbent. A named backend that is missing, crashes or finds
nothing falls back to the heuristic. Every solution goes through the kind's independent
validator; the objective reported is the validator's. What happened is kept in `stats`.
"""

from __future__ import annotations

import math
import time
import traceback
from dataclasses import dataclass
from typing import Any

from schedkit.errors import BackendUnavailable, InputError
from schedkit.kinds import KindSpec, kind_of
from schedkit.models.base import Problem, Report, Solution
from schedkit.solvers.registry import backend_names, get_backend
from schedkit.solvers.result import BackendOutput, Result, SolveOptions, Status

EPS = 1e-6


@dataclass
class Attempt:
    """One backend run: its raw output and the validator's report of its solution."""

    backend: str
    output: BackendOutput | None
    report: Report | None
    runtime_s: float
    error: str | None = None

    @property
    def valid(self) -> bool:
        return self.report is not None and self.report.feasible

    @property
    def objective(self) -> float:
        if self.valid and self.report is not None and self.report.objective is not None:
            return self.report.objective
        return math.inf

    def stats(self) -> dict[str, Any]:
        out = self.output
        row: dict[str, Any] = {"runtime_s": round(self.runtime_s, 4)}
        if self.error:
            row["error"] = self.error
        if out is not None:
            row["status"] = out.status.value
            row["lower_bound"] = out.lower_bound
            row.update({k: v for k, v in out.stats.items() if k not in row})
        if self.report is not None:
            row["objective"] = self.report.objective
            row["valid"] = self.report.feasible
            if not self.report.feasible:
                row["violations"] = [v.message for v in self.report.violations[:5]]
        return row


def _run(
    spec: KindSpec, name: str, problem: Problem, opts: SolveOptions, hint: Solution | None
) -> Attempt:
    start = time.monotonic()
    try:
        backend = get_backend(spec, name)
        output = backend(problem, opts, hint)
    except BackendUnavailable as exc:
        return Attempt(name, None, None, time.monotonic() - start, f"unavailable: {exc}")
    except Exception as exc:  # a crashing backend must not take the answer down with it
        detail = "".join(traceback.format_exception_only(exc)).strip()
        return Attempt(name, None, None, time.monotonic() - start, f"crashed: {detail}")
    report = None
    if output.solution is not None:
        report = spec.validate(problem, output.solution.model_copy(update={"objective": None}))
    return Attempt(name, output, report, time.monotonic() - start)


def _combine_bounds(spec: KindSpec, bounds: list[float | None], best: float) -> float | None:
    known = [b for b in bounds if b is not None and math.isfinite(b)]
    if not known:
        return None
    lb = max(known)
    if spec.integral:
        lb = math.ceil(lb - EPS)
    return min(lb, best) if math.isfinite(best) else lb


def _status(attempts: list[Attempt], best: Attempt | None, lb: float | None) -> Status:
    if best is None:
        proven = any(a.output and a.output.status is Status.INFEASIBLE for a in attempts)
        return Status.INFEASIBLE if proven else Status.UNKNOWN
    for a in attempts:
        if a.output and a.output.status is Status.OPTIMAL and a.objective <= best.objective + EPS:
            return Status.OPTIMAL
    if lb is not None and best.objective <= lb + EPS:
        return Status.OPTIMAL
    return Status.FEASIBLE


def _plan(spec: KindSpec, backend: str) -> list[str]:
    if backend == "auto":
        return [spec.heuristic, *spec.exact]
    return [backend]


def solve(
    problem: Problem,
    backend: str = "auto",
    *,
    time_limit: float = 10.0,
    threads: int = 2,
    seed: int = 0,
    verbose: bool = False,
    params: dict[str, Any] | None = None,
) -> Result:
    """Solve `problem` with `backend` ("auto", or one the kind offers) within `time_limit` s."""
    spec = kind_of(problem)
    if backend != "auto" and backend not in spec.backends:
        valid = ", ".join(backend_names(spec))
        raise InputError(
            f"kind {spec.name!r} has no backend {backend!r}",
            field="backend",
            hint=f"valid: {valid}",
        )
    opts = SolveOptions(time_limit, threads, seed, verbose, dict(params or {}))
    comb_lb = spec.lower_bound(problem)
    attempts: list[Attempt] = []
    best: Attempt | None = None
    plan = _plan(spec, backend)
    for i, name in enumerate(plan):
        is_auto_exact = backend == "auto" and name != spec.heuristic
        if is_auto_exact and attempts and any(a.output and a.error is None for a in attempts[1:]):
            break  # one exact backend ran to its end: the next would only repeat it
        if backend == "auto" and name == spec.heuristic:
            budget = opts.time_limit * spec.auto_heuristic_share
        else:
            budget = opts.remaining()
        if i > 0 and budget <= 0.05:
            break
        hint = best.output.solution if best and best.output else None
        attempt = _run(spec, name, problem, opts.sub(budget), hint)
        attempts.append(attempt)
        if attempt.valid and (best is None or attempt.objective < best.objective - EPS):
            best = attempt
        if attempt.output and attempt.output.status is Status.INFEASIBLE and best is None:
            break
        if best is not None and comb_lb is not None and best.objective <= comb_lb + EPS:
            break
    if (
        backend not in ("auto", spec.heuristic)
        and best is None
        and not _proved_infeasible(attempts)
    ):
        fallback = _run(spec, spec.heuristic, problem, opts.sub(max(opts.remaining(), 0.5)), None)
        attempts.append(fallback)
        if fallback.valid:
            best = fallback
    return _result(spec, problem, attempts, best, comb_lb, opts)


def _proved_infeasible(attempts: list[Attempt]) -> bool:
    return any(a.output and a.output.status is Status.INFEASIBLE for a in attempts)


def _result(
    spec: KindSpec,
    problem: Problem,
    attempts: list[Attempt],
    best: Attempt | None,
    comb_lb: float | None,
    opts: SolveOptions,
) -> Result:
    best_obj = best.objective if best else math.inf
    backend_bounds = [a.output.lower_bound for a in attempts if a.output and a.error is None]
    lb = _combine_bounds(spec, [comb_lb, *backend_bounds], best_obj)
    status = _status(attempts, best, lb)
    if status is Status.OPTIMAL:
        lb = best_obj
    stats: dict[str, Any] = {"combinatorial_bound": comb_lb}
    stats["attempts"] = {a.backend: a.stats() for a in attempts}
    reasons = [
        a.output.stats["reason"] for a in attempts if a.output and "reason" in a.output.stats
    ]
    if status is Status.INFEASIBLE and reasons:
        stats["reason"] = reasons[0]
    report = best.report if best else None
    return Result(
        kind=spec.name,
        name=problem.name,
        status=status,
        objective=best_obj if best else None,
        lower_bound=lb,
        backend=best.backend if best else (attempts[-1].backend if attempts else "none"),
        runtime_s=time.monotonic() - opts.start,
        solution=(best.output.solution.model_copy(update={"objective": best_obj}))
        if best and best.output and best.output.solution
        else None,
        valid=best is not None,
        stats=stats,
        metrics=report.metrics if report else {},
    )
