"""The Python steps of benchmarks/gpu_check.sh: one subcommand per step, each writing JSON.

    python3 benchmarks/gpu_check.py env --out OUT/env.json
    python3 benchmarks/gpu_check.py fallback-instance --devices 4 --microbatches 8 -o OUT/x.yaml
    python3 benchmarks/gpu_check.py pipeline --instance OUT/profiled.yaml \
        --solution OUT/solution.json --device cuda [--share-gpu] --iters 5 \
        --hidden 1024 --seq 1024 --batch 4 --out OUT/pipeline.json
    python3 benchmarks/gpu_check.py placement --instance instances/placement/eplb_example.yaml \
        --device cuda [--share-gpu] --iters 5 --hidden 1024 --ffn 4096 --scale 32 \
        --out OUT/placement.json
    python3 benchmarks/gpu_check.py report --dir OUT      # writes OUT/summary.md

`pipeline` replays 1F1B, ZB-H1, ZB-H2 and the solved schedule in one set of processes
(schedkit's executor, the schedules taking turns). With ranks time-sharing one GPU (gloo) the
op durations and the re-simulated makespan are the meaningful figures; with a GPU per rank
(nccl) the measured makespan and the overlap of the ranks are too. `placement` solves the
instance, then replays schedkit's placement, the EPLB-style greedy and a naive one with the
GPUs run one after another in this process, and again with one process per GPU.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
import traceback
from collections import Counter
from pathlib import Path
from typing import Any

from replay_common import md_table

ROOT = Path(__file__).resolve().parent.parent


def write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=2, default=str) + "\n")
    print(f"wrote {path}")


def read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def env(args: argparse.Namespace) -> None:
    """Versions, the GPUs torch sees and the CPU count."""
    import os

    data: dict[str, Any] = {
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
    }
    for mod in ("torch", "numpy", "scipy", "ortools", "pyomo", "highspy", "pandas", "pydantic"):
        try:
            data[mod] = __import__(mod).__version__
        except Exception as exc:  # report what is missing, keep going
            data[mod] = f"missing ({type(exc).__name__}: {exc})"
    import torch

    data["cuda_available"] = torch.cuda.is_available()
    data["cuda_version"] = torch.version.cuda
    data["gpus"] = torch.cuda.device_count() if torch.cuda.is_available() else 0
    data["gpu_names"] = [torch.cuda.get_device_name(i) for i in range(data["gpus"])]
    data["nccl"] = torch.distributed.is_nccl_available()
    data["gloo"] = torch.distributed.is_gloo_available()
    write_json(args.out, data)
    print(json.dumps(data, indent=2))


def fallback_instance(args: argparse.Namespace) -> None:
    """A pipeline instance with unit times (used only when the profile step failed)."""
    from schedkit.execute import write_pipeline_yaml
    from schedkit.models.pipeline import PipelineProblem

    problem = PipelineProblem(
        name=f"fallback-p{args.devices}-m{args.microbatches}",
        devices=args.devices,
        microbatches=args.microbatches,
        times={"F": 1.0, "B": 1.0, "W": 1.0},
        memory={"F": 1.0, "B": -0.5, "W": -0.5, "limit": 2 * args.devices - 1},
        objective="makespan",
    )
    write_pipeline_yaml(problem, str(args.output), comment="fallback: the profile step failed")
    print(f"wrote {args.output}")


def busy_ms(op_ms: dict[str, float], orders: list[list[tuple[str, int, int]]]) -> float:
    """Sum over every op of the schedule of its (kind, stage)'s measured mean duration."""
    counts = Counter(f"{k}{s}" for row in orders for (k, s, _) in row)
    return sum(op_ms[key] * n for key, n in counts.items() if key in op_ms)


