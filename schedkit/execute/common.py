"""What every replay driver shares: choosing the device and backend, spawning one process per
rank, synchronising a device, and pinning torch's thread count.

This module imports torch only inside functions.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from schedkit.errors import BackendUnavailable
from schedkit.execute import require_torch

DEVICES = ("auto", "cpu", "cuda")


def check_device(device: str) -> None:
    """BackendUnavailable unless `device` is auto, cpu or cuda."""
    if device not in DEVICES:
        raise BackendUnavailable(f"unknown device {device!r}: auto, cpu or cuda")


def cuda_count() -> int:
    """How many CUDA GPUs torch sees (0 without CUDA)."""
    torch = require_torch()
    count: int = torch.cuda.device_count() if torch.cuda.is_available() else 0
    return count


def backend_of(device: str) -> str:
    """The torch.distributed backend of a device: nccl on CUDA, gloo on the CPU."""
    return "nccl" if device == "cuda" else "gloo"


def resolve_device(device: str, devices: int) -> tuple[str, str]:
    """(device, backend): `auto` takes CUDA when it has a GPU per device, else the CPU."""
    require_torch()
    check_device(device)
    cuda = cuda_count()
    has_cuda = cuda >= devices
    if device == "cuda" and not has_cuda:
        raise BackendUnavailable(f"--device cuda needs {devices} CUDA GPUs, found {cuda}")
    dev = "cuda" if device == "cuda" or (device == "auto" and has_cuda) else "cpu"
    return dev, backend_of(dev)


def device_sync(device: Any) -> Callable[[], None]:
    """A function that waits for `device` (a torch.device or its type name): CUDA's
    `synchronize`, or nothing on the CPU."""
    torch = require_torch()
    sync: Callable[[], None] = (
        torch.cuda.synchronize if getattr(device, "type", device) == "cuda" else (lambda: None)
    )
    return sync


@contextmanager
def torch_threads(threads: int | None) -> Iterator[None]:
    """Pin torch's intra-op threads to `threads` (None: leave them) and restore them after."""
    torch = require_torch()
    old = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(old)


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def spawn(job: Any, target: Any = None, timeout: float = 600.0) -> list[Any]:
    """Run `target(rank, job, queue)` (default `pipeline_exec.worker`) on `job.devices`
    spawned processes; their results by rank. The first rank that fails stops the run."""
    torch = require_torch()
    if target is None:
        from schedkit.execute import pipeline_exec

        target = pipeline_exec.worker
    ctx = torch.multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    procs = [
        ctx.Process(target=target, args=(r, job, queue), daemon=True) for r in range(job.devices)
    ]
    for p in procs:
        p.start()
    results: list[Any] = [None] * job.devices
    errors = []
    try:
        for _ in procs:
            rank, res, error = queue.get(timeout=timeout)
            results[rank] = res
            if error:
                errors.append(f"rank {rank}: {error}")
                break
    finally:
        for p in procs:
            p.join(timeout=5 if not errors else 0.5)
            if p.is_alive():
                p.kill()
    if errors:
        raise RuntimeError("replay failed: " + "; ".join(errors))
    return results
