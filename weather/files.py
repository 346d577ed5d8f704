"""The one check of an input file's path, before it is read: weather files here, and the
twin's scenario files, case lists and hourly CSV files (``twin`` passes its own error class).

A path that is missing, a directory, not a regular file or not readable gives one message
naming the path and what it should have been, e.g. ``adir: is a directory, not a weather file``.
"""

from __future__ import annotations

import codecs
import os
import re
import unicodedata
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


UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
"""The byte-order marks of UTF-16 text (Windows Notepad's "Unicode"): such a file is read as
UTF-16 (it was refused as "not an EPW file")."""


def station_text(raw: bytes) -> str:
    """The text of a station's weather file (EPW, TMY3, a PVGIS CSV), decoded by the first of:

    0. UTF-16, when it starts with its byte-order mark (:data:`UTF16_BOMS`).
    1. UTF-8, a byte-order mark dropped (a Windows editor's ``\\ufeffLOCATION,…`` was refused as
       not an EPW file). UTF-8's multi-byte sequences are strict, so text of another encoding
       is hardly ever valid UTF-8: it goes first.
    2. GB18030 (a superset of GBK and GB2312), when the whole text decodes in it strictly and
       every run of non-ASCII bytes passes :func:`_chinese`'s checks: files from Chinese sources
       often name the station in GBK (``西峰镇``), and those names were shown and written as
       Latin-1 mojibake (``Î÷·åÕò``). Any byte pair ``0x81-0xFE`` + ``0x40-0xFE`` decodes in
       GB18030, so accented Latin-1 letters in a row would too: the checks refuse a run inside
       a word of ASCII letters shorter than :data:`GLUED_HAN` Chinese characters
       (``Conceição``'s ``çã``; ``Xifeng西峰镇Station`` is read), a run that does not decode by
       itself (``ÓÐINSVÉ``'s ``É``; a Latin-1 ``°`` before a ``C``), and text whose longest
       Chinese run is one character at a word's edge (``Þórisvatn``'s ``Þó``); a one-character
       name standing alone (``京``, no ASCII letter beside it) is read.
    3. Latin-1, where every byte is a character (an older file's ``Zürich`` in Latin-1 or
       Windows-1252). Text that is neither UTF-8 nor GB18030 throughout is Latin-1 throughout.

    The numbers are ASCII in each. Never raises: every byte string has a Latin-1 text.

    Examples
    --------
    >>> station_text("\\ufeffLOCATION,西峰镇".encode()), station_text("LOCATION,Zürich".encode("latin-1"))
    ('LOCATION,西峰镇', 'LOCATION,Zürich')
    >>> station_text("LOCATION,西峰镇".encode("gbk")), station_text("LOCATION,Conceição".encode("latin-1"))
    ('LOCATION,西峰镇', 'LOCATION,Conceição')
    >>> station_text("LOCATION,Þórisvatn".encode("latin-1")), station_text("LOCATION,京,BJ".encode("gbk"))
    ('LOCATION,Þórisvatn', 'LOCATION,京,BJ')
    """
    if raw.startswith(UTF16_BOMS):
        return raw.decode("utf-16", errors="replace")  # a cut last character as U+FFFD: never raises
    raw = raw.removeprefix(b"\xef\xbb\xbf")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    if _chinese(raw):
        try:
            return raw.decode("gb18030")
        except UnicodeDecodeError:
            pass
    return raw.decode("latin-1")


def station_lines(raw: bytes) -> list[str]:
    """The lines of a station's weather file: its first line (the station's name) decoded by
    :func:`station_text` on its own bytes, the rest likewise, so the name reads the same
    whatever follows it (a comment in another encoding, or none: the format sniffer reads only
    the first lines).

    Examples
    --------
    >>> station_lines("LOCATION,西峰镇\\n".encode("gbk") + "COMMENTS 1,30°C".encode("latin-1"))
    ['LOCATION,西峰镇', 'COMMENTS 1,30°C']
    """
    if raw.startswith(UTF16_BOMS):  # b"\n" is half of a character: decoded whole
        return station_text(raw).splitlines()
    first, _, rest = raw.partition(b"\n")
    return station_text(first).splitlines() + station_text(rest).splitlines()


_NON_ASCII = re.compile(rb"[\x80-\xff]+")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


GLUED_HAN = 3
"""The fewest Chinese characters a GB18030 run glued to ASCII letters on both sides is read as
(``Xifeng西峰镇Station``): such a run of fewer (four bytes or two) is read as Latin-1, since
accented Latin-1 letters inside a word come one or two in a row (``Conceição``'s ``çã``,
``créée``'s ``éé``), and six in a row are in no Latin-1 language's words."""


def _chinese(raw: bytes) -> bool:
    """Whether the non-ASCII bytes of ``raw`` are GB18030 text with Chinese characters: every
    run of them decodes by itself and holds no private-use character; a run inside a word of
    ASCII letters (a letter on both sides) is :data:`GLUED_HAN` Chinese characters or more and
    nothing else; and some run holds two Chinese characters or more, or is a word of its own
    (no ASCII letter on either side) of Chinese characters only (see :func:`station_text`)."""
    han, word = 0, False
    for m in _NON_ASCII.finditer(raw):
        before, after = raw[m.start() - 1 : m.start()].isalpha(), raw[m.end() : m.end() + 1].isalpha()
        try:
            text = m.group().decode("gb18030")
        except UnicodeDecodeError:
            return False
        if any(unicodedata.category(c) in ("Co", "Cn") for c in text):
            return False
        n = len(_HAN.findall(text))
        only_han = n == len(text)
        if before and after and not (only_han and n >= GLUED_HAN):
            return False
        word = word or (only_han and not (before or after))
        han = max(han, n)
    return han >= 2 or word
