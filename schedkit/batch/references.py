"""Best-known values for bench rows: from a file given by the user, or found automatically
next to a recognised instance set (wtopt40.txt beside wt40.txt, j30opt.sm beside j30/)."""

from __future__ import annotations

import csv
import re
from collections.abc import Sequence
from pathlib import Path

from schedkit.errors import InputError


def read_reference_file(path: str | Path) -> dict[str, float]:
    """{instance name: best-known value} from a CSV (name,value), wtopt*.txt or PSPLIB table."""
    path = Path(path)
    if not path.exists():
        raise InputError("no such reference file", file=str(path))
    name = path.name.lower()
    match = re.match(r"wtopt(\d+)\.txt$", name)
    if match:
        from schedkit.io.orlib import read_wt_optima

        return {f"wt{match.group(1)}#{i}": float(v) for i, v in enumerate(read_wt_optima(path), 1)}
    if name.endswith(".sm"):
        from schedkit.io.psplib import read_reference

        return {k: float(v) for k, v in read_reference(path).items()}
    return _read_csv(path)


def _read_csv(path: Path) -> dict[str, float]:
    out: dict[str, float] = {}
    with path.open(newline="") as fh:
        for i, row in enumerate(csv.reader(fh)):
            if len(row) < 2 or row[0].startswith("#"):
                continue
            try:
                out[row[0].strip()] = float(row[1])
            except ValueError:
                if i:  # the first row may be a header
                    raise InputError(
                        f"row {i + 1}: {row[1]!r} is not a number", file=str(path)
                    ) from None
    return out


def auto_reference(spec: str) -> Path | None:
    """The standard reference file for an instance spec, if the set is recognised."""
    path = Path(spec.split("#")[0])
    match = re.match(r"wt(\d+)\.txt$", path.name.lower())
    if match:
        candidate = path.parent / f"wtopt{match.group(1)}.txt"
        return candidate if candidate.exists() else None
    match = re.match(r"(j\d+)\d+_\d+\.sm$", path.name.lower())
    if match and path.parent.name.lower().startswith("j"):
        folder = path.parent.name.lower()
        for suffix in ("opt.sm", "hrs.sm"):
            candidate = path.parent.parent / f"{folder}{suffix}"
            if candidate.exists():
                return candidate
    return None


class References:
    """Lazy lookup of best-known values across every reference file seen."""

    def __init__(self, explicit: Sequence[str | Path] | None = None) -> None:
        self.values: dict[str, float] = {}
        self.loaded: set[Path] = set()
        for path in explicit or []:
            self.values.update(read_reference_file(path))

    def best_known(self, spec: str, name: str) -> float | None:
        if name not in self.values:
            ref = auto_reference(spec)
            if ref is not None and ref not in self.loaded:
                self.loaded.add(ref)
                for key, value in read_reference_file(ref).items():
                    self.values.setdefault(key, value)
        return self.values.get(name)
