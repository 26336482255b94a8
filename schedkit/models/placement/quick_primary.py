"""A constructive `primary` placement of every layer at once (NumPy over the layers).

What a solve keeps for a layer it has no time to search. The per-layer start
(`construct.load_start`) takes 10-15 ms per layer of 256 experts at EP64, some ten times
EPLB's own time; here the node-aware greedy of `node_greedy.NodeGreedy` runs batched over the
layers (`Grow`):

1. groups to nodes, heaviest first to the least loaded node with room (`homes`);
2. replicas above `SPLIT_ABOVE` of the average GPU load (or EPLB's largest replica, if more)
   split first, each on its best node; then one redundant slot per layer and step, the
   (expert, node) that gives the least largest node value (load per GPU, or the largest
   replica plus `per_gpu - 1` times the smallest), then the least sum of squared node loads,
   among the largest replicas of the node of the largest value and the largest replica
   overall; once no such step helps, each node's free slots split its own experts, largest
   replica first;
3. each node's replicas packed on its GPUs longest first (`pack_lpt`), then pairs of GPUs
   re-split (`resplit`, the batched `resplit.repartition`).

Sizes for steps 1-2 are the largest load over scenarios; step 3 scores every scenario. (A
second set, EPLB's counts spread over nodes, won 4 of 232 layers of the benchmark by at most
0.01 % once replicas split down to `SPLIT_ABOVE`, and was dropped.)
"""

from __future__ import annotations

import numpy as np

from schedkit.models.placement.problem import PlacementProblem
from schedkit.models.placement.resplit import split_masks

EPS = 1e-9
CANDIDATES = 0.375
"""Largest replicas of the most loaded node scored per step, as a share of the experts per
node (12 at 256 experts on 8 nodes, 24 on 4); the others shed less. At 4 nodes 48 gave 1.0028
mean balance on the preset against 1.0054 with 12; at 8 nodes 20 gave 1.0687 against 1.0709
but took some 10 % longer, which EPLB's time does not leave."""
SPLIT_ABOVE = 0.6
"""Replicas above this share of the average GPU load (or above EPLB's largest, if more) are
split first. With the average itself (as `node_greedy` does) the growth left replicas of up
to 0.84 of it on log-normal loads at EP64, and five replicas per GPU then packed at 1.048
mean balance, against 1.008 with 0.6 (1.0709 to 1.0627 on the `deepseek-v3` preset); 0.5
and 0.65-0.8 were no better."""
RESPLIT_ROUNDS = 60
"""Most re-split rounds; each lowers the hottest GPU of every node still improving."""


def homes(gload: np.ndarray, nodes: int, group_size: int, per_node: int) -> np.ndarray:
    """(L, groups) home node of every group: heaviest first to the least loaded node with
    room, every layer at once."""
    L, groups = gload.shape
    rows = np.arange(L)
    order = np.argsort(-gload, axis=1, kind="stable")
    home = np.empty((L, groups), dtype=np.int64)
    load = np.zeros((L, nodes))
    used = np.zeros((L, nodes), dtype=np.int64)
    for j in range(groups):
        g = order[:, j]
        n = np.argmin(np.where(used + group_size <= per_node, load, np.inf), axis=1)
        home[rows, g] = n
        load[rows, n] += gload[rows, g]
        used[rows, n] += group_size
    return home


def eplb_top(size: np.ndarray, slots: int) -> np.ndarray:
    """(L,) the largest load per replica after EPLB's replication (the expert of largest load
    per replica gets the next slot) in every layer: `bounds.greedy_counts`, batched."""
    rows = np.arange(len(size))
    cnt = np.ones(size.shape, dtype=np.int64)
    for _ in range(slots - size.shape[1]):
        cnt[rows, np.argmax(size / cnt, axis=1)] += 1
    out: np.ndarray = (size / cnt).max(axis=1)
    return out


