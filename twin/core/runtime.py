"""Process-level tuning for the applications built on the twin (the CLI, the benchmark).

Libraries should not change the allocator of the process that imports them, or how a library
it imports behaves, so nothing here runs on import: :func:`keep_freed_memory` and
:func:`defer_dask_in_xarray` are called by ``twin``'s command line (and the first by
``bench/run.py``), which own their processes.
"""

from __future__ import annotations

import functools
import importlib.util
import math
import os
import sys
from collections.abc import Callable
from importlib.machinery import ModuleSpec
from types import ModuleType
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from importlib.abc import Loader

from twin.core.environment import env
from twin.core.fmt import number

__all__ = [
    "MAX_CASES",
    "ResourceError",
    "available_memory",
    "check_cases",
    "check_memory",
    "defer_dask_in_xarray",
    "keep_freed_memory",
]

MAX_CASES = 200_000
"""Most cases one scenario may expand to. Expanding costs about 1 kB and 0.3–2 ms per case (the
case objects, measured on the CI machine), so 200,000 cases take minutes before any physics;
a larger study is split into several scenarios (an assumption about what a user waits for)."""

MAX_SEEDS = 1000
"""Most seeds (generated years per site and warming) of one ensemble, and of ``twin weather-validate``
(assumption)."""

HOURLY_VARIABLES = 45
"""Hourly variables of a full ``simulate`` Dataset (float64 each), for the memory estimate."""

MEMORY_ENV = "TWIN_MEMORY_GB"
"""Environment variable: memory a run may use, GB (default: the memory available now)."""


class ResourceError(ValueError):
    """A run that cannot fit: the message gives the estimate and the way out."""


def available_memory() -> float:
    """Bytes a run may use: ``$TWIN_MEMORY_GB`` if set, else MemAvailable of /proc/meminfo (or physical memory)."""
    gb = env(MEMORY_ENV)
    if gb is not None:
        return float(gb) * 1e9
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return float(line.split()[1]) * 1024.0
    except OSError:
        pass
    try:
        return float(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):
        return math.inf


def _about(x: float) -> str:
    """An estimate as a message shows it: three significant digits, scientific form for huge values
    (:func:`twin.core.fmt.number`: ``1,000,000,000``, ``1e+24``)."""
    return number(float(f"{x:.3g}"))


def check_cases(n_cases: int) -> None:
    """Refuse a scenario of more than :data:`MAX_CASES` cases before it is expanded."""
    if n_cases > MAX_CASES:
        raise ResourceError(
            f"the scenario expands to {number(n_cases)} cases; at most {MAX_CASES:,} per scenario (expanding alone "
            f"takes about {_about(n_cases / 1e6)} GB and {_about(n_cases * 1e-3 / 60)}+ min; hourly results would "
            f"need {_about(n_cases * 8760 * HOURLY_VARIABLES * 8 / 1e12)} TB): use fewer values per swept parameter, "
            "or split the sweep into several scenarios and use twin.annual_kpis for each"
        )


SMALL_RUN_BYTES = 64 * 2**20
"""An hourly result smaller than this fits whatever the machine: :func:`check_memory` reads no
``/proc/meminfo`` for it (a few years of a few cases), unless ``$TWIN_MEMORY_GB`` sets the limit."""


def check_memory(n_cases: int, n_hours: int, n_variables: int = HOURLY_VARIABLES) -> None:
    """Refuse an hourly result of ``n_cases × n_hours × n_variables`` that cannot fit in memory."""
    need = float(n_cases) * n_hours * n_variables * 8.0
    if need < SMALL_RUN_BYTES and not os.environ.get(MEMORY_ENV, "").strip():
        return
    have = available_memory()
    if need > 0.8 * have:
        limit = os.environ.get(MEMORY_ENV, "").strip()
        set_by = f" ({MEMORY_ENV} = {limit!r}, 80 % of it usable: raise it if the machine has more)" if limit else ""
        raise ResourceError(
            f"{n_cases:,} cases × {n_hours:,} h × {n_variables} hourly variables need about {_size(need)}; "
            f"{_size(have)} are available{set_by}: use twin.annual_kpis (memory of one block whatever the cases), "
            "simulate(..., keep=KPI_VARIABLES), fewer cases, or Dask over parts of the sweep"
        )


def _size(n_bytes: float) -> str:
    """A memory size as a message shows it: ``12.3 GB``, ``340 MB``, ``1 kB`` (two significant
    figures at least; never ``0.0 GB`` for a small one)."""
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n_bytes >= scale:
            v = n_bytes / scale
            return f"{v:,.1f} {unit}" if v < 100 else f"{v:,.0f} {unit}"
    return f"{n_bytes:.0f} B"


