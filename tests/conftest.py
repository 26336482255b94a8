"""Shared fixtures: the benchmark data folder (skipped with a reason when it is absent)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from schedkit.datasets import ENV_VAR, data_root

REPO = Path(__file__).resolve().parent.parent
INSTANCES = REPO / "instances"


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The shared benchmark data; tests that need it skip when it is missing."""
    root = data_root()
    if not (root / "orlib").exists() and not (root / "psplib").exists():
        reason = f"benchmark data not found at {root} (set {ENV_VAR})"
        if os.environ.get("SCHEDKIT_REQUIRE_DATA"):
            pytest.fail(reason)  # CI must never pass by skipping
        pytest.skip(reason)
    return root


@pytest.fixture(scope="session")
def instances_dir() -> Path:
    return INSTANCES
