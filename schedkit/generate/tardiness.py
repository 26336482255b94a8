"""Generate tardiness instances as Potts & Van Wassenhove (1982, 1985) and the OR-Library did.

p_j ~ U[1, 100], w_j ~ U[1, 10] when weighted (1 otherwise) and, with P = sum p_j,
d_j ~ U[P(1 - TF - RDD/2), P(1 - TF + RDD/2)]: the tardiness factor TF sets how many jobs are
late, the relative range of due dates RDD how spread the due dates are. All draws are integers
from one `numpy.random.default_rng(seed)`. Due dates are clipped at 0 (a low bound below 0
happens when TF + RDD/2 > 1) and the range is [ceil(low), floor(high)].
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import typer
from pydantic import Field

from schedkit.generate.options import check_options, check_output_path, write_instance
from schedkit.models.base import Frozen, NonNegFinite, NonNegInt, PosInt
from schedkit.models.tardiness.problem import TardinessProblem

P_MAX = 100
W_MAX = 10
MAX_JOBS = 10**6


class Options(Frozen):
    """The options of `schedkit generate tardiness`, with their ranges."""

    n: PosInt = Field(le=MAX_JOBS)
    tf: NonNegFinite = Field(le=1.0)
    rdd: NonNegFinite = Field(le=2.0)
    seed: NonNegInt
    weighted: bool
    releases: NonNegFinite = Field(default=0.0, le=1.0)


def due_date_range(total: int, tf: float, rdd: float) -> tuple[int, int]:
    """Integer bounds [low, high] of the due dates for total processing time `total`."""
    low = max(0, math.ceil(total * (1 - tf - rdd / 2)))
    high = max(low, math.floor(total * (1 - tf + rdd / 2)))
    return low, high


def generate(
    n: int, tf: float, rdd: float, seed: int, weighted: bool = False, releases: float = 0.0
) -> TardinessProblem:
    """One instance: the same arguments always give the same instance.

    With `releases` R > 0, release dates r_j ~ U[0, R P] are drawn after the due dates (so the
    other fields are those of the instance without release dates).
    """
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    if not (0 <= tf <= 1 and rdd >= 0):
        raise ValueError(f"need 0 <= TF <= 1 and RDD >= 0, got TF={tf}, RDD={rdd}")
    rng = np.random.default_rng(seed)
    p = rng.integers(1, P_MAX + 1, n)
    w = rng.integers(1, W_MAX + 1, n) if weighted else np.ones(n, dtype=np.int64)
    low, high = due_date_range(int(p.sum()), tf, rdd)
    d = rng.integers(low, high + 1, n)
    name = f"{'w' if weighted else ''}tt{n}_tf{tf:g}_rdd{rdd:g}_s{seed}"
    r = None
    if releases > 0:
        r = rng.integers(0, math.floor(releases * int(p.sum())) + 1, n).tolist()
        name += f"_r{releases:g}"
    return TardinessProblem.from_arrays(p=p.tolist(), d=d.tolist(), w=w.tolist(), r=r, name=name)


def command(
    n: int = typer.Option(50, "--n", help="number of jobs"),
    tf: float = typer.Option(0.6, "--tf", help="tardiness factor TF in [0, 1]"),
    rdd: float = typer.Option(0.6, "--rdd", help="relative range of due dates RDD"),
    seed: int = typer.Option(0, "--seed", help="random seed"),
    weighted: bool = typer.Option(False, "--weighted/--unweighted", help="w_j ~ U[1,10]"),
    releases: float = typer.Option(0.0, "--releases", help="release dates r_j ~ U[0, R sum p]"),
    out: Path | None = typer.Option(None, "--out", "-o", help="YAML file (default: stdout)"),
) -> None:
    """Generate a Potts & Van Wassenhove tardiness instance as columnar YAML."""
    opts = check_options(
        Options,
        {"n": n, "tf": tf, "rdd": rdd, "seed": seed, "weighted": weighted, "releases": releases},
    )
    if out is not None:
        check_output_path(out, "--out")
    problem = generate(opts.n, opts.tf, opts.rdd, opts.seed, opts.weighted, opts.releases)
    write_instance(problem, out)
