"""Replay pipeline schedules for real (CPU, gloo, one process per device) and compare measured
iteration times with the predicted ones. Writes benchmarks/results/replay_pipeline.md.

Loop: profile F, B, W of the built-in block -> pipeline instance (times in ms, objective
makespan, memory limit 2p - 1) -> 1F1B, ZB-H1, ZB-H2 and `schedkit.solve`'s best -> replay
all four in the same processes, `--iters` timed iterations after one warm-up. With
`--torch-runtime` the same schedules then also run, exported as CSV, through
torch.distributed.pipelining's `_PipelineScheduleRuntime` (another set of processes), each in
three forms taking turns: compute-only (torch's `_add_send_recv` places sends and receives),
with the explicit send / receive actions of schedkit's export and stage 0's split backward as
one full backward (`fuse_first`), and the same with every receive posted at the start of the
step (`comms="early"`, as schedkit's executor posts them on gloo); a second table compares
every schedule's speedup over 1F1B in the three and on schedkit's executor. `--trace` also
times every action of torch's runtime and tabulates, per rank, compute, waiting for received
data and the rest;
`--torch-costs` then solves again with torch's traced op costs (its split backward costs more
than the executor's) and runs that schedule beside 1F1B, ZB-H2 and schedkit's in a second round.

    .venv/bin/python benchmarks/replay_pipeline.py --devices 2 --microbatches 8 \
        --hidden 128 --seq 128 --batch 4 --iters 30 \
        [--torch-runtime [--trace [--torch-costs]] --output FILE.md]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from pathlib import Path

from replay_common import md_table

import schedkit
from schedkit.execute import BlockSizes, profile_pipeline, write_pipeline_yaml
from schedkit.execute.pipeline import ScheduleMeasure, run_schedules
from schedkit.execute.torch_runtime import TorchRuntimeMeasure, TorchSchedule, run_torch_runtime
from schedkit.models.pipeline import PipelineProblem, PipelineSolution, Times
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
    "speedup",
    "torch, torch's send/recv: wall (ms)",
    "speedup",
    "gap (points)",
    "torch, explicit send/recv: wall (ms)",
    "speedup",
    "gap (points)",
    "torch, receives posted early: wall (ms)",
    "speedup",
    "gap (points)",
    "torch's / explicit wall",
    "torch grad max diff",
]
ACTION_TABLE = [
    "schedule",
    "send/recv",
    "rank",
    "compute (ms)",
    "waiting for input (ms)",
    "posting sends (ms)",
    "posting receives (ms)",
    "rest (ms)",
    "ops that waited > 0.5 ms",
]
MODES = {"none": "torch's", "explicit": "explicit", "early": "early"}
"""torch's runtime: send / receive placed by torch's lowering, explicit in the CSV, or explicit
with every receive posted at the start of the step (gloo only)."""


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


def paired(base: list[float], times: list[float]) -> float:
    """Speedup over the baseline: the median over rounds of its time over the schedule's
    (the schedules take turns within a round, so each ratio sees the same load)."""
    return statistics.median(b / t for b, t in zip(base, times, strict=True))


def torch_row(name: str, tm: dict[str, TorchRuntimeMeasure]) -> list[str]:
    """One schedule: its wall and speedup over 1F1B in schedkit's executor and in torch's
    runtime with torch's, explicit and early send / receive placement, all in the same
    processes (gap: torch's speedup minus the executor's, in points)."""
    ex = tm[f"{name}|executor"]
    own = paired(tm["1f1b|executor"].iterations, ex.iterations)
    cells = [name, f"{ex.measured_wall:.1f}", f"{own:.3f}"]
    for mode in MODES:
        t = tm[f"{name}|{mode}"]
        sp = paired(tm[f"1f1b|{mode}"].iterations, t.iterations)
        cells += [f"{t.measured_wall:.1f}", f"{sp:.3f}", f"{100 * (sp - own):+.1f}"]
    ab = paired(tm[f"{name}|none"].iterations, tm[f"{name}|explicit"].iterations)
    diffs = [tm[f"{name}|{mode}"].grad_max_abs_diff or 0.0 for mode in MODES]
    return [*cells, f"{ab:.3f}", f"{max(diffs):.1e}"]


def torch_table(names: list[str], tm: dict[str, TorchRuntimeMeasure]) -> list[str]:
    """Walls and speedups of schedkit's executor and torch's runtime, schedule by schedule."""
    return md_table(TORCH_TABLE, (torch_row(name, tm) for name in names))


def action_table(tm: dict[str, TorchRuntimeMeasure]) -> list[str]:
    """Per schedule, send/recv placement and rank, where torch's action loop spent its time."""
    rows = []
    for key, t in tm.items():
        name, mode = key.split("|")
        for a in t.actions if mode in MODES and t.actions else []:
            cells = [a.compute, a.recv_wait, a.send_post, a.recv_post, a.rest]
            rows.append(
                [name, MODES[mode], str(a.rank), *(f"{c:.1f}" for c in cells), f"{a.late:g}"]
            )
    return md_table(ACTION_TABLE, rows)


