"""MoE expert-to-GPU placement: replicate logical experts into GPU slots to balance load.

A `PlacementProblem` holds per-layer token loads of logical experts and a cluster of
`nodes x gpus_per_node` GPUs with `slots_per_gpu` physical expert slots each. A
`PlacementSolution` says, per layer and GPU, which logical expert sits in each slot (the
row-major flattening is EPLB's `phy2log`). The objective is the sum over layers of the largest
per-GPU load, plus `traffic_weight` x inter-node traffic and `move_cost` x moved replicas.
"""

from __future__ import annotations

import json
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

import numpy as np
from pydantic import (
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationInfo,
    field_validator,
    model_validator,
)

from schedkit.io import sglang
from schedkit.models.base import (
    MAX_EXACT_INT,
    Finite,
    Int,
    NonNegFinite,
    NonNegInt,
    PosInt,
    Problem,
    Solution,
)

MAX_WEIGHT = 1e9
"""Upper end of `traffic_weight`, `move_cost` and `balance_tolerance`."""

Layout = tuple[tuple[tuple[Int, ...], ...], ...]
"""[layer][gpu] -> logical expert of each slot."""


def _to_list(a: np.ndarray) -> list[Any]:
    out: list[Any] = a.tolist()
    return out


Array = Annotated[np.ndarray, PlainSerializer(_to_list, return_type=list)]


def read_matrix(path: str, base_dir: str | None = None) -> np.ndarray:
    """A numeric array from a .csv, .npy or .json file, or an SGLang expert-distribution dump
    (.json or torch .pt with `logical_count`), relative to `base_dir` or the cwd."""
    p = Path(path)
    if not p.is_absolute() and base_dir is not None:
        p = Path(base_dir) / p
    if not p.exists():
        raise ValueError(f"load file {str(p)!r} does not exist")
    suffix = p.suffix.lower()
    try:
        if suffix == ".npy":
            raw = np.load(p, allow_pickle=False)
            check_numbers(raw, f"{str(p)!r}")
            return np.asarray(raw, dtype=float)
        if suffix == ".csv":
            return np.atleast_2d(np.loadtxt(p, delimiter=",", dtype=float, ndmin=2))
        if suffix == ".json":
            data = json.loads(p.read_text())
            if isinstance(data, dict):  # SGLang's expert-distribution dump
                return sglang.counts_from_object(data)
            if not isinstance(data, list):
                raise ValueError(f"expected a JSON array of numbers, got {_json_type(data)}")
            check_numbers(data, f"{str(p)!r}")
            return np.asarray(data, dtype=float)
        if suffix == ".pt":
            return sglang.read_pt(p)
    except (ValueError, OSError, RecursionError) as exc:
        raise ValueError(f"cannot read {str(p)!r}: {exc}") from None
    raise ValueError(f"load file {str(p)!r}: expected .csv, .npy, .json or .pt")


def _json_type(data: Any) -> str:
    return {dict: "an object", str: "a string", bool: "a boolean"}.get(type(data), "a number")


def check_numbers(value: Any, what: str) -> None:
    """ValueError unless the nested lists `value` hold only numbers (no booleans, strings)."""
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "iuf":
            raise ValueError(f"{what} must hold numbers, got an array of {value.dtype}")
        return
    if not isinstance(value, list | tuple):
        return
    try:
        flat = np.array(value, dtype=object).ravel()
    except ValueError:  # ragged in a way numpy cannot hold: reported by the caller
        return
    for kind in set(map(type, flat)):
        if kind in (list, tuple):  # ragged: reported by the caller
            continue
        if kind is bool or not issubclass(kind, int | float | np.integer | np.floating):
            name = {bool: "a boolean", str: "a string"}.get(kind, f"a {kind.__name__}")
            raise ValueError(f"{what} must hold numbers only, found {name}")


