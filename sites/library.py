"""The site library: one TOML file per site, a validated schema and a loader.

A site file holds where the site is, its monthly climate normals, its electricity tariff,
grid CO2 factor, policy PUE limit and the facts that published sources report about
facilities there. Every number sits in a table that has a ``source`` string; a number that
no source gives says ``assumption`` in that string, so a reader always knows which is which.

The schema (``schema = 1``) is documented in the README ("Site files"); :func:`parse_site`
checks it and raises :class:`SiteError` naming the file, the field, the value and what is
allowed.
"""

from __future__ import annotations

import functools
import math
import os
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from weather.dataset import (
    DIP_SLOPE_BOUND,
    ELEVATION_RANGE_M,
    PEAK_HOUR_SD_BOUND,
    VARIABILITY_RANGES,
    check_location,
    extremes_problem,
    lag_pair_problem,
    wind_lags_problem,
)
from weather.files import input_dir, input_dirs
from weather.fmt import Explained, given, nearest, number, read_float, span

__all__ = [
    "SITE_PATH_ENV",
    "Grid",
    "Location",
    "Normals",
    "Policy",
    "Reported",
    "Site",
    "SiteError",
    "Tariff",
    "WindResource",
    "available",
    "load",
    "parse_site",
    "site_files",
]

SITE_PATH_ENV = "TWIN_SITE_PATH"
"""Environment variable: extra directories of site TOML files, separated by ``os.pathsep``."""

BUILTIN_DIR = Path(__file__).with_name("data")


class SiteError(Explained, ValueError):
    """A site file or a site name is not valid; the message names the file and field (its parts:
    :class:`~weather.fmt.Explained`)."""


@dataclass(frozen=True)
class Location:
    """Where the site is. Angles in degrees (east and north positive), elevation in m."""

    latitude_deg: float
    longitude_deg: float
    elevation_m: float
    utc_offset_h: float
    station: str
    wmo: str
    source: str


@dataclass(frozen=True)
class Normals:
    """Twelve monthly climate normals (January first).

    ``t_*`` in °C (monthly mean, mean of daily maxima, mean of daily minima, mean dew point),
    ``rh_mean_pct`` in %, ``wind10m_mean_ms`` in m/s at 10 m, ``ghi_kwh_m2`` monthly global
    horizontal irradiation in kWh/m². Optional ``rh_min_daily_mean_pct``: mean of the daily
    minimum relative humidity, % (a standard element of national normals, e.g. CMA's monthly
    surface normals; the afternoon humidity), which sets how far the dew point falls in the hot
    hours (:func:`weather.generator.typical_year`).
    """

    t_mean_c: tuple[float, ...]
    t_max_daily_mean_c: tuple[float, ...]
    t_min_daily_mean_c: tuple[float, ...]
    rh_mean_pct: tuple[float, ...]
    t_dew_mean_c: tuple[float, ...]
    wind10m_mean_ms: tuple[float, ...]
    ghi_kwh_m2: tuple[float, ...]
    source: str
    rh_min_daily_mean_pct: tuple[float, ...] | None = None

    @property
    def annual_mean_temperature_c(self) -> float:
        """Day-weighted annual mean dry bulb, °C (non-leap year)."""
        days = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
        return sum(t * d for t, d in zip(self.t_mean_c, days, strict=True)) / 365.0


TOU_PERIODS = ("valley", "flat", "peak", "sharp")
"""Names a time-of-use hour may have (``tariff.tou_hours``)."""


@dataclass(frozen=True)
class Tariff:
    """Electricity price paid by a large data centre, CNY/kWh (flat, before any subsidy).

    Optional, each with its ``*_source``: ``tou_hours`` (24 period names, hour 0 first, from
    :data:`TOU_PERIODS`) and ``tou_factors`` (price of each period / flat price) for a
    time-of-use tariff; ``demand_charge_cny_per_kw_month`` (two-part tariff: charge on each
    month's peak import); ``green_subsidy_pct`` (share of the cost of green-powered load the
    site refunds, e.g. Karamay's 15 %).
    """

    price_cny_per_kwh: float
    source: str
    tou_hours: tuple[str, ...] | None = None
    tou_factors: Mapping[str, float] | None = None
    tou_source: str = ""
    demand_charge_cny_per_kw_month: float = 0.0
    demand_charge_source: str = ""
    green_subsidy_pct: float = 0.0
    green_subsidy_source: str = ""


