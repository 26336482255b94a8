"""CP-SAT alone, from scratch, on the question "is there a schedule one unit shorter than
`auto` found?", for the instances a `rcpsp_vs_pyjobshop` log leaves above best-known.

Each run builds schedkit's CP-SAT model with horizon H = the log's makespan - 1 (no hint, no
objective needed: any schedule is an improvement), one worker, no LP relaxation (as the proof
phase), and stops at the first schedule. Search variants: `default` (CP-SAT's own search) and
`strategy` (a decision strategy on the start variables, earliest start first, smallest value:
"set times"), each under every `--seeds` value. It measures how often, and how fast, a fresh
CP-SAT search finds what the GA and the proof phase missed. Resumable (JSON lines in
benchmarks/results/).

    .venv/bin/python benchmarks/rcpsp_cpsat_probe.py --from-log \\
        benchmarks/results/rcpsp_vs_pyjobshop_j60_60s_restartpop200.jsonl --time-limit 20 \\
        --seeds 1 --tag j60_20s
"""

from __future__ import annotations

import argparse
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
from schedkit.models.rcpsp.bounds import lower_bound
from schedkit.solvers.cpsat.rcpsp import build_model

RESULTS = Path(__file__).resolve().parent / "results"
VARIANTS = ("default", "strategy")


def run_one(item: tuple[str, int, str, int], time_limit: float) -> dict[str, Any]:
    """One search variant with one seed at horizon H; the seconds to the first schedule."""
    from ortools.sat.python import cp_model

    path, horizon, variant, seed = item
    start = time.monotonic()
    problem = schedkit.load(path)
    assert isinstance(problem, RcpspProblem)
    lb = int(lower_bound(problem, None))
    model, starts, cmax = build_model(problem, horizon, min(lb, horizon), None)
    if variant == "strategy":
        model.add_decision_strategy(starts, cp_model.CHOOSE_LOWEST_MIN, cp_model.SELECT_MIN_VALUE)
    solver = cp_model.CpSolver()
    p = solver.parameters
    p.num_workers, p.linearization_level, p.random_seed = 1, 0, seed
    p.stop_after_first_solution = True
    p.max_time_in_seconds = time_limit
    code = solver.solve(model)
    found = code in (cp_model.OPTIMAL, cp_model.FEASIBLE)
    return {
        "key": f"{problem.name}/{variant}/{seed}",
        "name": problem.name,
        "horizon": horizon,
        "variant": variant,
        "seed": seed,
        "status": solver.status_name(code).lower(),
        "makespan": solver.value(cmax) if found else None,
        "wall_s": round(time.monotonic() - start, 2),
    }


def report(rows: list[dict[str, Any]], runs: list[tuple[str, int]]) -> tuple[str, str]:
    """Per instance, the seconds to a schedule for every (variant, seed) ('-': none), and the
    hits per run and in all."""
    by: dict[str, dict[tuple[str, int], dict[str, Any]]] = {}
    for r in rows:
        by.setdefault(r["name"], {})[(r["variant"], r["seed"])] = r
    per = []
    for name, got in by.items():
        cells = [_cell(got.get(run)) for run in runs]
        per.append([name, next(iter(got.values()))["horizon"], *cells])
    hits = [sum(_hit(got.get(run)) for got in by.values()) for run in runs]
    union = sum(any(_hit(r) for r in got.values()) for got in by.values())
    head = [f"{v} seed {s}" for v, s in runs]
    totals = table(["instances", *head, "any"], [[len(by), *hits, union]])
    return totals, table(["instance", "H", *head], per)


def _hit(row: dict[str, Any] | None) -> bool:
    return row is not None and row["makespan"] is not None


def _cell(row: dict[str, Any] | None) -> str:
    if row is None:
        return ""
    return f"{row['wall_s']:.1f} s" if row["makespan"] is not None else "-"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--group", default="j60")
    ap.add_argument("--from-log", required=True, help="a rcpsp_vs_pyjobshop log (JSON lines)")
    ap.add_argument("--variants", default=",".join(VARIANTS), help="default and/or strategy")
    ap.add_argument("--seeds", default="1", help="CP-SAT random seeds, comma-separated")
    ap.add_argument("--time-limit", type=float, default=20.0, help="seconds per run")
    ap.add_argument("--jobs", type=int, default=2, help="runs in flight at a time")
    ap.add_argument("--tag", default="")
    args = ap.parse_args()
    variants = args.variants.split(",")
    if unknown := set(variants) - set(VARIANTS):
        ap.error(f"unknown variants {sorted(unknown)}; choose from {', '.join(VARIANTS)}")
    runs = [(v, int(s)) for s in args.seeds.split(",") for v in variants]
    files = {p.stem: p for p in instances(args.group)}
    targets = above_best_known(Path(args.from_log), references(args.group)["best"])
    tag = args.tag or f"{args.group}_{args.time_limit:g}s"
    log = RESULTS / f"rcpsp_cpsat_probe_{tag}.jsonl"
    done = load_log(log, key="key")
    todo = [
        (str(files[n]), ms - 1, v, s)
        for n, ms in targets.items()
        for v, s in runs
        if f"{n}/{v}/{s}" not in done
    ]
    wall = time.monotonic()
    run_logged(run_one, todo, (args.time_limit,), args.jobs, log)
    totals, per = report(list(load_log(log, key="key").values()), runs)
    text = [
        "# RCPSP: CP-SAT from scratch at one unit below `auto`'s makespan",
        "",
        f"Command: `.venv/bin/python benchmarks/rcpsp_cpsat_probe.py {shlex.join(sys.argv[1:])}`;"
        f" {args.time_limit:g} s per run, {args.jobs} runs in flight; the last (possibly "
        f"resumed) run took {time.monotonic() - wall:.0f} s. A cell: seconds to the first "
        "schedule at makespan <= H, or '-' (none within the limit).",
        "",
        totals,
        "",
        per,
    ]
    write_report(RESULTS / f"rcpsp_cpsat_probe_{tag}.md", text, 6)


if __name__ == "__main__":
    main()
