"""Replay validated schedules and placements for real with PyTorch (`pip install
'schedkit[replay]'`).

`replay(problem, solution)` runs a pipeline schedule with torch.distributed (one process per
device; schedkit's own executor, or `runtime="torch"`: torch.distributed.pipelining's runtime
on the exported CSV) or an expert placement as real FFN matmuls (the GPUs one after another,
or `processes=True`: one process per GPU exchanging tokens with all-to-all), and compares what
it measures with what schedkit predicted. `profile_pipeline` measures F, B and W of the
built-in block and returns a pipeline instance, closing the loop profile -> solve -> replay.

This package imports without torch; the entry points raise `BackendUnavailable` when torch is
missing, and import the torch-based modules only when called.
"""

from __future__ import annotations

import importlib
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from schedkit.errors import BackendUnavailable, InputError
from schedkit.models.base import Problem, Solution

if TYPE_CHECKING:
    from schedkit.execute.pipeline import PipelineReplayResult
    from schedkit.execute.placement import PlacementReplayResult
    from schedkit.execute.torch_runtime import TorchRuntimeResult
    from schedkit.models.pipeline.problem import PipelineProblem

INSTALL_HINT = "pip install 'schedkit[replay]'"


@dataclass(frozen=True)
class BlockSizes:
    """Sizes of one pipeline stage: `layers` transformer-like blocks of width `hidden` over
    `batch` x `seq` tokens per microbatch, `heads` attention heads, an MLP of `ffn_mult` x
    hidden."""

    hidden: int = 256
    seq: int = 128
    batch: int = 4
    layers: int = 1
    heads: int = 4
    ffn_mult: int = 4

    def to_dict(self) -> dict[str, int]:
        return asdict(self)


def require_torch() -> Any:
    """The torch module, or BackendUnavailable saying how to install it."""
    try:
        torch = importlib.import_module("torch")
    except ImportError:
        raise BackendUnavailable(
            f"replay needs PyTorch, which is not installed: {INSTALL_HINT}"
        ) from None
    if not hasattr(torch, "distributed") or not torch.distributed.is_available():
        raise BackendUnavailable(
            f"this PyTorch build has no torch.distributed; install a standard build: {INSTALL_HINT}"
        )
    return torch


def replay_pipeline(
    problem: PipelineProblem, solution: Solution, **kwargs: Any
) -> PipelineReplayResult | TorchRuntimeResult:
    """Run a pipeline schedule for real; see `schedkit.execute.pipeline.replay_pipeline`."""
    runtime = kwargs.get("runtime", "schedkit")
    if runtime not in ("schedkit", "torch"):
        raise InputError(f"unknown runtime {runtime!r}", field="runtime", hint="schedkit or torch")
    require_torch()
    from schedkit.execute import pipeline

    return pipeline.replay_pipeline(problem, solution, **kwargs)  # type: ignore[arg-type]


def replay_placement(problem: Problem, solution: Solution, **kwargs: Any) -> PlacementReplayResult:
    """Run an expert placement for real; see `schedkit.execute.placement.replay_placement`."""
    require_torch()
    from schedkit.execute import placement

    return placement.replay_placement(problem, solution, **kwargs)  # type: ignore[arg-type]


def replay(
    problem: Problem, solution: Solution, device: str = "auto", iters: int = 5, **kwargs: Any
) -> PipelineReplayResult | TorchRuntimeResult | PlacementReplayResult:
    """Execute `solution` for real with the replay the problem's kind declares (pipeline,
    placement). `kwargs` pass sizes and options through (e.g. hidden=, seq=, batch=,
    runtime= for a pipeline, processes= for a placement)."""
    from schedkit.kinds import kind_of, resolve

    spec = kind_of(problem)
    if spec.replay is None:
        raise InputError(f"no replay for kind {spec.name!r}", field="kind")
    result: Any = resolve(spec.replay.entry)(
        problem, solution, device=device, iters=iters, **kwargs
    )
    return result


def profile_pipeline(devices: int, microbatches: int, **kwargs: Any) -> PipelineProblem:
    """Measure F, B and W of the block and return a pipeline instance; see
    `schedkit.execute.profile.profile_pipeline`."""
    require_torch()
    from schedkit.execute import profile

    return profile.profile_pipeline(devices, microbatches, **kwargs)


def write_pipeline_yaml(
    problem: PipelineProblem, path: str | None = None, comment: str | None = None
) -> str:
    """The instance as `kind: pipeline` YAML (written to `path` when given); no torch needed."""
    from schedkit.execute.profile import pipeline_yaml

    text = pipeline_yaml(problem, comment)
    if path is not None:
        with open(path, "w") as fh:
            fh.write(text)
    return text


__all__ = [
    "INSTALL_HINT",
    "BlockSizes",
    "profile_pipeline",
    "replay",
    "replay_pipeline",
    "replay_placement",
    "require_torch",
    "write_pipeline_yaml",
]
