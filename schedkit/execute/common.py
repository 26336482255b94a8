"""What every replay driver shares: choosing the device and backend, spawning one process per
rank, synchronising a device, and pinning torch's thread count.

This module imports torch only inside functions.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from schedkit.errors import BackendUnavailable, InputError
from schedkit.execute import require_torch

DEVICES = ("auto", "cpu", "cuda")


def check_device(device: str) -> None:
    """InputError (a user mistake, exit 2) unless `device` is auto, cpu or cuda."""
    if device not in DEVICES:
        raise InputError(f"unknown device {device!r}", field="device", hint="auto, cpu or cuda")


def cuda_count() -> int:
    """How many CUDA GPUs torch sees (0 without CUDA)."""
    torch = require_torch()
    count: int = torch.cuda.device_count() if torch.cuda.is_available() else 0
    return count


def backend_of(device: str) -> str:
    """The torch.distributed backend of a device: nccl on CUDA, gloo on the CPU."""
    return "nccl" if device == "cuda" else "gloo"


def resolve_device(device: str, devices: int, share_gpu: bool = False) -> tuple[str, str]:
    """(device, backend) for `devices` ranks: `auto` takes CUDA when it has a GPU per rank,
    else the CPU. With fewer GPUs than ranks, `share_gpu` lets the ranks time-share the GPUs
    there are (rank r on GPU r mod count) over gloo, since nccl refuses two ranks on one GPU
    (`auto` then takes CUDA when there is any GPU); without it `cuda` is an error. On the CPU
    `share_gpu` changes nothing (the ranks share it anyway)."""
    require_torch()
    check_device(device)
    cuda = cuda_count()
    if cuda >= devices and device in ("auto", "cuda"):
        return "cuda", backend_of("cuda")
    if share_gpu and cuda and device in ("auto", "cuda"):
        return "cuda", "gloo"
    if device == "cuda":
        hint = " (--share-gpu runs them time-sharing the GPUs there are)" if cuda else ""
        raise BackendUnavailable(f"--device cuda needs {devices} CUDA GPUs, found {cuda}{hint}")
    return "cpu", backend_of("cpu")


def time_shared(device: str, backend: str | None) -> bool:
    """Whether ranks time-share GPUs: CUDA over gloo (what `resolve_device` picks with
    `share_gpu` and fewer GPUs than ranks). Their op durations stay meaningful; their overlap
    in time does not."""
    return device == "cuda" and backend == "gloo"


def wire_device(device: Any, backend: str | None) -> Any:
    """Where tensors sent between ranks live: the CPU with gloo (its send, recv and
    all-to-all read host memory; CUDA tensors are staged through it), else `device`."""
    return "cpu" if backend == "gloo" else device


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
