"""`solve()`: run backends within one time budget and return the best *validated* answer.

`auto` runs the kind's heuristic for a share of the budget, then the first exact backend that
can run, warm-started from the incumbent; with one worker a kind may keep part of the time for
the heuristic again, from the best answer, if the exact backend ends unproven
(`KindSpec.auto_exact_share`). A named backend that cannot run, crashes or finds
nothing falls back to the heuristic (a `FallbackWarning` says so). Every solution goes through
the kind's independent validator; the objective reported is the validator's.

The budget is created before anything else, so the combinatorial bound, model building and
search all draw from it; only the fallback may take a short floor past the deadline, which
keeps `runtime_s <= time_limit + 1 s`.
"""

from __future__ import annotations

import logging
import math
import traceback
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from schedkit.errors import BackendSkipped, FallbackWarning, InputError, UnsupportedProblem
from schedkit.kinds import KindSpec, kind_of
from schedkit.models.base import Problem, Report, Solution
from schedkit.solvers.arguments import check_int, check_params, check_problem, check_time_limit
from schedkit.solvers.budget import Budget, Clock
from schedkit.solvers.registry import backend_names, get_backend
from schedkit.solvers.result import BackendOutput, Result, SolveOptions, Status, Termination

EPS = 1e-6
FALLBACK_FLOOR = 0.5
"""Seconds the fallback heuristic gets even when the budget is spent."""

log = logging.getLogger("schedkit")


@dataclass
class Attempt:
    """One backend run: its raw output, why it stopped, and the validator's report."""

    backend: str
    output: BackendOutput | None
    report: Report | None
    runtime_s: float
    termination: Termination
    reason: str = ""
    skipped: type[BackendSkipped] | None = None
    """The kind of `BackendSkipped` raised when the backend could not run."""
    validate_s: float = 0.0
    """Seconds the validator took on this backend's answer."""

    @property
    def valid(self) -> bool:
        return self.report is not None and self.report.feasible

    @property
    def objective(self) -> float:
        if self.valid and self.report is not None and self.report.objective is not None:
            return self.report.objective
        return math.inf

    @property
    def proved_infeasible(self) -> bool:
        return self.output is not None and self.output.status is Status.INFEASIBLE

    def stats(self) -> dict[str, Any]:
        row: dict[str, Any] = {
            "runtime_s": round(self.runtime_s, 4),
            "termination": self.termination.value,
        }
        if self.reason:
            row["reason"] = self.reason
        if self.skipped is not None:
            row["skipped"] = self.skipped.__name__
        if self.output is not None:
            row["status"] = self.output.status.value
            row["lower_bound"] = self.output.lower_bound
            row.update({k: v for k, v in self.output.stats.items() if k not in row})
        if self.report is not None:
            row["objective"] = self.report.objective
            row["valid"] = self.report.feasible
            if not self.report.feasible:
                row["violations"] = [v.message for v in self.report.violations[:5]]
        return row


def _run(
    spec: KindSpec, name: str, problem: Problem, opts: SolveOptions, hint: Solution | None
) -> Attempt:
    start = opts.budget.now()
    try:
        output = get_backend(spec, name)(problem, opts, hint)
    except BackendSkipped as exc:
        elapsed = opts.budget.now() - start
        return Attempt(name, None, None, elapsed, Termination.UNAVAILABLE, str(exc), type(exc))
    except InputError:  # a user mistake found late (a --param value): exit 2, not a fallback
        raise
    except KeyboardInterrupt:
        elapsed = opts.budget.now() - start
        return Attempt(name, None, None, elapsed, Termination.INTERRUPTED, "interrupted")
    except Exception as exc:  # a crashing backend must not take the answer down with it
        detail = "".join(traceback.format_exception_only(exc)).strip()
        log.debug("backend %s crashed", name, exc_info=True)
        elapsed = opts.budget.now() - start
        return Attempt(name, None, None, elapsed, Termination.ERROR, f"crashed: {detail}")
    report = None
    checked = opts.budget.now()
    if output.solution is not None:
        report = spec.validate(problem, output.solution.model_copy(update={"objective": None}))
    end = opts.budget.now()
    termination = output.termination or Termination.COMPLETED
    return Attempt(
        name, output, report, end - start, termination, output.reason, validate_s=end - checked
    )


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
        return Status.INFEASIBLE if any(a.proved_infeasible for a in attempts) else Status.UNKNOWN
    for a in attempts:
        if a.output and a.output.status is Status.OPTIMAL and a.objective <= best.objective + EPS:
            return Status.OPTIMAL
    if lb is not None and best.objective <= lb + EPS:
        return Status.OPTIMAL
    return Status.FEASIBLE


