"""Weather file readers: each returns ``(xarray.Dataset, metadata)`` in the standard form.

See :mod:`weather.dataset` for the names, units and time convention. Every reader checks the
file (length, hourly step, units by range, gaps) and raises :class:`WeatherError` naming the
file and the line or field. Repairs (gaps of ≤ 3 h interpolated, irradiance re-split) are
listed in ``metadata['notes']`` and warned as :class:`WeatherWarning`.

Readers: :func:`read_epw`, :func:`read_tmy3`, :func:`read_pvgis_tmy`, :func:`read_csv`,
:func:`read_netcdf` (ERA5 variable names), and :func:`read` which picks one by extension.
"""

from __future__ import annotations

import io
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from weather.dataset import VARIABLES, WeatherError, build_dataset

__all__ = ["TYPICAL_YEAR", "read", "read_csv", "read_epw", "read_netcdf", "read_pvgis_tmy", "read_tmy3"]

TYPICAL_YEAR = 2021
"""Calendar year given to typical-year files whose rows carry placeholder years (non-leap);
a typical file with 8784 rows gets 2020."""

PathLike = str | os.PathLike[str]

# EPW missing-value codes (EnergyPlus Auxiliary Programs, "Weather Converter", data field table).
_EPW_MISSING = {
    "temp_air": 99.9,
    "temp_dew": 99.9,
    "relative_humidity": 999.0,
    "atmospheric_pressure": 999999.0,
    "ghi": 9999.0,
    "dni": 9999.0,
    "dhi": 9999.0,
    "wind_speed": 999.0,
}
_EPW_MAP = {
    "temp_air": "t_db",
    "temp_dew": "t_dp",
    "relative_humidity": "rh",
    "atmospheric_pressure": "p_air",
    "ghi": "ghi",
    "dni": "dni",
    "dhi": "dhi",
    "wind_speed": "wind_speed",
}
_EPW_MIN_FIELDS = 22  # up to and including wind speed (field 22)
_TYPICAL_MARKERS = ("CSWD", "TMY", "IWEC", "CTYW", "SWERA", "TRY")


def _exists(path: PathLike) -> Path:
    p = Path(path)
    if not p.is_file():
        raise WeatherError(f"{p}: no such weather file")
    return p


def _coerce_year(index: pd.DatetimeIndex, year: int | None) -> pd.DatetimeIndex:
    """Give a typical year one calendar year, keeping month, day and hour of each row."""
    if year is None:
        year = 2020 if len(index) == 8784 else TYPICAL_YEAR
    return pd.DatetimeIndex(
        pd.to_datetime(
            {"year": year, "month": index.month, "day": index.day, "hour": index.hour},
        )
    )


def _interval_starts(
    year: Any, month: Any, day: Any, hour_ending: Any, coerce: int | None, typical: bool
) -> pd.DatetimeIndex:
    """Interval-start stamps from hour-ending columns (hour 1 … 24 of each day)."""
    y = np.asarray(year, dtype=int)
    if typical:
        y = np.full_like(y, coerce if coerce is not None else (2020 if len(y) == 8784 else TYPICAL_YEAR))
    days = pd.to_datetime({"year": y, "month": np.asarray(month, int), "day": np.asarray(day, int)})
    return pd.DatetimeIndex(days + pd.to_timedelta(np.asarray(hour_ending, int) - 1, unit="h"))


def _year_length_check(n: int, source: str) -> None:
    if n not in (8760, 8784):
        raise WeatherError(
            f"{source}: {n} hourly data rows; a year needs 8760 (or 8784 in a leap year) — is the file truncated?"
        )


