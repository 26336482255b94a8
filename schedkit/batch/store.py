"""SQLite store of bench rows: one row per (instance, backend, limit, seed), written as each
run finishes, so an interrupted batch resumes without redoing or duplicating rows."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

COLUMNS: dict[str, str] = {
    "instance": "TEXT NOT NULL",
    "set_name": "TEXT",
    "name": "TEXT",
    "kind": "TEXT",
    "backend": "TEXT NOT NULL",
    "time_limit": "REAL NOT NULL",
    "seed": "INTEGER NOT NULL",
    "status": "TEXT",
    "outcome": "TEXT",
    "objective": "REAL",
    "lower_bound": "REAL",
    "best_known": "REAL",
    "gap": "REAL",
    "runtime_s": "REAL",
    "solved_by": "TEXT",
    "error": "TEXT",
    "machine": "TEXT",
    "versions": "TEXT",
    "finished_at": "TEXT",
}
KEY = ("instance", "backend", "time_limit", "seed")


class Store:
    """Rows of bench runs in an SQLite file (WAL mode; safe against kill -9)."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self.conn = sqlite3.connect(self.path)
        self.conn.execute("PRAGMA journal_mode=WAL")
        cols = ", ".join(f"{k} {t}" for k, t in COLUMNS.items())
        self.conn.execute(f"CREATE TABLE IF NOT EXISTS runs ({cols}, UNIQUE({', '.join(KEY)}))")
        self.conn.commit()

    def done_keys(self) -> set[tuple[Any, ...]]:
        """Keys of the rows already stored."""
        return set(self.conn.execute(f"SELECT {', '.join(KEY)} FROM runs"))

    def add(self, row: dict[str, Any]) -> None:
        """Insert one finished row (a second row with the same key is ignored)."""
        values = {k: row.get(k) for k in COLUMNS}
        if isinstance(values["versions"], dict):
            values["versions"] = json.dumps(values["versions"], sort_keys=True)
        names = ", ".join(values)
        marks = ", ".join("?" for _ in values)
        self.conn.execute(
            f"INSERT OR IGNORE INTO runs ({names}) VALUES ({marks})", list(values.values())
        )
        self.conn.commit()

    def rows(self) -> list[dict[str, Any]]:
        """Every stored row as a dict."""
        cur = self.conn.execute(f"SELECT {', '.join(COLUMNS)} FROM runs ORDER BY rowid")
        return [dict(zip(COLUMNS, r, strict=True)) for r in cur]

    def close(self) -> None:
        self.conn.close()
