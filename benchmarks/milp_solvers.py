"""MILP solvers side by side: the same compiled model of one instance per kind on every solver.

Each kind's MILP is built once as `--backend milp` builds it (`schedkit.solvers.compiled`),
then solved by each available solver through schedkit's runner (no MIP start, so the solvers
start equal) with the same limit, threads and seed. Time to optimum is the runner's wall time
for a run that proved optimality. Usage:

    .venv/bin/python benchmarks/milp_solvers.py --time-limit 60 --threads 1 \
        --out benchmarks/results/milp_solvers.md
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import schedkit
from schedkit.errors import BackendUnavailable
from schedkit.solvers.compiled import compile_model
from schedkit.solvers.milp.catalogue import available_solvers
from schedkit.solvers.milp.runner import solve_model
from schedkit.solvers.result import SolveOptions

DATA = Path(os.environ.get("SCHEDKIT_DATA", Path(__file__).resolve().parents[2] / "shared/data"))
INSTANCES = [
    "instances/tardiness/releases.yaml",
    str(DATA / "psplib/j30/j301_1.sm"),
    "tests/milp/pipeline_p3_m4.yaml",
    "instances/pipeline/p4-m8.yaml",
    "tests/milp/placement_l2_e6.yaml",
    "instances/placement/eplb_example.yaml",
]


def run(path: str, solver: str, limit: float, threads: int) -> list[str]:
    """One table row: instance, solver, status, objective, bound, seconds."""
    problem = schedkit.load(path)
    params = {"milp": {"solver": solver}}
    build = SolveOptions(time_limit=limit, threads=threads, params=params)
    model = compile_model(problem, "milp", build).model
    options = SolveOptions(time_limit=limit, threads=threads, params=params)
    kind = type(problem).KIND
    started = time.perf_counter()
    try:
        res = solve_model(model, options)
    except BackendUnavailable as exc:  # gurobipy's pip licence: at most 2,000 rows/columns
        return [kind, problem.name, solver, "refused", "-", "-", str(exc)[:60]]
    seconds = time.perf_counter() - started
    fmt = lambda v: "-" if v is None else f"{v:.6g}"  # noqa: E731
    return [
        kind,
        problem.name,
        solver,
        res.status.value,
        fmt(res.objective),
        fmt(res.bound),
        f"{seconds:.2f}",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    head = ["kind", "instance", "solver", "status", "objective", "bound", "seconds"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for path in INSTANCES:
        for solver in available_solvers():
            row = run(path, solver, args.time_limit, args.threads)
            lines.append("| " + " | ".join(row) + " |")
            print(lines[-1], flush=True)
    if args.out is not None:
        args.out.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