def _check_backend(spec: KindSpec, backend: Any) -> str:
    if not isinstance(backend, str):
        raise TypeError(f"backend must be a str, not {type(backend).__name__}")
    if backend != "auto" and backend not in spec.backends:
        valid = ", ".join(backend_names(spec))
        raise InputError(
            f"kind {spec.name!r} has no backend {backend!r}",
            field="backend",
            hint=f"valid: {valid}",
        )
    return backend


def solve(
    problem: Problem,
    backend: str = "auto",
    *,
    time_limit: float = 10.0,
    threads: int = 2,
    seed: int = 0,
    verbose: bool = False,
    params: dict[str, Any] | None = None,
    clock: Clock | None = None,
) -> Result:
    """Solve `problem` with `backend` ("auto", or one the kind offers) within `time_limit` s."""
    seconds = check_time_limit(time_limit)
    budget = Budget.start(seconds, clock) if clock else Budget.start(seconds)
    spec = kind_of(check_problem(problem))
    opts = SolveOptions(
        time_limit=seconds,
        threads=check_int("threads", threads, 1),
        seed=check_int("seed", seed, 0),
        verbose=bool(verbose),
        params=check_params(spec, params),
        budget=budget,
    )
    _check_backend(spec, backend)
    comb_lb = spec.lower_bound(problem, budget)
    run = _Run(spec, problem, opts, comb_lb)
    if backend == "auto":
        run.auto()
    else:
        run.named(backend)
    return run.result()


