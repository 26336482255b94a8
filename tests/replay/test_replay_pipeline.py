"""Pipeline replay on CPU with gloo at tiny sizes: gradients equal a single-process reference,
the measured fields are consistent, profile -> YAML -> load closes the loop."""

from __future__ import annotations

from pathlib import Path

import pytest

torch = pytest.importorskip("torch", reason="replay tests need PyTorch (schedkit[replay])")

import schedkit  # noqa: E402
from schedkit.execute import (  # noqa: E402
    BlockSizes,
    blocks,
    profile_pipeline,
    replay,
    replay_pipeline,
    write_pipeline_yaml,
)
from schedkit.execute.pipeline import (  # noqa: E402
    GRAD_TOL,
    PipelineReplayResult,
    grad_diff,
    reference_grads,
)

from .replay_helpers import TINY, check_zb_h1, problem, ref  # noqa: E402


def full_grads(mod: torch.nn.Module, x: torch.Tensor, grad: torch.Tensor, **kw: bool) -> tuple:
    """dL/dx and every parameter's gradient of one fused backward (added into `.grad`)."""
    blocks.zero_grads([mod])
    c = blocks.forward(mod, x, capture=False, **kw)
    dx = blocks.backward_full(c, c.y, grad)
    assert c.outs == []
    return dx, {p: p.grad.clone() for p in mod.parameters() if p.grad is not None}


def test_split_backward_equals_full_backward() -> None:
    """B then W (captured output gradients) gives exactly the gradients of one backward."""
    sizes = BlockSizes(**TINY)
    mod = blocks.make_stage(0, sizes)
    x = blocks.make_input(0, sizes)
    grad = torch.randn(sizes.batch, sizes.seq, sizes.hidden)
    c = blocks.forward(mod, x)
    dx = blocks.backward_input(c, c.y, grad)
    split = dict(blocks.backward_weight(c))
    dx2, full = full_grads(mod, x, grad)
    assert torch.allclose(dx, dx2, atol=1e-6)
    assert len(full) == len(split) == len(list(mod.parameters()))
    for p, g in full.items():
        assert torch.allclose(split[p], g, atol=1e-6)


def test_uncaptured_forward_and_first_stage_without_input_gradient() -> None:
    """A forward before a fused backward captures nothing; on the first stage (dx=False) the
    input needs no gradient: B and BW return zeros and W still gives every weight gradient of
    one full backward."""
    sizes = BlockSizes(**TINY)
    mod = blocks.make_stage(0, sizes)
    x = blocks.make_input(0, sizes)
    grad = torch.randn(sizes.batch, sizes.seq, sizes.hidden)
    _, full = full_grads(mod, x, grad)
    c = blocks.forward(mod, x, dx=False)
    assert not c.x.requires_grad and len(c.outs) == 4
    assert not blocks.backward_input(c, c.y, grad).any()
    split = dict(blocks.backward_weight(c))
    dx2, full2 = full_grads(mod, x, grad, dx=False)
    assert not dx2.any() and len(split) == len(full) == len(full2) == 8
    for p, g in full.items():
        assert torch.allclose(split[p], g, atol=1e-6) and torch.equal(full2[p], g)


def test_two_devices_zb_h1_matches_reference_and_times() -> None:
    pb = problem(2, 4)
    res = replay_pipeline(pb, ref(pb, "zb-h1"), device="cpu", iters=2, **TINY)
    for name, m in res.measures.items():
        kinds = {"F", "B", "W"} if name == "zb-h1" else {"F", "BW"}
        assert set(m.op_ms) == {f"{k}{s}" for k in kinds for s in range(2)}
        assert all(v > 0 for v in m.op_ms.values())
        assert len(m.iterations) == 2 and m.measured_makespan > 0
        assert m.measured_span <= m.measured_makespan + 1e-6
        assert m.measured_wall >= m.measured_makespan - 1e-6
        # the re-simulation cannot beat the measured work of the busiest device (op_ms holds
        # means rounded to 1e-4 ms: up to 0.5e-4 off for each of a device's 4 x 3 ops)
        work = max(4 * sum(v for k, v in m.op_ms.items() if k.endswith(str(d))) for d in range(2))
        assert m.resimulated_makespan >= work - 12 * 0.5e-4 - 1e-9
    assert check_zb_h1(res)["runtime"] == "schedkit"


def test_reference_check_can_fail() -> None:
    """Gradients of a different model (another seed) are far from the reference."""
    pb = problem(2, 2)
    sizes = BlockSizes(**TINY)
    ref = reference_grads(pb, sizes, seed=0)
    assert grad_diff(ref, ref) == 0.0
    assert grad_diff(ref, reference_grads(pb, sizes, seed=1)) > 100 * GRAD_TOL
    assert grad_diff(ref, {}) == float("inf")


def test_v_placement_with_local_handoff() -> None:
    """ZB-V: stages 1 and 2 share device 1, messages cross both ways between the devices."""
    pb = problem(2, 4, chunks=2, stage_placement="v")
    res = replay(pb, ref(pb, "zb-v"), device="cpu", iters=1, baseline=False, **TINY)
    assert isinstance(res, PipelineReplayResult)  # `replay` dispatches on the kind
    assert res.baseline is None and res.grads_ok


@pytest.mark.slow
def test_four_devices_zb_h2_gradients() -> None:
    pb = problem(4, 4)
    res = replay_pipeline(
        pb, ref(pb, "zb-h2"), device="cpu", iters=1, warmup=0, baseline=False, **TINY
    )
    assert res.grads_ok


def test_profile_writes_loadable_instance(tmp_path: Path) -> None:
    pb = profile_pipeline(2, 4, iters=2, memory_limit=3.0, **TINY)
    assert all(t > 0 for k in ("F", "B", "W", "BW") for t in pb.t[k])
    path = tmp_path / "profiled.yaml"
    write_pipeline_yaml(pb, str(path), comment="block sizes: hidden 32, seq 8, batch 2")
    loaded = schedkit.load(str(path))
    assert loaded == pb
    assert path.read_text().startswith("# block sizes")
