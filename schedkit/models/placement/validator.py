"""Independent validator for placement solutions (shares no code with the solvers).

Checks shapes, slot counts, expert ids, coverage (every expert has a replica), node-local
groups (strict: one node per group; primary: a node holding every expert of the group), the
move budget and any claimed replica counts, loads, token split and objective; recomputes the
objective: sum over layers of the largest GPU load (worst scenario), plus `traffic_weight` x
inter-node traffic and `move_cost` x moved replicas.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

from schedkit.models.base import Report, check_claimed_objective, is_finite_number
from schedkit.models.placement.problem import PlacementProblem, PlacementSolution

TOL = 1e-6


def _check_shape(problem: PlacementProblem, sol: PlacementSolution, report: Report) -> bool:
    """Structural checks; False when the placement cannot be evaluated."""
    L, E, G, S = problem.num_layers, problem.num_experts, problem.num_gpus, problem.slots_per_gpu
    if len(sol.placement) != L:
        report.add("layer_count", f"{len(sol.placement)} layers placed, the problem has {L}")
        return False
    ok = True
    for layer, gpus in enumerate(sol.placement):
        if len(gpus) != G:
            report.add("gpu_count", f"layer {layer}: {len(gpus)} GPUs, the cluster has {G}")
            ok = False
            continue
        for g, slots in enumerate(gpus):
            if len(slots) > S:
                report.add(
                    "slot_overflow", f"layer {layer} GPU {g}: {len(slots)} replicas > {S} slots"
                )
            elif len(slots) < S:
                report.add(
                    "slot_underfill", f"layer {layer} GPU {g}: {len(slots)} replicas < {S} slots"
                )
            bad = [e for e in slots if not 0 <= e < E]
            if bad:
                report.add(
                    "unknown_expert", f"layer {layer} GPU {g}: experts {bad} not in 0..{E - 1}"
                )
                ok = False
        present = {e for slots in gpus for e in slots}
        missing = sorted(set(range(E)) - present)
        if missing:
            report.add("missing_expert", f"layer {layer}: experts {missing[:10]} have no replica")
            ok = False
    return ok


def _check_token_shape(problem: PlacementProblem, sol: PlacementSolution, report: Report) -> bool:
    """A `tokens` claim has one finite number per slot of the placement; False otherwise."""
    if sol.tokens is None:
        return True
    if len(sol.tokens) != len(sol.placement):
        report.add(
            "bad_split",
            f"tokens lists {len(sol.tokens)} layers, the placement has {problem.num_layers}",
        )
        return False
    ok = True
    for layer, (claim, gpus) in enumerate(zip(sol.tokens, sol.placement, strict=True)):
        shape_ok = len(claim) == len(gpus) and all(
            len(t) == len(slots) for t, slots in zip(claim, gpus, strict=True)
        )
        if not shape_ok:
            report.add(
                "bad_split", f"layer {layer}: tokens do not match the slots of the placement"
            )
            ok = False
            continue
        bad = [t for row in claim for t in row if not is_finite_number(t)]
        if bad:
            report.add("bad_split", f"layer {layer}: tokens {bad[0]!r} is not a finite number")
            ok = False
    return ok


def _check_even_tokens(
    problem: PlacementProblem, sol: PlacementSolution, layer: int, cnt: np.ndarray, report: Report
) -> None:
    """Under `split: even` a `tokens` claim must be each expert's load over its replicas."""
    if sol.tokens is None:
        return
    w = problem.loads[layer]
    for g, (slots, claim) in enumerate(zip(sol.placement[layer], sol.tokens[layer], strict=True)):
        for s, (e, t) in enumerate(zip(slots, claim, strict=True)):
            even = w[e] / cnt[e]
            if abs(t - even) > TOL * max(1.0, even):
                report.add(
                    "bad_split",
                    f"layer {layer} GPU {g} slot {s}: claimed tokens {t:g}, but split: even "
                    f"gives {even:g}",
                )
                return


def _counts(problem: PlacementProblem, gpus: tuple[tuple[int, ...], ...]) -> np.ndarray:
    cnt = np.zeros(problem.num_experts, dtype=np.int64)
    for slots in gpus:
        for e in slots:
            cnt[e] += 1
    return cnt


def _even_gpu_loads(
    w: np.ndarray, gpus: tuple[tuple[int, ...], ...], cnt: np.ndarray
) -> np.ndarray:
    """GPU loads when each expert's tokens split evenly over its replicas; w: (K, E)."""
    expert, gpu = _slots(gpus)
    share = w[:, expert] / cnt[expert]
    return np.stack([np.bincount(gpu, weights=row, minlength=len(gpus)) for row in share])


