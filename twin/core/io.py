"""Files at the edge: hourly input series, and atomic writes that never overwrite a user's file by accident."""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import datetime
import errno
import os
import re
import stat
from collections.abc import Callable, Hashable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from twin.core.fmt import number
from twin.core.version import __version__

if TYPE_CHECKING:
    import xarray as xr


__all__ = [
    "NcContent",
    "NcVariable",
    "OutputError",
    "OutputExists",
    "atomic_write",
    "cf_content",
    "check_output",
    "clean_stale_parts",
    "csv_header",
    "dataset_content",
    "local_time",
    "read_hourly_csv",
    "uncommitted_name",
    "units_text",
    "write_csv",
    "write_netcdf",
]


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
    import pandas as pd

    from twin.core.params import ConfigError
    from weather.files import input_file

    input_file(path, f"CSV file of hourly values ({field})", ConfigError)
    from weather.readers import csv_frame

    df = csv_frame(path, lambda text: ConfigError(f"{field} = {path!r}: {text}"))
    col = column if column in df.columns else (df.columns[0] if df.shape[1] == 1 else None)
    if col is None:
        raise ConfigError(f"{path}: needs a column {column!r}; columns are {', '.join(map(str, df.columns))}")
    values = pd.to_numeric(df[col], errors="coerce").to_numpy(dtype=float)
    if values.size != n_hours:
        raise ConfigError(f"{path}: {values.size} hourly rows, the weather year has {n_hours}; give one value per hour")
    bad = np.flatnonzero(~np.isfinite(values) | (values < 0) | (values > upper))
    if bad.size:
        v = df[col].iloc[bad[0]]
        shown = repr(v) if isinstance(v, str) else number(v, grouped=False)
        raise ConfigError(f"{path}: line {bad[0] + 2}: {col} = {shown} is outside 0 … {number(upper)}")
    return values


class OutputExists(OutputError):
    """The output file exists (or was created by another run meanwhile) and ``force`` was not given."""


_PART = re.compile(r"^\.twin-(\d+)-[0-9a-z_]+\.part$")


def _name_max(folder: Path) -> int:
    try:
        return int(os.pathconf(folder, "PC_NAME_MAX"))
    except (OSError, ValueError):
        return 255


def check_output(path: str | os.PathLike[str], *, force: bool = False) -> Path:
    """Check before a run that an output file can be written; return its path.

    Raises
    ------
    OutputError
        The path is ``-``, which the Unix convention reads as standard output: the twin writes
        no file there (its tables go to standard output), and a file
        literally named ``-`` is not what was meant (``./-`` names one). The path ends in a separator (it names a folder, existing or not), is a directory or
        another file that is not a regular one (a device, pipe or
        socket, or a link to one: never replaced, also with ``force``; a link to a regular file
        or to nothing is replaced by the new file, its target left as it is), its directory is missing or not writable, its name is longer
        than the file system allows, or it exists and ``force`` was not given
        (:class:`OutputExists`).
    """
    text = os.fspath(path)
    if text == "-":
        raise OutputError(
            "'-' (standard output) is not written to: the command prints its tables and messages there; "
            "give a file name (./- for a file named '-')"
        )
    if text.endswith(tuple(filter(None, (os.sep, os.altsep)))):  # Path() would drop it: a file named like the folder
        raise OutputError(f"{text}: a path ending in {text[-1]!r} names a folder; give a file name")
    dest = Path(path)
    folder = dest.parent
    if not folder.is_dir():
        what = "is a file, not a directory" if folder.exists() else "does not exist"
        raise OutputError(f"{dest}: directory {folder} {what}")
    if len(os.fsencode(dest.name)) > _name_max(folder):
        raise OutputError(
            f"{dest.name[:40]}…: a file name of {len(os.fsencode(dest.name))} bytes; "
            f"this file system allows {_name_max(folder)}"
        )
    if dest.is_dir():
        raise OutputError(f"{dest} is a directory; give a file name")
    mode = dest.lstat().st_mode if os.path.lexists(dest) else None
    if mode is not None and stat.S_ISLNK(mode) and dest.exists():  # a link: what it points to
        mode = dest.stat().st_mode
    if mode is not None and not (stat.S_ISREG(mode) or stat.S_ISLNK(mode)):
        raise OutputError(f"{dest} is not a regular file (a device, pipe or socket); give a file name")
    if os.path.lexists(dest) and not force:  # a link to nothing is a name taken too
        raise OutputExists(f"{dest} exists; choose another name or pass --force to replace it")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError(f"{dest}: directory {folder} is not writable")
    _new_part(dest).unlink()  # a file can be created there (root, read-only mounts and /proc fool access(2))
    return dest


