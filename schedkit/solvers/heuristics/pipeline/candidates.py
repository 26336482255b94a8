"""Starting points of the heuristic: every reference schedule that applies.

The closed forms (1F1B, ZB-H1/H2, ZB-V, ...), every variant of both greedy schedulers (the Zero
Bubble repository's and schedkit's list scheduler), torch's own schedule classes and the
caller's hint. Including every reference is what makes the heuristic never worse than any of
them. Importing torch's pipelining package takes seconds, so torch's schedules join only when
it is imported already (a training script, `replay`, the benchmarks) or the `torch_schedules`
param asks for them.
"""

from __future__ import annotations

import sys

from schedkit.models.pipeline.problem import OpKey, PipelineProblem, PipelineSolution
from schedkit.models.pipeline.references import (
    GREEDY,
    REFERENCES,
    greedy_variants,
    zb_greedy_variants,
)
from schedkit.solvers.budget import Budget

Orders = list[list[OpKey]]


def use_torch(asked: bool | None) -> bool:
    """Whether torch's schedules join the candidates (`asked`: the `torch_schedules` param)."""
    if asked is not None:
        return asked
    return "torch.distributed.pipelining" in sys.modules


def candidates(
    problem: PipelineProblem,
    hint: PipelineSolution | None,
    budget: Budget,
    with_torch: bool = False,
) -> dict[str, Orders]:
    """Orders of every applicable reference, the greedy variants that finish in time, the hint."""
    out: dict[str, Orders] = {}
    torch_names = [n for n in REFERENCES if n.startswith("torch-")]
    for name, builder in REFERENCES.items():
        if name not in GREEDY and name not in torch_names:
            _add(out, name, builder(problem, budget))
    for label, (orders, _) in zb_greedy_variants(problem, budget).items():
        out[f"zb-greedy {label}"] = orders
    for variant, orders in greedy_variants(problem, budget).items():
        out[f"list-greedy {variant}"] = orders
    imported = "torch.distributed.pipelining" in sys.modules
    if with_torch and (imported or not budget.expired()):  # last: a first import is slow
        for name in torch_names:
            _add(out, name, REFERENCES[name](problem, budget))
    if hint is not None:
        out["hint"] = hint.orders(problem.devices)
    return out


def _add(out: dict[str, Orders], name: str, orders: Orders | None) -> None:
    if orders is not None:
        out[name] = orders
