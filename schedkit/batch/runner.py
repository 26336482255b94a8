"""Run a batch: every task in its own process with a hard wall limit, rows stored as they
finish, a progress bar with done / failed / ETA. Tasks already in the store are skipped."""

from __future__ import annotations

import math
import multiprocessing as mp
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from typing import Any

from schedkit.batch.instances import InstanceRef, expand, kind_hint
from schedkit.batch.references import References
from schedkit.batch.store import Store
from schedkit.batch.worker import child, machine, versions

GRACE_S = 5.0
"""Seconds past the time limit before a run is killed and recorded as timed out."""


@dataclass(frozen=True)
class BenchConfig:
    """What to run: instances x backends x limits x seeds, and how."""

    paths: list[str]
    backends: list[str] = field(default_factory=lambda: ["auto"])
    time_limits: list[float] = field(default_factory=lambda: [10.0])
    seeds: list[int] = field(default_factory=lambda: [0])
    jobs: int = 1
    threads: int = 1
    db: str = "results.sqlite"
    references: list[str] = field(default_factory=list)
    executor: str = "local"
    address: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    wall_limit_s: float | None = None
    """Hard wall limit per run; default: its time limit + GRACE_S."""


def check_config(config: BenchConfig, refs: list[InstanceRef]) -> None:
    """InputError (exit 2) before anything runs: no instances, a time limit that is not a
    finite number >= 0, or a backend that no kind offers (or that the instance's kind lacks)."""
    from schedkit.errors import InputError
    from schedkit.kinds import all_kinds

    if not refs:
        raise InputError(
            "no instance files found",
            file=" ".join(config.paths),
            hint="give instance files, folders holding them, or globs",
        )
    for t in config.time_limits:
        if isinstance(t, bool) or not isinstance(t, int | float) or not math.isfinite(t) or t < 0:
            raise InputError(
                f"time limit {t!r} is not a finite number of seconds >= 0", field="time_limit"
            )
    kinds = all_kinds()
    offered = {name: {"auto", *spec.backends} for name, spec in kinds.items()}
    known = set().union(*offered.values())
    for backend in config.backends:
        if backend not in known:
            raise InputError(
                f"unknown backend {backend!r}", field="backend", hint=f"valid: {sorted(known)}"
            )
    from schedkit.solvers.arguments import check_params

    checked: set[str] = set()
    for ref in refs:
        kind = kind_hint(ref.spec)
        if kind in kinds and kind not in checked:  # unknown --param names: exit 2 up front
            check_params(kinds[kind], config.params)
            checked.add(kind)
        for backend in config.backends:
            if kind in offered and backend not in offered[kind]:
                raise InputError(
                    f"backend {backend!r} does not solve {kind} instances",
                    file=ref.spec,
                    field="backend",
                    hint=f"{kind}: {sorted(offered[kind])}",
                )


def make_tasks(config: BenchConfig, refs: list[InstanceRef]) -> list[dict[str, Any]]:
    """The cross product, in a stable order."""
    from schedkit.kinds import plugin_modules

    modules = plugin_modules()
    plugins = {"kind_modules": modules, "sys_path": list(sys.path)} if modules else {}
    return [
        {
            "instance": r.spec,
            "set_name": r.set_name,
            "backend": b,
            "time_limit": float(t),
            "seed": s,
            "threads": config.threads,
            "params": config.params,
            "wall_limit_s": config.wall_limit_s or float(t) + GRACE_S,
            **plugins,
        }
        for r in refs
        for b in config.backends
        for t in config.time_limits
        for s in config.seeds
    ]


def key(task: dict[str, Any]) -> tuple[Any, ...]:
    return (task["instance"], task["backend"], float(task["time_limit"]), task["seed"])


@dataclass
class Running:
    task: dict[str, Any]
    process: Any
    conn: Connection
    deadline: float


def _start(ctx: Any, task: dict[str, Any]) -> Running:
    parent, child_end = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=child, args=(task, child_end), daemon=True)
    proc.start()
    child_end.close()
    return Running(task, proc, parent, time.monotonic() + task["wall_limit_s"])


