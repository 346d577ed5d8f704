"""A per-user disk cache of derived tables, so that a new process does not compute them again.

What is cached is deterministic and costly to derive but cheap to read: CoolProp's fluid list
and the property tables of :mod:`twin.building.fluids` (importing CoolProp alone costs about
2 s), pvlib's diffuse incidence-angle table and the generated typical years of
:mod:`twin.engine.weather_source`. Each entry is keyed by its inputs, the versions of the
libraries that compute it and a digest of the twin's own source files that compute it, so
upgrading CoolProp or editing the generator invalidates the entries it touches.

Where: ``$TWIN_CACHE_DIR`` if set (``off`` turns the cache off), else
``$XDG_CACHE_HOME/pue-twin``, else ``~/.cache/pue-twin``. Deleting the folder is always safe.

Rules: the cache never changes a result (an entry holds the computed arrays bit for bit, in
NumPy's ``.npz`` format, read without pickle); it never makes a run fail (a missing,
unwritable or read-only folder means computing, a corrupt or truncated entry is computed
again and replaced); entries are written to a temporary file and renamed, so another process
sees the whole file or none.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

__all__ = ["CACHE_ENV", "cache_dir", "cached", "package_version", "source_digest"]

CACHE_ENV = "TWIN_CACHE_DIR"
"""Environment variable naming the cache folder; ``off`` (or empty) turns the cache off."""
FORMAT = 1
"""Layout of an entry; part of every key."""
_KEY = "__key__"

T = TypeVar("T")


def cache_dir() -> Path | None:
    """The cache folder (it may not exist yet), or ``None`` when the cache is off."""
    value = os.environ.get(CACHE_ENV)
    if value is not None:
        value = value.strip()
        return None if value.lower() in ("", "off", "none", "0") else Path(value).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME", "").strip()
    if xdg and os.path.isabs(xdg):  # the XDG spec: a relative path is invalid and ignored
        return Path(xdg) / "pue-twin"
    try:
        return Path.home() / ".cache" / "pue-twin"
    except (RuntimeError, KeyError):  # no home directory: no cache
        return None


@functools.cache
def package_version(name: str) -> str:
    """Installed version of a distribution (``"CoolProp"``), ``"absent"`` if not installed.

    Read from the package metadata, so the package itself is not imported.
    """
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return "absent"


@functools.cache
def source_digest(*files: str) -> str:
    """SHA-256 (first 16 hex digits) of source files: the code that computes an entry."""
    h = hashlib.sha256()
    for f in files:
        try:
            h.update(Path(f).read_bytes())
        except OSError:  # e.g. a zipped install: the entry is then keyed by versions only
            h.update(f.encode())
    return h.hexdigest()[:16]


def _path(kind: str, text: str) -> Path | None:
    folder = cache_dir()
    if folder is None:
        return None
    return folder / f"{kind}-{hashlib.sha256(text.encode()).hexdigest()[:32]}.npz"


def _load(path: Path, text: str) -> dict[str, np.ndarray] | None:
    try:
        with np.load(path, allow_pickle=False) as z:
            if _KEY not in z.files or str(z[_KEY]) != text:
                return None
            return {k: z[k] for k in z.files if k != _KEY}
    except FileNotFoundError:
        return None
    except Exception:  # a corrupt or truncated entry (zip, npy or OS error) is a miss
        return None


def _store(path: Path, text: str, arrays: Mapping[str, np.ndarray]) -> None:
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}-", suffix=".part")
        with os.fdopen(fd, "wb") as fh:
            np.savez(fh, **{_KEY: np.array(text), **arrays})  # type: ignore[arg-type]  # names are keywords
        os.replace(tmp, path)
        tmp = None
    except OSError:  # read-only, full or missing folder: the result stands, uncached
        pass
    finally:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass


def cached(
    kind: str,
    inputs: Mapping[str, Any],
    compute: Callable[[], T],
    encode: Callable[[T], Mapping[str, np.ndarray] | None],
    decode: Callable[[Mapping[str, np.ndarray]], T],
    *,
    libraries: Sequence[str] = (),
    sources: Sequence[str] = (),
) -> T:
    """``compute()``, or its result read back from the disk cache.

    Parameters
    ----------
    kind : str
        Name of the table (the file name's prefix), e.g. ``"cycle"``.
    inputs : mapping
        Every input the result depends on, JSON-serialisable (an input JSON cannot spell
        exactly means no caching).
    compute : callable
        Computes the result (a miss).
    encode : callable
        The result as named arrays (numeric, boolean, datetime or text; no objects), or
        ``None`` when this result is not to be cached.
    decode : callable
        Inverse of ``encode``; must rebuild the result exactly. An exception in it counts
        as a miss.
    libraries : sequence of str
        Distributions whose versions are part of the key (:func:`package_version`).
    sources : sequence of str
        Source files of the code that computes the result, part of the key by their digest
        (:func:`source_digest`).

    Returns
    -------
    The result; equal, bit for bit, whether read or computed.
    """
    key = {
        "format": FORMAT,
        "kind": kind,
        "inputs": inputs,
        "libraries": {name: package_version(name) for name in libraries},
        "code": source_digest(*sources),
    }
    try:
        text = json.dumps(key, sort_keys=True, allow_nan=False)
    except (TypeError, ValueError):
        return compute()
    path = _path(kind, text)
    if path is not None:
        arrays = _load(path, text)
        if arrays is not None:
            try:
                return decode(arrays)
            except Exception:  # an entry that does not decode is a miss
                pass
    value = compute()
    if path is not None:
        encoded = encode(value)
        if encoded is not None:
            _store(path, text, encoded)
    return value
