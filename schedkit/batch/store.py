"""SQLite store of bench rows: one row per (instance, backend, limit, seed), written as each
run finishes, so an interrupted batch resumes without redoing or duplicating rows."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from schedkit.errors import InputError
from schedkit.io.output import check_output_path

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


def _check_schema(conn: sqlite3.Connection, path: str) -> bool:
    """True if the database holds a bench `runs` table, False if it holds no table at all; an
    InputError for anything else (not SQLite, or another program's database), which is left
    untouched."""
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise InputError(f"not a bench database: {exc}", file=path) from None
    if "runs" not in tables:
        if not tables:
            return False
        conn.close()
        raise InputError(
            f"not a bench database: it holds tables {sorted(tables)} but no 'runs'",
            file=path,
            hint="give bench and report a database of their own",
        )
    columns = {r[1] for r in conn.execute("PRAGMA table_info(runs)")}
    missing = sorted(set(COLUMNS) - columns)
    if missing:
        conn.close()
        raise InputError(
            f"not a bench database: its 'runs' table lacks the columns {missing}", file=path
        )
    return True


class Store:
    """Rows of bench runs in an SQLite file (WAL mode; safe against kill -9).

    `readonly=True` opens an existing database for reading only (`schedkit report`); either
    way a file that is not a bench database is refused and left untouched.
    """

    def __init__(self, path: str | Path, readonly: bool = False) -> None:
        self.path = str(path)
        if readonly:
            if not Path(self.path).is_file():
                raise InputError("no such bench database", file=self.path)
            uri = Path(self.path).resolve().as_uri() + "?mode=ro"
            self.conn = sqlite3.connect(uri, uri=True)
            if not _check_schema(self.conn, self.path):
                self.conn.close()
                raise InputError("an empty database: no bench rows", file=self.path)
            return
        check_output_path(self.path, "--db")
        try:
            self.conn = sqlite3.connect(self.path)
        except sqlite3.Error as exc:
            raise InputError(f"cannot open the bench database: {exc}", file=self.path) from None
        if not _check_schema(self.conn, self.path):
            self.conn.execute("PRAGMA journal_mode=WAL")
            cols = ", ".join(f"{k} {t}" for k, t in COLUMNS.items())
            self.conn.execute(f"CREATE TABLE runs ({cols}, UNIQUE({', '.join(KEY)}))")
            self.conn.commit()
        else:
            self.conn.execute("PRAGMA journal_mode=WAL")

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