def clean_stale_parts(folder: str | os.PathLike[str]) -> list[Path]:
    """Remove temporary ``.twin-PID-*.part`` files of runs that are no longer alive (killed runs).

    Returns the removed paths. Temporary files of a live process are left alone.
    """
    removed: list[Path] = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for e in entries:
        m = _PART.match(e.name)
        if not m:
            continue
        pid = int(m.group(1))
        if pid == os.getpid():
            continue
        try:
            os.kill(pid, 0)
            continue  # alive (or not ours to signal): leave it
        except ProcessLookupError:
            pass
        except PermissionError:
            continue
        try:
            os.unlink(e.path)
            removed.append(Path(e.path))
        except OSError:
            pass
    return removed


def atomic_write(path: str | os.PathLike[str], write: Callable[[Path], object], *, force: bool = False) -> Path:
    """Write a file through a temporary file in the same directory, then commit it in one step.

    Parameters
    ----------
    path : path
        Destination.
    write : callable
        Called with the temporary path; must write the whole file there.
    force : bool
        Replace an existing file. Without it an existing file is an error, so nothing a user
        saved is overwritten.

    Raises
    ------
    OutputError
        See :func:`check_output`; a write that fails (disk full, file-size limit, permission)
        names the file and the reason; :class:`OutputExists` if another run created the file
        meanwhile.

    Notes
    -----
    The temporary file ``.twin-PID-RANDOM.part`` is created exclusively with mode 0666 less
    the umask (so the result has the permissions of any file the user creates). Without
    ``force`` the commit is ``link(2)``, which fails if the name exists: of two runs writing
    the same name exactly one wins and the other says so; with ``force`` it is
    ``rename(2)``. Either way a reader sees the old file or the new one, never part of one;
    on any error or interruption the temporary file is removed, and temporary files of
    killed runs are removed by the next write into the directory (:func:`clean_stale_parts`).
    """
    dest = check_output(path, force=force)
    clean_stale_parts(dest.parent)
    tmp = _new_part(dest)
    held = _HELD.get()
    try:
        write(tmp)
        if held is None:
            _commit(tmp, dest, force)
        else:
            held.append((tmp, dest, force))
    except OSError as exc:
        raise _not_written(dest, exc) from None
    finally:
        if held is None or not held or held[-1][0] != tmp:
            tmp.unlink(missing_ok=True)
    return dest


def _not_written(dest: Path, exc: OSError) -> OutputError:
    reason = exc.strerror or str(exc).splitlines()[0]
    return OutputError(f"{dest}: cannot write ({reason}); nothing was written, an existing file is unchanged")


_HELD: contextvars.ContextVar[list[tuple[Path, Path, bool]] | None] = contextvars.ContextVar("held", default=None)
"""The written, uncommitted files of :func:`committed_together` (``None`` outside it)."""


