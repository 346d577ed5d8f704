"""Compare a generated typical year with a real hourly record of the same site."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from weather import psychrometrics as psy
from weather.dataset import record_flags

__all__ = [
    "DESIGN_LEVELS",
    "THRESHOLDS",
    "compare",
    "compare_design_conditions",
    "compare_ensemble",
    "depression_percentiles",
    "design_conditions",
    "hour_counts",
    "hourly_persistence",
    "month_start_steps",
    "near_saturation_hours",
    "night_maximum_days",
    "published_design_conditions",
    "record_problems",
    "within_tolerance",
]

THRESHOLDS: dict[str, tuple[float, ...]] = {"t_db": (18.0, 24.0, 27.0), "t_wb": (15.0, 19.0, 21.0), "t_dp": (15.0,)}
"""Hour-count thresholds, °C: dry bulb (ASHRAE recommended band edges and economiser limits),
wet bulb (evaporative-cooling and cooling-tower limits), dew point (ASHRAE recommended limit)."""


def wet_bulb_of(ds: xr.Dataset) -> np.ndarray:
    """Hourly wet bulb, °C, of a weather Dataset (at its own pressure)."""
    return psy.wet_bulb(ds["t_db"].to_numpy(), ds["rh"].to_numpy(), ds["p_air"].to_numpy())


def hour_counts(ds: xr.Dataset) -> dict[str, int]:
    """Annual hours above each threshold of :data:`THRESHOLDS`, keyed like ``"t_db>27"``."""
    series = {"t_db": ds["t_db"].to_numpy(), "t_dp": ds["t_dp"].to_numpy(), "t_wb": wet_bulb_of(ds)}
    return {f"{k}>{x:g}": int((series[k] > x).sum()) for k, xs in THRESHOLDS.items() for x in xs}


SATURATION_LEVELS: tuple[float, ...] = (99.0, 95.0)
"""Relative humidities, %, of :func:`near_saturation_hours`: at 99 % an hour is saturated within
the records' resolution (dew point to 0.1 K), at 95 % an evaporative cooler or a cooling tower has
almost no wet-bulb depression left to use."""


def near_saturation_hours(ds: xr.Dataset, levels: tuple[float, ...] = SATURATION_LEVELS) -> dict[str, int]:
    """Annual hours at or above each relative humidity of ``levels``, keyed like ``"rh>=99"``.

    Parameters
    ----------
    ds : xarray.Dataset
        A weather Dataset with ``rh`` (%).
    levels : tuple of float
        Relative humidities, %.

    Returns
    -------
    dict
        ``{"rh>=99": hours, ...}``. Compared with a record by :func:`within_tolerance` (±10 % or
        ±100 h).
    """
    rh = ds["rh"].to_numpy()
    return {f"rh>={x:g}": int((rh >= x).sum()) for x in levels}


DEPRESSION_PERCENTILES: tuple[float, ...] = (1.0, 5.0, 10.0, 25.0, 50.0)
"""Percentiles, %, of :func:`depression_percentiles`: the low tail of the dew-point depression,
where the hours near saturation are (RH 95 % is a depression of 0.7–0.9 K), and its median."""


def depression_percentiles(
    ds: xr.Dataset, percentiles: tuple[float, ...] = DEPRESSION_PERCENTILES
) -> dict[str, np.ndarray]:
    """Percentiles of the hourly dew-point depression per month, at night and by day.

    Parameters
    ----------
    ds : xarray.Dataset
        A weather Dataset with ``t_db``, ``t_dp`` (°C) and ``ghi`` (W m-2).
    percentiles : tuple of float
        Percentiles, %.

    Returns
    -------
    dict
        ``{"night": array, "day": array}``, each of shape (12, len(percentiles)), K: the
        percentiles of ``t_db − t_dp`` over the month's hours with ``ghi ≤ 0`` (night) or
        ``ghi > 0`` (day); NaN for a month without such hours (a polar day or night).
    """
    dep = ds["t_db"].to_numpy() - ds["t_dp"].to_numpy()
    month = ds["time"].dt.month.to_numpy() - 1
    night = ds["ghi"].to_numpy() <= 0.0
    out = {}
    for name, part in (("night", night), ("day", ~night)):
        rows = []
        for m in range(12):
            values = dep[part & (month == m)]
            rows.append(np.percentile(values, percentiles) if values.size else np.full(len(percentiles), np.nan))
        out[name] = np.array(rows)
    return out


def monthly_mean(ds: xr.Dataset, var: str) -> np.ndarray:
    """Monthly means of a variable, shape (12,)."""
    return ds[var].groupby("time.month").mean().to_numpy()


def within_tolerance(generated: float, real: float, rel: float = 0.10, floor: float = 100.0) -> bool:
    """True when |generated − real| ≤ max(rel · real, floor) (the ±10 % or ±100 h rule)."""
    return abs(generated - real) <= max(rel * abs(real), floor)


def compare(generated: xr.Dataset, real: xr.Dataset) -> dict[str, Any]:
    """Statistics of a generated year against a real one.

    Returns
    -------
    dict
        ``dt_month_max`` (largest |monthly mean dry-bulb difference|, K), ``ghi_annual``
        (generated, real, kWh/m²), ``ghi_rel`` (relative difference), ``counts``:
        ``{name: (generated, real, ok)}`` for each threshold of :data:`THRESHOLDS`, and
        ``saturation``: the same for :func:`near_saturation_hours` (``"rh>=99"``, ``"rh>=95"``).
    """
    dt = monthly_mean(generated, "t_db") - monthly_mean(real, "t_db")
    g_ghi = float(generated["ghi"].sum()) / 1000.0
    r_ghi = float(real["ghi"].sum()) / 1000.0
    cg, cr = hour_counts(generated), hour_counts(real)
    sg, sr = near_saturation_hours(generated), near_saturation_hours(real)
    return {
        "dt_month_max": float(np.max(np.abs(dt))),
        "ghi_annual": (g_ghi, r_ghi),
        "ghi_rel": g_ghi / r_ghi - 1.0,
        "counts": {k: (cg[k], cr[k], within_tolerance(cg[k], cr[k])) for k in cg},
        "saturation": {k: (sg[k], sr[k], within_tolerance(sg[k], sr[k])) for k in sg},
    }


def compare_ensemble(generated: list[xr.Dataset], real: xr.Dataset) -> dict[str, Any]:
    """Compare the mean of several generated years (different seeds) with a real year.

    A single generated year differs from the expected climate by sampling noise (the SD over
    seeds is reported); the ensemble mean is what the generator claims to reproduce.

    Returns
    -------
    dict
        ``dt_month_max`` (largest over seeds, K), ``ghi_rel`` (mean), and ``counts`` and
        ``saturation`` (as :func:`compare`'s): ``{name: (mean, sd, real, ok)}`` with ``ok`` by
        :func:`within_tolerance` of the mean.
    """
    results = [compare(g, real) for g in generated]
    out: dict[str, Any] = {
        "dt_month_max": max(r["dt_month_max"] for r in results),
        "ghi_rel": float(np.mean([r["ghi_rel"] for r in results])),
    }
    for group in ("counts", "saturation"):
        out[group] = {}
        for k in results[0][group]:
            vals = np.array([r[group][k][0] for r in results], dtype=float)
            r = results[0][group][k][1]
            out[group][k] = (float(vals.mean()), float(vals.std()), r, within_tolerance(float(vals.mean()), r))
    return out


def day_residual(values: np.ndarray, month: np.ndarray) -> np.ndarray:
    """Hourly values about the day's curve, shape (days, 24).

    Parameters
    ----------
    values : numpy.ndarray
        Hourly values of whole days (24 each), e.g. dew point, °C, or wind speed, m/s.
    month : numpy.ndarray of int
        Month of each day, 0 … 11.

    Returns
    -------
    numpy.ndarray
        Each hour minus its day's mean and minus its month's mean diurnal profile (the mean over
        the month's days of the hour's deviation from the day's mean): the within-day fluctuation.
    """
    day = np.asarray(values, dtype=float).reshape(-1, 24)
    dev = day - day.mean(axis=1, keepdims=True)
    n = np.bincount(month, minlength=12)[:, None]
    profile = np.stack([np.bincount(month, weights=dev[:, h], minlength=12) for h in range(24)], axis=1)
    return dev - (profile / np.maximum(n, 1))[month]


def residual_lags(residual: np.ndarray, lags: tuple[int, ...] = (1, 2)) -> tuple[float, ...]:
    """Autocorrelations of a within-day residual (:func:`day_residual`) at ``lags`` hours, pooled over
    the pairs of hours of the same day (a pair across midnight would compare two days' means)."""
    return tuple(float(np.corrcoef(residual[:, :-k].ravel(), residual[:, k:].ravel())[0, 1]) for k in lags)


def hourly_persistence(values: np.ndarray, month: np.ndarray) -> dict[str, float]:
    """Hour-to-hour persistence of an hourly series: what its hourly plot shows.

    Parameters
    ----------
    values : numpy.ndarray
        Hourly values of whole days (24 each).
    month : numpy.ndarray of int
        Month of each day, 0 … 11.

    Returns
    -------
    dict
        ``lag1``, ``lag2``: autocorrelations of the within-day residual (:func:`residual_lags`);
        ``diff_lag1``: lag-1 autocorrelation of its hour-to-hour differences (within days; about
        0 for an AR(1), positive for a smooth series, negative for one with measurement noise);
        ``reversal``: the fraction of the series' non-zero hour-to-hour changes whose sign is
        the opposite of the previous non-zero change's (zero changes skipped) (0.5 for white noise or an
        AR(1)'s differences, 1/3 for a random walk's second differences…); ``zero``: the fraction
        of hour-to-hour changes that are zero.

    Notes
    -----
    Records are rounded (dew point to 0.1 K, wind to 1 m/s in the CSWD files) and some hold
    interpolated three-hourly observations, so many of their changes are zero: counting a zero as
    "no reversal" gives the records 0.25–0.35 where the non-zero changes reverse 0.48–0.54
    (dew point) and 0.63–0.77 (wind) of the time; ``reversal`` therefore skips them and
    ``zero`` says how many there were.
    """
    x = np.asarray(values, dtype=float)
    r = day_residual(x, month)
    lag1, lag2 = residual_lags(r)
    d = np.diff(r, axis=1)
    change = np.diff(x)
    moves = np.sign(change[change != 0.0])
    return {
        "lag1": lag1,
        "lag2": lag2,
        "diff_lag1": float(np.corrcoef(d[:, :-1].ravel(), d[:, 1:].ravel())[0, 1]),
        "reversal": float(np.mean(moves[1:] != moves[:-1])) if moves.size > 1 else float("nan"),
        "zero": float(np.mean(change == 0.0)),
    }


def month_start_steps(values: np.ndarray, time: Any) -> dict[str, float]:
    """The hour-to-hour changes into 00:00 on the first of a month against all the others.

    Parameters
    ----------
    values : numpy.ndarray
        Hourly values of one year (e.g. dry bulb or dew point, °C, wind speed, m/s).
    time : pandas.DatetimeIndex or array_like of datetime64
        The hours (local time).

    Returns
    -------
    dict
        ``start_max`` and ``start_mean``: the largest and the mean |change| into 00:00 on a month's
        first day; ``midnight_mean``: the mean |change| into 00:00 on the other days;
        ``other_q999``: the 99.9th percentile of every other hour's |change|. A correction that is
        constant within a month steps at the month's start, which makes ``start_mean`` larger than
        ``midnight_mean`` (the generator's dry bulb before the smooth corrections: 1.3–1.9 K against
        0.4–1.1 K).
    """
    import pandas as pd

    t = pd.DatetimeIndex(time)[1:]
    change = np.abs(np.diff(np.asarray(values, dtype=float)))
    start = (t.day == 1) & (t.hour == 0)
    midnight = (t.hour == 0) & ~start
    return {
        "start_max": float(change[start].max()),
        "start_mean": float(change[start].mean()),
        "midnight_mean": float(change[midnight].mean()),
        "other_q999": float(np.percentile(change[~start], 99.9)),
    }


NIGHT_HOURS = (21, 22, 23, 0, 1, 2, 3, 4, 5)
"""Hours (local time, the hour's label 0 … 23) of :func:`night_maximum_days`: 21–05 h."""


def night_maximum_days(t_db: np.ndarray, month: np.ndarray) -> np.ndarray:
    """Days per month whose maximum dry bulb falls at night (:data:`NIGHT_HOURS`), shape (12,).

    Parameters
    ----------
    t_db : numpy.ndarray
        Hourly dry bulb of whole days (24 values a day, local time), °C.
    month : numpy.ndarray of int
        Month of each day, 0 … 11.

    Returns
    -------
    numpy.ndarray
        The count of days (the first hour of the day's maximum when tied): in a record the days a
        warm front or advection peaks at night, or a cold front takes the afternoon's warmth away.
    """
    hour = np.asarray(t_db, dtype=float).reshape(-1, 24).argmax(axis=1)
    return np.bincount(month, weights=np.isin(hour, NIGHT_HOURS), minlength=12)


DESIGN_LEVELS = {
    "db_0.4": ("t_db", 99.6),
    "db_1": ("t_db", 99.0),
    "wb_0.4": ("t_wb", 99.6),
    "wb_1": ("t_wb", 99.0),
    "db_99.6": ("t_db", 0.4),
    "db_99": ("t_db", 1.0),
}
"""ASHRAE-style annual design conditions (ASHRAE Handbook — Fundamentals, ch. 14): cooling dry
bulb exceeded 0.4 % and 1 % of the hours of the year, evaporation wet bulb exceeded 0.4 % and
1 %, heating dry bulb exceeded 99.6 % and 99 % of the hours (the 0.4th and 1st percentiles);
name → (variable, percentile of the hourly values)."""


def design_conditions(ds: xr.Dataset) -> dict[str, float]:
    """ASHRAE-style design conditions of one hourly year, °C.

    Returns
    -------
    dict
        :data:`DESIGN_LEVELS` (percentiles of the hourly values, linear interpolation) and
        ``mcwb_0.4`` / ``mcwb_1``: the mean coincident wet bulb, the mean wet bulb of the hours
        whose dry bulb is within ±0.5 K of the 0.4 % (1 %) cooling dry bulb.

    Notes
    -----
    ASHRAE derives the values from 25 or more years of record with bin counts; here one year
    (or the mean over generated years) stands in, so these are the file's own percentiles,
    not the published design values of the station.
    """
    series = {"t_db": ds["t_db"].to_numpy(), "t_wb": wet_bulb_of(ds)}
    out = {k: float(np.percentile(series[v], q)) for k, (v, q) in DESIGN_LEVELS.items()}
    for lvl in ("0.4", "1"):
        near = np.abs(series["t_db"] - out[f"db_{lvl}"]) <= 0.5
        out[f"mcwb_{lvl}"] = float(series["t_wb"][near].mean())
    return out


def compare_design_conditions(generated: list[xr.Dataset], real: xr.Dataset) -> dict[str, tuple[float, float, float]]:
    """``{name: (mean over generated years, SD, real)}`` of :func:`design_conditions`, °C."""
    gens = [design_conditions(g) for g in generated]
    r = design_conditions(real)
    return {k: (float(np.mean([g[k] for g in gens])), float(np.std([g[k] for g in gens])), r[k]) for k in r}


def record_problems(ds: xr.Dataset) -> list[str]:
    """Physically impossible or implausible hours of a record, one line per kind.

    The checks of :func:`weather.dataset.record_flags` on a Dataset (reading runs them on the
    file's values before any repair and keeps them in ``meta['flags']``; on a repaired Dataset
    a capped dew point no longer shows).

    Returns
    -------
    list of str
        Empty for a clean record; else e.g. ``"dew point above the dry bulb by more than 0.1 K:
        12 h (first 2021-03-04T05:00, …; worst 1.3 K)"``.
    """
    frame = ds[[v for v in ("t_db", "t_dp", "rh", "ghi", "dni", "dhi") if v in ds]].to_dataframe()
    return [str(f) for f in record_flags(frame, bool(ds.attrs.get("typical_year", True)))]


def published_design_conditions(path: str | Path) -> dict[str, float]:
    """The ASHRAE design conditions an EPW file's header carries, °C (empty dict when none).

    EPW files from climate.onebuilding.org hold, on their second line (``DESIGN CONDITIONS``), the
    station's values from the ASHRAE Handbook — Fundamentals, ch. 14 (2009 or 2021 edition):
    computed from many years of hourly observations (about 25–30), not from the typical year the
    file holds — an independent source for the generator's tails.

    Returns
    -------
    dict
        ``db_99.6``, ``db_99`` (heating dry bulb), ``db_0.4``, ``mcwb_0.4``, ``db_1``, ``mcwb_1``
        (cooling dry bulb and mean coincident wet bulb), ``wb_0.4``, ``wb_1`` (evaporation wet
        bulb) and ``edition`` is not returned; keys as :func:`design_conditions`.

    Notes
    -----
    Field order of the EPW header (EnergyPlus Auxiliary Programs, "Design Conditions"): after
    ``Heating``: coldest month, 99.6 % and 99 % dry bulb, …; after ``Cooling``: hottest month, its
    mean daily range, 0.4 % dry bulb and MCWB, 1 % dry bulb and MCWB, 2 % dry bulb and MCWB, 0.4 %
    wet bulb and MCDB, 1 % wet bulb and MCDB, ….
    """
    from weather.readers import head_lines

    lines = head_lines(Path(path))
    fields = [x.strip() for x in lines[1].split(",")] if len(lines) > 1 else []
    if not fields or fields[0].upper() != "DESIGN CONDITIONS" or "Heating" not in fields or "Cooling" not in fields:
        return {}
    h, c = fields.index("Heating"), fields.index("Cooling")
    try:
        heat = [float(fields[h + i]) for i in (2, 3)]
        cool = [float(fields[c + i]) for i in (3, 4, 5, 6, 9, 11)]
    except (IndexError, ValueError):
        return {}
    names = ("db_0.4", "mcwb_0.4", "db_1", "mcwb_1", "wb_0.4", "wb_1")
    return {"db_99.6": heat[0], "db_99": heat[1], **dict(zip(names, cool, strict=True))}
