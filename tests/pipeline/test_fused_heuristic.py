"""Fused backwards (`times.BW`) in the heuristic and the lower bound: never worse than all
split, no BW where it cannot pay, and a bound that stays below the proven optima."""

from __future__ import annotations

import itertools
import random

import pytest

import schedkit
from schedkit.models.pipeline import PipelineProblem, PipelineSolution, bounds
from schedkit.models.pipeline.fusion import fusable_stages
from schedkit.models.pipeline.references import build
from schedkit.solvers.budget import Budget
from schedkit.solvers.cpsat.pipeline import solve as cpsat_solve
from schedkit.solvers.heuristics.pipeline import solve as heuristic_solve
from schedkit.solvers.heuristics.pipeline.fusion_moves import count_fused, toggle, with_split
from schedkit.solvers.result import SolveOptions, Status

from .pipeline_helpers import make

# The instances of benchmarks/pipeline_fused.py (p 4, m 8, memory limit 4, comm 0.05).
TIMES = {
    "uniform": {"F": [1.0] * 4, "B": [1.0] * 4, "W": [1.0] * 4},
    "heterogeneous": {
        "F": [1.0, 1.2, 0.8, 1.1],
        "B": [1.1, 1.3, 0.9, 1.2],
        "W": [0.6, 0.7, 0.5, 0.6],
    },
}


def table(times: str, ratio: float | list[float] | None) -> PipelineProblem:
    """The benchmark's instance with BW = ratio (B + W) per stage (None: no BW)."""
    t: dict[str, list[float]] = dict(TIMES[times])
    if ratio is not None:
        ratios = ratio if isinstance(ratio, list) else [ratio] * 4
        t["BW"] = [round(r * (b + w), 2) for r, b, w in zip(ratios, t["B"], t["W"], strict=True)]
    memory = {"F": 1.0, "B": -0.5, "W": -0.5, "limit": 4.0}
    return PipelineProblem(devices=4, microbatches=8, times=t, comm=0.05, memory=memory)


def counted(problem: PipelineProblem, moves: int = 3000) -> tuple[float, list[int]]:
    """The heuristic with a clock that ticks once per reading: the local search makes about
    `moves` moves whatever the machine's speed, so its answer is exact. Returns the
    validated objective and the stage of every BW."""
    ticks = itertools.count()
    budget = Budget.start(1e9, lambda: float(next(ticks)))
    params = {"greedy_time": 1e8, "improve_time": moves}
    out = heuristic_solve(problem, SolveOptions(budget=budget, params=params), None)
    solution = out.solution
    assert isinstance(solution, PipelineSolution)
    report = schedkit.validate(problem, solution)
    assert report.feasible and report.objective is not None, report.codes()
    return report.objective, [op.stage for op in solution.ops if op.kind == "BW"]


# (times, BW ratio, heuristic with BW, its all-split answer): the counted runs' values.
NEVER_WORSE = [
    ("uniform", 0.8, 25.8, 27.6),
    ("uniform", 1.2, 27.6, 27.6),
    ("heterogeneous", 0.8, 26.26, 27.9),
    ("heterogeneous", 1.2, 27.9, 27.9),
]


@pytest.mark.parametrize(("times", "ratio", "fused", "split"), NEVER_WORSE)
def test_heuristic_is_never_worse_than_all_split(
    times: str, ratio: float, fused: float, split: float
) -> None:
    value, stages = counted(table(times, ratio))
    split_value, split_stages = counted(table(times, None))
    assert value == pytest.approx(fused, abs=1e-9)
    assert split_value == pytest.approx(split, abs=1e-9) and not split_stages
    assert value <= split_value + 1e-9
    assert bool(stages) == (ratio < 1)  # fused ops only where BW < B + W


def test_no_bw_on_stages_where_it_cannot_pay() -> None:
    """BW = 0.8 (B + W) on stages 0 and 2, 1.2 (B + W) on 1 and 3: BW only on 0 and 2."""
    pb = table("heterogeneous", [0.8, 1.2, 0.8, 1.2])
    assert fusable_stages(pb) == frozenset({0, 2})
    _, stages = counted(pb)
    assert stages and set(stages) <= {0, 2}


def test_heuristic_proves_uniform_bw_above_b_plus_w() -> None:
    """BW = 1.2 (B + W) never pays: the all-split optimum 27.6 meets the bound at once."""
    res = schedkit.solve(table("uniform", 1.2), backend="heuristic", time_limit=5)
    assert res.valid and res.objective == pytest.approx(27.6)
    assert res.status is Status.OPTIMAL and res.metrics["fused_backwards"] == 0


