"""A per-user disk cache of derived tables, so that a new process does not compute them again.

What is cached is deterministic and costly to derive but cheap to read: CoolProp's fluid list
and the property tables of :mod:`twin.building.fluids` (importing CoolProp alone costs about
2 s), pvlib's diffuse incidence-angle table and the generated typical years of
:mod:`twin.engine.weather_source`. Each entry is keyed by its inputs, the versions of the
libraries that compute it and a digest of the twin's own source files that compute it, so
upgrading CoolProp or editing the generator invalidates the entries it touches.

Where: ``$TWIN_CACHE_DIR`` if set and not empty (``off`` turns the cache off), else
``$XDG_CACHE_HOME/pue-twin``, else ``~/.cache/pue-twin``. Deleting the folder is always safe.

Size: at most ``$TWIN_CACHE_MAX_MB`` megabytes (default :data:`DEFAULT_MAX_MB`). After a new
entry (when the folder may be over the bound: :data:`RESCAN_S`) the least recently used entries
(by modification time, which a read refreshes) are removed until the folder fits, except entries used in the last :data:`IN_USE_S` seconds (another
process may be reading them) and the temporary files of writers (``.part``; one older than a
day is a dead writer's and is removed). Only files named as the cache names them are pruned or
cleared: a user's own files in the folder are never touched. One process prunes at a time (a lock file); a reader
whose entry disappears under it computes the result again. ``twin cache info`` / ``clear``.

Rules: the cache never changes a result (an entry holds the computed arrays bit for bit, in
NumPy's ``.npz`` format, read without pickle); it never makes a run fail (a missing,
unwritable or read-only folder means computing, a corrupt or truncated entry is computed
again and replaced); entries are written to a temporary file and renamed, so another process
sees the whole file or none.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import re
import sys
import time
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from twin.core.environment import OFF, env
from twin.core.fmt import number

__all__ = [
    "CACHE_ENV",
    "DEFAULT_MAX_MB",
    "MAX_ENV",
    "cache_dir",
    "cache_info",
    "cached",
    "clear",
    "max_bytes",
    "package_version",
    "prune",
    "source_digest",
]

CACHE_ENV = "TWIN_CACHE_DIR"
"""Environment variable naming the cache folder; ``off`` turns the cache off (empty: unset)."""
MAX_ENV = "TWIN_CACHE_MAX_MB"
"""Environment variable bounding the cache folder's size, in megabytes (10⁶ bytes)."""
DEFAULT_MAX_MB = 500.0
"""Default bound: several hundred generated years and profiles (a generated year is ≈ 0.65 MB,
the other tables are small); a developer's folder held ≈ 190 MB in ≈ 500 entries after a day
of work (``twin cache info``)."""
IN_USE_S = 60.0
"""An entry read or written this recently is never pruned (a read takes milliseconds)."""
STALE_PART_S = 86400.0
"""A writer's temporary file this old belongs to a process that died; pruning removes it."""
_LOCK = ".prune.lock"
FORMAT = 1
"""Layout of an entry; part of every key."""
_KEY = "__key__"
_KIND = "[a-z_-]+"
"""A kind of table: the first part of an entry's name (the name is ``KIND-DIGEST.npz``)."""
_ENTRY = re.compile(rf"{_KIND}-[0-9a-f]{{32}}\.npz")
"""An entry's file name (:func:`_path`); nothing else in the folder is pruned or cleared."""
_PART = re.compile(rf"\.{_KIND}-[0-9a-f]{{32}}-[a-z0-9_]+\.part")
"""A writer's temporary file name (:func:`_store`: ``.`` + the entry's stem + ``-`` + random)."""

T = TypeVar("T")