def read_epw(path: PathLike, year: int | None = None) -> tuple[xr.Dataset, dict[str, Any]]:
    """Read an EnergyPlus weather (EPW) file.

    Parameters
    ----------
    path : path
        The ``.epw`` file.
    year : int, optional
        Calendar year for a typical-year file (CSWD, TMY, TMYx, IWEC, ...), whose rows carry
        placeholder years; default 2021 (2020 for an 8784-row file). Files of one real
        year keep their year.

    Returns
    -------
    (xarray.Dataset, dict)
        Hourly weather (see :mod:`weather.dataset`) and metadata: ``name``, ``latitude``,
        ``longitude``, ``elevation``, ``utc_offset_h``, ``wind_height_m`` (10 m),
        ``typical_year``, ``irradiance_resplit`` and ``notes``.

    Notes
    -----
    Parsing is pvlib.iotools.read_epw; before it, every data line is checked for its field
    count so that a truncated file is reported with the line that is short. EPW labels hour
    ``h`` as the interval ending at ``h``; here it becomes the interval starting at ``h − 1``.
    EPW missing codes (99.9 °C, 999 %, 999999 Pa, 9999 W/m², 999 m/s) become gaps.
    CSWD files' direct/diffuse split does not close against GHI; it is re-split (Erbs).
    """
    import pvlib

    p = _exists(path)
    source = str(p)
    try:
        lines = p.read_text(encoding="latin-1").splitlines()
    except OSError as exc:
        raise WeatherError(f"{source}: cannot read ({exc.strerror})") from None
    if not lines or not lines[0].startswith("LOCATION"):
        raise WeatherError(f"{source}: line 1 must start with LOCATION; this is not an EPW file")
    data_lines = lines[8:]
    while data_lines and not data_lines[-1].strip():
        data_lines.pop()
    if not data_lines:
        raise WeatherError(f"{source}: no data lines after the 8 header lines")
    n_fields = data_lines[0].count(",") + 1
    for i, line in enumerate(data_lines):
        k = line.count(",") + 1
        if k < _EPW_MIN_FIELDS or k != n_fields:
            raise WeatherError(
                f"{source}: line {i + 9} has {k} fields, expected {n_fields} (truncated or malformed line)"
            )
    _year_length_check(len(data_lines), source)
    loc = lines[0].split(",")
    src_kind = loc[4] if len(loc) > 4 else ""
    years = {ln.split(",", 1)[0] for ln in data_lines}
    typical = any(m in src_kind.upper() for m in _TYPICAL_MARKERS) or len(years) > 1
    if typical:
        # Placeholder years may not admit the file's days (29 February in a CSWD "2005"):
        # give every row one calendar year before parsing.
        y = year if year is not None else (2020 if len(data_lines) == 8784 else TYPICAL_YEAR)
        data_lines = [f"{y}," + ln.split(",", 1)[1] for ln in data_lines]
    try:
        # A buffer, never the path: pvlib treats a name starting with "http" as a URL.
        df, meta = pvlib.iotools.read_epw(io.StringIO("\n".join(lines[:8] + data_lines) + "\n"))
    except Exception as exc:  # pvlib/pandas parsing errors: report, never a traceback
        raise WeatherError(f"{source}: cannot parse EPW data ({exc})") from None
    # Built from the file's own columns (EPW hour h = interval (h−1, h]), not from pvlib's
    # index, whose labelling convention has changed between pvlib releases.
    idx = _interval_starts(df["year"], df["month"], df["day"], df["hour"], year if typical else None, typical)
    out = pd.DataFrame(index=idx)
    for col, std in _EPW_MAP.items():
        v = df[col].to_numpy(dtype=float)
        out[std] = np.where(v >= _EPW_MISSING[col], np.nan, v)
    notes = []
    if typical:
        notes.append(f"typical year ({src_kind or 'mixed years'}): placeholder years set to {idx[0].year}")
    meta_out = {
        "name": str(meta.get("city", "")),
        "source_file": p.name,
        "format": "epw",
        "data_source": src_kind,
        "latitude": float(meta["latitude"]),
        "longitude": float(meta["longitude"]),
        "elevation": float(meta["altitude"]),
        "utc_offset_h": float(meta["TZ"]),
        "wind_height_m": 10.0,
        "typical_year": bool(typical),
        "notes": notes,
    }
    return build_dataset(out, meta_out, source, line_of_row=lambda i: i + 9)


