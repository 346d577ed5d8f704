"""Process-level tuning for the applications built on the twin (the CLI, the benchmark).

Libraries should not change the allocator of the process that imports them, so nothing here
runs on import: :func:`keep_freed_memory` is called by ``twin``'s command line and by
``bench/run.py``, which own their processes.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import math
import os

__all__ = ["MAX_CASES", "ResourceError", "available_memory", "check_cases", "check_memory", "keep_freed_memory"]

MAX_CASES = 200_000
"""Most cases one scenario may expand to. Expanding costs about 1 kB and 0.3–2 ms per case (the
case objects, measured on the CI machine), so 200,000 cases take minutes before any physics;
a larger study is split into several scenarios (an assumption about what a user waits for)."""

HOURLY_VARIABLES = 45
"""Hourly variables of a full ``simulate`` Dataset (float64 each), for the memory estimate."""

MEMORY_ENV = "TWIN_MEMORY_GB"
"""Environment variable: memory a run may use, GB (default: the memory available now)."""


class ResourceError(ValueError):
    """A run that cannot fit: the message gives the estimate and the way out."""


def available_memory() -> float:
    """Bytes a run may use: ``$TWIN_MEMORY_GB`` if set, else MemAvailable of /proc/meminfo (or physical memory)."""
    value = os.environ.get(MEMORY_ENV, "").strip()
    if value:
        try:
            gb = float(value)
        except ValueError:
            gb = -1.0
        if not (math.isfinite(gb) and gb > 0):
            raise ResourceError(f"{MEMORY_ENV} = {value!r} must be a positive number of GB (or unset)")
        return gb * 1e9
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


def check_cases(n_cases: int) -> None:
    """Refuse a scenario of more than :data:`MAX_CASES` cases before it is expanded."""
    if n_cases > MAX_CASES:
        raise ResourceError(
            f"the scenario expands to {n_cases:,} cases; at most {MAX_CASES:,} per scenario (expanding alone "
            f"takes about {n_cases / 1e6:,.1f} GB and {n_cases * 1e-3 / 60:,.0f}+ min; hourly results would need "
            f"{n_cases * 8760 * HOURLY_VARIABLES * 8 / 1e12:,.1f} TB): use fewer values per swept parameter, "
            "or split the sweep into several scenarios and use twin.annual_kpis for each"
        )


def check_memory(n_cases: int, n_hours: int, n_variables: int = HOURLY_VARIABLES) -> None:
    """Refuse an hourly result of ``n_cases × n_hours × n_variables`` that cannot fit in memory."""
    need = float(n_cases) * n_hours * n_variables * 8.0
    have = available_memory()
    if need > 0.8 * have:
        raise ResourceError(
            f"{n_cases:,} cases × {n_hours:,} h × {n_variables} hourly variables need about {need / 1e9:,.1f} GB; "
            f"{have / 1e9:,.1f} GB are available: use twin.annual_kpis (memory of one block whatever the cases), "
            "simulate(..., keep=KPI_VARIABLES), fewer cases, or Dask over parts of the sweep"
        )


_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3


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
    name = ctypes.util.find_library("c")
    if not name:
        return False
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    ok = mallopt(_M_MMAP_THRESHOLD, int(threshold_bytes)) == 1
    return ok and mallopt(_M_TRIM_THRESHOLD, int(4 * threshold_bytes)) == 1