@contextlib.contextmanager
def committed_together() -> Iterator[None]:
    """The files :func:`atomic_write` writes in this block are committed together when it ends
    without an error, each written whole first: a failure or interruption while one is written
    (a full disk, a file-size limit, Ctrl-C) leaves every output as it was. ``twin run -o r.nc
    --csv r.csv --force`` on a disk that filled during the CSV replaced ``r.nc`` and kept the old
    ``r.csv``, and said of the CSV only that nothing was written. The commits are one
    ``rename(2)`` or ``link(2)`` each, in a row (not one atomic step: a name another run takes
    between them is said as without this block).

    Notes
    -----
    Of two or more files, each written file is first renamed to :func:`uncommitted_name` beside
    its destination, then the files are committed in order. A process killed (``kill -9``, a
    power cut) or interrupted (Ctrl-C, SIGTERM) between two commits leaves the outputs already
    committed new, the others as they were, and each new file not yet in place complete under
    its ``NAME.twin-PID.uncommitted`` name: renaming it to ``NAME`` finishes the commit. No old
    file is lost either way; such files are never removed automatically. A commit that fails
    (an ``OSError``) removes them and says which outputs are already in place.
    """
    held: list[tuple[Path, Path, bool]] = []
    token = _HELD.set(held)
    done = 0
    keep = False
    try:
        try:
            yield
        finally:
            _HELD.reset(token)
        if len(held) > 1:
            for i, (tmp, dest, force) in enumerate(held):
                staged = uncommitted_name(dest)
                with contextlib.suppress(OSError):  # taken, too long, no links here: the hidden name
                    os.link(tmp, staged)  # never over a file of that name (a killed run's, the same PID)
                    held[i] = (staged, dest, force)
                    tmp.unlink()
        for n, (tmp, dest, force) in enumerate(held):
            try:
                _commit(tmp, dest, force)
            except OSError as exc:
                if not n:
                    raise _not_written(dest, exc) from None
                done_names = ", ".join(str(d) for _, d, _ in held[:n])  # in place: not "nothing was written"
                reason = exc.strerror or str(exc).splitlines()[0]
                raise OutputError(
                    f"{dest}: cannot write ({reason}); it is unchanged, but {done_names} "
                    f"{'was' if n == 1 else 'were'} already written"
                ) from None
            done = n + 1
    except BaseException as exc:
        keep = not isinstance(exc, Exception) and 0 < done < len(held)
        if keep and isinstance(exc, KeyboardInterrupt):
            raise KeyboardInterrupt(_kept(held, done)) from None
        raise
    finally:
        for i, (tmp, _, _) in enumerate(held):
            if not (keep and i >= done):
                tmp.unlink(missing_ok=True)


def _kept(held: list[tuple[Path, Path, bool]], done: int) -> str:
    """What an interruption after ``done`` of the ``held`` commits leaves: ``r.nc was written; the
    new r.csv is kept as r.csv.twin-PID.uncommitted (rename it to r.csv to finish)``."""
    written = ", ".join(str(d) for _, d, _ in held[:done])
    kept = ", ".join(f"the new {d} is kept as {t} (rename it to {d} to finish)" for t, d, _ in held[done:])
    return f"{written} {'was' if done == 1 else 'were'} written; {kept}"


def uncommitted_name(dest: Path) -> Path:
    """``DEST.twin-PID.uncommitted``: the name of a file of :func:`committed_together` written
    whole and waiting for its commit to ``dest``.

    Examples
    --------
    >>> import os
    >>> uncommitted_name(Path("out/r.csv")) == Path(f"out/r.csv.twin-{os.getpid()}.uncommitted")
    True
    """
    return dest.with_name(f"{dest.name}.twin-{os.getpid()}.uncommitted")


