"""The states of SSDP stage 3: (t, last job, which jobs of the modifier set M are done).

States are kept in flat arrays ordered by time, then job (`node[t, k]` is where the states of
node (t, k) start), with the least value of each node, so that a time step gathers, in one
numpy call, only the states of the nodes (t - p_k, i) that an arc i -> k leaves and whose
least value leaves room for k. Each state
keeps its best value and the best from another previous job (no 2-cycles, as in stage 2),
each with a `link`: 2 x the index of the state it extends, + 1 where it used that state's
second value. The arrays grow by doubling, up to a cap on their memory.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

FIELDS = {
    "job": np.int32,
    "mask": np.int64,
    "best": np.float64,
    "second": np.float64,
    "via": np.int32,
    "link": np.int64,
    "link2": np.int64,
}
BYTES_PER_STATE = sum(np.dtype(t).itemsize for t in FIELDS.values())


class TooManyStates(Exception):
    """The states would exceed their memory cap."""


@dataclass
class States:
    """Growing per-field arrays of states, in time order, and the offset of each time."""

    horizon: int
    jobs: int
    cap_bytes: int
    size: int = 0
    cols: dict[str, np.ndarray] = field(default_factory=dict)
    node: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    least: np.ndarray = field(default_factory=lambda: np.zeros(0))

    def __post_init__(self) -> None:
        first = max(1, min(1024, self.capacity))
        self.cols = {k: np.empty(first, dtype=t) for k, t in FIELDS.items()}
        shape = (self.horizon + 2, self.jobs + 1)  # row H + 1: an empty time
        self.node = np.zeros((shape[0], shape[1] + 1), dtype=np.int64)
        self.least = np.full(shape, np.inf)

    @property
    def capacity(self) -> int:
        """Most states within the memory cap."""
        return self.cap_bytes // BYTES_PER_STATE

    @property
    def offset(self) -> np.ndarray:
        """Where the states of times 0..H start, and the end of the states."""
        return np.r_[self.node[: self.horizon + 1, 0], self.size]

    def __getitem__(self, name: str) -> np.ndarray:
        return self.cols[name]

    def add(self, t: int, **values: np.ndarray) -> None:
        """Append the states of time t (every field given, equal lengths, sorted by job)."""
        count = len(values["job"])
        need = self.size + count
        self.reserve(need)
        for k, v in values.items():
            self.cols[k][self.size : need] = v
        bounds = np.searchsorted(values["job"], np.arange(self.jobs + 2))
        self.node[t] = self.size + bounds
        present = np.flatnonzero(np.diff(bounds) > 0)
        if len(present):
            self.least[t, present] = np.minimum.reduceat(values["best"], bounds[present])
        self.size = need

    def reserve(self, need: int) -> None:
        """Room for `need` states in every column (doubling), or `TooManyStates` past the cap."""
        if need > self.capacity:
            raise TooManyStates(f"more than {self.capacity} states")
        if need > len(self.cols["job"]):
            grown = min(max(need, 2 * len(self.cols["job"])), self.capacity)
            for k, col in self.cols.items():
                new = np.empty(grown, dtype=col.dtype)
                new[: self.size] = col[: self.size]
                self.cols[k] = new

    def grow(self) -> None:
        """Twice the room (up to the cap), or `TooManyStates` when the columns are full."""
        if len(self.cols["job"]) >= self.capacity:
            raise TooManyStates(f"more than {self.capacity} states")
        self.reserve(min(2 * len(self.cols["job"]), self.capacity))

    def gather(
        self, times: np.ndarray, jobs: np.ndarray, arcs: np.ndarray, room: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """(next job, state index) for the states of the nodes (times[a], i) paired with
        jobs[a], over the arcs i -> jobs[a] allowed (`arcs[a, i]`) whose least value fits
        room[a]."""
        pair = arcs & (self.least[times] <= room[:, None])
        a, i = np.nonzero(pair)
        lo, hi = self.node[times[a], i], self.node[times[a], i + 1]
        count = hi - lo
        total = int(count.sum())
        start = np.cumsum(count) - count
        index = np.arange(total) + np.repeat(lo - start, count)
        return np.repeat(jobs[a], count), index
