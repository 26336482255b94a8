"""The models that replays run: a small transformer-like pipeline stage and expert FFNs.

Everything is built from seeds so that every process (and the single-process reference)
builds identical weights and inputs. torch is imported here at module level: import this
module only after `schedkit.execute.require_torch()`.

The zero-bubble split of a stage's backward: B computes dL/dx and, on the way, the gradient
of the output of every submodule that owns parameters (captured by forward hooks); W later
turns each of those into the submodule's weight gradient with one `autograd.grad` call per
submodule, which only runs the weight half of its backward. A fused BW does both in one
pass, adding into the parameters' `.grad` directly.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

import torch
from torch import nn

from schedkit.execute import BlockSizes


class Block(nn.Module):
    """Pre-norm self-attention + MLP with residuals (norms without affine weights, so that
    every parameter lives in a Linear)."""

    def __init__(self, hidden: int, heads: int, ffn_mult: int) -> None:
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(hidden, 3 * hidden)
        self.proj = nn.Linear(hidden, hidden)
        self.fc1 = nn.Linear(hidden, ffn_mult * hidden)
        self.fc2 = nn.Linear(ffn_mult * hidden, hidden)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t, h = x.shape
        q, k, v = self.qkv(nn.functional.layer_norm(x, (h,))).chunk(3, dim=-1)
        q, k, v = (z.reshape(b, t, self.heads, -1).transpose(1, 2) for z in (q, k, v))
        att = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(h // self.heads), dim=-1)
        x = x + self.proj((att @ v).transpose(1, 2).reshape(b, t, h))
        y = self.fc2(nn.functional.gelu(self.fc1(nn.functional.layer_norm(x, (h,)))))
        return x + y


def make_stage(stage: int, sizes: BlockSizes, seed: int = 0) -> nn.Module:
    """Stage `stage`'s module, identical in every process for the same seed (float32, CPU;
    move it with `.to(device)`)."""
    gen_state = torch.random.get_rng_state()
    torch.manual_seed(seed * 7919 + stage)
    blocks = [Block(sizes.hidden, sizes.heads, sizes.ffn_mult) for _ in range(sizes.layers)]
    torch.random.set_rng_state(gen_state)
    return nn.Sequential(*blocks)


def make_input(microbatch: int, sizes: BlockSizes, seed: int = 0) -> torch.Tensor:
    """The input activations of microbatch `microbatch` (CPU float32)."""
    gen = torch.Generator().manual_seed(seed * 104729 + 1000 + microbatch)
    return torch.randn(sizes.batch, sizes.seq, sizes.hidden, generator=gen)


def loss_of(out: torch.Tensor, microbatches: int) -> torch.Tensor:
    """The last stage's loss of one microbatch (mean square, averaged over microbatches)."""
    return out.float().pow(2).mean() / microbatches


class Captured:
    """One forward pass of a stage, kept for its B and W: input, output and the outputs of the
    parameter-owning submodules (each is assumed to be called once per forward)."""

    def __init__(
        self, x: torch.Tensor, y: torch.Tensor, outs: list[tuple[torch.Tensor, list[nn.Parameter]]]
    ) -> None:
        self.x, self.y, self.outs = x, y, outs
        self.grads: Sequence[torch.Tensor | None] = ()


def param_modules(module: nn.Module) -> list[nn.Module]:
    """Submodules that own parameters directly (their outputs carry the weight gradients)."""
    return [m for m in module.modules() if any(True for _ in m.parameters(recurse=False))]


