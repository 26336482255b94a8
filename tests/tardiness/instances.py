"""Small random tardiness instances for the SSDP tests (brute force stays cheap at n <= 8)."""

from __future__ import annotations

import numpy as np

from schedkit.models.tardiness import TardinessProblem


def random_problem(seed: int, n: int) -> TardinessProblem:
    """p in 1..14, due dates within the total processing time, w in 1..9."""
    rng = np.random.default_rng(seed)
    p = rng.integers(1, 15, n)
    d = rng.integers(0, int(p.sum()), n)
    w = rng.integers(1, 10, n)
    return TardinessProblem.from_arrays(p=p.tolist(), d=d.tolist(), w=w.tolist())
