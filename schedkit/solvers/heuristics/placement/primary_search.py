"""Placement heuristic under `group_local: primary`: balance nodes first, then their GPUs.

Every expert keeps a replica on its group's home node; the other replicas go anywhere. Node
loads are what makes this hard: a node holds its groups' home replicas plus a fixed number of
other slots, so a hot group's node can only shed load through more replicas of its experts on
other nodes, and a cold group's node must take large replicas of hot experts. The search
therefore works on the node level first (`BalanceSearch`: replica counts and the node of every
replica, no GPUs), then packs each node (LPT / differencing), re-splits pairs of GPUs
(`repartition`), runs the same search on GPUs when the layer is small, and ends with the
GPU-level `LocalSearch`, home replicas pinned to their node. On hot layers with time to spare
the node LP (`primary_relaxation.node_lp`) gives two more starts (`primary_rounding`) and the
layer's bound.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from schedkit.models.placement.bounds import enumerated_counts, flat_bound, primary_vector_bound
from schedkit.models.placement.construct import pack_nodes, primary_start, replicate
from schedkit.models.placement.layout import value
from schedkit.models.placement.node_greedy import node_greedy
from schedkit.models.placement.primary_relaxation import node_lp
from schedkit.models.placement.resplit import resplit_nodes
from schedkit.solvers.heuristics.placement.flat_search import ENUM_CANDIDATES, LocalSearch
from schedkit.solvers.heuristics.placement.primary_rounding import lp_start, rounded_counts

if TYPE_CHECKING:
    from schedkit.solvers.budget import Budget

EPS = 1e-9
FOCUS = 3
"""Units whose replicas are scored for swaps in a step of `BalanceSearch`."""
KICKS = 4
"""Perturbations of the iterated node-level search per start (`BalanceSearch.iterate`)."""
KICK_MOVES = 3
"""Random moves per perturbation."""
ITERATE_ABOVE = 0.003
"""Iterate (and try the node LP) only where the converged search's score exceeds the average
GPU load by more than this share: on balanced (log-normal) layers the kicks cost time and find
nothing. Lowered from 1 %: preset layers 13 and 31 stopped at 1.007 (node LP: 1.001-1.002)
and now end near 1.004 (docs/placement.md)."""
LP_ABOVE = 0.003
"""Try the node LP only where the best value found exceeds the combinatorial bound by more
than this share (on log-normal loads at EP64 none does: 0.29 % at most)."""
LP_MIN_SECONDS = 4.0
"""Least time left for a hot layer before its node LP is solved for one more start
(`lp_candidates`; about 2 s for 256 experts on 8 nodes)."""
LP_SHARE = 0.6
"""Share of the time left that the node LP may take."""
LP_KICKS = 12
"""Perturbations of the iterated search from the node LP's starts (time is there to spare)."""


def smallest_sum(rep: np.ndarray, item: np.ndarray, k: int) -> np.ndarray:
    """(U,) sum of the `k` smallest replicas of each unit (`rep[u, e]` copies of `item[e]`)."""
    if k <= 0:
        return np.zeros(len(rep))
    order = np.argsort(item, kind="stable")
    r = rep[:, order]
    before = np.cumsum(r, axis=1) - r
    take = np.clip(k - before, 0, r)
    out: np.ndarray = (take * item[order]).sum(axis=1)
    return out


