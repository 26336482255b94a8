"""Optional compilation of inner loops with numba.

`jit(f)` is f compiled in nopython mode and cached on disk, or f itself where numba does not
import (`available()` is then False and callers keep their numpy or Python paths). The first
call of a kernel on a machine compiles it (about 1-4 s); `ready` says whether a call would be
free of that cost, and `usable` lets a solver with a short budget use the plain path instead,
so a time limit holds on a fresh install too. `warm_up()` (`python -m schedkit.compiled`,
run by the set-up) compiles every kernel ahead.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from schedkit.solvers.budget import Budget

numba: Any
try:
    import numba
except ImportError:  # pragma: no cover - numba is a dependency; this keeps a broken install usable
    numba = None

COMPILE_SECONDS = 20.0
"""Least budget left for a solver to compile a kernel that is not ready (compiling one takes
1-4 s, measured on a loaded 2-core machine)."""


def available() -> bool:
    """Whether `jit` compiles."""
    return numba is not None


def jit(fn: Callable[..., Any]) -> Any:
    """`fn` compiled (no GIL held, cached on disk), or `fn` without numba."""
    if numba is None:
        return fn
    return numba.njit(cache=True, nogil=True)(fn)


def ready(kernel: Any) -> bool:
    """Whether calling `kernel` costs no compilation: compiled in this process, or found in
    numba's disk cache (its index file; a stale one only costs a compilation)."""
    if numba is None:
        return False
    if kernel.signatures:
        return True
    try:
        return Path(kernel._cache._cache_file._index_path).exists()
    except AttributeError:  # another numba's internals: assume a compilation
        return False


def usable(budget: Budget | None, *kernels: Any) -> bool:
    """Whether to call the compiled `kernels` within `budget` (no budget: always)."""
    if numba is None:
        return False
    if budget is None or all(ready(k) for k in kernels):
        return True
    return budget.remaining() >= COMPILE_SECONDS


@functools.cache
def warm_up() -> None:
    """Compile every kernel of the package (loads them from the disk cache when present);
    once per process."""
    from schedkit.models.tardiness.ssdp_kernels import warm_up as ssdp
    from schedkit.solvers.heuristics.rcpsp.ga_kernels import warm_up as ga
    from schedkit.solvers.heuristics.rcpsp.sgs_kernels import warm_up as sgs
    from schedkit.solvers.heuristics.tardiness.dynasearch_kernels import warm_up as dyna
    from schedkit.solvers.heuristics.tardiness.release_kernels import warm_up as release

    ssdp()
    sgs()
    ga()
    dyna()
    release()


if __name__ == "__main__":
    warm_up()
