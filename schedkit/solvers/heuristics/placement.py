"""Placement heuristic: EPLB-style greedy plus improvement, layer by layer.

Per layer: node-local units (groups, or single experts when inter-node traffic counts) are
assigned to nodes first (`placement_nodes`), then each node (or the whole cluster) is
balanced by `placement_core.solve_flat`; `group_local: primary` has its own node-then-GPU
search (`placement_primary`). With co-activation, layers are swept again with both
neighbours fixed. Re-planning compares a fresh plan (GPUs matched to the previous placement,
kept replicas in their slots) with a local search from the previous placement under the move
budget. Backend `eplb` is the plain greedy baseline.
"""

from __future__ import annotations

import time

import numpy as np
from scipy.optimize import linear_sum_assignment, linprog

from schedkit.models.placement.bounds import layer_bounds
from schedkit.models.placement.problem import PlacementProblem, PlacementSolution
from schedkit.solvers.heuristics.placement_core import LocalSearch, solve_flat, value
from schedkit.solvers.heuristics.placement_eplb import eplb_layer
from schedkit.solvers.heuristics.placement_nodes import NodeModel, assign_nodes
from schedkit.solvers.heuristics.placement_primary import solve_primary
from schedkit.solvers.heuristics.placement_traffic import traffic_pass
from schedkit.solvers.result import BackendOutput, SolveOptions, Status


