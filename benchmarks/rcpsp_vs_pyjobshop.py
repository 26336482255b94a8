"""schedkit `auto` against PyJobShop's CP-SAT model on the same RCPSP files, side by side.

Both solvers get the same time limit and the same number of CP-SAT workers; `--jobs` runs are
in flight at a time (default 2). PyJobShop reads the same `RcpspProblem` that schedkit solves
(converted by `to_pyjobshop`: one renewable resource per resource, one single-mode task per
activity, precedences with their delays), so both see identical data. Every PyJobShop schedule
goes through schedkit's validator. Resumable (JSON lines in benchmarks/results/). Needs the
`bench` extra: `pip install -e '.[bench]'` (pyjobshop 0.0.9).

    .venv/bin/python benchmarks/rcpsp_vs_pyjobshop.py --group j60 --every 24 --time-limit 20
    .venv/bin/python benchmarks/rcpsp_vs_pyjobshop.py --names j6013_1,j6029_3 --time-limit 20
    .venv/bin/python benchmarks/rcpsp_vs_pyjobshop.py --grid /tmp/gen120 --every 3 --time-limit 20

`--grid DIR` first writes PSPLIB's j120 parameter grid into DIR (network complexity 1.5 / 1.8 /
2.1 x resource factor 0.25 / 0.5 / 0.75 / 1 x resource strength 0.1-0.5, 4 resources, 120
activities, seed 1: the same files as `schedkit generate rcpsp --psplib --n 120 --resources 4
--nc NC --rf RF --rs RS --seed 1`), then solves every `--every`-th of the 60.
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from rcpsp_common import instances, load_log, run_logged, table, write_report

import schedkit
from schedkit.models.rcpsp import RcpspProblem, RcpspSolution
from schedkit.models.rcpsp.bounds import critical_path_bound

RESULTS = Path(__file__).resolve().parent / "results"
SOLVERS = ("schedkit", "pyjobshop")
GRID_RS = (0.1, 0.2, 0.3, 0.4, 0.5)


def to_pyjobshop(problem: RcpspProblem) -> Any:
    """PyJobShop's model of a plain RCPSP (no downtime, windows or disjunctive pairs)."""
    from pyjobshop import Model

    if problem.has_side_constraints and (
        problem.disjunctive or any(r.downtime for r in problem.resources)
    ):
        raise ValueError(f"{problem.name}: only plain RCPSP instances are converted")
    model = Model()
    resources = [model.add_renewable(capacity=r.capacity) for r in problem.resources]
    tasks = [model.add_task(earliest_start=a.release) for a in problem.activities]
    for task, a, row in zip(tasks, problem.activities, problem.demand, strict=True):
        model.add_mode(task, resources, a.duration, list(row))
    acts = problem.activities
    for p in problem.precedences:
        before, after = tasks[problem.index[p.before]], tasks[problem.index[p.after]]
        if p.type == "FS":
            model.add_end_before_start(before, after, p.lag)
        else:
            model.add_start_before_start(before, after, p.lag)
    assert len(tasks) == len(acts)
    return model


def run_pyjobshop(
    problem: RcpspProblem, time_limit: float, threads: int, seed: int | None
) -> dict[str, Any]:
    """PyJobShop's CP-SAT model: its makespan, bound and status; schedule validated here.
    `seed`: CP-SAT's `random_seed` (None: CP-SAT's default, as PyJobShop leaves it)."""
    model = to_pyjobshop(problem)
    more = {} if seed is None else {"random_seed": seed}
    res = model.solve("ortools", time_limit=time_limit, display=False, num_workers=threads, **more)
    starts = tuple(task.start for task in res.best.tasks)
    found = len(starts) == problem.n and res.objective != float("inf")
    valid = found and schedkit.validate(problem, RcpspSolution(start=starts)).feasible
    return {
        "status": res.status.value.lower(),
        "makespan": int(res.objective) if found else None,
        "bound": int(res.lower_bound),
        "valid": valid,
    }


def run_schedkit(
    problem: RcpspProblem, time_limit: float, threads: int, seed: int | None
) -> dict[str, Any]:
    """schedkit's `auto` (heuristic, then CP-SAT warm-started with its schedule); `seed`: its
    seed (None: schedkit's default, 0)."""
    more = {} if seed is None else {"seed": seed}
    result = schedkit.solve(problem, "auto", time_limit=time_limit, threads=threads, **more)
    found = result.objective is not None
    return {
        "status": result.status.value,
        "makespan": int(result.objective) if found else None,  # type: ignore[arg-type]
        "bound": int(result.lower_bound or 0),
        "valid": result.valid,
    }


def run_one(
    item: tuple[str, str], time_limit: float, threads: int, seed: int | None = None
) -> dict[str, Any]:
    """One (file, solver) run; the row logged for it."""
    path, solver = item
    problem = schedkit.load(path)
    assert isinstance(problem, RcpspProblem)
    start = time.monotonic()
    fn = run_schedkit if solver == "schedkit" else run_pyjobshop
    row = fn(problem, time_limit, threads, seed)
    return {
        "key": f"{problem.name}/{solver}",
        "name": problem.name,
        "solver": solver,
        "cp_bound": critical_path_bound(problem),
        **row,
        "wall_s": round(time.monotonic() - start, 3),
    }


def _dev(row: dict[str, Any]) -> float:
    return 100 * (row["makespan"] - row["cp_bound"]) / row["cp_bound"]