def _collect(run: Running, now: float) -> dict[str, Any] | None:
    """The row of a finished (or overdue, then killed) run; None while it is still going."""
    if run.conn.poll():
        try:
            row: dict[str, Any] = run.conn.recv()
        except EOFError:
            row = {"outcome": "failed", "error": "worker died without a result"}
        run.process.join(timeout=5)
        return row
    if not run.process.is_alive():
        code = run.process.exitcode
        return {"outcome": "failed", "error": f"worker exited with code {code}"}
    if now > run.deadline:
        run.process.kill()
        run.process.join(timeout=5)
        wall = run.task["wall_limit_s"]
        return {"outcome": "timeout", "error": f"killed after {wall:g} s", "runtime_s": wall}
    return None


def run_local(
    tasks: list[dict[str, Any]], jobs: int
) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    """Yield (task, row) as runs finish, at most `jobs` at a time, each in its own process."""
    ctx = mp.get_context("forkserver")
    pending = list(reversed(tasks))
    running: list[Running] = []
    while pending or running:
        while pending and len(running) < jobs:
            running.append(_start(ctx, pending.pop()))
        now = time.monotonic()
        still: list[Running] = []
        for run in running:
            row = _collect(run, now)
            if row is None:
                still.append(run)
            else:
                yield run.task, row
        running = still
        time.sleep(0.02)


def gap_to_best(objective: float | None, best: float | None) -> float | None:
    """(objective - best) / best; with best = 0: 0 if matched, else 1 (100 %)."""
    if objective is None or best is None:
        return None
    if best == 0:
        return 0.0 if objective <= 0 else 1.0
    return (objective - best) / abs(best)


def complete_row(
    task: dict[str, Any], row: dict[str, Any], refs: References, context: dict[str, Any]
) -> dict[str, Any]:
    """Add the key, best-known value, gap and provenance to a worker row."""
    full = {**task, **row, **context}
    name = full.get("name") or task["instance"]
    full["name"] = name
    full["best_known"] = refs.best_known(task["instance"], name)
    full["gap"] = gap_to_best(full.get("objective"), full["best_known"])
    full["finished_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    return full


def run_bench(
    config: BenchConfig, progress: Callable[[dict[str, Any], int, int], None] | None = None
) -> list[dict[str, Any]]:
    """Run what is not yet in `config.db`; return every row of the batch (old and new)."""
    refs = References(config.references)
    instances = expand(config.paths)
    check_config(config, instances)
    tasks = make_tasks(config, instances)
    store = Store(config.db)
    done = store.done_keys()
    todo = [t for t in tasks if key(t) not in done]
    context = {"machine": machine(), "versions": versions()}
    if config.executor == "ray":
        from schedkit.batch.ray_executor import run_ray

        stream = run_ray(todo, config.address, config.jobs if config.jobs > 1 else None)
    else:
        stream = run_local(todo, max(1, config.jobs))
    finished = 0
    try:
        for task, row in stream:
            full = complete_row(task, row, refs, context)
            store.add(full)
            finished += 1
            if progress:
                progress(full, finished, len(todo))
    finally:
        wanted = {key(t) for t in tasks}
        rows = [r for r in store.rows() if key(r) in wanted]
        store.close()
    return rows


def bench(
    paths: list[str] | str,
    backends: list[str] | str = "auto",
    time_limit: float = 10.0,
    seeds: list[int] | int = 0,
    jobs: int = 1,
    db: str = "results.sqlite",
    reference: str | None = None,
    **kwargs: Any,
) -> Any:
    """Python API: run a batch and return its rows (a pandas DataFrame if pandas is installed)."""
    config = BenchConfig(
        paths=[paths] if isinstance(paths, str) else list(paths),
        backends=[backends] if isinstance(backends, str) else list(backends),
        time_limits=[time_limit],
        seeds=[seeds] if isinstance(seeds, int) else list(seeds),
        jobs=jobs,
        db=db,
        references=[reference] if reference else [],
        **kwargs,
    )
    rows = run_bench(config)
    try:
        import pandas as pd
    except ImportError:
        return rows
    return pd.DataFrame(rows)
