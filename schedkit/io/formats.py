"""Readers of standard file formats, chosen by file name.

A reader takes the decoded text and the path and returns every instance in the file (one or
many); `schedkit.io.loader` picks the k-th for `file#k`. A kind declares its formats in its
`SPEC.formats`.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from schedkit.models.base import Problem

Reader = Callable[[str, str], list[Problem]]


@dataclass(frozen=True)
class Format:
    """A standard format: file-name patterns, the reader, and a description for errors."""

    name: str
    patterns: tuple[str, ...]
    reader: str
    """"module:function" of the reader, imported on use."""
    multi_instance: bool = False
    """Files may hold several instances (addressed as FILE#k)."""


INSTANCE_SUFFIXES = (".yaml", ".yml", ".json")


def all_formats() -> list[Format]:
    """Formats declared by every kind's SPEC."""
    from schedkit.kinds import all_kinds

    return [fmt for spec in all_kinds().values() for fmt in spec.formats]


def find_format(path: str) -> Format | None:
    """The standard format whose patterns match the file name, if any."""
    name = Path(path).name.lower()
    for fmt in all_formats():
        if any(fnmatch.fnmatch(name, pat) for pat in fmt.patterns):
            return fmt
    return None


def known_patterns() -> list[str]:
    """File name patterns load() understands, for error hints."""
    return ["*" + s for s in INSTANCE_SUFFIXES] + [p for f in all_formats() for p in f.patterns]
