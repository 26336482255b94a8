"""Lower bounds: the cool-down idle under a memory limit and the downstream bottleneck, as
equalities on cases where a schedule meets them, and never above a valid schedule."""

from __future__ import annotations

import random

import pytest

from schedkit.models.pipeline import PipelineProblem, bounds
from schedkit.models.pipeline.references import feasible_references

from .pipeline_helpers import make

NU = {"times": {"F": 1.0, "B": 1.1, "W": 0.6}, "comm": 0.05}


@pytest.mark.parametrize(("p", "m"), [(4, 8), (8, 16), (16, 32)])
def test_zb_h1_is_optimal_at_the_1f1b_limit(p: int, m: int) -> None:
    """Warm-up idle plus cool-down idle is exactly ZB-H1's bubble: the bound proves it."""
    pb = make(p, m, limit=float(p), **NU)
    refs = feasible_references(pb, ["zb-h1"])
    assert bounds.lower_bound(pb) == pytest.approx(refs["zb-h1"][1].objective, abs=1e-9)
    assert bounds.cooldown_idle(pb, 0) == pytest.approx((p - 1) * (1.0 + 1.1 + 0.1 - 1.7))


def test_downstream_bottleneck() -> None:
    """Device 0 waits for the slow stage 1: F0 + B0 + 2 x (F1 + B1) + W0 = 11 (worked by hand;
    its own work and idle give 9)."""
    pb = make(2, 2, times={"F": [1.0, 2.0], "B": [1.0, 2.0], "W": 1.0})
    assert bounds.downstream_bound(pb, 0) == pytest.approx(11.0)
    assert bounds.device_span_bound(pb, 0) == pytest.approx(11.0)
    assert min(r.objective for _, r in feasible_references(pb).values()) == pytest.approx(11.0)


def test_never_above_a_valid_schedule() -> None:
    rng = random.Random(7)
    for _ in range(60):
        p, m = rng.choice([2, 3, 4]), rng.choice([1, 2, 3, 5, 8])
        times = {k: [round(rng.uniform(0.3, 2.0), 1) for _ in range(p)] for k in "FBW"}
        memory = {"F": 1.0, "B": rng.choice([-0.5, -1.0, 0.0]), "W": rng.choice([-0.5, -1.0])}
        limit = rng.choice([None, float(p), p + 1.0, 2.0 * p])
        objective = rng.choice(["span", "makespan"])
        pb = PipelineProblem(
            devices=p,
            microbatches=m,
            times=times,
            comm=rng.choice([0.0, 0.3]),
            memory={**memory, "limit": limit},
            objective=objective,
        )
        lb = bounds.lower_bound(pb)
        found = [r.objective for _, r in feasible_references(pb).values()]
        if lb is not None and found:
            assert lb <= min(found) + 1e-9


def test_spent_budget_bounds_fewer_devices() -> None:
    """With the budget spent only device 0 is bounded: weaker, never wrong."""
    from schedkit.solvers.budget import Budget

    pb = make(4, 8, times={"F": [1.0, 1.0, 3.0, 1.0], "B": 1.0, "W": 1.0})
    spent = Budget.start(0.0, clock=lambda: 0.0)
    assert bounds.lower_bound(pb, spent) == pytest.approx(bounds.device_span_bound(pb, 0))
    assert bounds.lower_bound(pb, spent) <= bounds.lower_bound(pb) + 1e-12
    assert bounds.lower_bound(pb) == pytest.approx(
        max(bounds.device_span_bound(pb, d) for d in range(4))
    )
