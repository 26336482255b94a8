"""Profile F, B and W of pipeline stages and write the pipeline instance they define.

`profile_pipeline` times the built-in block (or the user's modules, one per stage) with the
same B/W split that the replay executes, so the loop profile -> solve -> replay predicts what
the replay measures. Times are milliseconds (medians). `pipeline_yaml` needs no torch.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from typing import Any

import yaml

from schedkit.execute import BlockSizes, require_torch
from schedkit.execute.common import device_sync, torch_threads
from schedkit.models.pipeline.problem import PipelineProblem


def _timed(fn: Callable[[], Any], sync: Callable[[], None]) -> float:
    sync()
    t = time.perf_counter()
    fn()
    sync()
    return 1e3 * (time.perf_counter() - t)


def _one_round(
    module: Any, x: Any, grad: Any, last: bool, microbatches: int, sync: Callable[[], None]
) -> dict[str, float]:
    """One timing of F, B, W (split, as the replay runs them) and of a fused BW."""
    from schedkit.execute import blocks

    box: dict[str, Any] = {}

    def fwd() -> None:
        c = blocks.forward(module, x)
        c.y = blocks.loss_of(c.y, microbatches) if last else c.y
        box["c"] = c

    def bwd_input() -> None:
        blocks.backward_input(box["c"], box["c"].y, grad)

    def bwd_weight() -> None:
        blocks.backward_weight(box["c"])

    def bwd_full() -> None:
        blocks.backward_full(module, box["c"], box["c"].y, grad)

    row = {"F": _timed(fwd, sync), "B": _timed(bwd_input, sync), "W": _timed(bwd_weight, sync)}
    fwd()
    row["BW"] = _timed(bwd_full, sync)
    return row


def profile_stage(
    module: Any,
    sizes: BlockSizes,
    last: bool,
    microbatches: int,
    iters: int = 5,
    warmup: int = 2,
    device: str = "cpu",
) -> dict[str, list[float]]:
    """Samples (ms) of F, B, W and fused BW of one stage module on one microbatch."""
    torch = require_torch()
    from schedkit.execute import blocks

    sync = device_sync(device)
    x = blocks.make_input(0, sizes).to(device)
    grad = None if last else torch.randn(sizes.batch, sizes.seq, sizes.hidden, device=device)
    times: dict[str, list[float]] = {"F": [], "B": [], "W": [], "BW": []}
    for it in range(warmup + iters):
        row = _one_round(module, x, grad, last, microbatches, sync)
        if it >= warmup:
            for k, v in row.items():
                times[k].append(v)
    return times


def profile_pipeline(
    devices: int,
    microbatches: int,
    *,
    chunks: int = 1,
    stage_placement: str = "loop",
    sizes: BlockSizes | None = None,
    hidden: int | None = None,
    seq: int | None = None,
    batch: int | None = None,
    layers: int | None = None,
    heads: int | None = None,
    modules: Sequence[Any] | None = None,
    iters: int = 5,
    device: str = "cpu",
    comm: float = 0.0,
    memory_limit: float | None = None,
    objective: str = "span",
    name: str | None = None,
    threads: int | None = 1,
) -> PipelineProblem:
    """A pipeline instance whose per-stage F, B, W times (ms, rounded to 0.01) are measured
    on this machine; memory per microbatch is F 1, B -0.5, W -0.5 with `memory_limit`.
    The built-in blocks are identical, so their samples are pooled over stages (one time per
    kind); `modules` (one per stage) replace them and are timed per stage. `threads` pins
    torch's threads (1 matches the replay's processes)."""
    require_torch()
    from schedkit.execute import blocks
    from schedkit.execute.pipeline import make_sizes

    size = make_sizes(sizes, hidden=hidden, seq=seq, batch=batch, layers=layers, heads=heads)
    stages = devices * chunks
    if modules is not None and len(modules) != stages:
        raise ValueError(f"{len(modules)} modules for {stages} stages")
    rows = []
    with torch_threads(threads):
        for s in range(stages):
            mod = modules[s] if modules is not None else blocks.make_stage(s, size)
            rows.append(
                profile_stage(
                    mod.to(device), size, s == stages - 1, microbatches, iters=iters, device=device
                )
            )

    def ms(samples: list[float]) -> float:
        return max(0.01, round(statistics.median(samples), 2))

    times: dict[str, float | tuple[float, ...]]
    if modules is None:  # identical blocks: pool the samples of every stage against noise
        times = {k: ms([x for r in rows for x in r[k]]) for k in ("F", "B", "W")}
    else:
        times = {k: tuple(ms(r[k]) for r in rows) for k in ("F", "B", "W")}
    return PipelineProblem(
        name=name or f"profiled-p{devices}-m{microbatches}-h{size.hidden}",
        devices=devices,
        microbatches=microbatches,
        chunks=chunks,
        stage_placement=stage_placement,
        times=times,
        comm=comm,
        memory={"F": 1.0, "B": -0.5, "W": -0.5, "limit": memory_limit},
        objective=objective,
    )


def _compact(value: float | tuple[float, ...]) -> float | list[float]:
    """A per-stage tuple as a list, or one number when every stage has the same."""
    if isinstance(value, tuple):
        return value[0] if len(set(value)) == 1 else list(value)
    return value


def pipeline_yaml(problem: PipelineProblem, comment: str | None = None) -> str:
    """`kind: pipeline` YAML in the layout of instances/pipeline/*.yaml (loads back with
    `schedkit.load`); `comment` lines go on top (e.g. the block sizes that were profiled)."""
    data: dict[str, Any] = {
        "kind": "pipeline",
        "name": problem.name,
        "devices": problem.devices,
        "microbatches": problem.microbatches,
        "chunks": problem.chunks,
        "stage_placement": problem.stage_placement,
        "times": {k: _compact(getattr(problem.times, k)) for k in ("F", "B", "W")},
        "comm": problem.comm,
        "memory": {
            **{k: _compact(getattr(problem.memory, k)) for k in ("F", "B", "W")},
            "limit": problem.memory.limit,
        },
        "objective": problem.objective,
    }
    if problem.resolution is not None:
        data["resolution"] = problem.resolution
    head = "".join(f"# {line}\n" for line in (comment or "").splitlines())
    return head + yaml.safe_dump(data, default_flow_style=None, sort_keys=False, width=100)
