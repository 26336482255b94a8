"""PSPLIB j30/j60 with the CP-SAT backend: proven optima, deviation from the critical-path
bound, matches with the best-known values. Resumable (JSON lines in benchmarks/results/).

    .venv/bin/python benchmarks/rcpsp_cpsat.py --group j30 --time-limit 300 --jobs 2 --threads 1
    .venv/bin/python benchmarks/rcpsp_cpsat.py --group j60 --time-limit 10
    .venv/bin/python benchmarks/rcpsp_cpsat.py --group j60 --time-limit 60 \
        --proven-from j60_10s_every1

`--proven-from TAG` copies the rows that a shorter run (log `rcpsp_cpsat_TAG.jsonl`) already
proved optimal instead of solving them again: a longer limit returns the same proven optimum.
Copied rows keep the shorter run's wall time and say so in `reused_from`.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path
from typing import Any

from rcpsp_common import append_log, instances, load_log, references, run_logged, table

import schedkit
from schedkit.models.rcpsp.bounds import critical_path_bound

RESULTS = Path(__file__).resolve().parent / "results"


def run_one(
    path: str, time_limit: float, threads: int, backend: str, params: dict[str, Any]
) -> dict[str, Any]:
    """Solve one instance with `backend` (CP-SAT or `auto`); the row logged for it."""
    problem = schedkit.load(path)
    start = time.monotonic()
    result = schedkit.solve(problem, backend, time_limit=time_limit, threads=threads, params=params)
    return {
        "name": problem.name,
        "status": result.status.value,
        "makespan": result.objective,
        "bound": result.lower_bound,
        "cp_bound": critical_path_bound(problem),  # type: ignore[arg-type]
        "valid": result.valid,
        "wall_s": round(time.monotonic() - start, 3),
    }


def summarise(rows: list[dict[str, Any]], refs: dict[str, dict[str, int]]) -> list[list[Any]]:
    best = refs.get("best", {})
    opt = refs.get("opt", {})
    dev = [100 * (r["makespan"] - r["cp_bound"]) / r["cp_bound"] for r in rows]
    ref_dev = [100 * (best[r["name"]] - r["cp_bound"]) / r["cp_bound"] for r in rows]
    out = [
        ["instances", len(rows)],
        ["proven optimal", sum(r["status"] == "optimal" for r in rows)],
        ["all valid", all(r["valid"] for r in rows)],
        ["= best-known / optimum", sum(r["makespan"] == best.get(r["name"]) for r in rows)],
        ["better than best-known", sum(r["makespan"] < best.get(r["name"], 0) for r in rows)],
        ["mean dev. from CP bound %", f"{statistics.mean(dev):.2f}"],
        ["same for best-known values %", f"{statistics.mean(ref_dev):.2f}"],
        ["total wall s", f"{sum(r['wall_s'] for r in rows):.1f}"],
        ["mean wall s", f"{statistics.mean(r['wall_s'] for r in rows):.2f}"],
        ["max wall s", f"{max(r['wall_s'] for r in rows):.1f}"],
    ]
    unproven = sorted(r["name"] for r in rows if r["status"] != "optimal")
    out.append(["not proven (first 12)", " ".join(unproven[:12]) or "-"])
    if opt:
        wrong = [
            r["name"] for r in rows if r["status"] == "optimal" and r["makespan"] != opt[r["name"]]
        ]
        out.append(["proven optimal but != j30opt.sm", len(wrong)])
    return out


def reuse_proven(
    log: Path, done: dict[str, dict[str, Any]], source: str, group: str, every: int
) -> None:
    """Copy into `log` the rows of the `source` run that were proven optimal."""
    proven = {
        name: row
        for name, row in load_log(RESULTS / f"rcpsp_cpsat_{source}.jsonl").items()
        if row["status"] == "optimal"
    }
    for path in instances(group, every):
        if path.stem in proven and path.stem not in done:
            done[path.stem] = {**proven[path.stem], "reused_from": source}
            append_log(log, done[path.stem])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--group", default="j30")
    ap.add_argument("--time-limit", type=float, default=60.0)
    ap.add_argument("--jobs", type=int, default=2, help="processes in parallel")
    ap.add_argument("--threads", type=int, default=1, help="CP-SAT workers per process")
    ap.add_argument("--report-only", action="store_true", help="table from the log, no runs")
    ap.add_argument("--every", type=int, default=1, help="take every k-th instance")
    ap.add_argument("--backend", default="cpsat", choices=["cpsat", "auto"])
    ap.add_argument("--improve-share", type=float, default=None, help="params.improve_share")
    ap.add_argument("--params", default="{}", help="backend params as a JSON object")
    ap.add_argument("--tag", default="")
    ap.add_argument("--proven-from", default="", help="reuse proven rows of this run's log")
    args = ap.parse_args()
    tag = args.tag or f"{args.group}_{args.time_limit:g}s_every{args.every}"
    params = json.loads(args.params)
    if args.improve_share is not None:
        params["improve_share"] = args.improve_share
    run_args = (args.time_limit, args.threads, args.backend, params)
    log = RESULTS / f"rcpsp_cpsat_{tag}.jsonl"
    done = load_log(log)
    if args.proven_from:
        reuse_proven(log, done, args.proven_from, args.group, args.every)
    todo = [str(p) for p in instances(args.group, args.every) if p.stem not in done]
    todo = [] if args.report_only else todo
    wall = time.monotonic()
    run_logged(run_one, todo, run_args, args.jobs, log)
    rows = list(load_log(log).values())
    reused = sum("reused_from" in r for r in rows)
    elapsed = time.monotonic() - wall
    cmd = (
        f".venv/bin/python benchmarks/rcpsp_cpsat.py --group {args.group} --time-limit "
        f"{args.time_limit:g} --jobs {args.jobs} --threads {args.threads} --every {args.every}"
        f" --backend {args.backend}"
        + ("" if args.improve_share is None else f" --improve-share {args.improve_share:g}")
        + ("" if args.params == "{}" else f" --params '{args.params}'")
    )
    text = [
        f"# RCPSP {args.group}, {args.backend}, {args.time_limit:g} s per instance",
        "",
        f"Command: `{cmd}`",
        "",
        f"{args.jobs} process(es) x {args.threads} CP-SAT worker(s); 'total wall s' sums "
        "per-instance times; the elapsed time of the last (possibly resumed) run was "
        f"{elapsed:.0f} s. The 2-core machine was shared with other jobs: timings are "
        "pessimistic.",
        *(
            [
                "",
                f"{reused} rows were proven optimal by the `{args.proven_from}` run and copied "
                "from it (same optimum; its wall time).",
            ]
            if reused
            else []
        ),
        "",
        table(["figure", "value"], summarise(rows, references(args.group))),
    ]
    (RESULTS / f"rcpsp_cpsat_{tag}.md").write_text("\n".join(text) + "\n")
    print("\n".join(text))


if __name__ == "__main__":
    main()
