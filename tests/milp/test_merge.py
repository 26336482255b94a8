"""Independent CP-SAT models side by side: the merged optimum is the sum of the parts'."""

from __future__ import annotations

from ortools.sat.python import cp_model

from schedkit.solvers.cpsat.merge import merge_models


def part(release: int) -> cp_model.CpModel:
    """Two tasks on one machine, the first optional (its literal negated in a constraint)."""
    m = cp_model.CpModel()
    x, y = m.new_int_var(0, 20, "x"), m.new_int_var(0, 20, "y")
    present = m.new_bool_var("present")
    first = m.new_optional_fixed_size_interval_var(x, 3, present, "first")
    second = m.new_fixed_size_interval_var(y, 2, "second")
    m.add_no_overlap([first, second])
    m.add(x >= release).only_enforce_if(present.Not())
    m.add_bool_or([present])
    m.add(y >= release)
    m.minimize(x + y + 1)
    m.add_hint(x, 5)
    return m


def optimum(model: cp_model.CpModel) -> float:
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    assert solver.solve(model) == cp_model.OPTIMAL
    return float(solver.objective_value)


def test_merged_optimum_is_the_sum() -> None:
    parts = [part(1), part(4)]
    merged = merge_models(parts, "two")
    assert merged.validate() == ""
    assert len(merged.proto.variables) == sum(len(p.proto.variables) for p in parts)
    assert list(merged.proto.solution_hint.vars) == [0, 3]
    assert optimum(merged) == optimum(parts[0]) + optimum(parts[1])