@dataclass(frozen=True)
class Grid:
    """Grid emission factor of the site's province or grid region, kgCO2/kWh."""

    co2_kg_per_kwh: float
    region: str
    source: str
    clean_share: tuple[float, ...] | None = None
    """Carbon-free share of the grid's electricity, 12 monthly values (January first); None: unknown (0 is used)."""
    clean_share_source: str = ""


@dataclass(frozen=True)
class WindResource:
    """Hub-height wind resource of the site: annual mean speed (m/s) at ``height_m``, Weibull shape."""

    mean_speed_ms: float
    height_m: float
    weibull_k: float | None
    source: str


@dataclass(frozen=True)
class Policy:
    """The PUE limit that applies to a new large data centre at the site (None: no limit)."""

    pue_limit: float | None
    basis: str
    source: str


@dataclass(frozen=True)
class Reported:
    """A figure that a published source reports for a facility at the site."""

    metric: str
    value: float
    unit: str
    what: str
    source: str


@dataclass(frozen=True)
class Site:
    """One site of the library; see the README section "Site files" for the schema."""

    key: str
    name: str
    name_zh: str
    region: str
    country: str
    location: Location
    normals: Normals
    tariff: Tariff
    grid: Grid
    policy: Policy
    reported: tuple[Reported, ...] = ()
    wind: WindResource | None = None
    aliases: tuple[str, ...] = ()
    variability: Mapping[str, Any] | None = None
    """Day-to-day weather statistics derived from the site's hourly record (read-only mapping
    with the fields of :class:`weather.generator.Variability`); None: generator default."""
    path: str = field(default="", compare=False)

    def reported_value(self, metric: str) -> float | None:
        """The first reported value of ``metric`` (e.g. ``"pue"``), or None."""
        for r in self.reported:
            if r.metric == metric:
                return r.value
        return None


