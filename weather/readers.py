"""Weather file readers: each returns ``(xarray.Dataset, metadata)`` in the standard form.

See :mod:`weather.dataset` for the names, units and time convention. Every reader checks the
file (length, hourly step, units by range, gaps) and raises :class:`WeatherError` naming the
file and the line or field. Repairs (gaps of ≤ 3 h interpolated, irradiance re-split) are
listed in ``metadata['notes']`` and warned as :class:`WeatherWarning`.

Readers: :func:`read_epw`, :func:`read_tmy3`, :func:`read_pvgis_tmy`, :func:`read_csv`,
:func:`read_netcdf` (ERA5 variable names), registered in :data:`FORMATS`; :func:`read` reads
any of them (the format given or detected). Readers parse, check and name; the repairs
(:data:`weather.dataset.REPAIRS`) are a separate step they apply unless ``repair=False``.
"""

from __future__ import annotations

import csv
import io
import math
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from weather.dataset import (
    LOCATION_RANGES,
    VARIABLES,
    WeatherError,
    apply_bad_records,
    build_dataset,
    check_file_location,
)
from weather.files import UTF16_BOMS, input_file, station_lines, station_text
from weather.fmt import number, span

if TYPE_CHECKING:
    import pandas as pd
    import xarray as xr


__all__ = [
    "CSV_LOCATION",
    "FORMATS",
    "TYPICAL_YEAR",
    "Format",
    "detect_format",
    "head_lines",
    "location_columns",
    "read",
    "read_csv",
    "read_epw",
    "read_netcdf",
    "read_pvgis_tmy",
    "read_tmy3",
]

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
# (0-based column, pvlib name) of the EPW data fields that are read
_EPW_FIELDS = (
    (6, "temp_air"),
    (7, "temp_dew"),
    (8, "relative_humidity"),
    (9, "atmospheric_pressure"),
    (13, "ghi"),
    (14, "dni"),
    (15, "dhi"),
    (21, "wind_speed"),
)
_TYPICAL_MARKERS = ("CSWD", "TMY", "IWEC", "CTYW", "SWERA", "TRY")


def _header_location(
    meta: Mapping[str, Any],
    keys: tuple[str, str, str, str],
    source: str,
    where: str,
    utc_offset_h: float | None,
    notes: list[str],
) -> dict[str, float]:
    """Latitude, longitude, elevation and UTC offset from a file header (``keys`` in that order).

    A value that is missing or not a number is an error naming the header field; a given
    ``utc_offset_h`` replaces the file's, with a note.
    """
    out = {}
    for std, key in zip(("latitude", "longitude", "elevation", "utc_offset_h"), keys, strict=True):
        try:
            out[std] = float(meta[key])
        except (KeyError, TypeError, ValueError):
            lo, hi = LOCATION_RANGES[std]
            raise WeatherError(
                f"{source}: {where}: {key} = {meta.get(key)!r} is not a number (the {std}; allowed {span(lo, hi)}"
                f"{' m' if std == 'elevation' else ''})"
            ) from None
    if utc_offset_h is not None and float(utc_offset_h) != out["utc_offset_h"]:
        notes.append(
            f"utc_offset_h: the file says {number(out['utc_offset_h'])} h; {number(float(utc_offset_h), grouped=False)} h given and used"
        )
        out["utc_offset_h"] = float(utc_offset_h)
    return out


def _coerce_year(index: pd.DatetimeIndex, year: int | None) -> pd.DatetimeIndex:
    """Give a typical year one calendar year, keeping month, day and hour of each row."""
    import pandas as pd

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
    import pandas as pd

    y = np.asarray(year, dtype=int)
    if typical:
        y = np.full_like(y, coerce if coerce is not None else (2020 if len(y) == 8784 else TYPICAL_YEAR))
    days = pd.to_datetime({"year": y, "month": np.asarray(month, int), "day": np.asarray(day, int)})
    return pd.DatetimeIndex(days + pd.to_timedelta(np.asarray(hour_ending, int) - 1, unit="h"))


def _where(line_of_row: Any, i: int) -> str:
    """``line N`` of row ``i`` (or the place ``line_of_row`` names, for files without lines)."""
    at = line_of_row(i)
    return f"line {at}" if isinstance(at, int) else str(at)


def _numbers(values: Any, source: str, what: str, line_of_row: Any) -> np.ndarray:
    """Float values of a parsed column; a text that is not a number is an error naming its line."""
    import pandas as pd

    s = pd.Series(np.asarray(values, dtype=object))
    v = pd.to_numeric(s, errors="coerce")
    bad = v.isna() & s.notna() & (s.astype(str).str.strip().str.lower() != "nan")
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise WeatherError(f"{source}: {_where(line_of_row, i)}: {what} = {s.iloc[i]!r} is not a number")
    return v.to_numpy(dtype=float)


def _calendar(
    year: np.ndarray, month: np.ndarray, day: np.ndarray, hour_ending: np.ndarray, source: str, line_of_row: Any
) -> None:
    """Month 1…12, a day that exists in its month and year, an hour ending 1…24; else the line."""
    checks = (
        ("month", month, (month >= 1) & (month <= 12), "1 … 12"),
        ("hour", hour_ending, (hour_ending >= 1) & (hour_ending <= 24), "1 … 24 (hour ending)"),
    )
    for name, v, ok, allowed in checks:
        bad = np.flatnonzero(~ok | (v != np.round(v)))
        if bad.size:
            i = int(bad[0])
            raise WeatherError(
                f"{source}: {_where(line_of_row, i)}: {name} = {number(v[i], grouped=False)}; allowed {allowed}"
            )
    y = year.astype(int)
    leap = (y % 4 == 0) & ((y % 100 != 0) | (y % 400 == 0))
    days_in = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])[month.astype(int) - 1] + (leap & (month == 2))
    bad = np.flatnonzero((day < 1) | (day > days_in) | (day != np.round(day)))
    if bad.size:
        i = int(bad[0])
        extra = " (29 February in a year of 8760 hours; a leap year has 8784)" if month[i] == 2 and day[i] == 29 else ""
        raise WeatherError(
            f"{source}: {_where(line_of_row, i)}: day {number(day[i], grouped=False)} of month {number(month[i], grouped=False)} does not exist in {y[i]}{extra}"
        )


