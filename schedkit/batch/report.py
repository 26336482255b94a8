"""Summaries of bench rows per instance set and backend: Markdown, CSV and plots."""

from __future__ import annotations

import csv
import io
import math
from collections import defaultdict
from pathlib import Path
from statistics import mean
from typing import Any

EPS = 1e-6
SUMMARY_COLUMNS = (
    "set",
    "backend",
    "time_limit",
    "count",
    "failed",
    "optimal",
    "eq_best",
    "mean_gap_%",
    "max_gap_%",
    "mean_dev_lb_%",
    "mean_time_s",
    "max_time_s",
)


def _dev_lb(row: dict[str, Any]) -> float | None:
    obj, lb = row.get("objective"), row.get("lower_bound")
    if obj is None or lb is None or lb <= 0:
        return None
    return (obj - lb) / lb


def summarise(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One line per (set, backend, time limit)."""
    groups: dict[tuple[Any, ...], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        groups[(row["set_name"], row["backend"], row["time_limit"])].append(row)
    out = []
    for (set_name, backend, limit), group in sorted(groups.items()):
        gaps = [r["gap"] for r in group if r.get("gap") is not None]
        devs = [d for d in map(_dev_lb, group) if d is not None]
        times = [r["runtime_s"] for r in group if r.get("runtime_s") is not None]
        out.append(
            {
                "set": set_name,
                "backend": backend,
                "time_limit": limit,
                "count": len(group),
                "failed": sum(r["outcome"] not in ("ok",) for r in group),
                "optimal": sum(r["status"] == "optimal" for r in group),
                "eq_best": sum(r.get("gap") is not None and r["gap"] <= EPS for r in group),
                "mean_gap_%": 100 * mean(gaps) if gaps else None,
                "max_gap_%": 100 * max(gaps) if gaps else None,
                "mean_dev_lb_%": 100 * mean(devs) if devs else None,
                "mean_time_s": mean(times) if times else None,
                "max_time_s": max(times) if times else None,
            }
        )
    return out


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 1000 else f"{value:.0f}"
    return str(value)


def to_markdown(summary: list[dict[str, Any]]) -> str:
    lines = ["| " + " | ".join(SUMMARY_COLUMNS) + " |", "|" + "---|" * len(SUMMARY_COLUMNS)]
    lines += ["| " + " | ".join(_cell(s[c]) for c in SUMMARY_COLUMNS) + " |" for s in summary]
    return "\n".join(lines) + "\n"


def to_csv(summary: list[dict[str, Any]]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(SUMMARY_COLUMNS))
    writer.writeheader()
    writer.writerows(summary)
    return buf.getvalue()


def performance_profile(rows: list[dict[str, Any]], path: Path) -> None:
    """Dolan-More profile of runtime ratios to the fastest backend, per instance."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    by_instance: dict[str, dict[str, float]] = defaultdict(dict)
    for r in rows:
        if (
            r["outcome"] == "ok"
            and r.get("runtime_s") is not None
            and (r.get("gap") is None or r["gap"] <= EPS)
        ):
            by_instance[r["instance"]][r["backend"]] = max(r["runtime_s"], 1e-3)
    backends = sorted({r["backend"] for r in rows})
    fig, ax = plt.subplots(figsize=(6, 4))
    for b in backends:
        ratios = (
            sorted(t[b] / min(t.values()) if b in t else math.inf for t in by_instance.values())
            if by_instance
            else []
        )
        xs = [x for x in ratios if math.isfinite(x)]
        if xs:
            ys = [(i + 1) / len(ratios) for i in range(len(xs))]
            ax.step(xs, ys, where="post", label=b)
    ax.set_xscale("log")
    ax.set_xlabel("time / best time (instances solved to best-known)")
    ax.set_ylabel("fraction of instances")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def gap_vs_time(rows: list[dict[str, Any]], path: Path) -> None:
    """Scatter of gap to best-known against runtime, one colour per backend."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    for b in sorted({r["backend"] for r in rows}):
        pts = [
            (r["runtime_s"], 100 * r["gap"])
            for r in rows
            if r["backend"] == b and r.get("gap") is not None and r.get("runtime_s")
        ]
        if pts:
            xs, ys = zip(*pts, strict=True)
            ax.scatter(xs, ys, s=10, label=b, alpha=0.7)
    ax.set_xlabel("runtime (s)")
    ax.set_ylabel("gap to best-known (%)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
