"""Profile F, B and W of pipeline stages and write the pipeline instance they define.

`profile_pipeline` times the built-in block (or the user's modules, one per stage) with the
same B/W split that the replay executes, so the loop profile -> solve -> replay predicts what
the replay measures. Times are milliseconds (medians). `profile_report` returns the instance
together with every stage's spread over the timed iterations (median, mean, min, max, standard
deviation) of F, B, W and of a fused BW (one backward), which the instance itself does not
model. `pipeline_yaml` needs no torch.
"""

from __future__ import annotations

import platform
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any, TypedDict, Unpack

import yaml

from schedkit.execute import BlockSizes, require_torch
from schedkit.execute.common import check_device, cuda_count, device_sync, torch_threads
from schedkit.models.pipeline.problem import PipelineProblem

KINDS = ("F", "B", "W", "BW")
"""What is timed per stage: forward, input gradient, weight gradient, fused backward."""


def _timed(fn: Callable[[], Any], sync: Callable[[], None]) -> float:
    sync()
    t = time.perf_counter()
    fn()
    sync()
    return 1e3 * (time.perf_counter() - t)


def _one_round(
    module: Any, x: Any, grad: Any, last: bool, microbatches: int, sync: Callable[[], None]
) -> dict[str, float]:
    """One timing of F, B, W (split, as the replay runs them) and of a fused BW. F is the plain
    forward, as before a fused backward; `Fc` the forward that captures what a split backward
    needs (the instance charges the difference to B, `split_extra`)."""
    from schedkit.execute import blocks

    box: dict[str, Any] = {}

    def fwd(capture: bool = True) -> None:
        c = blocks.forward(module, x, capture)
        c.y = blocks.loss_of(c.y, microbatches) if last else c.y
        box["c"] = c

    def bwd_input() -> None:
        blocks.backward_input(box["c"], box["c"].y, grad)

    def bwd_weight() -> None:
        blocks.backward_weight(box["c"])

    def bwd_full() -> None:
        blocks.backward_full(box["c"], box["c"].y, grad)

    row = {"Fc": _timed(fwd, sync), "B": _timed(bwd_input, sync), "W": _timed(bwd_weight, sync)}
    row["F"] = _timed(lambda: fwd(capture=False), sync)
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
    """Samples (ms) of F, B, W and fused BW of one stage module on one microbatch, and of the
    capturing forward `Fc` (see `_one_round`)."""
    torch = require_torch()
    from schedkit.execute import blocks

    sync = device_sync(device)
    x = blocks.make_input(0, sizes).to(device)
    grad = None if last else torch.randn(sizes.batch, sizes.seq, sizes.hidden, device=device)
    times: dict[str, list[float]] = {k: [] for k in (*KINDS, "Fc")}
    params = list(module.parameters())
    kept = [p.grad for p in params]  # the fused backward adds into .grad: leave them as found
    for p in params:
        p.grad = None
    for it in range(warmup + iters):
        row = _one_round(module, x, grad, last, microbatches, sync)
        if it >= warmup:
            for k, v in row.items():
                times[k].append(v)
    for p, g in zip(params, kept, strict=True):
        p.grad = g
    return times


@dataclass(frozen=True)
class Spread:
    """Summary of timing samples (ms): median, mean, min, max, population standard
    deviation, and how many samples."""

    median: float
    mean: float
    min: float
    max: float
    std: float
    n: int

    @classmethod
    def of(cls, samples: Sequence[float]) -> Spread:
        if not samples:
            raise ValueError("no samples")
        return cls(
            median=statistics.median(samples),
            mean=statistics.fmean(samples),
            min=min(samples),
            max=max(samples),
            std=statistics.pstdev(samples),
            n=len(samples),
        )

    def text(self) -> str:
        """`median [min-max] ±std`, to 3 decimals."""
        return f"{self.median:.3f} [{self.min:.3f}-{self.max:.3f}] ±{self.std:.3f}"

    def to_dict(self) -> dict[str, float]:
        return {k: (v if k == "n" else round(v, 4)) for k, v in asdict(self).items()}


