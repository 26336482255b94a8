"""Zero-bubble schedules with split backwards (Qi et al., 2024): ZB-H1, ZB-H2 and ZB-V.

ZB-H1 keeps 1F1B's in-flight count (p - d forwards on device d, same peak memory) and lets
device d defer d weight passes into the cool-down; ZB-H2 warms up with 2(p - d) - 1 forwards
(peak 2p - 1 microbatches) and defers 2d weight passes, which turns the trapezoid into a
parallelogram with zero bubble. In steady state both run B, (W), F.
"""

from __future__ import annotations

from schedkit.models.pipeline.problem import OpKey, PipelineProblem

Orders = list[list[OpKey]]


def _template(problem: PipelineProblem, warm: list[int], defer: list[int]) -> Orders:
    """Device d: warm[d] forwards, then per microbatch j: B(j), W(j - defer[d]), F(next);
    the deferred W run at the end (they fill the cool-down)."""
    m = problem.microbatches
    orders: Orders = []
    for d, (w, k) in enumerate(zip(warm, defer, strict=True)):
        row: list[OpKey] = [("F", d, j) for j in range(w)]
        for j in range(m):
            row.append(("B", d, j))
            if j >= k:
                row.append(("W", d, j - k))
            if w + j < m:
                row.append(("F", d, w + j))
        row += [("W", d, j) for j in range(max(0, m - k), m)]
        orders.append(row)
    return orders


def zb_h1(problem: PipelineProblem) -> Orders | None:
    """ZB-H1: p - d warm-up forwards, then B, W, F; bubble (p-1)(F+B-W) when F = B = W."""
    if problem.chunks != 1:
        return None
    p, m = problem.devices, problem.microbatches
    return _template(problem, [min(m, p - d) for d in range(p)], list(range(p)))


def zb_h2(problem: PipelineProblem) -> Orders | None:
    """ZB-H2: 2(p - d) - 1 warm-up forwards, then B, W, F; zero bubble for m >= 2p - 1."""
    if problem.chunks != 1:
        return None
    p, m = problem.devices, problem.microbatches
    return _template(
        problem, [min(m, 2 * (p - d) - 1) for d in range(p)], [2 * d for d in range(p)]
    )


def zb_v(problem: PipelineProblem) -> Orders | None:
    """ZB-V (torch's ScheduleZBVZeroBubble): two stages per device in a V (d and 2p-1-d)."""
    if problem.chunks != 2 or problem.stage_placement != "v":
        return None
    return [_zbv_rank(problem, d) for d in range(problem.devices)]


def _zbv_rank(problem: PipelineProblem, d: int) -> list[OpKey]:
    p, m = problem.devices, problem.microbatches
    n = max(2 * p - 1, m)
    s0, s1 = d, 2 * p - 1 - d
    cnt = {"f0": 0, "f1": 0, "b0": 0, "b1": 0}
    row: list[OpKey] = []

    def add(kind: str, chunk: int, key: str) -> None:
        row.append((kind, s0 if chunk == 0 else s1, cnt[key]))
        if kind != "W":
            cnt[key] += 1

    for _ in range(2 * (p - d) - 1):
        add("F", 0, "f0")
    for _ in range(d):
        add("F", 1, "f1")
        add("F", 0, "f0")
    for _ in range(p - d):
        add("F", 1, "f1")
        add("B", 1, "b1")
        row.append(("W", s1, cnt["b1"] - 1))
    while cnt["f1"] < cnt["f0"] or cnt["f0"] < n:
        if cnt["f0"] < n:
            add("F", 0, "f0")
        add("B", 0, "b0")
        row.append(("W", s0, cnt["b0"] - 1))
        add("F", 1, "f1")
        add("B", 1, "b1")
        row.append(("W", s1, cnt["b1"] - 1))
    w0, w1 = cnt["b0"], cnt["b1"]
    for _ in range(d):
        add("B", 0, "b0")
        add("B", 1, "b1")
    for _ in range(p - d):
        add("B", 0, "b0")
        row.append(("W", s0, w0))
        w0 += 1
    row += [("W", s1, j) for j in range(w1, cnt["b1"])]
    row += [("W", s0, j) for j in range(w0, cnt["b0"])]
    return [op for op in row if op[2] < m]