# ---------------------------------------------------------------------------------------------
# schema: field -> (type, (lo, hi) or None, required)
_MONTHLY_RANGES = {
    "t_mean_c": (-60.0, 50.0),
    "t_max_daily_mean_c": (-60.0, 60.0),
    "t_min_daily_mean_c": (-70.0, 50.0),
    "rh_mean_pct": (0.0, 100.0),
    "t_dew_mean_c": (-70.0, 35.0),
    "wind10m_mean_ms": (0.0, 40.0),
    "ghi_kwh_m2": (0.0, 400.0),
}
_VARIABILITY: dict[str, tuple[type, tuple[float, float] | None, bool]] = {
    "t_daily_sd_c": (list, VARIABILITY_RANGES["t_daily_sd_c"], True),
    "t_dew_daily_sd_c": (list, VARIABILITY_RANGES["t_dew_daily_sd_c"], True),
    "t_daily_lag1": (float, VARIABILITY_RANGES["t_daily_lag1"], True),
    "t_dew_daily_lag1": (float, VARIABILITY_RANGES["t_dew_daily_lag1"], True),
    "t_dew_corr": (list, VARIABILITY_RANGES["t_dew_corr"], True),
    "t_dew_hourly_sd_c": (float, VARIABILITY_RANGES["t_dew_hourly_sd_c"], True),
    "t_dew_skew": (list, VARIABILITY_RANGES["t_dew_skew"], True),
    "t_daily_lag2": (float, VARIABILITY_RANGES["t_daily_lag2"], False),
    "t_dew_daily_lag2": (float, VARIABILITY_RANGES["t_dew_daily_lag2"], False),
    "t_dew_hot_c": (list, VARIABILITY_RANGES["t_dew_hot_c"], False),
    "t_peak_hours": (list, VARIABILITY_RANGES["t_peak_hours"], False),
    "t_dew_dip_slope": (list, VARIABILITY_RANGES["t_dew_dip_slope"], False),
    "t_peak_hour_sd_h": (list, VARIABILITY_RANGES["t_peak_hour_sd_h"], False),
    "t_dew_depression_p10": (list, VARIABILITY_RANGES["t_dew_depression_p10"], False),
    "t_dew_depression_p05": (list, VARIABILITY_RANGES["t_dew_depression_p05"], False),
    "t_dew_depression_step_sd_c": (float, VARIABILITY_RANGES["t_dew_depression_step_sd_c"], False),
    "wind_hourly_lag1": (float, VARIABILITY_RANGES["wind_hourly_lag1"], False),
    "wind_hourly_lag2": (float, VARIABILITY_RANGES["wind_hourly_lag2"], False),
    "t_dew_hourly_lag1": (float, VARIABILITY_RANGES["t_dew_hourly_lag1"], False),
    "t_dew_hot_slope": (float, VARIABILITY_RANGES["t_dew_hot_slope"], False),
    "t_max_daily_sd_c": (list, VARIABILITY_RANGES["t_max_daily_sd_c"], False),
    "t_min_daily_sd_c": (list, VARIABILITY_RANGES["t_min_daily_sd_c"], False),
    "t_max_min_corr": (list, VARIABILITY_RANGES["t_max_min_corr"], False),
    "t_max_skew": (list, VARIABILITY_RANGES["t_max_skew"], False),
    "t_min_skew": (list, VARIABILITY_RANGES["t_min_skew"], False),
    "t_max_kurtosis": (float, VARIABILITY_RANGES["t_max_kurtosis"], False),
    "t_min_kurtosis": (float, VARIABILITY_RANGES["t_min_kurtosis"], False),
    "source": (str, None, True),
}
_TOP = {"schema", "key", "name", "name_zh", "region", "country", "aliases"}
_TABLES: dict[str, dict[str, tuple[type, Any, bool]]] = {
    "location": {
        "latitude_deg": (float, (-90.0, 90.0), True),
        "longitude_deg": (float, (-180.0, 180.0), True),
        "elevation_m": (float, ELEVATION_RANGE_M, True),
        "utc_offset_h": (float, (-12.0, 14.0), True),
        "station": (str, None, False),
        "wmo": (str, None, False),
        "source": (str, None, True),
    },
    "normals": {
        **{k: (list, r, True) for k, r in _MONTHLY_RANGES.items()},
        "rh_min_daily_mean_pct": (list, (0.0, 100.0), False),
        "source": (str, None, True),
    },
    "tariff": {
        "price_cny_per_kwh": (float, (0.0, 10.0), True),
        "source": (str, None, True),
        "tou_hours": (tuple, (24, TOU_PERIODS), False),
        "tou_factors": (dict, (0.0, 10.0), False),
        "tou_source": (str, None, False),
        "demand_charge_cny_per_kw_month": (float, (0.0, 500.0), False),
        "demand_charge_source": (str, None, False),
        "green_subsidy_pct": (float, (0.0, 100.0), False),
        "green_subsidy_source": (str, None, False),
    },
    "grid": {
        "co2_kg_per_kwh": (float, (0.0, 2.0), True),
        "region": (str, None, True),
        "source": (str, None, True),
        "clean_share": (list, (0.0, 1.0), False),
        "clean_share_source": (str, None, False),
    },
    "policy": {
        "pue_limit": (float, (1.0, 3.0), False),
        "basis": (str, None, True),
        "source": (str, None, True),
    },
}
_WIND = {
    "mean_speed_ms": (float, (0.0, 30.0), True),
    "height_m": (float, (10.0, 300.0), True),
    "weibull_k": (float, (1.0, 5.0), False),
    "source": (str, None, True),
}
_REPORTED = {
    "metric": (str, None, True),
    "value": (float, None, True),
    "unit": (str, None, True),
    "what": (str, None, True),
    "source": (str, None, True),
}


def normalize_name(name: str) -> str:
    """Canonical form of a site name: lower case, spaces and hyphens to ``_``, other marks dropped.

    ``"Gui'an"`` → ``"guian"``, ``"US Dulles"`` → ``"us_dulles"``.
    """
    return re.sub(r"[^0-9a-z_]", "", re.sub(r"[\s\-]+", "_", name.strip().lower()))


def _local_form(name: str) -> str:
    """:func:`normalize_name` keeping letters of any script (a name in Chinese)."""
    return re.sub(r"[^\w]", "", re.sub(r"[\s\-]+", "_", name.strip().lower()))


