"""Generate placement instances: skewed expert loads and co-activation with cross-layer affinity.

Loads: per layer, expert popularity drawn log-normal (sigma) or Zipf (exponent s) over a
random permutation of experts, scaled to `tokens` x `top_k` routed tokens and rounded to
integers. Co-activation of layers l -> l+1: a share `affinity` of each expert's tokens goes to
experts of the same hidden cluster (clusters are fixed per layer by the seed), the rest follows
the next layer's popularity. Everything is reproducible from the seed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import numpy as np
import typer
import yaml
from pydantic import Field, model_validator

from schedkit.generate.options import (
    check_options,
    check_output_path,
    checked_problem,
    write_instance,
)
from schedkit.models.base import Frozen, NonNegFinite, NonNegInt, PosInt

MAX_SIZE = 4096
"""Upper end of experts, layers, redundant replicas, nodes and GPUs per node."""
MAX_VALUES = 20_000_000
"""Most numbers an instance may hold (loads, plus co-activation when traffic is on)."""


class Options(Frozen):
    """The options of `schedkit generate placement`, with their ranges."""

    experts: PosInt = Field(le=MAX_SIZE)
    layers: PosInt = Field(le=MAX_SIZE)
    redundant: NonNegInt = Field(le=MAX_SIZE)
    nodes: PosInt = Field(le=MAX_SIZE)
    gpus_per_node: PosInt = Field(le=MAX_SIZE)
    groups: NonNegInt = Field(le=MAX_SIZE)
    dist: Literal["lognormal", "zipf"]
    skew: NonNegFinite = Field(le=10.0)
    traffic_weight: NonNegFinite = Field(le=1e9)
    seed: NonNegInt

    @model_validator(mode="after")
    def _fits(self) -> Options:
        gpus = self.nodes * self.gpus_per_node
        if (self.experts + self.redundant) % gpus:
            raise ValueError(
                f"--experts + --redundant = {self.experts + self.redundant} must be a multiple "
                f"of the {gpus} GPUs (--nodes x --gpus-per-node)"
            )
        if self.groups and self.experts % self.groups:
            raise ValueError(f"--groups {self.groups} must divide the {self.experts} experts")
        values = self.layers * self.experts
        if self.traffic_weight > 0:
            values += max(self.layers - 1, 1) * self.experts**2
        if values > MAX_VALUES:
            raise ValueError(
                f"the instance would hold {values:.3g} numbers, above {MAX_VALUES:.0e} "
                "(fewer layers or experts, or no traffic)"
            )
        return self


def expert_loads(
    layers: int,
    experts: int,
    *,
    dist: str = "lognormal",
    skew: float = 1.0,
    tokens: int = 8192,
    top_k: int = 8,
    seed: int = 0,
) -> np.ndarray:
    """(layers, experts) integer token counts; `skew` is sigma (lognormal) or s (zipf)."""
    rng = np.random.default_rng(seed)
    out = np.empty((layers, experts))
    for layer in range(layers):
        pop: np.ndarray
        if dist == "lognormal":
            pop = rng.lognormal(0.0, skew, experts)
        elif dist == "zipf":
            pop = (1.0 / np.arange(1, experts + 1) ** skew)[rng.permutation(experts)]
        else:
            raise ValueError(f"unknown distribution {dist!r}: lognormal or zipf")
        out[layer] = rng.multinomial(tokens * top_k, pop / pop.sum())
    return out


def coactivation(
    loads: np.ndarray, *, clusters: int = 8, affinity: float = 0.6, seed: int = 0
) -> np.ndarray:
    """(layers-1, E, E) tokens from expert a (layer l) to b (layer l+1); rows sum to loads[l]."""
    rng = np.random.default_rng(seed + 1)
    L, E = loads.shape
    label = np.stack([rng.permutation(E) % clusters for _ in range(L)])
    out = np.zeros((max(L - 1, 1), E, E))
    for layer in range(L - 1):
        nxt = loads[layer + 1]
        base = np.outer(loads[layer], nxt / max(nxt.sum(), 1.0))
        same = label[layer][:, None] == label[layer + 1][None, :]
        aff = same * nxt[None, :]
        aff = aff / np.maximum(aff.sum(axis=1, keepdims=True), 1e-12) * loads[layer][:, None]
        out[layer] = np.round((1 - affinity) * base + affinity * aff)
    return out


def instance(
    name: str,
    layers: int,
    experts: int,
    redundant: int,
    nodes: int,
    gpus_per_node: int,
    *,
    groups: int | None = None,
    dist: str = "lognormal",
    skew: float = 1.0,
    seed: int = 0,
    traffic_weight: float = 0.0,
    affinity: float = 0.6,
) -> dict[str, Any]:
    """A placement instance as plain data (YAML-ready)."""
    gpus = nodes * gpus_per_node
    if (experts + redundant) % gpus:
        raise ValueError(
            f"experts + redundant = {experts + redundant} is not a multiple of {gpus} GPUs"
        )
    loads = expert_loads(layers, experts, dist=dist, skew=skew, seed=seed)
    data: dict[str, Any] = {
        "kind": "placement",
        "name": name,
        "loads": loads.astype(int).tolist(),
        "nodes": nodes,
        "gpus_per_node": gpus_per_node,
        "slots_per_gpu": (experts + redundant) // gpus,
    }
    if groups:
        data["groups"] = groups
    if traffic_weight > 0:
        data["coactivation"] = (
            coactivation(loads, affinity=affinity, seed=seed).astype(int).tolist()
        )
        data["traffic_weight"] = traffic_weight
    return data


def command(
    experts: int = typer.Option(64, help="logical experts per layer"),
    layers: int = typer.Option(4, help="MoE layers"),
    redundant: int = typer.Option(0, help="redundant replicas (surplus slots)"),
    nodes: int = typer.Option(1, help="nodes"),
    gpus_per_node: int = typer.Option(8, help="GPUs per node"),
    groups: int = typer.Option(0, help="expert groups (0: none)"),
    dist: str = typer.Option("lognormal", help="lognormal or zipf"),
    skew: float = typer.Option(1.0, help="sigma (lognormal) or exponent (zipf)"),
    traffic_weight: float = typer.Option(0.0, help=">0 adds co-activation and traffic"),
    seed: int = typer.Option(0, help="random seed"),
    out: Path = typer.Option(..., "--out", "-o", help="YAML file to write"),
) -> None:
    """Write a generated placement instance to --out."""
    opts = check_options(
        Options,
        {
            "experts": experts,
            "layers": layers,
            "redundant": redundant,
            "nodes": nodes,
            "gpus_per_node": gpus_per_node,
            "groups": groups,
            "dist": dist,
            "skew": skew,
            "traffic_weight": traffic_weight,
            "seed": seed,
        },
    )
    check_output_path(out, "--out")
    data = instance(
        out.stem,
        opts.layers,
        opts.experts,
        opts.redundant,
        opts.nodes,
        opts.gpus_per_node,
        groups=opts.groups or None,
        dist=opts.dist,
        skew=opts.skew,
        seed=opts.seed,
        traffic_weight=opts.traffic_weight,
    )
    checked_problem(data, out)
    write_instance(yaml.safe_dump(data, default_flow_style=None, sort_keys=False), out)