def shares(problem: PlacementProblem, place: np.ndarray) -> np.ndarray:
    """(E, nodes) share of each expert's replicas on each node."""
    G, S = place.shape
    node = np.repeat(np.arange(G) // problem.gpus_per_node, S)
    out = np.zeros((problem.num_experts, problem.nodes))
    np.add.at(out, (place.ravel(), node), 1.0)
    return out / np.maximum(out.sum(axis=1, keepdims=True), 1.0)


class Planner:
    """Layer-by-layer planning state: the placement so far and the problem's context."""

    def __init__(self, problem: PlacementProblem, deadline: float) -> None:
        self.p = problem
        self.deadline = deadline
        self.place: list[np.ndarray | None] = [None] * problem.num_layers
        self.prev = None if problem.previous is None else np.array(problem.previous)

    def w(self, layer: int) -> np.ndarray:
        out: np.ndarray = self.p.load_stack[:, layer, :]
        return out

    def traffic_cost(self, layer: int) -> np.ndarray:
        """(E, nodes): weighted traffic of putting all of expert e on node n (neighbours fixed)."""
        if not self.p.uses_traffic:
            return np.zeros((self.p.num_experts, self.p.nodes))
        return self.p.traffic_weight * self.raw_traffic(layer)

    def raw_traffic(self, layer: int) -> np.ndarray:
        """(E, nodes): tokens crossing nodes if all of expert e sat on node n (neighbours
        fixed); a layer's traffic is linear in its node shares with these coefficients."""
        p = self.p
        cost = np.zeros((p.num_experts, p.nodes))
        if p.coactivation is None or p.nodes < 2:
            return cost
        before = self.place[layer - 1] if layer > 0 else None
        after = self.place[layer + 1] if layer + 1 < p.num_layers else None
        if before is not None:
            t = p.coactivation[layer - 1]  # (a, e)
            cost += t.sum(axis=0)[:, None] - t.T @ shares(p, before)
        if after is not None:
            t = p.coactivation[layer]  # (e, c)
            cost += t.sum(axis=1)[:, None] - t @ shares(p, after)
        return cost

    def score(self, layer: int, place: np.ndarray) -> float:
        """The layer's share of the objective with its neighbours fixed."""
        s = value(self.w(layer), place)
        if self.p.uses_traffic:
            s += float((self.traffic_cost(layer) * shares(self.p, place)).sum())
        if self.prev is not None:
            s += self.p.move_cost * int((place != self.prev[layer]).sum())
        return s

    def moves_ok(self, layer: int, place: np.ndarray) -> bool:
        if self.prev is None or self.p.max_moves is None:
            return True
        return int((place != self.prev[layer]).sum()) <= self.p.max_moves

    def node_plan(
        self, layer: int, units: list[np.ndarray], until: float, cap: float = 0.0
    ) -> np.ndarray:
        """Units to nodes, then each node balanced on its own GPUs."""
        p, w = self.p, self.w(layer)
        cost = self.traffic_cost(layer)
        ucost = np.array([cost[u].sum(axis=0) for u in units])
        model = NodeModel(
            w, units, p.nodes, p.gpus_per_node, p.gpus_per_node * p.slots_per_gpu, ucost, cap
        )
        home = assign_nodes(model, time.monotonic() + 0.5 * max(0.0, until - time.monotonic()))
        out = np.empty((p.num_gpus, p.slots_per_gpu), dtype=np.int64)
        for n in range(p.nodes):
            experts = np.concatenate([units[u] for u in np.flatnonzero(home == n)])
            local = solve_flat(w[:, experts], p.gpus_per_node, p.slots_per_gpu, until)
            out[n * p.gpus_per_node : (n + 1) * p.gpus_per_node] = experts[local]
        return out

    def fresh(self, layer: int, until: float) -> list[np.ndarray]:
        """Candidate placements of one layer, ignoring the previous placement."""
        p = self.p
        cands = []
        if p.groups_strict:
            size = p.group_size
            groups = [np.arange(g * size, (g + 1) * size) for g in range(p.num_experts // size)]
            cands.append(self.node_plan(layer, groups, until))
        elif p.groups_primary:
            cands.append(
                solve_primary(
                    self.w(layer),
                    p.num_gpus,
                    p.gpus_per_node,
                    p.slots_per_gpu,
                    p.group_size,
                    until,
                )
            )
        else:
            flat = solve_flat(self.w(layer), p.num_gpus, p.slots_per_gpu, until)
            cands.append(flat)
            if p.uses_traffic:
                singles = [np.array([e]) for e in range(p.num_experts)]
                cap = value(self.w(layer), flat)
                cands.append(self.node_plan(layer, singles, until, cap * (1 - 1e-3)))
                cands.append(self.node_plan(layer, singles, until, cap))
        return cands

    def plan_layer(self, layer: int, until: float, hint: np.ndarray | None) -> np.ndarray:
        cands = self.fresh(layer, until)
        if self.prev is not None:
            old = self.prev[layer]
            cands = [align(c, old, self.p) for c in cands]
            cands.append(self.from_previous(layer, until))
        if hint is not None:
            cands.append(hint)
        ok = [c for c in cands if self.moves_ok(layer, c)] or [cands[-1]]
        return min(ok, key=lambda c: self.score(layer, c))

    def from_previous(self, layer: int, until: float) -> np.ndarray:
        """Local search from the previous placement within the move budget."""
        old = self.prev[layer] if self.prev is not None else None
        assert old is not None
        if self.p.groups_strict or self.p.groups_primary or self.p.uses_traffic:
            return old.copy()  # node-level moves are left to the fresh plan
        ls = LocalSearch(self.w(layer), old, old, self.p.max_moves, self.p.move_cost)
        return ls.run(until)

    def run(self, hint: PlacementSolution | None) -> list[np.ndarray]:
        p = self.p
        hints = hint_arrays(p, hint)
        sweeps = 2 if p.uses_traffic else 1
        passes = p.coactivation is not None and p.nodes > 1
        plan_until = self.deadline
        if passes:  # keep time for the traffic pass
            plan_until = time.monotonic() + 0.5 * max(0.0, self.deadline - time.monotonic())
        for sweep in range(sweeps):
            for layer in range(p.num_layers):
                left = max(0.0, plan_until - time.monotonic())
                share = left / ((sweeps - sweep) * p.num_layers - layer)
                h = self.place[layer] if sweep else (hints[layer] if hints else None)
                self.place[layer] = self.plan_layer(layer, time.monotonic() + share, h)
        if passes and (p.uses_traffic or p.lexicographic):
            self.reduce_traffic()
        return [x for x in self.place if x is not None]

    def caps(self) -> list[float]:
        """Per-layer largest load the traffic pass may not exceed: the current one (plus
        `balance_tolerance` in lexicographic mode)."""
        tol = self.p.balance_tolerance if self.p.lexicographic else 0.0
        return [value(self.w(i), x) * (1 + tol) for i, x in enumerate(self.place) if x is not None]

    def reduce_traffic(self, caps: list[float] | None = None) -> None:
        """Cross-node replica swaps that lower traffic and keep every layer within its cap."""
        caps = self.caps() if caps is None else caps
        size = self.p.group_size if self.p.groups_primary else None
        if size is not None and any(
            x is None or primary_homes(self.p, x) is None for x in self.place
        ):
            return
        for _ in range(4):
            changed = False
            for layer in range(self.p.num_layers):
                if time.monotonic() > self.deadline:
                    return
                cur = self.place[layer]
                assert cur is not None
                new = traffic_pass(
                    self.w(layer),
                    cur,
                    self.raw_traffic(layer),
                    caps[layer],
                    self.p.gpus_per_node,
                    size,
                    self.deadline,
                    strict=self.p.groups_strict,
                )
                if new is not None and self.moves_ok(layer, new):
                    self.place[layer] = new
                    changed = True
            if not changed:
                return


def primary_homes(problem: PlacementProblem, place: np.ndarray) -> np.ndarray | None:
    """Home node of every expert (its group's node holding the whole group), or None."""
    size, gpn = problem.group_size, problem.gpus_per_node
    on = np.zeros((problem.num_experts, problem.nodes), dtype=bool)
    on[place.ravel(), np.repeat(np.arange(problem.num_gpus) // gpn, place.shape[1])] = True
    grp: np.ndarray = np.all(on.reshape(-1, size, problem.nodes), axis=1)  # (groups, nodes)
    if not bool(np.all(grp.any(axis=1))):
        return None
    home: np.ndarray = np.repeat(np.argmax(grp, axis=1), size)
    return home


def align(new: np.ndarray, old: np.ndarray, problem: PlacementProblem) -> np.ndarray:
    """Renumber GPUs (within nodes, and nodes unless traffic counts) and slots so that as
    many replicas as possible keep their slot of `old`; loads do not change."""
    gpn = problem.gpus_per_node
    new = new.copy()
    if problem.nodes > 1 and not problem.uses_traffic:
        blocks = [new[n * gpn : (n + 1) * gpn].copy() for n in range(problem.nodes)]
        olds = [old[n * gpn : (n + 1) * gpn] for n in range(problem.nodes)]
        gain = np.array([[overlap(b, o).sum() for o in olds] for b in blocks])
        rows, cols = linear_sum_assignment(-gain)
        for r, c in zip(rows, cols, strict=True):
            new[c * gpn : (c + 1) * gpn] = blocks[r]
    for n in range(problem.nodes):
        sl = slice(n * gpn, (n + 1) * gpn)
        rows, cols = linear_sum_assignment(-overlap(new[sl], old[sl]))
        block = new[sl].copy()
        new[sl][cols] = block[rows]
    return np.array([keep_slots(g, o) for g, o in zip(new, old, strict=True)])


def overlap(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(len(a), len(b)) multiset intersection sizes of GPU rows."""
    E = int(max(a.max(), b.max())) + 1
    ca = np.stack([np.bincount(r, minlength=E) for r in a])
    cb = np.stack([np.bincount(r, minlength=E) for r in b])
    out: np.ndarray = np.minimum(ca[:, None, :], cb[None, :, :]).sum(axis=2)
    return out


def keep_slots(new_gpu: np.ndarray, old_gpu: np.ndarray) -> np.ndarray:
    """The experts of `new_gpu` ordered so that those also in `old_gpu` keep their slot."""
    rest = list(new_gpu)
    out = [-1] * len(new_gpu)
    for s, e in enumerate(old_gpu):
        if e in rest:
            out[s] = int(e)
            rest.remove(e)
    it = iter(rest)
    return np.array([x if x >= 0 else int(next(it)) for x in out])


def hint_arrays(
    problem: PlacementProblem, hint: PlacementSolution | None
) -> list[np.ndarray] | None:
    """The hint as per-layer arrays when its shape fits the problem."""
    if hint is None:
        return None
    try:
        arr = hint.array()
    except ValueError:
        return None
    if arr.shape != (problem.num_layers, problem.num_gpus, problem.slots_per_gpu):
        return None
    return list(arr)


def free_tokens(w: np.ndarray, place: np.ndarray) -> list[list[float]]:
    """Tokens per slot minimising the largest GPU load when any split is allowed (LP)."""
    G, S = place.shape
    n = G * S
    c = np.zeros(n + 1)
    c[-1] = 1.0
    a_eq = np.zeros((len(w), n + 1))
    a_eq[place.ravel(), np.arange(n)] = 1.0
    a_ub = np.zeros((G, n + 1))
    a_ub[np.repeat(np.arange(G), S), np.arange(n)] = 1.0
    a_ub[:, -1] = -1.0
    res = linprog(c, A_ub=a_ub, b_ub=np.zeros(G), A_eq=a_eq, b_eq=w, method="highs")
    x = np.clip(res.x[:n], 0.0, None)
    for e in range(len(w)):  # exact sums despite LP tolerances
        idx = np.flatnonzero(place.ravel() == e)
        x[idx] *= w[e] / x[idx].sum() if x[idx].sum() > 0 else 0.0
        if x[idx].sum() == 0:
            x[idx[0]] = w[e]
    out: list[list[float]] = x.reshape(G, S).tolist()
    return out


def make_solution(problem: PlacementProblem, layers: list[np.ndarray]) -> PlacementSolution:
    """The solution object (with the free-split tokens when `split: free`)."""
    tokens = None
    if problem.split == "free":
        tokens = [free_tokens(problem.loads[i], p) for i, p in enumerate(layers)]
    return PlacementSolution(
        placement=tuple(tuple(tuple(int(e) for e in g) for g in p) for p in layers),
        tokens=None if tokens is None else tuple(tuple(tuple(t) for t in g) for g in tokens),
    )


def output(problem: PlacementProblem, layers: list[np.ndarray], name: str) -> BackendOutput:
    bounds = layer_bounds(problem)
    sol = make_solution(problem, layers)
    maxes = [value(problem.load_stack[:, i, :], p) for i, p in enumerate(layers)]
    exact = problem.split == "even" and not problem.uses_traffic and problem.move_cost == 0
    optimal = exact and all(m <= b * (1 + 1e-9) for m, b in zip(maxes, bounds, strict=True))
    return BackendOutput(
        sol,
        Status.OPTIMAL if optimal else Status.FEASIBLE,
        float(bounds.sum()),
        {"method": name, "layers": problem.num_layers},
    )


def solve(
    problem: PlacementProblem, options: SolveOptions, hint: PlacementSolution | None
) -> BackendOutput:
    """Greedy + improvement, layer by layer, within the time limit."""
    deadline = options.budget.deadline
    layers = Planner(problem, deadline).run(hint)
    return output(problem, layers, "greedy+local-search")


def eplb_layers(problem: PlacementProblem) -> list[np.ndarray]:
    """EPLB's placement of every layer (hierarchical when groups divide into nodes)."""
    groups = problem.groups or 1
    nodes = problem.nodes if problem.groups else 1
    return [
        eplb_layer(problem.loads[i], problem.num_gpus, problem.slots_per_gpu, groups, nodes)
        for i in range(problem.num_layers)
    ]


def solve_eplb(
    problem: PlacementProblem, options: SolveOptions, hint: PlacementSolution | None
) -> BackendOutput:
    """The EPLB greedy alone (baseline; ignores traffic, scenarios and previous placements)."""
    return output(problem, eplb_layers(problem), "eplb")
