"""The one weather Dataset that every reader and the generator produce, and its checks.

Names, units and meaning (pvlib-style names; one unit per quantity):

=============  =======  ==============================================================
variable       units    meaning
=============  =======  ==============================================================
t_db           degC     dry-bulb air temperature
t_dp           degC     dew-point temperature (frost point below 0 °C)
rh             %        relative humidity (over ice below 0 °C)
p_air          Pa       barometric (station) pressure
ghi            W m-2    global horizontal irradiance, mean over the hour
dni            W m-2    direct normal irradiance, mean over the hour
dhi            W m-2    diffuse horizontal irradiance, mean over the hour
wind_speed     m s-1    wind speed at ``wind_height_m`` (attribute) above ground
=============  =======  ==============================================================

Time is the site's **local standard time** (no daylight saving), naive, labelling the
**start** of each hourly interval (``00:00`` is the hour 00:00–01:00); the UTC offset is in
``attrs['utc_offset_h']``. A year has 8760 steps, or 8784 in a leap year.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import numpy as np

from weather import psychrometrics as psy
from weather.fmt import Explained, number, span

if TYPE_CHECKING:
    import pandas as pd
    import xarray as xr


__all__ = [
    "ELEVATION_RANGE_M",
    "LOCATION_RANGES",
    "MAX_GAP_HOURS",
    "PEAK_HOUR_SD_BOUND",
    "REPAIRS",
    "VARIABILITY_RANGES",
    "VARIABLES",
    "WeatherError",
    "WeatherWarning",
    "build_dataset",
    "calendar_starts",
    "check_location",
    "fill_gaps",
    "hour_and_month",
    "hour_of_day",
    "lag_pair_problem",
    "month_of_year",
    "repair",
    "solar_position",
]

MAX_GAP_HOURS = 3
"""Gaps of up to this many consecutive missing hours are interpolated (with a warning)."""


class WeatherError(Explained, ValueError):
    """Weather input that cannot be used: the message names the file, line or field (some say
    it in parts too: :class:`~weather.fmt.Explained`)."""


class WeatherWarning(UserWarning):
    """Weather input that was repaired (gap interpolated, irradiance re-split, ...)."""


VARIABLES: dict[str, tuple[str, str, tuple[float, float]]] = {
    # name: (units, long_name, physically plausible range)
    "t_db": ("degC", "dry-bulb air temperature", (-70.0, 60.0)),
    "t_dp": ("degC", "dew-point temperature", (-90.0, 40.0)),
    "rh": ("%", "relative humidity", (0.0, 100.0)),
    "p_air": ("Pa", "barometric pressure", (40_000.0, 110_000.0)),
    "ghi": ("W m-2", "global horizontal irradiance", (0.0, 1500.0)),
    "dni": ("W m-2", "direct normal irradiance", (0.0, 1500.0)),
    "dhi": ("W m-2", "diffuse horizontal irradiance", (0.0, 1000.0)),
    "wind_speed": ("m s-1", "wind speed", (0.0, 80.0)),
}
NEGATIVE_IRRADIANCE_LIMIT = 50.0
"""Irradiance down to −this, W m-2, is a flagged record (a thermopile's night offset is a few
W m-2) and is set to 0; below it the column is refused as a unit or mapping error."""
RH_SLACK = 10.0
"""Station files report RH a little above 100 % in fog (CSWD: 102 %); up to 100 + RH_SLACK is
accepted and clipped to 100 %, above that the value is taken as a wrong unit or column."""


def _datetimes(time: Any) -> np.ndarray:
    t = np.asarray(time)
    return t if t.dtype.kind == "M" else t.astype("datetime64[ns]")


_PER_HOUR = {"h": 1, "m": 60, "s": 3600, "ms": 3_600_000, "us": 3_600_000_000, "ns": 3_600_000_000_000}
"""Ticks of a datetime64 unit in one hour."""


def _first_hour(t: np.ndarray) -> int | None:
    """The hour of day of the first stamp of an axis of stamps one hour apart, the first on the
    hour (a weather year's time axis); None for any other axis."""
    unit, count = np.datetime_data(t.dtype)
    if t.ndim != 1 or unit not in _PER_HOUR or count != 1 or not t.size:
        return None
    hour = _PER_HOUR[unit]
    v = t.view(np.int64)
    if int(v[0]) % hour != 0 or not bool((v[1:] - v[:-1] == hour).all()):
        return None
    return int(v[0] // hour % 24)


def hour_of_day(time: np.ndarray) -> np.ndarray:
    """Hour of the day (0–23, int) of each time stamp, from the datetime64 values directly."""
    t = _datetimes(time)
    return _hours(t, _first_hour(t))


def month_of_year(time: np.ndarray) -> np.ndarray:
    """Month of the year (0 = January … 11, int) of each time stamp.

    A month changes only where the day does: each run of time stamps within one day is converted
    to its month once, not every hour (a calendar conversion per element is slow).
    """
    t = _datetimes(time)
    return _months(t, _first_hour(t))


def calendar_starts(time: np.ndarray, period: str) -> np.ndarray:
    """Indices where each calendar day or month of an hourly time axis starts.

    A month changes only where the day changes, so the months are read from the day starts'
    dates (a few hundred values) instead of converting every hour to a month.
    """
    day = np.asarray(time).astype("datetime64[D]")
    days = np.flatnonzero(np.r_[True, day[1:] != day[:-1]])
    if period == "day":
        return days
    month = day[days].astype("datetime64[M]")
    return days[np.r_[True, month[1:] != month[:-1]]]


def hour_and_month(time: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`hour_of_day` and :func:`month_of_year` of the same stamps (the axis checked once)."""
    t = _datetimes(time)
    first = _first_hour(t)
    return _hours(t, first), _months(t, first)


def _hours(t: np.ndarray, first: int | None) -> np.ndarray:
    """:func:`hour_of_day` of datetimes ``t`` (``first``: :func:`_first_hour` of them)."""
    if first is not None:  # the day's 24 hours repeated from the first stamp's
        day = (np.arange(24, dtype=np.int64) + first) % 24
        return np.tile(day, -(-t.size // 24))[: t.size]  # tile, not np.resize (≈ 10× slower)
    return t.astype("datetime64[h]").view(np.int64) % 24


def _months(t: np.ndarray, first: int | None) -> np.ndarray:
    """:func:`month_of_year` of datetimes ``t`` (``first``: :func:`_first_hour` of them)."""
    if t.size == 0:
        return np.zeros(0, dtype=np.int64)
    if first is not None:  # days start where the hour of day is 0
        head = min((24 - first) % 24, t.size)  # stamps before the first midnight
        starts = np.arange(head, t.size, 24)
        month = t[starts].astype("datetime64[M]").view(np.int64) % 12
        days = np.repeat(month, 24)[: t.size - head]  # whole days of 24 stamps, the last cut
        if not head:
            return days
        first_month = t[:1].astype("datetime64[M]").view(np.int64) % 12
        return np.concatenate([np.repeat(first_month, head), days])
    day = t.astype("datetime64[D]")
    starts = np.flatnonzero(np.r_[True, day[1:] != day[:-1]])
    month = t[starts].astype("datetime64[M]").view(np.int64) % 12
    return np.repeat(month, np.diff(np.r_[starts, t.size]))


def solar_position(time: pd.DatetimeIndex, latitude: float, longitude: float, utc_offset_h: float) -> pd.DataFrame:
    """Solar position at the middle of each hourly interval (NREL's SPA, Reda2004).

    Parameters
    ----------
    time : pandas.DatetimeIndex
        Naive local standard time labelling interval starts.
    latitude, longitude : float
        Degrees north / east.
    utc_offset_h : float
        Hours east of UTC.

    Returns
    -------
    pandas.DataFrame
        pvlib's columns (``apparent_zenith``, ``zenith``, ``azimuth``, ...) on ``time``; treat
        it as read-only.

    Notes
    -----
    On a regular hourly axis the SPA's periodic series are summed by angle addition over blocks
    of hours (:func:`weather.solar.spa_regular`, within 1e-10° of pvlib's ``spa_python``;
    ≈ 15 ms a site-year instead of ≈ 50), and the generator, the irradiance check and the PV
    model all need the same one: those results are cached by (first stamp, length, place).
    Other axes run pvlib's ``spa_python``.
    """
    import pandas as pd

    time = pd.DatetimeIndex(time)
    step = np.diff(time.to_numpy()[:2]).astype("timedelta64[s]").astype(np.int64)
    regular = (
        time.size > 1 and step.size and step[0] == 3600 and time[-1] - time[0] == pd.Timedelta(hours=time.size - 1)
    )
    if regular:
        return _solar_position_cached(time[0], time.size, float(latitude), float(longitude), float(utc_offset_h))
    return _solar_position(time, latitude, longitude, utc_offset_h)


def _solar_position(
    time: pd.DatetimeIndex, latitude: float, longitude: float, utc_offset_h: float, regular: bool = False
) -> pd.DataFrame:
    import pandas as pd
    import pvlib

    mid = (time + pd.Timedelta(minutes=30) - pd.Timedelta(hours=utc_offset_h)).tz_localize("UTC")
    sp = None
    if regular and not pvlib.spa.USE_NUMBA:  # the same SPA, its series summed by blocks (weather.solar)
        from weather.solar import spa_regular

        try:
            sp = spa_regular(mid, latitude, longitude)
        except AttributeError:  # a pvlib whose spa module no longer has the tables and steps it reuses
            sp = None
    if sp is None:
        sp = pvlib.solarposition.get_solarposition(mid, latitude, longitude)
    sp.index = time
    return sp


@functools.lru_cache(maxsize=32)
def _solar_position_cached(
    start: pd.Timestamp, n: int, latitude: float, longitude: float, utc_offset_h: float
) -> pd.DataFrame:
    import pandas as pd

    return _solar_position(pd.date_range(start, periods=n, freq="h"), latitude, longitude, utc_offset_h, regular=True)


def fill_gaps(
    df: pd.DataFrame, source: str, line_of_row: Any = None, max_gap: int = MAX_GAP_HOURS
) -> tuple[pd.DataFrame, list[str]]:
    """Interpolate runs of NaN up to ``max_gap`` hours; fail on longer runs.

    Parameters
    ----------
    df : pandas.DataFrame
        Hourly data; NaN marks missing values.
    source : str
        File name for messages.
    line_of_row : callable, optional
        Maps a row index to the file line number for messages.

    Returns
    -------
    (DataFrame, list of str)
        The filled frame and one note per interpolated gap.

    Raises
    ------
    WeatherError
        A gap longer than ``max_gap`` hours, or one at the start or end of the record (no
        neighbour to interpolate from); the message names the variable, time and line.
    """
    notes: list[str] = []
    out = df.copy()
    for col in df.columns:
        miss = df[col].isna().to_numpy()
        if not miss.any():
            continue
        edges = np.diff(np.concatenate(([0], miss.astype(np.int8), [0])))
        starts = np.flatnonzero(edges == 1)
        ends = np.flatnonzero(edges == -1)  # exclusive
        for s, e in zip(starts, ends, strict=True):
            where = f"{source}: {col} missing for {e - s} h from {df.index[s]}{_at_line(line_of_row, int(s))}"
            if e - s > max_gap:
                raise WeatherError(f"{where}; gaps longer than {max_gap} h are not filled")
            if s == 0 or e == len(df):
                raise WeatherError(f"{where}; a gap at the start or end of the record cannot be interpolated")
            notes.append(f"{col}: {e - s} h gap from {df.index[s]} interpolated linearly")
        out[col] = df[col].interpolate(method="linear", limit_area="inside")
    for n in notes:
        warnings.warn(f"{source}: {n}", WeatherWarning, stacklevel=3)
    return out, notes


def _at_line(line_of_row: Any, row: int) -> str:
    """`` (line N)`` for messages, or nothing when the source has no lines."""
    return f" (line {line_of_row(row)})" if line_of_row is not None else ""


def _check_hourly(index: pd.DatetimeIndex, source: str, line_of_row: Any = None) -> None:
    if len(index) < 24:
        raise WeatherError(f"{source}: {len(index)} rows; at least one day of hourly data is needed")
    if index.has_duplicates:
        i = int(np.flatnonzero(index.duplicated())[0])
        raise WeatherError(f"{source}: duplicate timestamp {index[i]}{_at_line(line_of_row, i)}")
    step = np.diff(index.to_numpy().astype("datetime64[s]").astype(np.int64)) / 3600.0
    bad = np.flatnonzero(step != 1.0)
    if bad.size:
        i = int(bad[0])
        raise WeatherError(
            f"{source}: data must be hourly and contiguous; step of {number(step[i])} h between "
            f"{index[i]} and {index[i + 1]}{_at_line(line_of_row, i + 1)}"
        )


REPAIRS: dict[str, str] = {
    "gaps": f"runs of up to {MAX_GAP_HOURS} missing hours interpolated linearly (longer runs are an error)",
    "humidity": "dew point capped at the dry bulb, RH clipped to 0.5 … 100 % and recomputed from the dew point",
    "irradiance_timing": "irradiance of a typical year moved by whole hours when it is 45 min or more off the sun",
    "irradiance_night": "irradiance zeroed when the sun is more than 7° below the horizon for the whole hour",
    "irradiance_split": "DNI/DHI re-split from GHI (Erbs) where DNI·cos z + DHI does not close against GHI within 5 %",
}
"""The repairs a reader applies by default, in this order (``weather.read(..., repair=False)`` or a
subset turns them off; :func:`repair` applies them to a Dataset read without them). Each repair
made is said in ``meta['notes']``; ``meta['repairs']`` lists the steps that were applied."""

VARIABILITY_RANGES: Mapping[str, tuple[float, float]] = MappingProxyType(
    {
        "t_daily_sd_c": (0.0, 20.0),
        "t_dew_daily_sd_c": (0.0, 20.0),
        "t_daily_lag1": (0.0, 0.95),
        "t_dew_daily_lag1": (0.0, 0.95),
        "t_dew_corr": (-1.0, 1.0),
        "t_dew_hourly_sd_c": (0.0, 10.0),
        "t_dew_skew": (-1.5, 1.5),
        "t_daily_lag2": (-0.9, 0.95),
        "t_dew_daily_lag2": (-0.9, 0.95),
        "t_dew_hot_c": (-20.0, 20.0),
        "t_peak_hours": (1.0, 12.0),
        "t_dew_dip_slope": (-10.0, 10.0),
        "t_peak_hour_sd_h": (0.0, 18.0),  # the IQR of hours 0 … 23 over 1.349 reaches 17.05 h
        "t_dew_depression_p10": (0.0, 1.0),
        "t_dew_depression_p05": (0.0, 1.0),
        "t_dew_depression_step_sd_c": (0.0, 5.0),
        "wind_hourly_lag1": (0.0, 0.95),
        "wind_hourly_lag2": (-0.5, 0.95),
        "t_dew_hourly_lag1": (0.6, 0.95),
        "t_dew_hot_slope": (-2.0, 2.0),
        "t_max_daily_sd_c": (0.0, 20.0),
        "t_min_daily_sd_c": (0.0, 20.0),
        "t_max_min_corr": (-1.0, 1.0),
        "t_max_skew": (-1.5, 1.5),
        "t_min_skew": (-1.5, 1.5),
        "t_max_kurtosis": (-0.85, 3.0),
        "t_min_kurtosis": (-0.85, 3.0),
    }
)
"""The one schema of the day-to-day weather statistics (:class:`weather.generator.Variability`,
a site file's ``[variability]`` table): inclusive bounds of each value (K for the SDs). A lag-1
correlation up to 0.95 keeps the generator's AR(1) anomaly stationary (assumption); each pair of
lag-1 and lag-2 correlations must also be one a stationary process has (:func:`lag_pair_problem`).
``t_dew_hourly_lag1`` starts at 0.6 (assumption, measured on a Yinchuan file with the field changed:
at 0.5 a generated dew point jumped 10.0 K in an hour, at 0 14 K, what the readers flag in a record
as implausible; the records here measure 0.745 … 0.938)."""


DIP_SLOPE_BOUND = 3.0
"""The generator's bound of β, the change of the afternoon dew-point dip per SD of the day's dew
point, K each way (``weather.generator.DIP_SLOPE_MAX`` is this constant; why 3 K: its docstring). ``t_dew_dip_slope`` may be up to ±10 K per SD (:data:`VARIABILITY_RANGES`: what
a record may measure), but a generated year changes the dip by at most this much, so a site file
beyond it is read with a :class:`WeatherWarning` (``sites.library``)."""

PEAK_HOUR_SD_BOUND = 3.0
"""Largest spread of the drawn hours of the daily maximum, h (``weather.generator.PEAK_HOUR_SD_MAX``
is this constant; why 3 h: its docstring). ``t_peak_hour_sd_h`` may be up to 18 h (what a record
may measure), but a generated year draws at most this spread, so a site file beyond it is read
with a :class:`WeatherWarning` (``sites.library``), as a ``t_dew_dip_slope`` beyond
:data:`DIP_SLOPE_BOUND` is."""


EXTREME_FIELDS = (
    "t_max_daily_sd_c",
    "t_min_daily_sd_c",
    "t_max_min_corr",
    "t_max_skew",
    "t_min_skew",
    "t_max_kurtosis",
    "t_min_kurtosis",
)
"""The optional variability fields of the daily maximum and minimum (:class:`weather.generator.Variability`),
given together."""


def extremes_problem(values: Mapping[str, Any], where: str = "variability") -> str | None:
    """What is wrong with a variability table's daily-extreme fields (:data:`EXTREME_FIELDS`,
    given together or not at all), or None."""
    given = [values.get(k) is not None for k in EXTREME_FIELDS]
    if any(given) and not all(given):
        missing = next(k for k, g in zip(EXTREME_FIELDS, given, strict=True) if not g)
        return f"{where}.{missing} is missing: {', '.join(EXTREME_FIELDS)} are given together or not at all"
    return None


def wind_lags_problem(values: Mapping[str, Any], where: str = "variability") -> str | None:
    """What is wrong with a variability table's hourly wind lags (``wind_hourly_lag1``,
    ``wind_hourly_lag2``, given together or not at all), or None. Whether an hourly process has
    the pair is checked where the year is generated (:func:`weather.generator.hourly_ar2_for_residual`)."""
    if (values.get("wind_hourly_lag1") is None) != (values.get("wind_hourly_lag2") is None):
        return f"{where}.wind_hourly_lag1 and {where}.wind_hourly_lag2 are given together or not at all"
    return None


def lag_pair_problem(values: Mapping[str, Any], where: str = "variability") -> str | None:
    """What is wrong with the lag-1/lag-2 autocorrelation pairs of a variability table, or None.

    Parameters
    ----------
    values : mapping
        At least ``t_daily_lag1`` and ``t_dew_daily_lag1``; the optional lag-2 fields absent or
        None are an AR(1) and pass.
    where : str
        Prefix of the field names in the message.

    Notes
    -----
    A pair ``(ρ1, ρ2)`` is the autocorrelation of a stationary process (the 3 × 3 autocorrelation
    matrix positive definite; the Yule–Walker AR(2) stationary) only if ``|ρ1| < 1``, ``|ρ2| < 1``
    and ``ρ2 > 2 ρ1² − 1`` (Box & Jenkins). The ranges of :data:`VARIABILITY_RANGES` give the first
    two; each field in range does not give the third (ρ1 = 0.65, ρ2 = −0.87).

    The generator also needs ``ρ2 ≤ ρ1²``: the Yule–Walker lag-2 coefficient
    ``φ2 = (ρ2 − ρ1²) / (1 − ρ1²)`` at most 0, a second day that damps the first day's memory, as
    in all five reference records (ρ2 0.24–0.48 against ρ1² 0.36–0.62). With ``φ2 > 0`` the
    anomaly wanders for weeks, each month's spread of daily means is a small part of its variance,
    and rescaling that spread to the site's inflates the year (0.8 / 0.8 gave 49 °C in a Karamay
    July; 0.3 / 0.95 gave 61 °C): a domain of validity, not a law of nature (assumption).
    """
    for lag1, lag2 in (("t_daily_lag1", "t_daily_lag2"), ("t_dew_daily_lag1", "t_dew_daily_lag2")):
        r1, r2 = values.get(lag1), values.get(lag2)
        if r1 is not None and r2 is not None and not r2 > 2.0 * r1**2 - 1.0:
            return (
                f"{where}.{lag1} = {r1!r} with {where}.{lag2} = {r2!r}: no stationary process has these "
                f"autocorrelations; allowed {lag2} > 2·{lag1}² − 1 = {2.0 * r1**2 - 1.0:.3f} (Box & Jenkins)"
            )
        if r1 is not None and r2 is not None and r2 > r1**2:
            return (
                f"{where}.{lag1} = {r1!r} with {where}.{lag2} = {r2!r}: the generator is valid for "
                f"{lag2} ≤ {lag1}² = {r1**2:.3f} (a lag-2 term that damps, as in every reference record); "
                f"leave {lag2} out for the AR(1) model"
            )
    return None


MAX_UTC_OFFSET_FROM_LONGITUDE_H = 3.5
"""Largest accepted ``|utc_offset_h − longitude/15|``, h. Standard time zones depart from solar
time by up to about 3 h (China's UTC+8 at Kashgar, 76 °E: 2.9 h); 3.5 h leaves a margin and
still refuses a sign or zone error such as −5 h at 107 °E (12.1 h)."""


ELEVATION_RANGE_M = (-500.0, 6000.0)
"""Elevations a site or weather file may have, m: the Dead Sea's shore (−430 m) to above the
highest towns; a value outside (or NaN, which a header may spell ``nan``) is refused, since the
pressure of a file without it and the station check against the site are computed from it."""

LOCATION_RANGES: dict[str, tuple[float, float]] = {
    "latitude": (-90.0, 90.0),
    "longitude": (-180.0, 180.0),
    "utc_offset_h": (-12.0, 14.0),
    "elevation": ELEVATION_RANGE_M,
}
"""What :func:`check_location` allows of each field of a location (degrees, hours, m)."""


def check_location(
    latitude: float, longitude: float, utc_offset_h: float, source: str, elevation: float | None = None
) -> str | None:
    """The first problem with a location's metadata, or None.

    Parameters
    ----------
    latitude, longitude : float
        Degrees north / east.
    utc_offset_h : float
        Hours east of UTC.
    source : str
        File or field named in the message.
    elevation : float, optional
        Metres above sea level (not checked when None).

    Returns
    -------
    str or None
        A message naming the value and what is allowed: latitude outside −90 … 90, longitude
        outside −180 … 180, a UTC offset outside −12 … 14, an elevation outside
        :data:`ELEVATION_RANGE_M` (each also when not a finite number), or an offset that
        differs from ``longitude / 15`` by more than :data:`MAX_UTC_OFFSET_FROM_LONGITUDE_H`.
    """
    given = {"latitude": latitude, "longitude": longitude, "utc_offset_h": utc_offset_h, "elevation": elevation}
    for name, v in given.items():
        lo, hi = LOCATION_RANGES[name]
        if v is not None and not (np.isfinite(v) and lo <= v <= hi):
            units = " m" if name == "elevation" else ""
            what = "is not a finite number; allowed" if not np.isfinite(v) else "is outside"
            return f"{source}: {name} = {number(v, grouped=False)}{units} {what} {span(lo, hi)}{units}"
    solar = longitude / 15.0
    if abs(utc_offset_h - solar) > MAX_UTC_OFFSET_FROM_LONGITUDE_H:
        return (
            f"{source}: utc_offset_h = {number(utc_offset_h, grouped=False)} h does not fit longitude {number(longitude, grouped=False)}° "
            f"(solar time is UTC{solar:+.1f} h; allowed within ±{number(MAX_UTC_OFFSET_FROM_LONGITUDE_H)} h): "
            "a sign or zone error?"
        )
    return None


def check_file_location(
    latitude: float, longitude: float, utc_offset_h: float, source: str, elevation: float | None = None
) -> None:
    """Raise :class:`WeatherError` for a weather file's location problem (:func:`check_location`);
    an offset problem names the ways to replace the file's offset."""
    problem = check_location(latitude, longitude, utc_offset_h, source, elevation)
    if problem and "utc_offset_h =" in problem:
        problem += " (to replace the file's offset: twin weather --utc-offset H, or utc_offset_h=H of weather.read)"
    if problem:
        raise WeatherError(problem)


RH_TOLERANCE = 3.0
"""RH up to 100 + this, %, is the hygrometer's tolerance near saturation (capacitive sensors:
±2–3 %, WMO-No. 8, 2018, ch. 4); above it an hour is flagged."""

STEP_LIMIT_K = 10.0
"""Largest credible change of dry bulb or dew point from one hour to the next, K (a step test as
in station quality control, e.g. Meek & Hatfield 1994, Agric. For. Meteorol. 69, 85; fronts and
föhn rarely exceed it)."""

DEW_POINT_TOLERANCE_K = 0.1
"""A dew point above the dry bulb by more than this, K, is flagged (files round both to 0.1 K)."""

BAD_RECORDS = ("repair", "refuse")
"""What reading does with flagged records (:func:`record_flags`): ``repair`` (default) reports
them and goes on with the repairs of :data:`REPAIRS` (dew point capped at the dry bulb, RH
clipped, negative irradiance set to 0; a jump is kept and reported); ``refuse`` raises
:class:`WeatherError` naming them."""

RECORD_CHECKS: dict[str, str] = {
    "dew_point_above_dry_bulb": f"dew point above the dry bulb by more than {number(DEW_POINT_TOLERANCE_K)} K",
    "rh_above_100": f"relative humidity above 100 + {number(RH_TOLERANCE)} %",
    "dry_bulb_jump": f"dry bulb changes more than {number(STEP_LIMIT_K)} K in an hour",
    "dew_point_jump": f"dew point changes more than {number(STEP_LIMIT_K)} K in an hour",
    "negative_irradiance": "GHI, DNI or DHI below 0",
}
"""Physically impossible or implausible records that reading flags (``meta['flags']``). DNI or
GHI above the extraterrestrial irradiance and values far outside :data:`VARIABLES` ranges are
refused outright (a unit or column error more likely than a bad hour)."""


@dataclass(frozen=True)
class RecordFlag:
    """One kind of bad record found in a file.

    Attributes
    ----------
    kind : str
        A :data:`RECORD_CHECKS` key.
    count : int
        Hours (or hour-to-hour steps) flagged.
    first : tuple of str
        Timestamps of the first three, ``YYYY-MM-DDTHH:MM``.
    worst : float
        The largest excess (K, % or W m-2 by kind).
    splice : bool
        A jump in the first three hours of a month of a typical year, where months of different
        years are joined: reported apart, never refused.
    """

    kind: str
    count: int
    first: tuple[str, ...]
    worst: float
    splice: bool = False

    def __str__(self) -> str:
        where = " at a month boundary (typical-year splice)" if self.splice else ""
        unit = {"rh_above_100": "%", "negative_irradiance": "W m-2"}.get(self.kind, "K")
        return (
            f"{RECORD_CHECKS[self.kind]}{where}: {self.count} h (first {', '.join(self.first)}; "
            f"worst {self.worst:.1f} {unit})"
        )


def record_flags(df: pd.DataFrame, typical_year: bool = True) -> list[RecordFlag]:
    """Flag physically impossible or implausible records of an hourly frame (before repairs).

    Parameters
    ----------
    df : pandas.DataFrame
        Standard-named columns (:data:`VARIABLES`), hourly index.
    typical_year : bool
        The record joins months of different years: jumps in the first three hours of a month
        are flagged as splices.

    Returns
    -------
    list of RecordFlag
        One per kind found (:data:`RECORD_CHECKS`), empty for a clean record.
    """
    stamps = np.asarray(df.index.to_numpy(), dtype="datetime64[m]")

    def flag(kind: str, mask: np.ndarray, excess: np.ndarray, splice: bool = False) -> list[RecordFlag]:
        idx = np.flatnonzero(mask)
        if not idx.size:
            return []
        first = tuple(str(stamps[i])[:16] for i in idx[:3])
        return [RecordFlag(kind, int(idx.size), first, float(np.nanmax(excess[idx])), splice)]

    out: list[RecordFlag] = []
    t = df["t_db"].to_numpy(dtype=float)
    if "t_dp" in df:
        over = df["t_dp"].to_numpy(dtype=float) - t
        out += flag("dew_point_above_dry_bulb", over > DEW_POINT_TOLERANCE_K + 1e-9, over)
    if "rh" in df:
        rh = df["rh"].to_numpy(dtype=float)
        out += flag("rh_above_100", rh > 100.0 + RH_TOLERANCE, rh - 100.0)
    hour_in_month = (stamps.astype("datetime64[h]") - stamps.astype("datetime64[M]")).astype(int)
    splice = (hour_in_month <= 2) if typical_year else np.zeros(t.size, dtype=bool)
    for kind, col in (("dry_bulb_jump", "t_db"), ("dew_point_jump", "t_dp")):
        if col not in df:
            continue
        step = np.zeros(t.size)
        step[1:] = np.abs(np.diff(df[col].to_numpy(dtype=float)))
        big = step > STEP_LIMIT_K
        out += flag(kind, big & ~splice, step) + flag(kind, big & splice, step, splice=True)
    irr = [c for c in ("ghi", "dni", "dhi") if c in df]
    if irr:
        lowest = np.nanmin(df[irr].to_numpy(dtype=float), axis=1)
        out += flag("negative_irradiance", lowest < 0.0, -lowest)
    return out


def apply_bad_records(meta: Mapping[str, Any], bad_records: str, source: str) -> None:
    """Carry out :data:`BAD_RECORDS` on what reading flagged (``meta['flags']``).

    ``repair`` does nothing more (the reader has repaired and said so); ``refuse`` raises
    :class:`WeatherError` naming every kind flagged (splices excepted), its count and first hours.
    """
    if bad_records not in BAD_RECORDS:
        raise WeatherError(f"bad_records = {bad_records!r}; allowed {', '.join(BAD_RECORDS)}")
    if bad_records == "repair":
        return
    bad = [f for f in meta.get("flags", []) if not f.splice]
    if bad:
        raise WeatherError(
            f"{source}: bad records ({len(bad)} kind{'s' if len(bad) > 1 else ''}): "
            + "; ".join(str(f) for f in bad)
            + " (read with bad_records='repair', --bad-records repair, to repair and go on)"
        )


def _repair_steps(repair: bool | Any) -> tuple[str, ...]:
    if repair is True:
        return tuple(REPAIRS)
    if repair is False or repair is None:
        return ()
    steps = tuple(repair)
    unknown = [s for s in steps if s not in REPAIRS]
    if unknown:
        raise WeatherError(f"repair step {unknown[0]!r} is unknown; steps are {', '.join(REPAIRS)}")
    return steps


def build_dataset(
    df: pd.DataFrame,
    meta: Mapping[str, Any],
    source: str,
    line_of_row: Any = None,
    repair: bool | Any = True,
) -> tuple[xr.Dataset, dict[str, Any]]:
    """Turn a frame of standard-named columns into the checked weather Dataset.

    Parameters
    ----------
    df : pandas.DataFrame
        Index: naive local standard time, interval start. Columns: any of
        :data:`VARIABLES` (NaN = missing). ``t_db`` and one of ``rh``/``t_dp`` are required;
        ``p_air`` defaults to the standard atmosphere at ``meta['elevation']``.
    meta : mapping
        At least ``latitude``, ``longitude``, ``elevation``, ``utc_offset_h``,
        ``wind_height_m``; copied into the returned metadata and the Dataset attrs.
    source : str
        File name for messages.
    line_of_row : callable, optional
        Row index → file line, for messages.
    repair : bool or sequence of str
        The :data:`REPAIRS` to apply (True: all, False: none).

    Returns
    -------
    (xarray.Dataset, dict)
        The Dataset and the metadata (with ``notes`` describing every repair made and
        ``flags``, the :class:`RecordFlag` list).

    Notes
    -----
    Reading checks (location, hourly axis, units by range, irradiance against the
    extraterrestrial value) and completes what the file lacks (pressure from elevation, the
    other one of RH and dew point, DNI/DHI from GHI); repairs are the separate, optional step
    :data:`REPAIRS`.
    """
    meta = dict(meta)
    notes: list[str] = list(meta.pop("notes", []))
    steps = _repair_steps(repair)
    check_file_location(meta["latitude"], meta["longitude"], meta["utc_offset_h"], source, meta["elevation"])
    _check_hourly(df.index, source, line_of_row)
    if "t_db" not in df:
        raise WeatherError(f"{source}: no dry-bulb temperature (t_db) column")
    if "rh" not in df and "t_dp" not in df:
        raise WeatherError(f"{source}: need relative humidity (rh) or dew point (t_dp)")
    df = df.astype(float)
    if "p_air" not in df:
        df["p_air"] = float(psy.pressure_from_elevation(meta["elevation"]))
        notes.append("p_air: not in the file; standard atmosphere at the site elevation")
    # Range checks before filling, so a wrong unit is caught, not interpolated around.
    for col in df.columns:
        lo, hi = VARIABLES[col][2]
        lo = -NEGATIVE_IRRADIANCE_LIMIT if col in ("ghi", "dni", "dhi") else lo
        v = df[col].to_numpy()
        bad = np.flatnonzero((v < lo - 1e-9) | (v > hi + (RH_SLACK if col == "rh" else 0.0)))
        if bad.size:
            i = int(bad[0])
            hint = (
                "the site's normals and [variability] table give an implausible year"
                if source.startswith("generated year")
                else "check the units or the column mapping"
            )
            raise WeatherError(
                f"{source}: {col} = {number(v[i], grouped=False)} {VARIABLES[col][0]} at {df.index[i]}{_at_line(line_of_row, i)} is outside "
                f"{span(lo, hi)}; {hint}"
            )
    _check_extraterrestrial(df, source, line_of_row)
    flags = record_flags(df, bool(meta.get("typical_year", True)))
    meta["flags"] = flags
    notes += [f"flagged: {f}" for f in flags]
    irr = [c for c in ("ghi", "dni", "dhi") if c in df]
    if irr:
        df[irr] = df[irr].clip(lower=0.0)
    return _finish(df, meta, notes, source, line_of_row, steps)


def _finish(
    df: pd.DataFrame, meta: dict[str, Any], notes: list[str], source: str, line_of_row: Any, steps: tuple[str, ...]
) -> tuple[xr.Dataset, dict[str, Any]]:
    """Repairs (``steps``) and completion of a checked frame, then the Dataset."""
    import xarray as xr

    if "gaps" in steps:
        df, gap_notes = fill_gaps(df, source, line_of_row)
        notes += gap_notes
    _humidity(df, notes, "humidity" in steps)
    if "ghi" in df:
        df = _complete_irradiance(df, meta, notes, steps)
    if "wind_speed" not in df:
        notes.append("wind_speed: not in the file")
    meta["notes"] = notes
    meta["repairs"] = list(steps)
    meta["n_hours"] = len(df)
    ds = xr.Dataset(
        {c: ("time", df[c].to_numpy(dtype=float)) for c in VARIABLES if c in df},
        coords={"time": df.index.to_numpy()},
    )
    for name in ds.data_vars:
        units, long_name, _ = VARIABLES[str(name)]
        ds[name].attrs = {"units": units, "long_name": long_name}
    if "wind_speed" in ds:
        ds["wind_speed"].attrs["height_m"] = float(meta["wind_height_m"])
    ds["time"].attrs = {"long_name": "local standard time, start of hourly interval"}
    # NetCDF attributes: strings and numbers only (booleans as 0/1).
    ds.attrs = {k: int(v) if isinstance(v, bool) else v for k, v in meta.items() if isinstance(v, str | int | float)}
    ds.attrs["notes"] = "; ".join(notes)
    ds.attrs["repairs"] = ", ".join(steps) or "none"
    return ds, meta


def repair(
    ds: xr.Dataset, meta: Mapping[str, Any], steps: bool | Any = True, source: str | None = None
) -> tuple[xr.Dataset, dict[str, Any]]:
    """Apply the :data:`REPAIRS` to weather read without them (``weather.read(..., repair=False)``).

    Parameters
    ----------
    ds : xarray.Dataset
        A weather Dataset in the standard form.
    meta : mapping
        Its metadata (location, ``typical_year``, ``format``, ``notes``).
    steps : bool or sequence of str
        Which repairs (True: all, in the order of :data:`REPAIRS`).
    source : str, optional
        Name for messages (default ``meta['source_file']``).

    Returns
    -------
    (xarray.Dataset, dict)
        The repaired Dataset and metadata; ``notes`` lists what each step changed.
    """
    import pandas as pd

    meta = dict(meta)
    notes = list(meta.pop("notes", []))
    df = ds[[v for v in VARIABLES if v in ds]].to_dataframe()
    df.index = pd.DatetimeIndex(df.index)
    return _finish(df, meta, notes, source or str(meta.get("source_file", "weather")), None, _repair_steps(steps))


def _humidity(df: pd.DataFrame, notes: list[str], repair: bool) -> None:
    """Complete the missing one of RH and dew point; with ``repair``, make the two consistent."""
    p = df["p_air"].to_numpy()
    t = df["t_db"].to_numpy()
    if not repair:
        if "t_dp" not in df:
            df["t_dp"] = psy.dew_point(t, df["rh"].to_numpy(), p)
        elif "rh" not in df:
            df["rh"] = psy.relative_humidity_from_dew_point(t, df["t_dp"].to_numpy(), p)
        return
    if "t_dp" in df and "rh" not in df:
        df["t_dp"] = np.minimum(df["t_dp"], t)
        df["rh"] = np.minimum(psy.relative_humidity_from_dew_point(t, df["t_dp"].to_numpy(), p), 100.0)
    elif "rh" in df:
        rh = np.clip(df["rh"].to_numpy(), 0.5, 100.0)
        df["rh"] = rh
        td_from_rh = psy.dew_point(t, rh, p)
        if "t_dp" not in df:
            df["t_dp"] = td_from_rh
        else:
            # Files often round RH and dew point independently; keep the dew point (the
            # conserved quantity) and make RH consistent with it, noting the size of the fix.
            td = np.minimum(df["t_dp"].to_numpy(), t)
            diff = np.abs(td - td_from_rh)
            df["t_dp"] = td
            df["rh"] = np.minimum(psy.relative_humidity_from_dew_point(t, td, p), 100.0)
            if np.nanmax(diff) > 1.0:
                notes.append(
                    f"rh recomputed from t_db and t_dp (file RH and dew point disagree by up to {np.nanmax(diff):.1f} K)"
                )


def _check_extraterrestrial(df: pd.DataFrame, source: str, line_of_row: Any) -> None:
    """No hourly GHI or DNI above the extraterrestrial normal irradiance of its day."""
    import pvlib

    cols = [c for c in ("ghi", "dni") if c in df]
    if not cols:
        return
    e0 = np.asarray(pvlib.irradiance.get_extra_radiation(df.index.day_of_year.to_numpy()), dtype=float)
    for col in cols:
        v = df[col].to_numpy()
        bad = np.flatnonzero(v > e0)
        if bad.size:
            i = int(bad[0])
            raise WeatherError(
                f"{source}: {col} = {number(v[i], grouped=False)} W m-2 at {df.index[i]}{_at_line(line_of_row, i)} is above the "
                f"extraterrestrial irradiance of that day ({e0[i]:.0f} W m-2); check the units or the column"
            )


# Closure of DNI·cos(z) + DHI against GHI above this relative error triggers a re-split.
CLOSURE_TOLERANCE = 0.05
# Irradiance is kept while the sun is less than this far below the horizon at mid-interval
# (half an hour of hour angle is 7.5°, so the sun is up during part of the hour).
NIGHT_ZENITH_DEG = 97.0
# An irradiance series whose best alignment with the sun is this many minutes or more away
# from its stamps is moved by whole hours to match (CSWD files: Guiyang and Yinchuan -60 min).
LAG_SHIFT_MINUTES = 45


def irradiance_lag_minutes(
    ghi: np.ndarray, time: pd.DatetimeIndex, latitude: float, longitude: float, utc_offset_h: float
) -> int:
    """Time lag of an irradiance series against solar geometry, minutes (multiple of 15).

    Parameters
    ----------
    ghi : numpy.ndarray
        Hourly GHI, W/m², on ``time`` (interval starts, local standard time).
    time : pandas.DatetimeIndex
        The stamps.
    latitude, longitude, utc_offset_h : float
        Site.

    Returns
    -------
    int
        The shift ``s`` in −120 … 120 min that maximises the correlation of GHI with
        ``max(cos z, 0)`` evaluated at mid-interval + ``s``. About 0 for a well-stamped file;
        −60 means each value belongs to the hour before its stamp.

    Notes
    -----
    Uses the fast analytical solar geometry of pvlib (Spencer 1971 declination and equation
    of time), which is ample for a lag to the nearest 15 minutes.
    """
    import pvlib

    doy = time.day_of_year.to_numpy()
    decl = pvlib.solarposition.declination_spencer71(doy)
    eot = pvlib.solarposition.equation_of_time_spencer71(doy)
    lat = np.radians(latitude)
    base = time.hour.to_numpy() + 0.5
    best, best_r = 0, -np.inf
    for s in range(-120, 121, 15):
        solar_time = base + s / 60.0 + (longitude - 15.0 * utc_offset_h) / 15.0 + eot / 60.0
        ha = np.radians(15.0 * (solar_time - 12.0))
        cosz = np.sin(lat) * np.sin(decl) + np.cos(lat) * np.cos(decl) * np.cos(ha)
        r = np.corrcoef(ghi, np.clip(cosz, 0.0, None))[0, 1]
        if r > best_r + 1e-9 or (abs(r - best_r) <= 1e-9 and abs(s) < abs(best)):
            best, best_r = s, r
    return best


def _dni_clear_bound(zenith: np.ndarray, doy: np.ndarray, elevation: float) -> np.ndarray:
    """Upper bound on hourly DNI, W/m²: 1.1 × the Meinel clear-sky beam with Laue's altitude term.

    ``DNI = E0 [(1 − 0.14 h) 0.7^(AM^0.678) + 0.14 h]`` with ``h`` the elevation in km and AM
    the Kasten–Young relative air mass (Meinel & Meinel 1976; Laue 1970). The 10 % margin
    covers very clear days.
    """
    import pvlib

    am = np.nan_to_num(
        np.asarray(pvlib.atmosphere.get_relative_airmass(np.minimum(zenith, 89.9)), dtype=float), nan=40.0
    )
    e0 = np.asarray(pvlib.irradiance.get_extra_radiation(doy), dtype=float)
    h = max(elevation, 0.0) / 1000.0
    return 1.1 * e0 * ((1.0 - 0.14 * h) * 0.7 ** (am**0.678) + 0.14 * h)


def _complete_irradiance(
    df: pd.DataFrame, meta: dict[str, Any], notes: list[str], steps: tuple[str, ...] = tuple(REPAIRS)
) -> pd.DataFrame:
    """Check DNI/DHI against GHI; re-split GHI with the Erbs model where they do not close.

    Notes
    -----
    A typical-year file's irradiance is first checked for a time lag against the sun
    (:func:`irradiance_lag_minutes`) and moved by whole hours when it is 45 min or more off.
    The closure error is ``Σ|DNI cos z + DHI − GHI| / Σ GHI`` over hours with the sun above
    the horizon. Above 5 % (CSWD files show 8–16 %) the components are
    replaced by the Erbs et al. (1982) decomposition of GHI (pvlib.irradiance.erbs), and the
    metadata says so. Irradiance is zeroed when the sun is more than 7° below the horizon at
    mid-interval (it is up for no part of the hour).
    """
    import pvlib

    if "irradiance_timing" in steps and meta.get("typical_year") and meta.get("format") != "generated":
        lag = irradiance_lag_minutes(
            df["ghi"].to_numpy(), df.index, meta["latitude"], meta["longitude"], meta["utc_offset_h"]
        )
        meta["irradiance_lag_min"] = lag
        if abs(lag) >= LAG_SHIFT_MINUTES:
            hours = round(lag / 60.0)
            for col in ("ghi", "dni", "dhi"):
                if col in df:
                    df[col] = np.roll(df[col].to_numpy(), hours)
            notes.append(
                f"irradiance: best aligned with the sun {lag:+d} min from its stamps; moved {hours:+d} h "
                "(wrapping round the typical year)"
            )
    sp = solar_position(df.index, meta["latitude"], meta["longitude"], meta["utc_offset_h"])
    zen = sp["zenith"].to_numpy()
    cosz = np.cos(np.radians(zen))
    day = zen < NIGHT_ZENITH_DEG if "irradiance_night" in steps else np.ones(zen.shape, dtype=bool)
    ghi = np.where(day, df["ghi"].to_numpy(), 0.0)
    lost = float(df["ghi"].to_numpy().sum() - ghi.sum())
    if lost > 0.001 * max(float(ghi.sum()), 1.0):
        notes.append(
            f"ghi: {100 * lost / float(df['ghi'].sum()):.1f} % of the annual total fell in night hours and was dropped"
        )
    df["ghi"] = ghi
    split = False
    if "dni" in df and "dhi" in df:
        comp = df["dni"].to_numpy() * np.clip(cosz, 0, None) + df["dhi"].to_numpy()
        day = zen < 90.0
        total = ghi[day].sum()
        err = float(np.abs(comp - ghi)[day].sum() / total) if total > 0 else 0.0
        meta["irradiance_closure_error"] = round(err, 4)
        if err > CLOSURE_TOLERANCE and "irradiance_split" in steps:
            split = True
            notes.append(
                f"dni/dhi: DNI·cos(z)+DHI does not close against GHI ({100 * err:.1f} % > "
                f"{100 * CLOSURE_TOLERANCE:.0f} %); re-split GHI with the Erbs decomposition"
            )
    else:
        split = True
        notes.append("dni/dhi: not in the file; split from GHI with the Erbs decomposition")
    if split:
        doy = df.index.day_of_year.to_numpy()
        parts = pvlib.irradiance.erbs(ghi, zen, doy)
        # Erbs gives DNI = 0 and DHI = GHI with the sun below the horizon (twilight hours).
        dni = np.nan_to_num(np.asarray(parts["dni"], dtype=float))
        # Near the horizon a file's GHI stamped a little late divides by a tiny cos z; no beam
        # exceeds the clear-sky beam (Meinel & Meinel 1976 with Laue's 1970 altitude term),
        # so DNI is capped there and the diffuse part takes the rest, keeping the closure.
        dni = np.minimum(dni, _dni_clear_bound(zen, doy, meta["elevation"]))
        df["dni"] = dni
        df["dhi"] = ghi - dni * np.clip(cosz, 0.0, None)
        meta["irradiance_resplit"] = "erbs"
    else:
        meta["irradiance_resplit"] = "none"
    return df