def torch_section(
    problem: PipelineProblem,
    sols: dict[str, PipelineSolution],
    sizes: BlockSizes,
    iters: int,
    trace: bool = False,
) -> tuple[list[str], dict[str, TorchRuntimeMeasure]]:
    """Run the schedules through torch's runtime, compute-only and with explicit send /
    receive actions, and through schedkit's executor, all taking turns in one set of
    processes, and describe the comparison (and return the measures)."""
    variants = {}
    for k, s in sols.items():  # a schedule's three forms run one after another in each round
        variants[f"{k}|executor"] = TorchSchedule(s, executor=True)
        variants[f"{k}|none"] = TorchSchedule(s, "none", fuse_first=False)
        variants[f"{k}|explicit"] = TorchSchedule(s)
        variants[f"{k}|early"] = TorchSchedule(s, "early")
    tm, _, _ = run_torch_runtime(
        problem, variants, trace=trace, sizes=sizes, device="cpu", iters=iters
    )
    actions = ["Where torch's action loop spent each rank's iteration (medians):", ""]
    op_ms = "; ".join(
        f"{k}: {dict(kv for a in m.actions for kv in a.op_ms.items())}"
        for k, m in tm.items()
        if m.actions
    )
    traced = [
        *action_table(tm),
        "",
        f"Mean compute action times in torch's runtime (ms, waits excluded): {op_ms}",
        "",
    ]
    return [
        "## torch.distributed.pipelining runtime"
        + (" (schedules for torch's costs)" if "schedkit-torch" in sols else ""),
        "",
        "The same schedules exported as CSV, loaded with `_PipelineScheduleRuntime._load_csv` "
        "over `PipelineStage`s of the same block model, one `step` per iteration, in three "
        "forms: compute-only (torch's `_add_send_recv` places the sends and receives), with "
        "the explicit send / receive actions of `to_torch_csv` (the default export) and stage "
        "0's I and W as one full backward (`fuse_first=True`), and the same with every "
        'receive posted at the start of the step (`comms="early"`, gloo only); and '
        "schedkit's executor again, all taking turns in one set of processes (run after the "
        "table above), so that every speedup below is measured under the same load. Wall: "
        "first rank start to last rank done, median over the timed iterations; speedup over "
        "1F1B in the same runtime and form: the median over the timed rounds (the schedules "
        "take turns in each) of 1F1B's wall over the schedule's; gap: that speedup minus the "
        "executor's, in points; torch's / explicit wall: the same paired median of the "
        "schedule's wall with torch's send/recv over its wall with explicit send/recv (above "
        "1: the explicit form is faster); grad max diff: against the single-process "
        "reference.",
        "",
        *torch_table(list(sols), tm),
        "",
        *([*actions, *traced] if trace else []),
        "Per-iteration torch-runtime walls (ms): "
        + "; ".join(f"{k}: {m.iterations}" for k, m in tm.items()),
        "",
    ], tm


def torch_costs(problem: PipelineProblem, tm: dict[str, TorchRuntimeMeasure]) -> PipelineProblem:
    """The instance with torch's own mean op costs from a traced run: F and the split halves
    (I as B, and W) from ZB-H1 with torch's placement, the full backward (B) from 1F1B, so
    that a schedule splits a backward only where that pays in torch's runtime (its split
    costs more than the executor's)."""

    def means(key: str) -> dict[str, float]:
        return {k: v for a in tm[key].actions or [] for k, v in a.op_ms.items()}

    split, full = means("zb-h1|none"), means("1f1b|explicit")
    stages = range(problem.stages)
    times = Times(
        F=[split[f"F{s}"] for s in stages],
        B=[max(split[f"I{s}"], 1e-3) for s in stages],
        W=[split[f"W{s}"] for s in stages],
        BW=[full[f"B{s}"] for s in stages],
    )
    data = {**problem.model_dump(), "times": times.model_dump(), "name": f"{problem.name}-torch"}
    return PipelineProblem.model_validate(data)  # not model_copy: it keeps cached times


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--devices", type=int, default=2)
    ap.add_argument("--microbatches", type=int, default=8)
    ap.add_argument("--hidden", type=int, default=128)
    ap.add_argument("--seq", type=int, default=128)
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--iters", type=int, default=30)
    ap.add_argument("--time-limit", type=float, default=10.0)
    ap.add_argument("--torch-runtime", action="store_true", help="also run torch's runtime")
    ap.add_argument("--trace", action="store_true", help="time torch's runtime per action")
    ap.add_argument(
        "--torch-costs",
        action="store_true",
        help="with --torch-runtime --trace: solve again for torch's traced op costs and run "
        "that schedule beside the others",
    )
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
    extra: list[str] = []
    if args.torch_runtime:
        extra, tm = torch_section(problem, sols, sizes, args.iters, args.trace)
        if args.torch_costs and args.trace:
            tuned = torch_costs(problem, tm)
            best = schedkit.solve(tuned, time_limit=args.time_limit, threads=1).solution
            assert isinstance(best, PipelineSolution)
            again: dict[str, PipelineSolution] = {
                k: sols[k] for k in ("1f1b", "zb-h2", "schedkit") if k in sols
            }
            again["schedkit-torch"] = best
            fused = sum(o.kind == "BW" for o in best.ops)
            more, _ = torch_section(problem, again, sizes, args.iters, args.trace)
            extra += [
                *more,
                f"`schedkit-torch`: solved for torch's op costs ({fused} fused backwards); its "
                f"instance's times (ms, per stage; B is torch's I): "
                f"{ {k: [round(x, 3) for x in v] for k, v in tuned.t.items()} }",
                "",
            ]
    flag = " --torch-runtime" if args.torch_runtime else ""
    flag += " --trace" if args.trace and args.torch_runtime else ""
    flag += " --torch-costs" if args.torch_costs and args.trace and args.torch_runtime else ""
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
