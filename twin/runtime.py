"""Process-level tuning for the applications built on the twin (the CLI, the benchmark).

Libraries should not change the allocator of the process that imports them, so nothing here
runs on import: :func:`keep_freed_memory` is called by ``twin``'s command line and by
``bench/run.py``, which own their processes.
"""

from __future__ import annotations

import ctypes
import ctypes.util

__all__ = ["keep_freed_memory"]

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
