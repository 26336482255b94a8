"""Random RCPSP instances with the constraints that make scheduling hard in practice:
resource downtime, activity time windows, disjunctive pairs, lags and start-to-start links.

Deadlines are set from a schedule that the heuristic finds for the instance without deadlines
(finish times stretched by `slack`), so generated instances are feasible unless `infeasible`
asks for one deadline shorter than the activity's earliest finish.
"""

from __future__ import annotations

import random
from pathlib import Path

import typer
from pydantic import Field

from schedkit.generate.options import check_options, check_output_path, write_instance
from schedkit.generate.rcpsp_progen import generate_psplib
from schedkit.io.rcpsp_yaml import to_yaml
from schedkit.models.base import Finite, Frozen, NonNegInt, PosInt
from schedkit.models.rcpsp.bounds import earliest_starts
from schedkit.models.rcpsp.problem import RcpspProblem

MAX_ACTIVITIES = 2000


class Options(Frozen):
    """The options of `schedkit generate rcpsp`, with their ranges."""

    n: PosInt = Field(le=MAX_ACTIVITIES)
    resources: PosInt = Field(le=64)
    seed: NonNegInt
    downtime: bool
    windows: bool
    disjunctive: NonNegInt = Field(le=10 * MAX_ACTIVITIES)
    infeasible: bool
    psplib: bool = False
    nc: Finite = Field(1.5, ge=1.0, le=3.0)
    rf: Finite = Field(0.5, gt=0.0, le=1.0)
    rs: Finite = Field(0.5, ge=0.0, le=1.0)


def _network(n: int, rng: random.Random) -> list[dict[str, object]]:
    """Random acyclic precedences: each activity gets 0-2 earlier predecessors."""
    precedences: list[dict[str, object]] = []
    for j in range(1, n):
        for i in sorted(set(rng.sample(range(j), min(j, rng.randint(0, 2))))):
            link: dict[str, object] = {"before": f"a{i}", "after": f"a{j}"}
            if rng.random() < 0.15:
                link["lag"] = rng.randint(1, 3)
            if rng.random() < 0.1:
                link["type"] = "SS"
            precedences.append(link)
    return precedences


