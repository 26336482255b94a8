"""Moves between a fused backward BW(s, j) and its split pair B(s, j) + W(s, j).

Fusing only pays on the stages where `times.BW` < B + W (`fusion.fusable_stages`); elsewhere
B then W in BW's slot is never worse, so the orders are split there (`fusion.split_fused`).
"""

from __future__ import annotations

import random

from schedkit.models.pipeline.fusion import split_fused
from schedkit.models.pipeline.problem import OpKey

Orders = list[list[OpKey]]


def count_fused(orders: Orders) -> int:
    return sum(op[0] == "BW" for row in orders for op in row)


def toggle(orders: Orders, rng: random.Random, fusable: frozenset[int]) -> Orders | None:
    """Fuse a random B + W of a fusable stage into one BW (at B's place or at W's), or split
    a random BW into B at its place and W at a random later place on the device."""
    d = rng.randrange(len(orders))
    row = list(orders[d])
    picks = [i for i, (k, s, _) in enumerate(row) if k == "BW" or (k == "B" and s in fusable)]
    if not picks:
        return None
    i = rng.choice(picks)
    kind, s, j = row[i]
    if kind == "BW":
        row[i] = ("B", s, j)
        row.insert(rng.randint(i + 1, len(row)), ("W", s, j))
    else:
        w = row.index(("W", s, j)) if ("W", s, j) in row else -1
        if w < i:  # a malformed hint: no W after this B
            return None
        if rng.random() < 0.5:  # the gradient as early as B's, W's work moved up
            del row[w]
            row[i] = ("BW", s, j)
        else:  # W's place: the work in between runs first, the gradient comes later
            row[w] = ("BW", s, j)
            del row[i]
    new = list(orders)
    new[d] = row
    return new


def with_split(cands: dict[str, Orders], fusable: frozenset[int]) -> dict[str, Orders]:
    """The candidates with no BW outside `fusable`, plus the all-split version of each one
    that keeps a BW (named "... (split)"): the all-split answer is then among them."""
    out: dict[str, Orders] = {}
    for name, orders in cands.items():
        out[name] = split_fused(orders, fusable)
        if count_fused(out[name]):
            out[f"{name} (split)"] = split_fused(orders)
    return out
