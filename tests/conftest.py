"""Shared fixtures: the benchmark data folder (skipped with a reason when it is absent), and
every kind's registered backends with a small sample instance from instances/."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from schedkit.datasets import ENV_VAR, data_root
from schedkit.kinds import all_kinds

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


SAMPLES = {
    "tardiness": "tardiness/small-weighted.yaml",
    "rcpsp": "rcpsp/small.yaml",
    "pipeline": "pipeline/p4-m8.yaml",
    "placement": "placement/eplb_example.yaml",
}
"""One small instance per built-in kind (no benchmark data needed)."""


def _kind_backends() -> list[tuple[str, str]]:
    return [
        (kind, backend)
        for kind, spec in sorted(all_kinds().items())
        if kind in SAMPLES
        for backend in ("auto", *spec.backends)
    ]


@pytest.fixture(params=_kind_backends(), ids=lambda kb: f"{kb[0]}-{kb[1]}")
def kind_backend(request: pytest.FixtureRequest) -> tuple[str, str]:
    """(kind, backend) for every backend each built-in kind registers, `auto` included."""
    kb: tuple[str, str] = request.param
    return kb


@pytest.fixture
def sample_path(kind_backend: tuple[str, str]) -> Path:
    """The sample instance of the kind under test."""
    return INSTANCES / SAMPLES[kind_backend[0]]