class BalanceSearch:
    """Local search over replica counts and the unit (node, or GPU) of every replica.

    State: `rep[u, e]` replicas of expert e on unit u (every unit's row sums to its slots);
    the units of each expert's home node hold at least one of its replicas. A unit's load is
    sum_e rep[u, e] w_e / c_e (worst scenario). Moves: turn a replica into one of another
    expert (on the same unit), swap two replicas of different units, and, with nodes as
    units, swap the home nodes of two groups (their home replicas trade places). Score,
    lexicographic: the largest unit value, then the sum of squared unit loads (the total is
    fixed, so this spreads the load and leads the search across plateaus). A unit's value is
    the larger of its load / `gpus_per_unit` and a packing proxy: its largest replica plus
    its `per_gpu - 1` smallest ones (those before the move), the least the GPU of that
    replica carries. With GPUs as units (`gpus_per_unit = per_gpu = 1`) the score is exact.
    """

    def __init__(
        self,
        w: np.ndarray,
        rep: np.ndarray,
        home: np.ndarray,
        group_size: int,
        unit_node: np.ndarray,
        gpus_per_unit: int = 1,
        per_gpu: int = 1,
    ) -> None:
        self.w, self.rep, self.home = w, rep.copy(), home.copy()
        self.group_size, self.unit_node = group_size, unit_node
        self.gpn, self.per_gpu = gpus_per_unit, per_gpu
        self.node_units = bool(np.array_equal(unit_node, np.arange(len(rep))))
        self._refresh()

    def _refresh(self) -> None:
        self.cnt = self.rep.sum(axis=0)
        self.per = self.w / self.cnt  # (K, E)
        self.item = self.w.max(axis=0) / self.cnt  # (E,) largest-scenario replica size
        self.loads = self.per @ self.rep.T  # (K, U)
        at_home = self.unit_node[:, None] == self.home[None, :]  # (U, E)
        on_home = (self.rep * at_home).sum(axis=0)
        self.need = (at_home & (on_home == 1)[None, :] & (self.rep > 0)).astype(np.int64)
        on = np.where(self.rep > 0, self.item[None, :], -np.inf)  # (U, E)
        top3 = np.argsort(-on, axis=1, kind="stable")[:, :3]  # largest experts per unit
        size = np.maximum(np.take_along_axis(on, top3, axis=1), 0.0)
        pad = 3 - top3.shape[1]  # fewer than 3 experts: never matched, size 0
        if pad:
            top3 = np.pad(top3, ((0, 0), (0, pad)), constant_values=-1)
            size = np.pad(size, ((0, 0), (0, pad)))
        self.top3, self.top3_size = top3, size
        self.small = smallest_sum(self.rep, self.item, self.per_gpu - 1)

    def key(self, loads: np.ndarray, proxy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(top, sum of squares) from unit loads (K, U, ...) and packing proxies (U, ...)."""
        worst = loads[0] if len(loads) == 1 else loads.max(axis=0)
        top = np.maximum(worst.max(axis=0) / self.gpn, proxy.max(axis=0))
        return top, np.einsum("n...,n...->...", worst, worst)

    def removable(self) -> tuple[np.ndarray, np.ndarray]:
        """(units, experts) of the replicas that may leave their unit: not an expert's only
        replica, nor the last one on its home node."""
        ok = (self.rep > self.need) & (self.cnt >= 2)[None, :]
        a, e = np.nonzero(ok)
        return a, e

    def proxy_but(self, e: np.ndarray, f: np.ndarray) -> np.ndarray:
        """(U, P, F) packing proxy of every unit over its replicas of experts other than e_p
        and f (at most one of them is a unit's largest)."""
        o, v = self.top3, self.top3_size + self.small[:, None]
        first_e = (e[None, :] == o[:, :1])[:, :, None]  # (U, P, 1)
        first_f = (f[None, :] == o[:, :1])[:, None, :]  # (U, 1, F)
        second = (e[None, :] == o[:, 1:2])[:, :, None] | (f[None, :] == o[:, 1:2])[:, None, :]
        lower = np.where(second, v[:, 2, None, None], v[:, 1, None, None])
        out: np.ndarray = np.where(first_e | first_f, lower, v[:, 0, None, None])
        return out

    def largest_proxy_but(self, e: np.ndarray, experts: int) -> np.ndarray:
        """(P, E) the largest `proxy_but` over units; only rows and columns of experts that
        are some unit's largest differ from the plain largest proxy."""
        out = np.full((len(e), experts), float((self.top3_size[:, 0] + self.small).max()))
        firsts = np.unique(self.top3[:, 0])
        rows = np.flatnonzero(np.isin(e, firsts))
        if len(rows):
            out[rows] = self.proxy_but(e[rows], np.arange(experts)).max(axis=0)
        out[:, firsts] = self.proxy_but(e, firsts).max(axis=0)
        return out

    def rereplicate(self, a: np.ndarray, e: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Scores (P, E) of turning the replica of e_p on unit a_p into one of expert f."""
        w, c, rep = self.w, self.cnt.astype(float), self.rep
        N, P, E = len(rep), len(e), w.shape[1]
        we = w[:, e]  # (K, P)
        grown = we / (c[e] - 1)
        rem = rep[:, e][None] * (grown - we / c[e])[:, None, :]  # (K, U, P)
        rem[:, a, np.arange(P)] -= grown
        added = w / (c + 1)  # (K, E)
        add = rep[None] * (added - w / c)[:, None, :]  # (K, U, E)
        new = (self.loads[:, :, None] + rem)[:, :, :, None] + add[:, :, None, :]
        new[:, a, np.arange(P), :] += added[:, None, :]
        at_a = np.arange(N)[:, None] == a[None, :]  # (U, P)
        # proxies: other experts' largest replicas, e's grown and f's shrunk ones where left
        proxy = self.largest_proxy_but(e, E)
        e_left = np.where(rep[:, e] - at_a > 0, grown.max(axis=0)[None, :] + self.small[:, None], 0)
        proxy = np.maximum(proxy, e_left.max(axis=0)[:, None])[None]  # (1, P, E)
        f_small = np.where(rep > 0, self.small[:, None], -np.inf).max(axis=0)  # (E,)
        f_small = np.maximum(f_small[None, :], self.small[a][:, None])  # (P, E)
        proxy = np.maximum(proxy, (added.max(axis=0)[None, :] + f_small)[None])
        top, sq = self.key(new, proxy)
        top[np.arange(P), e] = np.inf
        return top, sq

    def swaps(
        self, a: np.ndarray, e: np.ndarray, rows: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Scores (R, P) of swapping the replica of e_i on a_i (i in `rows`, default all)
        with that of e_j on a_j."""
        P = len(e)
        rows = np.arange(P) if rows is None else rows
        R = len(rows)
        d = self.per[:, e][:, None, :] - self.per[:, e[rows]][:, :, None]  # (K, r, j): j - i
        new = np.repeat(self.loads[:, :, None, None], R, axis=2).repeat(P, axis=3)
        r, j = np.meshgrid(np.arange(R), np.arange(P), indexing="ij")
        i = rows[r]
        new[:, a[i], r, j] += d
        new[:, a[j], r, j] -= d
        # largest replica left on a_p once one replica of e_p is gone
        last = (self.rep[a, e] == 1) & (self.top3[a, 0] == e)
        left = np.where(last, self.top3_size[a, 1], self.top3_size[a, 0])
        largest = np.repeat(self.top3_size[:, :1, None], R, axis=1).repeat(P, axis=2)
        largest[a[i], r, j] = np.maximum(left[i], self.item[e[j]])
        largest[a[j], r, j] = np.maximum(left[j], self.item[e[i]])
        top, sq = self.key(new, largest + self.small[:, None, None])
        top[(a[i] == a[j]) | (e[i] == e[j])] = np.inf
        return top, sq

    def focus(self, a: np.ndarray) -> np.ndarray:
        """Indices of the removable replicas on the `FOCUS` units of largest value (a swap
        that lowers the largest value moves a replica of one of them)."""
        value = np.maximum(self.loads.max(axis=0) / self.gpn, self.top3_size[:, 0] + self.small)
        hot = np.argsort(-value, kind="stable")[:FOCUS]
        return np.flatnonzero(np.isin(a, hot))

    def group_swaps(self) -> tuple[np.ndarray, np.ndarray]:
        """Scores (groups, groups) of swapping the home nodes of two groups (nodes as units;
        the two nodes' largest replicas taken as the larger of both)."""
        gsum = self.per.reshape(len(self.w), -1, self.group_size).sum(axis=2)  # (K, groups)
        ghome = self.home[:: self.group_size]
        U = len(ghome)
        d = gsum[:, None, :] - gsum[:, :, None]  # (K, u, v): v - u, at u's node
        new = np.repeat(self.loads[:, :, None, None], U, axis=2).repeat(U, axis=3)
        u, v = np.meshgrid(np.arange(U), np.arange(U), indexing="ij")
        new[:, ghome[u], u, v] += d
        new[:, ghome[v], u, v] -= d
        largest = np.repeat(self.top3_size[:, :1, None], U, axis=1).repeat(U, axis=2)
        both = np.maximum(self.top3_size[ghome[u], 0], self.top3_size[ghome[v], 0])
        largest[ghome[u], u, v] = both
        largest[ghome[v], u, v] = both
        top, sq = self.key(new, largest + self.small[:, None, None])
        top[ghome[u] == ghome[v]] = np.inf
        return top, sq

    def step(self) -> bool:
        """Apply the best improving move; False when none improves."""
        top, sq = self.key(self.loads, self.top3_size[:, 0] + self.small)
        a, e = self.removable()
        scored = [("group", self.group_swaps())] if self.node_units else []
        rows = self.focus(a)
        if len(e):
            scored += [("rerep", self.rereplicate(a, e)), ("swap", self.swaps(a, e, rows))]
        best: tuple[float, float, str, tuple[int, int]] | None = None
        for kind, (t, s) in scored:
            ok = (t < top - EPS * top) | ((t <= top + EPS * top) & (s < sq - EPS * sq))
            if not ok.any():
                continue
            lo = float(t[ok].min())
            pick = ok & (t <= lo + EPS * top)
            idx = np.unravel_index(int(np.argmin(np.where(pick, s, np.inf))), s.shape)
            cand = (lo, float(s[idx]), kind, (int(idx[0]), int(idx[1])))
            if best is None or cand[:2] < best[:2]:
                best = cand
        if best is None:
            return False
        i, j = best[3]
        self._apply(best[2], int(rows[i]) if best[2] == "swap" else i, j, a, e)
        return True

    def _apply(self, kind: str, i: int, j: int, a: np.ndarray, e: np.ndarray) -> None:
        if kind == "rerep":
            self.rep[a[i], e[i]] -= 1
            self.rep[a[i], j] += 1
        elif kind == "swap":
            self.rep[a[i], e[i]] -= 1
            self.rep[a[i], e[j]] += 1
            self.rep[a[j], e[j]] -= 1
            self.rep[a[j], e[i]] += 1
        else:
            size = self.group_size
            gu, gv = np.arange(i * size, (i + 1) * size), np.arange(j * size, (j + 1) * size)
            nu, nv = int(self.home[gu[0]]), int(self.home[gv[0]])
            self.rep[nu, gu] -= 1
            self.rep[nv, gu] += 1
            self.rep[nv, gv] -= 1
            self.rep[nu, gv] += 1
            self.home[gu], self.home[gv] = nv, nu
        self._refresh()

    def run(self, budget: Budget, max_steps: int = 400) -> None:
        for _ in range(max_steps):
            if budget.expired() or not self.step():
                return

    def score(self) -> tuple[float, float]:
        """The search's lexicographic score of the current state (lower is better)."""
        top, sq = self.key(self.loads, self.top3_size[:, 0] + self.small)
        return float(top), float(sq)

    def iterate(self, budget: Budget, kicks: int = KICKS, seed: int = 0) -> None:
        """Iterated local search: `kicks` times, perturb the best state by `KICK_MOVES`
        random moves and search again; keep the best. A converged search sits where no single
        move helps (on hot layers several nodes tie at the largest load); a kick moves it
        off (docs/placement.md)."""
        rng = np.random.default_rng(seed)
        best = (self.score(), self.rep.copy(), self.home.copy())
        for _ in range(kicks):
            if budget.expired():
                break
            self.rep, self.home = best[1].copy(), best[2].copy()
            self._refresh()
            self._kick(rng)
            self.run(budget)
            score = self.score()
            if score < best[0]:
                best = (score, self.rep.copy(), self.home.copy())
        self.rep, self.home = best[1], best[2]
        self._refresh()

    def _kick(self, rng: np.random.Generator) -> None:
        """`KICK_MOVES` random moves: re-replicate a removable replica as any expert, or swap
        two removable replicas of different units (never the last home replica)."""
        for _ in range(KICK_MOVES):
            a, e = self.removable()
            if not len(a):
                return
            i, j = int(rng.integers(len(a))), int(rng.integers(len(a)))
            if rng.random() < 0.5:
                self._apply("rerep", i, int(rng.integers(self.rep.shape[1])), a, e)
            elif a[i] != a[j]:
                self._apply("swap", i, j, a, e)


def on_gpus(w: np.ndarray, search: BalanceSearch, gpus_per_node: int, per_gpu: int) -> np.ndarray:
    """The node-level state packed on each node's GPUs, then pairs of GPUs re-split."""
    place = pack_nodes(w, search.rep, gpus_per_node, per_gpu)
    return resplit_nodes(w, place, search.cnt, gpus_per_node)


GPU_SEARCH_LIMIT = 100_000
"""Largest K x experts x GPUs x slots x GPUs (the size of one re-replication scoring) for
which `BalanceSearch` also runs on GPUs (exact score); bigger layers go straight to
`LocalSearch`."""


def polish(
    w: np.ndarray,
    place: np.ndarray,
    home: np.ndarray,
    group_size: int,
    gpus_per_node: int,
    budget: Budget,
) -> np.ndarray:
    """`BalanceSearch` on GPUs (small layers), then `LocalSearch`, home replicas pinned."""
    G, S = place.shape
    if w.size * G * S * G <= GPU_SEARCH_LIMIT:
        rep = np.stack([np.bincount(g, minlength=w.shape[1]) for g in place])
        unit_node = np.arange(G) // gpus_per_node
        search = BalanceSearch(w, rep, home, group_size, unit_node)
        search.run(budget)
        place = np.stack([np.repeat(np.arange(w.shape[1]), r) for r in search.rep])
    return LocalSearch(w, place, home=home, gpus_per_node=gpus_per_node).run(budget)


LS_SLACK = 0.05
"""A candidate whose packed value exceeds the best finished one by more than this share is
not worth polishing."""


def count_starts(w: np.ndarray, gpus: int, per_gpu: int) -> list[np.ndarray]:
    """Replica count vectors to start from: the greedy one, plus the best enumerated ones
    when few experts (as for the flat heuristic)."""
    counts = [replicate(w, gpus * per_gpu)]
    if w.shape[0] == 1:
        enum = enumerated_counts(w[0], gpus * per_gpu, gpus, per_gpu)
        if enum is not None:
            counts += list(enum[1][:ENUM_CANDIDATES])
    return counts


def transfer_start(
    w: np.ndarray, group_size: int, nodes: int, per_node: int
) -> tuple[np.ndarray, np.ndarray]:
    """(home per expert, (nodes, E) replicas) shaped like `transfer_bound`'s argument, for at
    most one group per node: the q heaviest groups (q where the bound peaks) send the largest
    shares of their experts to the other nodes' free slots (greedy on the moved load), those
    replicas placed largest first on the least loaded outside node; the free slots of the q
    nodes take single replicas of the lightest outside experts."""
    size = w.max(axis=0)
    E = len(size)
    groups = size.reshape(-1, group_size)
    order = np.argsort(-groups.sum(axis=1), kind="stable")
    home = np.empty(E, dtype=np.int64)
    for n, g in enumerate(order):
        home[g * group_size : (g + 1) * group_size] = n
    q = peak_q(groups[order], group_size, nodes, per_node)
    hot = np.flatnonzero(home < q)
    outside = (nodes - q) * per_node - (len(groups) - q) * group_size
    m = moved_counts(size[hot], outside)
    cnt = np.ones(E, dtype=np.int64)
    cnt[hot] += m
    cold = np.flatnonzero(home >= q)
    fill = q * (per_node - group_size)
    light = np.resize(cold[np.argsort(size[cold], kind="stable")], fill)
    np.add.at(cnt, light, 1)  # more replicas of the lightest, placed on the hot nodes
    rep = np.zeros((nodes, E), dtype=np.int64)
    rep[home, np.arange(E)] = 1
    load = np.bincount(home, weights=size / cnt, minlength=nodes)
    free = per_node - rep.sum(axis=1)
    extras = [
        (float(size[e] / cnt[e]), int(e), q, nodes)
        for e in hot
        for _ in range(m[np.searchsorted(hot, e)])
    ]
    extras += [(float(size[e] / cnt[e]), int(e), 0, q) for e in light]
    for s_e, e, lo, hi in sorted(extras, reverse=True):
        ok = [n for n in range(lo, hi) if free[n] > 0] or list(np.flatnonzero(free > 0))
        n = min(ok, key=lambda k: load[k])
        rep[n, e] += 1
        load[n] += s_e
        free[n] -= 1
    return home, rep


def own_fill(w: np.ndarray, home: np.ndarray, rep: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(home, replicas) of a start with every hot node's (its group heavier than the average
    node's) replicas of light outside experts (at most the median size) turned into second
    replicas of its own heaviest experts. A different way to fill a hot node's free slots:
    they carry load either way, and which way is better depends on the layer; no single move
    of the search leads from one to the other (docs/placement.md)."""
    size = w.max(axis=0)
    rep = rep.copy()
    light = size <= np.median(size)
    for n in range(len(rep)):
        own = np.flatnonzero(home == n)
        outside = np.flatnonzero((rep[n] > 0) & (home != n) & light)
        if size[own].sum() <= size.sum() / len(rep) or not len(outside):
            continue
        k = int(rep[n, outside].sum())
        rep[n, outside] = 0  # each of them keeps its home replica elsewhere
        rep[n, own[np.argsort(-size[own], kind="stable")][:k]] += 1
    return home, rep


def peak_q(groups: np.ndarray, group_size: int, nodes: int, per_node: int) -> int:
    """The number of heaviest groups (sorted rows of `groups`) where the transfer bound
    peaks."""
    best, best_q = -1.0, 1
    for q in range(1, len(groups)):
        hot = groups[:q].ravel()
        outside = (nodes - q) * per_node - (len(groups) - q) * group_size
        kept = (float(hot.sum()) - float(moved_counts_load(hot, outside))) / q
        if kept > best:
            best, best_q = kept, q
    return best_q


def moved_counts(w: np.ndarray, slots: int) -> np.ndarray:
    """Replicas per expert sent off its home node that move the most load (`movable`)."""
    m = np.zeros(len(w), dtype=np.int64)
    if slots <= 0:
        return m
    k = np.arange(slots)[None, :]
    gains = (w[:, None] / ((k + 1) * (k + 2))).ravel()
    top = np.argsort(-gains, kind="stable")[:slots]
    np.add.at(m, top // slots, 1)
    return m


def moved_counts_load(w: np.ndarray, slots: int) -> float:
    m = moved_counts(w, slots)
    return float((m * w / (m + 1)).sum())


def primary_starts(
    w: np.ndarray, gpus: int, gpus_per_node: int, per_gpu: int, group_size: int
) -> list[tuple[np.ndarray, np.ndarray]]:
    """(home per expert, (nodes, E) replicas) to search from: the node-aware greedy
    (`node_greedy`, best on hot groups), the greedy counts spread over nodes (best on
    log-normal loads) plus the best enumerated count vectors when few experts, and with at
    most one group per node `transfer_start` and its `own_fill` variant."""
    nodes = gpus // gpus_per_node
    per_node = gpus_per_node * per_gpu
    starts = [node_greedy(w, group_size, nodes, gpus_per_node, per_gpu)]
    starts += [
        primary_start(w, cnt, group_size, nodes, per_node) for cnt in count_starts(w, gpus, per_gpu)
    ]
    if per_node // group_size == 1 and nodes > w.shape[1] // group_size - 1:
        home, rep = transfer_start(w, group_size, nodes, per_node)
        starts += [(home, rep), own_fill(w, home, rep)]
    return starts


def searched(
    search: BalanceSearch, budget: Budget, gpus_per_node: int, per_gpu: int, kicks: int = KICKS
) -> tuple[list[tuple[np.ndarray, np.ndarray]], bool]:
    """Run `search` (iterated where hot) and pack it: the (placement, home) candidates (the
    states before and after iterating) and whether the layer is hot."""
    w, gpus = search.w, len(search.rep) * gpus_per_node
    search.run(budget)
    converged, fresh, out = search.score(), True, []
    hot = converged[0] > (1 + ITERATE_ABOVE) * float(w.sum(axis=1).max()) / gpus
    if hot:
        out.append((on_gpus(w, search, gpus_per_node, per_gpu), search.home.copy()))
        search.iterate(budget, kicks)  # a better node-level score may pack worse: keep both
        fresh = search.score() < converged  # else iterate went back to the packed state
    if fresh:
        out.append((on_gpus(w, search, gpus_per_node, per_gpu), search.home))
    return out, hot


def lp_candidates(
    w: np.ndarray, gpus_per_node: int, per_gpu: int, group_size: int, budget: Budget, upper: float
) -> tuple[list[tuple[np.ndarray, np.ndarray]], float]:
    """Candidates searched from the node LP's answer (`primary_rounding`): its replicas
    rounded, and its counts spread as in `primary_start`; and the LP's bound (0 if none).
    Only with one group per node and at least `LP_MIN_SECONDS` left; none when the LP is not
    solved in its share of the time. `upper`: the best value found, which rules out counts
    with larger replicas. With several scenarios the LP is of their elementwise largest loads:
    a start, not a bound (`Planner` keeps the bound only for one load vector)."""
    E = w.shape[1]
    nodes, per_node = E // group_size, gpus_per_node * per_gpu
    one_each = nodes * group_size == E and per_node // group_size == 1  # one group per node
    if budget.remaining() < LP_MIN_SECONDS or not one_each:
        return [], 0.0
    size = w.max(axis=0)
    known = combinatorial_bound(w, gpus_per_node, per_gpu, group_size)
    if upper <= (1 + LP_ABOVE) * known:
        return [], 0.0
    lp = node_lp(
        size, group_size, nodes, gpus_per_node, per_gpu, known, LP_SHARE * budget.remaining(), upper
    )
    if lp.replicas is None:
        return [], 0.0
    cnt = rounded_counts(size, lp.replicas, nodes * per_node, lp.bound)
    out = []
    for home, rep in (
        lp_start(w, lp.replicas, group_size, per_node, lp.bound),
        primary_start(w, cnt, group_size, nodes, per_node),
    ):
        search = BalanceSearch(w, rep, home, group_size, np.arange(nodes), gpus_per_node, per_gpu)
        out += searched(search, budget, gpus_per_node, per_gpu, LP_KICKS)[0]
    return out, lp.bound


def combinatorial_bound(w: np.ndarray, gpus_per_node: int, per_gpu: int, group_size: int) -> float:
    """`layer_bound` without enumeration: the largest over scenarios of the average, replica
    and `primary` bounds."""
    nodes = w.shape[1] // group_size
    gpus = nodes * gpus_per_node
    best = 0.0
    for v in w:
        b = flat_bound(v, gpus * per_gpu, gpus)
        b = primary_vector_bound(v, group_size, gpus_per_node, per_gpu, nodes, b)
        best = max(best, b)
    return best


def solve_primary(
    w: np.ndarray, gpus: int, gpus_per_node: int, per_gpu: int, group_size: int, budget: Budget
) -> np.ndarray:
    """`plan_primary`'s placement."""
    return plan_primary(w, gpus, gpus_per_node, per_gpu, group_size, budget)[0]


def plan_primary(
    w: np.ndarray, gpus: int, gpus_per_node: int, per_gpu: int, group_size: int, budget: Budget
) -> tuple[np.ndarray, float]:
    """A placement where every expert has a replica on its group's home node, and the node
    LP's bound where it was solved (0 otherwise).

    The first start (`node_greedy`) is packed at once, so a layer with no time left still
    gets a good answer; then each start (`primary_starts`) gets a share of the budget for
    the node-level search (iterated on hot layers: `searched`); on hot layers with time to
    spare, two more starts from the node LP (`lp_candidates`). The searched states and the
    starts are put on GPUs and polished in order of packed value (those within `LS_SLACK` of
    the best result: a start can win on tiny instances, where packing, not node balance,
    decides); the best result.
    """
    nodes = gpus // gpus_per_node
    units = np.arange(nodes)
    starts = primary_starts(w, gpus, gpus_per_node, per_gpu, group_size)
    first = BalanceSearch(w, starts[0][1], starts[0][0], group_size, units, gpus_per_node, per_gpu)
    quick = on_gpus(w, first, gpus_per_node, per_gpu)
    if budget.expired():
        return quick, 0.0
    cands, hot, bound = [(quick, first.home)], False, 0.0
    for i, (home, rep) in enumerate(starts):
        search = BalanceSearch(w, rep, home, group_size, units, gpus_per_node, per_gpu)
        found, hot_i = searched(search, budget.part(2 * (len(starts) - i)), gpus_per_node, per_gpu)
        cands, hot = cands + found, hot or hot_i
        if i:
            start = BalanceSearch(w, rep, home, group_size, units, gpus_per_node, per_gpu)
            cands.append((on_gpus(w, start, gpus_per_node, per_gpu), start.home))
    cands.sort(key=lambda c: value(w, c[0]))
    if hot:
        more, bound = lp_candidates(
            w, gpus_per_node, per_gpu, group_size, budget, value(w, cands[0][0])
        )
        cands = sorted(cands + more, key=lambda c: value(w, c[0]))
    best, best_v = cands[0][0], value(w, cands[0][0])
    for place, home_of in cands:
        if budget.expired() or value(w, place) > best_v * (1 + LS_SLACK):
            continue
        out = polish(w, place, home_of, group_size, gpus_per_node, budget)
        if value(w, out) < best_v - EPS:
            best, best_v = out, value(w, out)
    return best, bound
