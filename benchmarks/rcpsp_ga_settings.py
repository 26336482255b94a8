"""The RCPSP heuristic alone at a time limit under several parameter sets, side by side in one
run: for each instance every set runs back to back, 2 runs in flight at a time, so machine
noise falls on all sets alike. Reports summed makespans, the excess over PSPLIB's best-known
values, and better / worse per instance against the first set. Resumable (JSON lines in
benchmarks/results/).

    .venv/bin/python benchmarks/rcpsp_ga_settings.py --from-log \\
        benchmarks/results/rcpsp_vs_pyjobshop_j60_60s_stall60.jsonl --time-limit 20 \\
        --sets '{"pop_size": 100}' '{"pop_size": 200}' '{"pop_size": 400}' --tag pop
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
from pathlib import Path
from typing import Any

from rcpsp_common import (
    above_best_known,
    instances,
    load_log,
    references,
    run_logged,
    table,
    write_report,
)

import schedkit
from schedkit.models.rcpsp import RcpspProblem

RESULTS = Path(__file__).resolve().parent / "results"


def run_one(item: tuple[str, str], time_limit: float, seed: int) -> dict[str, Any]:
    """The heuristic backend on one file with one parameter set (JSON text)."""
    path, params = item
    problem = schedkit.load(path)
    assert isinstance(problem, RcpspProblem)
    result = schedkit.solve(
        problem, "heuristic", time_limit=time_limit, threads=1, seed=seed, params=json.loads(params)
    )
    return {
        "name": f"{problem.name}/{params}",
        "instance": problem.name,
        "params": params,
        "makespan": result.objective,
        "valid": result.valid,
        "runtime_s": round(result.runtime_s, 3),
    }


def summary(rows: dict[str, dict[str, Any]], sets: list[str], best: dict[str, int]) -> str:
    """Per set: instances, summed makespans and excess, better / equal / worse than set 1."""
    first = {r["instance"]: r["makespan"] for r in rows.values() if r["params"] == sets[0]}
    out = []
    for params in sets:
        mine = {r["instance"]: r["makespan"] for r in rows.values() if r["params"] == params}
        common = [n for n in mine if n in first]
        valid = all(r["valid"] for r in rows.values() if r["params"] == params)
        out.append(
            [
                f"`{params}`",
                len(mine),
                f"{sum(mine.values()):,.0f}",
                f"{sum(mine[n] - best[n] for n in mine):,.0f}",
                sum(mine[n] < first[n] for n in common),
                sum(mine[n] == first[n] for n in common),
                sum(mine[n] > first[n] for n in common),
                "yes" if valid else "NO",
            ]
        )
    header = ["params", "instances", "summed makespans", "excess over best-known"]
    header += ["better than the first", "equal", "worse", "all valid"]
    return table(header, out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--group", default="j60")
    ap.add_argument("--from-log", default="", help="the instances above best-known in this log")
    ap.add_argument("--names", default="", help="comma-separated PSPLIB names instead")
    ap.add_argument("--sets", nargs="+", default=["{}"], help="parameter sets (JSON objects)")
    ap.add_argument("--time-limit", type=float, default=20.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--jobs", type=int, default=2, help="runs in flight at a time")
    ap.add_argument("--tag", default="")
    ap.add_argument("--report-only", action="store_true")
    args = ap.parse_args()
    best = references(args.group)["best"]
    sets = [json.dumps(json.loads(s), sort_keys=True) for s in args.sets]
    files = {p.stem: p for p in instances(args.group)}
    names = args.names.split(",") if args.names else []
    if args.from_log:
        names = list(above_best_known(Path(args.from_log), best))
    tag = args.tag or f"{args.group}_{args.time_limit:g}s"
    log = RESULTS / f"rcpsp_ga_settings_{tag}.jsonl"
    done = load_log(log)
    todo = [(str(files[n]), s) for n in names for s in sets if f"{n}/{s}" not in done]
    wall = time.monotonic()
    run_logged(
        run_one, [] if args.report_only else todo, (args.time_limit, args.seed), args.jobs, log
    )
    text = [
        f"# RCPSP heuristic alone at {args.time_limit:g} s x 1 worker, parameter sets side by side",
        "",
        f"Command: `.venv/bin/python benchmarks/rcpsp_ga_settings.py {shlex.join(sys.argv[1:])}`; "
        f"{len(names)} instances, {args.jobs} runs in flight; the last (possibly resumed) run "
        f"took {time.monotonic() - wall:.0f} s.",
        "",
        summary(load_log(log), sets, best),
    ]
    write_report(RESULTS / f"rcpsp_ga_settings_{tag}.md", text, len(text))


if __name__ == "__main__":
    main()