def read_tmy3(path: PathLike, year: int | None = None) -> tuple[xr.Dataset, dict[str, Any]]:
    """Read an NREL TMY3 CSV file (e.g. pvlib's bundled ``723170TYA.CSV``).

    Parameters
    ----------
    path : path
        The TMY3 ``.csv`` file.
    year : int, optional
        Calendar year for the typical year (default 2021).

    Notes
    -----
    Parsed by pvlib.iotools.read_tmy3. Pressure in the file is in mbar and becomes Pa;
    hour-ending stamps become interval starts, as for EPW.
    """
    import pvlib

    p = _exists(path)
    source = str(p)
    try:
        df, meta = pvlib.iotools.read_tmy3(str(p), map_variables=True)
    except Exception as exc:
        raise WeatherError(f"{source}: cannot parse TMY3 data ({exc})") from None
    _year_length_check(len(df), source)
    hour = df["Time (HH:MM)"].str.slice(0, 2).astype(int)
    date = pd.to_datetime(df["Date (MM/DD/YYYY)"], format="%m/%d/%Y")
    idx = _interval_starts(date.dt.year, date.dt.month, date.dt.day, hour, year, True)
    out = pd.DataFrame(
        {
            "t_db": df["temp_air"].to_numpy(float),
            "t_dp": df["temp_dew"].to_numpy(float),
            "rh": df["relative_humidity"].to_numpy(float),
            "p_air": df["pressure"].to_numpy(float) * 100.0,
            "ghi": df["ghi"].to_numpy(float),
            "dni": df["dni"].to_numpy(float),
            "dhi": df["dhi"].to_numpy(float),
            "wind_speed": df["wind_speed"].to_numpy(float),
        },
        index=idx,
    )
    meta_out = {
        "name": str(meta.get("Name", "")).strip('"'),
        "source_file": p.name,
        "format": "tmy3",
        "latitude": float(meta["latitude"]),
        "longitude": float(meta["longitude"]),
        "elevation": float(meta["altitude"]),
        "utc_offset_h": float(meta["TZ"]),
        "wind_height_m": 10.0,
        "typical_year": True,
        "notes": [f"typical year (TMY3): placeholder years set to {idx[0].year}"],
    }
    return build_dataset(out, meta_out, source, line_of_row=lambda i: i + 3)


def _utc_to_local_year(index_utc: pd.DatetimeIndex, utc_offset_h: float, year: int | None) -> pd.DatetimeIndex:
    """Local-standard-time stamps of a UTC typical year, wrapped into one calendar year.

    Shifting a UTC year by +8 h moves its last 8 hours into the next January; in a typical
    year they take the same calendar position in the one year (1 January, 00:00–07:00).
    """
    local = index_utc.tz_convert(None) + pd.Timedelta(hours=utc_offset_h)
    return _coerce_year(pd.DatetimeIndex(local), year)


