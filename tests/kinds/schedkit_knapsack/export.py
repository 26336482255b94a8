"""`schedkit export --format csv`: one row per item."""

from __future__ import annotations

from schedkit_knapsack.model import KnapsackProblem, KnapsackSolution


def to_csv(problem: KnapsackProblem, solution: KnapsackSolution) -> str:
    chosen = set(solution.chosen)
    rows = ["item,value,weight,chosen"]
    rows += [f"{i},{it.value},{it.weight},{int(i in chosen)}" for i, it in enumerate(problem.items)]
    return "\n".join(rows) + "\n"