def device_name(device: str) -> str:
    """The GPU's name on CUDA (`torch.cuda.get_device_name`), else the CPU's."""
    if device == "cuda":
        torch = require_torch()
        name: str = torch.cuda.get_device_name(0)
        return name
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "cpu"


def profile_device(device: str) -> str:
    """cpu or cuda: `auto` takes CUDA when a GPU is there; `cuda` without one is an error."""
    from schedkit.errors import BackendUnavailable

    check_device(device)
    if device == "cpu":
        return "cpu"
    has_cuda = cuda_count() > 0
    if device == "cuda" and not has_cuda:
        raise BackendUnavailable("--device cuda: no CUDA GPU is available")
    return "cuda" if has_cuda else "cpu"


@dataclass
class ProfileReport:
    """A profiled instance and what it was measured from: per stage the spread (ms) of F, B,
    W and fused BW over the timed iterations, where and at which sizes it ran."""

    problem: PipelineProblem
    device: str
    device_name: str
    torch_version: str
    sizes: dict[str, int]
    iters: int
    warmup: int
    threads: int | None
    stages: list[dict[str, Spread]]

    def pooled(self) -> dict[str, Spread]:
        """Every stage's samples of a kind together (the built-in blocks are identical)."""
        return {k: _pool([st[k] for st in self.stages]) for k in KINDS}

    def table(self) -> list[list[str]]:
        """Rows: stage, then `median [min-max] ±std` of F, B, W and BW, and BW / (B + W)."""
        return [
            [str(s), *(st[k].text() for k in KINDS), f"{_fused_ratio(st):.3f}"]
            for s, st in enumerate(self.stages)
        ]

    def summary(self) -> str:
        lines = [
            f"profiled {len(self.stages)} stages on {self.device} ({self.device_name}), "
            f"torch {self.torch_version}, sizes {self.sizes}, {self.iters} timed iterations "
            f"after {self.warmup} warm-up; ms: median [min-max] ±std",
            "  stage  " + "  ".join(f"{k:<30}" for k in KINDS) + "  BW/(B+W)",
            *(
                "  " + f"{r[0]:>5}  " + "  ".join(f"{c:<30}" for c in r[1:-1]) + f"  {r[-1]}"
                for r in self.table()
            ),
        ]
        return "\n".join(lines)

    def comment(self) -> str:
        """Lines for the top of the instance's YAML: where it was measured and the spread."""
        return "\n".join(
            [
                f"profiled by schedkit on {self.device} ({self.device_name}), torch "
                f"{self.torch_version}",
                f"block sizes {self.sizes}; {self.iters} timed iterations after {self.warmup} "
                "warm-up",
                "per stage, ms, median [min-max] ±std of " + ", ".join(KINDS) + ", BW/(B+W):",
                *(f"  stage {r[0]}: " + " | ".join(r[1:]) for r in self.table()),
            ]
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "instance": self.problem.name,
            "device": self.device,
            "device_name": self.device_name,
            "torch": self.torch_version,
            "sizes": self.sizes,
            "iters": self.iters,
            "warmup": self.warmup,
            "threads": self.threads,
            "times": {k: _compact(getattr(self.problem.times, k)) for k in ("F", "B", "W")},
            "stages": [
                {**{k: st[k].to_dict() for k in KINDS}, "BW_over_B_plus_W": _fused_ratio(st)}
                for st in self.stages
            ],
            "pooled": {k: v.to_dict() for k, v in self.pooled().items()},
        }