def cache_dir() -> Path | None:
    """The cache folder (it may not exist yet), or ``None`` when the cache is off."""
    from twin.core.params import ConfigError

    try:
        value = env(CACHE_ENV)
    except ConfigError:  # an existing file: the cache is not used (never a failed run); twin says so
        value = Path(os.environ[CACHE_ENV].strip()).expanduser()
    if value is not None:
        return None if value == OFF else Path(value)
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

    Read from the package metadata, so the package itself is not imported: the ``Version``
    field of the first metadata of ``name`` on ``sys.path`` (names compared as the packaging
    specifications normalise them), as :mod:`importlib.metadata` finds it: a
    ``NAME-VERSION.dist-info`` folder's ``METADATA``, or the ``PKG-INFO`` of a ``NAME.egg-info``
    folder (an egg or ``setup.py develop`` install; an ``.egg-info`` file is that ``PKG-INFO``
    itself). :mod:`importlib.metadata` (about 20 ms to import, and it parses every header of
    the metadata) only where there is none of them (a zip, a custom finder).
    """
    found = _metadata_version(name)
    if found is not None:
        return found
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return "absent"


def _normal_name(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def _metadata_version(name: str) -> str | None:
    """The ``Version`` of the first metadata file of ``name`` on ``sys.path`` (None: none readable)."""
    want = _normal_name(name)
    for entry in sys.path:
        for path in _metadata_files(entry).get(want, ()):
            try:
                with open(os.path.join(entry or ".", path), encoding="utf-8") as fh:
                    for line in fh:
                        if line.startswith("Version:"):
                            return line.partition(":")[2].strip()
                        if not line.strip():  # the end of the headers
                            break
            except OSError:
                continue
    return None


_METADATA = {".dist-info": "METADATA", ".egg-info": "PKG-INFO"}
"""The metadata file inside a distribution's folder, by the folder's suffix."""


@functools.cache
def _metadata_files(entry: str) -> dict[str, list[str]]:
    """The metadata files of one ``sys.path`` entry by normalised distribution name, read once:
    ``NAME-VERSION.dist-info/METADATA``, ``NAME[-VERSION…].egg-info/PKG-INFO`` and an
    ``.egg-info`` file (a ``PKG-INFO`` of its own)."""
    out: dict[str, list[str]] = {}
    try:
        entries = list(os.scandir(entry or "."))
    except OSError:
        return out
    for e in entries:
        for suffix, inside in _METADATA.items():
            if e.name.endswith(suffix):
                try:
                    path = os.path.join(e.name, inside) if e.is_dir() else e.name
                except OSError:
                    continue
                out.setdefault(_normal_name(e.name[: -len(suffix)].partition("-")[0]), []).append(path)
    return out


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
    if not re.fullmatch(_KIND, kind):
        raise ValueError(f"cache kind {kind!r} must match {_KIND} (lower-case letters, '_' and '-')")
    folder = cache_dir()
    if folder is None:
        return None
    return folder / f"{kind}-{hashlib.sha256(text.encode()).hexdigest()[:32]}.npz"


def max_bytes() -> int:
    """The cache's bound in bytes: ``$TWIN_CACHE_MAX_MB`` or :data:`DEFAULT_MAX_MB`.

    Raises
    ------
    ConfigError
        The variable is not a positive number of megabytes (the message names it).
    """
    mb = env(MAX_ENV)  # below 1e300: the bytes (mb × 10⁶) stay finite
    return int(DEFAULT_MAX_MB * 1e6) if mb is None else max(1, int(mb * 1e6))


def _entries(folder: Path) -> list[tuple[float, int, Path]]:
    """``(mtime, size, path)`` of the folder's entries, oldest first (gone ones left out)."""
    out = []
    try:
        with os.scandir(folder) as it:
            for entry in it:
                if _ENTRY.fullmatch(entry.name):
                    try:
                        st = entry.stat()
                    except OSError:
                        continue
                    out.append((st.st_mtime, st.st_size, Path(entry.path)))
    except OSError:
        return []
    return sorted(out)


