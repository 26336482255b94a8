"""Expand bench arguments (files, folders, globs, multi-instance files) into instance specs."""

from __future__ import annotations

import glob
import re
from dataclasses import dataclass
from pathlib import Path

from schedkit.batch.references import reference_sets
from schedkit.errors import InputError
from schedkit.io.formats import INSTANCE_SUFFIXES, find_format
from schedkit.io.loader import load_all, split_index


@dataclass(frozen=True)
class InstanceRef:
    """One instance to run: the spec `load()` takes, and the set it belongs to."""

    spec: str
    set_name: str


KIND_LINE = re.compile(r"""^\s*["']?kind["']?\s*:\s*["']?([A-Za-z_][\w-]*)""", re.MULTILINE)


def kind_hint(spec: str) -> str | None:
    """The kind of an instance spec without loading it: from its standard format, or from the
    `kind:` line of a YAML/JSON file (None when it cannot be told cheaply)."""
    from schedkit.kinds import all_kinds

    path, _ = split_index(spec)
    fmt = find_format(path)
    if fmt is not None:
        return next((k for k, s in all_kinds().items() if fmt in s.formats), None)
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            head = fh.read(65536)
    except OSError:
        return None
    match = KIND_LINE.search(head)
    return match.group(1) if match else None


def _is_instance_file(path: Path) -> bool:
    name = path.name.lower()
    if any(re.search(ref.table, name) for ref in reference_sets()):
        return False
    if name.endswith(INSTANCE_SUFFIXES):
        return True
    return find_format(str(path)) is not None


def _expand_file(path: Path) -> list[InstanceRef]:
    """A file: one ref, or one per instance of a multi-instance file (`file#k`)."""
    spec, k = split_index(str(path))
    if k is not None:
        return [InstanceRef(spec=str(path), set_name=Path(spec).stem)]
    fmt = find_format(str(path))
    if path.name.lower().endswith(INSTANCE_SUFFIXES) or (fmt and not fmt.multi_instance):
        return [InstanceRef(str(path), path.parent.name)]
    count = len(load_all(path))
    if count == 1:
        return [InstanceRef(str(path), path.parent.name)]
    return [InstanceRef(f"{path}#{i}", path.stem) for i in range(1, count + 1)]


def expand(args: list[str]) -> list[InstanceRef]:
    """Every instance named by `args`, in a stable order, without duplicates."""
    refs: list[InstanceRef] = []
    for arg in args:
        spec, k = split_index(arg)
        matches = [Path(p) for p in sorted(glob.glob(spec))] if k is None else [Path(spec)]
        if not matches:
            raise InputError("no such file, folder or glob match", file=arg)
        for path in matches:
            if path.is_dir():
                files = sorted(p for p in path.rglob("*") if p.is_file() and _is_instance_file(p))
                refs += [r for f in files for r in _expand_file(f)]
            elif k is not None:
                refs.append(InstanceRef(arg, path.stem))
            else:
                refs += _expand_file(path)
    unique: dict[str, InstanceRef] = {}
    for ref in refs:
        unique.setdefault(ref.spec, ref)
    return list(unique.values())