def _base(n: int, m: int, rng: random.Random, downtime: bool, name: str) -> dict[str, object]:
    caps = [rng.randint(4, 10) for _ in range(m)]
    activities = [
        {
            "id": f"a{j}",
            "duration": rng.randint(1, 8),
            "demands": [rng.randint(0, c) if rng.random() < 0.6 else 0 for c in caps],
        }
        for j in range(n)
    ]
    span = sum(a["duration"] for a in activities) // max(1, m)  # type: ignore[misc]
    resources = []
    for k, c in enumerate(caps):
        windows = []
        if downtime:
            for _ in range(rng.randint(1, 2)):
                s = rng.randint(0, max(1, span))
                windows.append(
                    {"start": s, "end": s + rng.randint(2, 6), "capacity": rng.choice([0, c // 2])}
                )
        resources.append({"name": f"R{k + 1}", "capacity": c, "downtime": windows})
    return {
        "kind": "rcpsp",
        "name": name,
        "resources": resources,
        "activities": activities,
        "precedences": _network(n, rng),
    }


def _disjunctive_pairs(problem: RcpspProblem, count: int, rng: random.Random) -> list[list[str]]:
    linked = {(i, j) for i, j, _ in problem.arcs} | {(j, i) for i, j, _ in problem.arcs}
    ids = [a.id for a in problem.activities]
    pairs: list[list[str]] = []
    if len(ids) < 2:
        return pairs
    for _ in range(20 * count):
        if len(pairs) >= count:
            break
        i, j = sorted(rng.sample(range(len(ids)), 2))
        if (i, j) not in linked and [ids[i], ids[j]] not in pairs:
            pairs.append([ids[i], ids[j]])
    return pairs


def generate(
    n: int = 12,
    resources: int = 2,
    *,
    seed: int = 0,
    downtime: bool = True,
    windows: bool = True,
    disjunctive: int = 2,
    slack: float = 0.3,
    infeasible: bool = False,
    name: str | None = None,
) -> RcpspProblem:
    """A random instance; the same arguments always give the same instance."""
    from schedkit.solvers.heuristics.rcpsp.ga import run_ga

    rng = random.Random(seed)
    data = _base(n, resources, rng, downtime, name or f"rcpsp_gen_n{n}_s{seed}")
    plain = RcpspProblem.model_validate(data)
    data["disjunctive"] = _disjunctive_pairs(plain, disjunctive, rng)
    problem = RcpspProblem.model_validate(data)
    if not windows and not infeasible:
        return problem
    acts = [dict(a) for a in data["activities"]]  # type: ignore[attr-defined]
    if windows:
        for a in rng.sample(acts, max(1, n // 4)):
            a["release"] = rng.randint(0, 6)
        problem = RcpspProblem.model_validate({**data, "activities": acts})
        res = run_ga(problem, schedules=300, seed=seed)  # no time limit: deterministic
        for j in rng.sample(range(n), max(1, n // 4)):
            finish = res.start[j] + problem.durations[j]
            acts[j]["deadline"] = int(finish * (1 + slack)) + 1
    if infeasible:
        es = earliest_starts(RcpspProblem.model_validate({**data, "activities": acts}))
        j = max(range(n), key=lambda k: es[k] + acts[k]["duration"])
        acts[j]["deadline"] = max(0, es[j] + acts[j]["duration"] - 1)
    return RcpspProblem.model_validate({**data, "activities": acts})


def command(
    n: int = typer.Option(12, "--n", help="number of activities"),
    resources: int = typer.Option(2, "--resources", "-m", help="number of resources"),
    seed: int = typer.Option(0, "--seed", help="random seed"),
    downtime: bool = typer.Option(True, "--downtime/--no-downtime", help="capacity windows"),
    windows: bool = typer.Option(True, "--windows/--no-windows", help="releases, deadlines"),
    disjunctive: int = typer.Option(2, "--disjunctive", help="number of disjunctive pairs"),
    infeasible: bool = typer.Option(False, "--infeasible", help="make one deadline too short"),
    psplib: bool = typer.Option(
        False,
        "--psplib",
        help="plain RCPSP on PSPLIB's grid (--nc, --rf, --rs; no side constraints)",
    ),
    nc: float = typer.Option(1.5, "--nc", help="--psplib: network complexity, arcs per node"),
    rf: float = typer.Option(0.5, "--rf", help="--psplib: resource factor (0, 1]"),
    rs: float = typer.Option(0.5, "--rs", help="--psplib: resource strength [0, 1]"),
    out: Path | None = typer.Option(None, "--out", "-o", help="YAML file (default: stdout)"),
) -> None:
    """Generate an RCPSP instance with downtime, time windows and disjunctive pairs (YAML),
    or with --psplib a plain one on PSPLIB's parameter grid (ProGen's NC, RF and RS)."""
    opts = check_options(
        Options,
        {
            "n": n,
            "resources": resources,
            "seed": seed,
            "downtime": downtime,
            "windows": windows,
            "disjunctive": disjunctive,
            "infeasible": infeasible,
            "psplib": psplib,
            "nc": nc,
            "rf": rf,
            "rs": rs,
        },
    )
    if out is not None:
        check_output_path(out, "--out")
    if opts.psplib:
        plain = generate_psplib(opts.n, opts.resources, opts.nc, opts.rf, opts.rs, opts.seed)
        write_instance(to_yaml(plain), out)
        return
    problem = generate(
        opts.n,
        opts.resources,
        seed=opts.seed,
        downtime=opts.downtime,
        windows=opts.windows,
        disjunctive=opts.disjunctive,
        infeasible=opts.infeasible,
    )
    write_instance(to_yaml(problem), out)