def read_pvgis_tmy(
    path: PathLike, utc_offset_h: float | None = None, year: int | None = None
) -> tuple[xr.Dataset, dict[str, Any]]:
    """Read a PVGIS typical meteorological year saved as ``.csv`` or ``.json``.

    Parameters
    ----------
    path : path
        A file saved from PVGIS's TMY tool (csv or json output format).
    utc_offset_h : float, optional
        The site's standard-time offset, h; PVGIS gives UTC. Default ``round(lon / 15)``,
        which is wrong for China west of 112.5 °E (China uses UTC+8 everywhere): pass 8 there.
    year : int, optional
        Calendar year of the typical year (default 2021).

    Notes
    -----
    Parsed by pvlib.iotools.read_pvgis_tmy. PVGIS has no dew point; it is derived from
    temperature and RH. Hours that the time-zone shift carries past 31 December wrap round
    to 1 January of the same typical year.
    """
    import pvlib

    p = _exists(path)
    source = str(p)
    if p.suffix.lower() not in (".csv", ".json"):
        raise WeatherError(f"{source}: PVGIS TMY files must be .csv or .json, got {p.suffix!r}")
    try:
        df, meta = pvlib.iotools.read_pvgis_tmy(str(p), map_variables=True)
    except Exception as exc:
        raise WeatherError(f"{source}: cannot parse PVGIS TMY data ({exc})") from None
    _year_length_check(len(df), source)
    inputs = meta.get("inputs", {})
    loc = inputs.get("location", inputs)
    lat, lon, elev = float(loc["latitude"]), float(loc["longitude"]), float(loc["elevation"])
    notes = []
    if utc_offset_h is None:
        utc_offset_h = float(round(lon / 15.0))
        notes.append(f"utc_offset_h not given; assumed round(lon/15) = {utc_offset_h:g}")
    local = _utc_to_local_year(pd.DatetimeIndex(df.index), utc_offset_h, year)
    out = pd.DataFrame(
        {
            "t_db": df["temp_air"].to_numpy(float),
            "rh": df["relative_humidity"].to_numpy(float),
            "p_air": df["pressure"].to_numpy(float),
            "ghi": df["ghi"].to_numpy(float),
            "dni": df["dni"].to_numpy(float),
            "dhi": df["dhi"].to_numpy(float),
            "wind_speed": df["wind_speed"].to_numpy(float),
        },
        index=local,
    ).sort_index()
    notes.append(f"typical year (PVGIS): UTC shifted by {utc_offset_h:+g} h, year set to {local[0].year}")
    meta_out = {
        "name": p.stem,
        "source_file": p.name,
        "format": "pvgis_tmy",
        "latitude": lat,
        "longitude": lon,
        "elevation": elev,
        "utc_offset_h": float(utc_offset_h),
        "wind_height_m": 10.0,
        "typical_year": True,
        "notes": notes,
    }
    return build_dataset(out, meta_out, source)


