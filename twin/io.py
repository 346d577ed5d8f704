"""Files at the edge: hourly input series, and atomic writes that never overwrite a user's file by accident."""

from __future__ import annotations

import datetime
import os
import tempfile
from collections.abc import Callable, Hashable
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

__all__ = ["OutputError", "atomic_write", "cf_dataset", "read_hourly_csv", "write_csv", "write_netcdf"]


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


def atomic_write(path: str | os.PathLike[str], write: Callable[[Path], object], *, force: bool = False) -> Path:
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


CF_VERSION = "CF-1.10"

COORD_ATTRS = {
    "case": {"long_name": "case number (sites × designs × swept values)", "units": "1"},
    "site": {"long_name": "site key (twin sites)"},
    "design": {"long_name": "cooling design"},
}
"""Attributes of the case coordinates of a simulated Dataset."""


def _utc_offset_text(hours: float) -> str:
    """``+08:00`` for 8, ``-05:00`` for -5, ``+05:45`` for 5.75."""
    minutes = round(abs(hours) * 60)
    return f"{'-' if hours < 0 else '+'}{minutes // 60:02d}:{minutes % 60:02d}"


def cf_dataset(ds: xr.Dataset, *, title: str | None = None) -> xr.Dataset:
    """A copy of a Dataset laid out as the CF conventions (1.10) ask, for a NetCDF file.

    * global ``Conventions``, ``title``, ``institution``, ``source``, ``history``, ``references``;
    * time as hours since the first stamp, with the UTC offset in the units
      (``hours since 2021-01-01 00:00:00 +08:00``: the stamps are local standard time) when the
      Dataset has one (``attrs["utc_offset_h"]``); a run of sites with different offsets says so
      in the time variable's ``comment`` instead;
    * text coordinates (``site``, ``design``) as character arrays, coordinates named; a swept
      parameter's coordinate ``green.pv.capacity_mw`` becomes ``green__pv__capacity_mw`` (its
      ``parameter`` attribute keeps the key);
    * units from :mod:`twin.variables` (UDUNITS), ``flag_values`` / ``flag_meanings`` on ``mode``.
    """
    from twin import __version__

    out = ds.copy(deep=False)
    out.attrs = dict(ds.attrs)
    for coord, extra in COORD_ATTRS.items():
        if coord in out.variables:
            out[coord].attrs.update(extra)
    for name in list(out.variables):
        if out[name].dtype.kind in "OU":
            out[name] = out[name].astype(str)
            out[name].encoding["dtype"] = "S1"
    renames: dict[Hashable, str] = {}
    for name in out.coords:
        if name not in COORD_ATTRS and name != "time":  # a swept parameter, named SECTION.NAME
            out[name].attrs.setdefault("long_name", f"swept parameter {name}")
            out[name].attrs["parameter"] = str(name)
            renames[name] = str(name).replace(".", "__")  # CF names: letters, digits, underscores
    out = out.rename({k: v for k, v in renames.items() if k != v})
    if "time" in out.indexes:
        t = out.indexes["time"]
        t0 = t[0]
        hours = np.asarray((t - t0) / pd.Timedelta(hours=1), dtype=float)
        offset = ds.attrs.get("utc_offset_h")
        units = f"hours since {t0:%Y-%m-%d %H:%M:%S}"
        attrs = {
            "standard_name": "time",
            "long_name": "time, local standard time, start of the hour",
            "calendar": "standard",
            "axis": "T",
        }
        if offset is not None and np.isfinite(offset):
            units += f" {_utc_offset_text(float(offset))}"
        else:
            attrs["comment"] = "local standard time of each case's site (the sites have different UTC offsets)"
        out = out.assign_coords(time=("time", hours, {"units": units, **attrs}))
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    out.attrs.update(
        Conventions=CF_VERSION,
        title=title or f"PUE twin: {ds.attrs.get('scenario', 'hourly data')}",
        institution="pue-twin, an open-source data-centre energy twin",
        source=f"pue-twin {__version__}: hourly data-centre energy, PUE and green-power model",
        history=(f"{ds.attrs['history']}\n" if "history" in ds.attrs else "")
        + f"{stamp} written by twin {__version__}",
        references="docs/references.md of the pue-twin repository (keys in each parameter's source)",
    )
    return out


def write_netcdf(ds: xr.Dataset, path: str | os.PathLike[str], *, force: bool = False) -> Path:
    """Write a Dataset to NetCDF4 (h5netcdf engine) atomically, laid out by :func:`cf_dataset`."""
    cf = cf_dataset(ds)
    return atomic_write(path, lambda p: cf.to_netcdf(p, engine="h5netcdf"), force=force)


def write_csv(ds: xr.Dataset, path: str | os.PathLike[str], *, force: bool = False) -> Path:
    """Write the hourly variables of a Dataset to CSV atomically (units in the header)."""

    def _write(p: Path) -> None:
        df = ds.to_dataframe()
        df.columns = [f"{c} [{ds[c].attrs.get('units', '')}]" for c in df.columns]
        df.to_csv(p)

    return atomic_write(path, _write, force=force)