def pipeline(args: argparse.Namespace) -> None:
    """Replay 1F1B (baseline), ZB-H1, ZB-H2 and the solved schedule in one set of ranks."""
    import schedkit
    from schedkit.execute.common import time_shared
    from schedkit.execute.pipeline import replay_pipeline
    from schedkit.execute.profile import device_name
    from schedkit.io.solution import load_solution
    from schedkit.models.pipeline import PipelineProblem, PipelineSolution
    from schedkit.models.pipeline.references import build

    problem = schedkit.load(str(args.instance))
    assert isinstance(problem, PipelineProblem)
    others = {n: s for n in ("zb-h1", "zb-h2") if (s := build(problem, n)) is not None}
    if args.solution is not None and args.solution.exists():
        sol = load_solution(problem, args.solution)
        assert isinstance(sol, PipelineSolution)
        report = schedkit.validate(problem, sol)
        if not report.feasible:
            raise SystemExit(f"invalid solution: {report.violations[0].message}")
        main = sol.model_copy(update={"name": "schedkit"})
    else:
        print("no solution: replaying the references only", file=sys.stderr)
        main = others.pop("zb-h1")
    t0 = time.perf_counter()
    res = replay_pipeline(
        problem,
        main,
        device=args.device,
        iters=args.iters,
        warmup=args.warmup,
        hidden=args.hidden,
        seq=args.seq,
        batch=args.batch,
        others=others,
        share_gpu=args.share_gpu,
    )
    wall = time.perf_counter() - t0
    print(res.summary())
    data = res.to_dict()
    data["wall_s"] = round(wall, 2)
    data["time_shared"] = time_shared(res.device, res.backend)
    data["device_name"] = device_name(res.device)
    sols = {main.name or "schedkit": main, **others}
    base = build(problem, "1f1b")
    if base is not None:
        sols.setdefault("1f1b", base)
    for name, m in data["measures"].items():
        if name in sols and "op_ms" in m:
            busy = busy_ms(m["op_ms"], sols[name].orders(problem.devices))
            m["busy_ms"] = round(busy, 3)
            m["overlap"] = round(busy / m["measured_makespan"], 3)
    write_json(args.out, data)


def placement(args: argparse.Namespace) -> None:
    """Solve the placement instance, then replay it in one process and one process per GPU."""
    import schedkit
    from schedkit.execute.placement import replay_placement
    from schedkit.execute.profile import device_name
    from schedkit.models.placement import PlacementProblem, PlacementSolution

    problem = schedkit.load(str(args.instance))
    assert isinstance(problem, PlacementProblem)
    result = schedkit.solve(problem, time_limit=args.time_limit, threads=args.threads)
    sol = result.solution
    assert isinstance(sol, PlacementSolution)
    data: dict[str, Any] = {
        "instance": str(args.instance),
        "solve": {
            "status": str(result.status),
            "objective": result.objective,
            "backend": result.backend,
            "runtime_s": round(result.runtime_s, 2),
        },
    }
    common = {
        "device": args.device,
        "iters": args.iters,
        "hidden": args.hidden,
        "ffn": args.ffn,
        "scale": args.scale,
    }
    for mode, processes in (("one_process", False), ("processes", True)):
        t0 = time.perf_counter()
        try:
            res = replay_placement(
                problem, sol, processes=processes, share_gpu=args.share_gpu, **common
            )
        except Exception as exc:  # keep the other mode's figures
            traceback.print_exc()
            data[mode] = {"error": f"{type(exc).__name__}: {exc}"}
            continue
        print(res.summary())
        data[mode] = {
            **res.to_dict(),
            "wall_s": round(time.perf_counter() - t0, 2),
            "device_name": device_name(res.device),
        }
    write_json(args.out, data)
    if any("error" in data[m] for m in ("one_process", "processes")):
        raise SystemExit(1)


def fmt(value: Any, spec: str = ".2f") -> str:
    return "-" if value is None else format(value, spec)


def profile_section(prof: dict[str, Any] | None) -> list[str]:
    if not prof:
        return ["## Profile", "", "No profile (see profile.log).", ""]
    head = ["stage", "F (ms)", "B (ms)", "W (ms)", "BW fused (ms)", "BW / (B + W)"]
    rows = [
        [str(s), *(cell(st[k]) for k in ("F", "B", "W", "BW")), fmt(st["BW_over_B_plus_W"], ".3f")]
        for s, st in enumerate(prof["stages"])
    ]
    return [
        "## Profile (`schedkit profile`)",
        "",
        f"{prof['device']} ({prof['device_name']}), torch {prof['torch']}, block sizes "
        f"{prof['sizes']}, {prof['iters']} timed iterations after {prof['warmup']} warm-up; "
        "median [min-max] ±std over the iterations.",
        "",
        *md_table(head, rows),
        "",
    ]