def _new_part(dest: Path) -> Path:
    """A new, empty temporary file ``.twin-PID-RANDOM.part`` beside ``dest`` (mode 0666 less the umask)."""
    for _ in range(100):
        cand = dest.parent / f".twin-{os.getpid()}-{os.urandom(4).hex()}.part"
        try:
            fd = os.open(cand, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            continue
        except OSError as exc:
            raise OutputError(f"{dest}: cannot create a file in {dest.parent} ({exc.strerror})") from None
        os.close(fd)
        return cand
    raise OutputError(f"{dest}: cannot create a temporary file in {dest.parent}")


def _commit(tmp: Path, dest: Path, force: bool) -> None:
    if force:
        os.replace(tmp, dest)
        return
    try:
        os.link(tmp, dest)
    except FileExistsError:
        raise OutputExists(f"{dest} was created by another run meanwhile; this run's result was not written") from None
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK):
            raise
        # No hard links here: reserve the name exclusively, then move the file into it.
        try:
            os.close(os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        except FileExistsError:
            raise OutputExists(
                f"{dest} was created by another run meanwhile; this run's result was not written"
            ) from None
        os.replace(tmp, dest)


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


@dataclasses.dataclass
class NcVariable:
    """One variable of a file: dimension names, values (numpy) and attributes."""

    dims: tuple[str, ...]
    data: np.ndarray
    attrs: dict[str, Any]


@dataclasses.dataclass
class NcContent:
    """What :func:`write_netcdf` writes, as numpy arrays: data variables, coordinates, global attributes.

    A coordinate named after its dimension (``time``, ``case``) indexes it; ``time`` holds
    ``datetime64`` stamps. The form of a Dataset without xarray: :func:`dataset_content`.
    """

    data_vars: dict[str, NcVariable]
    coords: dict[str, NcVariable]
    attrs: dict[str, Any]


def dataset_content(ds: xr.Dataset) -> NcContent:
    """A Dataset's variables, coordinates and attributes as an :class:`NcContent` (encodings are not kept)."""

    def part(name: Hashable) -> NcVariable:
        v = ds.variables[name]
        return NcVariable(tuple(map(str, v.dims)), v.values, dict(v.attrs))

    return NcContent({str(k): part(k) for k in ds.data_vars}, {str(k): part(k) for k in ds.coords}, dict(ds.attrs))


def _chars(data: np.ndarray) -> np.ndarray:
    """Text as UTF-8 bytes, one character per element along a last axis (a NetCDF ``char`` array)."""
    encoded = np.array([str(x).encode("utf-8") for x in data.ravel()], dtype=bytes).reshape(data.shape)
    return encoded.reshape((*encoded.shape, 1)).view("S1")


def cf_content(content: NcContent, *, title: str | None = None) -> tuple[dict[str, NcVariable], dict[str, Any]]:
    """The variables and global attributes of the NetCDF file of ``content``, laid out as CF (1.10) asks.

    * global ``Conventions``, ``title``, ``institution``, ``source``, ``history``, ``references``;
    * time as hours since the first stamp, with the UTC offset in the units
      (``hours since 2021-01-01 00:00:00 +08:00``: the stamps are local standard time) when the
      content has one (``attrs["utc_offset_h"]``); a run of sites with different offsets says so
      in the time variable's ``comment`` instead;
    * text (``site``, ``design``) as UTF-8 character arrays (``_Encoding``) on a dimension
      ``stringN``; a swept parameter's coordinate ``green.pv.capacity_mw`` becomes
      ``green__pv__capacity_mw`` (its ``parameter`` attribute keeps the key);
    * a data variable names the coordinates on its dimensions in ``coordinates``; booleans are
      ``int8`` with ``dtype = "bool"``; a floating data variable has ``_FillValue`` NaN;
    * no ``_FillValue`` on coordinates (CF 2.5.1: a coordinate has no missing values).

    This is the encoding xarray's ``to_netcdf`` (netcdf4 engine) gives the same Dataset, so the
    file reads back through xarray identical to one xarray writes (tests/twin/core/test_ncwrite.py).
    """
    cf_name = {k: k.replace(".", "__") for k in content.coords if k not in COORD_ATTRS and k != "time"}

    def dims_of(v: NcVariable) -> tuple[str, ...]:  # a swept parameter's dimension takes its new name
        return tuple(cf_name.get(d, d) for d in v.dims)

    coords: dict[str, NcVariable] = {}
    for name, v in content.coords.items():
        attrs = dict(v.attrs)
        if name in COORD_ATTRS:
            attrs.update(COORD_ATTRS[name])
        elif name != "time":  # a swept parameter, named SECTION.NAME
            attrs.setdefault("long_name", f"swept parameter {name}")
            attrs["parameter"] = name
        coords[cf_name.get(name, name)] = NcVariable(dims_of(v), np.asarray(v.data), attrs)
    if "time" in coords and coords["time"].dims == ("time",):
        t = coords["time"].data
        units = f"hours since {t[0].astype('datetime64[s]').item():%Y-%m-%d %H:%M:%S}"
        attrs = {
            "standard_name": "time",
            "long_name": "time, local standard time, start of the hour",
            "calendar": "standard",
            "axis": "T",
        }
        offset = content.attrs.get("utc_offset_h")
        if offset is not None and np.isfinite(offset):
            units += f" {_utc_offset_text(float(offset))}"
        else:
            attrs["comment"] = "local standard time of each case's site (the sites have different UTC offsets)"
        hours = ((t - t[0]) / np.timedelta64(1, "h")).astype(float)
        coords["time"] = NcVariable(("time",), hours, {"units": units, **attrs})
    aux = {k: v.dims for k, v in coords.items() if k not in v.dims}  # not a dimension's own coordinate
    attached: set[str] = set()
    out: dict[str, NcVariable] = {}
    data_vars = {k: NcVariable(dims_of(v), v.data, v.attrs) for k, v in content.data_vars.items()}
    for name, v in [*data_vars.items(), *coords.items()]:
        attrs, data, dims = dict(v.attrs), np.asarray(v.data), v.dims
        if name in data_vars:
            on = sorted(k for k, d in aux.items() if name not in dims and set(d) <= set(dims))
            if on and "coordinates" not in attrs:
                attrs["coordinates"] = " ".join(on)
            attached.update(str(attrs.get("coordinates", "")).split())
            if data.dtype.kind == "f" and "_FillValue" not in attrs:
                attrs["_FillValue"] = data.dtype.type(np.nan)
        if data.dtype.kind in "OU":
            data = _chars(data.astype(str))
            dims = (*dims, f"string{data.shape[-1]}")
            attrs["_Encoding"] = "utf-8"
        elif data.dtype == bool:
            data, attrs["dtype"] = data.astype(np.int8), "bool"
        out[name] = NcVariable(dims, data, attrs)
    gattrs = dict(content.attrs)
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    gattrs.update(
        Conventions=CF_VERSION,
        title=title or f"PUE twin: {content.attrs.get('scenario', 'hourly data')}",
        institution="pue-twin, an open-source data-centre energy twin",
        source=f"pue-twin {__version__}: hourly data-centre energy, PUE and green-power model",
        history=(f"{content.attrs['history']}\n" if "history" in content.attrs else "")
        + f"{stamp} written by twin {__version__}",
        references="docs/references.md of the pue-twin repository (keys in each parameter's source)",
    )
    free = set(aux) - attached
    if free:
        gattrs["coordinates"] = " ".join(sorted(free))
    return out, gattrs


def _netcdf_bytes(variables: dict[str, NcVariable], attrs: dict[str, Any]) -> bytes:
    """A NETCDF4 file of encoded variables (:func:`cf_content`), built in memory by netCDF-C."""
    import netCDF4

    nc = netCDF4.Dataset("<twin-in-memory-write>", "w", format="NETCDF4", memory=0, diskless=False)
    try:
        for key, value in attrs.items():
            if isinstance(value, list | tuple) and value and all(isinstance(x, str) for x in value):
                nc.setncattr_string(key, value)
            else:
                nc.setncattr(key, value)
        sizes: dict[str, int] = {}
        for v in variables.values():
            sizes.update(zip(v.dims, v.data.shape, strict=True))
        for dim, size in sizes.items():
            nc.createDimension(dim, size)
        created = []
        for name, v in variables.items():
            attrs = dict(v.attrs)
            fill = attrs.pop("_FillValue", None)
            dtype = "S1" if v.data.dtype.kind == "S" else v.data.dtype
            var = nc.createVariable(name, dtype, v.dims, fill_value=fill, contiguous=False, endian="native")
            var.setncatts(attrs)
            var.set_auto_maskandscale(False)
            var.set_auto_chartostring(False)
            created.append((var, v.data))
        for var, data in created:  # every variable declared first: about half the time of writing each in turn
            var[...] = data
    except BaseException:
        nc.close()
        raise
    return bytes(nc.close())


def local_time(ds: xr.Dataset) -> xr.Dataset:
    """A results Dataset read back from a file of :func:`write_netcdf`, its time local standard time again.

    The file's time units carry the site's UTC offset (``hours since 2021-01-01 00:00:00
    +08:00``), so a CF reader such as ``xarray.load_dataset`` decodes the stamps to UTC; the
    twin's days, months and time-of-use hours are the site's. A Dataset whose time was not
    decoded from such units (a run in memory, a file of several offsets) is returned as it is.
    """
    import pandas as pd

    if "time" not in ds.coords:
        return ds
    units = str(ds["time"].encoding.get("units", ""))
    offset = ds.attrs.get("utc_offset_h")
    if offset is None or not np.isfinite(offset) or not units.endswith(_utc_offset_text(float(offset))):
        return ds
    stamps = ds.indexes["time"] + pd.Timedelta(hours=float(offset))
    out = ds.assign_coords(time=("time", stamps, dict(ds["time"].attrs)))
    out["time"].encoding = {k: v for k, v in ds["time"].encoding.items() if k not in ("units", "calendar")}
    return out


def write_netcdf(data: xr.Dataset | NcContent, path: str | os.PathLike[str], *, force: bool = False) -> Path:
    """Write a Dataset (or a run's arrays, :class:`NcContent`) to NetCDF4 atomically, laid out by :func:`cf_content`.

    Notes
    -----
    The file is built in memory by netCDF-C (through ``netCDF4``, without xarray or pandas: a
    run's file costs no import of either) and written with plain file I/O: when the disk is
    full or a file-size limit is reached, HDF5 writing straight to the file leaves its library
    state broken (a segmentation fault at exit); a failed plain write is only an ``OSError``.
    A Dataset is first taken apart by :func:`dataset_content`, so every file goes through the
    same layout and writer. Files are read with either engine (netcdf4, h5netcdf).
    """
    content = data if isinstance(data, NcContent) else dataset_content(data)
    variables, attrs = cf_content(content)

    def write(p: Path) -> None:
        raw = _netcdf_bytes(variables, attrs)
        with p.open("wb") as fh:
            fh.write(raw)

    return atomic_write(path, write, force=force)


def units_text(attrs: Mapping[Hashable, Any]) -> str:
    """A variable's units as one text, from the attributes its NetCDF file holds: the UDUNITS
    ``units``, after the ``currency`` of a money variable (``CNY kW-1 h-1`` for a price per
    kWh, ``CNY`` for an amount, whose units are ``1``); ``""`` without units (a label)."""
    units = str(attrs.get("units", ""))
    currency = attrs.get("currency")
    if currency:
        return str(currency) if units in ("", "1") else f"{currency} {units}"
    return units


def csv_header(name: Hashable, attrs: Mapping[Hashable, Any]) -> str:
    """A CSV column's header: ``name [units]`` (:func:`units_text`), the name alone without units."""
    units = units_text(attrs)
    return f"{name} [{units}]" if units else str(name)


def write_csv(ds: xr.Dataset, path: str | os.PathLike[str], *, force: bool = False) -> Path:
    """Write the hourly variables of a Dataset to CSV atomically, units (and a money column's
    currency) in the header as :func:`csv_header` writes them."""

    def _write(p: Path) -> None:
        df = ds.to_dataframe()
        df.columns = [csv_header(c, ds[c].attrs) for c in df.columns]
        df.to_csv(p)

    return atomic_write(path, _write, force=force)
