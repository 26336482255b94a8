"""The placement heuristics: `planner` (layer by layer: `flat_search`, `node_assignment`,
`primary_search`) and the EPLB baseline (`eplb_greedy`)."""

from schedkit.models.placement.answer import make_solution
from schedkit.solvers.heuristics.placement.eplb_greedy import eplb_layers, solve_eplb
from schedkit.solvers.heuristics.placement.planner import solve

__all__ = ["eplb_layers", "make_solution", "solve", "solve_eplb"]
