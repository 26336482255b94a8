"""Replay pipeline schedules for real (CPU, gloo, one process per device) and compare measured
iteration times with the predicted ones. Writes benchmarks/results/replay_pipeline.md.

Loop: profile F, B, W of the built-in block -> pipeline instance (times in ms, objective
makespan, memory limit 2p - 1) -> 1F1B, ZB-H1, ZB-H2 and `schedkit.solve`'s best -> replay
all four in the same processes, `--iters` timed iterations after one warm-up. With
`--torch-runtime` the same schedules then also run, exported as CSV, through
torch.distributed.pipelining's `_PipelineScheduleRuntime` (another set of processes), and a
second table compares the iteration wall times and gradients of the two runtimes.

    .venv/bin/python benchmarks/replay_pipeline.py --devices 2 --microbatches 8 \
        --hidden 128 --seq 128 --batch 4 --iters 7 [--torch-runtime --output FILE.md]
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from pathlib import Path

from replay_common import md_table

import schedkit
from schedkit.execute import BlockSizes, profile_pipeline, write_pipeline_yaml
from schedkit.execute.pipeline import ScheduleMeasure, run_schedules
from schedkit.execute.torch_runtime import TorchRuntimeMeasure, run_torch_runtime
from schedkit.models.pipeline import PipelineProblem, PipelineSolution
from schedkit.models.pipeline.references import build

ROOT = Path(__file__).resolve().parent
DEFAULT_OUTPUT = ROOT / "results" / "replay_pipeline.md"


def schedules(problem: PipelineProblem, time_limit: float) -> dict[str, PipelineSolution]:
    """1F1B, ZB-H1, ZB-H2 and schedkit's best for the instance."""
    out = {}
    for name in ("1f1b", "zb-h1", "zb-h2"):
        sol = build(problem, name)
        if sol is not None:
            out[name] = sol
    best = schedkit.solve(problem, time_limit=time_limit, threads=1).solution
    assert isinstance(best, PipelineSolution)
    out["schedkit"] = best
    return out


TABLE = [
    "schedule",
    "predicted makespan (ms)",
    "predicted speedup",
    "measured makespan (ms)",
    "measured speedup",
    "re-simulated (ms)",
    "re-sim error",
    "wall (ms)",
    "grad max diff",
]
TORCH_TABLE = [
    "schedule",
    "schedkit executor wall (ms)",
    "torch runtime wall (ms)",
    "torch / schedkit",
    "torch measured speedup",
    "torch grad max diff",
]


def table(problem: PipelineProblem, ms: dict[str, ScheduleMeasure]) -> list[str]:
    """Predicted, measured and re-simulated makespans of schedkit's executor (ms)."""
    base = ms["1f1b"]
    return md_table(
        TABLE,
        (
            [
                name,
                f"{m.predicted_makespan:.1f}",
                f"{base.predicted_makespan / m.predicted_makespan:.3f}",
                f"{m.measured_makespan:.1f}",
                f"{base.measured_makespan / m.measured_makespan:.3f}",
                f"{m.resimulated_makespan:.1f}",
                f"{m.resim_error:.1%}",
                f"{m.measured_wall:.1f}",
                f"{m.grad_max_abs_diff:.1e}",
            ]
            for name, m in ms.items()
        ),
    )


def torch_table(ms: dict[str, ScheduleMeasure], tm: dict[str, TorchRuntimeMeasure]) -> list[str]:
    """Iteration wall times of schedkit's executor and torch's runtime, schedule by schedule."""
    base = tm["1f1b"]
    return md_table(
        TORCH_TABLE,
        (
            [
                name,
                f"{ms[name].measured_wall:.1f}",
                f"{t.measured_wall:.1f}",
                f"{t.measured_wall / ms[name].measured_wall:.3f}",
                f"{base.measured_wall / t.measured_wall:.3f}",
                f"{t.grad_max_abs_diff:.1e}",
            ]
            for name, t in tm.items()
        ),
    )


