"""Pipeline-parallel training schedules with zero-bubble backward splits.

A model of `devices * chunks` stages runs `microbatches` microbatches. Every (stage, microbatch)
needs a forward pass F, an input-gradient pass B and a weight-gradient pass W (B and W may be
fused into one classic backward BW). Ops on one device run one at a time; F flows up the
stages, B flows down, W follows its B; every op changes the device's activation memory.
"""

from __future__ import annotations

from functools import cached_property
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Discriminator, Field, Tag, model_validator

from schedkit.models.base import (
    Finite,
    Frozen,
    Int,
    NonNegFinite,
    PosFinite,
    PosInt,
    Problem,
    Solution,
)

OpKind = Literal["F", "B", "W", "BW"]
OpKey = tuple[str, int, int]
"""(kind, stage, microbatch): the identity of one op."""

Amount = float | tuple[float, ...]

MAX_SERIAL_TIME = 1e12
"""Largest total of every op's duration and communication delay (one after another): the
range in which the exact backends' integer scaling and the validator's tolerance hold."""


def _one_or_many(value: Any) -> str:
    """The union member of a per-stage value: a list (one per stage) or one number."""
    return "union-list" if isinstance(value, list | tuple) else "union-number"


# `number | tuple[number, ...]`, validated as the one member the input's shape picks (so a bad
# value gets one error at its own path, e.g. `times.F[2]`).
PosPerStage = Annotated[
    Annotated[PosFinite, Tag("union-number")] | Annotated[tuple[PosFinite, ...], Tag("union-list")],
    Discriminator(_one_or_many),
]
NonNegPerStage = Annotated[
    Annotated[NonNegFinite, Tag("union-number")]
    | Annotated[tuple[NonNegFinite, ...], Tag("union-list")],
    Discriminator(_one_or_many),
]
FinitePerStage = Annotated[
    Annotated[Finite, Tag("union-number")] | Annotated[tuple[Finite, ...], Tag("union-list")],
    Discriminator(_one_or_many),
]


def _per_stage(value: Amount, stages: int, what: str) -> tuple[float, ...]:
    """A scalar or one value per stage, as a tuple of `stages` floats."""
    if isinstance(value, tuple):
        if len(value) != stages:
            raise ValueError(f"{what} lists {len(value)} values but there are {stages} stages")
        return value
    return (float(value),) * stages


class Times(Frozen):
    """Duration of F, B (input gradient) and W (weight gradient): a number or one per stage;
    BW, the measured cost of a fused backward (both halves in one pass), defaults to B + W."""

    F: PosPerStage = 1.0
    B: PosPerStage = 1.0
    W: PosPerStage = 1.0
    BW: PosPerStage | None = None


class Memory(Frozen):
    """Activation memory each op adds per microbatch and stage (F >= 0 allocates, B, W <= 0
    free); `limit` caps the running total on each device (None: unlimited)."""

    F: NonNegPerStage = 1.0
    B: FinitePerStage = -0.5
    W: FinitePerStage = -0.5
    limit: PosFinite | None = None

    @model_validator(mode="after")
    def _frees(self) -> Memory:
        for name in ("B", "W"):
            value = getattr(self, name)
            values = value if isinstance(value, tuple) else (value,)
            if any(v > 0 for v in values):
                raise ValueError(f"memory.{name} must be <= 0 (B and W free memory)")
        return self