def _year_length_check(n: int, source: str) -> None:
    """Refuse a file that is not one year of hourly rows; the hint says which way it is off."""
    if n not in (8760, 8784):
        off = "short" if n < 8760 else "long" if n > 8784 else "leap"
        hint = {
            "short": "is the file truncated?",
            "long": "more than a year: several years, or rows repeated? give one year of hourly rows",
            "leap": "is the leap year's file truncated, or rows repeated?",
        }[off]
        raise WeatherError(
            f"{source}: {number(n)} hourly data rows; a year needs {number(8760)} (or {number(8784)} in a leap year)"
            f" — {hint}"
        ).explained("year_rows", file=source, rows=number(n), off=off)


def read_epw(
    path: PathLike, year: int | None = None, *, utc_offset_h: float | None = None, repair: bool | Any = True
) -> tuple[xr.Dataset, dict[str, Any]]:
    """Read an EnergyPlus weather (EPW) file.

    Parameters
    ----------
    path : path
        The ``.epw`` file.
    year : int, optional
        Calendar year for a typical-year file (CSWD, TMY, TMYx, IWEC, ...), whose rows carry
        placeholder years; default 2021 (2020 for an 8784-row file). Files of one real
        year keep their year.
    utc_offset_h : float, optional
        Replaces the file's UTC offset (said in the notes), for a file whose header is wrong.
    repair : bool or sequence of str
        :data:`weather.dataset.REPAIRS` to apply (default all).

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
    import pandas as pd
    import pvlib

    p = input_file(path, "weather file", empty=False)
    source = str(p)
    try:
        lines = station_lines(p.read_bytes())
    except OSError as exc:
        raise WeatherError(f"{source}: cannot read ({exc.strerror})") from None
    if not lines or not lines[0].startswith("LOCATION"):
        raise WeatherError(f"{source}: line 1 must start with LOCATION; this is not an EPW file").explained(
            "not_epw", file=source
        )
    data_lines = lines[8:]
    while data_lines and not data_lines[-1].strip():
        data_lines.pop()
    if not data_lines:
        raise WeatherError(f"{source}: no data lines after the 8 header lines")
    n_fields = data_lines[0].count(",") + 1
    for i, line in enumerate(data_lines):
        k = line.count(",") + 1
        if k < _EPW_MIN_FIELDS or k != n_fields:
            short = n_fields < _EPW_MIN_FIELDS  # the first data line is short itself
            expected = f"at least {_EPW_MIN_FIELDS}" if short else str(n_fields)
            raise WeatherError(
                f"{source}: line {i + 9} has {k} fields, expected {expected} (truncated or malformed line)"
            ).explained(
                "epw_fields_short" if short else "epw_fields",
                file=source,
                line=str(i + 9),
                fields=str(k),
                expected=str(_EPW_MIN_FIELDS if short else n_fields),
            )
    _year_length_check(len(data_lines), source)
    cols = pd.DataFrame([ln.split(",") for ln in data_lines])
    epw_line = lambda i: i + 9  # noqa: E731
    num = {
        i: _numbers(cols[i], source, name, epw_line)
        for i, name in ((0, "year"), (1, "month"), (2, "day"), (3, "hour"), *_EPW_FIELDS)
    }
    loc = lines[0].split(",")
    if len(loc) < 10:  # said as "latitude = None is not a number"
        raise WeatherError(
            f"{source}: line 1 has {len(loc)} fields, an EPW's LOCATION line 10 (LOCATION, city, state, country, "
            "source, WMO number, latitude, longitude, time zone, elevation): the line is cut short or its "
            "fields are not separated by commas"
        )
    if any(f.strip() for f in loc[10:]):  # said as "latitude = 539230 is outside -90 … 90", the WMO number
        raise WeatherError(
            f"{source}: line 1 has {len(loc)} fields, an EPW's LOCATION line 10: a comma inside a field "
            f"(the station name {','.join(loc[1:3])!r}?) moves the latitude and the fields after it; remove it"
        )
    src_kind = loc[4] if len(loc) > 4 else ""
    notes: list[str] = []
    header = dict(zip(("latitude", "longitude", "TZ", "altitude"), [f.strip() for f in loc[6:10]], strict=False))
    location = _header_location(
        header, ("latitude", "longitude", "altitude", "TZ"), source, "line 1", utc_offset_h, notes
    )
    check_file_location(
        location["latitude"], location["longitude"], location["utc_offset_h"], source, location["elevation"]
    )
    # pvlib localises its index with the header's offset; the stamps here come from the
    # columns (below), so a neutral offset keeps a wrong header from failing the parse.
    lines = [",".join([*loc[:8], "0", *loc[9:]]) if len(loc) > 9 else lines[0], *lines[1:]]
    years = {ln.split(",", 1)[0] for ln in data_lines}
    typical = any(m in src_kind.upper() for m in _TYPICAL_MARKERS) or len(years) > 1
    y = year if year is not None else (2020 if len(data_lines) == 8784 else TYPICAL_YEAR)
    _calendar(np.full(len(data_lines), y) if typical else num[0], num[1], num[2], num[3], source, epw_line)
    if typical:
        # Placeholder years may not admit the file's days (29 February in a CSWD "2005"):
        # give every row one calendar year before parsing.
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
    if typical:
        notes.append(f"typical year ({src_kind or 'mixed years'}): placeholder years set to {idx[0].year}")
    meta_out = {
        "name": str(meta.get("city", "")),
        "source_file": p.name,
        "format": "epw",
        "data_source": src_kind,
        **location,
        "wind_height_m": 10.0,
        "typical_year": bool(typical),
        "notes": notes,
    }
    return build_dataset(out, meta_out, source, line_of_row=epw_line, repair=repair)


_TMY3_COLUMNS = {
    "t_db": ("Dry-bulb (C)", 1.0),
    "t_dp": ("Dew-point (C)", 1.0),
    "rh": ("RHum (%)", 1.0),
    "p_air": ("Pressure (mbar)", 100.0),
    "ghi": ("GHI (W/m^2)", 1.0),
    "dni": ("DNI (W/m^2)", 1.0),
    "dhi": ("DHI (W/m^2)", 1.0),
    "wind_speed": ("Wspd (m/s)", 1.0),
}


def read_tmy3(
    path: PathLike, year: int | None = None, *, utc_offset_h: float | None = None, repair: bool | Any = True
) -> tuple[xr.Dataset, dict[str, Any]]:
    """Read an NREL TMY3 CSV file (e.g. pvlib's bundled ``723170TYA.CSV``).

    Parameters
    ----------
    path : path
        The TMY3 ``.csv`` file.
    year : int, optional
        Calendar year for the typical year (default 2021).
    utc_offset_h : float, optional
        Replaces the file's UTC offset (said in the notes).
    repair : bool or sequence of str
        :data:`weather.dataset.REPAIRS` to apply (default all).

    Notes
    -----
    The layout of NREL's TMY3 user manual (Wilcox & Marion 2008, NREL/TP-581-43156): line 1
    station metadata (USAF, name, state, UTC offset, latitude, longitude, elevation), line 2
    column names, then one line per hour; the column names are those pvlib.iotools.read_tmy3
    reads. Pressure in the file is in mbar and becomes Pa; hour-ending stamps become interval
    starts, as for EPW. Every value is checked here so that a bad one names its line.
    """
    import pandas as pd

    p = input_file(path, "weather file", empty=False)
    source = str(p)
    try:
        lines = station_lines(p.read_bytes())
    except OSError as exc:
        raise WeatherError(f"{source}: cannot read ({exc.strerror})") from None
    head = next(csv.reader([lines[0]])) if lines else []  # the station name is quoted: it may hold a comma
    if len(head) < 7 or len(lines) < 2 or not lines[1].startswith("Date (MM/DD/YYYY)"):
        raise WeatherError(
            f"{source}: not a TMY3 file (line 1: station metadata with 7 fields; line 2 starting 'Date (MM/DD/YYYY)')"
        )
    try:
        df = pd.read_csv(io.StringIO("\n".join(lines[1:])), dtype=str, keep_default_na=False)
    except (ValueError, pd.errors.ParserError) as exc:
        raise WeatherError(f"{source}: cannot parse TMY3 data ({str(exc).splitlines()[0]})") from None
    _year_length_check(len(df), source)
    missing = [c for c, _ in [("Date (MM/DD/YYYY)", 0), ("Time (HH:MM)", 0), *_TMY3_COLUMNS.values()] if c not in df]
    if missing:
        raise WeatherError(f"{source}: line 2: TMY3 column {missing[0]!r} is missing")
    tmy_line = lambda i: i + 3  # noqa: E731
    date = df["Date (MM/DD/YYYY)"].str.split("/", expand=True).reindex(columns=range(3))
    month = _numbers(date[0], source, "month", tmy_line)
    day = _numbers(date[1], source, "day", tmy_line)
    hour = _numbers(df["Time (HH:MM)"].str.split(":").str[0], source, "hour", tmy_line)
    for what, v in (("date", np.isnan(month) | np.isnan(day)), ("time", np.isnan(hour))):
        if v.any():
            i = int(np.flatnonzero(v)[0])
            raise WeatherError(f"{source}: line {tmy_line(i)}: {what} is empty or not MM/DD/YYYY, HH:MM")
    y = year if year is not None else (2020 if len(df) == 8784 else TYPICAL_YEAR)
    _calendar(np.full(len(df), y), month, day, hour, source, tmy_line)
    idx = _interval_starts(np.full(len(df), y), month, day, hour, y, True)
    out = pd.DataFrame(
        {std: _numbers(df[col], source, col, tmy_line) * k for std, (col, k) in _TMY3_COLUMNS.items()}, index=idx
    )
    notes = [f"typical year (TMY3): placeholder years set to {idx[0].year}"]
    meta = dict(zip(("USAF", "Name", "State", "TZ", "latitude", "longitude", "altitude"), head[:7], strict=True))
    meta_out = {
        "name": meta["Name"].strip().strip('"'),
        "source_file": p.name,
        "format": "tmy3",
        **_header_location(meta, ("latitude", "longitude", "altitude", "TZ"), source, "line 1", utc_offset_h, notes),
        "wind_height_m": 10.0,
        "typical_year": True,
        "notes": notes,
    }
    return build_dataset(out, meta_out, source, line_of_row=tmy_line, repair=repair)


def _utc_to_local_year(index_utc: pd.DatetimeIndex, utc_offset_h: float, year: int | None) -> pd.DatetimeIndex:
    """Local-standard-time stamps of a UTC typical year, wrapped into one calendar year.

    Shifting a UTC year by +8 h moves its last 8 hours into the next January; in a typical
    year they take the same calendar position in the one year (1 January, 00:00–07:00).
    """
    import pandas as pd

    local = index_utc.tz_convert(None) + pd.Timedelta(hours=utc_offset_h)
    return _coerce_year(pd.DatetimeIndex(local), year)


_PVGIS_COLUMNS = {
    "t_db": "temp_air",
    "rh": "relative_humidity",
    "p_air": "pressure",
    "ghi": "ghi",
    "dni": "dni",
    "dhi": "dhi",
    "wind_speed": "wind_speed",
}


def read_pvgis_tmy(
    path: PathLike, utc_offset_h: float | None = None, year: int | None = None, *, repair: bool | Any = True
) -> tuple[xr.Dataset, dict[str, Any]]:
    """Read a PVGIS typical meteorological year saved as ``.csv`` or ``.json``.

    Parameters
    ----------
    path : path
        A file saved from PVGIS's TMY tool (csv or json output format).
    utc_offset_h : float, optional
        The site's standard-time offset, h; PVGIS gives UTC. Default ``round(lon / 15)``,
        which is wrong for China west of 112.5 °E (China uses UTC+8 everywhere): pass 8 there
        (``weather.read`` passes the site's offset).
    year : int, optional
        Calendar year of the typical year (default 2021).
    repair : bool or sequence of str
        :data:`weather.dataset.REPAIRS` to apply (default all).

    Notes
    -----
    Parsed by pvlib.iotools.read_pvgis_tmy. PVGIS has no dew point; it is derived from
    temperature and RH. A file without pressure (``SP``) gets the standard atmosphere at its
    elevation (said in the notes); temperature and RH are required. Hours that the time-zone
    shift carries past 31 December wrap round to 1 January of the same typical year.
    """
    import pandas as pd
    import pvlib

    p = input_file(path, "weather file", empty=False)
    source = str(p)
    if p.suffix.lower() not in (".csv", ".json"):
        raise WeatherError(f"{source}: PVGIS TMY files must be .csv or .json, got {p.suffix!r}")
    try:
        df, meta = pvlib.iotools.read_pvgis_tmy(str(p), map_variables=True)
    except UnicodeDecodeError as exc:  # pvlib said "'utf-8' codec can't decode byte 0xff in position 0"
        raise WeatherError(f"{source}: not UTF-8 text (byte {exc.start}); save the PVGIS file as UTF-8") from None
    except Exception as exc:
        why = f"no {exc.args[0]!r} field" if isinstance(exc, KeyError) and exc.args else _first_line(exc)
        raise WeatherError(f"{source}: cannot parse PVGIS TMY data ({why})") from None
    _year_length_check(len(df), source)
    if p.suffix.lower() == ".csv":
        head = station_lines(p.read_bytes())
        first = next((k for k, ln in enumerate(head) if ln.startswith("time(UTC)")), 0) + 2
        row_at: Any = lambda i: first + i  # noqa: E731
    else:
        row_at = lambda i: f"outputs.tmy_hourly[{i}]"  # noqa: E731
    inputs = meta.get("inputs", {}) if isinstance(meta, dict) else {}
    loc = inputs.get("location", inputs) if isinstance(inputs, dict) else {}
    notes: list[str] = []
    where = "inputs.location" if p.suffix.lower() == ".json" else "header"
    location = _header_location(loc, ("latitude", "longitude", "elevation", "elevation"), source, where, None, notes)
    if utc_offset_h is None:
        utc_offset_h = float(round(location["longitude"] / 15.0))
        notes.append(f"utc_offset_h not given; assumed round(lon/15) = {number(utc_offset_h)}")
    location["utc_offset_h"] = float(utc_offset_h)
    for std in ("t_db", "rh"):
        if _PVGIS_COLUMNS[std] not in df:
            raise WeatherError(f"{source}: PVGIS column for {VARIABLES[std][1]} ({std}) is missing")
    local = _utc_to_local_year(pd.DatetimeIndex(df.index), utc_offset_h, year)
    out = pd.DataFrame(
        {std: _numbers(df[col], source, col, row_at) for std, col in _PVGIS_COLUMNS.items() if col in df},
        index=local,
    ).sort_index()
    notes.append(f"typical year (PVGIS): UTC shifted by {utc_offset_h:+g} h, year set to {local[0].year}")
    meta_out = {
        "name": p.stem,
        "source_file": p.name,
        "format": "pvgis",
        **location,
        "wind_height_m": 10.0,
        "typical_year": True,
        "notes": notes,
    }
    return build_dataset(out, meta_out, source, repair=repair)


def csv_problem(exc: BaseException) -> str:
    """What pandas (or :mod:`csv`) could not read in a CSV file, in the file's terms: text that is
    not UTF-8 names its byte, a row with more fields than the header names its line; else the
    library's first line."""
    if isinstance(exc, UnicodeDecodeError):
        return f"not UTF-8 text (byte {exc.start}); save the CSV file as UTF-8"
    if isinstance(exc, OSError):
        return f"cannot read ({exc.strerror or exc})"
    fields = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(exc))
    if fields:
        n, line, saw = fields.groups()
        return f"line {line} has {saw} fields, the header {n}; every row has the header's columns"
    return f"cannot parse CSV ({_first_line(exc)})"


def semicolon_problem(header: Sequence[str], first_row: Sequence[Any] = ()) -> str | None:
    """The problem of a CSV header that is one field holding ';' — a spreadsheet's export in a
    locale that writes decimal commas (``time;t_db;rh``) — unless its first row is one field
    without ';' (a one-column file whose quoted name holds a ';', ``"utilisation; fraction"``,
    is a valid CSV), or None.

    Such a file is refused, not read with ';': its numbers may carry '.' as a thousands separator
    (``1.013`` for 1013 W m-2 passes every range check as 1.013) and its dates may be day first.
    """
    row = [str(v) for v in first_row]
    if len(header) == 1 and ";" in str(header[0]) and not (len(row) == 1 and ";" not in row[0]):
        return (
            f"the header {str(header[0])!r} is separated by ';', not ',' (a spreadsheet's export with decimal "
            "commas, which the reader does not guess at); save the file as CSV with ',' between the columns "
            "and '.' as the decimal point"
        )
    return None


def csv_frame(path: PathLike, error: Callable[[str], Exception], **options: Any) -> pd.DataFrame:
    """``pandas.read_csv`` of a user's CSV file; ``error(text)`` for what cannot be read as its
    header's columns (:func:`csv_problem`, :func:`semicolon_problem`, and rows with more fields than
    the header, which pandas would take as an index and shift the columns by)."""
    import pandas as pd

    try:
        df = pd.read_csv(path, **options)
    except UnicodeDecodeError:  # pandas names the byte within its chunk: decode again for the file's
        try:
            Path(path).read_bytes().decode("utf-8")
        except UnicodeDecodeError as exc:
            raise error(csv_problem(exc)) from None
        raise
    except (ValueError, OSError) as exc:  # pandas' ParserError is a ValueError
        raise error(csv_problem(exc)) from None
    first: list[Any] = df.iloc[0].tolist() if len(df) else []
    if len(df) and not isinstance(df.index, pd.RangeIndex):  # pandas took the fields beyond the header's as an index
        lead = df.index[0]
        first = [*(lead if isinstance(lead, tuple) else (lead,)), *first]
    problem = semicolon_problem([str(c) for c in df.columns], first)
    if problem:
        raise error(problem)
    if not isinstance(df.index, pd.RangeIndex):
        n = df.shape[1]
        raise error(f"line 2 has {n + df.index.nlevels} fields, the header {n}; every row has the header's columns")
    twice = _repeated_column(path)
    if twice is not None:
        one, other = twice
        named = repr(one) if one == other else f"{one!r} and {other!r} (one name: read without case or [units])"
        raise error(f"the header names the column {named} twice; give each column once")
    return df


def _repeated_column(path: PathLike) -> tuple[str, str] | None:
    """The first two names of a CSV file's header that are one column to the readers, or None.

    The readers look a column up by its name without case and without ``[units]``
    (``Utilisation`` is ``utilisation``); pandas renames a second ``t_db`` to ``t_db.1``, and a
    reader that looks up ``t_db`` then took the first of the two without a word."""
    with open(path, encoding="utf-8-sig", newline="") as fh:
        names = [name.strip() for name in next(csv.reader(fh), [])]
    seen: dict[str, str] = {}
    for name in names:
        key = name.partition("[")[0].strip().lower()
        if not key:
            continue
        if key in seen:
            return seen[key], name
        seen[key] = name
    return None


def _first_line(exc: BaseException) -> str:
    """The first line of an exception's message (pandas adds multi-line hints)."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


_UNIT_SPELLINGS = {
    "degC": (
        "degc",
        "°c",
        "c",
        "deg c",
        "celsius",
        "degree_celsius",
        "degrees_celsius",
        "degree_c",
        "degrees_c",
        "deg_c",
        "degree c",
        "degrees c",
    ),
    "%": ("%", "percent", "pct"),
    "Pa": ("pa",),
    "W m-2": ("w m-2", "w/m2", "w/m^2", "w m^-2", "w/m²", "w m⁻²"),
    "m s-1": ("m s-1", "m/s", "m s^-1", "m s⁻¹"),
}
"""How a CSV header may write each standard variable's units (compared through :func:`_unit_key`);
other units in a header are refused, not read as if they were these. An empty ``[]`` is no units,
as a column without brackets."""


def _unit_key(units: str) -> str:
    """Units compared without case, spacing or the product and power signs (``W·m**-2``,
    ``W.m^-2`` and ``w m-2`` alike; ``℃`` and ``° C`` as ``°c``)."""
    key = units.lower().replace("℃", "°c").replace("**", "").replace("^", "")
    for sign in "·.*":
        key = key.replace(sign, " ")
    return " ".join(key.split()).replace("° c", "°c")


def _auto_columns(header: list[str], source: str) -> dict[str, str]:
    """Standard name → column for columns named by a standard name (``t_db`` or ``t_db [degC]``);
    a column whose ``[units]`` are not the standard's is refused (``t_db [degF]``, ``p_air [hPa]``):
    the values would be read in the standard's units, and a wind in km/h passes every range check."""
    found: dict[str, str] = {}
    for col in header:
        base, bracket, rest = str(col).partition("[")
        base = base.strip().lower()
        if base not in VARIABLES:
            continue
        if base in found:
            raise WeatherError(
                f"{source}: columns {found[base]!r} and {str(col)!r} are both {base}; keep one (the reader would "
                "not know which to read)"
            )
        units = rest.rsplit("]", 1)[0].strip() if bracket else ""
        standard = VARIABLES[base][0]
        if units and _unit_key(units) not in {_unit_key(u) for u in _UNIT_SPELLINGS[standard]}:
            raise WeatherError(
                f"{source}: column {str(col)!r}: units {units!r}; allowed {standard} "
                f"({', '.join(repr(u) for u in _UNIT_SPELLINGS[standard])}): convert the column to {standard}"
            )
        found[base] = str(col)
    return found


CSV_LOCATION = {"latitude": "degrees_north", "longitude": "degrees_east", "elevation": "m", "utc_offset_h": "h"}
"""The location columns of a weather CSV and their units (``latitude [degrees_north]``, …): one
value in every row. ``twin weather --csv`` writes them (:func:`location_columns`), so the file
carries its place and is checked against the site it is run for, as an EPW header is; a CSV
without them takes the site's location (nothing to check). ``utc_offset_h`` may be left out."""


def location_columns(ds: xr.Dataset) -> xr.Dataset:
    """A weather Dataset with its location (the attributes ``latitude``, ``longitude``,
    ``elevation``, ``utc_offset_h``) as the constant :data:`CSV_LOCATION` columns of a CSV file."""
    n = ds.sizes["time"]
    return ds.assign(
        {k: ("time", np.full(n, float(ds.attrs[k])), {"units": u}) for k, u in CSV_LOCATION.items() if k in ds.attrs}
    )


def _csv_location(raw: pd.DataFrame, source: str, line_of_row: Any) -> dict[str, float]:
    """The location a CSV's :data:`CSV_LOCATION` columns give (``{}`` without them): each column
    one number in every row, in its units; latitude, longitude and elevation all or none."""
    out: dict[str, float] = {}
    for col in raw.columns if len(raw) else ():  # no rows: the year's length check says so
        base, bracket, rest = str(col).partition("[")
        key = base.strip().lower()
        if key not in CSV_LOCATION:
            continue
        units = rest.rsplit("]", 1)[0].strip() if bracket else ""
        if units and units != CSV_LOCATION[key]:
            raise WeatherError(f"{source}: column {str(col)!r}: units {units!r}; allowed {CSV_LOCATION[key]}")
        values = _numbers(raw[col], source, f"column {str(col)!r}", line_of_row)
        differ = np.flatnonzero(~(values == values[0]))
        if not np.isfinite(values[0]) or differ.size:
            i = int(differ[0]) if np.isfinite(values[0]) else 0
            raise WeatherError(
                f"{source}: {_where(line_of_row, i)}: column {str(col)!r} = {raw[col].iloc[i]!r}; the location "
                f"columns hold one number in every row (the file is one place), here {raw[col].iloc[0]!r}"
            )
        out[key] = float(values[0])
    given = [k for k in ("latitude", "longitude", "elevation") if k in out]
    if given and len(given) < 3:
        absent = next(k for k in ("latitude", "longitude", "elevation") if k not in out)
        raise WeatherError(
            f"{source}: a {given[0]} column and no {absent} column; give latitude, longitude and elevation "
            "columns (the file's location) or none (the site's)"
        )
    return out


def read_csv(
    path: PathLike,
    columns: Mapping[str, str] | None = None,
    *,
    time_column: str | None = None,
    latitude: float | None = None,
    longitude: float | None = None,
    elevation: float | None = None,
    utc_offset_h: float | None = None,
    wind_height_m: float = 10.0,
    time_label: str = "start",
    time_format: str | None = None,
    repair: bool | Any = True,
) -> tuple[xr.Dataset, dict[str, Any]]:
    """Read hourly weather from a CSV file with a user-given column mapping.

    Parameters
    ----------
    path : path
        The CSV file (header row first).
    columns : mapping, optional
        Standard name → the file's column name, e.g. ``{"t_db": "Temp_C", "rh": "RH"}``.
        Standard names: ``t_db`` (°C), ``t_dp`` (°C), ``rh`` (%), ``p_air`` (Pa), ``ghi``,
        ``dni``, ``dhi`` (W/m²), ``wind_speed`` (m/s). ``t_db`` and ``rh`` or ``t_dp`` are
        required. Values must already be in these units (a range check catches K or hPa).
        Default: the columns named by a standard name, alone or followed by ``[units]`` (as
        ``twin weather --csv`` writes them).
    time_column : str, optional
        Column holding timestamps (default ``time``, else the first column). Naive times are
        taken as local standard time; times with a UTC offset are converted to local
        standard time with ``utc_offset_h``.
    latitude, longitude, elevation, utc_offset_h : float
        Site location (degrees, m, hours east of UTC); ``weather.read`` passes the site's.
        Required unless the file has the :data:`CSV_LOCATION` columns, which win (the file's
        own place, as an EPW header's).
    wind_height_m : float
        Height of the wind measurement, m.
    time_label : {"start", "end"}
        Whether a timestamp labels the start or the end of its hour.
    time_format : str, optional
        strftime format of the timestamps (default: inferred).
    repair : bool or sequence of str
        :data:`weather.dataset.REPAIRS` to apply (default all).
    """
    import pandas as pd

    p = input_file(path, "weather file", empty=False)
    source = str(p)
    if columns is not None:
        unknown = sorted(set(columns) - set(VARIABLES))
        if unknown:
            raise WeatherError(
                f"{source}: column mapping names unknown variable {unknown[0]!r}; allowed: {', '.join(VARIABLES)}"
            )
    if time_label not in ("start", "end"):
        raise WeatherError(f"time_label = {time_label!r}; allowed: 'start', 'end'")
    raw = csv_frame(p, lambda text: WeatherError(f"{source}: {text}"), dtype=str, keep_default_na=False, na_values=[""])
    csv_line = lambda i: i + 2  # noqa: E731
    given = {"latitude": latitude, "longitude": longitude, "elevation": elevation, "utc_offset_h": utc_offset_h}
    given.update(_csv_location(raw, source, csv_line))
    absent = [k for k, v in given.items() if v is None]
    if absent:
        raise WeatherError(
            f"{source}: no location in the CSV weather file (no {absent[0]} column); {absent[0]} is needed "
            "(run it for a site: --site NAME, or pass latitude, longitude, elevation and utc_offset_h)"
        )
    lat, lon, utc = (float(given[k]) for k in ("latitude", "longitude", "utc_offset_h"))  # type: ignore[arg-type]
    check_file_location(lat, lon, utc, source)
    header = [str(c) for c in raw.columns]
    if columns is None:
        columns = _auto_columns(header, source)
        if "t_db" not in columns:
            raise WeatherError(
                f"{source}: no column named t_db (or 't_db [degC]'); columns are {', '.join(header)}; "
                "name the columns by the standard names or pass a mapping to weather.read_csv"
            )
    if time_column is None:
        time_column = next((c for c in header if c.strip().lower() == "time"), header[0])
    for col in [time_column, *columns.values()]:
        if col not in raw.columns:
            raise WeatherError(
                f"{source}: column {col!r} of the mapping is not in the file; columns are {', '.join(header)}"
            )
    stamps = raw[time_column]
    empty = np.flatnonzero(stamps.isna().to_numpy())
    if empty.size:
        raise WeatherError(f"{source}: line {csv_line(int(empty[0]))}: column {time_column!r} is empty")
    try:
        t = pd.to_datetime(stamps, format=time_format, errors="coerce")
    except (ValueError, TypeError) as exc:  # errors="coerce" still raises for mixed time zones
        first = str(stamps.iloc[0])
        why = "its times carry different UTC offsets" if "timezone" in str(exc).lower() else "its values are not times"
        if ";" in first:
            why += " (the file separates its columns with ';' and has decimal commas: save it with ',' and '.')"
        raise WeatherError(
            f"{source}: column {time_column!r} (first value {first!r}) is not one series of timestamps: {why}; "
            "one time zone, or none, for every row"
        ) from None
    bad = np.flatnonzero(pd.isna(t).to_numpy())
    if bad.size:
        i = int(bad[0])
        raise WeatherError(
            f"{source}: line {csv_line(i)}: column {time_column!r} value {stamps.iloc[i]!r} is not a timestamp"
        )
    idx = pd.DatetimeIndex(t)
    if idx.tz is not None:
        idx = idx.tz_convert("UTC").tz_localize(None) + pd.Timedelta(hours=utc)  # the file's offset, or the one given
    if time_label == "end":
        idx = idx - pd.Timedelta(hours=1)
    out = pd.DataFrame(index=idx)
    for std, col in columns.items():
        out[std] = _numbers(raw[col], source, f"column {col!r}", csv_line)
    meta = {
        "name": p.stem,
        "source_file": p.name,
        "format": "csv",
        **{k: float(v) for k, v in given.items()},  # type: ignore[arg-type]
        "wind_height_m": float(wind_height_m),
        "typical_year": False,
    }
    return build_dataset(out, meta, source, line_of_row=csv_line, repair=repair)


# ERA5 short names (Copernicus CDS, single levels): name -> meaning, units.
_ERA5 = {
    "t2m": "2 m temperature, K",
    "d2m": "2 m dew point temperature, K",
    "sp": "surface pressure, Pa",
    "u10": "10 m u wind, m/s",
    "v10": "10 m v wind, m/s",
    "ssrd": "surface solar radiation downwards, J/m² accumulated over the hour",
}


_OFFSET_UNITS = re.compile(r"[+-]\d{1,2}(:\d\d)?$")
"""A CF time ``units`` string ending in a UTC offset (``hours since 2021-01-01 00:00:00 +08:00``)."""


def _read_standard_netcdf(
    raw: xr.Dataset,
    tname: str,
    source: str,
    utc_offset_h: float | None,
    latitude: float | None,
    longitude: float | None,
    elevation: float | None,
    repair: bool | Any,
) -> tuple[xr.Dataset, dict[str, Any]]:
    """A NetCDF file of the standard weather variables (what ``twin weather -o`` writes).

    Its time is local standard time, stored with the offset in the units; a CF reader decodes
    it to UTC, so the file's ``utc_offset_h`` (else the site's) puts it back. Location and wind
    height come from the file's attributes, else from the arguments.
    """
    import pandas as pd

    attrs = raw.attrs
    offset = attrs.get("utc_offset_h", utc_offset_h)
    stamps = pd.DatetimeIndex(raw[tname].to_numpy())
    if _OFFSET_UNITS.search(str(raw[tname].encoding.get("units", "")).strip()):
        if offset is None:
            raise WeatherError(f"{source}: time is in UTC and the file has no utc_offset_h; pass the site's")
        stamps = stamps + pd.Timedelta(hours=float(offset))

    def number_of(key: str, value: Any) -> float:
        try:
            return float(value)
        except (TypeError, ValueError):
            lo, hi = LOCATION_RANGES.get(key, (0.0, 300.0))  # wind_height_m: the site schema's bound
            units = "" if key in ("latitude", "longitude") else (" h" if key == "utc_offset_h" else " m")
            raise WeatherError(
                f"{source}: attribute {key} = {value!r} is not a number; allowed {span(lo, hi)}{units}"
            ) from None

    notes = []
    if "elevation" not in attrs and elevation is None:
        elevation = 0.0
        notes.append("elevation unknown; 0 m assumed (pass elevation, or run it for a site: --site NAME)")
    meta: dict[str, Any] = {
        "name": str(attrs.get("name", Path(source).stem)),
        "latitude": number_of("latitude", attrs.get("latitude", latitude if latitude is not None else np.nan)),
        "longitude": number_of("longitude", attrs.get("longitude", longitude if longitude is not None else np.nan)),
        "elevation": number_of("elevation", attrs.get("elevation", elevation)),
        "utc_offset_h": number_of("utc_offset_h", offset) if offset is not None else np.nan,
        "wind_height_m": number_of("wind_height_m", attrs.get("wind_height_m", 10.0)),
        "source_file": source,
        "format": "netcdf",
        "notes": notes,
    }
    missing = [k for k in ("latitude", "longitude", "utc_offset_h") if not math.isfinite(meta[k])]
    if missing:
        raise WeatherError(f"{source}: no {missing[0]} in the file's attributes; pass it (or --site NAME)")
    df = pd.DataFrame(
        {v: raw[v].to_numpy().astype(float) for v in VARIABLES if v in raw.data_vars},
        index=stamps,
    )
    return build_dataset(df, meta, source, repair=repair)


def read_netcdf(
    path: PathLike,
    *,
    utc_offset_h: float | None = None,
    latitude: float | None = None,
    longitude: float | None = None,
    elevation: float | None = None,
    repair: bool | Any = True,
) -> tuple[xr.Dataset, dict[str, Any]]:
    """Read an hourly NetCDF file: ERA5's variable names, or the weather Dataset's own
    (:data:`weather.dataset.VARIABLES`, as ``twin weather -o FILE.nc`` writes it).

    Parameters
    ----------
    path : path
        NetCDF with ``t2m``, ``d2m`` (K), ``sp`` (Pa), ``u10``, ``v10`` (m/s) and
        optionally ``ssrd`` (J/m², accumulated over the hour ending at the time stamp), on a
        ``time`` or ``valid_time`` axis in UTC. A grid is reduced to the point nearest
        ``latitude``/``longitude``.
    utc_offset_h : float
        Local standard time offset of the site, h (required: ERA5 is in UTC; ``weather.read``
        passes the site's).
    latitude, longitude : float, optional
        Point to extract; required when the file holds more than one grid point.
    elevation : float, optional
        Site elevation, m; default: from geopotential ``z`` if present, else 0 with a note.
    repair : bool or sequence of str
        :data:`weather.dataset.REPAIRS` to apply (default all).

    Notes
    -----
    ``ghi = ssrd / 3600`` for the hour *ending* at the stamp, so it labels the hour starting
    one hour earlier; the other variables are instantaneous at the stamp and are used as
    they are. DNI and DHI come from the Erbs decomposition of GHI.
    """
    import pandas as pd
    import xarray as xr

    p = input_file(path, "weather file", empty=False)
    source = str(p)
    try:
        raw = xr.open_dataset(p, engine="h5netcdf")
    except Exception as exc:
        why = "no NetCDF-4 (HDF5) signature at its start" if "signature" in str(exc) else _first_line(exc)
        raise WeatherError(
            f"{source}: cannot open as NetCDF-4 ({why}); if it is a NetCDF-3 file, save it as NetCDF-4"
        ) from None
    try:
        with raw:
            tname = "valid_time" if "valid_time" in raw.dims else "time"
            if tname not in raw.dims:
                raise WeatherError(f"{source}: no 'time' or 'valid_time' dimension; dims are {dict(raw.sizes)}")
            if "t_db" in raw.data_vars and ("rh" in raw.data_vars or "t_dp" in raw.data_vars):
                return _read_standard_netcdf(raw, tname, source, utc_offset_h, latitude, longitude, elevation, repair)
            if utc_offset_h is None:
                raise WeatherError(
                    f"{source}: an ERA5 NetCDF file is in UTC; the site's UTC offset is needed "
                    "(--utc-offset H or --site NAME)"
                )
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
    except WeatherError:
        raise
    except (KeyError, ValueError, TypeError, IndexError) as exc:
        raise WeatherError(f"{source}: cannot read the ERA5 variables ({_first_line(exc)})") from None
    meta = {
        "name": p.stem,
        "source_file": p.name,
        "format": "netcdf",
        "latitude": float(lat),
        "longitude": float(lon),
        "elevation": float(elevation),
        "utc_offset_h": float(utc_offset_h),
        "wind_height_m": 10.0,
        "typical_year": False,
        "notes": notes,
    }
    return build_dataset(out, meta, source, repair=repair)


@dataclass(frozen=True)
class Format:
    """A readable weather format: its reader and how a file of it is recognised.

    Attributes
    ----------
    name : str
        Key in :data:`FORMATS` (``--format`` on the command line, ``[weather] format`` in a
        scenario).
    reader : callable
        ``reader(path, **options) -> (Dataset, meta)``; every reader takes ``repair``.
    suffixes : tuple of str
        File name endings of the format (lower case, with the dot).
    description : str
        One line for help texts and the README.
    from_site : tuple of str
        Location fields the file does not carry and the reader takes from the site
        (``latitude``, ``longitude``, ``elevation``, ``utc_offset_h``).
    options : tuple of str
        Keyword options the reader accepts besides ``repair`` and ``from_site``.
    sniff : callable, optional
        ``sniff(first_two_lines) -> bool``: recognises a file whose suffix is shared.
    """

    name: str
    reader: Callable[..., tuple[xr.Dataset, dict[str, Any]]]
    suffixes: tuple[str, ...]
    description: str
    from_site: tuple[str, ...] = ()
    options: tuple[str, ...] = ()
    sniff: Callable[[list[str]], bool] | None = None


_LOCATION = ("latitude", "longitude", "elevation", "utc_offset_h")

FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        Format(
            "epw",
            read_epw,
            (".epw",),
            "EnergyPlus EPW (CSWD, TMYx, IWEC ...)",
            options=("year", "utc_offset_h"),
            sniff=lambda head: head[0].startswith("LOCATION,"),
        ),
        Format(
            "tmy3",
            read_tmy3,
            (".csv",),
            "NREL TMY3 CSV",
            options=("year", "utc_offset_h"),
            sniff=lambda head: len(head) > 1 and head[1].startswith("Date (MM/DD/YYYY)"),
        ),
        Format(
            "pvgis",
            read_pvgis_tmy,
            (".json", ".csv"),
            "PVGIS TMY, csv or json (UTC; the site's offset is used)",
            from_site=("utc_offset_h",),
            options=("year",),
            sniff=lambda head: head[0].startswith("Latitude (decimal degrees):") or head[0].lstrip().startswith("{"),
        ),
        Format(
            "netcdf",
            read_netcdf,
            (".nc", ".nc4", ".netcdf"),
            "NetCDF with ERA5 names (UTC; the point nearest the site)",
            from_site=_LOCATION,
            sniff=lambda head: head[0].startswith(("CDF", "\x89HDF")),
        ),
        Format(
            "csv",
            read_csv,
            (".csv",),
            "hourly CSV, columns named t_db, rh, ... (its location columns, else the site's location)",
            from_site=_LOCATION,
            options=("columns", "time_column", "wind_height_m", "time_label", "time_format"),
            sniff=lambda head: True,
        ),
    )
}
"""The weather formats, by name: :func:`read`, ``twin weather --file/--format``, ``twin run
--weather`` and a scenario's ``[weather] format`` all choose from here. Adding a format is a
reader function plus one entry (see the README, "How to add a weather format")."""


