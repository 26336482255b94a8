"""Single-machine (weighted) total tardiness: dispatch rules and iterated dynasearch.

- `rules`: EDD, MDD, ATC and WSPT in their non-delay form (the starting sequences).
- `evaluation`: the instance as arrays; costs of sequences in numpy batches.
- `neighbourhood`: swap and insertion deltas for a whole neighbourhood in O(n^2), without release
  dates, and the best set of independent moves (Congram, Potts & van de Velde 2002).
- `dynasearch_kernels`: the same step as one compiled loop (numba).
- `focused`: the descent after a kick, focused on the kicked jobs (n >= 200).
- `release`: the batched descent used with release dates.
- `release_kernels`: the costs of all its moves as one compiled loop (numba).
- `search`: the iterated search (kicks and descents).
- `backend`: `solve`, the `heuristic` backend.

`options.params` (all optional): `max_iters` (most kicks), `stall_iters` (stop after this many
kicks without improvement; default 400 + 4n), `kick` (random swaps per kick, 4), `kick_span`
(largest distance of a kick swap; 0 = n, the band width beyond 5000 jobs, 2000 with numpy,
or the release window), `window` (largest distance of a dynasearch move; 0 = all up to 5000
jobs, 2000 with numpy, else 40), `release_window` (move distance with release dates; 0 =
every move up to about 190 jobs, 80 without the compiled costs, at least 8 beyond, or
with numpy as many as 30 million candidate cells allow beyond about 1100 jobs), `atc_k`
(look-ahead values tried for ATC), `compiled` (the compiled loops; default true, false keeps
numpy: its matrices, the focused descent, whole simulated candidates with release dates),
`blocks` (compiled steps also move blocks of up to this many consecutive jobs; default 1).
"""

from schedkit.solvers.heuristics.tardiness.backend import solve
from schedkit.solvers.heuristics.tardiness.evaluation import (
    Arrays,
    completion_times,
    cost,
    total_tardiness,
)
from schedkit.solvers.heuristics.tardiness.neighbourhood import (
    Moves,
    SwapPairs,
    apply_move,
    dynasearch,
    improving_moves,
    insert_deltas,
    select_independent,
    swap_deltas,
)
from schedkit.solvers.heuristics.tardiness.rules import atc, edd, mdd, rule_sequences, wspt
from schedkit.solvers.heuristics.tardiness.search import (
    SearchParams,
    SearchResult,
    iterated_search,
    kick,
)

__all__ = [
    "Arrays",
    "Moves",
    "SearchParams",
    "SearchResult",
    "SwapPairs",
    "apply_move",
    "atc",
    "completion_times",
    "cost",
    "dynasearch",
    "edd",
    "improving_moves",
    "insert_deltas",
    "iterated_search",
    "kick",
    "mdd",
    "rule_sequences",
    "select_independent",
    "solve",
    "swap_deltas",
    "total_tardiness",
    "wspt",
]
