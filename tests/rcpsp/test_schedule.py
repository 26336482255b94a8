"""Capacity profiles and the profile-based serial SGS against the array-based one."""

from __future__ import annotations

from pathlib import Path

import schedkit
from schedkit.models.rcpsp import RcpspProblem, RcpspSolution, validate
from schedkit.models.rcpsp.problem import Downtime, Resource
from schedkit.models.rcpsp.profile import Profile
from schedkit.models.rcpsp.schedule import lateness, latest_finish_order, serial_schedule
from schedkit.models.rcpsp.start import exact_start
from schedkit.solvers.heuristics.rcpsp.sgs import Sgs


def test_profile_fits_around_downtime_and_usage() -> None:
    res = Resource(name="R", capacity=3, downtime=(Downtime(start=5, end=8, capacity=1),))
    prof = Profile.of(res)
    assert prof.earliest(0, 4, 2) == 0
    assert prof.earliest(3, 4, 2) == 8  # [3, 7) crosses the window with 1 unit
    assert prof.earliest(3, 2, 2) == 3
    prof.take(0, 4, 2)
    assert prof.earliest(0, 2, 2) == 8  # 1 unit left before 4, 1 inside the window
    assert prof.earliest(0, 1, 2) == 4
    assert prof.earliest(10**12, 1, 3) == 10**12


def test_profile_serial_sgs_matches_array_sgs(data_dir: Path) -> None:
    for name in ("j301_1", "j3013_4", "j3029_7"):
        problem = schedkit.load(data_dir / "psplib" / "j30" / f"{name}.sm")
        assert isinstance(problem, RcpspProblem)
        order = latest_finish_order(problem)
        start = serial_schedule(problem, order)
        assert start == Sgs(problem).serial(order)
        assert validate(problem, RcpspSolution(start=tuple(start))).feasible


def test_side_constraints_respected(instances_dir: Path) -> None:
    problem = schedkit.load(instances_dir / "rcpsp" / "constrained_n12.yaml")
    assert isinstance(problem, RcpspProblem)
    start = serial_schedule(problem, latest_finish_order(problem))
    report = validate(problem, RcpspSolution(start=tuple(start)))
    codes = {v.code for v in report.violations}
    assert codes <= {"deadline"}  # the scheme ignores deadlines and nothing else
    assert bool(codes) == (lateness(problem, start) > 0)


def test_exact_start_reports_static_infeasibility(instances_dir: Path) -> None:
    problem = schedkit.load(instances_dir / "rcpsp" / "infeasible_capacity.yaml")
    assert isinstance(problem, RcpspProblem)
    start = exact_start(problem, None)
    assert start.proven and "capacity" in start.infeasible and start.solution() is None


def test_ga_stops_once_it_stalls(data_dir: Path) -> None:
    from schedkit.solvers.heuristics.rcpsp.ga import run_ga

    problem = schedkit.load(data_dir / "psplib" / "j30" / "j301_1.sm")
    assert isinstance(problem, RcpspProblem)
    res = run_ga(problem, schedules=10**9, target=0, stall=3)  # no other stop applies
    assert res.generations >= 3 and res.schedules < 10**9
    assert validate(problem, RcpspSolution(start=tuple(res.start))).feasible


def test_ga_restarts_after_a_stall_and_keeps_the_first_runs_best(data_dir: Path) -> None:
    """The first run is the same with or without restarts (same seed), so restarting can only
    improve on it; the schedule count stays within the budget."""
    from schedkit.solvers.heuristics.rcpsp.ga import run_ga

    problem = schedkit.load(data_dir / "psplib" / "j30" / "j3013_1.sm")
    assert isinstance(problem, RcpspProblem)
    single = run_ga(problem, schedules=20_000, target=0, stall=5)
    multi = run_ga(problem, schedules=20_000, target=0, stall=5, restart=True)
    assert single.runs == 1 and multi.runs > 1
    assert multi.makespan <= single.makespan and multi.schedules <= 20_000
    assert validate(problem, RcpspSolution(start=tuple(multi.start))).feasible


def test_stall_zero_runs_one_ga_to_its_schedule_budget(data_dir: Path) -> None:
    """`stall: 0` (documented as "never") is accepted: one run, stopped by the budget alone."""
    problem = schedkit.load(data_dir / "psplib" / "j30" / "j3013_1.sm")
    result = schedkit.solve(problem, "heuristic", params={"stall": 0, "schedules": 20_000})
    attempt = result.stats["attempts"]["heuristic"]
    assert attempt["ga_runs"] == 1 and attempt["schedules"] >= 20_000
    assert result.valid


def test_compiled_serial_sgs_matches_python(data_dir: Path) -> None:
    """Same starts from the compiled scheme and the Python loop, forward and mirrored."""
    import random

    from schedkit.solvers.heuristics.rcpsp.rules import priorities, regret_sample

    rng = random.Random(0)
    for name in ("j301_1", "j3013_4", "j3029_7"):
        problem = schedkit.load(data_dir / "psplib" / "j30" / f"{name}.sm")
        assert isinstance(problem, RcpspProblem)
        sgs = Sgs(problem)
        assert sgs.arrays is not None
        for scheme in (sgs, sgs.mirrored()):
            for _ in range(10):
                order = regret_sample(sgs, priorities(problem)["LFT"], rng)
                shift = rng.randrange(0, 30)
                assert scheme.serial(order, shift) == scheme.serial_python(order, shift)


def test_compiled_serial_sgs_with_side_constraints(instances_dir: Path) -> None:
    problem = schedkit.load(instances_dir / "rcpsp" / "constrained_n12.yaml")
    assert isinstance(problem, RcpspProblem)
    sgs = Sgs(problem)
    order = latest_finish_order(problem)
    assert sgs.serial(order) == sgs.serial_python(order)
