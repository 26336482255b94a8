"""Three backends on schedkit's runners: a greedy rule, CP-SAT and a MILP (HiGHS)."""

from __future__ import annotations

import pyomo.environ as pyo
from ortools.sat.python import cp_model

from schedkit.solvers.cpsat.runner import run_cpsat
from schedkit.solvers.milp.highs import solve_model
from schedkit.solvers.result import BackendOutput, SolveOptions, Status
from schedkit_knapsack.model import KnapsackProblem, KnapsackSolution


def greedy(
    problem: KnapsackProblem, options: SolveOptions, hint: KnapsackSolution | None
) -> BackendOutput:
    """Items by value per weight (or by value), each taken if it still fits."""
    order = options.params.get("order", "ratio")
    key = (
        (lambda i: -problem.items[i].value)
        if order == "value"
        else (lambda i: -problem.items[i].value / problem.items[i].weight)
    )
    room, chosen = problem.capacity, []
    for i in sorted(range(len(problem.items)), key=key):
        if problem.items[i].weight <= room:
            chosen.append(i)
            room -= problem.items[i].weight
    return BackendOutput(KnapsackSolution(chosen=tuple(sorted(chosen))), Status.FEASIBLE)


def cpsat(
    problem: KnapsackProblem, options: SolveOptions, hint: KnapsackSolution | None
) -> BackendOutput:
    """One boolean per item, the capacity as one linear constraint."""
    model = cp_model.CpModel()
    x = [model.new_bool_var(f"x{i}") for i in range(len(problem.items))]
    model.add(
        sum(it.weight * v for it, v in zip(problem.items, x, strict=True)) <= problem.capacity
    )
    packed = sum(it.value * v for it, v in zip(problem.items, x, strict=True))
    model.minimize(problem.total_value - packed)
    run = run_cpsat(model, options)
    if not run.has_solution:
        return BackendOutput(None, run.status, run.bound, run.stats, run.termination)
    chosen = tuple(i for i, v in enumerate(x) if run.value(v))
    solution = KnapsackSolution(chosen=chosen)
    return BackendOutput(solution, run.status, run.bound, run.stats, run.termination)


def milp(
    problem: KnapsackProblem, options: SolveOptions, hint: KnapsackSolution | None
) -> BackendOutput:
    """The same model in Pyomo, solved by HiGHS."""
    m = pyo.ConcreteModel()
    m.x = pyo.Var(range(len(problem.items)), domain=pyo.Binary)
    m.cap = pyo.Constraint(
        expr=sum(it.weight * m.x[i] for i, it in enumerate(problem.items)) <= problem.capacity
    )
    m.obj = pyo.Objective(
        expr=problem.total_value - sum(it.value * m.x[i] for i, it in enumerate(problem.items))
    )
    run = solve_model(m, options)
    if not run.loaded:
        return BackendOutput(None, run.status, run.bound)
    chosen = tuple(i for i in range(len(problem.items)) if pyo.value(m.x[i]) > 0.5)
    return BackendOutput(KnapsackSolution(chosen=chosen), run.status, run.bound)
