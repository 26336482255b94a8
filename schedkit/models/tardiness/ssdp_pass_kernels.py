"""The stage-3 pass of `ssdp_modifiers.py` as compiled loops (numba), with the same states.

The numpy pass pays about ten array calls per time step, 0.3 ms each even when a step has a
handful of states, so a pass over a horizon of 2,500 costs 0.7 s before it does any work
(72 % of a 109 s proof of wt50 #57 went to passes). These loops extend, merge and prune the
states of a range of times by the same rules and with the same tie-breaking as `extend`
(candidates in order of next job, previous job and state; a stable sort by key; the first
least value), so states, values and paths are the same. `pass_rows` stops at a time whose
states do not fit the arrays; the caller grows them and resumes there.
"""

from __future__ import annotations

import numpy as np

from schedkit import compiled

Columns = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]
"""job, mask, best, second, via, link, link2 of `ssdp_states.States`."""
Rules = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]
"""cost (reduced), forbidden, source, room and bits of the pass (`ssdp_modifiers.Rule`)."""
Other = tuple[np.ndarray, np.ndarray, int, int, float]
"""The other direction's pass (`Complement` keys and values, empty for none), its width,
the full mask of this pass, and the limit."""


def _grown(a: np.ndarray, size: int) -> np.ndarray:
    """`a` copied into a longer array."""
    out = np.empty(size, a.dtype)
    out[: len(a)] = a
    return out


grown = compiled.jit(_grown)


def _candidates(
    t: int, rules: Rules, cols: Columns, node: np.ndarray, least: np.ndarray, width: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(key, value, previous job, link) of every extension to time t within the room."""
    cost, forbidden, source, room, bits = rules
    job, mask, best, second, via, _, _ = cols
    h, n = forbidden.shape[0] - 1, forbidden.shape[1]
    key, value = np.empty(64, np.int64), np.empty(64)
    prev, link = np.empty(64, np.int64), np.empty(64, np.int64)
    count = 0
    for k in range(n):
        r, s, c = room[t, k], source[t, k], cost[t, k]
        if not np.isfinite(r) or s > h:
            continue
        for i in range(n + 1):
            if forbidden[t, k, i] or not least[s, i] <= r - c:
                continue
            for x in range(node[s, i], node[s, i + 1]):
                use2 = via[x] == k
                v = (second[x] if use2 else best[x]) + c
                if not v <= r or (mask[x] & bits[k]) != 0:
                    continue
                if count == len(key):
                    key, value = grown(key, 2 * count), grown(value, 2 * count)
                    prev, link = grown(prev, 2 * count), grown(link, 2 * count)
                key[count] = (np.int64(k) << width) | mask[x] | bits[k]
                value[count], prev[count] = v, job[x]
                link[count] = 2 * x + (1 if use2 else 0)
                count += 1
    return key[:count], value[:count], prev[:count], link[:count]


candidates = compiled.jit(_candidates)


def _kept(value: float, mask: int, u: int, other: Other) -> bool:
    """`Rule.keeps` for one state: within the limit with the other pass's least value at
    time u for the complementary bits (no other pass: always; no such value: never)."""
    keys, values, width, full, limit = other
    if len(keys) == 0:
        return True
    want = (np.int64(u) << width) | ((full ^ mask) & ((np.int64(1) << width) - 1))
    at = np.searchsorted(keys, want)
    return bool(at < len(keys) and keys[at] == want and value + values[at] <= limit)


kept = compiled.jit(_kept)


def _merged(
    t: int, cand: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray], cols: Columns,
    start: int, width: int, u: int, other: Other,
) -> int:  # fmt: skip
    """The candidates merged by key into states from `start` (as `ssdp_modifiers.merge`),
    less those the other pass rules out; the new size, or -1 where they do not fit."""
    key, value, prev, link = cand
    job, mask, best, second, via, link1, link2 = cols
    order = np.argsort(key, kind="mergesort")
    size, g = start, 0
    while g < len(order):
        e, at = g, order[g]
        while e < len(order) and key[order[e]] == key[at]:
            at = order[e] if value[order[e]] < value[at] else at
            e += 1
        sec, at2 = np.inf, -1
        for q in range(g, e):
            if prev[order[q]] != prev[at] and value[order[q]] < sec:
                sec, at2 = value[order[q]], order[q]
        m = key[at] & ((np.int64(1) << width) - 1)
        if kept(value[at], m, u, other):
            if size == len(job):
                return -1
            job[size], mask[size], best[size], second[size] = key[at] >> width, m, value[at], sec
            via[size], link1[size] = prev[at], link[at]
            link2[size] = link[at2] if at2 >= 0 else -1
            size += 1
        g = e
    return size


merged = compiled.jit(_merged)


def _index(t: int, cols: Columns, node: np.ndarray, least: np.ndarray, lo: int, hi: int) -> None:
    """Where each job's states of time t start, and their least value (`States.add`)."""
    job, best = cols[0], cols[2]
    j = lo
    for k in range(node.shape[1]):
        while j < hi and job[j] < k:
            j += 1
        node[t, k] = j
    for x in range(lo, hi):
        least[t, job[x]] = min(least[t, job[x]], best[x])


index = compiled.jit(_index)


def _pass_rows(
    t0: int, t1: int, size: int, rules: Rules, cols: Columns, node: np.ndarray,
    least: np.ndarray, width: int, other: Other,
) -> tuple[int, int]:  # fmt: skip
    """Times t0..t1 - 1 of a pass; (the time reached, the size): a time before t1 when its
    states do not fit the columns."""
    h = rules[1].shape[0] - 1
    for t in range(t0, t1):
        cand = candidates(t, rules, cols, node, least, width)
        new = merged(t, cand, cols, size, width, h - t, other)
        if new < 0:
            return t, size
        index(t, cols, node, least, size, new)
        size = new
    return t1, size


pass_rows = compiled.jit(_pass_rows)
