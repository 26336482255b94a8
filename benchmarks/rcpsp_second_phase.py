"""What `auto` should do with one worker once CP-SAT's proof phase ends unproven: CP-SAT's LNS
phase (`interleave_search`, restarted from the best schedule with the proven bound imposed;
the plan before) or GA restarts (a fresh population after every stall, best schedule kept).

Each instance runs the common first part once, exactly as `auto` does (GA for 10 % of the limit
until it stalls, then CP-SAT's proof phase for half of what is left); every second phase then
starts from that same best schedule and bound and gets the same remaining time, one after the
other in the same process. Writes benchmarks/results/rcpsp_second_phase_TAG.{jsonl,md}.

    .venv/bin/python benchmarks/rcpsp_second_phase.py --names j6029_10,j609_7 --time-limit 60
    .venv/bin/python benchmarks/rcpsp_second_phase.py --grid /tmp/gen120 --every 5 --offset 1
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from rcpsp_common import load_log, run_logged, table
from rcpsp_vs_pyjobshop import files_of

import schedkit
from schedkit.models.rcpsp import RcpspProblem, RcpspSolution, validate
from schedkit.models.rcpsp.schedule import makespan
from schedkit.models.rcpsp.start import exact_start
from schedkit.solvers.budget import Budget
from schedkit.solvers.cpsat import rcpsp as cpsat
from schedkit.solvers.heuristics.rcpsp.backend import solve as heuristic
from schedkit.solvers.result import SolveOptions

RESULTS = Path(__file__).resolve().parent / "results"


def lns(problem: RcpspProblem, best: list[int], bound: int, budget: Budget) -> list[int]:
    """CP-SAT's improvement phase as the `cpsat` backend runs it with one worker."""
    opts = SolveOptions(time_limit=budget.remaining(), threads=1, budget=budget)
    return cpsat.improve(problem, opts, best, bound, budget).best


def restarts(problem: RcpspProblem, best: list[int], bound: int, budget: Budget) -> list[int]:
    """The heuristic backend as `auto` runs it after the proof phase: hinted with the best
    schedule, its default restarts on."""
    opts = SolveOptions(time_limit=budget.remaining(), threads=1, budget=budget)
    out = heuristic(problem, opts, RcpspSolution(start=tuple(best)))
    sol = out.solution
    if isinstance(sol, RcpspSolution) and makespan(problem, list(sol.start)) < makespan(
        problem, best
    ):
        return list(sol.start)
    return best


def run_one(path: str, limit: float) -> dict[str, Any]:
    problem = schedkit.load(Path(path))
    assert isinstance(problem, RcpspProblem)
    opts = SolveOptions(time_limit=limit, threads=1, params={"restart": False})
    budget = opts.budget
    first = heuristic(problem, opts.with_budget(budget.split(0.1)), None)
    start = exact_start(problem, first.solution, budget)
    proof = cpsat._prove(problem, opts, start, budget.split(0.5))
    assert proof.best is not None
    row: dict[str, Any] = {
        "name": Path(path).stem,
        "first": makespan(problem, proof.best),
        "bound": proof.bound,
        "proven": proof.done,
    }
    left = budget.remaining()
    for name, phase in (("lns", lns), ("restarts", restarts)):
        t = time.monotonic()
        best = (
            proof.best
            if proof.done
            else phase(problem, proof.best, proof.bound, Budget.start(left))
        )
        assert validate(problem, RcpspSolution(start=tuple(best))).feasible
        row[name] = makespan(problem, best)
        row[f"{name}_s"] = round(time.monotonic() - t, 2)
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--group", default="j60")
    ap.add_argument("--every", type=int, default=1)
    ap.add_argument("--offset", type=int, default=0)
    ap.add_argument("--names", default="", help="comma-separated PSPLIB names")
    ap.add_argument("--folder", default="")
    ap.add_argument("--grid", default="", help="write PSPLIB's j120 grid here and use it")
    ap.add_argument("--time-limit", type=float, default=60.0)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--tag", default="")
    args = ap.parse_args()
    tag = args.tag or f"{args.group}_{args.time_limit:g}s"
    log = RESULTS / f"rcpsp_second_phase_{tag}.jsonl"
    done = load_log(log)
    todo = [str(p) for p in files_of(args) if p.stem not in done]
    wall = time.monotonic()
    run_logged(run_one, todo, (args.time_limit,), args.jobs, log)
    rows = list(load_log(log).values())
    open_rows = [r for r in rows if not r["proven"]]
    per = [[r["name"], r["first"], r["bound"], r["lns"], r["restarts"]] for r in open_rows]
    sums = [sum(r[k] for r in open_rows) for k in ("first", "lns", "restarts")]
    diff = [r["restarts"] - r["lns"] for r in open_rows]
    cmd = " ".join(["benchmarks/rcpsp_second_phase.py", *sys.argv[1:]])
    text = [
        f"# RCPSP with one worker: the phase after CP-SAT's proof phase ({args.time_limit:g} s)",
        "",
        f"Command: `.venv/bin/python {cmd}`",
        "",
        f"{args.jobs} instances at a time on a 2-core machine; the last (possibly resumed) run "
        f"took {time.monotonic() - wall:.0f} s. {len(rows) - len(open_rows)} of {len(rows)} "
        "instances were proven by the proof phase (left out below).",
        "",
        f"Summed makespans over {len(open_rows)} open instances: after the proof phase "
        f"{sums[0]}, CP-SAT LNS {sums[1]}, GA restarts {sums[2]}; restarts better / equal / "
        f"worse: {sum(d < 0 for d in diff)} / {sum(d == 0 for d in diff)} / "
        f"{sum(d > 0 for d in diff)}.",
        "",
        table(["instance", "after proof phase", "bound", "CP-SAT LNS", "GA restarts"], per),
    ]
    (RESULTS / f"rcpsp_second_phase_{tag}.md").write_text("\n".join(text) + "\n")
    print("\n".join(text[:9]))


if __name__ == "__main__":
    main()