def _zh_parts(name_zh: str) -> list[str]:
    """A Chinese name and its parts outside and inside brackets: 银川（闽宁） → 银川（闽宁）, 银川, 闽宁."""
    return [name_zh, *(part for part in re.split(r"[（）()]", name_zh) if part.strip())]


def _check_table(path: str, where: str, table: Any, spec: Mapping[str, tuple[type, Any, bool]]) -> dict[str, Any]:
    if not isinstance(table, dict):
        raise SiteError(f"{path}: [{where}] must be a table, got {type(table).__name__}")
    unknown = sorted(set(table) - set(spec))
    if unknown:
        near = nearest(unknown[0], list(spec))
        hint = f" (did you mean {where}.{near}?)" if near else ""
        raise SiteError(f"{path}: unknown field {where}.{unknown[0]}{hint}; allowed fields are {', '.join(spec)}")
    out: dict[str, Any] = {}
    for key, (typ, rng, required) in spec.items():
        name = f"{where}.{key}"
        if key not in table:
            if required:
                raise SiteError(f"{path}: missing field {name}")
            out[key] = None
            continue
        value = table[key]
        if typ is str:
            if not isinstance(value, str) or (key == "source" and not value.strip()):
                raise SiteError(f"{path}: {name} must be a non-empty string, got {given(value)}")
            out[key] = value
        elif typ is float:
            out[key] = _number(path, name, value, rng)
        elif typ is list:
            if not isinstance(value, list) or len(value) != 12:
                n = len(value) if isinstance(value, list) else type(value).__name__
                raise SiteError(f"{path}: {name} must be a list of 12 monthly values, got {n}")
            out[key] = tuple(_number(path, f"{name}[{i + 1}]", v, rng) for i, v in enumerate(value))
        elif typ is tuple:  # a fixed-length list of names: rng = (length, allowed names)
            n, names = rng
            if not isinstance(value, list) or len(value) != n or not all(v in names for v in value):
                raise SiteError(
                    f"{path}: {name} must be a list of {n} names from {', '.join(names)}, got {given(value)}"
                )
            out[key] = tuple(value)
        elif typ is dict:  # a table of numbers
            if not isinstance(value, dict):
                raise SiteError(f"{path}: {name} must be a table of numbers, got {given(value)}")
            out[key] = MappingProxyType({k: _number(path, f"{name}.{k}", v, rng) for k, v in value.items()})
    return out


def _number(path: str, name: str, value: Any, rng: tuple[float, float] | None) -> float:
    allowed = f"; allowed {span(*rng)}" if rng is not None else ""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SiteError(f"{path}: {name} must be a number, got {given(value)}{allowed}")
    v = float(value)
    if not math.isfinite(v):
        raise SiteError(f"{path}: {name} must be finite, got {value!r}{allowed}")
    if rng is not None and not rng[0] <= v <= rng[1]:
        raise SiteError(f"{path}: {name} = {number(v, grouped=False)} is out of range{allowed}")
    return v


