"""The RCPSP heuristic (GA + forward-backward improvement) with a budget of generated schedules,
the standard comparison of Kolisch and Hartmann (2006): mean deviation from the optimum (j30)
or from the critical-path bound (j60). Every SGS pass (forward or backward) counts as one
schedule. Resumable (JSON lines in benchmarks/results/).

    .venv/bin/python benchmarks/rcpsp_heuristic.py --group j30 --schedules 5000 --every 10
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path
from typing import Any

from rcpsp_common import instances, load_log, references, run_logged, table

import schedkit
from schedkit.models.rcpsp import RcpspProblem, RcpspSolution
from schedkit.models.rcpsp.bounds import critical_path_bound
from schedkit.solvers.heuristics.rcpsp import sgs_kernels
from schedkit.solvers.heuristics.rcpsp.ga import run_ga

RESULTS = Path(__file__).resolve().parent / "results"


def run_one(path: Path, schedules: int, seed: int) -> dict[str, Any]:
    problem = schedkit.load(path)
    assert isinstance(problem, RcpspProblem)
    start = time.monotonic()
    res = run_ga(problem, schedules=schedules, seed=seed, target=0)
    report = schedkit.validate(problem, RcpspSolution(start=tuple(res.start)))
    return {
        "name": problem.name,
        "makespan": res.makespan,
        "schedules": res.schedules,
        "cp_bound": critical_path_bound(problem),
        "valid": report.feasible and report.objective == res.makespan,
        "wall_s": round(time.monotonic() - start, 3),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--group", default="j30")
    ap.add_argument("--schedules", type=int, default=5000)
    ap.add_argument("--report-only", action="store_true", help="table from the log, no runs")
    ap.add_argument("--every", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--jobs", type=int, default=1, help="instances solved in parallel")
    args = ap.parse_args()
    tag = f"{args.group}_{args.schedules}_every{args.every}"
    log = RESULTS / f"rcpsp_heuristic_{tag}.jsonl"
    done = load_log(log)
    todo = [] if args.report_only else instances(args.group, args.every)
    todo = [path for path in todo if path.stem not in done]
    run_logged(run_one, todo, (args.schedules, args.seed), args.jobs, log)
    rows = list(load_log(log).values())
    refs = references(args.group)
    opt, best = refs.get("opt", {}), refs.get("best", {})
    dev_cp = [100 * (r["makespan"] - r["cp_bound"]) / r["cp_bound"] for r in rows]
    figures: list[list[Any]] = [
        ["instances", len(rows)],
        ["all valid", all(r["valid"] for r in rows)],
    ]
    if opt:
        dev_opt = [100 * (r["makespan"] - opt[r["name"]]) / opt[r["name"]] for r in rows]
        figures.append(["mean dev. from optimum %", f"{statistics.mean(dev_opt):.2f}"])
        figures.append(["optimum reached", sum(r["makespan"] == opt[r["name"]] for r in rows)])
    figures.append(["mean dev. from CP bound %", f"{statistics.mean(dev_cp):.2f}"])
    ref_dev = [100 * (best[r["name"]] - r["cp_bound"]) / r["cp_bound"] for r in rows]
    figures.append(
        ["same for best-known values (this subset) %", f"{statistics.mean(ref_dev):.2f}"]
    )
    figures.append(["= best-known", sum(r["makespan"] == best[r["name"]] for r in rows)])
    figures.append(
        ["mean wall s per instance", f"{statistics.mean(r['wall_s'] for r in rows):.2f}"]
    )
    cmd = (
        f".venv/bin/python benchmarks/rcpsp_heuristic.py --group {args.group} --schedules "
        f"{args.schedules} --every {args.every} --seed {args.seed} --jobs {args.jobs}"
    )
    how = "serial SGS and GA generations compiled (numba)"
    text = [
        f"# RCPSP {args.group}, heuristic (GA + FBI), {args.schedules} schedules",
        "",
        f"Command: `{cmd}`",
        "",
        f"Instances: every {args.every}-th file in (parameter, instance) order. "
        f"{args.jobs} process(es), "
        f"{how if sgs_kernels.available() else 'pure Python'}, "
        "on a shared 2-core machine (timings pessimistic).",
        "",
        table(["figure", "value"], figures),
    ]
    (RESULTS / f"rcpsp_heuristic_{tag}.md").write_text("\n".join(text) + "\n")
    print("\n".join(text))


if __name__ == "__main__":
    main()