def _pool(spreads: list[Spread]) -> Spread:
    """A spread of several spreads' samples, from their summaries: weighted mean, overall min
    and max, the median of the medians, and the pooled standard deviation (within + between)."""
    n = sum(s.n for s in spreads)
    mean = sum(s.mean * s.n for s in spreads) / n
    var = sum(s.n * (s.std**2 + (s.mean - mean) ** 2) for s in spreads) / n
    return Spread(
        median=statistics.median(s.median for s in spreads),
        mean=mean,
        min=min(s.min for s in spreads),
        max=max(s.max for s in spreads),
        std=var**0.5,
        n=n,
    )


def _fused_ratio(stage: dict[str, Spread]) -> float:
    """Median fused BW over median B + median W (below 1: fusing saves time)."""
    return round(stage["BW"].median / (stage["B"].median + stage["W"].median), 4)


class ProfileArgs(TypedDict, total=False):
    """The keyword arguments of `profile_report` (and `profile_pipeline`)."""

    chunks: int
    stage_placement: str
    sizes: BlockSizes | None
    hidden: int | None
    seq: int | None
    batch: int | None
    layers: int | None
    heads: int | None
    modules: Sequence[Any] | None
    iters: int
    warmup: int
    device: str
    comm: float
    memory_limit: float | None
    objective: str
    name: str | None
    threads: int | None


def profile_report(
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
    warmup: int = 2,
    device: str = "cpu",
    comm: float = 0.0,
    memory_limit: float | None = None,
    objective: str = "span",
    name: str | None = None,
    threads: int | None = 1,
) -> ProfileReport:
    """Measure every stage (`warmup` untimed then `iters` timed rounds of F, B, W and a fused
    BW) and return the instance with the spread of each stage's samples. The instance's
    per-stage F, B, W times (ms, rounded to 0.01) are medians; memory per microbatch is F 1,
    B -0.5, W -0.5 with `memory_limit`. The built-in blocks are identical, so their samples
    are pooled over stages (one time per kind); `modules` (one per stage) replace them and are
    timed per stage. `threads` pins torch's threads (1 matches the replay's processes);
    `device` is cpu, cuda or auto."""
    torch = require_torch()
    from schedkit.execute import blocks
    from schedkit.execute.pipeline import make_sizes

    dev = profile_device(device)
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
                    mod.to(dev),
                    size,
                    s == stages - 1,
                    microbatches,
                    iters=iters,
                    warmup=warmup,
                    device=dev,
                )
            )

    def ms(samples: list[float], extra: float = 0.0) -> float:
        return max(0.01, round(statistics.median(samples) + extra, 2))

    times: dict[str, float | tuple[float, ...]]
    if modules is None:  # identical blocks: pool the samples of every stage against noise
        pooled = {k: [x for r in rows for x in r[k]] for k in rows[0]}
        times = {k: ms(pooled[k], split_extra(pooled) if k == "B" else 0.0) for k in KINDS}
    else:
        times = {
            k: tuple(ms(r[k], split_extra(r) if k == "B" else 0.0) for r in rows) for k in KINDS
        }
    problem = PipelineProblem(
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
    return ProfileReport(
        problem=problem,
        device=dev,
        device_name=device_name(dev),
        torch_version=str(torch.__version__),
        sizes=size.to_dict(),
        iters=iters,
        warmup=warmup,
        threads=threads,
        stages=[{k: Spread.of(r[k]) for k in KINDS} for r in rows],
    )


def split_extra(samples: dict[str, list[float]]) -> float:
    """What capturing for a split backward adds to a forward (ms, medians, at least 0): the
    replay captures only before a split backward, so the instance charges it to B."""
    return max(0.0, statistics.median(samples["Fc"]) - statistics.median(samples["F"]))


def profile_pipeline(
    devices: int, microbatches: int, **options: Unpack[ProfileArgs]
) -> PipelineProblem:
    """A pipeline instance whose per-stage F, B, W times (ms, medians) are measured on this
    machine: `profile_report(...).problem`, which takes the same options."""
    return profile_report(devices, microbatches, **options).problem


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
        "times": {
            k: _compact(v)
            for k in ("F", "B", "W", "BW")
            if (v := getattr(problem.times, k)) is not None
        },
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