def parse_site(data: Mapping[str, Any], path: str = "<site>") -> Site:
    """Validate the contents of one site TOML file and build a :class:`Site`.

    Parameters
    ----------
    data : mapping
        The parsed TOML document.
    path : str
        File name used in error messages.

    Raises
    ------
    SiteError
        Unknown or missing fields, wrong types, values out of range, or monthly normals that
        contradict each other (daily minimum above mean, dew point above mean, ...).
    """
    allowed = _TOP | set(_TABLES) | {"reported", "variability", "wind"}
    unknown = sorted(set(data) - allowed)
    if unknown:
        near = nearest(unknown[0], sorted(allowed))
        hint = f" (did you mean {near}?)" if near else ""
        raise SiteError(
            f"{path}: unknown field {unknown[0]}{hint}; allowed top-level fields are {', '.join(sorted(allowed))}"
        )
    if "schema" not in data:
        raise SiteError(f"{path}: no schema field; this version reads schema = 1")
    if data.get("schema") != 1:
        raise SiteError(f"{path}: schema = {data.get('schema')!r}; this version reads schema = 1")
    for key in ("key", "name", "name_zh", "region", "country"):
        if key not in data:
            raise SiteError(f"{path}: missing field {key} (a non-empty string)")
        if not isinstance(data[key], str) or not data[key].strip():
            raise SiteError(f"{path}: {key} must be a non-empty string, got {data[key]!r}")
    key = data["key"]
    if normalize_name(key) != key:
        raise SiteError(f"{path}: key = {key!r} must be lower-case letters, digits and _ only")
    aliases = data.get("aliases", [])
    if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
        raise SiteError(f"{path}: aliases must be a list of strings, got {given(aliases)}")
    tables = {}
    for name, spec in _TABLES.items():
        if name not in data:
            raise SiteError(f"{path}: missing table [{name}]")
        tables[name] = _check_table(path, name, data[name], spec)
    loc = tables["location"]
    problem = check_location(loc["latitude_deg"], loc["longitude_deg"], loc["utc_offset_h"], f"{path}: location")
    if problem:
        raise SiteError(problem)
    n = tables["normals"]
    for m in range(12):
        lo, mid, hi = n["t_min_daily_mean_c"][m], n["t_mean_c"][m], n["t_max_daily_mean_c"][m]
        if not lo <= mid <= hi:
            raise SiteError(
                f"{path}: normals for month {m + 1}: need t_min_daily_mean_c ≤ t_mean_c ≤ "
                f"t_max_daily_mean_c, got {number(lo, grouped=False)}, {number(mid, grouped=False)}, {number(hi, grouped=False)}"
            )
        if n["t_dew_mean_c"][m] > mid:
            raise SiteError(
                f"{path}: normals.t_dew_mean_c[{m + 1}] = {number(n['t_dew_mean_c'][m], grouped=False)} is above "
                f"t_mean_c = {number(mid, grouped=False)}; the mean dew point cannot exceed the mean dry bulb"
            )
        rh_min = n["rh_min_daily_mean_pct"]
        if rh_min is not None and rh_min[m] > n["rh_mean_pct"][m]:
            raise SiteError(
                f"{path}: normals.rh_min_daily_mean_pct[{m + 1}] = {number(rh_min[m], grouped=False)} is above "
                f"rh_mean_pct = {number(n['rh_mean_pct'][m], grouped=False)}; the mean daily minimum cannot exceed the mean"
            )
    reported = data.get("reported", [])
    if not isinstance(reported, list):
        raise SiteError(f"{path}: reported must be an array of tables ([[reported]])")
    rep = tuple(Reported(**_check_table(path, f"reported[{i + 1}]", r, _REPORTED)) for i, r in enumerate(reported))
    tariff = {k: v for k, v in tables["tariff"].items() if v is not None}
    hours = tariff.get("tou_hours")
    if hours is not None:
        missing = sorted(set(hours) - set(tariff.get("tou_factors") or {}))
        if missing:
            raise SiteError(
                f"{path}: tariff.tou_factors has no factor for period {missing[0]!r} used in tariff.tou_hours"
            )
    grid = {k: v for k, v in tables["grid"].items() if v is not None}
    wind = WindResource(**_check_table(path, "wind", data["wind"], _WIND)) if "wind" in data else None
    variability = None
    if "variability" in data:
        variability = MappingProxyType(_check_table(path, "variability", data["variability"], _VARIABILITY))
        problem = lag_pair_problem(variability) or extremes_problem(variability) or wind_lags_problem(variability)
        if problem:
            raise SiteError(f"{path}: {problem}")
        _check_wind_lags(path, variability)
    loc["station"] = loc["station"] or ""
    loc["wmo"] = loc["wmo"] or ""
    return Site(
        key=key,
        name=data["name"],
        name_zh=data["name_zh"],
        region=data["region"],
        country=data["country"],
        location=Location(**loc),
        normals=Normals(**n),
        tariff=Tariff(**tariff),
        grid=Grid(**grid),
        policy=Policy(**tables["policy"]),
        reported=rep,
        wind=wind,
        aliases=tuple(normalize_name(a) for a in aliases),
        variability=variability,
        path=path,
    )