_HEAD_LINE_BYTES = 1 << 20
"""The most of a line the format sniffer reads: a header line is far shorter."""


def head_lines(path: Path) -> list[str]:
    """The first two lines of a weather file, decoded as its reader decodes them (whole lines,
    :func:`weather.files.station_lines`): for the format sniffers, and for what is read of an
    EPW's header apart from its reader (its WMO number, its design conditions)."""
    try:
        with path.open("rb") as fh:
            raw = fh.readline(_HEAD_LINE_BYTES) + fh.readline(_HEAD_LINE_BYTES)
            if raw.startswith(UTF16_BOMS):  # its b"\n" is half of a character: read as characters
                fh.seek(0)
                return (station_text(fh.read(4 * _HEAD_LINE_BYTES)).splitlines() or [""])[:2]
    except OSError as exc:
        raise WeatherError(f"{path}: cannot read ({exc.strerror})") from None
    return (station_lines(raw) or [""])[:2]


def detect_format(path: PathLike) -> str:
    """The :data:`FORMATS` key of a file: by its suffix, and by its first lines where a suffix is shared."""
    p = input_file(path, "weather file", empty=False)
    suffix = p.suffix.lower()
    candidates = [f for f in FORMATS.values() if suffix in f.suffixes]
    if len(candidates) == 1:
        return candidates[0].name
    head = head_lines(p)
    for f in candidates or [f for f in FORMATS.values() if f.name != "csv"]:  # unknown suffix: no CSV fallback
        if f.sniff is not None and f.sniff(head):
            return f.name
    raise WeatherError(
        f"{p}: cannot tell the weather format from "
        + (f"the suffix {suffix!r}" if suffix else "a name without a suffix")
        + " or the first line; "
        f"pass the format: one of {', '.join(FORMATS)}"
    )


