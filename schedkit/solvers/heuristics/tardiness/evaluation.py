"""The instance as arrays and the cost of sequences, evaluated in batches with numpy."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from schedkit.models.tardiness.problem import TardinessProblem


@dataclass(frozen=True)
class Arrays:
    """The instance as int64 arrays (p, d, w, r), as the search uses them."""

    p: np.ndarray
    d: np.ndarray
    w: np.ndarray
    r: np.ndarray

    @classmethod
    def of(cls, problem: TardinessProblem) -> Arrays:
        return cls(problem.p, problem.d, problem.w, problem.r)

    @property
    def has_releases(self) -> bool:
        return bool(np.any(self.r > 0))


def completion_times(a: Arrays, seqs: np.ndarray) -> np.ndarray:
    """Completion times of sequences (last axis = positions), jobs started as early as possible.

    C_k = S_k + max(0, max_{m<=k} (r_m - S_{m-1})) with S the prefix sums of processing times.
    """
    p = a.p[seqs]
    s = np.cumsum(p, axis=-1)
    idle = np.maximum.accumulate(a.r[seqs] - (s - p), axis=-1)
    return s + np.maximum(idle, 0)


def cost(a: Arrays, seqs: np.ndarray) -> np.ndarray:
    """Total weighted tardiness of each sequence (last axis = positions)."""
    c = completion_times(a, seqs)
    return (a.w[seqs] * np.maximum(0, c - a.d[seqs])).sum(axis=-1)


def total_tardiness(problem: TardinessProblem, seq: Sequence[int]) -> int:
    """Total weighted tardiness of `seq` (jobs started as early as possible)."""
    return int(cost(Arrays.of(problem), np.asarray(seq, dtype=np.int64)))
