"""SGLang interop: expert-distribution dumps as loads (.json, torch .pt), dense layers kept in
the numbering, and the `--init-expert-location` export read back."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from schedkit.cli import app
from schedkit.errors import InputError
from schedkit.io.loader import load
from schedkit.io.sglang import to_sglang_json
from schedkit.models.placement import PlacementProblem, validate
from schedkit.models.placement.eplb import from_eplb
from schedkit.solvers.portfolio import solve

DENSE = 2
"""Leading all-zero layers, as the first 3 dense layers of DeepSeek-V3 in a real dump."""


def write_dump(folder: Path, counts: np.ndarray, name: str = "dump.json") -> Path:
    """An instance whose loads are an SGLang dump (2 nodes x 2 GPUs x 5 slots, 4 groups)."""
    (folder / name).write_text(json.dumps({"rank": 0, "logical_count": counts.tolist()}))
    yaml = folder / "moe.yaml"
    yaml.write_text(
        f"kind: placement\nloads: {name}\nnodes: 2\ngpus_per_node: 2\nslots_per_gpu: 5\ngroups: 4\n"
    )
    return yaml


def counts(layers: int = 5) -> np.ndarray:
    out = np.random.default_rng(0).integers(1, 100, (layers, 16))
    out[:DENSE] = 0
    return out


def test_dump_loads_with_dense_layers_kept(tmp_path):
    p = load(write_dump(tmp_path, counts()))
    assert isinstance(p, PlacementProblem) and p.loads.shape == (5, 16)
    r = solve(p, "heuristic", time_limit=2)
    assert r.valid and r.metrics["balance"][:DENSE] == [1.0, 1.0]
    # the balance figures average the MoE layers only
    assert r.metrics["balance_mean"] == pytest.approx(np.mean(r.metrics["balance"][DENSE:]))


def test_windowed_dump_is_summed(tmp_path):
    window = np.stack([counts(), 2 * counts()])  # (passes, layers, experts)
    p = load(write_dump(tmp_path, window))
    assert np.array_equal(p.loads, 3 * counts())


def test_json_object_without_counts_is_an_input_error(tmp_path):
    (tmp_path / "bad.json").write_text('{"physical_count": [[1, 2]]}')
    yaml = tmp_path / "bad.yaml"
    yaml.write_text("kind: placement\nloads: bad.json\ngpus_per_node: 2\nslots_per_gpu: 1\n")
    with pytest.raises(
        InputError,
        match=r"got an object with keys \['physical_count'\]",
    ):
        load(yaml)


def test_torch_dump(tmp_path):
    torch = pytest.importorskip("torch")
    torch.save({"logical_count": torch.tensor(counts())}, tmp_path / "dump.pt")
    yaml = write_dump(tmp_path, counts())
    yaml.write_text(yaml.read_text().replace("dump.json", "dump.pt"))
    assert np.array_equal(load(yaml).loads, counts())


def test_torch_missing_is_a_clear_error(tmp_path, monkeypatch):
    (tmp_path / "dump.pt").write_bytes(b"not read")
    yaml = write_dump(tmp_path, counts())
    yaml.write_text(yaml.read_text().replace("dump.json", "dump.pt"))
    monkeypatch.setitem(sys.modules, "torch", None)  # import torch fails
    with pytest.raises(InputError, match=r"needs torch \(pip install 'schedkit\[replay\]'\)"):
        load(yaml)


def test_export_round_trip(tmp_path):
    yaml = write_dump(tmp_path, counts())
    p = load(yaml)
    r = solve(p, "heuristic", time_limit=2)
    text = to_sglang_json(p, r.solution)
    p2l = json.loads(text)["physical_to_logical_map"]
    assert np.array(p2l).shape == (5, 20)  # every layer of the dump, dense ones too
    back = from_eplb(p2l, p.slots_per_gpu)
    assert back.placement == r.solution.placement and validate(p, back).feasible


def test_cli_export_sglang(tmp_path):
    yaml = write_dump(tmp_path, counts())
    sol = tmp_path / "sol.json"
    runner = CliRunner()
    res = runner.invoke(app, ["solve", str(yaml), "--backend", "heuristic", "--out", str(sol)])
    assert res.exit_code == 0, res.output
    out = tmp_path / "init.json"
    res = runner.invoke(app, ["export", str(yaml), str(sol), "--format", "sglang", "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert len(json.loads(out.read_text())["physical_to_logical_map"]) == 5