def read_csv(
    path: PathLike,
    columns: Mapping[str, str],
    *,
    time_column: str,
    latitude: float,
    longitude: float,
    elevation: float,
    utc_offset_h: float,
    wind_height_m: float = 10.0,
    time_label: str = "start",
    time_format: str | None = None,
) -> tuple[xr.Dataset, dict[str, Any]]:
    """Read hourly weather from a CSV file with a user-given column mapping.

    Parameters
    ----------
    path : path
        The CSV file (header row first).
    columns : mapping
        Standard name → the file's column name, e.g. ``{"t_db": "Temp_C", "rh": "RH"}``.
        Standard names: ``t_db`` (°C), ``t_dp`` (°C), ``rh`` (%), ``p_air`` (Pa), ``ghi``,
        ``dni``, ``dhi`` (W/m²), ``wind_speed`` (m/s). ``t_db`` and ``rh`` or ``t_dp`` are
        required. Values must already be in these units (a range check catches K or hPa).
    time_column : str
        Column holding timestamps. Naive times are taken as local standard time; times with
        a UTC offset are converted to local standard time with ``utc_offset_h``.
    latitude, longitude, elevation, utc_offset_h : float
        Site location (degrees, m, hours east of UTC).
    wind_height_m : float
        Height of the wind measurement, m.
    time_label : {"start", "end"}
        Whether a timestamp labels the start or the end of its hour.
    time_format : str, optional
        strftime format of the timestamps (default: inferred).
    """
    p = _exists(path)
    source = str(p)
    unknown = sorted(set(columns) - set(VARIABLES))
    if unknown:
        raise WeatherError(
            f"{source}: column mapping names unknown variable {unknown[0]!r}; allowed: {', '.join(VARIABLES)}"
        )
    if time_label not in ("start", "end"):
        raise WeatherError(f"time_label = {time_label!r}; allowed: 'start', 'end'")
    try:
        raw = pd.read_csv(p)
    except Exception as exc:
        raise WeatherError(f"{source}: cannot parse CSV ({exc})") from None
    for col in [time_column, *columns.values()]:
        if col not in raw.columns:
            raise WeatherError(
                f"{source}: column {col!r} of the mapping is not in the file; columns are {', '.join(map(str, raw.columns))}"
            )
    try:
        t = pd.to_datetime(raw[time_column], format=time_format)
    except (ValueError, TypeError) as exc:
        raise WeatherError(f"{source}: column {time_column!r} is not a timestamp column ({exc})") from None
    idx = pd.DatetimeIndex(t)
    if idx.tz is not None:
        idx = idx.tz_convert("UTC").tz_localize(None) + pd.Timedelta(hours=utc_offset_h)
    if time_label == "end":
        idx = idx - pd.Timedelta(hours=1)
    out = pd.DataFrame(index=idx)
    for std, col in columns.items():
        v = pd.to_numeric(raw[col], errors="coerce")
        bad = v.isna() & raw[col].notna()
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise WeatherError(f"{source}: line {i + 2}: column {col!r} value {raw[col].iloc[i]!r} is not a number")
        out[std] = v.to_numpy(float)
    meta = {
        "name": p.stem,
        "source_file": p.name,
        "format": "csv",
        "latitude": float(latitude),
        "longitude": float(longitude),
        "elevation": float(elevation),
        "utc_offset_h": float(utc_offset_h),
        "wind_height_m": float(wind_height_m),
        "typical_year": False,
    }
    return build_dataset(out, meta, source, line_of_row=lambda i: i + 2)


# ERA5 short names (Copernicus CDS, single levels): name -> meaning, units.
_ERA5 = {
    "t2m": "2 m temperature, K",
    "d2m": "2 m dew point temperature, K",
    "sp": "surface pressure, Pa",
    "u10": "10 m u wind, m/s",
    "v10": "10 m v wind, m/s",
    "ssrd": "surface solar radiation downwards, J/m² accumulated over the hour",
}


