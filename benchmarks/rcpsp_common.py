"""Shared helpers of the RCPSP benchmark scripts: instance lists, reference tables, a
resumable JSON-lines log, and Markdown tables."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from schedkit.datasets import data_path
from schedkit.io.psplib import read_best_known, read_lower_bounds, read_optima

NAME = re.compile(r"j(\d\d)(\d+)_(\d+)")


def instances(group: str, every: int = 1, offset: int = 0) -> list[Path]:
    """PSPLIB files of `group` ("j30", "j60") in (parameter, instance) order; every k-th."""
    files = sorted(data_path("psplib", group).glob("*.sm"), key=_order)
    return files[offset::every]


def _order(path: Path) -> tuple[int, int]:
    m = NAME.match(path.stem)
    assert m, path
    return int(m.group(2)), int(m.group(3))


def references(group: str) -> dict[str, dict[str, int]]:
    """'opt' (j30), 'best' (best-known upper bounds) and 'lb' where PSPLIB has them."""
    root = data_path("psplib")
    out: dict[str, dict[str, int]] = {}
    if (root / f"{group}opt.sm").exists():
        out["opt"] = read_optima(root / f"{group}opt.sm")
        out["best"] = out["opt"]
    if (root / f"{group}hrs.sm").exists():
        out["best"] = read_best_known(root / f"{group}hrs.sm")
    if (root / f"{group}lb.sm").exists():
        out["lb"] = read_lower_bounds(root / f"{group}lb.sm")
    return out


def load_log(path: Path, key: str = "name") -> dict[str, dict[str, Any]]:
    """Rows already measured, by `key` (the instance name unless a log holds several rows per
    instance), so that an interrupted run can resume; the last row of a key wins."""
    if not path.exists():
        return {}
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return {r[key]: r for r in rows}


def above_best_known(log: Path, best: dict[str, int]) -> dict[str, int]:
    """Instances whose schedkit makespan in a `rcpsp_vs_pyjobshop` log is above best-known,
    with that makespan."""
    rows = load_log(log, key="key").values()
    return {
        r["name"]: r["makespan"]
        for r in rows
        if r["solver"] == "schedkit" and r["makespan"] > best[r["name"]]
    }


def append_log(path: Path, row: dict[str, Any]) -> None:
    with path.open("a") as f:
        f.write(json.dumps(row) + "\n")


def run_logged(
    fn: Callable[..., dict[str, Any]], todo: list[Any], extra: tuple[Any, ...], jobs: int, log: Path
) -> None:
    """fn(item, *extra) for every item in `jobs` processes; each row logged and printed in order."""
    with ProcessPoolExecutor(jobs) as pool:
        for fut in [pool.submit(fn, item, *extra) for item in todo]:
            row = fut.result()
            append_log(log, row)
            print(row, flush=True)


def write_report(path: Path, text: list[str], head: int) -> None:
    """The report's lines into `path` (Markdown), and its first `head` lines to the console."""
    path.write_text("\n".join(text) + "\n")
    print("\n".join(text[:head]))


def table(header: list[str], rows: list[list[Any]]) -> str:
    """A Markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)
