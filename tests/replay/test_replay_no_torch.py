"""Without torch, schedkit.execute imports and its entry points say how to install it."""

from __future__ import annotations

import sys

import pytest

from schedkit.errors import BackendUnavailable
from schedkit.models.pipeline import PipelineProblem
from schedkit.models.pipeline.references import build


def test_entry_points_raise_backend_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "torch", None)  # makes `import torch` fail
    import schedkit.execute as rp

    pb = PipelineProblem(devices=2, microbatches=2)
    sol = build(pb, "1f1b")
    assert sol is not None
    for call in (lambda: rp.replay(pb, sol), lambda: rp.profile_pipeline(2, 2)):
        with pytest.raises(BackendUnavailable, match=r"pip install 'schedkit\[replay\]'"):
            call()
    assert "kind: pipeline" in rp.write_pipeline_yaml(pb)  # needs no torch
