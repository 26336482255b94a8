"""RCPSP instances as YAML (`schedkit convert`): compact, readable, and loading back equal."""

from __future__ import annotations

from typing import Any

import yaml

from schedkit.models.rcpsp.problem import RcpspProblem


class _Flow(list):
    """A list written in flow style ([a, b]) to keep one activity per line."""


class _FlowDict(dict):
    """A mapping written in flow style ({id: a, duration: 3})."""


def _represent_flow_list(dumper: yaml.SafeDumper, data: _Flow) -> yaml.Node:
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=True)


def _represent_flow_dict(dumper: yaml.SafeDumper, data: _FlowDict) -> yaml.Node:
    return dumper.represent_mapping("tag:yaml.org,2002:map", data.items(), flow_style=True)


class _Dumper(yaml.SafeDumper):
    pass


_Dumper.add_representer(_Flow, _represent_flow_list)
_Dumper.add_representer(_FlowDict, _represent_flow_dict)


def _row(data: dict[str, Any]) -> _FlowDict:
    return _FlowDict({k: _Flow(v) if isinstance(v, list) else v for k, v in data.items()})


def to_dict(problem: RcpspProblem) -> dict[str, Any]:
    """Plain data of `problem` without default values (what the YAML holds)."""
    data = problem.model_dump(mode="json", exclude_defaults=True)
    out: dict[str, Any] = {"kind": "rcpsp", "name": problem.name}
    out["resources"] = [
        {**r, "downtime": [_row(w) for w in r["downtime"]]} if "downtime" in r else _row(r)
        for r in data.get("resources", [])
    ]
    out["activities"] = [_row(a) for a in data["activities"]]
    if data.get("precedences"):
        out["precedences"] = [_row(p) for p in data["precedences"]]
    if data.get("disjunctive"):
        out["disjunctive"] = [_Flow(pair) for pair in data["disjunctive"]]
    return out


def to_yaml(problem: RcpspProblem) -> str:
    """The YAML text of `problem`; `schedkit.load` of it gives an equal problem."""
    return yaml.dump(to_dict(problem), Dumper=_Dumper, sort_keys=False, width=100)