def cell(s: dict[str, float]) -> str:
    return f"{s['median']:.3f} [{s['min']:.3f}-{s['max']:.3f}] ±{s['std']:.3f}"


def pipeline_section(pipe: dict[str, Any] | None, solve: dict[str, Any] | None) -> list[str]:
    lines = ["## Pipeline replay", ""]
    if solve:
        lines += [
            f"Solve of the profiled instance: {solve.get('status')}, objective "
            f"{fmt(solve.get('objective'))} (lower bound {fmt(solve.get('lower_bound'))}), "
            f"backend {solve.get('backend')}, {fmt(solve.get('runtime_s'))} s.",
            "",
        ]
    if not pipe:
        return [*lines, "No pipeline replay (see pipeline.log).", ""]
    shared = pipe.get("time_shared")
    label = (
        f"{pipe['devices']} ranks **time-sharing** one {pipe['device_name']} over gloo: the op "
        "durations and the re-simulated makespan are meaningful; the measured makespan is "
        "the ranks taking turns on one GPU, not a pipeline, and the overlap is not meaningful"
        if shared
        else f"{pipe['devices']} ranks on {pipe['device']} ({pipe['device_name']}), "
        f"{pipe['backend']}"
    )
    lines += [
        f"{label}; m = {pipe['microbatches']}, {pipe['iters']} timed iterations, sizes "
        f"{pipe['sizes']}, wall {pipe.get('wall_s')} s. Predicted: the profiled instance "
        "(ms); re-simulated: the schedule's orders timed with the measured mean op durations "
        "and cross-device latency; overlap: summed op time over the measured makespan (ranks "
        "busy at once).",
        "",
    ]
    base = pipe.get("baseline")
    ms = pipe["measures"]
    head = [
        "schedule",
        "predicted (ms)",
        "re-simulated (ms)",
        "measured" + (" (time-shared)" if shared else "") + " (ms)",
        "predicted speedup",
        "re-simulated speedup",
        "overlap",
        "grad max diff",
    ]
    rows = []
    for name, m in ms.items():
        b = ms.get(base) if base else None
        rows.append(
            [
                name,
                fmt(m["predicted_makespan"]),
                fmt(m["resimulated_makespan"]),
                fmt(m["measured_makespan"]),
                fmt(b["predicted_makespan"] / m["predicted_makespan"] if b else None, ".3f"),
                fmt(b["resimulated_makespan"] / m["resimulated_makespan"] if b else None, ".3f"),
                fmt(m.get("overlap"), ".2f") + (" (n/a)" if shared else ""),
                fmt(m.get("grad_max_abs_diff"), ".1e"),
            ]
        )
    lines += [*md_table(head, rows), ""]
    lines += ["Mean op durations (ms): " + "; ".join(f"{k}: {m['op_ms']}" for k, m in ms.items())]
    return [*lines, ""]


