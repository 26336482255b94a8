"""Class 2 of the hostile corpus: time limits at 10-100x the tested sizes.

Each case builds (or generates and loads) one instance in a fresh process and solves it with a
2 s limit. The test asserts what does not depend on the machine's speed: the case ends (it is
killed after KILL_AFTER s: the downtime at 1e9 used to run forever), returns a valid answer
without a crash, and a two-activity instance stays far below 1 GiB (it took 1 GB). The overrun
against the contract (limit + 1 s) is measured, not asserted: `python
tests/corpus/test_scale.py` prints it for these cases, and `benchmarks/overrun.py` for every
kind x backend (table in docs/benchmarks.md).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import dataclass

import pytest

LIMIT = 2.0
KILL_AFTER = 30.0
"""Seconds after which a case is killed and recorded as an overrun of at least that."""
SMALL_RSS_MB = 1024


@dataclass(frozen=True)
class ScaleCase:
    """A snippet that defines `problem` (and may time its own loading), then the solve."""

    id: str
    setup: str
    backend: str = "auto"
    small: bool = False
    """A tiny instance (two activities): its memory must stay below SMALL_RSS_MB."""
    xfail: str | None = None
    kill_after: float = KILL_AFTER
    """Seconds before the whole case (set-up included) is killed."""


def _rcpsp(resources: str, activities: str) -> str:
    return (
        "from schedkit.models.rcpsp.problem import RcpspProblem\n"
        f"problem = RcpspProblem.model_validate({{'resources': {resources}, "
        f"'activities': {activities}, 'precedences': [{{'before': 'a', 'after': 'b'}}]}})\n"
    )


TWO = "[{'id': 'a', 'duration': %d, 'demands': [1]}, {'id': 'b', 'duration': %d, 'demands': [1]}]"
DOWN = "[{'name': 'R', 'capacity': 1, 'downtime': [{'start': %d, 'end': %d}]}]"
PLAIN = "[{'name': 'R', 'capacity': 1}]"

CASES = [
    ScaleCase("rcpsp-downtime-1e7", _rcpsp(DOWN % (10**7, 10**7 + 5), TWO % (3, 4)), small=True),
    ScaleCase("rcpsp-downtime-1e9", _rcpsp(DOWN % (10**9, 10**9 + 5), TWO % (3, 4)), small=True),
    ScaleCase("rcpsp-durations-1e8", _rcpsp(PLAIN, TWO % (10**8, 10**8)), small=True),
    ScaleCase("rcpsp-durations-1e8-milp", _rcpsp(PLAIN, TWO % (10**8, 10**8)), "milp", small=True),
    ScaleCase(
        "rcpsp-durations-1e8-cpsat", _rcpsp(PLAIN, TWO % (10**8, 10**8)), "cpsat", small=True
    ),
    ScaleCase(
        "tardiness-n5000",
        "from schedkit.generate.tardiness import generate\n"
        "problem = generate(5000, 0.6, 0.6, 1, weighted=True)\n",
    ),
    ScaleCase(
        "pipeline-p64-m512-cpsat",
        "from schedkit.models.pipeline.problem import PipelineProblem\n"
        "problem = PipelineProblem(devices=64, microbatches=512)\n",
        "cpsat",
    ),
    ScaleCase(
        "pipeline-p64-m512-milp",
        "from schedkit.models.pipeline.problem import PipelineProblem\n"
        "problem = PipelineProblem(devices=64, microbatches=512)\n",
        "milp",
    ),
    ScaleCase(
        "placement-yaml-2.5mb",
        "import os, tempfile\n"
        "from typer.testing import CliRunner\n"
        "from schedkit.cli import app\n"
        "path = os.path.join(tempfile.mkdtemp(), 'big.yaml')\n"
        "CliRunner().invoke(app, ['generate', 'placement', '--experts', '128', '--layers', '48',"
        " '--traffic-weight', '0.01', '--nodes', '2', '-o', path])\n"
        "report['file_mb'] = os.path.getsize(path) / 2**20\n"
        "t0 = time.monotonic()\n"
        "problem = schedkit.load(path)\n"
        "report['load_s'] = time.monotonic() - t0\n",
        kill_after=180.0,
    ),
]

CHILD = """
import json, resource, sys, time, warnings
import schedkit
report = {}
%s
t0 = time.monotonic()
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    result = schedkit.solve(problem, %r, time_limit=%r, threads=1)
report["solve_s"] = time.monotonic() - t0
report["status"] = result.status.value
report["valid"] = result.valid
report["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print("REPORT " + json.dumps(report))
"""


def measure(case: ScaleCase) -> dict[str, object]:
    """Run one case in a fresh process; its report, or the overrun when it had to be killed."""
    code = CHILD % (case.setup, case.backend, LIMIT)
    start = time.monotonic()
    try:
        proc = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, timeout=case.kill_after
        )
    except subprocess.TimeoutExpired:
        return {"killed": True, "solve_s": case.kill_after, "wall_s": case.kill_after}
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("REPORT ")]
    if not lines:
        return {"crashed": proc.returncode, "stderr": proc.stderr[-500:]}
    report: dict[str, object] = json.loads(lines[-1].removeprefix("REPORT "))
    report["wall_s"] = time.monotonic() - start
    return report


def _param(case: ScaleCase) -> object:
    marks = [pytest.mark.slow]
    if case.xfail:
        marks.append(pytest.mark.xfail(strict=True, reason=case.xfail))
    return pytest.param(case, id=case.id, marks=marks)


@pytest.mark.parametrize("case", [_param(c) for c in CASES])
def test_time_limit_at_scale(case: ScaleCase) -> None:
    report = measure(case)
    assert "crashed" not in report, report
    assert not report.get("killed"), report
    solve_s = report["solve_s"]
    assert isinstance(solve_s, float), report
    assert report["valid"], report
    if case.small:
        rss = report["rss_mb"]
        assert isinstance(rss, float) and rss < SMALL_RSS_MB, report


def test_yaml_reads_with_the_c_loader() -> None:
    """Large instance files parse with libyaml (PyYAML's C loader) when PyYAML has it."""
    import yaml

    from schedkit.io.loader import _YAML_LOADER

    if not hasattr(yaml, "CSafeLoader"):
        pytest.skip("this PyYAML has no libyaml")
    assert issubclass(_YAML_LOADER, yaml.CSafeLoader)


if __name__ == "__main__":  # pragma: no cover - the overrun table for the record
    print("| case | backend | load s | solve s | overrun s | peak MB | status |")
    print("|---|---|---|---|---|---|---|")
    for case in CASES:
        r = measure(case)
        solve = float(r.get("solve_s", float("nan")))  # type: ignore[arg-type]
        over = max(0.0, solve - LIMIT)
        status = "killed" if r.get("killed") else r.get("status", f"crash {r.get('crashed')}")
        load, rss, mb = r.get("load_s"), r.get("rss_mb"), r.get("file_mb")
        loaded = "-" if load is None else f"{load:.1f} ({mb:.1f} MB)"
        print(
            f"| {case.id} | {case.backend} | {loaded} | "
            f"{solve:.1f} | {over:.1f} | {'-' if rss is None else f'{rss:.0f}'} | {status} |"
        )