def compare(rows: list[dict[str, Any]]) -> tuple[list[list[Any]], list[list[Any]]]:
    """(per-instance rows, summary rows) over the instances both solvers answered."""
    by: dict[str, dict[str, dict[str, Any]]] = {}
    for r in rows:
        by.setdefault(r["name"], {})[r["solver"]] = r
    pairs = [(n, v["schedkit"], v["pyjobshop"]) for n, v in by.items() if len(v) == 2]
    pairs = [p for p in pairs if p[1]["makespan"] is not None and p[2]["makespan"] is not None]
    per = [
        [
            n,
            s["makespan"],
            p["makespan"],
            s["bound"],
            p["bound"],
            s["status"],
            p["status"],
            f"{s['wall_s']:.1f}",
            f"{p['wall_s']:.1f}",
        ]
        for n, s, p in pairs
    ]
    if not pairs:
        return per, []
    sk, pj = [p[1] for p in pairs], [p[2] for p in pairs]
    diff = [s["makespan"] - p["makespan"] for _, s, p in pairs]
    summary: list[list[Any]] = [
        ["instances (both answered)", len(pairs), len(pairs)],
        ["mean dev. from CP bound %"]
        + [f"{statistics.mean(_dev(r) for r in g):.2f}" for g in (sk, pj)],
        ["mean makespan"] + [f"{statistics.mean(r['makespan'] for r in g):.2f}" for g in (sk, pj)],
        ["proven optimal"] + [sum(r["status"] == "optimal" for r in g) for g in (sk, pj)],
        ["all valid"] + [all(r["valid"] for r in g) for g in (sk, pj)],
        ["mean wall s"] + [f"{statistics.mean(r['wall_s'] for r in g):.2f}" for g in (sk, pj)],
        ["max wall s"] + [f"{max(r['wall_s'] for r in g):.1f}" for g in (sk, pj)],
        [
            "schedkit better / equal / worse",
            f"{sum(d < 0 for d in diff)} / "
            f"{sum(d == 0 for d in diff)} / {sum(d > 0 for d in diff)}",
            "",
        ],
    ]
    return per, summary


def write_grid(folder: Path, n: int = 120, seed: int = 1) -> list[Path]:
    """PSPLIB's j120 grid (60 parameter combinations, one instance each) as YAML files."""
    from schedkit.generate.rcpsp_progen import generate_psplib
    from schedkit.io.rcpsp_yaml import to_yaml

    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for nc, rf, rs in itertools.product((1.5, 1.8, 2.1), (0.25, 0.5, 0.75, 1.0), GRID_RS):
        problem = generate_psplib(n, 4, nc, rf, rs, seed)
        path = folder / f"{problem.name}.yaml"
        if not path.exists():
            path.write_text(to_yaml(problem))
        paths.append(path)
    return paths


def files_of(args: argparse.Namespace) -> list[Path]:
    """The files the arguments name (`--grid`, `--folder`, `--names` or `--group`)."""
    if args.grid:
        return write_grid(Path(args.grid))[:: args.every]
    if args.folder:
        return sorted(Path(args.folder).glob("*.*"))[:: args.every]
    files = instances(args.group, args.every, args.offset)
    if args.names:
        wanted = set(args.names.split(","))
        files = [p for p in instances(args.group) if p.stem in wanted]
    return files


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--group", default="j60")
    ap.add_argument("--every", type=int, default=24, help="take every k-th instance")
    ap.add_argument("--offset", type=int, default=0)
    ap.add_argument("--names", default="", help="comma-separated PSPLIB names instead")
    ap.add_argument("--folder", default="", help="solve the files of this folder instead")
    ap.add_argument("--grid", default="", help="write PSPLIB's j120 grid here and solve it")
    ap.add_argument("--time-limit", type=float, default=20.0)
    ap.add_argument("--threads", type=int, default=1, help="CP-SAT workers per run")
    ap.add_argument("--jobs", type=int, default=2, help="runs in flight at a time")
    ap.add_argument(
        "--seed", type=int, default=None, help="both solvers' seed (default: each its own)"
    )
    ap.add_argument("--tag", default="")
    ap.add_argument("--report-only", action="store_true")
    args = ap.parse_args()
    tag = args.tag or f"{args.group}_{args.time_limit:g}s_every{args.every}"
    log = RESULTS / f"rcpsp_vs_pyjobshop_{tag}.jsonl"
    done = set(load_log(log, key="key"))
    todo = [(str(p), s) for p in files_of(args) for s in SOLVERS]
    todo = [] if args.report_only else [t for t in todo if f"{Path(t[0]).stem}/{t[1]}" not in done]
    wall = time.monotonic()
    run_logged(run_one, todo, (args.time_limit, args.threads, args.seed), args.jobs, log)
    per, summary = compare(list(load_log(log, key="key").values()))
    cmd = " ".join(["benchmarks/rcpsp_vs_pyjobshop.py", *sys.argv[1:]])
    text = [
        f"# RCPSP: schedkit auto vs PyJobShop CP-SAT, {args.time_limit:g} s x {args.threads} "
        "worker(s)",
        "",
        f"Command: `.venv/bin/python {cmd}`",
        "",
        f"{args.jobs} runs in flight at a time on a 2-core machine shared with other jobs; the "
        f"last (possibly resumed) run took {time.monotonic() - wall:.0f} s.",
        "",
        table(["figure", "schedkit auto", "PyJobShop"], summary),
        "",
        table(
            [
                "instance",
                "makespan sk",
                "makespan pjs",
                "bound sk",
                "bound pjs",
                "status sk",
                "status pjs",
                "wall s sk",
                "wall s pjs",
            ],
            per,
        ),
    ]
    write_report(RESULTS / f"rcpsp_vs_pyjobshop_{tag}.md", text, 8)


if __name__ == "__main__":
    main()