def placement_section(pl: dict[str, Any] | None) -> list[str]:
    lines = ["## Placement replay (expert FFNs)", ""]
    if not pl:
        return [*lines, "No placement replay (see placement.log).", ""]
    s = pl["solve"]
    lines += [
        f"`{pl['instance']}`, solved: {s['status']}, objective {fmt(s['objective'])} "
        f"({s['backend']}, {s['runtime_s']} s).",
        "",
    ]
    for mode in ("one_process", "processes"):
        r = pl.get(mode)
        if not r:
            continue
        if "error" in r:
            lines += [f"{mode}: error: {r['error']}", ""]
            continue
        how = (
            "GPUs run one after another in one process"
            if r["processes"] == 1
            else f"one process per GPU ({r['backend']}"
            + (
                ", **time-sharing** the GPU: compute times meaningful, exchange times not)"
                if r.get("time_shared")
                else ")"
            )
        )
        lines += [
            f"{how} on {r['device']} ({r['device_name']}), hidden {r['hidden']}, ffn "
            f"{r['ffn']}, token scale {r['scale']}, {r['iters']} iterations, wall "
            f"{r['wall_s']} s:",
            "",
        ]
        head = [
            "placement",
            "predicted max/mean",
            "measured max/mean",
            "slowest-GPU sum (ms)",
            "tokens moved (GPU / node)",
            "dispatch + combine (ms)",
            "output diff",
        ]
        rows = []
        for name, m in r["measures"].items():
            exch = (
                fmt(sum(max(x) for x in m["dispatch_ms"]) + sum(max(x) for x in m["combine_ms"]))
                if m.get("dispatch_ms")
                else "-"
            )
            rows.append(
                [
                    name,
                    fmt(m["predicted_ratio"], ".3f"),
                    fmt(m["measured_ratio"], ".3f"),
                    fmt(m["measured_max_ms"]),
                    f"{m['gpu_tokens_moved']} / {m['node_tokens_moved']}",
                    exch,
                    fmt(m.get("output_max_abs_diff"), ".1e"),
                ]
            )
        lines += [*md_table(head, rows), ""]
    return lines


def report(args: argparse.Namespace) -> None:
    """summary.md from the steps' JSON files and steps.tsv."""
    d: Path = args.dir
    envd = read_json(d / "env.json") or {}
    steps = []
    if (d / "steps.tsv").exists():
        steps = [ln.split("\t") for ln in (d / "steps.tsv").read_text().splitlines() if ln]
    gpus = envd.get("gpu_names") or []
    lines = [
        "# GPU check",
        "",
        f"Date: {envd.get('date', time.strftime('%Y-%m-%d'))}. Device: "
        f"{args.device}; GPUs: {', '.join(gpus) if gpus else 'none'}; torch "
        f"{envd.get('torch')} (CUDA {envd.get('cuda_version')}), Python "
        f"{envd.get('python')}, {envd.get('cpus')} CPUs.",
        "",
        "## Steps",
        "",
        *md_table(["step", "status", "seconds", "note"], ([*s, ""][:4] for s in steps)),
        "",
        *profile_section(read_json(d / "profile.json")),
        *pipeline_section(read_json(d / "pipeline.json"), read_json(d / "solve.json")),
        *placement_section(read_json(d / "placement.json")),
    ]
    (d / "summary.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("env")
    p.add_argument("--out", type=Path, required=True)
    p = sub.add_parser("fallback-instance")
    p.add_argument("--devices", type=int, required=True)
    p.add_argument("--microbatches", type=int, required=True)
    p.add_argument("-o", "--output", type=Path, required=True)
    for name in ("pipeline", "placement"):
        p = sub.add_parser(name)
        p.add_argument("--instance", type=Path, required=True)
        p.add_argument("--device", default="cuda")
        p.add_argument("--share-gpu", action="store_true")
        p.add_argument("--iters", type=int, default=5)
        p.add_argument("--hidden", type=int, default=None)
        p.add_argument("--out", type=Path, required=True)
        if name == "pipeline":
            p.add_argument("--solution", type=Path, default=None)
            p.add_argument("--warmup", type=int, default=1)
            p.add_argument("--seq", type=int, default=None)
            p.add_argument("--batch", type=int, default=None)
        else:
            p.add_argument("--ffn", type=int, default=512)
            p.add_argument("--scale", type=float, default=1.0)
            p.add_argument("--time-limit", type=float, default=10.0)
            p.add_argument("--threads", type=int, default=1)
    p = sub.add_parser("report")
    p.add_argument("--dir", type=Path, required=True)
    p.add_argument("--device", default="cuda")
    args = ap.parse_args()
    if args.cmd == "placement" and args.hidden is None:
        args.hidden = 256
    {
        "env": env,
        "fallback-instance": fallback_instance,
        "pipeline": pipeline,
        "placement": placement,
        "report": report,
    }[args.cmd](args)


if __name__ == "__main__":
    main()
