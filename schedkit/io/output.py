"""The one way schedkit writes a file a user named: check the path first, then write.

A missing folder is an error (exit 2), never created: a typo in a folder name should not
leave a stray tree behind. A path that is a folder, or whose parent is a file, is an error too.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from schedkit.errors import InputError


def _where(path: Path, option: str | None) -> str:
    return f"{option} {path}" if option else str(path)


def check_output_path(path: str | Path, option: str | None = None) -> Path:
    """`path` as a Path once it can be written: its folder exists and it is not a folder.

    `option` (e.g. "--out") names the command-line option in the error.
    """
    p = Path(path)
    where = _where(p, option)
    if str(path) == "" or p.name in ("", ".", ".."):
        raise InputError("is not a file name", file=where)
    if p.is_dir():
        raise InputError("is a directory; give a file name", file=where)
    parent = p.parent
    if not parent.exists():
        raise InputError(f"the folder {str(parent)!r} does not exist (create it first)", file=where)
    if not parent.is_dir():
        raise InputError(f"{str(parent)!r} is a file, not a folder", file=where)
    return p


def write_output(path: str | Path, data: str | bytes, option: str | None = None) -> Path:
    """Write `data` (text as UTF-8, or bytes) to `path` after `check_output_path`; an OS error
    (permissions, a full disk) becomes an InputError naming the path."""
    p = check_output_path(path, option)
    try:
        if isinstance(data, bytes):
            p.write_bytes(data)
        else:
            p.write_text(data, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot write: {exc.strerror or exc}", file=_where(p, option)) from None
    return p


def _plain(value: Any) -> Any:
    """`value` with every non-finite float replaced by None (JSON has no NaN or Infinity)."""
    if isinstance(value, float | np.floating):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | np.ndarray):
        return [_plain(v) for v in value]
    return value


def json_text(data: Any, indent: int | None = 2) -> str:
    """Strict JSON of `data`: NaN and infinities become null, unknown objects their str()."""
    return json.dumps(_plain(data), indent=indent, default=str, allow_nan=False)
