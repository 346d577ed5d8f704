"""Compiled kernels: which implementation runs, and numba compiled at first use, cached on disk.

Every compiled kernel of the twin has a numpy reference (the documented physics) and a plain
Python function of scalar loops doing the same arithmetic in the same order; :func:`compiled`
turns the latter into machine code with numba (``cache=True``: written to disk at the first
call, so a later process loads it instead of compiling again; ``nogil``: blocks running on
threads compute in parallel). numba is imported at the first compiled call, never with the
package.

**Helpers shared between kernels.** A plain function marked :func:`kernel_helper` (IT power,
the electrical chain, the annual accumulation: :mod:`twin.engine.kernel_parts`) is called by
name from a kernel, like any module-level function. When :func:`compiled` compiles a kernel it
finds the helpers among the kernel's global names (and theirs, transitively), compiles them
first (``inline="always"``: numba inlines them into the caller before compiling it, so a
helper called several times in a loop does not stay a call, which the compiler cannot
vectorise) and compiles the kernel against a copy of its module's globals in which those names are
the compiled helpers; the kernel's source is untouched and still runs as plain Python. numba's
disk cache detects a change in the kernel's own file only; the key of a kernel's cache entry
therefore also holds a digest of the source files of every helper it reaches, so a changed
helper is recompiled, never loaded stale. That key is extended through numba's
``FunctionCache._index_key``, a private method (numba 0.60–0.68); a numba without it compiles
kernels with helpers in memory in each process instead (slower to start, same results), and a
kernel without helpers on numba's own cache. Module constants a kernel or helper reads (numbers,
strings, tuples of them, nested; arrays; a module's attributes, ``consts.SLACK``; default
arguments: what numba freezes into the machine code) count in the key by value, wherever they are
defined, so a constant changed in another module (``from twin.building.facility import
BOUND_SLACK``) is recompiled, never loaded stale (on a numba without the key method, a kernel
without helpers is keyed by numba on its own file only).

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

import hashlib
import inspect
import threading
import types
from collections.abc import Callable
from typing import Any

from twin.core.params import ConfigError

__all__ = [
    "AUTO_MIN_CASE_YEARS",
    "KERNELS",
    "compiled",
    "helpers_of",
    "kernel_helper",
    "kernel_intrinsic",
    "use_compiled",
]

KERNELS = ("auto", "numba", "reference")
"""The values of ``kernel=``."""

AUTO_MIN_CASE_YEARS = 1000
"""Smallest run (case-years) that ``kernel="auto"`` compiles: by the run's size alone, never by
what the process ran before. Where a fresh process breaks even (numba's import and the cached
kernel's load against the time saved per case-year, ``python bench/run.py kernel-cost engine``)
is measured in README "Engine speed"; the two paths agree to 1e-12 either way."""

_HELPER = "__twin_kernel_helper__"
_INTRINSIC = "__twin_kernel_intrinsic__"
_COMPILED: dict[Any, Callable[..., Any]] = {}
_LOCK = threading.RLock()


def kernel_helper(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a plain function as a helper that compiled kernels call (compiled with them, see the module)."""
    setattr(fn, _HELPER, True)
    return fn


def kernel_intrinsic(build: Callable[[], Any]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Mark a plain function as a helper whose compiled version is ``build()`` (a numba
    ``@intrinsic`` made when a kernel that calls it is compiled, so that numba is imported then
    and never with the module); the plain function is what the kernel calls uncompiled."""

    def mark(fn: Callable[..., Any]) -> Callable[..., Any]:
        setattr(fn, _INTRINSIC, build)
        return kernel_helper(fn)

    return mark


def _global_names(fn: Callable[..., Any]) -> set[str]:
    """The global names ``fn``'s code reads, nested code objects (comprehensions) included."""
    names: set[str] = set()
    stack = [fn.__code__]
    while stack:
        code = stack.pop()
        names.update(code.co_names)
        stack += [c for c in code.co_consts if isinstance(c, types.CodeType)]
    return names


def helpers_of(fn: Callable[..., Any]) -> dict[str, Callable[..., Any]]:
    """The :func:`kernel_helper` functions ``fn`` calls by global name: ``{name: function}``."""
    names = _global_names(fn)
    found = {n: fn.__globals__.get(n) for n in sorted(names)}
    return {n: f for n, f in found.items() if f is not None and getattr(f, _HELPER, False)}


def _source_digest(fns: list[Callable[..., Any]]) -> str:
    """Digest of the source files that define ``fns``, their code (nested code objects by their
    contents, never by a repr that holds an address), default arguments and the module constants
    they read (:func:`_frozen_values`)."""
    h = hashlib.sha256()
    for path in sorted({inspect.getsourcefile(f) or "" for f in fns}):
        try:
            with open(path, "rb") as fh:
                h.update(fh.read())
        except OSError:
            h.update(path.encode())
    for f in fns:
        _code_digest(h, f.__code__)
        h.update(str(_frozen_text(f.__defaults__)).encode())
        h.update(_frozen_values(f).encode())
    return h.hexdigest()


def _code_digest(h: Any, code: types.CodeType) -> None:
    """Add ``code``'s bytecode, names and constants to ``h``, nested code objects recursively."""
    h.update(code.co_code)
    h.update(repr(code.co_names).encode())
    for c in code.co_consts:
        if isinstance(c, types.CodeType):
            _code_digest(h, c)
        else:
            h.update(repr(c).encode())


_SCALARS = (bool, int, float, complex, str, bytes, type(None))


def _frozen_text(v: Any) -> str | None:
    """``v`` as numba would freeze it, as stable text: a number, string or None by its repr, a
    tuple element by element (nested), an array by dtype, shape and its bytes' digest; ``None``
    for what numba does not freeze as a constant (functions, modules, dicts)."""
    import numpy as np

    if isinstance(v, np.ndarray):
        return f"array({v.dtype},{v.shape},{hashlib.sha256(np.ascontiguousarray(v).tobytes()).hexdigest()})"
    if isinstance(v, _SCALARS) or isinstance(v, np.number | np.bool_):
        return repr(v)
    if isinstance(v, tuple):
        parts = [_frozen_text(x) for x in v]
        return None if any(p is None for p in parts) else f"({','.join(parts)})"  # type: ignore[arg-type]
    return None


def _frozen_values(fn: Callable[..., Any]) -> str:
    """The module constants ``fn`` reads that numba freezes into its machine code, by value
    (:func:`_frozen_text`): its globals, and the attributes of a module it reads (``consts.SLACK``:
    every name of ``fn``'s code that the module has)."""
    names = sorted(_global_names(fn))
    out = []
    for name in names:
        v = fn.__globals__.get(name)
        if isinstance(v, types.ModuleType):
            for attr in names:
                text = _frozen_text(getattr(v, attr, None)) if hasattr(v, attr) else None
                if text is not None:
                    out.append(f"{name}.{attr}={text}")
        elif (text := _frozen_text(v)) is not None and name in fn.__globals__:
            out.append(f"{name}={text}")
    return ";".join(out)


def _against_helpers(fn: Callable[..., Any], reached: list[Callable[..., Any]]) -> Callable[..., Any]:
    """``fn`` with its helpers' names bound to their compiled versions (``fn`` itself without helpers)."""
    helpers = helpers_of(fn)
    if not helpers:
        return fn
    bound = {}
    for name, h in helpers.items():
        reached.append(h)
        if h not in _COMPILED and hasattr(h, _INTRINSIC):
            _COMPILED[h] = getattr(h, _INTRINSIC)()
        elif h not in _COMPILED:
            import numba

            _COMPILED[h] = numba.njit(nogil=True, error_model="numpy", inline="always")(_against_helpers(h, reached))
        else:
            _against_helpers(h, reached)  # its own helpers count in the digest
        bound[name] = _COMPILED[h]
    g = types.FunctionType(fn.__code__, {**fn.__globals__, **bound}, fn.__name__, fn.__defaults__, fn.__closure__)
    g.__qualname__, g.__module__, g.__doc__ = fn.__qualname__, fn.__module__, fn.__doc__
    return g


def _cached(py_func: Callable[..., Any], salt: str) -> Any:
    """numba's function cache, its key extended by ``salt`` (the helpers' and constants' digest)."""
    from numba.core.caching import FunctionCache

    if not callable(getattr(FunctionCache, "_index_key", None)):
        raise RuntimeError("this numba's FunctionCache has no _index_key: no disk cache for kernels with helpers")

    class HelperAwareCache(FunctionCache):
        def _index_key(self, sig: Any, codegen: Any) -> tuple:
            return (*super()._index_key(sig, codegen), salt)

    return HelperAwareCache(py_func)


def _noalias_pipeline() -> Any:
    """numba's standard compiler with the ``noalias`` flag: every array argument's data marked
    as not overlapping any other argument's (numba sets it for its own parallel kernels)."""
    from numba.core.compiler import Compiler

    class NoAliasCompiler(Compiler):
        def __init__(
            self, typingctx: Any, targetctx: Any, library: Any, args: Any, return_type: Any, flags: Any, locals: Any
        ) -> None:
            flags.noalias = True
            super().__init__(typingctx, targetctx, library, args, return_type, flags, locals)

    return NoAliasCompiler


def compiled(fn: Callable[..., Any], noalias: bool = False, reassociate: bool = False) -> Callable[..., Any]:
    """``fn`` compiled by numba (once per process; from the disk cache after the first process),
    with the :func:`kernel_helper` functions it calls compiled first.

    ``noalias``: the caller promises that no array ``fn`` writes overlaps another of its array
    arguments (each call gets arrays of its own), so the compiler needs no runtime overlap
    checks and vectorises loops that write many arrays (a compilation of its own, in memory and
    on disk). ``reassociate``: floating-point sums and products may be regrouped (numba's
    ``fastmath={"reassoc"}`` alone: no assumption about NaN, infinities or signed zeros), so
    that a sum over a loop is vectorised as several partial sums; results move by rounding
    only, as numpy's pairwise sums differ from a running sum.
    """
    key = (fn, "noalias" if noalias else "", "reassoc" if reassociate else "") if noalias or reassociate else fn
    with _LOCK:
        f = _COMPILED.get(key)
        if f is None:
            import numba

            reached: list[Callable[..., Any]] = []
            py_func = _against_helpers(fn, reached)
            from numba.core.compiler import Compiler

            pipeline = _noalias_pipeline() if noalias else Compiler
            fastmath = {"reassoc"} if reassociate else False
            f = numba.njit(nogil=True, error_model="numpy", pipeline_class=pipeline, fastmath=fastmath)(py_func)
            try:
                salt = (
                    _source_digest([fn, *reached])
                    + (" noalias" if noalias else "")
                    + (" reassoc" if reassociate else "")
                )
                try:
                    f._cache = _cached(py_func, salt)  # type: ignore[attr-defined]
                except RuntimeError:  # a numba without the key method: a kernel without helpers on numba's own cache
                    if reached:
                        raise
                    f.enable_caching()
            except (RuntimeError, ImportError, AttributeError, TypeError):
                pass  # no writable cache directory anywhere, or a kernel with helpers on such a numba: compile in memory
            _COMPILED[key] = f
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
