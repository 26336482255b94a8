"""Per-action timing of torch's `_PipelineScheduleRuntime` (diagnostics, off by default).

torch's action loop wraps every action in `record_function("PP:<action>")` and waits for a
compute op's received input with `_wait_batch_p2p`; both are looked up in
`torch.distributed.pipelining.schedules` at call time. `install` replaces them there (in a
rank process only) with versions that record, per action, its start and end and the time spent
waiting for received data, so a trace shows where a rank waits (a receive posted late, a send
stuck behind other ops) without re-implementing the loop.

Imports torch at module level: load it only after `schedkit.execute.require_torch()`.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from typing import Any

from torch.distributed.pipelining import schedules as ts

ActionTime = tuple[str, float, float, float]
"""(action, start, end, of which waiting for received data), seconds of perf_counter."""


class ActionRecorder:
    """Collects `ActionTime`s while `active`."""

    def __init__(self) -> None:
        self.active = False
        self.records: list[ActionTime] = []
        self._wait = 0.0

    @contextlib.contextmanager
    def action(self, name: str) -> Iterator[None]:
        """Time one action (`name` is torch's "PP:<action>")."""
        self._wait = 0.0
        t0 = time.perf_counter()
        try:
            yield
        finally:
            if self.active:
                self.records.append((name[3:], t0, time.perf_counter(), self._wait))

    def wait(self, work: list[Any]) -> None:
        """torch's `_wait_batch_p2p`, timed."""
        t0 = time.perf_counter()
        for w in work:
            w.wait()
        self._wait += time.perf_counter() - t0

    def take(self) -> list[ActionTime]:
        """The records so far, cleared."""
        out, self.records = self.records, []
        return out


def install() -> ActionRecorder:
    """Route this process's torch pipelining runtime through a new recorder."""
    rec = ActionRecorder()
    ts.record_function = rec.action  # type: ignore[misc,assignment]
    ts._wait_batch_p2p = rec.wait
    return rec
