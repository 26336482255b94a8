"""Fixtures of the RCPSP tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from schedkit.io.psplib import read_optima


@pytest.fixture(scope="module")
def optima(data_dir: Path) -> dict[str, int]:
    """Proven optimal makespans of j30 (PSPLIB's j30opt.sm)."""
    return read_optima(data_dir / "psplib" / "j30opt.sm")