@contextlib.contextmanager
def _prune_lock(folder: Path) -> Iterator[bool]:
    """Whether this process holds the folder's pruning lock (another pruning: False, skip)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX: prune without the lock (unlink fails on open files there)
        yield True
        return
    try:  # 0o666 less the umask: another user of a shared folder can lock it too
        fd = os.open(folder / _LOCK, os.O_RDWR | os.O_CREAT, 0o666)
    except OSError:
        try:  # another user's lock file, not writable by this one: flock needs only a read
            fd = os.open(folder / _LOCK, os.O_RDONLY)
        except OSError:
            yield False
            return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            yield False
            return
        yield True
    finally:
        os.close(fd)  # closing releases the lock


def prune(folder: Path | None = None, limit: int | None = None, *, now: float | None = None) -> int:
    """Remove least recently used entries until the folder fits ``limit`` bytes; bytes removed.

    Entries used in the last :data:`IN_USE_S` seconds and writers' temporary files younger than
    :data:`STALE_PART_S` are kept, whatever the size. Never raises for the folder's state.
    """
    folder = cache_dir() if folder is None else folder
    if folder is None or not folder.is_dir():
        return 0
    return _prune(folder, max_bytes() if limit is None else limit, time.time() if now is None else now)[0]


def _prune(folder: Path, limit: int, now: float) -> tuple[int, int]:
    """:func:`prune`: ``(bytes removed, bytes left)``; ``(0, 0)`` when another process is pruning."""
    removed = total = 0
    with _prune_lock(folder) as mine:
        if not mine:
            return 0, 0
        for part in folder.glob(".*.part"):
            if not _PART.fullmatch(part.name):
                continue  # not a writer's file of this cache: never touched
            try:
                if now - part.stat().st_mtime > STALE_PART_S:
                    part.unlink()
            except OSError:
                pass
        entries = _entries(folder)
        total = sum(size for _, size, _ in entries)
        for mtime, size, path in entries:
            if total <= limit:
                break
            if now - mtime < IN_USE_S:
                break  # this one and every newer one are in use
            try:
                path.unlink()
            except FileNotFoundError:
                pass
            except OSError:
                continue
            total -= size
            removed += size
    return removed, total


def _state(folder: Path | None) -> str:
    """``"off"``, ``"missing"`` (nothing cached yet), ``"not a folder"`` or ``"ok"``."""
    if folder is None:
        return "off"
    if folder.is_dir():
        return "ok"
    return "not a folder" if os.path.lexists(folder) else "missing"


def cache_info(folder: Path | None = None) -> dict[str, Any]:
    """The cache folder, its state (:func:`_state`), its bound, and the count and bytes of its
    entries in total and per kind."""
    folder = cache_dir() if folder is None else folder
    state = _state(folder)
    kinds: dict[str, list[int]] = {}
    entries = _entries(folder) if folder is not None and state == "ok" else []
    for _, size, path in entries:
        k = kinds.setdefault(path.name.rsplit("-", 1)[0], [0, 0])
        k[0] += 1
        k[1] += size
    return {
        "folder": folder,
        "state": state,
        "limit": max_bytes(),
        "entries": len(entries),
        "bytes": sum(size for _, size, _ in entries),
        "kinds": {k: tuple(v) for k, v in sorted(kinds.items())},
    }


def clear(folder: Path | None = None) -> tuple[int, int, list[OSError]]:
    """Remove every entry; ``(count, bytes)`` removed and the errors of those that could not be.

    Writers' temporary files are left alone; an entry gone meanwhile counts as neither.
    """
    folder = cache_dir() if folder is None else folder
    n = size_sum = 0
    failed: list[OSError] = []
    for _, size, path in _entries(folder) if folder is not None and _state(folder) == "ok" else []:
        try:
            path.unlink()
        except FileNotFoundError:
            continue
        except OSError as exc:
            failed.append(exc)
            continue
        n += 1
        size_sum += size
    return n, size_sum, failed


def _load(path: Path, text: str) -> dict[str, np.ndarray] | None:
    try:
        os.utime(path)  # used now: the pruning of other processes keeps it (before the read, not after)
    except FileNotFoundError:
        return None
    except OSError:  # a read-only folder: reading still works
        pass
    try:
        with np.load(path, allow_pickle=False) as z:
            if _KEY not in z.files or str(z[_KEY]) != text:
                return None
            return {k: z[k] for k in z.files if k != _KEY}
    except FileNotFoundError:
        return None
    except Exception:  # a corrupt or truncated entry (zip, npy or OS error) is a miss
        return None


_SEEN: dict[Path, tuple[float, int]] = {}
"""Per folder: when this process last scanned it (monotonic s) and the bytes it held then plus
those this process stored since."""
RESCAN_S = 60.0
"""A process rescans the folder at its first store, when its own estimate passes the bound, or
this long after its last scan (other processes store too): one scan costs ≈ 5 ms per 500 entries."""


_WARNED: set[str] = set()
"""The bad ``$TWIN_CACHE_MAX_MB`` values this process has warned about."""


def _limit() -> int:
    """:func:`max_bytes`, or the default with one warning when the variable is bad (a run never fails for it)."""
    from twin.core.params import ConfigError

    try:
        return max_bytes()
    except ConfigError as exc:
        text = os.environ.get(MAX_ENV, "")
        if text not in _WARNED:
            _WARNED.add(text)
            warnings.warn(f"{exc}; the cache uses the default {number(DEFAULT_MAX_MB)} MB", stacklevel=2)
        return int(DEFAULT_MAX_MB * 1e6)


def _after_store(folder: Path, size: int) -> None:
    """Prune after a store when the folder may be over its bound (see :data:`RESCAN_S`)."""
    limit = _limit()
    last, held = _SEEN.get(folder, (-np.inf, 0))
    now = time.monotonic()
    if held + size <= limit and now - last < RESCAN_S:
        _SEEN[folder] = (last, held + size)
        return
    _SEEN[folder] = (now, _prune(folder, limit, time.time())[1])


def _store(path: Path, text: str, arrays: Mapping[str, np.ndarray]) -> None:
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        import tempfile  # a writer's only: about 5 ms to import (shutil, random)

        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}-", suffix=".part")
        with os.fdopen(fd, "wb") as fh:
            np.savez(fh, **{_KEY: np.array(text), **arrays})  # type: ignore[arg-type]  # names are keywords
        size = os.stat(tmp).st_size
        os.replace(tmp, path)
        tmp = None
        _after_store(path.parent, size)
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
