"""Run bench tasks on a Ray cluster (a local one by default) with the same rows as local.

At most `jobs` tasks are in flight (default: the cluster's CPUs); each has the hard wall limit
of a local run plus `STARTUP_S` for Ray to start a worker and import schedkit, and is
force-cancelled (its worker process killed) when overdue.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from schedkit.errors import BackendUnavailable

STARTUP_S = 30.0


def _ray() -> Any:
    try:
        import ray
    except ImportError:
        raise BackendUnavailable(
            "the ray executor needs Ray: pip install 'schedkit[dist]'"
        ) from None
    return ray


def run_ray(
    tasks: list[dict[str, Any]], address: str | None, jobs: int | None = None
) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    """Yield (task, row) as Ray tasks finish."""
    ray = _ray()
    started_here = not ray.is_initialized()
    if started_here:
        ray.init(
            address=address, include_dashboard=False, log_to_driver=False, configure_logging=False
        )
    try:
        yield from _drive(ray, tasks, jobs or max(1, int(ray.cluster_resources().get("CPU", 1))))
    finally:
        if started_here:
            ray.shutdown()


def _drive(ray: Any, tasks: list[dict[str, Any]], jobs: int) -> Iterator[tuple[dict, dict]]:
    from schedkit.batch.worker import solve_row

    @ray.remote(max_retries=0)
    def remote(task: dict[str, Any]) -> dict[str, Any]:
        return solve_row(task)

    pending = list(reversed(tasks))
    running: dict[Any, tuple[dict[str, Any], float]] = {}
    while pending or running:
        while pending and len(running) < jobs:
            task = pending.pop()
            ref = remote.options(num_cpus=task["threads"]).remote(task)
            running[ref] = (task, time.monotonic() + task["wall_limit_s"] + STARTUP_S)
        ready, _ = ray.wait(list(running), num_returns=1, timeout=0.05)
        for ref in ready:
            task, _deadline = running.pop(ref)
            yield task, _result(ray, ref)
        now = time.monotonic()
        for ref, (task, deadline) in list(running.items()):
            if now > deadline:
                ray.cancel(ref, force=True)
                running.pop(ref)
                wall = task["wall_limit_s"]
                yield (
                    task,
                    {"outcome": "timeout", "error": f"killed after {wall:g} s", "runtime_s": wall},
                )


def _result(ray: Any, ref: Any) -> dict[str, Any]:
    try:
        row: dict[str, Any] = ray.get(ref)
    except Exception as exc:
        cause = getattr(exc, "cause", None) or exc
        return {"outcome": "failed", "error": f"{type(cause).__name__}: {cause}"[:500]}
    return row
