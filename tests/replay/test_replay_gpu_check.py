"""What benchmarks/gpu_check.sh relies on, checked on the CPU: the profile's per-stage spread of
F, B, W and fused BW, the --share-gpu choices of device and backend (with the GPU count
faked), the module entry point, and the report and step plumbing of the script itself."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

pytest.importorskip("torch.distributed.pipelining", reason="needs PyTorch (schedkit[replay])")

import schedkit
from schedkit.cli import app
from schedkit.errors import BackendUnavailable
from schedkit.execute import common, placement, write_pipeline_yaml
from schedkit.execute.pipeline import RunOptions, make_sizes, run_runtime
from schedkit.execute.profile import KINDS, Spread, _pool, profile_report, split_extra
from schedkit.execute.torch_runtime import TORCH, TorchSchedule

from .replay_helpers import TINY, problem, ref

ROOT = Path(__file__).parents[2]
runner = CliRunner()


def test_spread_and_pool() -> None:
    a, b = [1.0, 2.0, 3.0], [5.0, 7.0]
    s = Spread.of(a)
    assert (s.median, s.min, s.max, s.n) == (2.0, 1.0, 3.0, 3)
    assert s.std == pytest.approx(statistics.pstdev(a))
    pooled = _pool([s, Spread.of(b)])
    assert pooled.n == 5 and (pooled.min, pooled.max) == (1.0, 7.0)
    assert pooled.mean == pytest.approx(statistics.fmean(a + b))
    assert pooled.std == pytest.approx(statistics.pstdev(a + b))
    assert s.text() == "2.000 [1.000-3.000] ±0.816"
    with pytest.raises(ValueError):
        Spread.of([])


def test_split_extra_is_the_capture_cost_or_nothing() -> None:
    """The capturing forward's extra (median over median) is charged to B, never negative."""
    assert split_extra({"F": [1.0, 2.0, 9.0], "Fc": [1.5, 2.5, 2.6]}) == pytest.approx(0.5)
    assert split_extra({"F": [2.0, 2.0], "Fc": [1.0, 1.0]}) == 0.0


def test_profile_report_has_spread_per_stage(tmp_path: Path) -> None:
    rep = profile_report(2, 4, iters=3, warmup=1, memory_limit=3.0, objective="makespan", **TINY)
    assert len(rep.stages) == 2 and rep.device == "cpu"
    for st in rep.stages:
        assert set(st) == set(KINDS)
        for sp in st.values():
            assert sp.n == 3 and 0 < sp.min <= sp.median <= sp.max and sp.std >= 0
    d = json.loads(json.dumps(rep.to_dict()))
    assert set(d["stages"][0]) == {*KINDS, "BW_over_B_plus_W"}
    assert d["pooled"]["F"]["n"] == 6 and d["sizes"]["hidden"] == 32
    # the instance's time of a kind is the median of every stage's samples together
    lo = min(st["F"].min for st in rep.stages)
    hi = max(st["F"].max for st in rep.stages)
    assert lo - 0.01 <= rep.problem.times.F <= hi + 0.01
    assert rep.problem.times.BW is not None  # a fused backward is measured too
    path = tmp_path / "p.yaml"
    write_pipeline_yaml(rep.problem, str(path), comment=rep.comment())
    text = path.read_text()
    assert text.startswith("# profiled by schedkit on cpu") and "#   stage 1: " in text
    assert schedkit.load(str(path)) == rep.problem
    assert "BW/(B+W)" in rep.summary()


def test_cli_profile_json(tmp_path: Path) -> None:
    out = tmp_path / "prof.yaml"
    args = ["profile", "--devices", "2", "--microbatches", "2", "--hidden", "32", "--seq", "8"]
    args += ["--batch", "2", "--iters", "2", "--objective", "makespan", "--memory-limit", "3"]
    result = runner.invoke(app, [*args, "-o", str(out), "--json"])
    assert result.exit_code == 0, result.output
    d = json.loads(result.stdout)
    assert [set(st) >= set(KINDS) for st in d["stages"]] == [True, True]
    loaded = schedkit.load(str(out))
    assert loaded.objective == "makespan" and loaded.memory.limit == 3.0
    bad = runner.invoke(app, [*args[:-4], "--objective", "speed"])
    assert bad.exit_code == 2


