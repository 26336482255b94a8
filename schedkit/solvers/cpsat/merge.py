"""Put independent CP-SAT models side by side in one model: variables and constraints of each,
objectives added up.

Backends that solve one model per part (placement: one per layer) export the parts as one
model whose optimum is the sum of the parts' optima. Each part's variable and interval indices
are shifted past the models before it; negative literals (`-i - 1`, "not variable i") shift
the other way.
"""

from __future__ import annotations

from collections.abc import Sequence

from google.protobuf import text_format
from google.protobuf.message import Message
from ortools.sat import cp_model_pb2
from ortools.sat.python import cp_model

VARIABLE_FIELDS = frozenset(
    {"vars", "literals", "enforcement_literal", "active_literals", "f_direct", "f_inverse"}
)
"""Repeated int fields of cp_model.proto that hold variable references or literals."""
INTERVAL_FIELDS = frozenset({"intervals", "x_intervals", "y_intervals"})
"""Repeated int fields that hold interval constraint indices."""


def _shift_ref(ref: int, offset: int) -> int:
    return ref + offset if ref >= 0 else ref - offset


def _shift(message: Message, var_offset: int, con_offset: int) -> None:
    """Shift every variable and interval reference inside `message`, in place."""
    for desc, value in message.ListFields():
        if desc.message_type is not None:
            items = value if desc.is_repeated else [value]
            for item in items:
                _shift(item, var_offset, con_offset)
        elif desc.is_repeated and desc.name in VARIABLE_FIELDS:
            value[:] = [_shift_ref(v, var_offset) for v in value]
        elif desc.is_repeated and desc.name in INTERVAL_FIELDS:
            value[:] = [v + con_offset for v in value]


def merge_models(parts: Sequence[cp_model.CpModel], name: str = "") -> cp_model.CpModel:
    """One model holding every part; minimises the sum of the parts' (linear) objectives."""
    merged = cp_model_pb2.CpModelProto(name=name)
    for part in parts:
        proto = to_message(part)
        var_offset, con_offset = len(merged.variables), len(merged.constraints)
        for con in proto.constraints:
            _shift(con, var_offset, con_offset)
        _shift(proto.objective, var_offset, con_offset)
        _shift(proto.solution_hint, var_offset, con_offset)
        merged.variables.extend(proto.variables)
        merged.constraints.extend(proto.constraints)
        if proto.HasField("objective"):
            if proto.objective.scaling_factor not in (0, 1):
                raise ValueError("merge_models takes unscaled integer objectives only")
            merged.objective.vars.extend(proto.objective.vars)
            merged.objective.coeffs.extend(proto.objective.coeffs)
            merged.objective.offset += proto.objective.offset
        merged.solution_hint.vars.extend(proto.solution_hint.vars)
        merged.solution_hint.values.extend(proto.solution_hint.values)
    model = cp_model.CpModel()
    model.proto.parse_text_format(text_format.MessageToString(merged))
    return model


def to_message(model: cp_model.CpModel) -> cp_model_pb2.CpModelProto:
    """The model as a protobuf message (the Python model holds a C++-bound copy)."""
    return text_format.Parse(str(model.proto), cp_model_pb2.CpModelProto())