def best_free_split(w: np.ndarray, gpus: tuple[tuple[int, ...], ...]) -> list[list[float]]:
    """Tokens per (gpu, slot) minimising the largest GPU load, by LP (split: free)."""
    from scipy.optimize import linprog  # imported on use: scipy is slow to import

    pairs = [(g, s, e) for g, slots in enumerate(gpus) for s, e in enumerate(slots)]
    n = len(pairs)
    c = np.zeros(n + 1)
    c[-1] = 1.0
    a_eq = np.zeros((len(w), n + 1))
    a_ub = np.zeros((len(gpus), n + 1))
    for i, (g, _, e) in enumerate(pairs):
        a_eq[e, i] = 1.0
        a_ub[g, i] = 1.0
    a_ub[:, -1] = -1.0
    res = linprog(c, A_ub=a_ub, b_ub=np.zeros(len(gpus)), A_eq=a_eq, b_eq=w, method="highs")
    out = [[0.0] * len(slots) for slots in gpus]
    for i, (g, s, _) in enumerate(pairs):
        out[g][s] = float(res.x[i])
    return out


def _free_gpu_loads(
    problem: PlacementProblem, sol: PlacementSolution, layer: int, report: Report
) -> tuple[np.ndarray, list[list[float]]]:
    """GPU loads and per-slot tokens of a free split (claimed tokens or the best LP split)."""
    gpus = sol.placement[layer]
    w = problem.loads[layer]
    if sol.tokens is None:
        tokens = best_free_split(w, gpus)
    else:
        tokens = [list(t) for t in sol.tokens[layer]]
        routed = np.zeros(problem.num_experts)
        for g, slots in enumerate(gpus):
            if len(tokens[g]) != len(slots):
                report.add("bad_split", f"layer {layer} GPU {g}: tokens do not match the slots")
                return np.zeros((1, len(gpus))), tokens
            for e, t in zip(slots, tokens[g], strict=True):
                routed[e] += t
                if t < -TOL:
                    report.add("bad_split", f"layer {layer} GPU {g}: negative tokens {t:g}")
        off = np.abs(routed - w) > TOL * np.maximum(1.0, w)
        for e in np.flatnonzero(off)[:5]:
            report.add("bad_split", f"layer {layer}: expert {e} routes {routed[e]:g} != {w[e]:g}")
    loads = np.array([[sum(t) for t in tokens]])
    return loads, tokens