def read(
    path: PathLike,
    format: str | None = None,
    *,
    location: Mapping[str, float] | None = None,
    repair: bool | Any = True,
    bad_records: str = "repair",
    **options: Any,
) -> tuple[xr.Dataset, dict[str, Any]]:
    """Read a weather file of any format in :data:`FORMATS`.

    Parameters
    ----------
    path : path
        The file.
    format : str, optional
        A :data:`FORMATS` key; default: :func:`detect_format`.
    location : mapping, optional
        The site's ``latitude``, ``longitude``, ``elevation`` and ``utc_offset_h``: given to
        the reader for what the format does not carry (``Format.from_site``); ignored for
        formats whose files carry their own location.
    repair : bool or sequence of str
        :data:`weather.dataset.REPAIRS` to apply (default all; ``False`` to inspect the file
        as it is, then :func:`weather.repair`).
    bad_records : {"repair", "refuse"}
        What to do with physically impossible or implausible records
        (:data:`weather.dataset.BAD_RECORDS`); they are always listed in ``meta['flags']``.
    **options
        Reader options (``Format.options``), e.g. ``utc_offset_h`` or ``columns``.

    Returns
    -------
    (xarray.Dataset, dict)
        The standard weather Dataset and its metadata (``meta['format']`` is the format).
    """
    name = format if format not in (None, "auto") else detect_format(path)
    if name not in FORMATS:
        raise WeatherError(f"{path}: weather format {name!r} is unknown; formats are {', '.join(FORMATS)}")
    fmt = FORMATS[name]
    allowed = set(fmt.options) | set(fmt.from_site)
    for key in options:
        if key not in allowed:
            raise WeatherError(
                f"{path}: the {name} reader takes no option {key!r}; it takes {', '.join(sorted(allowed)) or 'none'}"
            )
    kwargs = {k: v for k, v in options.items() if v is not None}
    for key in fmt.from_site:
        if location is not None and key not in kwargs and location.get(key) is not None:
            kwargs[key] = location[key]
    if bad_records not in ("repair", "refuse"):
        apply_bad_records({}, bad_records, str(path))  # names the allowed values
    ds, meta = fmt.reader(path, repair=repair, **kwargs)
    apply_bad_records(meta, bad_records, str(path))
    return ds, meta
