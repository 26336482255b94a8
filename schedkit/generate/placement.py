"""Generate placement instances: skewed expert loads and co-activation with cross-layer affinity.

Loads: per layer, expert popularity drawn log-normal (sigma) or Zipf (exponent s) over a
random permutation of experts, or `grouped`: a log-normal heat per expert group (sigma
`group_skew`, whole groups run hot) times a log-normal factor per expert (sigma `skew`);
multinomial samples of `tokens` x `top_k` routed tokens. The first `dense` layers are all zero,
as the dense layers of a real SGLang dump. Preset `deepseek-v3` (`PRESETS`): 61 layers, 3
dense, 256 experts in 8 groups, calibrated so that DeepSeek's EPLB reaches the balance it
reaches on real DeepSeek-V3 SGLang dumps (docs/placement.md, "Realistic loads").

Co-activation of layers l -> l+1: a share `affinity` of each expert's tokens goes to
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

from schedkit.errors import InputError
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


PRESETS: dict[str, dict[str, Any]] = {
    "deepseek-v3": {
        "experts": 256,
        "layers": 61,
        "dense_layers": 3,
        "groups": 8,
        "dist": "grouped",
        "skew": 0.6,
        "group_skew": 0.45,
    },
}
"""Named option sets of `--preset` (they replace the options they name)."""

DEFAULT_TOKENS = 8192
"""Tokens per layer (each routed to `top_k` experts) without a preset."""
PRESET_TOKENS = 200_000
"""Tokens per layer with a preset: enough that sampling noise is small, as in a long dump."""


class Options(Frozen):
    """The options of `schedkit generate placement`, with their ranges."""

    experts: PosInt = Field(le=MAX_SIZE)
    layers: PosInt = Field(le=MAX_SIZE)
    redundant: NonNegInt = Field(le=MAX_SIZE)
    nodes: PosInt = Field(le=MAX_SIZE)
    gpus_per_node: PosInt = Field(le=MAX_SIZE)
    groups: NonNegInt = Field(le=MAX_SIZE)
    dist: Literal["lognormal", "zipf", "grouped"]
    skew: NonNegFinite = Field(le=10.0)
    group_skew: NonNegFinite = Field(default=0.0, le=10.0)
    dense_layers: NonNegInt = Field(default=0, le=MAX_SIZE)
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
        if self.dist == "grouped" and not self.groups:
            raise ValueError("--dist grouped needs --groups")
        if self.dense_layers >= self.layers:
            raise ValueError(f"--dense-layers {self.dense_layers} must be below --layers")
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
    tokens: int = DEFAULT_TOKENS,
    top_k: int = 8,
    seed: int = 0,
    groups: int | None = None,
    group_skew: float = 0.0,
    dense: int = 0,
) -> np.ndarray:
    """(layers, experts) integer token counts; `skew` is sigma (lognormal, grouped) or s
    (zipf); the first `dense` layers are zero."""
    rng = np.random.default_rng(seed)
    out = np.zeros((layers, experts))
    for layer in range(dense, layers):
        pop = popularity(rng, experts, dist, skew, groups, group_skew)
        out[layer] = rng.multinomial(tokens * top_k, pop / pop.sum())
    return out


def popularity(
    rng: np.random.Generator,
    experts: int,
    dist: str,
    skew: float,
    groups: int | None,
    group_skew: float,
) -> np.ndarray:
    """One layer's relative expert popularity."""
    if dist == "lognormal":
        out: np.ndarray = rng.lognormal(0.0, skew, experts)
    elif dist == "zipf":
        out = (1.0 / np.arange(1, experts + 1) ** skew)[rng.permutation(experts)]
    elif dist == "grouped" and groups:
        heat = rng.lognormal(0.0, group_skew, groups)
        out = np.repeat(heat, experts // groups) * rng.lognormal(0.0, skew, experts)
    else:
        raise ValueError(f"unknown distribution {dist!r}: lognormal, zipf or grouped (groups)")
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
    group_skew: float = 0.0,
    dense: int = 0,
    tokens: int = DEFAULT_TOKENS,
) -> dict[str, Any]:
    """A placement instance as plain data (YAML-ready)."""
    gpus = nodes * gpus_per_node
    if (experts + redundant) % gpus:
        raise ValueError(
            f"experts + redundant = {experts + redundant} is not a multiple of {gpus} GPUs"
        )
    loads = expert_loads(
        layers,
        experts,
        dist=dist,
        skew=skew,
        seed=seed,
        groups=groups,
        group_skew=group_skew,
        dense=dense,
        tokens=tokens,
    )
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
    dist: str = typer.Option("lognormal", help="lognormal, zipf or grouped (hot groups)"),
    skew: float = typer.Option(1.0, help="sigma (lognormal, grouped) or exponent (zipf)"),
    group_skew: float = typer.Option(0.0, help="grouped: sigma of the per-group heat"),
    dense_layers: int = typer.Option(0, help="leading all-zero (dense) layers"),
    preset: str = typer.Option(
        "", help="deepseek-v3: DeepSeek-V3-like loads (sets experts, layers, groups, dist)"
    ),
    traffic_weight: float = typer.Option(0.0, help=">0 adds co-activation and traffic"),
    seed: int = typer.Option(0, help="random seed"),
    out: Path = typer.Option(..., "--out", "-o", help="YAML file to write"),
) -> None:
    """Write a generated placement instance to --out."""
    if preset and preset not in PRESETS:
        raise InputError(
            f"unknown preset {preset!r}", field="--preset", hint=f"valid: {', '.join(PRESETS)}"
        )
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
            "group_skew": group_skew,
            "dense_layers": dense_layers,
            **PRESETS.get(preset, {}),
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
        group_skew=opts.group_skew,
        dense=opts.dense_layers,
        tokens=PRESET_TOKENS if preset else DEFAULT_TOKENS,
    )
    checked_problem(data, out)
    write_instance(yaml.safe_dump(data, default_flow_style=None, sort_keys=False), out)
