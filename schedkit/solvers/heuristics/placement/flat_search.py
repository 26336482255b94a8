"""Balance one layer on a set of GPUs: replicate, pack, improve (NumPy, no problem object).


`w` is a (K, E) matrix: the loads of E experts under K scenarios (K = 1 without robust
planning); a GPU's load under scenario k is the sum of w[k, e] / count[e] over its slots and
the layer's value is the largest over GPUs and scenarios. `solve_flat` returns a (gpus, slots)
array of local expert indices: the best of two packings (longest-first with equal counts, and
balanced largest differencing), improved by swaps and re-replication moves.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from schedkit.models.placement.bounds import enumerated_counts
from schedkit.models.placement.construct import items_of, pack_bldm, pack_lpt, replicate
from schedkit.models.placement.layout import gpu_loads, value

if TYPE_CHECKING:
    from schedkit.solvers.budget import Budget

EPS = 1e-9


ENUM_CANDIDATES = 4
"""Count vectors (best bounds first) packed when the counts can be enumerated."""


def initial(w: np.ndarray, gpus: int, per_gpu: int) -> np.ndarray:
    """Replica counts (greedy, plus the best enumerated vectors when few experts), each packed
    by LPT and by differencing (with two slots per GPU: largest with smallest, optimal for
    the counts); the best placement."""
    counts = [replicate(w, gpus * per_gpu)]
    if w.shape[0] == 1:
        enum = enumerated_counts(w[0], gpus * per_gpu, gpus, per_gpu)
        if enum is not None:
            counts = [*enum[1][:ENUM_CANDIDATES], *counts]
    best, best_v = None, np.inf
    for cnt in counts:
        items = items_of(cnt)
        size = (w.max(axis=0) / cnt)[items]
        for packer in (pack_lpt, pack_bldm):
            place = items[packer(size, gpus, per_gpu)]
            v = value(w, place)
            if v < best_v - EPS:
                best, best_v = place, v
    assert best is not None
    return best


class LocalSearch:
    """Swap and re-replicate moves that lower the (largest load, GPUs at it) pair.

    With `prev` and `budget`, a move must keep the slots differing from `prev` within the
    budget; `move_cost` ranks snapshots by largest load + move_cost x moves. With `home` (a
    node per expert, GPUs of `gpus_per_node`), every expert keeps a replica on its home node
    (`group_local: primary`): such a last home replica is pinned to its node.
    """

    def __init__(
        self,
        w: np.ndarray,
        place: np.ndarray,
        prev: np.ndarray | None = None,
        budget: int | None = None,
        move_cost: float = 0.0,
        home: np.ndarray | None = None,
        gpus_per_node: int = 1,
    ) -> None:
        self.w, self.place = w, place.copy()
        self.E = w.shape[1]
        self.prev, self.budget, self.move_cost = prev, budget, move_cost
        self.home = home
        self.node = np.arange(place.shape[0]) // gpus_per_node
        self._refresh()
        self.best = self.place.copy()
        self.best_score = self.score()

    def _refresh(self) -> None:
        self.cnt = np.bincount(self.place.ravel(), minlength=self.E)
        self.loads = gpu_loads(self.w, self.place, self.cnt)
        self.pinned = np.zeros(self.place.shape, dtype=bool)
        if self.home is not None:
            at_home = self.node[:, None] == self.home[self.place]
            n_home = np.bincount(self.place[at_home], minlength=self.E)
            self.pinned = at_home & (n_home[self.place] == 1)

    def moves(self) -> int:
        return 0 if self.prev is None else int((self.place != self.prev).sum())

    def score(self) -> float:
        return float(self.loads.max()) + self.move_cost * self.moves()

    def _budget_ok(self, cells: list[tuple[int, int]], new: list[int]) -> bool:
        if self.prev is None or self.budget is None:
            return True
        delta = sum(
            int(n != self.prev[c]) - int(self.place[c] != self.prev[c])
            for c, n in zip(cells, new, strict=True)
        )
        return self.moves() + delta <= self.budget

    def run(self, budget: Budget, max_iter: int = 5000) -> np.ndarray:
        """Improve until no move helps or the budget ends; returns the best placement seen."""
        for _ in range(max_iter):
            if budget.expired() or not (self._swap() or self._rereplicate() or self._feed()):
                break
            s = self.score()
            if s < self.best_score - EPS:
                self.best, self.best_score = self.place.copy(), s
        return self.best

    def _state(self) -> tuple[float, int, int]:
        per_gpu = self.loads.max(axis=0)
        top = float(per_gpu.max())
        return top, int((per_gpu >= top - EPS).sum()), int(np.argmax(per_gpu))

    def _swap(self) -> bool:
        top, _, g = self._state()
        G, S = self.place.shape
        per = self.w / self.cnt  # (K, E)
        mine = per[:, self.place[g]]  # (K, S)
        other = per[:, self.place.ravel()]  # (K, G*S)
        host = np.repeat(np.arange(G), S)
        new_g = self.loads[:, g, None, None] - mine[:, :, None] + other[:, None, :]
        new_h = self.loads[:, host][:, None, :] - other[:, None, :] + mine[:, :, None]
        worst = np.maximum(new_g.max(axis=0), new_h.max(axis=0))  # (S, G*S)
        worst[:, host == g] = np.inf
        same = self.place[g][:, None] == self.place.ravel()[None, :]
        worst[same] = np.inf
        if self.home is not None:
            away = self.node[host] != self.node[g]
            worst[:, away] = np.where(
                self.pinned[g][:, None] | self.pinned.ravel()[None, away], np.inf, worst[:, away]
            )
        for flat in np.argsort(worst, axis=None)[:8]:
            i, j = divmod(int(flat), G * S)
            if worst[i, j] >= top - EPS:
                return False
            h, t = divmod(j, S)
            a, b = int(self.place[g, i]), int(self.place[h, t])
            if self._budget_ok([(g, i), (h, t)], [b, a]):
                self.place[g, i], self.place[h, t] = b, a
                self._refresh()
                return True
        return False

    def _rereplicate(self) -> bool:
        """Turn a replica on the hottest GPU into a replica of another expert."""
        top, at_top, g = self._state()
        G = self.place.shape[0]
        n = np.zeros((G, self.E))
        np.add.at(n, (np.repeat(np.arange(G), self.place.shape[1]), self.place.ravel()), 1)
        cnt = self.cnt.astype(float)
        gain_b = self.w / (cnt + 1) - self.w / cnt  # (K, E): per-replica change of b
        for i, a in enumerate(self.place[g]):
            if cnt[a] < 2 or self.pinned[g, i]:
                continue
            da = self.w[:, a] / (cnt[a] - 1) - self.w[:, a] / cnt[a]  # (K,)
            new = (
                self.loads[:, :, None]
                + n[None, :, a, None] * da[:, None, None]
                + n[None] * gain_b[:, None, :]
            )
            new[:, g, :] += (-self.w[:, a] / (cnt[a] - 1))[:, None] + (self.w / (cnt + 1))
            per_gpu = new.max(axis=0)  # (G, E)
            worst = per_gpu.max(axis=0)
            ties = (per_gpu >= top - EPS).sum(axis=0)
            ok = (worst < top - EPS) | ((worst <= top + EPS) & (ties < at_top))
            ok[a] = False
            for b in np.flatnonzero(ok)[np.argsort(worst[ok])][:4]:
                if self._budget_ok([(g, i)], [int(b)]):
                    self.place[g, i] = b
                    self._refresh()
                    return True
        return False

    def _feed(self) -> bool:
        """Turn a replica elsewhere into one more replica of an expert on the hottest GPU."""
        top, at_top, g = self._state()
        G, S = self.place.shape
        cells = self.place.ravel()
        host = np.repeat(np.arange(G), S)
        n = np.zeros((G, self.E))
        np.add.at(n, (host, cells), 1)
        cnt = self.cnt.astype(float)
        ok = (cnt[cells] >= 2) & ~self.pinned.ravel() & (host != g)
        if not ok.any():
            return False
        idx = np.flatnonzero(ok)
        x = cells[idx]
        wx = self.w[:, x]  # (K, J)
        dx = wx / (cnt[x] - 1) - wx / cnt[x]
        base = self.loads[:, None, :] + dx[:, :, None] * n[:, x].T[None, :, :]  # (K, J, G)
        base[:, np.arange(len(idx)), host[idx]] -= wx / (cnt[x] - 1)
        best: tuple[float, int, int] | None = None
        for b in np.unique(self.place[g]):
            wb = self.w[:, b]
            db = wb / (cnt[b] + 1) - wb / cnt[b]  # (K,)
            new = base + (db[:, None] * n[:, b][None, :])[:, None, :]
            new[:, np.arange(len(idx)), host[idx]] += (wb / (cnt[b] + 1))[:, None]
            per_gpu = new.max(axis=0)  # (J, G)
            worst = per_gpu.max(axis=1)
            ties = (per_gpu >= top - EPS).sum(axis=1)
            good = ((worst < top - EPS) | ((worst <= top + EPS) & (ties < at_top))) & (x != b)
            if good.any():
                j = int(np.flatnonzero(good)[np.argmin(worst[good])])
                if best is None or worst[j] < best[0]:
                    best = (float(worst[j]), int(idx[j]), int(b))
        if best is None:
            return False
        _, cell, b = best
        h, t = divmod(cell, S)
        if not self._budget_ok([(h, t)], [b]):
            return False
        self.place[h, t] = b
        self._refresh()
        return True


def solve_flat(w: np.ndarray, gpus: int, per_gpu: int, budget: Budget) -> np.ndarray:
    """A good (gpus, per_gpu) placement of E local experts (loads w: (K, E))."""
    place = initial(w, gpus, per_gpu)
    return LocalSearch(w, place).run(budget)
