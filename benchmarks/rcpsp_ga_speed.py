"""The RCPSP GA's generations compiled against the Python generations, in one process.

Each instance runs the GA with justification for the same number of schedules twice, once
per form, in alternating order (so drift in machine load falls on both), with the same seed;
one process, nothing else in flight. Writes benchmarks/results/rcpsp_ga_speed_TAG.md: time
per 1,000 schedules of each form, their ratio, and both makespans (the two forms draw
different random numbers, so the makespans differ run by run, not on average).

    .venv/bin/python benchmarks/rcpsp_ga_speed.py --group j60 --every 24 --schedules 50000
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from rcpsp_common import instances, table

import schedkit
from schedkit.models.rcpsp import RcpspProblem, RcpspSolution, validate
from schedkit.solvers.heuristics.rcpsp.ga import run_ga
from schedkit.solvers.heuristics.rcpsp.ga_kernels import warm_up

RESULTS = Path(__file__).resolve().parent / "results"
FORMS = {"compiled": True, "python": False}


def timed(problem: RcpspProblem, schedules: int, fast: bool) -> tuple[float, int]:
    """Milliseconds per 1,000 schedules and the makespan of one GA run (validated)."""
    t = time.perf_counter()
    res = run_ga(problem, schedules=schedules, target=0, compiled_generations=fast)
    per_k = (time.perf_counter() - t) / res.schedules * 1e6
    assert validate(problem, RcpspSolution(start=tuple(res.start))).feasible
    return per_k, res.makespan


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--group", default="j60")
    ap.add_argument("--every", type=int, default=24)
    ap.add_argument("--schedules", type=int, default=50_000)
    ap.add_argument("--tag", default=None)
    args = ap.parse_args()
    warm_up()
    rows, ratios = [], []
    for k, path in enumerate(instances(args.group, args.every)):
        problem = schedkit.load(path)
        assert isinstance(problem, RcpspProblem)
        order = list(FORMS) if k % 2 == 0 else list(reversed(FORMS))
        got = {form: timed(problem, args.schedules, FORMS[form]) for form in order}
        ratio = got["python"][0] / got["compiled"][0]
        ratios.append(ratio)
        times = [f"{got[form][0]:.1f}" for form in FORMS]
        rows.append([path.stem, *times, f"{ratio:.2f}", *(str(got[f][1]) for f in FORMS)])
        print(" | ".join(rows[-1]), flush=True)
    head = ["instance", "compiled ms / 1k", "python ms / 1k", "python / compiled"]
    head += ["makespan compiled", "makespan python"]
    tag = args.tag or f"{args.group}_{args.schedules}_every{args.every}"
    summary = (
        f"{len(rows)} instances, {args.schedules} schedules each: python / compiled time, "
        f"median {statistics.median(ratios):.2f}, min {min(ratios):.2f}, max {max(ratios):.2f}"
    )
    out = RESULTS / f"rcpsp_ga_speed_{tag}.md"
    title = "# RCPSP GA: compiled against Python generations"
    out.write_text(f"{title}\n\n{summary}\n\n{table(head, rows)}\n")
    print(summary)


if __name__ == "__main__":
    main()
