"""Combinatorial lower bounds for pipeline schedules: per-device work plus the unavoidable
warm-up idle time.

Microbatches are interchangeable, so some optimal schedule runs each (stage, kind) in
microbatch order (sort each sequence of starts and relabel: every dependency between two
sorted sequences still holds). Then the first op of device d is F of its lowest stage for
microbatch 0, and between that start and the device's first B only F ops can run: at most
K = min(chunks * m, floor(limit / F-memory)) of them. The path of microbatch 0 up the
pipeline and back is a window of fixed length; what K forwards cannot fill is idle time.
Symmetrically (one stage per device), between the last F and the last B only the B and W of
microbatches still held in memory can run (`cooldown_idle`); and a slower device further
down forces its own busy time on every device above it (`downstream_bound`).
The makespan adds the head start of device d (the forwards of microbatch 0 below it).

With a fused backward time (`times.BW`): some optimal schedule splits every backward of the
stages where BW >= B + W (`fusion.fusable_stages`), so those keep the all-split terms. On the
others a device's least work counts BW per backward; a split one fills a window with B + W
but adds B + W - BW to that work, so windows count BW (`most_backward`, `pending_w`), and a
backward that must free its memory costs BW, not just its gradient time (`completion`).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from schedkit.models.memo import per_problem
from schedkit.models.pipeline.fusion import fusable_stages
from schedkit.models.pipeline.problem import PipelineProblem

if TYPE_CHECKING:
    from schedkit.solvers.budget import Budget

EPS = 1e-9


def _crossings(problem: PipelineProblem, lo: int, hi: int) -> int:
    """Device changes between consecutive stages lo..hi."""
    return sum(problem.device_of(s) != problem.device_of(s + 1) for s in range(lo, hi))


def head(problem: PipelineProblem, device: int) -> float:
    """Earliest start of the device's first op, relative to F(0, 0)."""
    s0 = problem.stages_of[device][0]
    return sum(problem.t["F"][:s0]) + problem.comm * _crossings(problem, 0, s0)


def grad(problem: PipelineProblem) -> tuple[float, ...]:
    """Per stage, the least time from a backward's start to its input gradient: min(B, BW)."""
    t = problem.t
    return tuple(min(b, bw) for b, bw in zip(t["B"], t["BW"], strict=True))


def most_backward(problem: PipelineProblem, s: int) -> float:
    """The most backward work one microbatch brings into a window, net of the work a split
    backward adds to the device's least work (`device_work` counts min(BW, B + W)): split,
    B + W fills the window but costs B + W - BW more; fused, BW. So min(BW, B + W) (on the
    stages that cannot gain from fusing, some optimal schedule splits every backward)."""
    return problem.backward[s]


def pending_w(problem: PipelineProblem, s: int) -> float:
    """The same for a W whose B ran before the window: W, less B + W - BW where that
    backward could have fused (never below 0)."""
    return max(0.0, problem.backward[s] - problem.t["B"][s])


def completion(problem: PipelineProblem) -> tuple[float, ...]:
    """Per stage, the least time a backward needs beyond its input gradient (`grad`) to
    free all its memory: W when split, BW - min(B, BW) when fused (fusable stages only)."""
    t, g, fusable = problem.t, grad(problem), fusable_stages(problem)
    return tuple(t["BW"][s] - g[s] if s in fusable else t["W"][s] for s in range(problem.stages))


def max_inflight_forwards(problem: PipelineProblem, device: int) -> int:
    """How many F ops the device can hold before its first B frees anything."""
    local = problem.stages_of[device]
    total = problem.chunks * problem.microbatches
    limit = problem.memory.limit
    amount = min(problem.mem["F"][s] for s in local)
    if limit is None or amount <= 0:
        return total
    return min(total, math.floor(limit / amount + EPS))


def warmup_idle(problem: PipelineProblem, device: int) -> float:
    """Idle time forced between the device's first op and its first B."""
    local = problem.stages_of[device]
    s0, last = local[0], problem.stages - 1
    up = sum(problem.t["F"][s0:]) + problem.comm * _crossings(problem, s0, last)
    window = min(
        up + sum(grad(problem)[s + 1 :]) + problem.comm * _crossings(problem, s, last)
        for s in local
    )
    fill = max_inflight_forwards(problem, device) * min(problem.t["F"][s] for s in local)
    return max(0.0, window - fill)


