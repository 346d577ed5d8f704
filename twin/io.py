"""File output at the edge: atomic writes that never overwrite a user's file by accident."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import xarray as xr

__all__ = ["OutputError", "atomic_write", "write_csv", "write_netcdf"]


class OutputError(ValueError):
    """An output path that cannot or must not be written."""


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