# (times, BW ratio, bound); the proven optima are 25.6, 27.6, 26.12, 27.4 (cpsat).
BOUNDS = [
    ("uniform", 0.8, 25.6),
    ("uniform", 1.2, 27.6),
    ("uniform", None, 27.6),
    ("heterogeneous", 0.8, 25.5),
    ("heterogeneous", 1.2, 27.1),
    ("heterogeneous", None, 27.1),
]


@pytest.mark.parametrize(("times", "ratio", "bound"), BOUNDS)
def test_bound_values(times: str, ratio: float | None, bound: float) -> None:
    assert bounds.lower_bound(table(times, ratio)) == pytest.approx(bound, abs=1e-9)


def test_forced_w_stays_where_fusing_cannot_pay() -> None:
    """With BW >= B + W everywhere the bound is the all-split one (the forced W count)."""
    for times in TIMES:
        pb = table(times, 1.2)
        assert bounds.forced_w(pb, 1) == 1
        assert bounds.lower_bound(pb) == pytest.approx(bounds.lower_bound(table(times, None)))


SKEWED = {"limit": 3.0, "times": {"F": 1.0, "B": 1.1, "W": 0.6, "BW": 1.2}, "comm": 0.05}
# test_fused_exact's instances whose fused optimum both exact backends prove.
PROVEN = [
    (2, 3, {"limit": 2.0, "times": {"F": 1.0, "B": 1.0, "W": 1.0, "BW": 1.5}}, 9.0),
    (3, 4, SKEWED, 13.2),
    (3, 4, {**SKEWED, "objective": "makespan"}, 13.2),
]


@pytest.mark.parametrize(("p", "m", "options", "optimum"), PROVEN)
def test_heuristic_proves_small_fused_optima(p: int, m: int, options: dict, optimum: float) -> None:
    """The bound meets the proven optimum and the heuristic reaches it (fusing)."""
    pb = make(p, m, **options)
    assert bounds.lower_bound(pb) == pytest.approx(optimum, abs=1e-9)
    value, stages = counted(pb)
    assert value == pytest.approx(optimum, abs=1e-9) and stages


def tiny(seed: int) -> PipelineProblem:
    """A random instance small enough for cpsat to prove optimal in well under a second."""
    rng = random.Random(seed)
    p, m = rng.choice([2, 3]), rng.choice([2, 3, 4])

    def draw(lo: float, hi: float) -> list[float]:
        return [round(rng.uniform(lo, hi), 1) for _ in range(p)]

    f, b, w = draw(0.5, 1.5), draw(0.5, 1.5), draw(0.2, 1.0)
    bw = [round(rng.uniform(0.4, 1.2) * (x + y), 1) for x, y in zip(b, w, strict=True)]
    return PipelineProblem(
        devices=p,
        microbatches=m,
        times={"F": f, "B": b, "W": w, "BW": bw},
        comm=rng.choice([0.0, 0.05]),
        objective=rng.choice(["span", "makespan"]),
        memory={"F": 1.0, "B": -0.5, "W": -0.5, "limit": rng.choice([None, p, p + 1, 2 * p])},
    )


@pytest.mark.parametrize("seed", range(12))
def test_bound_below_proven_optimum(seed: int) -> None:
    pb = tiny(seed)
    out = cpsat_solve(pb, SolveOptions(time_limit=20, threads=1), None)
    assert out.status is Status.OPTIMAL and out.solution is not None
    optimum = schedkit.validate(pb, out.solution).objective
    lb = bounds.lower_bound(pb)
    assert optimum is not None and lb is not None and lb <= optimum + 1e-6


def test_toggles_keep_every_backward_once() -> None:
    """After many fuse / split moves each (stage, microbatch) has one BW, or one B then its
    W later on the same device, and BW only on fusable stages."""
    pb = table("heterogeneous", [0.8, 1.2, 0.8, 1.2])
    one_f_one_b = build(pb, "1f1b")
    assert one_f_one_b is not None
    orders = with_split({"1f1b": one_f_one_b.orders(pb.devices)}, fusable_stages(pb))
    assert set(orders) == {"1f1b", "1f1b (split)"}
    assert count_fused(orders["1f1b"]) == 16 and count_fused(orders["1f1b (split)"]) == 0
    current, rng = orders["1f1b"], random.Random(1)
    for _ in range(300):
        current = toggle(current, rng, fusable_stages(pb)) or current
    for row in current:
        pos = {op: i for i, op in enumerate(row)}
        assert len(pos) == len(row)
        for kind, s, j in row:
            if kind == "BW":
                assert s in (0, 2) and ("B", s, j) not in pos and ("W", s, j) not in pos
            if kind == "B":
                assert pos[("W", s, j)] > pos[("B", s, j)] and ("BW", s, j) not in pos
    assert sum(len(row) for row in current) == 3 * 4 * 8 - count_fused(current)
    assert 0 < count_fused(current) < 16
