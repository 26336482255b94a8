"""Classic schedules with fused backwards: GPipe, 1F1B and interleaved 1F1B (Megatron-LM,
as torch.distributed.pipelining builds it)."""

from __future__ import annotations

from collections import defaultdict

from schedkit.models.pipeline.problem import OpKey, PipelineProblem

Orders = list[list[OpKey]]


def gpipe(problem: PipelineProblem) -> Orders:
    """All forwards (stage by stage), then all fused backwards in reverse stage order."""
    m = problem.microbatches
    orders: Orders = []
    for local in problem.stages_of:
        row: list[OpKey] = [("F", s, j) for s in local for j in range(m)]
        row += [("BW", s, j) for s in reversed(local) for j in range(m)]
        orders.append(row)
    return orders


def one_f_one_b(problem: PipelineProblem) -> Orders | None:
    """1F1B (PipeDream-flush): p-1-d warm-up forwards, then one F one BW, then cool-down."""
    if problem.chunks != 1:
        return None
    p, m = problem.devices, problem.microbatches
    orders: Orders = []
    for d in range(p):
        warm = min(p - 1 - d, m)
        row: list[OpKey] = [("F", d, j) for j in range(warm)]
        for i in range(m - warm):
            row += [("F", d, warm + i), ("BW", d, i)]
        row += [("BW", d, j) for j in range(m - warm, m)]
        orders.append(row)
    return orders


def interleaved(problem: PipelineProblem) -> Orders | None:
    """Interleaved 1F1B over `chunks` looped stages per device (torch's ScheduleInterleaved1F1B
    without its no-op padding); needs m to be a multiple of max(1, m // p)."""
    p, m, c = problem.devices, problem.microbatches, problem.chunks
    if c < 2 or problem.stage_placement != "loop":
        return None
    rounds = max(1, m // p)
    if m % rounds:
        return None
    per_round = m // rounds
    return [_interleaved_rank(d, p, m, c, per_round) for d in range(p)]


def _interleaved_rank(d: int, p: int, m: int, c: int, per_round: int) -> list[OpKey]:
    warmup = min((c - 1) * per_round + 2 * (p - 1 - d), m * c)
    total = m * c

    def fwd_stage(step: int) -> int:
        return ((step // per_round) % c) * p + d

    def bwd_stage(step: int) -> int:
        return (c - 1 - ((step - warmup) // per_round) % c) * p + d

    nf: dict[int, int] = defaultdict(int)
    nb: dict[int, int] = defaultdict(int)
    row: list[OpKey] = []
    for step in range(total + warmup):
        if step < total:
            s = fwd_stage(step)
            row.append(("F", s, nf[s]))
            nf[s] += 1
        if step >= warmup:
            s = bwd_stage(step)
            row.append(("BW", s, nb[s]))
            nb[s] += 1
    return row


def serial(problem: PipelineProblem) -> Orders:
    """One microbatch at a time (F up, then B and W down): slow, but it needs only one
    microbatch of memory per stage, so it fits whenever anything does (a safe fallback)."""
    orders: Orders = []
    for local in problem.stages_of:
        row: list[OpKey] = []
        for j in range(problem.microbatches):
            row += [("F", s, j) for s in local]
            for s in reversed(local):
                row += [("B", s, j), ("W", s, j)]
        orders.append(row)
    return orders
