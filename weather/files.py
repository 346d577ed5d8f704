"""The one check of an input file's path, before it is read: weather files here, and the
twin's scenario files, case lists and hourly CSV files (``twin`` passes its own error class).

A path that is missing, a directory, not a regular file or not readable gives one message
naming the path and what it should have been, e.g. ``adir: is a directory, not a weather file``.
"""

from __future__ import annotations

import os
from pathlib import Path

from weather.fmt import Explained

__all__ = ["input_dir", "input_dirs", "input_file"]


def input_file(
    path: str | os.PathLike[str], what: str, error: type[Exception] | None = None, *, empty: bool = True
) -> Path:
    """The path of an input file that can be read, or ``error`` saying what is wrong with it.

    Parameters
    ----------
    path : str or path-like
        The file a user named.
    what : str
        What the file should be, for the message: ``"weather file"``, ``"scenario file"``.
    error : type of Exception, optional
        The error raised (default :class:`weather.WeatherError`).
    empty : bool, default True
        Whether an empty file (0 bytes) is accepted; ``False``: refused as empty (a weather file,
        whose readers would otherwise name the first thing they miss in it).

    Returns
    -------
    pathlib.Path
        ``path`` as a Path.

    Raises
    ------
    Exception
        ``error``: the path does not exist, is a directory, is not a regular file (a device,
        a pipe), cannot be read, or is empty and ``empty`` is False; the message names the path.
    """
    p = _check(path, what, error, folder=False)
    if not empty and p.stat().st_size == 0 and not _has_a_byte(p):  # /proc's files report 0 bytes and hold text
        raise (error or _weather_error())(f"{p}: the {what} is empty (0 bytes)")
    return p


def _has_a_byte(p: Path) -> bool:
    try:
        with open(p, "rb") as fh:
            return bool(fh.read(1))
    except OSError:
        return False


def input_dir(path: str | os.PathLike[str], what: str, error: type[Exception] | None = None) -> Path:
    """As :func:`input_file`, for a directory (``what``: ``"site directory"``) that can be listed."""
    return _check(path, what, error, folder=True)


def _check(path: str | os.PathLike[str], what: str, error: type[Exception] | None, folder: bool) -> Path:
    if error is None:
        error = _weather_error()
    p = Path(path)
    try:
        is_dir, is_file, exists = p.is_dir(), p.is_file(), p.exists()
    except OSError as exc:  # e.g. a name too long for the file system
        raise error(f"{p}: cannot open the {what} ({exc.strerror or exc})") from None
    if not exists:
        err = error(f"{p}: no such {what}")
        raise err.explained("no_such_file", file=str(p), what=what) if isinstance(err, Explained) else err
    if folder and not is_dir:
        raise error(f"{p}: is a file, not a {what}")
    if not folder and is_dir:
        raise error(f"{p}: is a directory, not a {what}; give the file's path")
    if not (folder or is_file):
        raise error(f"{p}: is not a regular file (a device, pipe or socket); give a {what}")
    if not os.access(p, os.R_OK | (os.X_OK if folder else 0)):
        raise error(f"{p}: cannot read the {what} (permission denied)")
    return p


def _weather_error() -> type[Exception]:
    from weather.dataset import WeatherError

    return WeatherError


def input_dirs(text: str, what: str, error: type[Exception] | None = None) -> list[Path]:
    """The directories of a search path (``DIR1:DIR2``, :data:`os.pathsep`), each checked by
    :func:`input_dir`; empty entries are skipped."""
    return [input_dir(d, what, error) for d in text.split(os.pathsep) if d.strip()]


def station_text(raw: bytes) -> str:
    """The text of a station's weather file (EPW, TMY3, a PVGIS CSV): UTF-8 when its bytes are
    UTF-8, a byte-order mark dropped (a Windows editor's ``\\ufeffLOCATION,…`` was refused as not
    an EPW file), else Latin-1, where every byte is a character (an older file's ``Zürich`` in
    Latin-1 or Windows-1252). A UTF-8 station name (``西峰镇``) was read as Latin-1 and shown and
    written as ``è¥¿å³°é``. The numbers are ASCII in either.

    Examples
    --------
    >>> station_text("\\ufeffLOCATION,西峰镇".encode()), station_text("LOCATION,Zürich".encode("latin-1"))
    ('LOCATION,西峰镇', 'LOCATION,Zürich')
    """
    raw = raw.removeprefix(b"\xef\xbb\xbf")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")