def as_array(value: Any, ndim: int, what: str, info: ValidationInfo) -> np.ndarray:
    """`value` (nested lists, array or file path) as a finite non-negative float array."""
    if isinstance(value, str | Path):
        ctx = info.context if isinstance(info.context, dict) else {}
        value = read_matrix(str(value), ctx.get("base_dir"))
    if not isinstance(value, list | tuple | np.ndarray):
        raise ValueError(f"{what} must be a {ndim}-D array of numbers or a file name")
    check_numbers(value, what)
    try:
        arr = np.array(value, dtype=float)
    except (ValueError, TypeError):
        raise ValueError(
            f"{what} must be a {ndim}-D numeric array (ragged or non-numeric)"
        ) from None
    if arr.ndim != ndim or 0 in arr.shape:
        raise ValueError(f"{what} must be a non-empty {ndim}-D array, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)) or np.any(arr < 0) or np.any(arr > MAX_EXACT_INT):
        raise ValueError(f"{what} must be finite, non-negative and at most 2^53")
    arr.setflags(write=False)
    return arr


class PlacementProblem(Problem):
    """Place replicas of each layer's logical experts into GPU slots (see module docstring).

    Keys beyond the basics: `groups` with `group_local` (`primary`, the default: every expert
    of a group has a replica on the group's node, redundant replicas go anywhere; `strict`:
    all replicas of a group on one node; `off`); `coactivation[l][a][b]` tokens go from
    expert a (layer l) to b (layer l+1) and inter-node traffic is minimised too, weighted by
    `traffic_weight` (`traffic_mode: weighted`) or after balance (`traffic_mode:
    lexicographic`: no layer's largest load above the balance-only plan's, + a relative
    `balance_tolerance`); `scenarios` are extra load matrices
    planned against at once (worst case); `previous` (a placement) with `max_moves` (per
    layer) and `move_cost` re-plans with few replica moves.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)
    KIND: ClassVar[str] = "placement"
    kind: str = "placement"
    loads: Array
    nodes: PosInt = 1
    gpus_per_node: PosInt
    slots_per_gpu: PosInt
    groups: PosInt | None = None
    group_local: Literal["primary", "strict", "off"] = "primary"
    coactivation: Array | None = None
    traffic_weight: NonNegFinite = Field(default=0.0, le=MAX_WEIGHT)
    traffic_mode: Literal["weighted", "lexicographic"] = "weighted"
    balance_tolerance: NonNegFinite = Field(default=0.0, le=MAX_WEIGHT)
    split: Literal["even", "free"] = "even"
    scenarios: tuple[Array, ...] = ()
    previous: Layout | None = None
    max_moves: NonNegInt | None = None
    move_cost: NonNegFinite = Field(default=0.0, le=MAX_WEIGHT)

    @field_validator("loads", mode="before")
    @classmethod
    def _loads(cls, v: Any, info: ValidationInfo) -> np.ndarray:
        return as_array(v, 2, "loads (layers x experts)", info)

    @field_validator("group_local", mode="before")
    @classmethod
    def _group_local(cls, v: Any) -> Any:
        if isinstance(v, bool):  # the former boolean key: true was the strict reading
            return "strict" if v else "off"
        return v

    @field_validator("coactivation", mode="before")
    @classmethod
    def _coact(cls, v: Any, info: ValidationInfo) -> np.ndarray | None:
        return None if v is None else as_array(v, 3, "coactivation (pairs x E x E)", info)

    @field_validator("scenarios", mode="before")
    @classmethod
    def _scen(cls, v: Any, info: ValidationInfo) -> tuple[np.ndarray, ...]:
        if isinstance(v, str | np.ndarray) or not isinstance(v, list | tuple):
            v = [v]
        return tuple(as_array(m, 2, f"scenarios[{i}]", info) for i, m in enumerate(v))

    @model_validator(mode="after")
    def _consistent(self) -> PlacementProblem:
        L, E = self.loads.shape
        if self.num_slots < E:
            raise ValueError(
                f"{self.num_gpus} GPUs x {self.slots_per_gpu} slots = {self.num_slots} slots "
                f"cannot hold {E} experts"
            )
        for i, s in enumerate(self.scenarios):
            if s.shape != (L, E):
                raise ValueError(f"scenarios[{i}] has shape {s.shape}, loads have {(L, E)}")
        if self.scenarios and self.split == "free":
            raise ValueError("scenarios need split: even (a free split is per load matrix)")
        self._check_groups(E)
        if self.coactivation is not None and self.coactivation.shape != (max(L - 1, 1), E, E):
            raise ValueError(
                f"coactivation must have shape {(max(L - 1, 1), E, E)} (layer pairs x E x E), "
                f"got {self.coactivation.shape}"
            )
        if self.previous is not None:
            self._check_previous(L, E)
        elif self.max_moves is not None or self.move_cost > 0:
            raise ValueError("max_moves / move_cost need a 'previous' placement")
        return self

    def _check_groups(self, E: int) -> None:
        if self.groups is None:
            return
        if E % self.groups:
            raise ValueError(f"groups={self.groups} must divide the {E} experts")
        if self.group_local != "off":
            fit = self.nodes * (self.gpus_per_node * self.slots_per_gpu // (E // self.groups))
            if fit < self.groups:
                raise ValueError(
                    f"{self.groups} groups of {E // self.groups} experts cannot be kept "
                    f"node-local in {self.nodes} nodes (set group_local: off)"
                )
            if self.group_local == "strict" and 1 < self.nodes and self.groups < self.nodes:
                raise ValueError(
                    f"group_local: strict fills every node with whole groups: {self.groups} "
                    f"groups cannot fill {self.nodes} nodes (use primary or off)"
                )

    def _check_previous(self, L: int, E: int) -> None:
        prev = self.previous or ()
        if len(prev) != L or any(len(layer) != self.num_gpus for layer in prev):
            raise ValueError(f"previous must be a placement of {L} layers x {self.num_gpus} GPUs")
        for layer in prev:
            for gpu in layer:
                if len(gpu) != self.slots_per_gpu or any(not 0 <= e < E for e in gpu):
                    raise ValueError(
                        f"previous: each GPU needs {self.slots_per_gpu} experts in 0..{E - 1}"
                    )

    @property
    def num_layers(self) -> int:
        return int(self.loads.shape[0])

    @property
    def num_experts(self) -> int:
        return int(self.loads.shape[1])

    @property
    def num_gpus(self) -> int:
        return self.nodes * self.gpus_per_node

    @property
    def num_slots(self) -> int:
        return self.num_gpus * self.slots_per_gpu

    @property
    def group_size(self) -> int:
        return self.num_experts // self.groups if self.groups else self.num_experts

    @property
    def groups_strict(self) -> bool:
        """All replicas of a group on one node (`group_local: strict`, a validator check)."""
        return self.groups is not None and self.group_local == "strict" and self.nodes > 1

    @property
    def groups_primary(self) -> bool:
        """Some node of each group holds a replica of every expert of the group
        (`group_local: primary`, a validator check); other replicas go anywhere."""
        return self.groups is not None and self.group_local == "primary" and self.nodes > 1

    @property
    def lexicographic(self) -> bool:
        """Traffic is minimised after balance (`traffic_mode: lexicographic`)."""
        lexi = self.traffic_mode == "lexicographic"
        return lexi and self.coactivation is not None and self.nodes > 1

    @property
    def uses_traffic(self) -> bool:
        """Weighted inter-node traffic is part of the objective the solvers trade off."""
        return (
            self.coactivation is not None
            and self.traffic_weight > 0
            and self.nodes > 1
            and not self.lexicographic
        )

    @cached_property
    def load_stack(self) -> np.ndarray:
        """(scenarios, layers, experts): the loads followed by the extra scenarios."""
        return np.stack([self.loads, *self.scenarios])

    def node_of(self, gpu: int) -> int:
        return gpu // self.gpus_per_node

    def summary(self) -> dict[str, Any]:
        return {
            "layers": self.num_layers,
            "experts": self.num_experts,
            "gpus": self.num_gpus,
            "nodes": self.nodes,
            "slots": self.num_slots,
            "redundant": self.num_slots - self.num_experts,
            "groups": self.groups,
            "traffic": self.uses_traffic,
            "scenarios": len(self.scenarios),
            "replan": self.previous is not None,
        }


class PlacementSolution(Solution):
    """Per layer, per GPU (node-major: GPU g is on node g // gpus_per_node), the logical
    expert held by each slot. The row-major flattening of a layer is EPLB's `phy2log`.

    Optional claims, checked by the validator: `replicas[l][e]` (EPLB's `logcnt`),
    `max_loads[l]` (the largest GPU load of layer l) and `tokens[l][g][s]` (tokens routed to
    each slot; required meaning under `split: free`, where the validator otherwise uses the
    best split).
    """

    KIND: ClassVar[str] = "placement"
    placement: Layout = Field(min_length=1)
    replicas: tuple[tuple[Int, ...], ...] | None = None
    max_loads: tuple[Finite, ...] | None = None
    tokens: tuple[tuple[tuple[Finite, ...], ...], ...] | None = None

    def array(self) -> np.ndarray:
        """The placement as an int array (layers, gpus, slots); needs equal slot counts."""
        return np.array(self.placement, dtype=np.int64)


def counts_of(layer: np.ndarray, num_experts: int) -> np.ndarray:
    """Replica count of every expert in one layer's (gpus, slots) placement."""
    return np.bincount(layer.ravel(), minlength=num_experts)


__all__ = ["Layout", "PlacementProblem", "PlacementSolution", "counts_of", "read_matrix"]
