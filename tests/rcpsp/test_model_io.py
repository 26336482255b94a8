"""RCPSP model validation, readers (PSPLIB, Patterson, reference tables) and YAML round trip."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

import schedkit
from schedkit.errors import InputError
from schedkit.io.loader import problem_from_dict
from schedkit.io.patterson import read_rcp, to_rcp
from schedkit.io.psplib import (
    read_best_known,
    read_lower_bounds,
    read_optima,
    read_reference,
    read_sm,
)
from schedkit.io.rcpsp_yaml import to_yaml
from schedkit.models.rcpsp import RcpspProblem
from schedkit.models.rcpsp.bounds import critical_path_bound, lower_bound, resource_bound

BASE = {
    "kind": "rcpsp",
    "resources": [{"name": "R", "capacity": 2}],
    "activities": [{"id": "a", "duration": 2, "demands": [1]}, {"id": "b", "duration": 1}],
}


def test_psplib_reader_and_bounds(data_dir: Path) -> None:
    p = schedkit.load(data_dir / "psplib" / "j30" / "j301_1.sm")
    assert isinstance(p, RcpspProblem)
    assert (p.n, p.m, p.name) == (32, 4, "j301_1")
    assert [r.capacity for r in p.resources] == [12, 13, 4, 12]
    assert critical_path_bound(p) == 38  # the MPM-Time of the file header
    assert resource_bound(p) <= 43 and lower_bound(p) == 38


def test_reference_tables(data_dir: Path) -> None:
    opt = read_optima(data_dir / "psplib" / "j30opt.sm")
    assert len(opt) == 480 and opt["j301_1"] == 43 and opt["j3048_10"] == 54
    hrs = read_best_known(data_dir / "psplib" / "j60hrs.sm")
    assert len(hrs) == 480 and hrs["j601_1"] == 77
    lb = read_lower_bounds(data_dir / "psplib" / "j60lb.sm")
    assert lb["j601_1"] == 77 and all(lb[k] <= hrs[k] for k in lb)
    assert read_reference(data_dir / "psplib" / "j60hrs.sm") == hrs


def test_patterson_round_trip(data_dir: Path, tmp_path: Path) -> None:
    p = schedkit.load(data_dir / "psplib" / "j30" / "j301_1.sm")
    assert isinstance(p, RcpspProblem)
    f = tmp_path / "j301_1.rcp"
    f.write_text(to_rcp(p))
    q = schedkit.load(f)
    assert q.model_copy(update={"name": p.name}) == p


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("2 1\n4\n1 1 1 2\n", "file ends inside the record of activity 2"),
        ("2 1\n4\n1 1 1 3\n1 1 0\n", "successor 3 is outside 1..2"),
        ("2 1\n4\n1 x 0\n", "not an integer"),
    ],
)
def test_patterson_errors(text: str, reason: str) -> None:
    with pytest.raises(InputError) as exc:
        read_rcp(text, "bad.rcp")
    assert exc.value.file == "bad.rcp" and reason in exc.value.reason


def test_psplib_errors(data_dir: Path) -> None:
    good = (data_dir / "psplib" / "j30" / "j301_1.sm").read_text()
    with pytest.raises(InputError, match="no 'PRECEDENCE RELATIONS' section"):
        read_sm(good.replace("PRECEDENCE RELATIONS", "PRECEDENCES"), "x.sm")
    with pytest.raises(InputError, match="job line has 6 numbers, expected 7"):
        read_sm(good.replace(" 2      1     8       4", " 2      1     8 "), "x.sm")
    with pytest.raises(InputError) as exc:
        schedkit.load(data_dir / "psplib" / "j30opt.sm")
    assert exc.value.file and exc.value.file.endswith("j30opt.sm")


def test_yaml_round_trip_with_side_constraints(instances_dir: Path) -> None:
    for f in sorted((instances_dir / "rcpsp").glob("*.yaml")):
        p = schedkit.load(f)
        assert isinstance(p, RcpspProblem)
        assert problem_from_dict(yaml.safe_load(to_yaml(p))) == p


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"precedences": [{"before": "a", "after": "z"}]}, "unknown activity 'z'"),
        (
            {"precedences": [{"before": "a", "after": "b"}, {"before": "b", "after": "a"}]},
            "precedence cycle: a -> b -> a",
        ),
        ({"disjunctive": [["a", "a"]]}, "pairs activity 'a' with itself"),
        ({"activities": [{"id": "a", "duration": 1, "demands": [1, 1]}]}, "has 2 demands"),
        ({"activities": [{"id": 1, "duration": 1}, {"id": "1", "duration": 2}]}, "used twice"),
        ({"activities": [{"id": "a", "duraton": 1}]}, "unknown key 'duraton'"),
        (
            {"resources": [{"name": "R", "capacity": 2, "downtime": [{"start": 5, "end": 3}]}]},
            "must be after its start",
        ),
    ],
)
def test_model_errors(change: dict[str, object], message: str) -> None:
    with pytest.raises(InputError) as exc:
        problem_from_dict({**BASE, **change}, "case.yaml")
    assert message in str(exc.value) and exc.value.file == "case.yaml"


def test_generator_command_writes_loadable_yaml(tmp_path: Path) -> None:
    from schedkit.generate.rcpsp import command, generate

    out = tmp_path / "gen.yaml"
    command(
        n=8,
        resources=2,
        seed=4,
        downtime=True,
        windows=True,
        disjunctive=1,
        infeasible=False,
        psplib=False,
        nc=1.5,
        rf=0.5,
        rs=0.5,
        out=out,
    )
    problem = schedkit.load(out)
    assert problem == generate(8, 2, seed=4, disjunctive=1)
    assert isinstance(problem, RcpspProblem) and problem.has_side_constraints


@pytest.mark.parametrize(("nc", "rf", "rs"), [(1.5, 0.25, 0.1), (1.8, 0.5, 0.3), (2.1, 1.0, 0.5)])
def test_psplib_grid_generator(tmp_path: Path, nc: float, rf: float, rs: float) -> None:
    from typer.testing import CliRunner

    from schedkit.cli import app

    out = tmp_path / "g.yaml"
    args = ["generate", "rcpsp", "--psplib", "--n", "120", "--resources", "4", "--seed", "3"]
    args += ["--nc", str(nc), "--rf", str(rf), "--rs", str(rs), "-o", str(out)]
    assert CliRunner().invoke(app, args).exit_code == 0
    problem = schedkit.load(out)
    assert isinstance(problem, RcpspProblem)
    assert problem.n == 122 and problem.m == 4 and not problem.has_side_constraints
    assert len(problem.precedences) == round(nc * 122)  # arcs per node, dummies included
    real = problem.demand[1:-1]
    assert sum(r > 0 for row in real for r in row) == round(rf * 120 * 4)
    assert all(1 <= d <= 10 for d in problem.durations[1:-1])
    for k, res in enumerate(problem.resources):  # Kmin <= K, and K = Kmin when RS = 0
        assert res.capacity >= max(row[k] for row in real)