class _Run:
    """The attempts of one `solve()` call and the best valid answer among them."""

    def __init__(
        self, spec: KindSpec, problem: Problem, opts: SolveOptions, comb_lb: float | None
    ) -> None:
        self.spec, self.problem, self.opts, self.comb_lb = spec, problem, opts, comb_lb
        self.attempts: list[Attempt] = []
        self.best: Attempt | None = None

    def attempt(
        self, name: str, budget: Budget, params: Mapping[str, Any] | None = None
    ) -> Attempt:
        hint = self.best.output.solution if self.best and self.best.output else None
        opts = self.opts.with_budget(budget)
        if params:  # the plan's defaults for this backend; the user's own params win
            opts = replace(opts, params={**params, **opts.params})
        attempt = _run(self.spec, name, self.problem, opts, hint)
        log.info(
            "%s: %s in %.3f s %s", name, attempt.termination, attempt.runtime_s, attempt.reason
        )
        self.attempts.append(attempt)
        if attempt.valid and (self.best is None or attempt.objective < self.best.objective - EPS):
            self.best = attempt
        return attempt

    def validate_s(self) -> float:
        """The longest the validator has taken so far (large instances: seconds)."""
        return max((a.validate_s for a in self.attempts), default=0.0)

    def done(self) -> bool:
        """A proof of infeasibility, an interruption, or an answer proven optimal (by any
        backend's status, or at the best bound any part found)."""
        last = self.attempts[-1]
        if last.termination is Termination.INTERRUPTED:
            return True
        if last.proved_infeasible and self.best is None:
            return True
        if self.best is None:
            return False
        return _status(self.attempts, self.best, self.bound(math.inf)) is Status.OPTIMAL

    def bound(self, best: float) -> float | None:
        """The best bound of the combinatorial one and every backend's, at most `best`."""
        bounds = [a.output.lower_bound for a in self.attempts if a.output]
        return _combine_bounds(self.spec, [self.comb_lb, *bounds], best)

    def auto(self) -> None:
        """The heuristic for its share, then exact backends until one runs to its end; the
        heuristic again (as a fallback) if still nothing valid came back."""
        self._auto_plan()
        if self.best is None and not self.done():
            self.attempt(self.spec.heuristic, self.opts.budget.extended(FALLBACK_FLOOR))

    def _auto_plan(self) -> None:
        budget, spec = self.opts.budget, self.spec
        params = spec.auto_params.get(spec.heuristic)
        first = self.attempt(spec.heuristic, budget.split(spec.auto_heuristic_share), params)
        if self.best is None and first.termination is Termination.TIME_LIMIT:
            self.attempt(spec.heuristic, budget.split(0.5), params)  # its share was too short
        share = spec.auto_exact_share if self.opts.threads == 1 else 1.0
        self._auto_exact(budget.split(share) if share < 1.0 else budget)
        if share < 1.0 and self.best is not None and not self.done():
            # from the best answer, with the heuristic's own defaults
            self.attempt(spec.heuristic, budget.reserve(self.validate_s()))

    def _auto_exact(self, budget: Budget) -> None:
        """The exact backends in turn, until one runs to its end."""
        for name in self.spec.exact:
            if self.done() or budget.remaining() <= 0.05:
                return
            # keep the time the validator took on the heuristic's answer for this one's
            params = self.spec.auto_params.get(name)
            attempt = self.attempt(name, budget.reserve(self.validate_s()), params)
            if attempt.termination not in (Termination.UNAVAILABLE, Termination.ERROR):
                return  # it ran to its end: the next would only repeat it
            if attempt.skipped is not UnsupportedProblem:  # declining a variant is routine
                warnings.warn(
                    FallbackWarning(f"auto: {name} did not run ({attempt.reason})"), stacklevel=5
                )

    def named(self, backend: str) -> None:
        """`backend` with the whole budget; the heuristic if it gives no valid answer."""
        attempt = self.attempt(backend, self.opts.budget)
        if backend == self.spec.heuristic or self.best is not None or self.done():
            return
        why = attempt.reason or f"no valid solution ({attempt.termination})"
        warnings.warn(FallbackWarning(f"{backend}: {why}; using the heuristic"), stacklevel=4)
        self.attempt(self.spec.heuristic, self.opts.budget.extended(FALLBACK_FLOOR))

    def result(self) -> Result:
        spec, best = self.spec, self.best
        best_obj = best.objective if best else math.inf
        lb = self.bound(best_obj)
        status = _status(self.attempts, best, lb)
        if status is Status.OPTIMAL:
            lb = best_obj
        stats: dict[str, Any] = {
            "combinatorial_bound": self.comb_lb,
            "attempts": _by_name(self.attempts),
        }
        solution = best.output.solution if best and best.output else None
        return Result(
            kind=spec.name,
            name=self.problem.name,
            status=status,
            objective=best_obj if best else None,
            lower_bound=lb,
            backend=best.backend if best else self.attempts[-1].backend,
            runtime_s=self.opts.budget.elapsed(),
            solution=solution.model_copy(update={"objective": best_obj}) if solution else None,
            valid=best is not None,
            stats=stats,
            metrics=best.report.metrics if best and best.report else {},
            reason=self._reason(status),
        )

    def _reason(self, status: Status) -> str:
        if status is Status.INFEASIBLE:
            return next((a.reason for a in self.attempts if a.proved_infeasible and a.reason), "")
        if status is Status.UNKNOWN:
            return "; ".join(f"{a.backend}: {a.reason or a.termination}" for a in self.attempts)
        return ""


def _by_name(attempts: list[Attempt]) -> dict[str, dict[str, Any]]:
    """Each attempt's stats under its backend's name ("heuristic#2" for a second run)."""
    out: dict[str, dict[str, Any]] = {}
    for a in attempts:
        key, k = a.backend, 1
        while key in out:
            k += 1
            key = f"{a.backend}#{k}"
        out[key] = a.stats()
    return out
