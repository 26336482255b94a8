"""Plain RCPSP instances on PSPLIB's parameter grid (ProGen, Kolisch, Sprecher and Drexl 1995).

- Network: a dummy start and end activity around `n` real ones; at most 3 start and 3 finish
  activities and at most 3 predecessors / successors each (PSPLIB's settings); non-redundant
  arcs are added until the network complexity (arcs per node, dummies included) reaches `nc`.
- Durations and demands are uniform in 1..10, as in PSPLIB.
- Resource factor `rf`: the share of (activity, resource) pairs with a demand, exactly.
- Resource strength `rs`: capacity K = Kmin + round(rs (Kmax - Kmin)), Kmin the largest single
  demand, Kmax the peak demand of the earliest-start schedule.
"""

from __future__ import annotations

import random

from schedkit.models.rcpsp.bounds import earliest_starts
from schedkit.models.rcpsp.problem import RcpspProblem

MAX_LINKS = 3
"""PSPLIB's limit on start / finish activities and on predecessors / successors per activity."""


class _Network:
    """Arcs between real activities 1..n with reachability bitsets to refuse redundant ones."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.preds: list[set[int]] = [set() for _ in range(n + 2)]
        self.succs: list[set[int]] = [set() for _ in range(n + 2)]
        self.down = [1 << j for j in range(n + 2)]  # j and everything after it

    def reaches(self, i: int, j: int) -> bool:
        return bool(self.down[i] >> j & 1)

    def redundant(self, i: int, j: int) -> bool:
        """Would (i, j) be implied by the arcs, or imply one of them (h -> .. i, j -> .. k)?"""
        if self.reaches(i, j):
            return True
        return any(
            self.reaches(h, i) and any(self.reaches(j, k) for k in self.succs[h])
            for h in range(i + 1)
        )

    def add(self, i: int, j: int) -> None:
        self.succs[i].add(j)
        self.preds[j].add(i)
        for h in range(i + 1):  # everything that reaches i now reaches what j reaches
            if self.reaches(h, i):
                self.down[h] |= self.down[j]

    @property
    def arcs(self) -> int:
        return sum(len(s) for s in self.succs)


def _network(n: int, nc: float, rng: random.Random) -> _Network:
    """Real activities 1..n in topological order, 3 start and 3 finish ones, arcs up to `nc`."""
    net = _Network(n)
    starts = min(MAX_LINKS, n)
    finishes = min(MAX_LINKS, n - starts) if n > starts else 0
    for j in range(starts + 1, n + 1):  # every non-start activity gets one predecessor
        options = [i for i in range(1, j) if len(net.succs[i]) < MAX_LINKS]
        if j > n - finishes:
            options = [i for i in options if i <= n - finishes]
        net.add(rng.choice(options or list(range(1, j))), j)
    for i in range(1, n - finishes + 1):  # every non-finish activity gets a successor
        if not net.succs[i]:
            later = [j for j in range(max(i + 1, starts + 1), n + 1) if len(net.preds[j]) < 3]
            later = [j for j in later if not net.redundant(i, j)]
            if later:
                net.add(i, rng.choice(later))
    real_starts = sum(not net.preds[j] for j in range(1, n + 1))
    real_ends = sum(not net.succs[j] for j in range(1, n + 1))
    target = round(nc * (n + 2)) - real_starts - real_ends  # dummy arcs count as arcs
    for _ in range(50 * n):
        if net.arcs >= target:
            break
        i, j = sorted(rng.sample(range(1, n + 1), 2))
        if i > n - finishes or j <= starts:
            continue
        if len(net.succs[i]) >= MAX_LINKS or len(net.preds[j]) >= MAX_LINKS:
            continue
        if not net.redundant(i, j):
            net.add(i, j)
    return net


def _demands(n: int, m: int, rf: float, rng: random.Random) -> list[list[int]]:
    """Demand rows with exactly round(rf n m) nonzero entries (at least one per activity)."""
    cells = [(j, k) for j in range(n) for k in range(m)]
    used = {(j, rng.randrange(m)) for j in range(n)}
    want = max(len(used), round(rf * n * m))
    rest = [c for c in cells if c not in used]
    rng.shuffle(rest)
    used |= set(rest[: want - len(used)])
    return [[rng.randint(1, 10) if (j, k) in used else 0 for k in range(m)] for j in range(n)]


def _capacities(data: dict[str, object], demand: list[list[int]], rs: float) -> list[int]:
    """Kmin + round(rs (Kmax - Kmin)) per resource, from the earliest-start schedule."""
    m = len(demand[0])
    wide = [{"name": f"R{k + 1}", "capacity": 10**6} for k in range(m)]
    es = earliest_starts(RcpspProblem.model_validate({**data, "resources": wide}))
    acts = data["activities"]
    assert isinstance(acts, list)
    caps = []
    for k in range(m):
        kmin = max(row[k] for row in demand)
        events: dict[int, int] = {}
        for s, a, row in zip(es[1:-1], acts[1:-1], demand, strict=True):
            events[s] = events.get(s, 0) + row[k]
            events[s + a["duration"]] = events.get(s + a["duration"], 0) - row[k]
        level = kmax = 0
        for t in sorted(events):
            level += events[t]
            kmax = max(kmax, level)
        caps.append(kmin + round(rs * (kmax - kmin)))
    return caps


def generate_psplib(
    n: int, resources: int, nc: float, rf: float, rs: float, seed: int, name: str | None = None
) -> RcpspProblem:
    """A plain RCPSP on PSPLIB's grid; the same arguments always give the same instance."""
    rng = random.Random(seed)
    net = _network(n, nc, rng)
    demand = _demands(n, resources, rf, rng)
    ids = ["start", *(f"a{j}" for j in range(1, n + 1)), "end"]
    acts = [{"id": "start", "duration": 0, "demands": [0] * resources}]
    acts += [
        {"id": ids[j], "duration": rng.randint(1, 10), "demands": demand[j - 1]}
        for j in range(1, n + 1)
    ]
    acts.append({"id": "end", "duration": 0, "demands": [0] * resources})
    links = [(i, j) for i in range(1, n + 1) for j in sorted(net.succs[i])]
    links += [(0, j) for j in range(1, n + 1) if not net.preds[j]]
    links += [(i, n + 1) for i in range(1, n + 1) if not net.succs[i]]
    data: dict[str, object] = {
        "kind": "rcpsp",
        "name": name or f"psplib_n{n}_nc{nc:g}_rf{rf:g}_rs{rs:g}_s{seed}",
        "activities": acts,
        "precedences": [{"before": ids[i], "after": ids[j]} for i, j in links],
    }
    caps = _capacities(data, demand, rs)
    data["resources"] = [{"name": f"R{k + 1}", "capacity": c} for k, c in enumerate(caps)]
    return RcpspProblem.model_validate(data)
