"""A sixth kind, 0/1 knapsack, defined here only: it proves that a kind plugs in through its
`KindSpec` alone (solve, validate, info, plot, export and bench, no line changed elsewhere).

The objective is minimised like every schedkit objective: the value left out of the knapsack.
"""

from schedkit.kinds import KindSpec
from schedkit_knapsack.model import KnapsackProblem, KnapsackSolution, lower_bound, validate

SPEC = KindSpec(
    name="knapsack",
    problem=KnapsackProblem,
    solution=KnapsackSolution,
    validate=validate,
    lower_bound=lower_bound,
    backends={
        "greedy": "schedkit_knapsack.backends:greedy",
        "cpsat": "schedkit_knapsack.backends:cpsat",
        "milp": "schedkit_knapsack.backends:milp",
    },
    heuristic="greedy",
    params={"order": "greedy: 'ratio' (value per weight) or 'value'"},
    plot="schedkit_knapsack.plot:draw",
    exporters={"csv": "schedkit_knapsack.export:to_csv"},
)