_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3


def one_blas_thread() -> bool:
    """Start numpy's OpenBLAS on one thread, unless ``OPENBLAS_NUM_THREADS`` says otherwise.

    The twin's arithmetic is elementwise: no matrix product worth a thread pool. OpenBLAS starts
    a thread per core when numpy is first imported, and on this 2-core machine that costs
    ≈ 0.08 s of CPU per process (``python -c "import numpy"``: 0.21 s CPU against 0.13 s with
    one thread, wall unchanged; README "Cold start"), more while those threads spin. For the CLI, which owns its process (and the Dask workers it starts,
    which inherit the variable); a library user's process is left alone.

    Returns
    -------
    bool
        True if it set the variable; False when numpy is already imported (too late: no effect)
        or the user chose OpenBLAS's threads (``OPENBLAS_NUM_THREADS``, ``GOTO_NUM_THREADS`` or
        ``OMP_NUM_THREADS`` set: the user's choice wins).
    """
    chosen = ("OPENBLAS_NUM_THREADS", "GOTO_NUM_THREADS", "OMP_NUM_THREADS")
    if "numpy" in sys.modules or any(v in os.environ for v in chosen):
        return False
    os.environ["OPENBLAS_NUM_THREADS"] = "1"
    return True


_EXIT_FREEZE: list[bool] = []  # whether freeze_at_exit registered its handler in this process


def freeze_at_exit() -> bool:
    """Spare a command's process the garbage collections Python runs while it exits.

    At exit the interpreter runs its cyclic garbage collector over every object still alive —
    the modules of numpy, netCDF4 and the twin, their functions and classes — and again while it
    tears the modules down, to free memory the kernel takes back anyway: ≈ 30 ms CPU after
    ``import numpy`` alone and ≈ 60 ms after ``twin run --site … --cooling …`` on this machine
    (a process's CPU after its last statement, ``wait4`` against ``time.process_time``). An
    :mod:`atexit` handler that calls :func:`gc.freeze` moves them all into the permanent
    generation, which those collections skip. Reference counting still frees what it frees and
    the other exit handlers still run (this one, registered when the command starts, runs after
    those registered later: LIFO); what is not freed is garbage in reference cycles, whose
    ``__del__`` Python does not promise to run at exit anyway (the CLI closes its files itself).
    For the CLI, which owns its process; a library user's process is left alone.

    Returns
    -------
    bool
        True if it registered the handler; False when it was registered already (once per process).
    """
    if _EXIT_FREEZE:
        return False
    import atexit
    import gc

    atexit.register(gc.freeze)
    _EXIT_FREEZE.append(True)
    return True


def keep_freed_memory(threshold_bytes: int = 256 * 2**20) -> bool:
    """Let glibc reuse freed arrays instead of returning them to the kernel.

    A vectorised run allocates and frees many temporary arrays of a few MB. By default glibc
    maps each one afresh (``mmap``) and unmaps it when freed, so every temporary pays a page
    fault per 4 KiB on first touch — costly on virtual machines (≈1 ms per 2 MB array on the
    CI machine, more than the arithmetic). Raising ``M_MMAP_THRESHOLD`` and
    ``M_TRIM_THRESHOLD`` (mallopt(3)) keeps freed memory in the heap for reuse; the process
    holds on to its peak memory, which it needs again on the next block anyway.

    Returns
    -------
    bool
        True if glibc accepted the settings; False elsewhere (no effect, nothing breaks).
    """
    import ctypes

    try:  # the process's own symbols, the C library's among them (ctypes.util.find_library runs ldconfig)
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError, TypeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    ok = mallopt(_M_MMAP_THRESHOLD, int(threshold_bytes)) == 1
    return ok and mallopt(_M_TRIM_THRESHOLD, int(4 * threshold_bytes)) == 1


class _DeferredDask:
    """xarray's record of dask as a duck-array library, looked up only once dask is in use.

    For every Variable it builds, xarray asks whether the data is a ``dask.array.Array`` and
    answers by importing ``dask.array`` (and scipy with it: 0.15–0.6 s), even for numpy data.
    No object is a dask array before ``dask.array`` has defined the class, so until then the
    answer is "no dask type", afterwards the class. ``module``, ``version`` and ``available``
    come from xarray's own record, built at first use.
    """

    def __init__(self, pycompat: ModuleType) -> None:
        self._pycompat = pycompat

    @property
    def type(self) -> tuple[type, ...]:
        array = getattr(sys.modules.get("dask.array"), "Array", None)
        return () if array is None else (array,)

    def __getattr__(self, name: str) -> Any:
        real = self._pycompat.DuckArrayModule("dask")
        self._pycompat._cached_duck_array_modules["dask"] = real
        return getattr(real, name)


