"""One bench run in its own process: load, solve, send back a row."""

from __future__ import annotations

import platform
import sys
import time
import traceback
from importlib import metadata
from multiprocessing.connection import Connection
from typing import Any

VERSIONED = ("schedkit", "ortools", "highspy", "pyomo")


def versions() -> dict[str, str]:
    """Versions of schedkit and of the solver packages, for each row."""
    out = {}
    for pkg in VERSIONED:
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = "missing"
    return out


def machine() -> str:
    import os

    return f"{platform.node()} {platform.machine()} {os.cpu_count()} cpus"


def warm_up() -> None:
    """Import SciPy's optimisers and load the compiled kernels before the clock starts: the
    bounds of two kinds use SciPy, and a first import in a fresh worker under load took 17 s
    (a Ray worker beside two busy CP-SAT processes), which a row would otherwise count as
    solve time."""
    import contextlib

    with contextlib.suppress(ImportError):
        import scipy.optimize  # noqa: F401
    from schedkit import compiled

    compiled.warm_up()  # numba kernels: from the disk cache, or compiled once per machine


def solve_row(task: dict[str, Any]) -> dict[str, Any]:
    """Run one task (instance spec, backend, limit, seed, threads) and describe the outcome."""
    from schedkit.io.loader import load
    from schedkit.kinds import use_kinds
    from schedkit.solvers.portfolio import solve

    if task.get("kind_modules"):  # kinds from outside schedkit, as the parent had them
        sys.path[:0] = [p for p in task["sys_path"] if p not in sys.path]
        use_kinds(task["kind_modules"])
    problem = load(task["instance"])
    warm_up()
    result = solve(
        problem,
        task["backend"],
        time_limit=task["time_limit"],
        threads=task["threads"],
        seed=task["seed"],
        params=task.get("params") or {},
    )
    return {
        "name": problem.name,
        "kind": result.kind,
        "status": result.status.value,
        "outcome": "ok" if result.valid or result.status.value == "infeasible" else "no_solution",
        "objective": result.objective,
        "lower_bound": result.lower_bound,
        "runtime_s": result.runtime_s,
        "solved_by": result.backend,
    }


def child(task: dict[str, Any], conn: Connection) -> None:
    """Process entry point: always sends exactly one row (or dies trying)."""
    start = time.monotonic()
    try:
        row = solve_row(task)
    except Exception as exc:
        detail = "".join(traceback.format_exception_only(exc)).strip()
        row = {"outcome": "failed", "error": detail, "runtime_s": time.monotonic() - start}
    conn.send(row)
    conn.close()