def _node_shares(
    problem: PlacementProblem, gpus: Any, weights: list[list[float]] | None
) -> np.ndarray:
    """(E, nodes): the share of each expert's tokens processed on each node."""
    share = np.zeros((problem.num_experts, problem.nodes))
    for g, slots in enumerate(gpus):
        for s, e in enumerate(slots):
            share[e, g // problem.gpus_per_node] += 1.0 if weights is None else weights[g][s]
    tot = share.sum(axis=1, keepdims=True)
    return np.divide(share, tot, out=np.zeros_like(share), where=tot > 0)


def _moves(problem: PlacementProblem, sol: PlacementSolution, report: Report) -> list[int]:
    """Replicas per layer whose slot holds a different expert than in `previous`."""
    if problem.previous is None:
        return []
    moves = []
    for layer, (new, old) in enumerate(zip(sol.placement, problem.previous, strict=True)):
        m = sum(
            a != b for ng, og in zip(new, old, strict=True) for a, b in zip(ng, og, strict=False)
        )
        m += sum(abs(len(ng) - len(og)) for ng, og in zip(new, old, strict=True))
        moves.append(m)
        if problem.max_moves is not None and m > problem.max_moves:
            report.add(
                "too_many_moves", f"layer {layer}: {m} moves > max_moves {problem.max_moves}"
            )
    return moves


def _check_groups(problem: PlacementProblem, sol: PlacementSolution, report: Report) -> None:
    """strict: a group's replicas on one node; primary: some node holds a replica of every
    expert of the group (its home node)."""
    if not (problem.groups_strict or problem.groups_primary):
        return
    size = problem.group_size
    for layer, gpus in enumerate(sol.placement):
        on = _on_nodes(problem, gpus).reshape(-1, size, problem.nodes)  # (group, member, node)
        for grp in range(problem.num_experts // size):
            if problem.groups_strict:
                ns = np.flatnonzero(on[grp].any(axis=0)).tolist()
                if len(ns) > 1:
                    report.add("group_split", f"layer {layer}: group {grp} spans nodes {ns}")
            elif not on[grp].all(axis=0).any():
                report.add(
                    "group_not_local",
                    f"layer {layer}: no node holds a replica of every expert of group {grp}",
                )


def _on_nodes(problem: PlacementProblem, gpus: tuple[tuple[int, ...], ...]) -> np.ndarray:
    """(E, nodes) bool: whether the node holds a replica of the expert."""
    expert, gpu = _slots(gpus)
    on = np.zeros((problem.num_experts, problem.nodes), dtype=bool)
    on[expert, gpu // problem.gpus_per_node] = True
    return on


def _slots(gpus: tuple[tuple[int, ...], ...]) -> tuple[np.ndarray, np.ndarray]:
    """(expert, GPU) of every slot of one layer, flattened."""
    sizes = [len(slots) for slots in gpus]
    expert = np.fromiter(itertools.chain.from_iterable(gpus), dtype=np.int64, count=sum(sizes))
    return expert, np.repeat(np.arange(len(gpus)), sizes)


def _check_claims(
    problem: PlacementProblem,
    sol: PlacementSolution,
    counts: list[np.ndarray],
    maxes: list[float],
    report: Report,
) -> None:
    if sol.replicas is not None:
        for layer, (claim, cnt) in enumerate(zip(sol.replicas, counts, strict=False)):
            if list(claim) != cnt.tolist():
                report.add(
                    "wrong_replica_count",
                    f"layer {layer}: claimed replica counts differ from the placement",
                )
        if len(sol.replicas) != len(counts):
            report.add(
                "wrong_replica_count",
                f"{len(sol.replicas)} layers of replica counts for {len(counts)}",
            )
    if sol.max_loads is not None:
        if len(sol.max_loads) != len(maxes):
            report.add(
                "load_mismatch", f"{len(sol.max_loads)} claimed max loads for {len(maxes)} layers"
            )
        for layer, (claimed, real) in enumerate(zip(sol.max_loads, maxes, strict=False)):
            if not is_finite_number(claimed):
                report.add(
                    "load_mismatch", f"layer {layer}: claimed max load {claimed!r} is not finite"
                )
            elif abs(claimed - real) > TOL * max(1.0, real):
                report.add(
                    "load_mismatch",
                    f"layer {layer}: claimed max load {claimed:g}, placement gives {real:g}",
                )


def validate(problem: PlacementProblem, solution: PlacementSolution) -> Report:
    """Check the placement and recompute objective and balance metrics."""
    report = Report()
    if not _check_shape(problem, solution, report):
        return report
    if not _check_token_shape(problem, solution, report):
        return report
    _check_groups(problem, solution, report)
    moves = _moves(problem, solution, report)
    stack = problem.load_stack
    counts, maxes, worst, means, shares = [], [], [], [], []
    for layer, gpus in enumerate(solution.placement):
        cnt = _counts(problem, gpus)
        tokens = None
        if problem.split == "free":
            loads, tokens = _free_gpu_loads(problem, solution, layer, report)
        else:
            loads = _even_gpu_loads(stack[:, layer, :], gpus, cnt)
            _check_even_tokens(problem, solution, layer, cnt, report)
        counts.append(cnt)
        maxes.append(float(loads[0].max()))
        worst.append(float(loads.max()))
        means.append(float(problem.loads[layer].sum() / problem.num_gpus))
        if problem.coactivation is not None:
            shares.append(_node_shares(problem, gpus, tokens))
    _check_claims(problem, solution, counts, maxes, report)
    traffic = (
        [
            float(
                problem.coactivation[i].sum()
                - np.trace(shares[i].T @ problem.coactivation[i] @ shares[i + 1])
            )
            for i in range(len(shares) - 1)
        ]
        if problem.coactivation is not None
        else []
    )
    report.objective = float(
        sum(worst) + problem.traffic_weight * sum(traffic) + problem.move_cost * sum(moves)
    )
    report.metrics = _metrics(maxes, means, worst, traffic, moves, problem)
    check_claimed_objective(report, solution.objective)
    return report


def _metrics(
    maxes: list[float],
    means: list[float],
    worst: list[float],
    traffic: list[float],
    moves: list[int],
    problem: PlacementProblem,
) -> dict[str, Any]:
    bal = [m / a if a > 0 else 1.0 for m, a in zip(maxes, means, strict=True)]
    # dense (all-zero) layers are kept in the numbering but not averaged into the balance
    moe = [b for b, a in zip(bal, means, strict=True) if a > 0] or [1.0]
    out: dict[str, Any] = {
        "balance_mean": float(np.mean(moe)),
        "balance_max": float(np.max(moe)),
        "balancedness_mean": float(np.mean([1 / b if b > 0 else 1.0 for b in moe])),
        "balancedness_min": float(np.min([1 / b if b > 0 else 1.0 for b in moe])),
        "balance": [round(b, 6) for b in bal],
        "max_loads": maxes,
    }
    if problem.scenarios:
        out["worst_case_max_loads"] = worst
    if problem.coactivation is not None:
        out["inter_node_traffic"] = float(sum(traffic))
        out["total_coactivation"] = float(problem.coactivation.sum())
    if problem.previous is not None:
        out["moves"] = int(sum(moves))
        out["moves_per_layer"] = moves
    return out