def read_netcdf(
    path: PathLike,
    *,
    utc_offset_h: float,
    latitude: float | None = None,
    longitude: float | None = None,
    elevation: float | None = None,
) -> tuple[xr.Dataset, dict[str, Any]]:
    """Read an hourly NetCDF file in ERA5's variable names.

    Parameters
    ----------
    path : path
        NetCDF with ``t2m``, ``d2m`` (K), ``sp`` (Pa), ``u10``, ``v10`` (m/s) and
        optionally ``ssrd`` (J/m², accumulated over the hour ending at the time stamp), on a
        ``time`` or ``valid_time`` axis in UTC. A grid is reduced to the point nearest
        ``latitude``/``longitude``.
    utc_offset_h : float
        Local standard time offset of the site, h.
    latitude, longitude : float, optional
        Point to extract; required when the file holds more than one grid point.
    elevation : float, optional
        Site elevation, m; default: from geopotential ``z`` if present, else 0 with a note.

    Notes
    -----
    ``ghi = ssrd / 3600`` for the hour *ending* at the stamp, so it labels the hour starting
    one hour earlier; the other variables are instantaneous at the stamp and are used as
    they are. DNI and DHI come from the Erbs decomposition of GHI.
    """
    p = _exists(path)
    source = str(p)
    try:
        raw = xr.open_dataset(p, engine="h5netcdf")
    except Exception as exc:
        raise WeatherError(f"{source}: cannot open NetCDF ({exc})") from None
    with raw:
        tname = "valid_time" if "valid_time" in raw.dims else "time"
        if tname not in raw.dims:
            raise WeatherError(f"{source}: no 'time' or 'valid_time' dimension; dims are {dict(raw.sizes)}")
        missing = [v for v in ("t2m", "d2m", "u10", "v10") if v not in raw]
        if missing:
            raise WeatherError(
                f"{source}: ERA5 variable {missing[0]!r} ({_ERA5[missing[0]]}) is missing; "
                f"found {', '.join(map(str, raw.data_vars))}"
            )
        notes: list[str] = []
        latn = "latitude" if "latitude" in raw.dims else ("lat" if "lat" in raw.dims else None)
        lonn = "longitude" if "longitude" in raw.dims else ("lon" if "lon" in raw.dims else None)
        pt = raw
        if latn and lonn and (raw.sizes[latn] > 1 or raw.sizes[lonn] > 1):
            if latitude is None or longitude is None:
                raise WeatherError(f"{source}: the file is a grid; give latitude and longitude of the site")
            pt = raw.sel({latn: latitude, lonn: longitude}, method="nearest")
        elif latn and lonn:
            pt = raw.isel({latn: 0, lonn: 0})
        lat = float(pt[latn]) if latn else latitude
        lon = float(pt[lonn]) if lonn else longitude
        if lat is None or lon is None:
            raise WeatherError(f"{source}: no latitude/longitude in the file; pass them")
        if elevation is None:
            if "z" in pt:
                elevation = float(np.asarray(pt["z"]).ravel()[0]) / 9.80665
            else:
                elevation = 0.0
                notes.append("elevation unknown; 0 m assumed (pass elevation)")
        pt = pt.squeeze(drop=True)
        time_utc = pd.DatetimeIndex(pt[tname].to_numpy())
        local = time_utc + pd.Timedelta(hours=utc_offset_h)
        out = pd.DataFrame(index=local)
        out["t_db"] = pt["t2m"].to_numpy() - 273.15
        out["t_dp"] = pt["d2m"].to_numpy() - 273.15
        if "sp" in pt:
            out["p_air"] = pt["sp"].to_numpy().astype(float)
        out["wind_speed"] = np.hypot(pt["u10"].to_numpy(), pt["v10"].to_numpy())
        if "ssrd" in pt:
            ghi = pd.Series(pt["ssrd"].to_numpy() / 3600.0, index=local)
            # accumulation over the hour ending at t -> interval starting at t - 1 h
            ghi.index = ghi.index - pd.Timedelta(hours=1)
            out["ghi"] = ghi.reindex(out.index).to_numpy()
            if np.isnan(out["ghi"].iloc[-1]):
                out = out.iloc[:-1]
            notes.append("ghi: ERA5 ssrd/3600 of the hour ending at each stamp")
    meta = {
        "name": p.stem,
        "source_file": p.name,
        "format": "era5_netcdf",
        "latitude": float(lat),
        "longitude": float(lon),
        "elevation": float(elevation),
        "utc_offset_h": float(utc_offset_h),
        "wind_height_m": 10.0,
        "typical_year": False,
        "notes": notes,
    }
    return build_dataset(out, meta, source)


def read(path: PathLike, **kwargs: Any) -> tuple[xr.Dataset, dict[str, Any]]:
    """Read a weather file, choosing the reader by extension (``.epw``, ``.nc``, ``.json``).

    ``.csv`` files are ambiguous (TMY3, PVGIS, or user data): call :func:`read_tmy3`,
    :func:`read_pvgis_tmy` or :func:`read_csv` directly.
    """
    suffix = Path(path).suffix.lower()
    if suffix == ".epw":
        return read_epw(path, **kwargs)
    if suffix in (".nc", ".nc4", ".netcdf"):
        return read_netcdf(path, **kwargs)
    if suffix == ".json":
        return read_pvgis_tmy(path, **kwargs)
    raise WeatherError(
        f"{path}: cannot tell the format from {suffix!r}; use read_epw, read_tmy3, read_pvgis_tmy, read_csv or read_netcdf"
    )