def cooldown_idle(problem: PipelineProblem, device: int) -> float:
    """Idle time forced between the device's last F and its last B (one stage per device).

    After F(d, m-1) ends, B(d, m-1) waits for that microbatch to go up and come back down.
    Meanwhile only the B of the other microbatches in flight and pending W can run. With `a`
    microbatches in flight, `w` with a pending W and the rest done, the memory held is
    a * F + w * (F + B) + rest * (F + B + W) (per-microbatch amounts), which the limit caps;
    the best (a, w) gives the most fill.
    """
    d, last, m = device, problem.stages - 1, problem.microbatches
    if problem.chunks != 1 or d == last:
        return 0.0
    t, mem, limit = problem.t, problem.mem, problem.memory.limit
    window = sum(t["F"][d + 1 :]) + sum(grad(problem)[d + 1 :]) + 2 * problem.comm * (last - d)
    if limit is None:
        return max(0.0, window - (m - 1) * most_backward(problem, d))
    f, held = mem["F"][d], mem["F"][d] + mem["B"][d]
    done = held + mem["W"][d]
    fill = 0.0
    for a in range(1, m + 1):
        room = limit - a * f - (m - a) * done  # with w = 0; each pending W adds -mem W
        if room < -EPS:
            break
        w = m - a if mem["W"][d] >= 0 else min(m - a, math.floor(room / -mem["W"][d] + EPS))
        fill = max(fill, (a - 1) * most_backward(problem, d) + w * pending_w(problem, d))
    return max(0.0, window - fill)


def forced_idle(problem: PipelineProblem, device: int) -> float:
    """Warm-up plus cool-down idle (only the larger when the memory limit lets every F run
    before the first B: then the two windows may overlap)."""
    warm, cool = warmup_idle(problem, device), cooldown_idle(problem, device)
    apart = max_inflight_forwards(problem, device) < problem.chunks * problem.microbatches
    return warm + cool if apart else max(warm, cool)


def device_span_bound(problem: PipelineProblem, device: int) -> float:
    """Work plus forced idle of one device, or a downstream bottleneck's chain."""
    own = problem.device_work(device) + forced_idle(problem, device)
    return max(own, downstream_bound(problem, device))


def forced_w(problem: PipelineProblem, stage: int) -> int:
    """How many backwards a stage must complete (W run, or fused) before its last backward
    starts (one stage per device): by then every F is done and at most m - 1 backwards,
    so the memory limit needs the rest freed by W or a fused BW (which frees B + W)."""
    limit, m, mem = problem.memory.limit, problem.microbatches, problem.mem
    if limit is None or mem["W"][stage] >= 0:
        return 0
    held = m * mem["F"][stage] + (m - 1) * mem["B"][stage]
    return min(m - 1, max(0, math.ceil((held - limit) / -mem["W"][stage] - EPS)))


def downstream_bound(problem: PipelineProblem, device: int) -> float:
    """The span a slower device further down forces on `device` (one stage per device).

    From F(d, 0) the first microbatch reaches stage k after the forwards in between; stage k
    then runs all its F and B (plus its forced idle and the W its memory forces) before its
    last B ends; that B's gradient comes back down to d, whose last backward follows. Any
    k > d gives a bound.
    """
    if problem.chunks != 1:
        return 0.0
    t, m, comm, g = problem.t, problem.microbatches, problem.comm, grad(problem)
    extra = completion(problem)
    best, path = 0.0, problem.backward[device]
    for k in range(device + 1, problem.stages):
        path += t["F"][k - 1] + (g[k - 1] if k - 1 > device else 0.0) + 2 * comm
        forced = forced_w(problem, k) * extra[k]
        busy = m * (t["F"][k] + g[k]) + forced + forced_idle(problem, k)
        best = max(best, path + busy)
    return best


def _devices(problem: PipelineProblem, budget: Budget | None) -> list[int]:
    """The devices to bound, in order, until the budget runs out (the max over any subset of
    devices is still a lower bound; the first device is always included)."""
    out: list[int] = []
    for d in range(problem.devices):
        if out and budget is not None and budget.expired():
            break
        out.append(d)
    return out


def span_bound(problem: PipelineProblem, budget: Budget | None = None) -> float:
    bound = 0.0
    for d in _devices(problem, budget):
        bound = max(bound, device_span_bound(problem, d))
    return bound


def makespan_bound(problem: PipelineProblem, budget: Budget | None = None) -> float:
    chain = sum(problem.t["F"]) + sum(grad(problem)[1:]) + problem.backward[0]
    chain += 2 * problem.comm * _crossings(problem, 0, problem.stages - 1)
    for d in _devices(problem, budget):
        chain = max(chain, head(problem, d) + device_span_bound(problem, d))
    return chain


def infeasible_reason(problem: PipelineProblem) -> str | None:
    """Why no schedule can meet the memory limit, when that is clear; None otherwise."""
    limit = problem.memory.limit
    if limit is None:
        return None
    for d, local in enumerate(problem.stages_of):
        one = sum(problem.mem["F"][s] for s in local)
        final = problem.microbatches * sum(
            problem.mem["F"][s] + problem.mem["BW"][s] for s in local
        )
        if max(one, final) > limit + EPS:
            return f"device {d} needs {max(one, final):g} units of memory (limit {limit:g})"
    return None


@per_problem
def lower_bound(problem: PipelineProblem, budget: Budget | None = None) -> float | None:
    """The bound for the problem's objective (None when the instance is infeasible); devices
    left unbounded when the budget runs out only make it weaker. Kept per problem object
    (~0.5 s at p = 64, m = 512)."""
    if infeasible_reason(problem) is not None:
        return None
    if problem.objective == "span":
        return span_bound(problem, budget)
    return makespan_bound(problem, budget)