def forward(module: nn.Module, x: torch.Tensor, capture: bool = True, dx: bool = True) -> Captured:
    """Run the stage on `x` (made a leaf that requires grad when `dx`), capturing what B and W
    need.

    `capture=False` for a forward whose backward is fused (BW): the hooks cost some 6 % of the
    forward on the CPU (and 1-7 % of the later backward in two timings), and a fused backward
    does not use what they capture.
    `dx=False` on the first stage: nothing consumes the gradient of its input, so its
    backward does not compute it (as in torch's runtime, whose first stage's inputs are data).
    """
    x = x.detach().requires_grad_(dx)
    outs: list[tuple[torch.Tensor, list[nn.Parameter]]] = []
    if not capture:
        return Captured(x, module(x), outs)
    hooks = []
    for m in param_modules(module):
        params = list(m.parameters(recurse=False))

        def hook(_m: nn.Module, _i: Any, out: Any, params: list[nn.Parameter] = params) -> None:
            if isinstance(out, torch.Tensor):
                outs.append((out, params))

        hooks.append(m.register_forward_hook(hook))
    try:
        y = module(x)
    finally:
        for h in hooks:
            h.remove()
    return Captured(x, y, outs)


def backward_input(c: Captured, root: torch.Tensor, grad: torch.Tensor | None) -> torch.Tensor:
    """B: dL/dx (zeros when the input needs none), keeping the gradients of the captured outputs
    (and the graph) for W."""
    first = [c.x] if c.x.requires_grad else []
    inputs = first + [z for z, _ in c.outs]
    grads = torch.autograd.grad(root, inputs, grad, retain_graph=True, allow_unused=True)
    c.grads = grads[len(first) :]
    dx = grads[0] if first else None
    return torch.zeros_like(c.x) if dx is None else dx


def backward_weight(c: Captured) -> list[tuple[nn.Parameter, torch.Tensor]]:
    """W: every parameter's gradient from the captured output gradients (frees the graph)."""
    out: list[tuple[nn.Parameter, torch.Tensor]] = []
    for (z, params), g in zip(c.outs, c.grads, strict=True):
        if g is None:
            continue
        grads = torch.autograd.grad(z, params, g, allow_unused=True)
        out += [(p, gp) for p, gp in zip(params, grads, strict=True) if gp is not None]
    c.outs, c.grads = [], ()
    return out


def backward_full(c: Captured, root: torch.Tensor, grad: torch.Tensor | None) -> torch.Tensor:
    """BW: one backward pass that adds every parameter's gradient into its `.grad` (as torch's
    own backward does, without the copies of collecting them first), returning dL/dx (zeros
    when the input needs none)."""
    torch.autograd.backward(root, grad)
    c.outs = []
    dx = c.x.grad
    return torch.zeros_like(c.x) if dx is None else dx


class ExpertFFN(nn.Module):
    """The replicas of one GPU: per slot an expert FFN (hidden -> ffn -> hidden, GELU) whose
    weights depend only on the logical expert, so replicas are identical."""

    def __init__(self, experts: Sequence[int], hidden: int, ffn: int, seed: int = 0) -> None:
        super().__init__()
        w1, w2 = [], []
        for e in experts:
            gen = torch.Generator().manual_seed(seed * 15485863 + e)
            w1.append(torch.randn(hidden, ffn, generator=gen) / math.sqrt(hidden))
            w2.append(torch.randn(ffn, hidden, generator=gen) / math.sqrt(ffn))
        self.w1 = nn.Parameter(torch.stack(w1), requires_grad=False)
        self.w2 = nn.Parameter(torch.stack(w2), requires_grad=False)

    def forward(self, tokens: Sequence[torch.Tensor]) -> list[torch.Tensor]:
        """One token matrix (n_slot, hidden) per slot in, one out: one real matmul pair each."""
        return [nn.functional.gelu(x @ self.w1[i]) @ self.w2[i] for i, x in enumerate(tokens)]


def zero_grads(modules: Iterable[nn.Module]) -> None:
    """Drop every parameter gradient of `modules` (the next backward starts from None)."""
    for module in modules:
        for p in module.parameters():
            p.grad = None


def stage_grads(stages: Iterable[tuple[int, nn.Module]]) -> dict[str, Any]:
    """Every parameter gradient of (stage, module) pairs as `{stage}.{name}` -> numpy array
    (on the CPU, so that it crosses process boundaries without torch's shared memory)."""
    return {
        f"{s}.{n}": p.grad.detach().cpu().numpy()
        for s, module in stages
        for n, p in module.named_parameters()
        if p.grad is not None
    }
