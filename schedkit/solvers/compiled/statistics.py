"""Size of a compiled model before solving: variables by type, constraints, non-zeros.

MILP: counted on Pyomo's standard-form compilation (what a solver receives: variables that
appear in an active constraint or the objective; ranged rows count once). CP-SAT: counted on the
model proto; its non-zeros are the variable references in constraints.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from schedkit.solvers.compiled import Compiled


def statistics(compiled: Compiled) -> dict[str, Any]:
    """A JSON-ready summary of the model's size and its build time."""
    counts = _milp(compiled.model) if compiled.engine == "milp" else _cpsat(compiled.model)
    return {"engine": compiled.engine, **counts, "build_s": round(compiled.build_s, 4)}


def _milp(model: Any) -> dict[str, Any]:
    from pyomo.repn.plugins.standard_form import LinearStandardFormCompiler

    repn = LinearStandardFormCompiler().write(model, mixed_form=True)
    kinds: Counter[str] = Counter(
        "binary" if v.is_binary() else "integer" if v.is_integer() else "continuous"
        for v in repn.columns
    )
    senses = Counter("equality" if sense == 0 else "inequality" for _, sense in repn.rows)
    return {
        "variables": {k: kinds.get(k, 0) for k in ("binary", "integer", "continuous")},
        "constraints": {"total": len(repn.rows), **senses},
        "nonzeros": int(repn.A.nnz),
    }


def _cpsat(model: Any) -> dict[str, Any]:
    from schedkit.solvers.cpsat.merge import VARIABLE_FIELDS, to_message

    proto = to_message(model)
    boolean = sum(1 for v in proto.variables if list(v.domain) == [0, 1])
    kinds = Counter(c.WhichOneof("constraint") or "empty" for c in proto.constraints)
    return {
        "variables": {"boolean": boolean, "integer": len(proto.variables) - boolean},
        "constraints": {"total": len(proto.constraints), **dict(sorted(kinds.items()))},
        "nonzeros": sum(_references(c, VARIABLE_FIELDS) for c in proto.constraints),
    }


def _references(message: Any, fields: frozenset[str]) -> int:
    """Variable references inside one proto message, nested messages included."""
    total = 0
    for desc, value in message.ListFields():
        if desc.message_type is not None:
            items = value if desc.is_repeated else [value]
            total += sum(_references(item, fields) for item in items)
        elif desc.is_repeated and desc.name in fields:
            total += len(value)
    return total