def _without_dask_import(is_dask_collection: Callable[[Any], bool]) -> Callable[[Any], bool]:
    """xarray's ``is_dask_collection`` (it imports ``dask`` whenever dask is installed), answering
    ``False`` without the import for what has no callable ``__dask_graph__``: dask's own first test."""

    @functools.wraps(is_dask_collection)
    def check(x: Any) -> bool:
        if isinstance(x, type) or not callable(getattr(x, "__dask_graph__", None)):
            return False
        return is_dask_collection(x)

    return check


def _no_scheduler_without_dask(get_dask_scheduler: Callable[..., str | None]) -> Callable[..., str | None]:
    """xarray's ``get_dask_scheduler`` (it imports ``dask.distributed`` to ask, at every NetCDF
    write), answering ``None`` — "no dask scheduler is active", its documented answer — while
    the process has not imported dask."""

    @functools.wraps(get_dask_scheduler)
    def scheduler(get: Any = None, collection: Any = None) -> str | None:
        if "dask" not in sys.modules:
            return None
        return get_dask_scheduler(get, collection)

    return scheduler


_DASK_PROBES = (
    ("xarray.namedarray.utils", "is_dask_collection", _without_dask_import),
    ("xarray.backends.locks", "get_dask_scheduler", _no_scheduler_without_dask),
    ("xarray.backends.writers", "get_dask_scheduler", _no_scheduler_without_dask),
)
"""Where xarray imports dask to ask about it: (module, function, the wrapper that asks first
whether the process uses dask at all)."""


def _defer_dask(_: ModuleType | None = None) -> None:
    pycompat = sys.modules.get("xarray.namedarray.pycompat")
    cache = getattr(pycompat, "_cached_duck_array_modules", None)
    if isinstance(cache, dict) and "dask" not in cache and hasattr(pycompat, "DuckArrayModule"):
        cache["dask"] = _DeferredDask(pycompat)  # type: ignore[arg-type]
    for module_name, name, wrap in _DASK_PROBES:
        module = sys.modules.get(module_name)
        function = getattr(module, name, None)
        if callable(function) and not hasattr(function, "__wrapped__"):
            setattr(module, name, wrap(function))


class _ThenCall:
    """A module's own loader, then ``after(module)`` once the module has run (a loader by the
    import protocol; :mod:`importlib.abc`, whose import brings :mod:`tempfile` and more, is not needed)."""

    def __init__(self, loader: Any, after: Callable[[ModuleType], None]) -> None:
        self._loader, self._after = loader, after

    def create_module(self, spec: ModuleSpec) -> ModuleType | None:
        return self._loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        self._loader.exec_module(module)
        self._after(module)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._loader, name)


class _AfterImport:
    """Call ``after(module)`` when the module ``name`` has been imported, then step aside.

    A spec asked for without an import (``importlib.util.find_spec``) leaves the hook in place.
    """

    def __init__(self, name: str, after: Callable[[ModuleType], None]) -> None:
        self._name, self._after, self._busy = name, after, False

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> ModuleSpec | None:
        if fullname != self._name or self._busy:
            return None
        self._busy = True
        try:
            spec = importlib.util.find_spec(fullname)
        finally:
            self._busy = False
        if spec is not None and spec.loader is not None:
            spec.loader = cast("Loader", _ThenCall(spec.loader, self._imported))
        return spec

    def _imported(self, module: ModuleType) -> None:
        if self in sys.meta_path:
            sys.meta_path.remove(self)
        self._after(module)


def defer_dask_in_xarray() -> None:
    """Let xarray import dask only when the process uses dask.

    With dask installed (the ``[dask]`` and dev extras) xarray imports ``dask.array`` and scipy
    at the first Variable it builds, and ``dask.distributed`` at every NetCDF write, which is
    most of a short run's time. Three of xarray's questions about dask are answered without the
    import while the process has not imported dask (:class:`_DeferredDask`,
    :data:`_DASK_PROBES`): the answers are the same, so no result changes. This reaches into
    xarray's private helpers and does nothing where they are not there (another xarray); like
    :func:`keep_freed_memory` it is called by the ``twin`` command, which owns its process,
    before or after xarray is imported (then when xarray has been imported).
    """
    if "xarray" in sys.modules:
        _defer_dask()
    elif not any(isinstance(f, _AfterImport) for f in sys.meta_path):
        sys.meta_path.insert(0, _AfterImport("xarray", _defer_dask))