class PipelineProblem(Problem):
    """Order F/B/W ops of every (stage, microbatch) on the devices to minimise the largest
    per-device span (`objective: span`) or the makespan (`objective: makespan`)."""

    KIND: ClassVar[str] = "pipeline"
    kind: str = "pipeline"
    devices: PosInt
    microbatches: PosInt
    chunks: PosInt = Field(default=1, le=8)
    stage_placement: Literal["loop", "v"] = "loop"
    times: Times = Times()
    comm: NonNegFinite = 0.0
    memory: Memory = Memory()
    objective: Literal["span", "makespan"] = "span"
    resolution: PosInt | None = Field(default=None, le=100_000)
    """Time units per 1.0 for the CP-SAT model (default: the smallest power of 10 that makes
    every time exact, at most 10^4)."""

    @model_validator(mode="after")
    def _check(self) -> PipelineProblem:
        if self.stage_placement == "v" and self.chunks != 2:
            raise ValueError("stage_placement 'v' needs chunks: 2")
        for name in ("F", "B", "W"):
            _per_stage(getattr(self.times, name), self.stages, f"times.{name}")
            _per_stage(getattr(self.memory, name), self.stages, f"memory.{name}")
        if self.times.BW is not None:
            _per_stage(self.times.BW, self.stages, "times.BW")
        serial = self.serial_time
        if serial > MAX_SERIAL_TIME:
            raise ValueError(
                f"every op and communication one after another takes {serial:.3g}, above "
                f"{MAX_SERIAL_TIME:g}, the supported range (scale the times and comm down)"
            )
        return self

    @property
    def serial_time(self) -> float:
        """Every op's duration plus one communication delay per op, one after another."""
        m, t = self.microbatches, self.t
        work = sum(
            m * (t["F"][s] + max(t["BW"][s], t["B"][s] + t["W"][s])) for s in range(self.stages)
        )
        return work + 3 * self.stages * m * self.comm

    @property
    def fused_time_given(self) -> bool:
        """Whether `times.BW` differs from B + W somewhere (the split-only exact models then
        do not cover every schedule)."""
        t = self.t
        return any(abs(t["BW"][s] - t["B"][s] - t["W"][s]) > 1e-12 for s in range(self.stages))

    @property
    def stages(self) -> int:
        return self.devices * self.chunks

    def device_of(self, stage: int) -> int:
        """The device that holds `stage` (loop: round robin; v: i and 2p-1-i on device i)."""
        p = self.devices
        if self.stage_placement == "v" and stage >= p:
            return 2 * p - 1 - stage
        return stage % p

    @cached_property
    def device_list(self) -> tuple[int, ...]:
        """device_of for every stage, precomputed."""
        return tuple(self.device_of(s) for s in range(self.stages))

    @cached_property
    def stages_of(self) -> tuple[tuple[int, ...], ...]:
        """The stages of each device, ascending."""
        out: list[list[int]] = [[] for _ in range(self.devices)]
        for s in range(self.stages):
            out[self.device_of(s)].append(s)
        return tuple(tuple(x) for x in out)

    @cached_property
    def t(self) -> dict[str, tuple[float, ...]]:
        """Per-stage durations of F, B, W and BW (`times.BW`, default B + W)."""
        out = {k: _per_stage(getattr(self.times, k), self.stages, k) for k in ("F", "B", "W")}
        if self.times.BW is not None:
            out["BW"] = _per_stage(self.times.BW, self.stages, "BW")
        else:
            out["BW"] = tuple(b + w for b, w in zip(out["B"], out["W"], strict=True))
        return out

    @cached_property
    def backward(self) -> tuple[float, ...]:
        """Per-stage cheapest full backward of one microbatch: min(BW, B + W)."""
        t = self.t
        return tuple(min(t["BW"][s], t["B"][s] + t["W"][s]) for s in range(self.stages))

    @cached_property
    def mem(self) -> dict[str, tuple[float, ...]]:
        """Per-stage memory change of F, B, W and BW (= B + W)."""
        out = {k: _per_stage(getattr(self.memory, k), self.stages, k) for k in ("F", "B", "W")}
        out["BW"] = tuple(b + w for b, w in zip(out["B"], out["W"], strict=True))
        return out

    def duration(self, op: OpKey) -> float:
        return self.t[op[0]][op[1]]

    def lag(self, a: int, b: int) -> float:
        """Communication delay from stage a to stage b (0 on the same device)."""
        return 0.0 if self.device_of(a) == self.device_of(b) else self.comm

    def device_work(self, device: int) -> float:
        """Least total F + backward time of a device (each backward fused or split, as is
        cheaper)."""
        m = self.microbatches
        return sum(m * (self.t["F"][s] + self.backward[s]) for s in self.stages_of[device])

    def summary(self) -> dict[str, Any]:
        return {
            "devices": self.devices,
            "microbatches": self.microbatches,
            "stages": self.stages,
            "placement": self.stage_placement if self.chunks > 1 else "one stage per device",
            "ops": 3 * self.stages * self.microbatches,
            "memory_limit": self.memory.limit,
            "objective": self.objective,
        }


class Op(Frozen):
    """One scheduled op; `kind` BW is a fused backward (B then W without a split)."""

    device: Int
    kind: OpKind
    stage: Int
    microbatch: Int
    start: Finite

    @property
    def key(self) -> OpKey:
        return (self.kind, self.stage, self.microbatch)


class PipelineSolution(Solution):
    """Every op with its device and start time; the order on a device is the start order.

    JSON: `{"ops": [{"device": 0, "kind": "F", "stage": 0, "microbatch": 0, "start": 0.0},
    ...]}`; `name` labels the schedule that produced it (e.g. "zb-h1").
    """

    KIND: ClassVar[str] = "pipeline"
    ops: tuple[Op, ...]
    name: str | None = None

    def orders(self, devices: int) -> list[list[OpKey]]:
        """Per-device op keys in start order (ties keep list order)."""
        out: list[list[tuple[float, int, OpKey]]] = [[] for _ in range(devices)]
        for i, op in enumerate(self.ops):
            if 0 <= op.device < devices:
                out[op.device].append((op.start, i, op.key))
        return [[k for _, _, k in sorted(row)] for row in out]
