"""Free capacity of a resource over time as a step function (breakpoints, not a time array).

Time in an RCPSP is a variable whose range can be huge (a downtime window at 1e9, durations of
6e8): a profile stores only the times where the free capacity changes, so its size grows with
the number of activities and downtime windows, never with the horizon.
"""

from __future__ import annotations

import bisect

from schedkit.models.rcpsp.problem import Resource


class Profile:
    """Free capacity: `free[i]` units on `[times[i], times[i + 1])`, the last piece unbounded."""

    def __init__(self, capacity: int) -> None:
        self.times = [0]
        self.free = [capacity]

    @classmethod
    def of(cls, res: Resource) -> Profile:
        """The profile of `res` with its downtime windows taken out."""
        prof = cls(res.capacity)
        for w in res.downtime:
            for i in range(prof._split(w.start), prof._split(w.end)):
                prof.free[i] = min(prof.free[i], w.capacity)
        return prof

    def _split(self, t: int) -> int:
        """Index of the piece starting at `t`, splitting the piece that contains it."""
        i = bisect.bisect_right(self.times, t) - 1
        if self.times[i] == t:
            return i
        self.times.insert(i + 1, t)
        self.free.insert(i + 1, self.free[i])
        return i + 1

    def take(self, start: int, end: int, units: int) -> None:
        """Use `units` on `[start, end)`."""
        if units <= 0 or end <= start:
            return
        for i in range(self._split(start), self._split(end)):
            self.free[i] -= units

    def earliest(self, t: int, duration: int, units: int) -> int:
        """The first s >= t with at least `units` free on all of `[s, s + duration)`."""
        i = bisect.bisect_right(self.times, t) - 1
        s = t
        while True:
            end = s + duration
            j = i
            while j < len(self.times) and self.times[j] < end:
                if self.free[j] < units:
                    break
                j += 1
            else:
                return s
            i = j + 1  # the piece j is too full: restart after it
            if i >= len(self.times):
                raise ValueError(f"{units} units never fit: capacity is {self.free[-1]}")
            s = self.times[i]
