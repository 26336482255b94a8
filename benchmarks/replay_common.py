"""What the replay benchmarks share: Markdown tables."""

from __future__ import annotations

from collections.abc import Iterable


def md_table(header: list[str], rows: Iterable[list[str]]) -> list[str]:
    """A Markdown table as lines: the header, its rule and one line per row of cells."""
    return [
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
        *("| " + " | ".join(row) + " |" for row in rows),
    ]
