"""Placement on the solver core: layers that point one way, CP-SAT parameters applied, EPLB
reproduced, the budget honoured by construction, typed outcomes of the joint MILP."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest

from schedkit.errors import InputError
from schedkit.generate.placement import instance
from schedkit.models.placement import PlacementProblem, validate
from schedkit.models.placement.answer import make_solution
from schedkit.solvers.budget import Budget
from schedkit.solvers.heuristics.placement.eplb_greedy import rebalance_experts
from schedkit.solvers.heuristics.placement.planner import Planner
from schedkit.solvers.milp.placement import solve_joint
from schedkit.solvers.portfolio import solve
from schedkit.solvers.result import SolveOptions, Status, Termination

PKG = Path(__file__).resolve().parents[2] / "schedkit"


def imports(path: Path) -> set[str]:
    """Modules imported by a source file (at run time and for type checking)."""
    tree = ast.parse(path.read_text())
    out = {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    return out | {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}


def test_exact_backends_do_not_import_heuristics():
    exact = [
        PKG / "solvers" / "cpsat" / "placement.py",
        PKG / "solvers" / "milp" / "placement.py",
        PKG / "solvers" / "exact" / "placement_layers.py",
        *(PKG / "models" / "placement").glob("*.py"),
    ]
    for path in exact:
        bad = [m for m in imports(path) if m.startswith("schedkit.solvers.heuristics")]
        assert not bad, (path.name, bad)


def test_models_import_solvers_for_types_only():
    for path in (PKG / "models" / "placement").glob("*.py"):
        tree = ast.parse(path.read_text())
        top = [n for n in tree.body if isinstance(n, ast.ImportFrom)]
        assert not [n.module for n in top if (n.module or "").startswith("schedkit.solvers")]


def grouped() -> PlacementProblem:
    """A layer CP-SAT must search to prove (its start is not optimal)."""
    return PlacementProblem.model_validate(
        {
            "loads": [[8, 1, 1, 1]],
            "nodes": 2,
            "gpus_per_node": 1,
            "slots_per_gpu": 3,
            "groups": 2,
        }
    )


def test_cpsat_params_reach_placement():
    # the constructive start (4.33) is not optimal here (4.0): the first solution is the start
    p = PlacementProblem.model_validate(
        {"loads": [[4, 1, 1, 2]], "nodes": 2, "gpus_per_node": 1, "slots_per_gpu": 3, "groups": 2}
    )
    full = solve(p, "cpsat", time_limit=10, threads=2)
    first = solve(
        p, "cpsat", time_limit=10, threads=2, params={"cpsat": {"stop_after_first_solution": True}}
    )
    assert full.status is Status.OPTIMAL
    assert first.status is Status.FEASIBLE and first.objective > full.objective
    with pytest.raises(InputError, match="max_number_of_conflicts"):
        solve(p, "cpsat", time_limit=1, params={"cpsat": {"max_number_of_conflicts": "many"}})


def test_eplb_readme_example_reproduced():
    weight = [
        [90, 132, 40, 61, 104, 165, 39, 4, 73, 56, 183, 86],
        [20, 107, 104, 64, 19, 197, 187, 157, 172, 86, 16, 27],
    ]
    phy2log, log2phy, logcnt = rebalance_experts(np.array(weight), 16, 4, 2, 8)
    assert phy2log.tolist() == [
        [5, 6, 5, 7, 8, 4, 3, 4, 10, 9, 10, 2, 0, 1, 11, 1],
        [7, 10, 6, 8, 6, 11, 8, 9, 2, 4, 5, 1, 5, 0, 3, 1],
    ]
    assert logcnt.tolist() == [
        [1, 2, 1, 1, 2, 2, 1, 1, 1, 1, 2, 1],
        [1, 2, 1, 1, 1, 2, 2, 1, 2, 1, 1, 1],
    ]
    assert log2phy[0, 5].tolist() == [0, 2]  # expert 5's slots, padded with -1 to width 2


@pytest.mark.parametrize("groups", [None, 8])
def test_spent_budget_still_gives_a_valid_placement(groups):
    data = instance("b", 3, 64, 16, 2, 8, seed=1, groups=groups)
    p = PlacementProblem.model_validate(data)
    layers = Planner(p).run(None, Budget.start(0.0))
    assert validate(p, make_solution(p, layers)).feasible


def test_joint_milp_reports_its_real_outcome():
    p = PlacementProblem.model_validate(instance("t", 3, 8, 0, 2, 2, seed=2, traffic_weight=1e-3))
    out = solve_joint(p, SolveOptions(time_limit=10, threads=2), None)
    report = validate(p, out.solution)
    assert report.feasible and out.lower_bound is not None
    assert out.lower_bound <= report.objective + 1e-9
    assert out.status is Status.FEASIBLE and out.termination is Termination.COMPLETED
    assert out.reason.startswith("joint model with one home node per expert: optimal")


def test_strict_groups_must_fill_every_node():
    data = {"loads": [[5, 4, 3, 2]], "nodes": 4, "gpus_per_node": 1, "slots_per_gpu": 2}
    with pytest.raises(ValueError, match="2 groups cannot fill 4 nodes"):
        PlacementProblem.model_validate({**data, "groups": 2, "group_local": "strict"})
    assert PlacementProblem.model_validate({**data, "groups": 2}).groups_primary