def _check_wind_lags(path: str, variability: Mapping[str, Any]) -> None:
    """Refuse a ``wind_hourly_lag1``/``wind_hourly_lag2`` pair that no hourly process has about its
    daily means: the generator's own test (:func:`weather.generator.hourly_ar2_for_residual`), at
    read time, so the error names the file and the lag-2 values allowed beside the lag-1."""
    lag1, lag2 = variability.get("wind_hourly_lag1"), variability.get("wind_hourly_lag2")
    if lag1 is None or lag2 is None:
        return
    from weather.dataset import WeatherError
    from weather.generator import hourly_ar2_for_residual

    try:
        hourly_ar2_for_residual(lag1, lag2)
    except WeatherError:
        lo_hi = wind_lag2_range(lag1)
        allowed = (
            f"allowed with wind_hourly_lag1 = {number(lag1, grouped=False)}: wind_hourly_lag2 "
            f"{number(lo_hi[0], grouped=False)} … {number(lo_hi[1], grouped=False)}"
            if lo_hi
            else f"no hourly process has wind_hourly_lag1 = {number(lag1, grouped=False)} about its daily means"
        )
        raise SiteError(
            f"{path}: variability.wind_hourly_lag1 = {number(lag1, grouped=False)} with variability.wind_hourly_lag2 "
            f"= {number(lag2, grouped=False)}: no stationary hourly process has these autocorrelations about its "
            f"daily means; {allowed} (or leave both out: the default hourly AR(1))"
        ) from None


def wind_lag2_range(lag1: float) -> tuple[float, float] | None:
    """The least and greatest ``wind_hourly_lag2`` that the generator takes beside ``wind_hourly_lag1
    = lag1`` (:func:`weather.generator.hourly_ar2_for_residual`), on a 0.01 grid of the schema's
    range, or None when it takes none (about a second: for messages)."""
    import numpy as np

    from weather.dataset import WeatherError
    from weather.generator import hourly_ar2_for_residual

    lo, hi = VARIABILITY_RANGES["wind_hourly_lag2"]
    taken = []
    for lag2 in np.round(np.arange(lo, hi + 1e-9, 0.01), 2):
        try:
            hourly_ar2_for_residual(lag1, float(lag2))
        except WeatherError:
            continue
        taken.append(float(lag2))
    return (min(taken), max(taken)) if taken else None


_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def _warn_generator_bounds(path: str, variability: Mapping[str, Any]) -> None:
    """Warn when ``t_dew_dip_slope`` or ``t_peak_hour_sd_h`` passes the generator's bound
    (:data:`weather.dataset.DIP_SLOPE_BOUND`, :data:`weather.dataset.PEAK_HOUR_SD_BOUND`): a
    record may measure it, a generated year stops there. The message names the file and the
    month of the largest value. Said by :func:`load` of a user's site file, on every load (the
    file is read once while unchanged; ``twin`` says each warning once per command); the
    built-in files' values beyond the bounds are in the README (Karamay's December
    ``t_peak_hour_sd_h``, 4.45 h), not said on every command that loads them."""
    import warnings

    from weather.dataset import WeatherWarning

    slope = variability.get("t_dew_dip_slope")
    if slope is not None and max(abs(x) for x in slope) > DIP_SLOPE_BOUND:
        worst = max(slope, key=abs)
        warnings.warn(
            f"{path}: variability.t_dew_dip_slope up to {number(worst, grouped=False)} K per SD: a generated year "
            f"changes the afternoon dip by at most {number(DIP_SLOPE_BOUND)} K per SD each way "
            "(weather.dataset.DIP_SLOPE_BOUND), so the months beyond it get a smaller slope",
            WeatherWarning,
            stacklevel=4,
        )
    spread = variability.get("t_peak_hour_sd_h")
    if spread is not None and max(spread) > PEAK_HOUR_SD_BOUND:
        month = max(range(len(spread)), key=lambda i: spread[i])
        warnings.warn(
            f"{path}: variability.t_peak_hour_sd_h up to {number(spread[month], grouped=False)} h "
            f"({_MONTHS[month]}): a generated year spreads the hour of the daily maximum by at most "
            f"{number(PEAK_HOUR_SD_BOUND)} h (weather.dataset.PEAK_HOUR_SD_BOUND), so the months beyond it get that",
            WeatherWarning,
            stacklevel=4,
        )


def _dirs(extra_dirs: Iterable[str | os.PathLike[str]] | None) -> list[Path]:
    """Search order: directories given by the caller, then $TWIN_SITE_PATH, then built-ins."""
    dirs = [input_dir(d, "site directory", SiteError) for d in (extra_dirs or [])]
    text = os.environ.get(SITE_PATH_ENV, "").strip()
    try:
        dirs += input_dirs(text, "site directory", SiteError)
    except SiteError as exc:  # the message of twin.core.environment, which reads it for the twin
        raise SiteError(
            f"{SITE_PATH_ENV} = {text!r}: {exc}; allowed: existing folders separated by {os.pathsep!r} "
            "(unset or empty: none)"
        ) from None
    return [*dirs, BUILTIN_DIR]


