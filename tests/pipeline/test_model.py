"""Loading, input errors and JSON round trips of pipeline problems and solutions."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

import schedkit
from schedkit.io.loader import problem_from_dict
from schedkit.models.pipeline import PipelineProblem, PipelineSolution
from schedkit.models.pipeline.references import build
from schedkit.solvers.result import solution_to_dict

from .pipeline_helpers import make


def test_load_issue_example(instances_dir) -> None:
    pb = schedkit.load(instances_dir / "pipeline" / "p4-m8.yaml")
    assert isinstance(pb, PipelineProblem)
    assert (pb.devices, pb.microbatches, pb.memory.limit, pb.objective) == (4, 8, 4.0, "span")


@pytest.mark.parametrize("name", ["p4-m8", "p4-m8-nonuniform", "p8-m32-stages", "p4-m8-v"])
def test_all_instances_load(instances_dir, name: str) -> None:
    pb = schedkit.load(instances_dir / "pipeline" / f"{name}.yaml")
    assert pb.name == name


def test_v_placement() -> None:
    pb = make(4, 4, chunks=2, stage_placement="v")
    assert [pb.device_of(s) for s in range(8)] == [0, 1, 2, 3, 3, 2, 1, 0]
    assert pb.stages_of[0] == (0, 7)
    loop = make(4, 4, chunks=2)
    assert [loop.device_of(s) for s in range(8)] == [0, 1, 2, 3, 0, 1, 2, 3]


@pytest.mark.parametrize(
    ("data", "field", "text"),
    [
        ({"devices": 0, "microbatches": 4}, "devices", "greater than 0"),
        ({"devices": 2, "microbatches": 4, "chunks": 1, "stage_placement": "v"}, None, "chunks: 2"),
        ({"devices": 2, "microbatches": 4, "times": {"F": [1, 2, 3]}}, None, "3 values"),
        ({"devices": 2, "microbatches": 4, "memory": {"B": 0.5}}, None, "<= 0"),
        ({"devices": 2, "microbatches": 4, "times": {"F": -1}}, "times.F", "greater than 0"),
        ({"devices": 2, "microbatches": 4, "objectiv": "span"}, None, "unknown key"),
    ],
)
def test_bad_input(data: dict, field: str | None, text: str) -> None:
    with pytest.raises(schedkit.InputError) as info:
        problem_from_dict({"kind": "pipeline", **data})
    assert text in str(info.value)
    if field:
        assert info.value.field is not None and info.value.field.startswith(field)


def test_problem_is_frozen() -> None:
    pb = make()
    with pytest.raises(ValidationError):
        pb.devices = 3  # type: ignore[misc]


def test_solution_json_round_trip() -> None:
    pb = make(3, 5)
    sol = build(pb, "zb-h1")
    assert sol is not None
    text = json.dumps(solution_to_dict(sol))
    back = schedkit.solution_from_dict(pb, json.loads(text))
    assert isinstance(back, PipelineSolution) and back == sol
    assert schedkit.validate(pb, back).feasible


def test_fast_ops_equal_validated_ones() -> None:
    """`make_op` (the solvers' fast path) builds exactly what pydantic validation builds."""
    from schedkit.models.pipeline.problem import Op
    from schedkit.models.pipeline.simulate import make_op

    fast = make_op(1, "W", 3, 2, 4.5)
    slow = Op(device=1, kind="W", stage=3, microbatch=2, start=4.5)
    assert fast == slow and hash(fast) == hash(slow) and fast.key == ("W", 3, 2)
    assert fast.model_dump() == slow.model_dump()
    assert fast.model_copy(update={"start": 1.0}).start == 1.0
    with pytest.raises(ValidationError):  # still frozen
        fast.start = 1.0  # type: ignore[misc]
    pb = make(2, 2)
    sol = build(pb, "1f1b")  # built from make_op
    assert sol is not None
    assert PipelineSolution.model_validate_json(sol.model_dump_json()) == sol
