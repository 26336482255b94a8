"""The hostile-input corpus: bad or edge inputs over every kind and every command.

Each `Case` is a command line, the files it needs (written to a fresh folder; `{d}` in the
command line and in file contents is that folder), the exit code and the text of the one line
the user must see. Cases are grouped by the class of failure they guard against (`group`):

1 solution numbers and claims checked by the validator; export, plot, replay refuse invalid
  solutions; 3 exact arithmetic or a refusal naming the range; 4 user mistakes that used to
  end in "internal error"; 5 bad input that used to be accepted silently; 6 exit codes.
(Class 2, time limits at scale, is `test_scale.py`; class 7, the Python API, is
`test_api_corpus.py`.)
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import yaml

NAN, INF = float("nan"), float("inf")
BIG = 2**53 + 1


@dataclass(frozen=True)
class Case:
    """One command line and what it must do."""

    id: str
    argv: tuple[str, ...]
    code: int
    message: str
    files: dict[str, str | bytes] = field(default_factory=dict)
    group: int = 0
    usage: bool = False
    """A command-line usage error reported by the option parser (a boxed "Invalid value")."""
    xfail: str | None = None
    """Reason the case still fails (strict: it must flip when the cause is fixed)."""


def yml(data: Any) -> str:
    return yaml.safe_dump(data, sort_keys=False)


def jsn(data: Any) -> str:
    return json.dumps(data)


def put(data: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    """A deep copy of `data` with the item at `path` (keys and indexes) set to `value`."""
    out = copy.deepcopy(data)
    node: Any = out
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    return out


def dotted(path: tuple[Any, ...]) -> str:
    """('jobs', 0, 'due_date') -> 'jobs[0].due_date' (the loader's field path)."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


# Small valid instances and a valid solution of each -----------------------------------------
INSTANCES: dict[str, dict[str, Any]] = {
    "tardiness": {
        "kind": "tardiness",
        "jobs": [
            {"processing_time": 3, "due_date": 2, "weight": 2},
            {"processing_time": 2, "due_date": 4},
            {"processing_time": 1, "due_date": 9, "release_date": 0},
        ],
    },
    "rcpsp": {
        "kind": "rcpsp",
        "resources": [{"name": "R", "capacity": 1, "downtime": [{"start": 20, "end": 22}]}],
        "activities": [
            {"id": "a", "duration": 2, "demands": [1], "release": 0},
            {"id": "b", "duration": 3, "demands": [1], "deadline": 9},
        ],
        "precedences": [{"before": "a", "after": "b", "lag": 0}],
    },
    "pipeline": {
        "kind": "pipeline",
        "devices": 2,
        "microbatches": 1,
        "times": {"F": 1.0, "B": [1.0, 1.0], "W": [1.0, 1.0]},
        "comm": 0.0,
        "memory": {"F": 1.0, "B": -0.5, "W": -0.5, "limit": 4.0},
    },
    "placement": {
        "kind": "placement",
        "loads": [[4, 2]],
        "nodes": 1,
        "gpus_per_node": 2,
        "slots_per_gpu": 1,
        "traffic_weight": 0.0,
        "balance_tolerance": 0.0,
    },
}
SOLUTIONS: dict[str, dict[str, Any]] = {
    "tardiness": {"sequence": [0, 1, 2], "start": [0, 3, 5], "objective": 3},
    "rcpsp": {"start": [0, 2], "objective": 5},
    "pipeline": {
        "ops": [
            {"device": 0, "kind": "F", "stage": 0, "microbatch": 0, "start": 0},
            {"device": 1, "kind": "F", "stage": 1, "microbatch": 0, "start": 1},
            {"device": 1, "kind": "B", "stage": 1, "microbatch": 0, "start": 2},
            {"device": 1, "kind": "W", "stage": 1, "microbatch": 0, "start": 3},
            {"device": 0, "kind": "B", "stage": 0, "microbatch": 0, "start": 3},
            {"device": 0, "kind": "W", "stage": 0, "microbatch": 0, "start": 4},
        ],
        "objective": 5,
    },
    "placement": {"placement": [[[0], [1]]], "max_loads": [4], "objective": 4},
}
KINDS = tuple(INSTANCES)
REPLAYABLE = ("pipeline", "placement")
EXPORT = {"pipeline": "torch-csv", "placement": "eplb"}

FINITE = "Input should be a finite number"
INTEGER = "Input should be a valid integer"
NUMBER = "Input should be a valid number"
LOADS = "loads (layers x experts)"

# Bad numbers in instance files: (kind, path, value, expected text) ---------------------------
BAD_PROBLEM_NUMBERS: list[tuple[str, tuple[Any, ...], Any, str]] = [
    ("tardiness", ("jobs", 0, "processing_time"), True, f"{INTEGER}, got True"),
    ("tardiness", ("jobs", 0, "processing_time"), "3", f"{INTEGER}, got '3'"),
    ("tardiness", ("jobs", 0, "processing_time"), 3.5, f"{INTEGER}, got 3.5"),
    ("tardiness", ("jobs", 0, "processing_time"), NAN, f"{INTEGER}, got nan"),
    ("tardiness", ("jobs", 0, "processing_time"), 0, "greater than 0, got 0"),
    ("tardiness", ("jobs", 0, "processing_time"), BIG, "less than or equal to 9007199254740992"),
    ("tardiness", ("jobs", 1, "due_date"), -INF, f"{INTEGER}, got -inf"),
    ("tardiness", ("jobs", 1, "due_date"), -1, "greater than or equal to 0, got -1"),
    ("tardiness", ("jobs", 0, "weight"), False, f"{INTEGER}, got False"),
    ("tardiness", ("jobs", 2, "release_date"), "0", f"{INTEGER}, got '0'"),
    ("tardiness", ("jobs", 2, "release_date"), INF, f"{INTEGER}, got inf"),
    ("rcpsp", ("activities", 0, "duration"), True, f"{INTEGER}, got True"),
    ("rcpsp", ("activities", 0, "duration"), "2", f"{INTEGER}, got '2'"),
    ("rcpsp", ("activities", 0, "duration"), INF, f"{INTEGER}, got inf"),
    ("rcpsp", ("activities", 0, "duration"), 2.5, f"{INTEGER}, got 2.5"),
    ("rcpsp", ("activities", 0, "duration"), -1, "greater than or equal to 0"),
    ("rcpsp", ("activities", 0, "demands", 0), True, f"{INTEGER}, got True"),
    ("rcpsp", ("activities", 0, "release"), NAN, f"{INTEGER}, got nan"),
    ("rcpsp", ("activities", 1, "deadline"), "9", f"{INTEGER}, got '9'"),
    ("rcpsp", ("activities", 1, "deadline"), BIG, "less than or equal to 9007199254740992"),
    ("rcpsp", ("precedences", 0, "lag"), INF, f"{INTEGER}, got inf"),
    ("rcpsp", ("resources", 0, "capacity"), "1", f"{INTEGER}, got '1'"),
    ("rcpsp", ("resources", 0, "downtime", 0, "start"), NAN, f"{INTEGER}, got nan"),
    ("rcpsp", ("resources", 0, "downtime", 0, "end"), 2**60, "less than or equal to"),
    ("pipeline", ("devices",), "4", f"{INTEGER}, got '4'"),
    ("pipeline", ("devices",), True, f"{INTEGER}, got True"),
    ("pipeline", ("devices",), 2.0, f"{INTEGER}, got 2.0"),
    ("pipeline", ("microbatches",), INF, f"{INTEGER}, got inf"),
    ("pipeline", ("times", "F"), NAN, f"{FINITE}, got nan"),
    ("pipeline", ("times", "F"), INF, f"{FINITE}, got inf"),
    ("pipeline", ("times", "F"), True, f"{NUMBER}, got True"),
    ("pipeline", ("times", "F"), "1", f"{NUMBER}, got '1'"),
    ("pipeline", ("times", "F"), -1.0, "greater than 0, got -1.0"),
    ("pipeline", ("times", "B", 1), INF, f"{FINITE}, got inf"),
    ("pipeline", ("times", "W", 1), "x", f"{NUMBER}, got 'x'"),
    ("pipeline", ("comm",), INF, f"{FINITE}, got inf"),
    ("pipeline", ("comm",), NAN, f"{FINITE}, got nan"),
    ("pipeline", ("comm",), "0", f"{NUMBER}, got '0'"),
    ("pipeline", ("memory", "limit"), INF, f"{FINITE}, got inf"),
    ("pipeline", ("memory", "limit"), NAN, f"{FINITE}, got nan"),
    ("pipeline", ("memory", "B"), NAN, f"{FINITE}, got nan"),
    ("pipeline", ("memory", "F"), -INF, f"{FINITE}, got -inf"),
    ("placement", ("loads",), [[NAN, 2]], f"{LOADS} must be finite, non-negative and at most 2^53"),
    ("placement", ("loads",), [[INF, 2]], f"{LOADS} must be finite, non-negative and at most 2^53"),
    (
        "placement",
        ("loads",),
        [[1e300, 2]],
        f"{LOADS} must be finite, non-negative and at most 2^53",
    ),
    ("placement", ("loads",), [[-1, 2]], f"{LOADS} must be finite, non-negative and at most 2^53"),
    ("placement", ("loads",), [[True, 2]], f"{LOADS} must hold numbers only, found a boolean"),
    ("placement", ("loads",), [["4", 2]], f"{LOADS} must hold numbers only, found a string"),
    ("placement", ("loads",), [[4, 2], [1]], f"{LOADS} must be a 2-D numeric array (ragged"),
    ("placement", ("loads",), 7, f"{LOADS} must be a 2-D array of numbers or a file name"),
    ("placement", ("gpus_per_node",), "2", f"{INTEGER}, got '2'"),
    ("placement", ("slots_per_gpu",), True, f"{INTEGER}, got True"),
    ("placement", ("nodes",), 1.5, f"{INTEGER}, got 1.5"),
    ("placement", ("traffic_weight",), INF, f"{FINITE}, got inf"),
    ("placement", ("traffic_weight",), "1", f"{NUMBER}, got '1'"),
    ("placement", ("balance_tolerance",), NAN, f"{FINITE}, got nan"),
]


def _full(text: str) -> str:
    return f"Input should be {text}" if text.startswith(("greater", "less")) else text


def bad_problem_cases() -> Iterator[Case]:
    """Every bad number through `solve` (YAML), some through JSON and the other commands."""
    for i, (kind, path, value, text) in enumerate(BAD_PROBLEM_NUMBERS):
        data = put(INSTANCES[kind], path, value)
        message = f"{dotted(path)}: {_full(text)}"
        group = 5 if isinstance(value, bool | str) else 4 if value in (INF, -INF) else 5
        yield Case(
            f"{kind}-number-{i}-solve",
            ("solve", "{d}/x.yaml", "-t", "1"),
            2,
            message,
            {"x.yaml": yml(data)},
            group,
        )
        if i % 3 == 0:
            yield Case(
                f"{kind}-number-{i}-json",
                ("info", "{d}/x.json"),
                2,
                message,
                {"x.json": jsn(data)},
                group,
            )
    # each kind's first two bad numbers through every command that loads an instance
    for kind in KINDS:
        rows = [r for r in BAD_PROBLEM_NUMBERS if r[0] == kind][:2]
        for j, (_, path, value, text) in enumerate(rows):
            files = {
                "x.yaml": yml(put(INSTANCES[kind], path, value)),
                "s.json": jsn(SOLUTIONS[kind]),
            }
            message = f"{dotted(path)}: {_full(text)}"
            commands: list[tuple[str, ...]] = [
                ("info", "{d}/x.yaml"),
                ("convert", "{d}/x.yaml"),
                ("validate", "{d}/x.yaml", "{d}/s.json"),
                ("plot", "{d}/x.yaml", "{d}/s.json", "-o", "{d}/p.png"),
            ]
            if kind in EXPORT:
                commands.append(("export", "{d}/x.yaml", "{d}/s.json", "-f", EXPORT[kind]))
                commands.append(("replay", "{d}/x.yaml", "{d}/s.json", "--device", "cpu"))
            for argv in commands:
                yield Case(f"{kind}-number-{j}-{argv[0]}", argv, 2, message, files, 5)


# Ranges that make the arithmetic exact, and their refusals ----------------------------------
def range_cases() -> Iterator[Case]:
    huge = {
        "kind": "tardiness",
        "jobs": [
            {"processing_time": 10**15, "due_date": 0, "weight": 10**15},
            {"processing_time": 10**15, "due_date": 0, "weight": 10**15},
        ],
    }
    yield Case(
        "tardiness-weighted-1e15-refused",
        ("solve", "{d}/x.yaml"),
        2,
        "jobs: sum(weight) x (max release_date + sum(processing_time)) = 4e+30 exceeds 2^53",
        {"x.yaml": yml(huge)},
        3,
    )
    near = put(huge, ("jobs", 0, "processing_time"), 10**18)
    yield Case(
        "tardiness-1e18-refused",
        ("solve", "{d}/x.yaml"),
        2,
        "jobs[0].processing_time: Input should be less than or equal to 9007199254740992",
        {"x.yaml": yml(near)},
        3,
    )
    chain = {
        "kind": "rcpsp",
        "activities": [{"id": "a", "duration": 6 * 10**8}, {"id": "b", "duration": 6 * 10**8}],
        "precedences": [{"before": "a", "after": "b"}],
    }
    for backend in ("auto", "heuristic", "cpsat"):
        yield Case(
            f"rcpsp-chain-6e8-{backend}",
            ("solve", "{d}/x.yaml", "-b", backend, "-t", "2"),
            0,
            "1200000000",
            {"x.yaml": yml(chain)},
            3,
        )
    wide = put(chain, ("activities", 0, "duration"), 2**52 + 1)
    wide = put(wide, ("activities", 1, "duration"), 2**52)
    yield Case(
        "rcpsp-horizon-over-2^53-refused",
        ("info", "{d}/x.yaml"),
        2,
        "the serial horizon (latest release or downtime end + every duration + every lag) is "
        "9.01e+15, above 2^53",
        {"x.yaml": yml(wide)},
        3,
    )
    slow = put(INSTANCES["pipeline"], ("times", "F"), 1e12)
    yield Case(
        "pipeline-serial-time-refused",
        ("info", "{d}/x.yaml"),
        2,
        "every op and communication one after another takes 2e+12, above 1e+12",
        {"x.yaml": yml(slow)},
        3,
    )
    replan = {**INSTANCES["placement"], "previous": [[[0], [1]]], "move_cost": INF}
    yield Case(
        "placement-move-cost-inf",
        ("solve", "{d}/x.yaml", "--json"),
        2,
        f"move_cost: {FINITE}, got inf",
        {"x.yaml": yml(replan)},
        3,
    )
    yield Case(
        "placement-move-cost-1e12",
        ("solve", "{d}/x.yaml"),
        2,
        "move_cost: Input should be less than or equal to 1000000000",
        {"x.yaml": yml({**replan, "move_cost": 1e12})},
        3,
    )
    for kind in KINDS:
        yield Case(
            f"{kind}-time-limit-0-answers",
            ("solve", "{d}/x.yaml", "-t", "0"),
            0,
            "valid yes",
            {"x.yaml": yml(INSTANCES[kind])},
            3,
        )


# Solutions: numbers, shapes and claims -------------------------------------------------------
# (kind, mutated solution, exit code of `validate`, expected text)
SOLUTION_CASES: list[tuple[str, str, dict[str, Any], int, str]] = [
    ("tardiness", "nan-objective", {"objective": NAN}, 2, f"objective: {FINITE}, got nan"),
    ("tardiness", "inf-objective", {"objective": INF}, 2, f"objective: {FINITE}, got inf"),
    ("tardiness", "string-objective", {"objective": "3"}, 2, f"objective: {NUMBER}, got '3'"),
    ("tardiness", "bool-in-sequence", {"sequence": [0, 1, True]}, 2, f"{INTEGER}, got True"),
    ("tardiness", "float-in-sequence", {"sequence": [0, 1, 2.0]}, 2, f"{INTEGER}, got 2.0"),
    ("tardiness", "nan-start", {"start": [0, NAN, 5]}, 2, f"start[1]: {INTEGER}, got nan"),
    ("tardiness", "short-start", {"start": [0, 3]}, 1, "bad_start: 2 start times for 3"),
    ("tardiness", "missing-job", {"sequence": [0, 1], "start": None}, 1, "missing_job: job 2"),
    ("tardiness", "unknown-job", {"sequence": [0, 1, 7], "start": None}, 1, "unknown_job"),
    ("tardiness", "wrong-claim", {"objective": 2}, 1, "objective_mismatch: claimed objective 2"),
    ("rcpsp", "nan-start", {"start": [0, NAN]}, 2, f"start[1]: {INTEGER}, got nan"),
    ("rcpsp", "string-start", {"start": [0, "2"]}, 2, f"start[1]: {INTEGER}, got '2'"),
    ("rcpsp", "float-start", {"start": [0, 2.5]}, 2, f"start[1]: {INTEGER}, got 2.5"),
    ("rcpsp", "inf-objective", {"objective": INF}, 2, f"objective: {FINITE}, got inf"),
    ("rcpsp", "short", {"start": [0]}, 1, "bad_length: 1 start times for 2 activities"),
    ("rcpsp", "precedence", {"start": [0, 1]}, 1, "precedence: activity b starts at 1"),
    ("rcpsp", "deadline", {"start": [0, 8]}, 1, "deadline: activity b finishes at 11"),
    ("rcpsp", "wrong-claim", {"objective": 4}, 1, "objective_mismatch"),
    ("pipeline", "nan-start", {"ops": [{"start": NAN}]}, 2, f"ops[0].start: {FINITE}, got nan"),
    ("pipeline", "inf-start", {"ops": [{"start": INF}]}, 2, f"ops[0].start: {FINITE}, got inf"),
    ("pipeline", "string-start", {"ops": [{"start": "0"}]}, 2, f"ops[0].start: {NUMBER}"),
    ("pipeline", "bool-device", {"ops": [{"device": False}]}, 2, f"ops[0].device: {INTEGER}"),
    ("pipeline", "float-stage", {"ops": [{"stage": 0.5}]}, 2, f"ops[0].stage: {INTEGER}"),
    ("pipeline", "nan-objective", {"objective": NAN}, 2, f"objective: {FINITE}, got nan"),
    ("pipeline", "wrong-device", {"ops": [{"device": 1}]}, 1, "wrong_device: F(stage 0, mb 0)"),
    ("pipeline", "early", {"ops": [{}, {"start": 0.5}]}, 1, "dependency: F(stage 1, mb 0)"),
    ("pipeline", "wrong-claim", {"objective": 4}, 1, "objective_mismatch"),
    ("placement", "bool-expert", {"placement": [[[0], [True]]]}, 2, f"{INTEGER}, got True"),
    ("placement", "string-expert", {"placement": [[["0"], [1]]]}, 2, f"{INTEGER}, got '0'"),
    ("placement", "nan-max-load", {"max_loads": [NAN]}, 2, f"max_loads[0]: {FINITE}, got nan"),
    ("placement", "inf-objective", {"objective": INF}, 2, f"objective: {FINITE}, got inf"),
    ("placement", "nan-tokens", {"tokens": [[[NAN], [2]]]}, 2, f"{FINITE}, got nan"),
    ("placement", "bool-replicas", {"replicas": [[1, True]]}, 2, f"{INTEGER}, got True"),
    ("placement", "max-loads-length", {"max_loads": [4, 4]}, 1, "load_mismatch: 2 claimed"),
    ("placement", "max-loads-wrong", {"max_loads": [3]}, 1, "load_mismatch: layer 0: claimed"),
    ("placement", "even-tokens-wrong", {"tokens": [[[3], [3]]]}, 1, "bad_split: layer 0 GPU 0"),
    ("placement", "tokens-shape", {"tokens": [[[3, 1], [3]]]}, 1, "bad_split: layer 0: tokens"),
    ("placement", "tokens-layers", {"tokens": []}, 1, "bad_split: tokens lists 0 layers"),
    ("placement", "gpu-count", {"placement": [[[0]]]}, 1, "gpu_count: layer 0: 1 GPUs"),
    ("placement", "layer-count", {"placement": [[[0], [1]]] * 2}, 1, "layer_count: 2 layers"),
    ("placement", "underfill", {"placement": [[[0, 1], []]]}, 1, "slot_overflow: layer 0 GPU 0"),
    ("placement", "unknown-expert", {"placement": [[[0], [5]]]}, 1, "unknown_expert"),
    ("placement", "wrong-replicas", {"replicas": [[2, 0]]}, 1, "wrong_replica_count"),
    ("placement", "wrong-claim", {"objective": 3}, 1, "objective_mismatch"),
]


def mutate_solution(kind: str, change: dict[str, Any]) -> dict[str, Any]:
    """The valid solution of `kind` with `change` applied (`ops` changes patch op by op)."""
    sol = copy.deepcopy(SOLUTIONS[kind])
    for key, value in change.items():
        if key == "ops":
            for op, patch in zip(sol["ops"], value, strict=False):
                op.update(patch)
        elif value is None:
            sol.pop(key, None)
        else:
            sol[key] = value
    if "objective" not in change:
        sol.pop("objective", None)
    if kind == "placement" and "max_loads" not in change:
        sol.pop("max_loads", None)
    return sol


def solution_cases() -> Iterator[Case]:
    """`validate` with each bad solution, then `export`, `plot` and `replay`, which refuse it."""
    for kind, name, change, code, text in SOLUTION_CASES:
        files = {"x.yaml": yml(INSTANCES[kind]), "s.json": jsn(mutate_solution(kind, change))}
        yield Case(
            f"{kind}-solution-{name}-validate",
            ("validate", "{d}/x.yaml", "{d}/s.json"),
            code,
            text,
            files,
            1,
        )
        refused = text if code == 2 else f"the solution is invalid: {text}"
        users: list[tuple[str, ...]] = [("plot", "{d}/x.yaml", "{d}/s.json", "-o", "{d}/p.svg")]
        if kind in EXPORT:
            users.append(("export", "{d}/x.yaml", "{d}/s.json", "-f", EXPORT[kind]))
            users.append(("replay", "{d}/x.yaml", "{d}/s.json", "--device", "cpu"))
        for argv in users:
            yield Case(f"{kind}-solution-{name}-{argv[0]}", argv, 2, refused, files, 1)
    free = {**INSTANCES["placement"], "split": "free"}
    for name, tokens, code, text in [
        ("free-nan", [[[NAN], [2]]], 2, f"{FINITE}, got nan"),
        ("free-inf", [[[INF], [2]]], 2, f"{FINITE}, got inf"),
        ("free-negative", [[[-1], [2]]], 1, "bad_split: layer 0 GPU 0: negative tokens -1"),
        ("free-lost", [[[3], [2]]], 1, "bad_split: layer 0: expert 0 routes 3 != 4"),
        ("free-shape", [[[4, 0], [2]]], 1, "bad_split: layer 0: tokens do not match"),
        ("free-ok", [[[4], [2]]], 0, "valid: objective 4"),
    ]:
        sol = {"placement": [[[0], [1]]], "tokens": tokens}
        yield Case(
            f"placement-split-{name}",
            ("validate", "{d}/x.yaml", "{d}/s.json"),
            code,
            text,
            {"x.yaml": yml(free), "s.json": jsn(sol)},
            1,
        )
    even = {"placement": [[[0], [1]]], "tokens": [[[4], [2]]], "max_loads": [4]}
    yield Case(
        "placement-even-tokens-right",
        ("validate", "{d}/x.yaml", "{d}/s.json"),
        0,
        "valid: objective 4",
        {"x.yaml": yml(INSTANCES["placement"]), "s.json": jsn(even)},
        1,
    )
    for kind in KINDS:
        files = {"x.yaml": yml(INSTANCES[kind]), "s.json": jsn(SOLUTIONS[kind])}
        yield Case(
            f"{kind}-solution-valid",
            ("validate", "{d}/x.yaml", "{d}/s.json"),
            0,
            "valid: objective",
            files,
            1,
        )
        yield Case(
            f"{kind}-solution-not-an-object",
            ("validate", "{d}/x.yaml", "{d}/s.json"),
            2,
            "expected a JSON object",
            {**files, "s.json": "[1, 2]"},
            4,
        )
        yield Case(
            f"{kind}-solution-not-json",
            ("validate", "{d}/x.yaml", "{d}/s.json"),
            2,
            "not valid JSON",
            {**files, "s.json": "{'start': [0]}"},
            4,
        )


# Loading: suffixes, formats, nesting, aliases ------------------------------------------------
WT2 = "1 2 3 4 5 6\n"
PSPLIB = """************************************************************************
projects                      :  1
jobs (incl. supersource/sink ):  {jobs}
horizon                       :  20
RESOURCES
  - renewable                 :  1   R
  - nonrenewable              :  0   N
************************************************************************
PRECEDENCE RELATIONS:
jobnr.    #modes  #successors   successors
{prec}************************************************************************
REQUESTS/DURATIONS:
jobnr. mode duration  R 1
------------------------------------------------------------------------
   1      1     0       0
   2      1     3       1
   3      1     0       0
************************************************************************
RESOURCEAVAILABILITIES:
  R 1
    2
************************************************************************
"""
PREC = "   1        1          1           2\n   2        1          1           3\n"
PREC += "   3        1          0\n"
ALIAS_BOMB = "kind: tardiness\n" + "".join(
    f"{a}: &{a} [{', '.join([f'*{b}'] * 9) if b else ', '.join(['1'] * 9)}]\n"
    for a, b in zip("abcdefghi", ["", *"abcdefgh"], strict=True)
)


def loading_cases() -> Iterator[Case]:
    tard = {"x.yaml": yml(INSTANCES["tardiness"]), "wt2.txt": WT2}
    for suffix, text in [
        ("²", "instance index '²' is not a positive integer"),
        ("٣", "instance index '٣' is not a positive integer"),
        ("0", "instance index '0' is not a positive integer"),
        ("-1", "instance index '-1' is not a positive integer"),
        ("1.5", "instance index '1.5' is not a positive integer"),
        ("", "instance index '' is not a positive integer"),
        ("2", "instance #2 is out of range: the file holds 1"),
    ]:
        yield Case(
            f"index-{text[:20]}-{suffix.encode().hex()}",
            ("solve", f"{{d}}/wt2.txt#{suffix}"),
            2,
            text,
            tard,
            4,
        )
    yield Case(
        "wt0", ("info", "{d}/wt0.txt"), 2, "the file name announces n = 0 jobs", {"wt0.txt": WT2}, 4
    )
    yield Case(
        "wt-zero-time",
        ("info", "{d}/wt2.txt#1"),
        2,
        "wt2.txt#1: jobs[0].processing_time: Input should be greater than 0, got 0",
        {"wt2.txt": "0 2 3 4 5 6\n"},
        5,
    )
    yield Case(
        "wt-token",
        ("info", "{d}/wt2.txt"),
        2,
        "token 3 is 'x', not an integer",
        {"wt2.txt": "1 2 x"},
        4,
    )
    deep = "[" * 5000 + "]" * 5000
    for name, body in [
        ("deep.yaml", f"kind: tardiness\nname: {deep}\n"),
        ("deep.json", f'{{"kind": "tardiness", "name": {deep}}}'),
    ]:
        yield Case(f"nesting-{name}", ("info", f"{{d}}/{name}"), 2, "cannot parse", {name: body}, 4)
    yield Case(
        "nesting-block-yaml",
        ("info", "{d}/deep.yaml"),
        2,
        "cannot parse",
        {
            "deep.yaml": "kind: tardiness\nname:\n"
            + "".join("  " * i + "-\n" for i in range(1, 3000))
        },
        4,
    )
    yield Case(
        "alias-bomb",
        ("solve", "{d}/bomb.yaml"),
        2,
        "YAML aliases expand to more than",
        {"bomb.yaml": ALIAS_BOMB},
        4,
    )
    yield Case(
        "alias-recursive",
        ("solve", "{d}/rec.yaml"),
        2,
        "nested deeper than 64 levels",
        {"rec.yaml": "kind: tardiness\njobs: &x [*x]\n"},
        4,
    )
    yield Case(
        "alias-small-ok",
        ("info", "{d}/ok.yaml"),
        0,
        "jobs",
        {"ok.yaml": "kind: tardiness\njobs: [&j {processing_time: 2, due_date: 1}, *j]\n"},
        4,
    )
    yield Case(
        "huge-int-yaml",
        ("info", "{d}/x.yaml"),
        2,
        "cannot parse",
        {"x.yaml": "kind: tardiness\njobs: [{processing_time: " + "9" * 5000 + ", due_date: 1}]\n"},
        4,
    )
    yield Case(
        "huge-int-json",
        ("info", "{d}/x.json"),
        2,
        "cannot parse",
        {"x.json": '{"kind": "tardiness", "jobs": [{"processing_time": ' + "9" * 5000 + "}]}"},
        4,
    )
    yield Case("empty-file", ("info", "{d}/x.yaml"), 2, "file is empty", {"x.yaml": "\n"}, 4)
    yield Case(
        "top-level-list",
        ("info", "{d}/x.yaml"),
        2,
        "expected a mapping at the top, got list",
        {"x.yaml": "- 1\n"},
        4,
    )
    yield Case(
        "binary", ("info", "{d}/x.yaml"), 2, "not UTF-8 text", {"x.yaml": b"kind: \xff\xfe\n"}, 4
    )
    yield Case("directory", ("info", "{d}"), 2, "is a directory, not an instance file", {}, 4)
    yield Case("missing", ("info", "{d}/nothing.yaml"), 2, "no such file", {}, 4)
    yield Case(
        "unknown-kind",
        ("info", "{d}/x.yaml"),
        2,
        "unknown kind 'tardyness'",
        {"x.yaml": "kind: tardyness\n"},
        4,
    )
    yield Case(
        "kind-not-string", ("info", "{d}/x.yaml"), 2, "unknown kind '3'", {"x.yaml": "kind: 3\n"}, 4
    )
    loads_file = {**INSTANCES["placement"], "loads": "loads.json"}
    for name, content, text in [
        ("object", '{"layer0": [4, 2]}', "got an object with keys ['layer0']"),
        ("string", '"4, 2"', "expected a JSON array of numbers, got a string"),
        ("bool", "[[4, true]]", "must hold numbers only, found a boolean"),
        ("nan", "[[4, NaN]]", "must be finite, non-negative and at most 2^53"),
        ("bad", "[[4, 2]", "cannot read"),
        ("deep", "[" * 5000 + "]" * 5000, "cannot read"),
    ]:
        yield Case(
            f"loads-json-{name}",
            ("solve", "{d}/x.yaml"),
            2,
            text,
            {"x.yaml": yml(loads_file), "loads.json": content},
            4,
        )
    yield Case(
        "loads-missing-file",
        ("solve", "{d}/x.yaml"),
        2,
        "loads: load file",
        {"x.yaml": yml({**loads_file, "loads": "nothere.csv"})},
        4,
    )
    yield Case(
        "loads-csv-text",
        ("solve", "{d}/x.yaml"),
        2,
        "loads: cannot read",
        {"x.yaml": yml({**loads_file, "loads": "l.csv"}), "l.csv": "4,x\n"},
        4,
    )
    yield Case(
        "psplib-ok",
        ("info", "{d}/x.sm"),
        0,
        "activities",
        {"x.sm": PSPLIB.format(jobs=3, prec=PREC)},
        5,
    )
    yield Case(
        "psplib-header-count",
        ("info", "{d}/x.sm"),
        2,
        "the header announces 5 jobs but REQUESTS/DURATIONS lists 3",
        {"x.sm": PSPLIB.format(jobs=5, prec=PREC)},
        5,
    )
    yield Case(
        "psplib-missing-row",
        ("info", "{d}/x.sm"),
        2,
        "PRECEDENCE RELATIONS has no row for job 3",
        {"x.sm": PSPLIB.format(jobs=3, prec=PREC.rsplit("   3", 1)[0])},
        5,
    )
    yield Case(
        "psplib-twice",
        ("info", "{d}/x.sm"),
        2,
        "PRECEDENCE RELATIONS has two rows for job 3",
        {"x.sm": PSPLIB.format(jobs=3, prec=PREC + "   3        1          0\n")},
        5,
    )
    yield Case(
        "psplib-unknown-successor",
        ("info", "{d}/x.sm"),
        2,
        "job 2 has successor 9, which is not a job",
        {"x.sm": PSPLIB.format(jobs=3, prec=PREC.replace("1           3", "1           9"))},
        5,
    )
    yield Case(
        "psplib-bad-count",
        ("info", "{d}/x.sm"),
        2,
        "the header announces ³ jobs",
        {"x.sm": PSPLIB.format(jobs="³", prec=PREC)},
        5,
    )


# Files the commands write --------------------------------------------------------------------
def output_cases() -> Iterator[Case]:
    base = {
        "t.yaml": yml(INSTANCES["tardiness"]),
        "t.json": jsn(SOLUTIONS["tardiness"]),
        "p.yaml": yml(INSTANCES["pipeline"]),
        "p.json": jsn(SOLUTIONS["pipeline"]),
        "m.yaml": yml(INSTANCES["placement"]),
        "m.json": jsn(SOLUTIONS["placement"]),
        "file": "a file, not a folder\n",
    }
    writers: list[tuple[str, tuple[str, ...], str]] = [
        ("solve", ("solve", "{d}/t.yaml", "-t", "1", "--out"), "--out"),
        ("solve-o", ("solve", "{d}/t.yaml", "-t", "1", "-o"), "--out"),
        ("convert", ("convert", "{d}/t.yaml", "-o"), "--output"),
        (
            "export-pipeline",
            ("export", "{d}/p.yaml", "{d}/p.json", "-f", "torch-csv", "-o"),
            "--output",
        ),
        (
            "export-placement",
            ("export", "{d}/m.yaml", "{d}/m.json", "-f", "eplb", "-o"),
            "--output",
        ),
        ("plot", ("plot", "{d}/t.yaml", "{d}/t.json", "-o"), "--output"),
        ("generate-tardiness", ("generate", "tardiness", "--n", "5", "-o"), "--out"),
        ("generate-rcpsp", ("generate", "rcpsp", "--n", "4", "-o"), "--out"),
        ("generate-placement", ("generate", "placement", "--experts", "8", "-o"), "--out"),
        ("profile", ("profile", "--devices", "1", "-o"), "--output"),
    ]
    for name, argv, option in writers:
        yield Case(
            f"out-missing-folder-{name}",
            (*argv, "{d}/nodir/x.out"),
            2,
            f"{option} ",
            base,
            4,
        )
        yield Case(
            f"out-is-dir-{name}", (*argv, "{d}"), 2, "is a directory; give a file name", base, 4
        )
        yield Case(
            f"out-parent-is-file-{name}",
            (*argv, "{d}/file/x.out"),
            2,
            "is a file, not a folder",
            base,
            4,
        )
    yield Case(
        "out-missing-folder-text",
        ("solve", "{d}/t.yaml", "--out", "{d}/nodir/s.json"),
        2,
        "the folder",
        base,
        4,
    )
    yield Case(
        "report-out-missing",
        ("report", "--db", "{d}/r.db", "-o", "{d}/no/r.md"),
        2,
        "does not exist",
        base,
        4,
    )
    yield Case(
        "report-csv-missing",
        ("report", "--db", "{d}/r.db", "--csv", "{d}/no/r.csv"),
        2,
        "does not exist",
        base,
        4,
    )
    yield Case(
        "bench-db-missing-folder",
        ("bench", "{d}/t.yaml", "--db", "{d}/no/r.db"),
        2,
        "--db",
        base,
        4,
    )
    yield Case(
        "bench-db-is-dir", ("bench", "{d}/t.yaml", "--db", "{d}"), 2, "is a directory", base, 4
    )
    yield Case(
        "convert-json",
        ("convert", "{d}/t.yaml", "-o", "{d}/back.json"),
        0,
        "wrote",
        base,
        5,
    )


# Generator options ---------------------------------------------------------------------------
GENERATE: list[tuple[str, tuple[str, ...], str]] = [
    ("tardiness", ("--n", "0"), "--n: Input should be greater than 0, got 0"),
    ("tardiness", ("--n", "-5"), "--n: Input should be greater than 0, got -5"),
    ("tardiness", ("--n", "2000000"), "--n: Input should be less than or equal to 1000000"),
    ("tardiness", ("--tf", "1.5"), "--tf: Input should be less than or equal to 1"),
    ("tardiness", ("--tf", "-0.1"), "--tf: Input should be greater than or equal to 0"),
    ("tardiness", ("--tf", "nan"), f"--tf: {FINITE}, got nan"),
    ("tardiness", ("--rdd", "inf"), f"--rdd: {FINITE}, got inf"),
    ("tardiness", ("--rdd", "-1"), "--rdd: Input should be greater than or equal to 0"),
    ("tardiness", ("--seed", "-1"), "--seed: Input should be greater than or equal to 0"),
    ("rcpsp", ("--n", "0"), "--n: Input should be greater than 0, got 0"),
    ("rcpsp", ("--n", "100000"), "--n: Input should be less than or equal to 2000"),
    ("rcpsp", ("--resources", "0"), "--resources: Input should be greater than 0"),
    ("rcpsp", ("-m", "1000"), "--resources: Input should be less than or equal to 64"),
    ("rcpsp", ("--disjunctive", "-1"), "--disjunctive: Input should be greater than or equal"),
    ("rcpsp", ("--seed", "-3"), "--seed: Input should be greater than or equal to 0"),
    ("placement", ("--experts", "0"), "--experts: Input should be greater than 0"),
    ("placement", ("--layers", "0"), "--layers: Input should be greater than 0"),
    ("placement", ("--layers", "99999"), "--layers: Input should be less than or equal to 4096"),
    ("placement", ("--redundant", "-8"), "--redundant: Input should be greater than or equal"),
    ("placement", ("--nodes", "0"), "--nodes: Input should be greater than 0"),
    ("placement", ("--gpus-per-node", "0"), "--gpus-per-node: Input should be greater than 0"),
    ("placement", ("--groups", "-1"), "--groups: Input should be greater than or equal to 0"),
    ("placement", ("--groups", "3"), "--groups 3 must divide the 64 experts"),
    ("placement", ("--experts", "10"), "--experts + --redundant = 10 must be a multiple"),
    ("placement", ("--dist", "pareto"), "--dist: Input should be 'lognormal', 'zipf'"),
    ("placement", ("--skew", "nan"), f"--skew: {FINITE}, got nan"),
    ("placement", ("--skew", "1000"), "--skew: Input should be less than or equal to 10"),
    ("placement", ("--skew", "-1"), "--skew: Input should be greater than or equal to 0"),
    ("placement", ("--traffic-weight", "inf"), f"--traffic-weight: {FINITE}, got inf"),
    ("placement", ("--traffic-weight", "-2"), "--traffic-weight: Input should be greater than"),
    ("placement", ("--seed", "-1"), "--seed: Input should be greater than or equal to 0"),
    (
        "placement",
        ("--experts", "4096", "--layers", "8", "--traffic-weight", "1"),
        "the instance would hold 1.17e+08",
    ),
    (
        "placement",
        ("--nodes", "2", "--groups", "1", "--experts", "64", "--gpus-per-node", "1"),
        "cannot be kept node-local",
    ),
]


def generate_cases() -> Iterator[Case]:
    for i, (kind, args, text) in enumerate(GENERATE):
        yield Case(
            f"generate-{kind}-{i}",
            ("generate", kind, *args, "-o", "{d}/g.yaml"),
            2,
            text,
            {},
            4,
        )
    for kind, args in [
        ("tardiness", ("--n", "1")),
        ("rcpsp", ("--n", "1", "--disjunctive", "3")),
        ("rcpsp", ("--n", "2", "-m", "1", "--infeasible")),
        (
            "placement",
            ("--experts", "2", "--layers", "1", "--gpus-per-node", "1", "--redundant", "1"),
        ),
        ("placement", ("--skew", "10", "--dist", "zipf", "--experts", "16", "--redundant", "0")),
        ("placement", ("--skew", "10", "--experts", "16", "--traffic-weight", "1")),
    ]:
        yield Case(
            f"generate-{kind}-edge-{'_'.join(args)}",
            ("generate", kind, *args, "-o", "{d}/g.yaml"),
            0,
            "wrote",
            {},
            5,
        )


# Exit codes and command checks ---------------------------------------------------------------
def command_cases() -> Iterator[Case]:
    files = {k[0] + ".yaml": yml(v) for k, v in INSTANCES.items()}
    files |= {k[0] + ".json": jsn(v) for k, v in SOLUTIONS.items()}
    files |= {"empty/.keep": "", "other.db": b"", "text.db": "not a database\n"}
    files |= {"demo/t.yaml": yml(INSTANCES["tardiness"]), "rk.json": jsn({"kind": "rcpsp"})}
    # "t" tardiness, "r" rcpsp, "p" pipeline, "m" placement ("p" is taken)
    files["m.yaml"], files["m.json"] = yml(INSTANCES["placement"]), jsn(SOLUTIONS["placement"])
    files["p.yaml"], files["p.json"] = yml(INSTANCES["pipeline"]), jsn(SOLUTIONS["pipeline"])
    cases = [
        ("replay-rcpsp", ("replay", "{d}/r.yaml", "{d}/r.json"), 2, "no replay for rcpsp", False),
        (
            "replay-tardiness",
            ("replay", "{d}/t.yaml", "{d}/t.json"),
            2,
            "no replay for tardiness",
            False,
        ),
        (
            "replay-tpu",
            ("replay", "{d}/p.yaml", "{d}/p.json", "--device", "tpu"),
            2,
            "unknown device 'tpu'",
            False,
        ),
        (
            "replay-tpu-placement",
            ("replay", "{d}/m.yaml", "{d}/m.json", "--device", "tpu"),
            2,
            "unknown device 'tpu'",
            False,
        ),
        ("profile-tpu", ("profile", "--device", "tpu"), 2, "unknown device 'tpu'", False),
        (
            "replay-hidden-0",
            ("replay", "{d}/p.yaml", "{d}/p.json", "--hidden", "0"),
            2,
            "'--hidden'",
            True,
        ),
        (
            "replay-hidden-neg",
            ("replay", "{d}/p.yaml", "{d}/p.json", "--hidden", "-4"),
            2,
            "'--hidden'",
            True,
        ),
        (
            "replay-placement-hidden-0",
            ("replay", "{d}/m.yaml", "{d}/m.json", "--hidden", "0"),
            2,
            "'--hidden'",
            True,
        ),
        ("replay-seq-0", ("replay", "{d}/p.yaml", "{d}/p.json", "--seq", "0"), 2, "'--seq'", True),
        (
            "replay-batch-neg",
            ("replay", "{d}/p.yaml", "{d}/p.json", "--batch", "-1"),
            2,
            "'--batch'",
            True,
        ),
        (
            "replay-iters-0",
            ("replay", "{d}/p.yaml", "{d}/p.json", "--iters", "0"),
            2,
            "'--iters'",
            True,
        ),
        (
            "replay-runtime",
            ("replay", "{d}/p.yaml", "{d}/p.json", "--runtime", "megatron"),
            2,
            "unknown runtime 'megatron'",
            False,
        ),
        ("profile-hidden-0", ("profile", "--hidden", "0"), 2, "'--hidden'", True),
        (
            "bench-backend",
            ("bench", "{d}/t.yaml", "-b", "nosuch", "--db", "{d}/b.db"),
            2,
            "unknown backend 'nosuch'",
            False,
        ),
        (
            "bench-backend-kind",
            ("bench", "{d}/r.yaml", "-b", "lawler", "--db", "{d}/b.db"),
            2,
            "backend 'lawler' does not solve rcpsp",
            False,
        ),
        (
            "bench-t-neg",
            ("bench", "{d}/t.yaml", "-t", "-1", "--db", "{d}/b.db"),
            2,
            "time limit -1.0 is not a finite number",
            False,
        ),
        (
            "bench-t-inf",
            ("bench", "{d}/t.yaml", "-t", "inf", "--db", "{d}/b.db"),
            2,
            "time limit inf is not a finite number",
            False,
        ),
        (
            "bench-t-nan",
            ("bench", "{d}/t.yaml", "-t", "nan", "--db", "{d}/b.db"),
            2,
            "time limit nan is not a finite number",
            False,
        ),
        (
            "bench-empty-folder",
            ("bench", "{d}/empty", "--db", "{d}/b.db"),
            2,
            "no instance files found",
            False,
        ),
        (
            "bench-no-match",
            ("bench", "{d}/*.nothing", "--db", "{d}/b.db"),
            2,
            "no such file, folder or glob match",
            False,
        ),
        (
            "bench-executor",
            ("bench", "{d}/t.yaml", "--executor", "slurm", "--db", "{d}/b.db"),
            2,
            "unknown executor 'slurm'",
            False,
        ),
        ("bench-jobs-0", ("bench", "{d}/t.yaml", "-j", "0"), 2, "'--jobs'", True),
        (
            "bench-foreign-db",
            ("bench", "{d}/t.yaml", "--db", "{d}/text.db"),
            2,
            "not a bench database",
            False,
        ),
        (
            "report-foreign-db",
            ("report", "--db", "{d}/text.db"),
            2,
            "not a bench database: file is not a database",
            False,
        ),
        (
            "report-empty-db",
            ("report", "--db", "{d}/other.db"),
            2,
            "an empty database: no bench rows",
            False,
        ),
        (
            "report-missing-db",
            ("report", "--db", "{d}/none.db"),
            2,
            "no such bench database",
            False,
        ),
        ("report-db-is-dir", ("report", "--db", "{d}"), 2, "no such bench database", False),
        ("solve-t-inf", ("solve", "{d}/t.yaml", "-t", "inf"), 2, "time_limit", False),
        ("solve-t-nan", ("solve", "{d}/t.yaml", "-t", "nan"), 2, "'--time-limit'", True),
        ("solve-t-neg", ("solve", "{d}/t.yaml", "-t", "-1"), 2, "'--time-limit'", True),
        ("solve-t-text", ("solve", "{d}/t.yaml", "-t", "fast"), 2, "'--time-limit'", True),
        ("solve-threads-0", ("solve", "{d}/t.yaml", "--threads", "0"), 2, "'--threads'", True),
        ("solve-backend", ("solve", "{d}/t.yaml", "-b", "nosuch"), 2, "nosuch", False),
        (
            "solve-param-form",
            ("solve", "{d}/t.yaml", "-p", "novalue"),
            2,
            "is not KEY=VALUE",
            False,
        ),
        (
            "solve-param-cpsat",
            ("solve", "{d}/t.yaml", "-b", "cpsat", "-p", "cpsat.no_such_field=3"),
            2,
            "no_such_field",
            False,
        ),
        (
            "solve-param-unknown",
            ("solve", "{d}/t.yaml", "-p", "no_such_key=1"),
            2,
            "no_such_key",
            False,
        ),
        ("demo-t-inf", ("demo", "{d}/demo", "-t", "inf"), 2, "time_limit", False),
        ("demo-empty", ("demo", "{d}/empty"), 2, "no instance files (*.yaml, *.json) found", False),
        (
            "export-format",
            ("export", "{d}/p.yaml", "{d}/p.json", "-f", "eplb"),
            2,
            "no export format 'eplb' for kind 'pipeline'",
            False,
        ),
        (
            "export-rcpsp",
            ("export", "{d}/r.yaml", "{d}/r.json", "-f", "torch-csv"),
            2,
            "no export format",
            False,
        ),
        (
            "plot-suffix",
            ("plot", "{d}/t.yaml", "{d}/t.json", "-o", "{d}/x.txt"),
            2,
            "use one of",
            False,
        ),
        (
            "validate-kind",
            ("validate", "{d}/t.yaml", "{d}/rk.json"),
            2,
            "kind: solution is for kind 'rcpsp' but the instance is 'tardiness'",
            False,
        ),
    ]
    for name, argv, code, text, usage in cases:
        yield Case(name, argv, code, text, files, 6, usage=usage)
    yield Case(
        "solve-param-formulation",
        ("solve", "{d}/t.yaml", "-b", "milp", "-t", "2", "-p", "formulation=nosuch"),
        2,
        "formulation",
        files,
        5,
    )
    yield Case(
        "bench-param-unknown",
        ("bench", "{d}/t.yaml", "-t", "1", "--db", "{d}/b.db", "-p", "no_such_key=1"),
        2,
        "no_such_key",
        files,
        5,
    )
    for kind, short in (("tardiness", "t"), ("rcpsp", "r"), ("pipeline", "p"), ("placement", "m")):
        for argv in (
            ("solve", f"{{d}}/{short}.yaml", "-t", "1", "--json"),
            ("info", f"{{d}}/{short}.yaml", "--json"),
            ("validate", f"{{d}}/{short}.yaml", f"{{d}}/{short}.json", "--json"),
        ):
            yield Case(f"{kind}-strict-json-{argv[0]}", argv, 0, "{", files, 3)


def all_cases() -> list[Case]:
    """The whole corpus, ids unique."""
    cases = [
        *bad_problem_cases(),
        *range_cases(),
        *solution_cases(),
        *loading_cases(),
        *output_cases(),
        *generate_cases(),
        *command_cases(),
    ]
    ids = [c.id for c in cases]
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})
    return cases
