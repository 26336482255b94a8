"""Best-known values for bench rows: from a file given by the user, or found automatically
next to a recognised instance set (each kind declares its sets in `KindSpec.references`:
wtopt40.txt beside wt40.txt, j30opt.sm beside j30/)."""

from __future__ import annotations

import csv
import re
from collections.abc import Sequence
from pathlib import Path

from schedkit.errors import InputError
from schedkit.kinds import ReferenceSet, all_kinds, resolve


def reference_sets() -> list[ReferenceSet]:
    """The best-known tables every kind declares."""
    return [ref for spec in all_kinds().values() for ref in spec.references]


def read_reference_file(path: str | Path) -> dict[str, float]:
    """{instance name: best-known value} from a table a kind declares, or a CSV (name,value)."""
    path = Path(path)
    if not path.exists():
        raise InputError("no such reference file", file=str(path))
    for ref in reference_sets():
        if re.search(ref.table, path.name.lower()):
            return {k: float(v) for k, v in resolve(ref.reader)(path).items()}
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
    """The first reference table found beside an instance of a recognised set."""
    path = Path(spec.split("#")[0])
    for ref in reference_sets():
        match = re.search(ref.instance, path.name.lower())
        if not match:
            continue
        for template in ref.tables:
            name = template.format(folder=path.parent.name.lower(), **match.groupdict())
            candidate = path.parent / name
            if candidate.exists():
                return candidate.resolve()
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
