"""Files at the edge: hourly input series, and atomic writes that never overwrite a user's file by accident."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

__all__ = ["OutputError", "atomic_write", "read_hourly_csv", "write_csv", "write_netcdf"]


class OutputError(ValueError):
    """An output path that cannot or must not be written."""


def read_hourly_csv(path: str, n_hours: int, field: str, column: str, upper: float) -> np.ndarray:
    """An hourly series from a CSV file: one row per hour of the weather year.

    Parameters
    ----------
    path : str
        The file; it has a header row and a column named ``column`` (or a single column).
    n_hours : int
        Hours in the weather year; the file must have exactly that many rows.
    field : str
        The scenario field that named the file (for messages).
    column : str
        Column to read, e.g. ``cf`` (kW per kW installed) or ``utilisation``.
    upper : float
        Largest valid value (the lowest is 0).

    Raises
    ------
    twin.ConfigError
        Unreadable file, missing column, wrong length, or a value outside 0 … ``upper``; the
        message names the file and the first bad line.
    """
    from twin.params import ConfigError

    try:
        df = pd.read_csv(path)
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{field} = {path!r}: cannot read ({exc})") from None
    col = column if column in df.columns else (df.columns[0] if df.shape[1] == 1 else None)
    if col is None:
        raise ConfigError(f"{path}: needs a column {column!r}; columns are {', '.join(map(str, df.columns))}")
    values = pd.to_numeric(df[col], errors="coerce").to_numpy(dtype=float)
    if values.size != n_hours:
        raise ConfigError(f"{path}: {values.size} hourly rows, the weather year has {n_hours}; give one value per hour")
    bad = np.flatnonzero(~np.isfinite(values) | (values < 0) | (values > upper))
    if bad.size:
        v = df[col].iloc[bad[0]]
        shown = repr(v) if isinstance(v, str) else str(v)
        raise ConfigError(f"{path}: line {bad[0] + 2}: {col} = {shown} is outside 0 … {upper:g}")
    return values


def atomic_write(path: str | os.PathLike[str], write: Callable[[Path], None], *, force: bool = False) -> Path:
    """Write a file through a temporary file in the same directory, then rename it into place.

    Parameters
    ----------
    path : path
        Destination.
    write : callable
        Called with the temporary path; must write the whole file there.
    force : bool
        Replace an existing file. Without it an existing file is an error, so nothing a user
        saved is overwritten.

    Notes
    -----
    ``os.replace`` is atomic on POSIX: a reader sees the old file or the new one, never half
    a file, and an interrupted run leaves the old file untouched (the temporary file is
    removed).
    """
    dest = Path(path)
    if dest.exists() and not force:
        raise OutputError(f"{dest} exists; choose another name or pass --force to replace it")
    if not dest.parent.is_dir():
        raise OutputError(f"{dest}: directory {dest.parent} does not exist")
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        write(tmp_path)
        os.replace(tmp_path, dest)
    except BaseException:
        tmp_path.unlink(missing_ok=True)
        raise
    return dest


def write_netcdf(ds: xr.Dataset, path: str | os.PathLike[str], *, force: bool = False) -> Path:
    """Write a Dataset to NetCDF4 (h5netcdf engine) atomically."""
    return atomic_write(path, lambda p: ds.to_netcdf(p, engine="h5netcdf"), force=force)


def write_csv(ds: xr.Dataset, path: str | os.PathLike[str], *, force: bool = False) -> Path:
    """Write the hourly variables of a Dataset to CSV atomically (units in the header)."""

    def _write(p: Path) -> None:
        df = ds.to_dataframe()
        df.columns = [f"{c} [{ds[c].attrs.get('units', '')}]" for c in df.columns]
        df.to_csv(p)

    return atomic_write(path, _write, force=force)
