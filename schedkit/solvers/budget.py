"""One time budget per solve: a deadline on a clock, shared by every backend and helper.

`solve()` creates one `Budget` from the time limit before it does anything else (bounds,
model building, search), and passes it on as `options.budget`. A part of the work takes a
child budget (`split`, `sub`, `part`) whose deadline never lies past its parent's, so no helper
can overspend. The only way past the deadline is `extended`, which the portfolio uses once,
for its fallback heuristic, with a floor that still keeps the answer within the limit + 1 s.

The clock is injectable, so the arithmetic is tested deterministically.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

Clock = Callable[[], float]


@dataclass(frozen=True)
class Budget:
    """A deadline (seconds on `clock`) and the limit it was created with."""

    deadline: float
    limit: float
    clock: Clock = field(default=time.monotonic, compare=False, repr=False)

    @classmethod
    def start(cls, seconds: float, clock: Clock = time.monotonic) -> Budget:
        """A budget of `seconds` from now (`math.inf` for none)."""
        seconds = max(0.0, float(seconds))
        return cls(clock() + seconds, seconds, clock)

    def now(self) -> float:
        return self.clock()

    def elapsed(self) -> float:
        """Seconds since this budget started (exact for one made by `start`)."""
        return self.clock() - (self.deadline - self.limit)

    def remaining(self) -> float:
        """Seconds left before the deadline (never negative)."""
        return max(0.0, self.deadline - self.clock())

    def expired(self) -> bool:
        """True once the deadline has passed."""
        return self.clock() >= self.deadline

    def sub(self, seconds: float) -> Budget:
        """A child budget of at most `seconds` from now, never past this deadline."""
        seconds = max(0.0, seconds)
        now = self.clock()
        return Budget(min(self.deadline, now + seconds), seconds, self.clock)

    def split(self, share: float) -> Budget:
        """A child budget of `share` (0..1) of the time remaining now."""
        share = min(1.0, max(0.0, share))
        return self.sub(share * self.remaining())

    def allowance(self, parts: int) -> float:
        """Seconds per part when what remains is shared fairly by `parts` parts still to do."""
        return self.remaining() / max(1, parts)

    def part(self, parts: int) -> Budget:
        """A child budget of one fair share (`allowance(parts)`) of what remains."""
        return self.sub(self.allowance(parts))

    def reserve(self, seconds: float) -> Budget:
        """A child budget that ends `seconds` before this one (time kept for a later step)."""
        return Budget(max(self.clock(), self.deadline - seconds), self.limit, self.clock)

    def extended(self, floor: float) -> Budget:
        """A budget of at least `floor` seconds from now, even past this deadline."""
        now = self.clock()
        deadline = max(self.deadline, now + max(0.0, floor))
        return Budget(deadline, deadline - now, self.clock)

    def checkpoint(self) -> None:
        """Raise `BudgetExpired` once the deadline has passed (for long model builds)."""
        if self.expired():
            raise BudgetExpired(f"time limit of {self.limit:g} s reached")


UNLIMITED = math.inf


class BudgetExpired(Exception):
    """The budget ran out inside a step that has no partial answer to return."""