class Grow:
    """Replicas per (layer, node, expert), grown one redundant slot per layer and step, as
    `node_greedy.NodeGreedy` does for one layer: a node's value is its load per GPU or its
    largest replica plus `per_gpu - 1` times its smallest, whichever is more (kept up to date
    per step, not recomputed: the largest two and the smallest replica of every node). `top`
    (L,): the largest replica after EPLB's replication; replicas above it or `SPLIT_ABOVE`
    of the average GPU load, whichever is more, are split first; nodes above it or the
    average (the target) spread their load."""

    def __init__(
        self,
        size: np.ndarray,
        home: np.ndarray,
        nodes: int,
        per_node: int,
        gpn: int,
        top: np.ndarray,
    ) -> None:
        L, E = size.shape
        self.size, self.gpn, self.k, self.rows = size, gpn, per_node // gpn - 1, np.arange(L)
        self.scored = max(1, round(CANDIDATES * E / nodes))
        self.home = home
        self.rep = np.zeros((L, nodes, E), dtype=np.int64)
        self.rep[self.rows[:, None], home, np.arange(E)[None, :]] = 1
        self.cnt = np.ones((L, E), dtype=np.int64)
        self.item = size.astype(float)  # load per replica, size / cnt
        self.free = per_node - self.rep.sum(axis=2)
        self.loads = np.einsum("lne,le->ln", self.rep, size)
        avg = size.sum(axis=1) / (nodes * gpn)
        self.target = np.maximum(top, avg)  # nodes above it spread their load
        self.split = np.maximum(top, SPLIT_ABOVE * avg)  # replicas above it split first
        self.forced = np.ones(L, dtype=bool)
        self.first, self.second, self.least = (np.zeros((L, nodes)) for _ in range(3))
        self.arg1, self.arg2 = (np.zeros((L, nodes), dtype=np.int64) for _ in range(2))
        every = np.nonzero(np.ones((L, nodes), dtype=bool))
        self.tops(every[0], every[1], least=True)

    def tops(self, lay: np.ndarray, node: np.ndarray, least: bool = False) -> None:
        """Recompute the largest two replicas (and their experts) of the given (layer, node)
        rows, and with `least` their smallest; 0 on a node that holds nothing."""
        held = self.rep[lay, node] > 0
        item = self.item[lay]
        big = np.where(held, item, -1.0)
        r = np.arange(len(lay))
        a1 = np.argmax(big, axis=1)
        f1 = big[r, a1]
        big[r, a1] = -1.0
        a2 = np.argmax(big, axis=1)
        self.first[lay, node], self.arg1[lay, node] = np.maximum(f1, 0.0), a1
        self.second[lay, node], self.arg2[lay, node] = np.maximum(big[r, a2], 0.0), a2
        if least:
            low = np.where(held, item, np.inf).min(axis=1)
            self.least[lay, node] = np.where(np.isfinite(low), low, 0.0)

    def values(self, lay: np.ndarray) -> np.ndarray:
        """(A, N) node values of layers `lay` now."""
        return np.maximum(self.loads[lay] / self.gpn, self.first[lay] + self.k * self.least[lay])

    def candidates(self, lay: np.ndarray, now: np.ndarray) -> np.ndarray:
        """(A, C + 1) experts scored per layer: the C largest replicas of the node of the largest
        value (`CANDIDATES`), and the largest replica overall (last)."""
        item = self.item[lay]
        hot = np.argmax(now, axis=1)
        E = item.shape[1]
        # replicas not held there rank below, in a fixed order: with ties (-inf) NumPy's
        # argpartition took 12 times as long at 2,048 experts
        key = np.where(self.rep[lay, hot] > 0, item, -1.0 - np.arange(E) / E)
        c = min(self.scored, E)
        top = np.argmax(item, axis=1)
        return np.concatenate([np.argpartition(key, E - c, axis=1)[:, E - c :], top[:, None]], 1)

    def scores(self, lay: np.ndarray, cand: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(A, N, C) largest node value and sum of squared node loads after one more replica
        of cand[a, c] on node n (infinite where n has no free slot)."""
        r, k, gpn = lay[:, None], self.k, self.gpn
        s, n = self.size[r, cand], self.cnt[r, cand]
        reps = np.transpose(self.rep[r, :, cand], (0, 2, 1))  # (A, N, C)
        held = reps > 0
        a = (s / (n + 1))[:, None, :]
        base = self.loads[lay][:, :, None] - reps * ((s / n)[:, None, :] - a)
        first, second, least = (x[lay][..., None] for x in (self.first, self.second, self.least))
        is1 = held & (self.arg1[lay][..., None] == cand[:, None, :])
        lg = np.where(is1, np.maximum(second, a), first)  # largest replica, n aside
        sm = np.where(held, np.minimum(least, a), least)  # smallest replica, n aside
        other = np.maximum(base / gpn, lg + k * sm)
        at = np.maximum((base + a) / gpn, np.maximum(lg, a) + k * np.minimum(sm, a))
        srt = np.sort(other, axis=1)
        o1, o2 = srt[:, -1:, :], srt[:, -2:-1, :] if srt.shape[1] > 1 else 0.0 * srt[:, -1:, :]
        score = np.maximum(at, np.where(other >= o1, o2, o1))  # o2 where n is the largest
        score[self.free[lay] <= 0] = np.inf
        sq = (base * base).sum(axis=1)[:, None, :] + (base + a) ** 2 - base * base
        return score, sq

    def best_moves(self, lay: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """For layers `lay`: (node, expert) of the best step (least largest value, then least
        sum of squares), and whether it is taken: it lowers the largest value, or keeps it
        and spreads the loads while a node is over the target, or splits the largest replica
        while that is over the split level (then no other expert is scored)."""
        now = self.values(lay)
        cand = self.candidates(lay, now)
        score, sq = self.scores(lay, cand)
        rows, A = np.arange(len(lay)), len(lay)
        top = self.item[lay, cand[:, -1]]
        forcing = self.forced[lay] & (top > self.split[lay] * (1 + EPS))
        self.forced[lay] = forcing
        score[forcing, :, :-1] = np.inf
        lo = score.reshape(A, -1).min(axis=1)
        pick = np.where(score <= (lo * (1 + EPS))[:, None, None], sq, np.inf).reshape(A, -1)
        flat = np.argmin(pick, axis=1)
        node, ci = np.divmod(flat, cand.shape[1])
        loads = self.loads[lay]
        top_now, now_sq = now.max(axis=1), (loads * loads).sum(axis=1)
        better = lo < top_now * (1 - EPS)
        spread = (lo <= top_now * (1 + EPS)) & (pick[rows, flat] < now_sq * (1 - EPS))
        spread &= loads.max(axis=1) > self.gpn * self.target[lay]
        ok = np.isfinite(lo) & (better | spread | forcing)
        return node, cand[rows, ci], ok

    def fill_moves(self, lay: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For layers `lay`: the most loaded node with a free slot, and the replica that
        raises its load the least (then the largest): one of an expert whose replicas all sit
        there raises nothing."""
        loads, item = self.loads[lay], self.item[lay]
        node = np.argmax(np.where(self.free[lay] > 0, loads, -np.inf), axis=1)
        r, cnt = self.rep[lay, node], self.cnt[lay]
        own = r == cnt
        expert = np.argmax(np.where(own, item, -np.inf), axis=1)
        rest = np.flatnonzero(~own.any(axis=1))
        if len(rest):
            r, cnt, size = r[rest], cnt[rest], self.size[lay[rest]]
            rise = size * ((r + 1) / (cnt + 1) - r / cnt)
            rise = np.round(rise / np.maximum(loads[rest].max(axis=1), EPS)[:, None], 9)
            least = rise.min(axis=1, keepdims=True)
            expert[rest] = np.argmax(np.where(rise <= least, item[rest], -np.inf), axis=1)
        return node, expert

    def apply(self, lay: np.ndarray, node: np.ndarray, expert: np.ndarray) -> None:
        """One more replica of expert[i] on node[i] in layer lay[i] (distinct layers); loads
        and the per-node largest / smallest replicas brought up to date."""
        s, c = self.size[lay, expert], self.cnt[lay, expert]
        a = s / (c + 1)
        reps = self.rep[lay, :, expert]  # (A, N) before the step
        holders = reps > 0
        new = ~holders[np.arange(len(lay)), node]  # the node did not hold the expert
        self.loads[lay] -= reps * (s / c - a)[:, None]
        self.loads[lay, node] += a
        self.rep[lay, node, expert] += 1
        self.cnt[lay, expert] += 1
        self.item[lay, expert] = a
        self.free[lay, node] -= 1
        ex = expert[:, None]
        redo = holders & ((self.arg1[lay] == ex) | (self.arg2[lay] == ex))
        self.least[lay] = np.where(
            holders, np.minimum(self.least[lay], a[:, None]), self.least[lay]
        )
        self.insert(lay[new], node[new], expert[new], a[new])
        rl, rn = np.nonzero(redo)
        self.tops(lay[rl], rn)

    def insert(self, lay: np.ndarray, node: np.ndarray, expert: np.ndarray, a: np.ndarray) -> None:
        """A replica of size `a` of an expert the node did not hold, added to its tops."""
        f1, f2 = self.first[lay, node], self.second[lay, node]
        was_empty = self.rep[lay, node].sum(axis=1) == 1
        self.least[lay, node] = np.where(was_empty, a, np.minimum(self.least[lay, node], a))
        up1, up2 = a > f1, (a <= f1) & (a > f2)
        self.second[lay, node] = np.where(up1, f1, np.where(up2, a, f2))
        self.arg2[lay, node] = np.where(
            up1, self.arg1[lay, node], np.where(up2, expert, self.arg2[lay, node])
        )
        self.first[lay, node] = np.where(up1, a, f1)
        self.arg1[lay, node] = np.where(up1, expert, self.arg1[lay, node])

    def run(self) -> np.ndarray:
        """Every free slot filled; (L, N, E) replicas per node. A layer whose best step is
        not taken only fills from then on (`fill_own`, else `fill_moves` slot by slot)."""
        stuck = np.zeros(len(self.rows), dtype=bool)
        while True:
            lay = np.flatnonzero(~stuck & (self.free.sum(axis=1) > 0))
            if not len(lay):
                break
            node, expert, ok = self.best_moves(lay)
            stuck[lay[~ok]] = True
            self.apply(lay[ok], node[ok], expert[ok])
        lay = np.flatnonzero(~self.fill_own())
        while len(lay) and self.free[lay].any():
            lay = lay[self.free[lay].sum(axis=1) > 0]
            self.apply(lay, *self.fill_moves(lay))
        return self.rep

    def fill_own(self) -> np.ndarray:
        """(L,) bool: the layers whose every node with free slots holds an expert of positive
        load all of whose replicas sit there, now filled: such a replica raises nothing, so
        `fill_moves` would fill each node with its own experts, largest replica first, and
        the nodes are independent; done here for every node at once. Such an expert's home
        is the node, so only the node's home experts are looked at."""
        lay, node = np.nonzero(self.free > 0)
        cand, valid = self.home_experts(lay, node)  # (P, H)
        own = valid & (self.rep[lay[:, None], node[:, None], cand] == self.cnt[lay[:, None], cand])
        own &= self.size[lay[:, None], cand] > 0
        ok = np.ones(len(self.rows), dtype=bool)
        ok[lay[~own.any(axis=1)]] = False
        keep = ok[lay]
        lay, node, own, cand = lay[keep], node[keep], own[keep], cand[keep]
        item, size = self.item[lay[:, None], cand], self.size[lay[:, None], cand]
        cnt = self.cnt[lay[:, None], cand]
        left = self.free[lay, node]
        r = np.arange(len(lay))
        for step in range(int(left.max(initial=0))):
            at = r[left > step]
            h = np.argmax(np.where(own[at], item[at], -np.inf), axis=1)
            cnt[at, h] += 1
            item[at, h] = size[at, h] / cnt[at, h]
            self.rep[lay[at], node[at], cand[at, h]] += 1
        self.free[lay, node] = 0
        done = np.flatnonzero(ok)
        self.cnt[done] = self.rep[done].sum(axis=1)
        self.item[done] = self.size[done] / self.cnt[done]
        self.tops(lay, node, least=True)  # node loads are unchanged
        return ok

    def home_experts(self, lay: np.ndarray, node: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(P, H) the experts whose home is node[p] in layer lay[p], padded (mask: valid)."""
        order = np.argsort(self.home, axis=1, kind="stable")  # experts by home node
        counts = np.stack([np.bincount(h, minlength=self.free.shape[1]) for h in self.home])
        first = np.cumsum(counts, axis=1) - counts  # (L, N) where each node's experts start
        n = counts[lay, node]
        span = np.arange(int(n.max(initial=0)))[None, :]
        valid = span < n[:, None]
        pos = np.minimum(first[lay, node][:, None] + span, order.shape[1] - 1)
        return order[lay[:, None], pos], valid


def pack_lpt(size: np.ndarray, gpus: int, per_gpu: int) -> np.ndarray:
    """(B, gpus, per_gpu) positions of the items of every block (B, gpus x per_gpu), longest
    first to the least loaded GPU with room, all blocks at once."""
    B, P = size.shape
    rows = np.arange(B)
    order = np.argsort(-size, axis=1, kind="stable")
    out = np.empty((B, gpus, per_gpu), dtype=np.int64)
    load = np.zeros((B, gpus))
    fill = np.zeros((B, gpus), dtype=np.int64)
    for j in range(P):
        i = order[:, j]
        g = np.argmin(np.where(fill < per_gpu, load, np.inf), axis=1)
        out[rows, g, fill[rows, g]] = i
        load[rows, g] += size[rows, i]
        fill[rows, g] += 1
    return out


def block_floor(size: np.ndarray) -> np.ndarray:
    """(B,) least hottest GPU of any even split of each block's replicas, sizes (K, B, G, S):
    the mean GPU load, or the largest replica with the `S - 1` smallest (per scenario)."""
    K, B, G, S = size.shape
    flat = np.sort(size.reshape(K, B, G * S), axis=2)
    packed = flat[:, :, -1] + flat[:, :, : S - 1].sum(axis=2)
    out: np.ndarray = np.maximum(flat.sum(axis=2) / G, packed).max(axis=0)
    return out


def resplit(per: np.ndarray, block: np.ndarray, layer: np.ndarray) -> np.ndarray:
    """Blocks (B, gpus, slots) of experts, block b in layer `layer[b]` with loads per replica
    `per` (K, L, E): the hottest GPU's and another GPU's replicas re-split (the best even
    split, the best partner) while that lowers the hottest GPU, every block at once. A block
    stops once its hottest GPU is no more than its layer's floor: the largest `block_floor`,
    or the hottest GPU of a block that stopped (the layer's value is at least that)."""
    block = block.copy()
    B, G, S = block.shape
    if G < 2:
        return block
    masks = split_masks(S)
    lower = np.arange(G - 1)[None, :]
    gpu = per[:, layer[:, None, None], block].sum(axis=3).max(axis=0)  # (B, G)
    hot = gpu.max(axis=1)
    floor = np.zeros(per.shape[1])
    np.maximum.at(floor, layer, block_floor(per[:, layer[:, None, None], block]))
    active = np.arange(B)
    for _ in range(RESPLIT_ROUNDS):
        limit = floor[layer[active]]
        active = active[hot[active] > limit * (1 + EPS)]
        if not len(active):
            break
        blk, lay = block[active], layer[active][:, None, None]
        rows = np.arange(len(active))
        h = np.argmax(gpu[active], axis=1)
        others = np.where(lower >= h[:, None], lower + 1, lower)  # (A, G - 1)
        hot_items = np.repeat(blk[rows, h][:, None, :], G - 1, axis=1)
        items = np.concatenate([hot_items, blk[rows[:, None], others]], axis=2)
        size = per[:, lay, items]  # (K, A, G - 1, 2S)
        first = size @ masks.T  # (K, A, G - 1, M) the first GPU's load per split
        rest = size.sum(axis=3, keepdims=True) - first
        worst = np.maximum(first[0], rest[0]) if len(size) == 1 else np.maximum(first, rest).max(0)
        flat = worst.reshape(len(active), -1)
        k = np.argmin(flat, axis=1)
        better = flat[rows, k] < hot[active] * (1 - EPS)
        np.maximum.at(floor, layer[active[~better]], hot[active[~better]])
        a, (g, m) = np.flatnonzero(better), np.divmod(k[better], len(masks))
        chosen, pick = items[a, g], masks[m]
        b = active[a]
        block[b, h[a]] = chosen[pick].reshape(len(a), S)
        block[b, others[a, g]] = chosen[~pick].reshape(len(a), S)
        gpu[b] = per[:, layer[b][:, None, None], block[b]].sum(axis=3).max(axis=0)
        hot[b] = gpu[b].max(axis=1)
        active = b
    return block


def blocks(w: np.ndarray, rep: np.ndarray, gpus_per_node: int, per_gpu: int) -> np.ndarray:
    """(L, N, gpus_per_node, per_gpu) replicas per node `rep` (L, N, E) packed on the node's
    GPUs longest first."""
    L, nodes, E = rep.shape
    items = np.repeat(np.tile(np.arange(E), L * nodes), rep.ravel()).reshape(L * nodes, -1)
    layer = np.repeat(np.arange(L), nodes)
    size = w.max(axis=0) / rep.sum(axis=1)
    pos = pack_lpt(size[layer[:, None], items], gpus_per_node, per_gpu)
    return items[np.arange(L * nodes)[:, None, None], pos].reshape(L, nodes, gpus_per_node, -1)


def group_sums(size: np.ndarray, group_size: int) -> np.ndarray:
    """(L, groups) load of every group."""
    out: np.ndarray = size.reshape(size.shape[0], -1, group_size).sum(axis=2)
    return out


def quick_primary(
    w: np.ndarray, group_size: int, nodes: int, gpus_per_node: int, per_gpu: int
) -> np.ndarray:
    """(L, gpus, per_gpu) placements for loads `w` (K, L, E) of layers with load, node-local
    groups `primary` (module docstring)."""
    size = w.max(axis=0)
    L, gpn, per_node = size.shape[0], gpus_per_node, gpus_per_node * per_gpu
    home = homes(group_sums(size, group_size), nodes, group_size, per_node)
    top = eplb_top(size, nodes * per_node)
    rep = Grow(size, np.repeat(home, group_size, axis=1), nodes, per_node, gpn, top).run()
    block = blocks(w, rep, gpn, per_gpu).reshape(L * nodes, gpn, per_gpu)
    block = resplit(w / rep.sum(axis=1)[None], block, np.repeat(np.arange(L), nodes))
    return block.reshape(L, nodes * gpn, per_gpu)


def quick_layers(problem: PlacementProblem) -> np.ndarray:
    """(layers, gpus, slots) `quick_primary` placements of every layer of a `primary`
    problem; an all-zero (dense) layer is placed as if its experts' loads were equal."""
    p = problem
    w = p.load_stack.copy()
    dense = ~w.any(axis=(0, 2))
    w[:, dense, :] = 1.0
    return quick_primary(w, p.group_size, p.nodes, p.gpus_per_node, p.slots_per_gpu)
