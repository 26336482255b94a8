"""The optional numba kernels: when a solver may compile them within its budget."""

from __future__ import annotations

import numba

from schedkit import compiled
from schedkit.solvers.budget import Budget


def test_a_kernel_never_compiled_waits_for_a_long_budget() -> None:
    fresh = numba.njit(lambda x: x + 1)  # no disk cache, not compiled yet
    assert not compiled.ready(fresh)
    assert not compiled.usable(Budget.start(1.0), fresh)
    assert compiled.usable(Budget.start(compiled.COMPILE_SECONDS + 5.0), fresh)
    assert compiled.usable(None, fresh)
    fresh(1)
    assert compiled.ready(fresh)
    assert compiled.usable(Budget.start(1.0), fresh)


def test_warm_up_leaves_every_kernel_ready() -> None:
    from schedkit.models.tardiness.ssdp_kernels import backward_rows, eliminate_rows, forward_rows
    from schedkit.models.tardiness.ssdp_pass_kernels import pass_rows
    from schedkit.solvers.heuristics.rcpsp.ga_kernels import evolve, populate
    from schedkit.solvers.heuristics.rcpsp.sgs_kernels import serial_starts

    compiled.warm_up()
    kernels = (forward_rows, backward_rows, eliminate_rows, pass_rows, serial_starts)
    kernels += (evolve, populate)
    assert all(compiled.ready(k) for k in kernels)