def test_resolve_device_share_gpu(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(common, "cuda_count", lambda: 1)
    assert common.resolve_device("cuda", 4, share_gpu=True) == ("cuda", "gloo")
    assert common.resolve_device("auto", 4, share_gpu=True) == ("cuda", "gloo")
    assert common.resolve_device("auto", 4) == ("cpu", "gloo")
    assert common.resolve_device("cpu", 4, share_gpu=True) == ("cpu", "gloo")
    assert common.resolve_device("cuda", 1) == ("cuda", "nccl")
    with pytest.raises(BackendUnavailable, match=r"needs 4 CUDA GPUs, found 1.*--share-gpu"):
        common.resolve_device("cuda", 4)
    monkeypatch.setattr(common, "cuda_count", lambda: 4)
    assert common.resolve_device("cuda", 4, share_gpu=True) == ("cuda", "nccl")
    monkeypatch.setattr(common, "cuda_count", lambda: 0)
    assert common.resolve_device("auto", 4, share_gpu=True) == ("cpu", "gloo")
    with pytest.raises(BackendUnavailable, match=r"found 0$"):
        common.resolve_device("cuda", 4, share_gpu=True)
    assert common.time_shared("cuda", "gloo") and not common.time_shared("cuda", "nccl")
    assert not common.time_shared("cpu", "gloo")
    assert common.wire_device("cuda", "gloo") == "cpu"
    assert common.wire_device("cuda", "nccl") == "cuda"


def test_placement_mode_share_gpu(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(placement, "cuda_count", lambda: 1)
    assert placement.resolve_mode("cuda", 8, True, share_gpu=True) == ("cuda", "gloo")
    assert placement.resolve_mode("cuda", 8, False, share_gpu=True) == ("cuda", None)
    assert placement.resolve_mode("cuda", 8, None, share_gpu=True) == ("cuda", None)
    with pytest.raises(BackendUnavailable, match="--share-gpu"):
        placement.resolve_mode("cuda", 8, True)
    result = placement.PlacementReplayResult(
        schedule="s", device="cuda", gpus=8, nodes=2, hidden=8, ffn=8, scale=1.0, iters=1,
        processes=8, backend="gloo",
    )  # fmt: skip
    assert result.time_shared and result.to_dict()["time_shared"] is True
    assert "time-sharing the GPU" in result.summary()


def test_torch_runtime_refuses_time_shared_gpu(monkeypatch: pytest.MonkeyPatch) -> None:
    """torch's runtime sends CUDA tensors itself, which gloo cannot carry: refused before any
    process starts."""
    monkeypatch.setattr(common, "cuda_count", lambda: 1)
    pb = problem(2, 2)
    opts = RunOptions(make_sizes(None, **TINY), device="cuda", share_gpu=True)
    with pytest.raises(BackendUnavailable, match="time-sharing a GPU"):
        run_runtime(pb, {"zb-h1": TorchSchedule(ref(pb, "zb-h1"))}, TORCH, opts)


def test_cli_share_gpu_without_gpu_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(common, "cuda_count", lambda: 0)
    monkeypatch.setattr(placement, "cuda_count", lambda: 0)
    inst = ROOT / "instances" / "placement" / "replan_tiny.yaml"
    solved = tmp_path / "s.json"
    assert runner.invoke(app, ["solve", str(inst), "-t", "2", "--out", str(solved)]).exit_code == 0
    args = ["replay", str(inst), str(solved), "--device", "cuda", "--share-gpu", "--processes"]
    result = runner.invoke(app, args)
    assert result.exit_code == 1 and "no CUDA GPU" in result.output


def run_script(
    args: list[str], env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, cwd=ROOT, env={**os.environ, **(env or {})}, capture_output=True, text=True,
        timeout=60, check=False,
    )  # fmt: skip


def test_module_entry_point() -> None:
    res = run_script([sys.executable, "-m", "schedkit", "--help"])
    assert res.returncode == 0 and "profile" in res.stdout


def test_gpu_check_report_without_results(tmp_path: Path) -> None:
    (tmp_path / "steps.tsv").write_text("profile\tfailed (1)\t3\t\n")
    res = run_script([sys.executable, "benchmarks/gpu_check.py", "report", "--dir", str(tmp_path)])
    assert res.returncode == 0, res.stderr
    text = (tmp_path / "summary.md").read_text()
    assert "| profile | failed (1) | 3 |" in text and "No pipeline replay" in text


def test_gpu_check_script_steps_and_summary(tmp_path: Path) -> None:
    """With no time left every step is skipped, and the report still writes summary.md."""
    env = {"DEVICE": "cpu", "OUT": str(tmp_path), "TOTAL_S": "20", "SKIP_WHEELS": "1",
           "PYTHON": sys.executable}  # fmt: skip
    res = run_script(["bash", "benchmarks/gpu_check.sh"], env)
    assert res.returncode == 0, res.stdout + res.stderr
    steps = [ln.split("\t")[:2] for ln in (tmp_path / "steps.tsv").read_text().splitlines()]
    assert ["setup", "skipped"] in steps and ["profile", "skipped"] in steps
    assert ["report", "ok"] in steps
    assert (tmp_path / "summary.md").read_text().startswith("# GPU check")


def test_profiling_leaves_the_modules_gradients_as_found() -> None:
    """A user's modules keep their gradients (the fused backward adds into `.grad`)."""
    import torch

    from schedkit.execute import BlockSizes, blocks
    from schedkit.execute.profile import profile_stage

    sizes = BlockSizes(**TINY)
    mod = blocks.make_stage(0, sizes)
    marks = [torch.full_like(p, 7.0) for p in mod.parameters()]
    for p, g in zip(mod.parameters(), marks, strict=True):
        p.grad = g
    profile_stage(mod, sizes, last=True, microbatches=2, iters=1, warmup=0)
    assert all(p.grad is g for p, g in zip(mod.parameters(), marks, strict=True))
    assert all(bool((p.grad == 7.0).all()) for p in mod.parameters())
