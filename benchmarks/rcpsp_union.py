"""How far apart independent heuristic runs land, and what their union would give: reads
`rcpsp_ga_settings` logs (each parameter set of each log is one run; runs with the same seed
and settings are not independent) on the instances a `rcpsp_vs_pyjobshop` log leaves above
best-known.

Reports each run's summed makespans, and for the per-instance best of k runs drawn from them
(averaged over every choice of k) the expected sum and the mean deviation from the
critical-path bound over the whole group, the comparison log's makespans on those instances
replaced by the best of the k runs (its other rows unchanged). It measures how much compute
the current method would need for a target, not a method: k runs cost k times the time.

    .venv/bin/python benchmarks/rcpsp_union.py --base \\
        benchmarks/results/rcpsp_vs_pyjobshop_j60_60s_restartpop200.jsonl \\
        --runs benchmarks/results/rcpsp_ga_settings_j60_20s_{mutation,tiebreak,parallel}.jsonl
"""

from __future__ import annotations

import argparse
import itertools
import shlex
import statistics
import sys
from pathlib import Path
from typing import Any

from rcpsp_common import load_log, table, write_report

RESULTS = Path(__file__).resolve().parent / "results"


def runs_of(paths: list[Path], names: set[str]) -> dict[str, dict[str, float]]:
    """Makespans per instance of every (log, parameter set) that covers all of `names`."""
    runs: dict[str, dict[str, float]] = {}
    for path in paths:
        for row in load_log(path).values():
            runs.setdefault(f"{path.stem} {row['params']}", {})[row["instance"]] = row["makespan"]
    return {k: v for k, v in runs.items() if names <= set(v)}


def mean_deviation(base: dict[str, dict[str, Any]], makespan: dict[str, float]) -> float:
    """Mean % above the critical-path bound over every instance of `base`."""
    dev = [100 * (makespan[n] - r["cp_bound"]) / r["cp_bound"] for n, r in base.items()]
    return sum(dev) / len(dev)


def best_of(
    runs: list[dict[str, float]], names: list[str], k: int, base: dict[str, dict[str, Any]]
) -> tuple[float, float]:
    """Expected summed per-instance best of k runs over every choice of k of `runs`, and the
    expected mean deviation of `base` with those makespans on `names`."""
    own = {n: r["makespan"] for n, r in base.items()}
    sums, means = [], []
    for chosen in itertools.combinations(runs, k):
        best = {n: min(run[n] for run in chosen) for n in names}
        sums.append(sum(best.values()))
        means.append(mean_deviation(base, {**own, **best}))
    return statistics.mean(sums), statistics.mean(means)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--base", required=True, help="a rcpsp_vs_pyjobshop log (JSON lines)")
    ap.add_argument("--runs", nargs="+", required=True, help="rcpsp_ga_settings logs")
    ap.add_argument("--tag", default="j60_20s")
    args = ap.parse_args()
    rows = load_log(Path(args.base), key="key").values()
    base = {r["name"]: r for r in rows if r["solver"] == "schedkit"}
    names = sorted({r["instance"] for r in load_log(Path(args.runs[0])).values()})
    runs = runs_of([Path(p) for p in args.runs], set(names))
    if not runs:
        sys.exit("no run covers every instance of the first log")
    own = {n: r["makespan"] for n, r in base.items()}
    union = {**own, **{n: min(own[n], *(run[n] for run in runs.values())) for n in names}}
    per_run = [[k, f"{sum(v[n] for n in names):,.0f}"] for k, v in runs.items()]
    listed = list(runs.values())
    by_k = []
    for k in range(1, len(listed) + 1):
        total, mean = best_of(listed, names, k, base)
        by_k.append([k, f"{total:,.1f}", f"{mean:.3f} %"])
    text = [
        "# RCPSP: independent heuristic runs and their union",
        "",
        f"Command: `.venv/bin/python benchmarks/rcpsp_union.py {shlex.join(sys.argv[1:])}`; "
        f"{len(names)} instances, {len(runs)} runs.",
        "",
        table(["run", "summed makespans"], per_run),
        "",
        table(["best of k runs", "expected summed makespans", "mean deviation"], by_k),
        "",
        f"The base log's own sum on these instances: {sum(own[n] for n in names):,.0f}; "
        f"mean deviation from the critical-path bound over its {len(base)} instances: "
        f"{mean_deviation(base, own):.3f} %, with the best of all runs on these instances: "
        f"{mean_deviation(base, union):.3f} %.",
    ]
    write_report(RESULTS / f"rcpsp_union_{args.tag}.md", text, 10)


if __name__ == "__main__":
    main()