def torch_section(
    problem: PipelineProblem,
    sols: dict[str, PipelineSolution],
    ms: dict[str, ScheduleMeasure],
    sizes: BlockSizes,
    iters: int,
) -> list[str]:
    """Run the schedules through torch's runtime and describe the comparison."""
    tm, _, _ = run_torch_runtime(problem, sols, sizes=sizes, device="cpu", iters=iters)
    return [
        "## torch.distributed.pipelining runtime",
        "",
        "The same schedules exported as compute-only CSV, loaded with "
        "`_PipelineScheduleRuntime._load_csv` over `PipelineStage`s of the same block model "
        "(separate processes, run after schedkit's executor), one `step` per iteration. Wall: "
        "first rank start to last rank done, median over the timed iterations; speedup: "
        "1F1B's wall over the schedule's; grad max diff: against the single-process reference.",
        "",
        *torch_table(ms, tm),
        "",
        "Per-iteration torch-runtime walls (ms): "
        + "; ".join(f"{k}: {m.iterations}" for k, m in tm.items()),
        "",
    ]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--devices", type=int, default=2)
    ap.add_argument("--microbatches", type=int, default=8)
    ap.add_argument("--hidden", type=int, default=128)
    ap.add_argument("--seq", type=int, default=128)
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--iters", type=int, default=7)
    ap.add_argument("--time-limit", type=float, default=10.0)
    ap.add_argument("--torch-runtime", action="store_true", help="also run torch's runtime")
    ap.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = ap.parse_args()
    sizes = BlockSizes(hidden=args.hidden, seq=args.seq, batch=args.batch)
    t0 = time.time()
    problem = profile_pipeline(
        args.devices,
        args.microbatches,
        sizes=sizes,
        iters=7,
        memory_limit=2 * args.devices - 1,
        objective="makespan",
    )
    sols = schedules(problem, args.time_limit)
    ms, dev, backend = run_schedules(
        problem,
        {k: s.orders(problem.devices) for k, s in sols.items()},
        sizes=sizes,
        device="cpu",
        iters=args.iters,
    )
    extra = torch_section(problem, sols, ms, sizes, args.iters) if args.torch_runtime else []
    flag = " --torch-runtime" if args.torch_runtime else ""
    if args.output != DEFAULT_OUTPUT:
        flag += f" --output {os.path.relpath(args.output.resolve(), ROOT.parent)}"
    lines = [
        "# Pipeline replay (measured)",
        "",
        f"Command: `.venv/bin/python benchmarks/replay_pipeline.py --devices {args.devices} "
        f"--microbatches {args.microbatches} --hidden {args.hidden} --seq {args.seq} "
        f"--batch {args.batch} --iters {args.iters} --time-limit {args.time_limit:g}{flag}` "
        f"({time.time() - t0:.0f} s).",
        "",
        f"Machine: {platform.processor() or platform.machine()}, a shared 2-core box (other "
        f"jobs ran at the same time, so times are noisy); {args.devices} processes on {dev} "
        f"with {backend}, 1 torch thread each; block sizes {sizes.to_dict()}.",
        "",
        "Medians over the timed iterations. Predicted: the profiled instance's own times; "
        "measured makespan: first op start to last op end over all ranks; re-simulated: the "
        "schedule's op orders timed by `simulate` with the measured mean duration of every "
        "(kind, stage) and the measured cross-device latency; grad max diff: against a "
        "single-process reference.",
        "",
        *table(problem, ms),
        "",
        "Measured mean op times (ms) per schedule: "
        + "; ".join(f"{k}: {m.op_ms}" for k, m in ms.items()),
        "",
        "Per-iteration measured makespans (ms): "
        + "; ".join(f"{k}: {m.iterations}" for k, m in ms.items()),
        "",
        *extra,
        "The profiled instance:",
        "",
        "```yaml",
        write_pipeline_yaml(problem, comment=f"block sizes {sizes.to_dict()}").rstrip(),
        "```",
    ]
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
