"""Pipeline: schedkit's heuristic and `auto` beside every reference, on the issue's grid.

p in {4, 8, 16}, m in {2p, 4p}, three time profiles (uniform F = B = W = 1; non-uniform F 1,
B 1.1, W 0.6, comm 0.05; heterogeneous: the non-uniform times scaled per stage by a factor in
[0.75, 1.25], seeded by p, comm 0.05), memory F 1, B = W = -0.5, limits p and 2p - 1, span
objective. Columns: every applicable reference (the closed forms, the Zero Bubble repository's
greedy scheduler `zb-greedy`, schedkit's `list-greedy`, torch's schedule classes `torch-*`,
"—" where infeasible under the limit), schedkit's heuristic at its default limit, `auto` at
the given limit (default threads, 2), the lower bound (the best proven by either solve), the
gap of the better of the two to it and the wall time of both solves. Prints a
Markdown table and the summary (cases worse than any reference, ratios to ZB's greedy and to
the best torch schedule, mean and max gap).

    .venv/bin/python benchmarks/pipeline_vs_references.py [--time-limit 10] [--quick] [--no-auto]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from dataclasses import dataclass, field

import schedkit
from schedkit.models.pipeline import PipelineProblem
from schedkit.models.pipeline.references import REFERENCES, feasible_references

PROFILES = ("uniform", "non-uniform", "heterogeneous")
BASE = {"F": 1.0, "B": 1.1, "W": 0.6}


def times(profile: str, p: int) -> tuple[dict[str, object], float]:
    """Per-kind times (a number or one per stage) and the comm delay of a profile."""
    if profile == "uniform":
        return {"F": 1.0, "B": 1.0, "W": 1.0}, 0.0
    if profile == "non-uniform":
        return dict(BASE), 0.05
    rng = random.Random(p)
    scale = [round(rng.uniform(0.75, 1.25), 2) for _ in range(p)]
    return {k: [round(v * f, 3) for f in scale] for k, v in BASE.items()}, 0.05


def problem(p: int, m: int, profile: str, limit: float) -> PipelineProblem:
    t, comm = times(profile, p)
    return PipelineProblem(
        name=f"p{p}-m{m}-{profile}-L{limit:g}",
        devices=p,
        microbatches=m,
        times=t,
        comm=comm,
        memory={"F": 1.0, "B": -0.5, "W": -0.5, "limit": limit},
    )


@dataclass
class Row:
    name: str
    refs: dict[str, float]
    heuristic: float
    auto: float | None
    bound: float
    seconds: tuple[float, float]
    notes: list[str] = field(default_factory=list)

    @property
    def best(self) -> float:
        return min(x for x in (self.heuristic, self.auto) if x is not None)

    def worse_than_reference(self) -> list[str]:
        best_ref = min(self.refs.values())
        out = []
        if self.heuristic > best_ref + 1e-6:
            out.append(f"heuristic {self.heuristic:.4g} > {best_ref:.4g}")
        if self.auto is not None and self.auto > best_ref + 1e-6:
            out.append(f"auto {self.auto:.4g} > {best_ref:.4g}")
        return out


def run_row(pb: PipelineProblem, time_limit: float, auto: bool) -> Row:
    refs = {n: float(r.objective or 0) for n, (_, r) in feasible_references(pb).items()}
    t0 = time.monotonic()
    heur = schedkit.solve(pb, backend="heuristic")
    t1 = time.monotonic()
    res = schedkit.solve(pb, backend="auto", time_limit=time_limit) if auto else None
    t2 = time.monotonic()
    bound = max(x.lower_bound or 0.0 for x in (heur, res) if x is not None)
    return Row(
        pb.name or "",
        refs,
        float(heur.objective or 0),
        None if res is None else float(res.objective or 0),
        bound,
        (t1 - t0, t2 - t1),
    )


def table(rows: list[Row], names: list[str]) -> str:
    head = ["instance", *names, "heuristic", "auto", "bound", "gap", "time h / auto (s)"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        cells = [f"{r.refs[n]:.4g}" if n in r.refs else "—" for n in names]
        auto = "—" if r.auto is None else f"{r.auto:.4g}"
        gap = 100 * (r.best - r.bound) / r.best
        lines.append(
            f"| {r.name} | "
            + " | ".join(cells)
            + f" | {r.heuristic:.4g} | {auto} | {r.bound:.4g} | {gap:.2f}% | "
            + f"{r.seconds[0]:.1f} / {r.seconds[1]:.1f} |"
        )
    return "\n".join(lines)


def summary(rows: list[Row]) -> str:
    worse = [(r.name, w) for r in rows for w in r.worse_than_reference()]
    zb = [r.best / r.refs["zb-greedy"] for r in rows if "zb-greedy" in r.refs]
    torch_best = [
        r.best / min(v for n, v in r.refs.items() if n.startswith("torch-"))
        for r in rows
        if any(n.startswith("torch-") for n in r.refs)
    ]
    heur_zb = [r.heuristic / r.refs["zb-greedy"] for r in rows if "zb-greedy" in r.refs]
    gaps = [100 * (r.best - r.bound) / r.best for r in rows]
    auto_gaps = [100 * (r.auto - r.bound) / r.auto for r in rows if r.auto is not None]
    lines = [
        f"- rows: {len(rows)}; cases worse than any reference: {len(worse)} {worse or ''}",
        f"- heuristic / zb-greedy: mean {statistics.mean(heur_zb):.4f}, max {max(heur_zb):.4f}",
        f"- best / zb-greedy: mean {statistics.mean(zb):.4f}, max {max(zb):.4f}",
    ]
    if torch_best:
        lines.append(
            f"- best / best torch schedule: mean {statistics.mean(torch_best):.4f}, "
            f"max {max(torch_best):.4f}"
        )
    lines.append(
        f"- gap of the best to the bound: mean {statistics.mean(gaps):.2f}%, max {max(gaps):.2f}%"
    )
    if auto_gaps:
        lines.append(
            f"- gap of auto to the bound: mean {statistics.mean(auto_gaps):.2f}%, "
            f"max {max(auto_gaps):.2f}%"
        )
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--time-limit", type=float, default=10.0)
    ap.add_argument("--quick", action="store_true", help="p in {4, 8} only")
    ap.add_argument("--no-auto", action="store_true", help="references and heuristic only")
    args = ap.parse_args()
    rows = []
    for p in (4, 8) if args.quick else (4, 8, 16):
        for m in (2 * p, 4 * p):
            for profile in PROFILES:
                for limit in (float(p), 2.0 * p - 1):
                    pb = problem(p, m, profile, limit)
                    rows.append(run_row(pb, args.time_limit, not args.no_auto))
                    print(rows[-1].name, rows[-1].best, rows[-1].bound, flush=True)
    names = [n for n in REFERENCES if any(n in r.refs for r in rows)]
    print(table(rows, names))
    print(summary(rows))


if __name__ == "__main__":
    main()
