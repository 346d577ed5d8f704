"""Compiled kernels: which implementation runs, and numba compiled at first use, cached on disk.

Every compiled kernel of the twin has a numpy reference (the documented physics) and a plain
Python function of scalar loops doing the same arithmetic in the same order; :func:`compiled`
turns the latter into machine code with numba (``cache=True``: written to disk at the first
call, so a later process loads it instead of compiling again; ``nogil``: blocks running on
threads compute in parallel). numba is imported at the first compiled call, never with the
package.

Where the compiled code lives: numba's ``__pycache__`` beside the kernel's module when that
directory is writable; otherwise numba's per-user cache directory (``$XDG_CACHE_HOME/numba``,
by default ``~/.cache/numba``); ``NUMBA_CACHE_DIR`` overrides both. With none of them
writable, each process compiles once in memory (a few seconds).

Which implementation runs: ``kernel="numba"`` (compiled), ``"reference"`` (numpy) or
``"auto"``: compiled when the run is at least :data:`AUTO_MIN_CASE_YEARS` case-years; a small
run stays on numpy, since importing numba and loading the cached kernel costs more than it saves
there. The choice depends on the run alone, never on what the process ran before, so a result
does not change in its last digits with the history of a server or a Dask worker; a study run
in blocks decides once for the whole study (:func:`twin.studies.sweep.run_sweep`) and passes
``"numba"`` or ``"reference"`` to every block.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from twin.core.params import ConfigError

__all__ = ["AUTO_MIN_CASE_YEARS", "KERNELS", "compiled", "use_compiled"]

KERNELS = ("auto", "numba", "reference")
"""The values of ``kernel=``."""

AUTO_MIN_CASE_YEARS = 1000
"""Smallest run (case-years) that ``kernel="auto"`` compiles. Measured on the 2-core bench machine (CPU time; ``python bench/run.py
kernel-cost engine``): importing numba 0.15–0.45 s and loading the cached free-air kernel
0.4–0.6 s, once per process, against ≈ 0.5 ms saved per free-air case-year (about 1,900 against
950 case-years per core-second): the compiled path pays off from about 1,000–2,000 case-years
in a fresh process."""

_COMPILED: dict[Callable[..., Any], Callable[..., Any]] = {}
_LOCK = threading.Lock()


def compiled(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn`` compiled by numba (once per process; from the disk cache after the first process)."""
    with _LOCK:
        f = _COMPILED.get(fn)
        if f is None:
            import numba

            try:
                f = numba.njit(cache=True, nogil=True, error_model="numpy")(fn)
            except RuntimeError:  # no writable cache directory anywhere: compile in memory
                f = numba.njit(nogil=True, error_model="numpy")(fn)
            _COMPILED[fn] = f
        return f


def use_compiled(kernel: str, case_years: float) -> bool:
    """Whether a run of ``case_years`` runs the compiled kernels, for ``kernel`` in :data:`KERNELS`.

    ``"auto"``: at least :data:`AUTO_MIN_CASE_YEARS` case-years.
    """
    if kernel not in KERNELS:
        raise ConfigError(f"kernel = {kernel!r} is not one of {', '.join(KERNELS)}")
    if kernel == "auto":
        return case_years >= AUTO_MIN_CASE_YEARS
    return kernel == "numba"
