"""The Zero Bubble repository's greedy scheduler (`zb.py`, `manual_order`), re-implemented.

Expected spans: the `best_time` of each of the 8 variants, in `initial_solution`'s order
(allow_bubble_before_first_b, prioritize_b, no_bubble_greedy over True, False), worked out by
running the published algorithm on these cases (memory F 1, B = W = -0.5).
"""

from __future__ import annotations

import pytest

from schedkit.models.pipeline.references import ZB_VARIANTS, build, zb_greedy_variants
from schedkit.models.pipeline.references.zb_greedy import zb_order
from schedkit.models.pipeline.simulate import simulate, spans
from schedkit.models.pipeline.validator import validate

from .pipeline_helpers import make

NU = (1.0, 1.1, 0.6)
HET3 = ([1.0, 1.5, 0.5], [1.2, 2.0, 1.0], [0.5, 1.0, 0.8])
HET4 = ([1.0, 1.2, 0.8, 1.1], [1.1, 1.4, 1.0, 1.3], [0.6, 0.9, 0.5, 0.7])
U = (1.0, 1.0, 1.0)

# (p, m, (F, B, W), comm, limit) -> the 8 variants' spans
CASES = [
    (2, 4, U, 0.0, None, [12.0] * 8),
    (3, 6, U, 0.0, 3.0, [20.0] * 8),
    (4, 8, U, 0.0, 4.0, [27.0] * 8),
    (4, 8, U, 0.0, 7.0, [24.0] * 8),
    (4, 8, NU, 0.05, 4.0, [28.2, 26.7, 28.2, 26.7, 28.2, 26.7, 28.2, 26.7]),
    (4, 8, NU, 0.05, 7.0, [24.4, 24.0, 24.4, 24.0, 25.4, 24.0, 24.2, 24.2]),
    (4, 16, NU, 0.05, 4.0, [49.8, 48.3, 49.8, 48.3, 49.8, 48.3, 49.8, 48.3]),
    (3, 6, HET3, 0.1, 3.0, [27.2] * 8),
    (4, 8, HET4, 0.05, 7.0, [28.8, 30.1, 28.8, 30.1, 28.7, 30.1, 28.7, 30.1]),
    (5, 5, U, 0.0, None, [19.0] * 8),
    (8, 16, NU, 0.05, 8.0, [58.6, 55.1, 58.6, 55.1, 58.6, 55.1, 58.6, 55.1]),
    (4, 8, (1.0, 2.0, 1.0), 0.2, 2.5, [82.8] * 8),
]


def problem(p: int, m: int, fbw: tuple, comm: float, limit: float | None):
    times = dict(zip("FBW", fbw, strict=True))
    return make(p, m, limit=limit, times=times, comm=comm)


@pytest.mark.parametrize(("p", "m", "fbw", "comm", "limit", "expected"), CASES)
def test_spans_of_every_variant(p, m, fbw, comm, limit, expected) -> None:
    pb = problem(p, m, fbw, comm, limit)
    for variant, want in zip(ZB_VARIANTS, expected, strict=True):
        found = zb_order(pb, variant)
        assert found is not None, variant
        orders, span = found
        assert span == pytest.approx(want, abs=1e-9), variant
        sim = simulate(pb, orders)  # its end times are the ASAP times of its orders
        assert max(spans(pb, sim.start, sim.end)) == pytest.approx(want, abs=1e-9)


def test_orders_as_the_original_prints_them() -> None:
    pb = problem(3, 6, U, 0.0, 3.0)
    orders, _ = zb_order(pb, ZB_VARIANTS[0]) or ([], 0.0)
    assert ["".join(k.lower() for k, _, _ in row) for row in orders] == [
        "fffbwfbwfbwfbwbwbw",
        "ffbfbwfbwfbwfbwbww",
        "fbfbfbwfbwfbwfbwww",
    ]


@pytest.mark.parametrize(("p", "m", "limit", "span"), [(8, 32, 15.0, 88.3), (16, 64, 31.0, 176.8)])
def test_issue_numbers(p: int, m: int, limit: float, span: float) -> None:
    """The best variant (`initial_solution`) on the issue's two rows."""
    pb = problem(p, m, NU, 0.05, limit)
    report = validate(pb, build(pb, "zb-greedy"))
    assert report.feasible and report.objective == pytest.approx(span, abs=1e-9)
    best = min(span for _, span in zb_greedy_variants(pb).values())
    assert best == pytest.approx(span, abs=1e-9)


def test_failing_variants_are_skipped() -> None:
    """Times that break the original's closing asserts drop those variants (here the four
    with allow_bubble_before_first_b); memory it cannot fit drops all of them; looped stages
    are not its model."""
    pb = problem(4, 4, ([1.0, 2.0, 0.5, 2.0], [0.5, 1.0, 2.0, 1.0], 1.0), 0.0, 4.0)
    found = zb_greedy_variants(pb)
    assert sorted(found) == sorted(str(v) for v in ZB_VARIANTS[4:])
    assert all(span == pytest.approx(20.0) for _, span in found.values())
    assert zb_greedy_variants(problem(3, 4, U, 0.0, 0.9)) == {}
    assert zb_order(make(2, 4, chunks=2), ZB_VARIANTS[0]) is None


def test_run_that_leaves_a_forward_unplaced_is_skipped() -> None:
    """Without a memory limit these times make the allow_bubble_before_first_b variants skip
    stage 0's last F (the original's asserts read its end as 0 and pass): those variants are
    skipped, the reference is the best of the others, and the exact backend that starts from
    the references answers itself."""
    import schedkit
    from schedkit.solvers.result import Status

    times = ([1.4, 0.7, 0.7, 1.2], [0.8, 1.2, 1.3, 0.6], [0.5, 0.3, 0.5, 0.9])
    pb = problem(4, 6, times, 0.05, None)
    found = [zb_order(pb, v) for v in ZB_VARIANTS]
    assert [f is None for f in found] == [True] * 4 + [False] * 4
    reference = build(pb, "zb-greedy")
    assert reference is not None and validate(pb, reference).feasible
    result = schedkit.solve(pb, "cpsat", time_limit=10, threads=1)
    assert result.status is Status.OPTIMAL and result.objective == 18.0
    assert result.backend == "cpsat"
