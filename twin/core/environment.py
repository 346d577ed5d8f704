"""The environment variables the twin reads: one table, one reader, one check.

Every ``TWIN_*`` variable is declared once in :data:`ENVIRONMENT` with its meaning, default and
allowed values (the README's table is this one). :func:`env` reads one, :func:`check_environment`
all of them (the ``twin`` command does that before any command runs). A bad value is a
:class:`~twin.core.params.ConfigError` naming the variable, its value and what is allowed.
An empty or blank variable is the same as an unset one, as for the XDG base directories
(``TWIN_CACHE_DIR=`` keeps the cache on; ``off`` turns it off).

``TWIN_SITE_PATH`` is also read by :mod:`sites` (which knows nothing of the twin) with the same
check, :func:`weather.files.input_dirs`.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from twin.core.fmt import number

__all__ = ["ENVIRONMENT", "MAX_THREADS", "OFF", "EnvVar", "check_environment", "env"]

OFF = "off"
"""What :func:`env` gives for ``TWIN_CACHE_DIR`` set to ``off``, ``none`` or ``0``."""


@dataclass(frozen=True)
class EnvVar:
    """One environment variable: its name, what it does, its default and what it allows.

    ``parse(text)`` turns a non-empty value into what the code uses, or raises ValueError
    whose message says what is wrong (the variable's name, value and ``allowed`` are added).
    """

    name: str
    meaning: str
    default: str
    allowed: str
    parse: Callable[[str], Any]


MAX_THREADS = 8192
"""The most threads ``TWIN_THREADS`` may ask for: the most CPUs a Linux kernel can be built for
(x86-64 ``CONFIG_NR_CPUS`` with ``MAXSMP``), so more than any machine the twin could run on;
a run starts at most one thread per block of cases."""


def _threads(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise ValueError("not a whole number") from None
    if n < 1:
        raise ValueError("below 1")
    if n > MAX_THREADS:
        raise ValueError(f"above {number(MAX_THREADS)} (MAX_THREADS, the most CPUs a Linux kernel supports)")
    return n


MIN_MEMORY_GB = 0.01
"""The least ``TWIN_MEMORY_GB``, GB (10 MB). Assumption: an input bound, not a measurement; 80 %
of it still holds one case-year of hourly results (8,760 h × 45 variables × 8 bytes ≈ 3.2 MB),
and below it every run's hourly result would be refused (a value such as ``1e-300`` is a typo,
not a limit)."""


def _between(lo: float, limit: float, *, lo_allowed: bool = False) -> Callable[[str], float]:
    """A number above ``lo`` (or equal to it with ``lo_allowed``) and below ``limit``."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise ValueError("not a number") from None
        if not (math.isfinite(value) and (lo <= value if lo_allowed else lo < value) and value < limit):
            raise ValueError("out of range")
        return value

    return parse


def _cache_dir(text: str) -> Path | str:
    if text.lower() in ("off", "none", "0"):
        return OFF
    p = Path(text).expanduser()
    if p.exists() and not p.is_dir():
        raise ValueError(f"{p} is a file, not a folder")
    for up in p.parents:  # the nearest existing folder above must be one: a file there makes it impossible
        if up.exists():
            if not up.is_dir():
                raise ValueError(f"{up} is a file, so {p} cannot be made a folder")
            break
    return p


def _site_path(text: str) -> list[Path]:
    from weather.files import input_dirs

    try:
        return input_dirs(text, "site directory")
    except ValueError as exc:
        raise ValueError(str(exc)) from None


_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


def _flag(text: str) -> bool:
    if text.lower() not in (*_TRUE, *_FALSE):
        raise ValueError("neither yes nor no")
    return text.lower() in _TRUE


ENVIRONMENT: dict[str, EnvVar] = {
    v.name: v
    for v in (
        EnvVar(
            "TWIN_CACHE_DIR",
            "folder of the disk cache of derived tables (created when first needed)",
            "$XDG_CACHE_HOME/pue-twin, else ~/.cache/pue-twin",
            "a folder path (not an existing file); off, none or 0 turn the cache off",
            _cache_dir,
        ),
        EnvVar(
            "TWIN_CACHE_MAX_MB",
            "bound of the disk cache's size, megabytes (10⁶ bytes); least recently used entries go first",
            "500",
            f"a number of megabytes > 0 and below {number(1e300)}, e.g. 500 or 0.5",
            _between(0.0, 1e300),
        ),
        EnvVar(
            "TWIN_DEBUG",
            "an internal error (exit 70) shows its Python traceback",
            "off",
            "1, true, yes, on / 0, false, no, off",
            _flag,
        ),
        EnvVar(
            "TWIN_MEMORY_GB",
            "memory a run may use, GB (an hourly result above 80 % of it is refused before the run)",
            "the memory available now",
            f"a number of GB ≥ {number(MIN_MEMORY_GB)} (10 MB, the least that holds one case-year), e.g. 8 or 0.5",
            _between(MIN_MEMORY_GB, math.inf, lo_allowed=True),
        ),
        EnvVar(
            "TWIN_SITE_PATH",
            "folders of extra site files, searched after --site-dir and before the built-in sites",
            "none",
            f"existing folders separated by {os.pathsep!r}",
            _site_path,
        ),
        EnvVar(
            "TWIN_THREADS",
            "threads of one run (1 in a busy server; the Dash app and Dask workers set 1)",
            "all cores",
            f"a whole number from 1 to {number(MAX_THREADS)}",
            _threads,
        ),
    )
}
"""Every environment variable the twin reads, by name."""


def env(name: str) -> Any:
    """The value of the environment variable ``name`` (a key of :data:`ENVIRONMENT`), parsed;
    ``None`` when it is unset, empty or blank.

    Raises
    ------
    ConfigError
        The value is not allowed: the message names the variable, the value and what is allowed.
    """
    var = ENVIRONMENT[name]
    text = os.environ.get(name, "").strip()
    if not text:
        return None
    try:
        return var.parse(text)
    except ValueError as exc:
        from twin.core.params import ConfigError

        raise ConfigError(f"{name} = {text!r}: {exc}; allowed: {var.allowed} (unset or empty: {var.default})") from None


def check_environment() -> None:
    """Check every variable of :data:`ENVIRONMENT` (the first bad one is a ConfigError)."""
    for name in ENVIRONMENT:
        env(name)
