"""Replay expert placements for real: route a token trace generated from the loads, run every
GPU's expert replicas as FFN matmuls (GPUs one after another on this machine's CPU) and compare
the measured max / mean per-GPU time of schedkit's placement, the EPLB greedy and a naive
contiguous placement with the predicted load ratios. Writes
benchmarks/results/replay_placement.md. With `--processes` every GPU is its own process (gloo
on this CPU) and tokens really move with all-to-all: the table then also shows the measured
dispatch / combine times and bytes (times are only meaningful with a core per process).

    .venv/bin/python benchmarks/replay_placement.py --iters 5 [--processes --output FILE.md]
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from replay_common import md_table

import schedkit
from schedkit.execute.placement import (
    PlacementMeasure,
    PlacementReplayResult,
    exchange_ms,
    replay_placement,
)
from schedkit.generate.placement import expert_loads
from schedkit.models.placement import PlacementProblem, PlacementSolution

ROOT = Path(__file__).resolve().parent
DEFAULT_OUTPUT = ROOT / "results" / "replay_placement.md"


def instances() -> list[tuple[str, PlacementProblem, float]]:
    """(label, problem, token scale): a generated log-normal matrix and EPLB's example."""
    loads = expert_loads(4, 32, dist="lognormal", skew=1.0, tokens=4096, top_k=8, seed=0)
    gen = PlacementProblem(loads=loads, nodes=2, gpus_per_node=4, slots_per_gpu=5)
    eplb = schedkit.load(str(ROOT.parent / "instances" / "placement" / "eplb_example.yaml"))
    assert isinstance(eplb, PlacementProblem)
    return [
        (
            "log-normal (sigma 1), 4 layers x 32 experts, 4096 tokens x top-8, 2 nodes x 4 GPUs "
            "x 5 slots, token scale 0.25",
            gen,
            0.25,
        ),
        (
            "EPLB README example, 2 layers x 12 experts, 2 nodes x 4 GPUs x 2 slots, token scale 4",
            eplb,
            4.0,
        ),
    ]


EXCHANGE_TABLE = [
    "placement",
    "dispatch (ms, slowest GPU summed over layers)",
    "combine (ms)",
    "bytes crossing GPUs",
    "output max abs diff",
]
TABLE = [
    "placement",
    "predicted max/mean",
    "measured max/mean",
    "slowest-GPU time summed over layers (ms)",
    "tokens crossing GPUs",
    "tokens crossing nodes",
]


def exchange_row(m: PlacementMeasure) -> list[str]:
    """One placement's all-to-all figures (a one-process-per-GPU run)."""
    assert m.dispatch_ms is not None and m.combine_ms is not None
    return [
        m.name,
        f"{exchange_ms(m.dispatch_ms):.1f}",
        f"{exchange_ms(m.combine_ms):.1f}",
        f"{m.bytes_moved}",
        f"{m.output_max_abs_diff:.1e}",
    ]


def exchange_table(res: PlacementReplayResult) -> list[str]:
    """The all-to-all figures of a one-process-per-GPU run."""
    return md_table(EXCHANGE_TABLE, (exchange_row(m) for m in res.measures.values()))


def table(res: PlacementReplayResult) -> list[str]:
    """Predicted and measured balance and the tokens that cross GPUs and nodes."""
    return md_table(
        TABLE,
        (
            [
                m.name,
                f"{m.predicted_ratio:.3f}",
                f"{m.measured_ratio:.3f}",
                f"{m.measured_max_ms:.1f}",
                f"{m.gpu_tokens_moved}",
                f"{m.node_tokens_moved}",
            ]
            for m in res.measures.values()
        ),
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--iters", type=int, default=5)
    ap.add_argument("--hidden", type=int, default=256)
    ap.add_argument("--ffn", type=int, default=512)
    ap.add_argument("--time-limit", type=float, default=5.0)
    ap.add_argument("--processes", action="store_true", help="one process per GPU (gloo)")
    ap.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = ap.parse_args()
    flags = " --processes" if args.processes else ""
    if args.output != DEFAULT_OUTPUT:
        flags += f" --output {os.path.relpath(args.output.resolve(), ROOT.parent)}"
    how = (
        "every simulated GPU is its own process (gloo), tokens move with all_to_all_single"
        if args.processes
        else "the simulated GPUs run one after another"
    )
    t0 = time.time()
    lines = [
        "# Placement replay (measured)",
        "",
        f"Command: `.venv/bin/python benchmarks/replay_placement.py --iters {args.iters} "
        f"--hidden {args.hidden} --ffn {args.ffn}{flags}`.",
        "",
        "CPU, 1 torch thread, a shared 2-core box (other jobs ran at the same time). "
        f"{how.capitalize()}; each GPU's time is the median of "
        f"{args.iters} runs of its replicas' FFNs (hidden {args.hidden}, ffn {args.ffn}, "
        "float32). Ratios are means over layers of max / mean per-GPU time (measured) or "
        "load (predicted, even split over replicas). Tokens start on GPU i % G; crossings "
        "count dispatch and combine.",
        "",
    ]
    for label, problem, scale in instances():
        sol = schedkit.solve(problem, time_limit=args.time_limit, threads=1).solution
        assert isinstance(sol, PlacementSolution)
        res = replay_placement(
            problem,
            sol,
            device="cpu",
            iters=args.iters,
            hidden=args.hidden,
            ffn=args.ffn,
            scale=scale,
            processes=args.processes,
        )
        lines += [f"## {label}", "", *table(res), ""]
        if args.processes:
            lines += [*exchange_table(res), ""]
    lines.append(f"Total time {time.time() - t0:.0f} s.")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
