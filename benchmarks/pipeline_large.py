"""Time the pipeline heuristic at p = 32, m = 128 (issue target: well under a second).

.venv/bin/python benchmarks/pipeline_large.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import time

import schedkit
from schedkit.models.pipeline.problem import PipelineProblem


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    for memory in (32.0, 63.0):
        problem = PipelineProblem.model_validate(
            {
                "name": f"p32-m128-lim{memory:g}",
                "devices": 32,
                "microbatches": 128,
                "times": {"F": 1.0, "B": 1.1, "W": 0.6},
                "comm": 0.05,
                "memory": {"F": 1.0, "B": -0.5, "W": -0.5, "limit": memory},
            }
        )
        for i in range(args.repeat):
            start = time.perf_counter()
            result = schedkit.solve(problem, "heuristic", time_limit=10)
            wall = time.perf_counter() - start
            print(
                f"{problem.name} run {i + 1}: {wall:.3f} s wall, span {result.objective:.2f}, "
                f"bound {result.lower_bound:.2f}, gap {100 * (result.gap or 0):.2f} %, "
                f"valid {result.valid}"
            )


if __name__ == "__main__":
    main()
