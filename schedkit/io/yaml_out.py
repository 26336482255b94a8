"""Write any problem as a YAML instance file that `schedkit.load` reads back equal."""

from __future__ import annotations

from typing import Any

import yaml

from schedkit.models.base import Problem


class _FlowLists(yaml.SafeDumper):
    """Dumps lists and mappings of scalars inline ([1, 2], {a: 1}), anything nested as blocks."""


def _flat(items: Any) -> bool:
    return all(not isinstance(x, dict | list) for x in items)


def _represent_list(dumper: yaml.SafeDumper, data: list[Any]) -> yaml.Node:
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=_flat(data))


def _represent_dict(dumper: yaml.SafeDumper, data: dict[str, Any]) -> yaml.Node:
    flow = _flat(data.values()) and len(data) <= 8
    return dumper.represent_mapping("tag:yaml.org,2002:map", data.items(), flow_style=flow)


_FlowLists.add_representer(list, _represent_list)
_FlowLists.add_representer(dict, _represent_dict)


def problem_to_data(problem: Problem) -> dict[str, Any]:
    """The problem as plain data with `kind` first (see `Problem.to_data`)."""
    return {"kind": type(problem).KIND, **problem.to_data()}


def to_yaml(problem: Problem) -> str:
    """YAML text of `problem` (lists of numbers on one line each)."""
    return yaml.dump(problem_to_data(problem), Dumper=_FlowLists, sort_keys=False, width=4096)