def read_site_file(path: str | os.PathLike[str]) -> Site:
    """Read and validate one site TOML file (cached while the file is unchanged)."""
    p = Path(path)
    try:
        stamp = p.stat().st_mtime_ns
    except OSError:
        stamp = -1
    return _read_site_file_cached(str(p), stamp)


@functools.lru_cache(maxsize=256)
def _read_site_file_cached(path: str, mtime_ns: int) -> Site:
    p = Path(path)
    try:
        data = tomllib.loads(p.read_bytes().decode("utf-8-sig"), parse_float=read_float)  # a BOM, as scenarios
    except OSError as exc:
        raise SiteError(f"{p}: cannot read site file ({exc.strerror})") from None
    except tomllib.TOMLDecodeError as exc:
        raise SiteError(f"{p}: not valid TOML: {exc}") from None
    except UnicodeDecodeError as exc:
        raise SiteError(f"{p}: not UTF-8 text (byte {exc.start}); save the site file as UTF-8") from None
    if not data:
        raise SiteError(f"{p}: the site file holds no fields (it is empty or comments only); it starts with schema = 1")
    site = parse_site(data, str(p))
    if p.stem != site.key:
        raise SiteError(f"{p}: key = {site.key!r} must match the file name {p.stem!r}")
    return site


def site_files(extra_dirs: Iterable[str | os.PathLike[str]] | None = None) -> dict[str, Path]:
    """Map each site key to the file that defines it; earlier directories win."""
    found: dict[str, Path] = {}
    for d in _dirs(extra_dirs):
        for f in sorted(d.glob("*.toml")):
            found.setdefault(f.stem, f)
    return found


def available(extra_dirs: Iterable[str | os.PathLike[str]] | None = None) -> list[str]:
    """Sorted keys of all sites: built-in, ``$TWIN_SITE_PATH`` and ``extra_dirs``."""
    return sorted(site_files(extra_dirs))


def load(name: str, extra_dirs: Iterable[str | os.PathLike[str]] | None = None) -> Site:
    """Load a site by key, name or alias ("karamay", "Gui'an", "minning", ...).

    Parameters
    ----------
    name : str
        Site key, name, alias or Chinese name (``name_zh`` or a part of it in brackets or
        before them, alone or after the name as ``twin sites`` shows it); case, spaces and punctuation are ignored.
    extra_dirs : iterable of path, optional
        Directories with user site files, searched before ``$TWIN_SITE_PATH`` and the
        built-in library (a user file with a built-in key overrides the built-in site).

    Raises
    ------
    SiteError
        Unknown site (the message lists the known ones), a name or alias of more than one
        site (a key is never ambiguous: the first directory's file wins), or an invalid site file.
    """
    files = site_files(extra_dirs)
    want = normalize_name(name)
    site: Site | None
    if want in files:
        site = read_site_file(files[want])
    else:
        local = _local_form(name)  # 银川, "Karamay 克拉玛依" (as `twin sites` shows it)
        named = [
            s
            for s in map(read_site_file, files.values())
            if want in (*s.aliases, normalize_name(s.name))
            or local in (_local_form(f"{s.name} {s.name_zh}"), *map(_local_form, _zh_parts(s.name_zh)))
        ]
        if len(named) > 1:  # a user's site named as a built-in one's alias: which is meant is not ours to guess
            which = ", ".join(f"{s.key} ({s.path})" for s in named)
            raise SiteError(f"site {given(name)} is the name or alias of {len(named)} sites: {which}; give its key")
        site = named[0] if named else None
    if site is None:
        raise SiteError(f"unknown site {given(name)}; known sites: {', '.join(sorted(files))}").explained(
            "unknown_site", value=given(name), allowed=", ".join(sorted(files))
        )
    if site.variability is not None and Path(site.path).parent != BUILTIN_DIR:  # a user's file, the one loaded
        _warn_generator_bounds(site.path, site.variability)
    return site
