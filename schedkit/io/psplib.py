"""PSPLIB single-mode RCPSP files (`.sm`) and the PSPLIB reference tables.

An instance file has a `PRECEDENCE RELATIONS` section (job, modes, number of successors,
successors), a `REQUESTS/DURATIONS` section (job, mode, duration, one demand per renewable
resource) and `RESOURCEAVAILABILITIES` (one capacity per resource). Jobs keep their PSPLIB
numbers as ids ("1" .. "n+2"; 1 and n+2 are the dummy source and sink).

Reference tables (`j30opt.sm`, `j60hrs.sm`, `j60lb.sm`, ...) are read into
`{instance name: value}` with names such as "j301_1" (set, parameter, "_", instance).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from schedkit.errors import InputError
from schedkit.models.rcpsp.problem import RcpspProblem

TABLE_NAME = re.compile(r"^(j\d+?)(opt|hrs|lb)", re.IGNORECASE)


def _section(text: str, title: str, path: str) -> list[str]:
    """The non-empty lines after the line starting with `title`, up to the next ****** rule."""
    lines = text.splitlines()
    for k, line in enumerate(lines):
        if line.strip().upper().startswith(title):
            body = []
            for raw in lines[k + 1 :]:
                if raw.strip().startswith(("*", "=")):
                    break
                if raw.strip() and not raw.strip().startswith("-"):
                    body.append(raw)
            return body
    raise InputError(f"no {title!r} section: not a PSPLIB single-mode file", file=path)


def _ints(line: str, path: str, where: str) -> list[int]:
    try:
        return [int(tok) for tok in line.split()]
    except ValueError:
        raise InputError(f"{where}: expected integers, got {line.strip()!r}", file=path) from None


def _renewables(text: str, path: str) -> int:
    match = re.search(r"-\s*renewable\s*:\s*(\d+)", text)
    if not match:
        raise InputError("no '- renewable :' line in the RESOURCES block", file=path)
    return int(match.group(1))


def read_sm(text: str, path: str) -> list[RcpspProblem]:
    """The instance of a PSPLIB `.sm` file (one per file)."""
    if re.search(r"(opt|hrs|lb)\.sm$", path.lower()):
        raise InputError(
            "this is a PSPLIB reference table, not an instance",
            file=path,
            hint="give it to bench as --reference, or load the instances of the set",
        )
    m = _renewables(text, path)
    prec = _section(text, "PRECEDENCE RELATIONS", path)[1:]  # skip the column header
    reqs = _section(text, "REQUESTS/DURATIONS", path)[1:]
    avail = _section(text, "RESOURCEAVAILABILITIES", path)
    if len(avail) < 2:
        raise InputError("RESOURCEAVAILABILITIES has no capacity line", file=path)
    caps = _ints(avail[1], path, "RESOURCEAVAILABILITIES")
    if len(caps) != m:
        raise InputError(f"{len(caps)} capacities for {m} renewable resources", file=path)
    activities = []
    jobs: list[int] = []
    for line in reqs:
        row = _ints(line, path, "REQUESTS/DURATIONS")
        if len(row) != 3 + m:
            raise InputError(
                f"REQUESTS/DURATIONS: job line has {len(row)} numbers, expected {3 + m} "
                "(job, mode, duration, demands)",
                file=path,
            )
        activities.append({"id": row[0], "duration": row[2], "demands": row[3:]})
        jobs.append(row[0])
    precedences = []
    rows: list[int] = []
    for line in prec:
        row = _ints(line, path, "PRECEDENCE RELATIONS")
        if len(row) < 3 or len(row) != 3 + row[2]:
            raise InputError(f"PRECEDENCE RELATIONS: malformed line {line.strip()!r}", file=path)
        unknown = [s for s in row[3:] if s not in jobs]
        if unknown:
            raise InputError(
                f"PRECEDENCE RELATIONS: job {row[0]} has successor {unknown[0]}, which is not a "
                "job of REQUESTS/DURATIONS",
                file=path,
            )
        rows.append(row[0])
        precedences += [{"before": row[0], "after": s} for s in row[3:]]
    _check_jobs(text, path, jobs, rows)
    return [plain_problem(path, caps, activities, precedences)]


def _check_jobs(text: str, path: str, jobs: list[int], rows: list[int]) -> None:
    """The job count of the header, the REQUESTS rows and the PRECEDENCE rows agree."""
    match = re.search(r"^\s*jobs\b[^:\n]*:\s*(\S+)", text, re.MULTILINE | re.IGNORECASE)
    if match:
        announced = match.group(1)
        if not announced.isascii() or not announced.isdigit() or int(announced) != len(jobs):
            raise InputError(
                f"the header announces {announced} jobs but REQUESTS/DURATIONS lists {len(jobs)}",
                file=path,
            )
    missing = sorted(set(jobs) - set(rows))
    if missing:
        raise InputError(f"PRECEDENCE RELATIONS has no row for job {missing[0]}", file=path)
    extra = sorted(set(rows) - set(jobs))
    if extra:
        raise InputError(
            f"PRECEDENCE RELATIONS has a row for job {extra[0]}, which REQUESTS/DURATIONS lacks",
            file=path,
        )
    if len(rows) != len(set(rows)):
        twice = next(j for j in rows if rows.count(j) > 1)
        raise InputError(f"PRECEDENCE RELATIONS has two rows for job {twice}", file=path)


def plain_problem(
    path: str, caps: list[int], activities: list[dict[str, Any]], precedences: list[dict[str, Any]]
) -> RcpspProblem:
    """A classic RCPSP instance (resources R1..Rm) named after its file."""
    return RcpspProblem.model_validate(
        {
            "name": Path(path).stem,
            "resources": [{"name": f"R{k + 1}", "capacity": c} for k, c in enumerate(caps)],
            "activities": activities,
            "precedences": precedences,
        }
    )


def _table_prefix(path: str) -> str:
    match = TABLE_NAME.match(Path(path).name)
    if not match:
        raise InputError(
            "cannot tell the instance set from the file name",
            file=path,
            hint="expected names such as j30opt.sm, j60hrs.sm, j60lb.sm",
        )
    return match.group(1).lower()


def _table_rows(path: str | Path, min_cols: int) -> list[list[str]]:
    """Rows of a reference table that start with two integers (parameter, instance)."""
    text = Path(path).read_text(encoding="utf-8", errors="replace")
    rows = []
    for line in text.splitlines():
        tok = line.split()
        if len(tok) >= min_cols and tok[0].isdigit() and tok[1].isdigit():
            rows.append(tok)
    if not rows:
        raise InputError("no (parameter, instance, value) rows found", file=str(path))
    return rows


def _read_column(path: str | Path, column: int) -> dict[str, int]:
    prefix = _table_prefix(str(path))
    out: dict[str, int] = {}
    for tok in _table_rows(path, column + 1):
        try:
            out[f"{prefix}{tok[0]}_{tok[1]}"] = int(tok[column])
        except ValueError:
            raise InputError(
                f"row {' '.join(tok)!r}: column {column + 1} is not an integer", file=str(path)
            ) from None
    return out


def read_optima(path: str | Path) -> dict[str, int]:
    """`j30opt.sm`: proven optimal makespans, {"j301_1": 43, ...}."""
    return _read_column(path, 2)


def read_best_known(path: str | Path) -> dict[str, int]:
    """`j60hrs.sm` (any `*hrs.sm`): best-known (upper bound) makespans."""
    return _read_column(path, 2)


def read_lower_bounds(path: str | Path) -> dict[str, int]:
    """`j60lb.sm` (any `*lb.sm`): the LB column (UB is column 3, LB column 4)."""
    return _read_column(path, 3)


def read_reference(path: str | Path) -> dict[str, int]:
    """Any PSPLIB reference table, chosen by its name (`*opt.sm`, `*hrs.sm`, `*lb.sm`)."""
    name = Path(path).name.lower()
    if "lb" in name:
        return read_lower_bounds(path)
    if "hrs" in name:
        return read_best_known(path)
    return read_optima(path)
