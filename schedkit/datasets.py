"""Where the shared benchmark data lives: `$SCHEDKIT_DATA`, else `../shared/data` beside the repo.

The data (PSPLIB, OR-Library) is never copied into the project; tests skip with a reason when
it is absent, and CI sets SCHEDKIT_DATA and fails loudly if it is missing.
"""

from __future__ import annotations

import os
from pathlib import Path

ENV_VAR = "SCHEDKIT_DATA"
REPO_ROOT = Path(__file__).resolve().parent.parent


def data_root() -> Path:
    """The benchmark data folder (it may not exist)."""
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env).expanduser().resolve()
    return (REPO_ROOT / ".." / "shared" / "data").resolve()


def data_path(*parts: str) -> Path:
    """A path inside the data folder; FileNotFoundError says how to provide the data."""
    path = data_root().joinpath(*parts)
    if not path.exists():
        raise FileNotFoundError(
            f"{path} not found: set {ENV_VAR} to the folder holding psplib/ and orlib/"
        )
    return path
