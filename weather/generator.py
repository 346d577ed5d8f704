"""Typical-year generator: a seeded, deterministic hourly year from monthly climate normals.

No weather may be downloaded at run time, so this is the twin's built-in weather. From a
site's twelve monthly normals (mean, mean daily maximum and minimum, dew point, RH, 10 m wind,
monthly GHI) and its location it builds an hourly year whose monthly means equal the normals
and whose hour-to-hour, day-to-day and diurnal variation is that of real weather. Different
seeds give different plausible years (for P50/P90 ensembles); the same seed always gives the
same year.

Model (each step vectorised over the year; the only sequential parts are AR(1) and AR(2)
recursions over 365 days, done with ``scipy.signal.lfilter``):

1. **Climatology.** Daily climatological values of every monthly normal by a periodic cubic
   spline through mid-month knots, with the knots adjusted until the monthly means of the daily
   curve equal the normals (mean-preserving interpolation).
2. **Cloudiness.** Clear-sky GHI by pvlib's Ineichen–Perez model with the site's monthly Linke
   turbidity (pvlib's bundled climatology). A daily clearness ``k_d`` (beta-distributed, AR(1)
   persistent through a Gaussian copula) modulates it; each month is rescaled so its GHI equals
   the normal. DNI/DHI from the Erbs decomposition.
3. **Temperature.** Daily mean = climatology + an AR(2) anomaly with the lag-1 and lag-2
   correlations ``t_daily_lag1``, ``t_daily_lag2`` (Yule–Walker; an AR(1) when the lag-2 one is
   not given), rescaled per month until the spread of the generated daily means about
   their 31-day running mean equals the record's ``t_daily_sd_c`` (a typical year's months are
   chosen for daily values distributed as in the long record). Diurnal cycle
   (:func:`diurnal_shape`): half-cosine rise from the minimum at sunrise to the maximum at
   ``T_MAX_SOLAR_HOUR`` (solar time), a fall ``(½(1 + cos πφ))^p`` to the next sunrise whose
   exponent puts the daily mean where the normals put it between the mean daily minimum and
   maximum; its range follows cloudiness (factor ``0.6 + 0.8 k_d / K_month``), and its upper and
   lower excursions are corrected until the monthly means of the daily maxima and minima equal
   the normals. The temperature does not fall below the air's dew point (condensation). With
   ``t_peak_hours`` in the variability table the cycle is mapped by :func:`sharpen`, its
   exponent per month drawn until the generated days spend the record's hours within a tenth of
   their range of the maximum (:func:`peak_hours`). With ``t_peak_hour_sd_h`` each day's hour of
   the maximum is drawn about ``T_MAX_SOLAR_HOUR`` with the record's monthly spread
   (:func:`peak_hour_draws`, :func:`peak_hour_spread`).
   **Daily maximum and minimum as two variables** when the variability table has their fields
   (:data:`EXTREME_FIELDS`; Richardson 1981, WGEN): their anomalies have the record's monthly
   spreads about the month's mean, correlation and (annual) kurtosis (:func:`extreme_anomalies`,
   :func:`light_tails`); their mean follows the AR(2) anomaly above, their difference the day's
   clearness; the hours rise from the day's minimum at sunrise to its maximum and fall to the
   next day's minimum with the same shape, and each month's spreads of the generated daily
   maxima and minima are rescaled to the record's (instead of the daily means').
4. **Humidity.** Daily mean dew point = climatology + an anomaly correlated with the temperature
   anomaly (``t_dew_corr``) with its own monthly SD ``t_dew_daily_sd_c`` and persistence
   (``t_dew_daily_lag1``, ``t_dew_daily_lag2``, as for the temperature); in the hot hours it
   falls by κ K per K of warming above the daily mean (the growing boundary layer mixes drier
   air down; 0 ≤ κ ≤ 1), κ per month set so that the mean daily minimum RH equals the normal
   ``rh_min_daily_mean_pct`` (:data:`DEW_DIP_DEFAULT` where the normals lack it); in the
   month's hottest hours (the dry bulb in its top tenth) it falls by a further λ K per K above
   that level, λ per month such that the mean dew point of the top 3 % of hours is the record's
   (``t_dew_hot_c``, when the variability table has it); humid days dry less in the afternoon
   than dry ones by β K per SD of the day's dew point, β per month such that the slope of the
   dip on the day's humidity is the record's (``t_dew_dip_slope``, :func:`dew_dip_slope`, when
   the variability table has it); in the year's hottest 2 % of hours the dew point tilts by μ K
   per K of dry bulb about their mean, μ such that its slope on the dry bulb there is the
   record's (``t_dew_hot_slope``, :func:`hot_dew_slope`, when the variability table has it);
   hourly dew point never exceeds the dry bulb; monthly means are restored after that cap.
5. **Wind.** Weibull (k = 2) hourly speeds through a Gaussian copula of an hourly AR(1)
   (φ = 0.9; with ``wind_hourly_lag1`` and ``wind_hourly_lag2``, the AR(2) whose residual about
   its daily means has those autocorrelations, :func:`hourly_ar2_for_residual`), a diurnal
   modulation peaking in mid-afternoon (± 25 %), scaled to the monthly means. **Pressure**: the standard atmosphere at the elevation, with a ± 0.6 % synoptic AR(1).

Every correction that makes a month's mean equal its normal (the clearness and GHI scaling, the
dry bulb's and the dew point's monthly means, κ and β, the wind's scaling, the daily range's
normalisation) is continuous through the year: a level per month with linear ramps across the
months' starts, the levels solved so that the monthly means are exact (:func:`monthly_correction`);
as a constant per month each stepped at 00:00 on the 1st.

``Variability`` holds the day-to-day statistics. A site with an hourly station record carries
its own (derived by :func:`variability_from_record`, stored in its site file); other sites use
:data:`DEFAULT_VARIABILITY`, the month-by-month mean of the five reference records — an
assumption for them, stated as such.
"""

from __future__ import annotations

import calendar
import dataclasses
import functools
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import pandas as pd
import xarray as xr

from weather import psychrometrics as psy
from weather.dataset import (
    DIP_SLOPE_BOUND,
    EXTREME_FIELDS,
    PEAK_HOUR_SD_BOUND,
    VARIABILITY_RANGES,
    WeatherError,
    build_dataset,
    extremes_problem,
    lag_pair_problem,
    solar_position,
    wind_lags_problem,
)
from weather.fmt import span

__all__ = [
    "DEFAULT_VARIABILITY",
    "EXTREME_FIELDS",
    "T_MAX_SOLAR_HOUR",
    "MonthlyNormals",
    "Variability",
    "as_variability",
    "dew_dip_slope",
    "extreme_anomalies",
    "extreme_statistics",
    "hot_dew_slope",
    "light_tails",
    "monthly_correction",
    "typical_year",
    "variability_from_record",
]

T_MAX_SOLAR_HOUR = 14.5
"""Solar time of the daily maximum temperature, h (assumption: 14–15 h is the usual range,
e.g. Parton & Logan 1981)."""


class MonthlyNormals(Protocol):
    """Twelve monthly values each (January first); :class:`sites.Normals` is one."""

    t_mean_c: Any
    t_max_daily_mean_c: Any
    t_min_daily_mean_c: Any
    rh_mean_pct: Any
    t_dew_mean_c: Any
    wind10m_mean_ms: Any
    ghi_kwh_m2: Any


@dataclass(frozen=True)
class Variability:
    """Day-to-day variability statistics of a site's weather.

    Attributes
    ----------
    t_daily_sd_c : tuple of 12 float
        SD of the daily-mean dry bulb about its 31-day running mean, per month, K.
    t_dew_daily_sd_c : tuple of 12 float
        The same for the daily-mean dew point, K.
    t_daily_lag1, t_dew_daily_lag1 : float
        Lag-1 (day-to-day) autocorrelation of the daily temperature / dew-point anomaly.
    t_dew_corr : tuple of 12 float
        Correlation of daily dew-point and temperature anomalies, per month.
    t_dew_hourly_sd_c : float
        SD of hourly dew point about its daily mean (within-day variation), K.
    t_dew_skew : tuple of 12 float
        Skewness of the hourly dew-point anomaly about its 31-day running mean, per month
        (humid summers are negatively skewed: long tails of dry air, a bulk near saturation).
    source : str
        Where the numbers come from.
    t_daily_lag2, t_dew_daily_lag2 : float, optional
        Lag-2 autocorrelation of the daily temperature / dew-point anomaly. Given, the anomaly
        is an AR(2) process (Yule–Walker, :func:`ar2_coefficients`); absent (``None``), an AR(1)
        with ``ρ2 = ρ1²``. The records' lag-2 correlation is below ρ1² (synoptic spells end
        faster than an AR(1) lets them), so an AR(1) puts too much of the variance into
        spells of weeks, which a month's mean does not remove: its tails come out too wide.
    t_dew_hot_c : tuple of 12 float, optional
        Mean dew point of the month's hottest hours (:func:`hot_hour_dew_anomaly`) minus the
        month's mean dew point, K. Given, the hot hours' dew point is drawn to it
        (:func:`typical_year`, step 4); absent, only the afternoon dip κ acts.
    t_dew_hot_slope : float, optional
        Least-squares slope of the dew point on the dry bulb over the year's hottest hours (the
        dry bulb at or above its :data:`HOT_SLOPE_PERCENTILE`), K per K (:func:`hot_dew_slope`;
        the records': Qingyang −0.67, Gui'an −0.44, Karamay −0.10, Dulles +0.27, Yinchuan +0.47).
        Given, the dew point of those hours is drawn to it (:func:`typical_year`, step 4); absent,
        their dew point follows κ, λ and β only.
    t_peak_hours : tuple of 12 float, optional
        Mean number of hours per day within a tenth of the day's range of its maximum dry bulb,
        per month, h (:func:`peak_hours`). Given, the diurnal cycle's sharpness is drawn to it
        (:func:`diurnal_shape`, ``sharp``); absent, the half-cosine cycle.
    t_dew_dip_slope : tuple of 12 float, optional
        Slope of the afternoon dew-point dip on the day's humidity, per month, K per SD
        (:func:`dew_dip_slope`; the records': positive in summer, humid days dry less in the
        afternoon). Given, the generated days are drawn to it (:func:`typical_year`, step 4);
        absent, every day of a month dries alike.
    t_peak_hour_sd_h : tuple of 12 float, optional
        Spread of the hour of the daily maximum dry bulb, per month, h (:func:`peak_hour_spread`).
        Given, each day's hour of the maximum is drawn about :data:`T_MAX_SOLAR_HOUR` with it
        (:func:`peak_hour_draws`); absent, every day's maximum is at that hour.
    t_dew_depression_p10 : tuple of 12 float, optional
        Each month's 10th percentile of the hourly dew-point depression (dry bulb − dew point)
        over the month's mean depression (:func:`depression_low_ratio`). Given, the generated
        depression is :func:`positive_depression` of its rank, whose 10th percentile is this
        share of the normals' mean depression; absent, the dew point is capped at the dry bulb
        (every hour where the two cross is saturated).
    t_dew_depression_p05 : tuple of 12 float, optional
        The same for the 5th percentile (:func:`depression_low_ratio` with ``percentile = 5``).
        Given with ``t_dew_depression_p10``, it sets the shape of the depression's low tail
        (:func:`depression_tail_power`); absent, :data:`DEPRESSION_TAIL_POWER`.
    t_dew_depression_step_sd_c : float, optional
        SD of the hour-to-hour change of the dew-point depression over the pairs of hours whose
        depressions are both below :data:`DEPRESSION_FLOOR_MAX`, K (:func:`depression_step_sd`:
        how the air near saturation keeps its own hourly fluctuation). Given with
        ``t_dew_depression_p10``, the depression's floor fluctuates from hour to hour by it
        (:func:`positive_depression`'s ``jitter``); absent, the floor is a function of the hour's
        rank alone and the dew point at it follows the dry bulb's curve.
    wind_hourly_lag1, wind_hourly_lag2 : float, optional
        Lag-1 and lag-2 autocorrelations of the hourly wind speed about the day's curve (its day's
        mean and its month's mean diurnal profile, :func:`weather.validation.residual_lags`).
        Given together, the wind's normal score is the hourly AR(2) with that residual
        (:func:`hourly_ar2_for_residual`); absent, an AR(1) with φ = :data:`WIND_HOURLY_LAG1`.
    t_dew_hourly_lag1 : float, optional
        Lag-1 autocorrelation of the hourly dew point about the day's curve
        (:func:`weather.validation.residual_lags`). Given, the dew point's within-day AR(1) takes
        the φ whose drawn hourly anomaly has that residual lag-1 (:func:`dew_hourly_phi`); absent,
        φ = :data:`DEW_HOURLY_LAG1`. The records': Yinchuan 0.745, Dulles 0.815, Qingyang and
        Gui'an 0.852 (Karamay's, 0.938, is of a dew point interpolated between three-hourly
        observations and is not in its site file).
    t_max_daily_sd_c, t_min_daily_sd_c : tuple of 12 float, optional
        SD of the daily maximum / minimum dry bulb about its 31-day running mean, per month, K.
    t_max_min_corr : tuple of 12 float, optional
        Correlation of the daily maximum's and minimum's anomalies (about their running means)
        on the same day, per month. Given together, the three make the daily maximum and
        minimum two variables (:func:`extreme_anomalies`, :func:`typical_year` step 3) with the
        record's spreads and correlation; absent, the diurnal cycle about the daily mean.
    t_max_kurtosis, t_min_kurtosis : float, optional
        Excess kurtosis of the daily maximum's / minimum's anomaly, each day's divided by its
        month's SD, over the year (the records': −0.3 … −0.7, lighter tails than a normal's).
        Given with the three above (all five or none): the anomalies' shape
        (:func:`light_tails`).
    """

    t_daily_sd_c: tuple[float, ...]
    t_dew_daily_sd_c: tuple[float, ...]
    t_daily_lag1: float
    t_dew_daily_lag1: float
    t_dew_corr: tuple[float, ...]
    t_dew_hourly_sd_c: float
    t_dew_skew: tuple[float, ...]
    source: str
    t_daily_lag2: float | None = None
    t_dew_daily_lag2: float | None = None
    t_dew_hot_c: tuple[float, ...] | None = None
    t_max_daily_sd_c: tuple[float, ...] | None = None
    t_min_daily_sd_c: tuple[float, ...] | None = None
    t_max_min_corr: tuple[float, ...] | None = None
    t_max_skew: tuple[float, ...] | None = None
    t_min_skew: tuple[float, ...] | None = None
    t_max_kurtosis: float | None = None
    t_min_kurtosis: float | None = None
    t_peak_hours: tuple[float, ...] | None = None
    t_dew_dip_slope: tuple[float, ...] | None = None
    t_peak_hour_sd_h: tuple[float, ...] | None = None
    t_dew_depression_p10: tuple[float, ...] | None = None
    t_dew_depression_p05: tuple[float, ...] | None = None
    t_dew_depression_step_sd_c: float | None = None
    wind_hourly_lag1: float | None = None
    wind_hourly_lag2: float | None = None
    t_dew_hourly_lag1: float | None = None
    t_dew_hot_slope: float | None = None

    def __post_init__(self) -> None:
        problem = extremes_problem({k: getattr(self, k) for k in EXTREME_FIELDS})
        if problem:
            raise WeatherError(problem)
        units = {
            "t_daily_sd_c": "K",
            "t_dew_daily_sd_c": "K",
            "t_dew_hourly_sd_c": "K",
            "t_dew_depression_step_sd_c": "K",
            "t_peak_hours": "h",
            "t_peak_hour_sd_h": "h",
            "t_dew_dip_slope": "K per SD",
            "t_dew_hot_slope": "K per K",
        }
        for name, (lo, hi) in VARIABILITY_RANGES.items():
            v = getattr(self, name)
            if v is None:
                continue
            allowed = span(lo, hi, units.get(name, ""))
            if isinstance(v, tuple):
                if len(v) != 12 or not all(lo <= float(x) <= hi for x in v):
                    raise WeatherError(f"variability.{name} must be 12 values in {allowed}, got {v!r}")
            elif not lo <= v <= hi:
                raise WeatherError(f"variability.{name} = {v!r}; allowed {allowed}")
        problem = lag_pair_problem(dataclasses.asdict(self))
        if problem:
            raise WeatherError(problem)
        problem = wind_lags_problem(dataclasses.asdict(self))
        if problem:
            raise WeatherError(problem)


DEFAULT_VARIABILITY = Variability(
    t_daily_sd_c=(3.52, 3.7, 4.14, 3.88, 2.95, 2.71, 2.33, 2.47, 2.93, 3.71, 3.35, 2.73),
    t_dew_daily_sd_c=(4.26, 4.39, 4.05, 4.61, 4.15, 2.72, 2.12, 2.38, 3.43, 3.73, 4.45, 3.45),
    t_daily_lag1=0.693,
    t_dew_daily_lag1=0.653,
    t_dew_corr=(0.73, 0.75, 0.74, 0.64, 0.37, 0.07, 0.09, 0.31, 0.35, 0.69, 0.75, 0.72),
    t_dew_hourly_sd_c=1.9,
    t_dew_skew=(0.12, 0.07, 0.06, 0.01, -0.45, -0.28, -0.67, -0.44, -0.23, -0.36, -0.11, -0.03),
    t_daily_lag2=0.36,
    t_dew_daily_lag2=0.301,
    t_peak_hours=(3.05, 3.47, 3.67, 3.83, 3.91, 3.79, 3.88, 3.65, 3.71, 3.77, 3.43, 3.06),
    t_peak_hour_sd_h=(1.41, 1.26, 1.33, 1.59, 1.63, 1.15, 1.26, 1.18, 1.3, 1.48, 1.26, 1.85),
    source=(
        "assumption for sites without an hourly record: month-by-month mean of the five reference "
        "records (Karamay, Xifeng, Guiyang, Yinchuan CSWD; Dulles TMYx) by variability_from_record"
    ),
)


def as_variability(obj: Variability | Mapping[str, Any]) -> Variability:
    """A :class:`Variability` from itself or a mapping of its fields (e.g. a site's table)."""
    if isinstance(obj, Variability):
        return obj
    fields = [f for f in Variability.__dataclass_fields__]
    optional = {k for k, f in Variability.__dataclass_fields__.items() if f.default is not dataclasses.MISSING}
    missing = [f for f in fields if f not in obj and f not in optional]
    if missing:
        raise WeatherError(f"variability: missing field {missing[0]!r}; needs {', '.join(fields)}")
    extra = sorted(set(obj) - set(fields))
    if extra:
        raise WeatherError(f"variability: unknown field {extra[0]!r}; allowed {', '.join(fields)}")
    return Variability(**{k: tuple(v) if isinstance(v, list | tuple) else v for k, v in obj.items()})  # type: ignore[arg-type]


def _month_of_day(year: int) -> np.ndarray:
    return np.concatenate([np.full(calendar.monthrange(year, m)[1], m - 1) for m in range(1, 13)])


def mean_preserving_daily(monthly: Any, year: int) -> np.ndarray:
    """Smooth daily curve whose monthly means equal ``monthly`` (periodic over the year).

    Parameters
    ----------
    monthly : array_like, shape (12,)
        Monthly mean values.
    year : int
        Calendar year (month lengths).

    Returns
    -------
    numpy.ndarray, shape (n_days,)
        Daily values; ``mean over month m == monthly[m]`` to < 1e-9.

    Notes
    -----
    Periodic cubic spline through mid-month knots; the knot values are corrected by the
    residual monthly means until they vanish (a fixed-point iteration that converges
    geometrically because each knot dominates its own month). Spline and correction are linear
    in the monthly values, so the curve is a fixed (days × 12) matrix times them
    (:func:`_mean_preserving_operator`, computed once per month lengths).
    """
    return _mean_preserving_operator(calendar.isleap(year)) @ np.asarray(monthly, dtype=float)


@functools.cache
def _mean_preserving_operator(leap: bool, iterations: int = 60) -> np.ndarray:
    """The (days × 12) matrix of :func:`mean_preserving_daily`: its columns are the curves of the
    twelve unit months, by the fixed-point iteration run on all twelve at once."""
    from scipy import interpolate  # imported when needed: scipy's modules cost tenths of a second

    mon = _month_of_day(2020 if leap else 2021)
    n = mon.size
    lengths = np.bincount(mon, minlength=12)
    mid = np.cumsum(lengths) - lengths / 2.0
    x = np.concatenate([mid - n, mid, mid + n])
    day = np.arange(n) + 0.5
    target = np.eye(12)
    knots = target.copy()
    onehot = np.eye(12)[mon] / lengths[mon][:, None]  # (days, 12): the monthly mean as a matrix
    for _ in range(iterations):
        daily = interpolate.CubicSpline(x, np.tile(knots, (3, 1)))(day)
        resid = target - onehot.T @ daily
        knots = knots + resid
        if np.max(np.abs(resid)) < 1e-13:
            break
    return _frozen(daily)


def _frozen(a: np.ndarray) -> np.ndarray:
    """``a`` made read-only: a table cached for the process must not be changed by a caller."""
    a.setflags(write=False)
    return a


MONTH_BLEND_DAYS = 2.0
"""Width of the ramp from one month's correction to the next, centred on the month's start, days
(:func:`monthly_correction`; assumption: long enough that the ramp adds no visible step to an
hour's change, a 5 K difference between two months' corrections is 0.1 K per hour, short enough
that it adds little to a month's spread of daily values)."""


@functools.cache
def _month_ramps(leap: bool, per_day: int) -> tuple[np.ndarray, np.ndarray]:
    """The basis of :func:`monthly_correction` where it is not the month's indicator.

    Month ``j``'s basis function is 1 inside the month, 0 outside, with linear ramps
    :data:`MONTH_BLEND_DAYS` wide centred on its start and its end (periodic over the year; the
    twelve sum to 1 everywhere). Returns the indices of the values within a ramp and, for them, the
    basis minus the indicator of their own month, shape (ramp values, 12).
    """
    mon = _month_of_day(2020 if leap else 2021)
    n = mon.size
    edges = np.concatenate([[0], np.cumsum(np.bincount(mon, minlength=12))]).astype(float)
    t = (np.arange(n * per_day) + 0.5) / per_day
    basis = np.zeros((t.size, 12))
    for k in (-n, 0, n):
        up = np.clip((t[:, None] + k - edges[None, :]) / MONTH_BLEND_DAYS + 0.5, 0.0, 1.0)
        basis += up[:, :-1] - up[:, 1:]
    delta = basis - np.eye(12)[np.repeat(mon, per_day)]
    rows = np.flatnonzero(np.any(np.abs(delta) > 0.0, axis=1))
    return _frozen(rows), _frozen(delta[rows])


def _ar1(rng: np.random.Generator, n: int, phi: float) -> np.ndarray:
    """Unit-variance AR(1) series of length n: x[t] = φ x[t−1] + √(1−φ²) ε[t]."""
    return _ar1_of(rng.standard_normal(n + 1), phi)


def _ar1_of(e: np.ndarray, phi: float) -> np.ndarray:
    """:func:`_ar1` of its ``n + 1`` normal draws ``e``."""
    from scipy import signal

    # Start from a stationary state: the initial condition is φ·x[−1] with x[−1] ~ N(0, 1).
    return signal.lfilter([np.sqrt(1.0 - phi**2)], [1.0, -phi], e[1:], zi=[phi * e[0]])[0]


def ar2_coefficients(r1: float, r2: float) -> tuple[float, float]:
    """Yule–Walker AR(2) coefficients ``(φ1, φ2)`` from the lag-1 and lag-2 autocorrelations.

    ``φ1 = r1 (1 − r2) / (1 − r1²)``, ``φ2 = (r2 − r1²) / (1 − r1²)`` (Box & Jenkins). ``r2`` is
    first brought into the range a stationary process allows, ``2 r1² − 1 < r2 < 1``; with
    ``r2 = r1²`` the result is the AR(1) ``(r1, 0)``.
    """
    r2 = float(np.clip(r2, 2.0 * r1**2 - 1.0 + 1e-6, 1.0 - 1e-6))
    den = 1.0 - r1**2
    return r1 * (1.0 - r2) / den, (r2 - r1**2) / den


def _ar2_acf(phi1: float, phi2: float, n: int) -> np.ndarray:
    """Autocorrelations ρ_0 … ρ_{n−1} of a stationary AR(2): ``ρ_k = φ1 ρ_{k−1} + φ2 ρ_{k−2}``."""
    rho = np.empty(n)
    rho[0] = 1.0
    if n > 1:
        rho[1] = phi1 / (1.0 - phi2)
    for k in range(2, n):
        rho[k] = phi1 * rho[k - 1] + phi2 * rho[k - 2]
    return rho


def _ar2(rng: np.random.Generator, n: int, phi1: float, phi2: float, spin_up: int = 60) -> np.ndarray:
    """Unit-variance AR(2) series of length n, ``x[t] = φ1 x[t−1] + φ2 x[t−2] + σ ε[t]``.

    ``σ² = 1 − φ1 ρ1 − φ2 ρ2`` gives unit variance; the first ``spin_up`` values are dropped so
    the series starts from a stationary state (the memory of an AR(2) with the records' φ decays
    within ten days).
    """
    from scipy import signal

    rho = _ar2_acf(phi1, phi2, 3)
    sigma = np.sqrt(max(1.0 - phi1 * rho[1] - phi2 * rho[2], 1e-12))
    e = rng.standard_normal(n + spin_up)
    return signal.lfilter([sigma], [1.0, -phi1, -phi2], e)[spin_up:]


def _hourly_ar2(rng: np.random.Generator, n: int, phi1: float, phi2: float) -> np.ndarray:
    """Unit-variance AR(2) series of length n from ``n + 1`` normal draws (as :func:`_ar1`): the
    first draw starts it near a stationary state (``x[−1] = ε0``, ``x[−2] = ρ1 ε0``)."""
    from scipy import signal

    rho = _ar2_acf(phi1, phi2, 3)
    sigma = np.sqrt(max(1.0 - phi1 * rho[1] - phi2 * rho[2], 1e-12))
    e = rng.standard_normal(n + 1)
    a = [1.0, -phi1, -phi2]
    zi = signal.lfiltic([sigma], a, y=[e[0], rho[1] * e[0]])
    return signal.lfilter([sigma], a, e[1:], zi=zi)[0]


def residual_lags_of(r1: float, r2: float, hours: int = 24) -> tuple[float, float]:
    """Lag-1 and lag-2 autocorrelations of a stationary AR(2) with autocorrelations ``r1``, ``r2``
    about its means over blocks of ``hours`` (what :func:`weather.validation.residual_lags` measures).

    Notes
    -----
    With ``C`` the process's autocorrelation matrix over a block and ``M = I − 1/n`` the removal of
    the block's mean, the residual's covariance is ``M C M``; the pooled lag-k correlation is the
    mean of its k-th diagonal over the geometric mean of the variances of the hours paired.
    """
    phi1, phi2 = ar2_coefficients(r1, r2)
    acf = _ar2_acf(phi1, phi2, hours)
    k = np.arange(hours)
    m = np.eye(hours) - 1.0 / hours
    cov = m @ acf[np.abs(k[:, None] - k[None, :])] @ m
    v = np.diag(cov)
    return tuple(  # type: ignore[return-value]
        float(np.mean(np.diag(cov, lag)) / np.sqrt(np.mean(v[:-lag]) * np.mean(v[lag:]))) for lag in (1, 2)
    )


@functools.cache
def hourly_ar2_for_residual(lag1: float, lag2: float) -> tuple[float, float]:
    """AR(2) coefficients ``(φ1, φ2)`` of an hourly process whose residual about its daily means
    has the lag-1 and lag-2 autocorrelations ``lag1``, ``lag2`` (a record's, :func:`residual_lags_of`).

    Raises
    ------
    WeatherError
        When no stationary AR(2) has that residual (off by more than 0.01).
    """
    from scipy import optimize

    def gap(x: np.ndarray) -> np.ndarray:
        return np.subtract(residual_lags_of(x[0], x[1]), (lag1, lag2))

    x0 = [min(lag1 + 0.1, 0.98), lag2]
    fit = optimize.least_squares(gap, x0, bounds=([0.0, -0.9], [0.999, 0.999]))
    if np.max(np.abs(gap(fit.x))) > 0.01:
        raise WeatherError(
            f"variability.wind_hourly_lag1 = {lag1!r} with variability.wind_hourly_lag2 = {lag2!r}: no "
            "stationary hourly AR(2) has these autocorrelations about its daily means"
        )
    return ar2_coefficients(float(fit.x[0]), float(fit.x[1]))


def ar1_phi_for_residual(lag1: float) -> float:
    """φ of the hourly AR(1) whose residual about its daily means has the lag-1 autocorrelation
    ``lag1`` (:func:`residual_lags_of` with ``r2 = r1²``), within 0 … 0.999 (the ends where
    ``lag1`` is beyond what an AR(1) reaches)."""
    from scipy import optimize

    def gap(phi: float) -> float:
        return residual_lags_of(phi, phi * phi)[0] - lag1

    lo, hi = 0.0, 0.999
    if gap(lo) >= 0.0:
        return lo
    if gap(hi) <= 0.0:
        return hi
    return float(optimize.brentq(gap, lo, hi, xtol=1e-6))


def dew_hourly_phi(daily: np.ndarray, hourly_sd: float, draws: np.ndarray, month: np.ndarray, lag1: float) -> float:
    """φ of the dew point's within-day AR(1) such that the drawn hourly anomaly has the residual
    lag-1 autocorrelation ``lag1`` (``t_dew_hourly_lag1``).

    Parameters
    ----------
    daily : numpy.ndarray
        The hourly interpolation of the daily dew-point anomaly, K (its within-day slopes are part
        of the residual about the day's curve).
    hourly_sd : float
        SD of the within-day AR(1), K (``t_dew_hourly_sd_c``).
    draws : numpy.ndarray
        The AR(1)'s ``n + 1`` normal draws (:func:`_ar1_of`).
    month : numpy.ndarray of int
        Month of each day, 0 … 11.
    lag1 : float
        The record's residual lag-1.

    Returns
    -------
    float
        ``φ1``: with ``φ0`` = :data:`DEW_HOURLY_LAG1`, the anomaly ``daily + hourly_sd AR(1; φ0)``
        has the residual lag-1 ``r0`` and the AR(1) alone ``ρ(φ0)`` (:func:`residual_lags_of`); the
        daily part adds ``r0 − ρ(φ0)``, so ``φ1`` is :func:`ar1_phi_for_residual` of
        ``lag1 − (r0 − ρ(φ0))`` (one linear step; assumption that the daily part's share does not
        change with φ).

    Notes
    -----
    The records' dew point about the day's curve is less persistent than the assumed φ = 0.9
    gives at Yinchuan and Dulles (residual lag-1 0.745 and 0.815 against the generated 0.805 and
    0.837), and its sign reverses as often as the record's only with the record's persistence
    (changes/gen14.readme.md).
    """
    from weather.validation import day_residual, residual_lags

    phi0 = DEW_HOURLY_LAG1
    r0 = residual_lags(day_residual(daily + hourly_sd * _ar1_of(draws, phi0), month), (1,))[0]
    return ar1_phi_for_residual(lag1 - (r0 - residual_lags_of(phi0, phi0 * phi0)[0]))


def _daily_anomaly(rng: np.random.Generator, n: int, lag1: float, lag2: float | None) -> tuple[np.ndarray, float]:
    """Unit-variance daily anomaly series and its :func:`_running_mean_inflation`.

    An AR(2) with the lag-1 and lag-2 autocorrelations when ``lag2`` is given, else an AR(1).
    """
    if lag2 is None:
        return _ar1(rng, n, lag1), _running_mean_inflation(lag1)
    phi1, phi2 = ar2_coefficients(lag1, lag2)
    return _ar2(rng, n, phi1, phi2), _running_mean_inflation(phi1, phi2=phi2)


def _daily_mean_variance_fraction(phi: float, hours: int = 24) -> float:
    """Share of a unit-variance hourly AR(1)'s variance that is in its means over ``hours``:
    ``Σ_i Σ_j φ^|i−j| / n²`` (0.50 for φ = 0.9 over a day)."""
    k = np.arange(hours)
    return float(np.sum(phi ** np.abs(k[:, None] - k[None, :])) / hours**2)


def _running_mean_inflation(phi: float, window: int = 31, phi2: float = 0.0) -> float:
    """Ratio SD(x) / SD(x − running mean of x) for an AR(1) (``phi2 = 0``) or AR(2) series.

    The variability statistics are SDs of anomalies about a centred ``window``-day running
    mean, which removes part of the variance of a persistent series; the generator's series
    needs its full SD. With the autocorrelations ``ρ_k`` (``φ^|k|`` for an AR(1)),
    ``Var(x − m) = σ² (1 − 2 S/w + S2/w²)`` where ``S = Σ_k ρ_k`` over the window and
    ``S2 = Σ_j Σ_k ρ_{j−k}``.
    """
    k = np.arange(window) - window // 2
    rho = _ar2_acf(phi, phi2, window)
    s1 = np.sum(rho[np.abs(k)])
    s2 = np.sum(rho[np.abs(k[:, None] - k[None, :])])
    return float(1.0 / np.sqrt(1.0 - 2.0 * s1 / window + s2 / window**2))


def _skewed(z: np.ndarray, skew: np.ndarray) -> np.ndarray:
    """Standard-normal values → zero-mean, unit-variance values with skewness ≈ ``skew``.

    Cornish–Fisher expansion to first order, ``y = z + γ (z² − 1) / 6``, rescaled to unit
    variance (``Var y = 1 + γ²/18``); accurate for |γ| ≲ 1.
    """
    g = np.asarray(skew, dtype=float)
    return (z + g * (z**2 - 1.0) / 6.0) / np.sqrt(1.0 + g**2 / 18.0)


SKEW_BOUND = VARIABILITY_RANGES["t_min_skew"][1]
"""Bound of the daily extremes' skewness, each way: the site files' range of ``t_max_skew`` and
``t_min_skew`` (what :func:`extreme_statistics` clips to) and of the skewness parameter the
generator draws for the minima (beyond about 1 the first-order Cornish–Fisher map of
:func:`_skewed` is no longer accurate; the map turns back at ``z = −3/γ``, beyond 3 SD on the
short side at 1 and beyond 2 SD at 1.5, where about 2 % of the draws fold back)."""


DIURNAL_ITERATIONS = 14
"""Corrections of the diurnal cycle's excursions until the monthly means of the generated daily
maxima and minima equal the normals, and of the daily anomaly's spread for what the dew-point
floor takes from it (after fourteen both residuals are below 0.02 K in most months; up to
0.1–0.3 K for the minima in humid months where the floor holds the nights up, e.g. Guangzhou)."""


SPREAD_GAIN_MAX = 4.0
"""Bound of the product of the diurnal loop's rescalings of the daily temperature anomaly (each
way). That loop only restores the spread of daily means which the diurnal cycle and the dew-point
floor take from the anomaly already scaled to ``t_daily_sd_c``; it is no contraction: where the
floor holds a month's nights, rescaling cannot restore the spread, and the anomaly, monthly mean
included, grows until the monthly shift lifts its one warm day out of any climate (64.6 °C in a
May with a monthly mean of 8 °C: temperature lags 0.24/0.79 with a dew-point pair no process has,
0.653/−0.866, which the AR(2) clipped to a nearly undamped series of SD 0.016). The ten library
sites, seeds 0–2, need 0.48 … 2.4 (assumption: 4 leaves room)."""


FRAC_BOUND = 0.1
"""Bounds of where the daily mean sits in the day's range with the daily maximum and minimum as
two variables, ``FRAC_BOUND … 1 − FRAC_BOUND`` (assumption; the normals of the ten library sites
put it at 0.2 … 0.5)."""


CLEARNESS_LAG1 = 0.3
"""Day-to-day autocorrelation of the daily clearness's normal score (assumption)."""


DTR_MIN = 0.5
"""Smallest daily temperature range, K (assumption: an overcast, foggy day still has some)."""


def extreme_anomalies(
    z_mean: np.ndarray, z_range: np.ndarray, sd_max: np.ndarray, sd_min: np.ndarray, corr: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Daily maximum and minimum anomalies with given spreads and correlation, K.

    Parameters
    ----------
    z_mean, z_range : numpy.ndarray
        Two uncorrelated standard series (days): the first drives the mean of the two anomalies,
        the second what is left of their difference.
    sd_max, sd_min : numpy.ndarray
        SD of the maximum's and the minimum's anomaly, K.
    corr : numpy.ndarray
        Their correlation, −1 … 1.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        ``(a_max, a_min)`` with SDs ``sd_max``, ``sd_min`` and correlation ``corr``.

    Notes
    -----
    A bivariate normal written by its mean ``m = (a_max + a_min)/2`` and the residual ``e`` of the
    regression of ``a_max`` on ``m``: ``a_max = β_x m + e``, ``a_min = β_n m − e`` (so the two sum
    to ``2m``), ``Var m = (σx² + σn² + 2rσxσn)/4``, ``β_x = (σx² + rσxσn)/(2 Var m)``,
    ``β_n = 2 − β_x``, ``Var e = σx² − (σx² + rσxσn)²/(4 Var m)``. This is Richardson's (1981)
    multivariate model of the daily maximum and minimum (WGEN) with the lag structure of the
    driving series (the cross-correlations at lag 1 are ``r`` times the lag-1 autocorrelation).
    """
    cov_x = sd_max**2 + corr * sd_max * sd_min  # 2 Cov(a_max, m)
    var_m = np.maximum(0.25 * (sd_max**2 + sd_min**2 + 2.0 * corr * sd_max * sd_min), 1e-12)
    beta_x = cov_x / (2.0 * var_m)
    m = np.sqrt(var_m) * z_mean
    e = np.sqrt(np.maximum(sd_max**2 - cov_x**2 / (4.0 * var_m), 0.0)) * z_range
    return beta_x * m + e, (2.0 - beta_x) * m - e


_SAS_DELTA = np.logspace(-0.3, 1.3, 321)


@functools.cache
def _sas_moments() -> tuple[np.ndarray, np.ndarray]:
    """SD and excess kurtosis of ``sinh(asinh(Z)/δ)``, ``Z`` standard normal, on :data:`_SAS_DELTA`
    (Gauss–Hermite quadrature, 120 nodes); the kurtosis decreases with δ."""
    x, w = np.polynomial.hermite_e.hermegauss(120)
    w = w / w.sum()
    y = np.sinh(np.arcsinh(x)[None, :] / _SAS_DELTA[:, None])
    var = (w * y**2).sum(axis=1)
    return _frozen(np.sqrt(var)), _frozen((w * y**4).sum(axis=1) / var**2 - 3.0)


def light_tails(z: np.ndarray, kurtosis: float) -> np.ndarray:
    """Standard-normal values → zero-mean, unit-variance symmetric values with excess kurtosis ``kurtosis``.

    Parameters
    ----------
    z : numpy.ndarray
        Standard-normal values.
    kurtosis : float
        Target excess kurtosis, −0.85 … 3 (0 returns ``z`` unchanged up to rounding).

    Returns
    -------
    numpy.ndarray
        ``sinh(asinh(z)/δ) / SD`` (the symmetric sinh-arcsinh family of Jones & Pewsey 2009,
        Biometrika 96, 761): δ > 1 gives lighter tails than a normal's (down to −0.86 as
        δ → ∞), δ < 1 heavier; monotone in ``z``, so ranks and persistence are kept.
    """
    sd, kurt = _sas_moments()
    delta = float(np.interp(kurtosis, kurt[::-1], _SAS_DELTA[::-1]))
    return np.sinh(np.arcsinh(z) / delta) / float(np.interp(delta, _SAS_DELTA, sd))


def _skew_step(parameter: np.ndarray, target: np.ndarray, daily: np.ndarray, month: np.ndarray) -> np.ndarray:
    """One correction of the monthly skewness parameter of :func:`_skewed` towards ``target``.

    The generated :func:`neighbour_skew` of ``daily`` is over each month and its neighbours, so the
    step is its gap averaged the same way (a step by each month's own gap grows month-to-month
    alternations), and the parameter stays within ±:data:`SKEW_BOUND`.
    """
    gap = target - neighbour_skew(daily, month)
    return np.clip(parameter + _with_neighbours(gap) / 3.0, -SKEW_BOUND, SKEW_BOUND)


def _spread_gain(
    anomaly: np.ndarray,
    clim: np.ndarray,
    month: np.ndarray,
    normal: np.ndarray,
    target: np.ndarray,
    year: int,
    spread_of: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None,
) -> np.ndarray:
    """Daily factor by which ``anomaly`` is rescaled until the spread of ``clim + anomaly`` (each
    month shifted to ``normal``) is ``target`` in every month (:func:`daily_anomaly_sd`;
    :data:`SPREAD_ITERATIONS` rescalings)."""
    gain = np.ones_like(anomaly)
    for _ in range(SPREAD_ITERATIONS):
        spread = (spread_of or daily_anomaly_sd)(monthly_correction(clim + anomaly * gain, month, normal), month)
        gain = gain * mean_preserving_daily(target / np.maximum(spread, 0.05), year)
    return gain


def _spread_to(
    anomaly: np.ndarray,
    clim: np.ndarray,
    month: np.ndarray,
    normal: np.ndarray,
    target: np.ndarray,
    year: int,
    spread_of: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None,
) -> np.ndarray:
    """``anomaly`` rescaled by :func:`_spread_gain`."""
    return anomaly * _spread_gain(anomaly, clim, month, normal, target, year, spread_of)


def _bounded_gain(gain: np.ndarray, factor: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The gain after ``factor`` and the factor, so that the gain stays within
    ``1/SPREAD_GAIN_MAX … SPREAD_GAIN_MAX``."""
    bounded = np.clip(gain * factor, 1.0 / SPREAD_GAIN_MAX, SPREAD_GAIN_MAX)
    factor = np.where(bounded != gain * factor, bounded / gain, factor)
    return gain * factor, factor


DEW_HOURLY_LAG1 = 0.9
"""Hour-to-hour autocorrelation of the within-day dew-point fluctuation (assumption)."""


WIND_HOURLY_LAG1 = 0.9
"""Hour-to-hour autocorrelation of the wind's normal score without ``wind_hourly_lag1`` /
``wind_hourly_lag2`` (assumption)."""


DEW_POINT_MAX_C = 35.0
"""Upper bound of the generated dew point, °C: the highest dew point reported anywhere, 35 °C at
Dhahran on 8 July 2003 (assumption: the widely cited figure, not checked against the WMO archive
of weather extremes). A Gaussian anomaly has no bound; the air's moisture has one."""


SPREAD_ITERATIONS = 20
"""Rescalings of the daily temperature anomaly until each month's spread of daily means equals
``t_daily_sd_c``, before the diurnal cycle is fitted (the month-to-month smoothing of the scale
factor makes this a slow fixed point; twenty bring it within 0.01 K)."""


DEW_DIP_DEFAULT = (0.06, 0.15, 0.11, 0.37, 0.16, 0.3, 0.12, 0.32, 0.18, 0.14, 0.02, 0.03)
"""κ, the fall of the dew point per K of afternoon warming above the daily mean, per month, for
sites whose normals give no mean daily minimum RH: assumption, the month-by-month mean of the κ
that the five reference sites' normals give (seed 0)."""

DEW_DIP_ITERATIONS = 5
"""Corrections of κ until the generated mean daily minimum RH equals the normal (and of λ until
the hottest hours' dew point is the record's ``t_dew_hot_c``)."""

HOT_HOURS_PERCENTILE = 97.0
"""A month's hottest hours are those with the dry bulb at or above this percentile of the month's
hours: the top 3 %, about 22 h, the afternoons of its two or three hottest days (assumption: the
hours that make a year's 0.4 % cooling dry bulb, 35 h, lie in the hottest month or two)."""

HOT_RAMP_PERCENTILE = 90.0
"""The hot hours' extra fall of the dew point grows linearly with the dry bulb above this
percentile of the month's hours and is zero below it (assumption: a ramp over the top tenth, not
a step at the top 3 %)."""


DIP_SLOPE_MAX = DIP_SLOPE_BOUND
"""Bound of β, the change of the afternoon dip per SD of the day's dew point, K each way
(assumption: about the largest dip of the records' driest days, 3 K; one constant with
:data:`weather.dataset.DIP_SLOPE_BOUND`, which the site files' check reads)."""

HOT_DEW_SLOPE_MAX = 1.0
"""Bound of λ, the hot hours' extra change of the dew point per K of dry bulb above the month's top
tenth, each way: the bound of κ (assumption: the dew point changes at most as fast as the dry
bulb). Where it binds, the hottest hours' dew point stays off the record's: Qingyang, seed 0, in
five months by 2.6–9.2 K (June–October; in the other seven within 0.5 K); the other four sites'
years (seed 0) within 0.5 K in 38 of their 48 months."""

HOT_SLOPE_PERCENTILE = 98.0
"""The year's hottest hours for :func:`hot_dew_slope`: the dry bulb at or above this percentile of
the year's hours, the top 2 %, about 175 h (assumption: the hours about the 1 % and 0.4 % cooling
dry bulbs, whose coincident wet bulbs the slope sets)."""

DEW_SLOPE_ITERATIONS = 8
"""Passes of the dew point's fit (κ, λ, β and μ) when ``t_dew_hot_slope`` is given (else
:data:`DEW_DIP_ITERATIONS`): with eight steps of :data:`HOT_DEW_MU_STEP` the ten seeds' mean slope
is within 0.04 K per K of the record's at every site with a record (five such steps: up to 0.09,
seed-to-seed SD up to 0.14; assumption: measured on the five records)."""

HOT_DEW_MU_STEP = 0.5
"""Share of the slope's gap that μ takes in each pass: a full step oscillated against λ, which acts
on the same hours (Dulles's generated slope −0.84 … +0.27 over seeds 0–9 for the record's +0.27)."""

HOT_DEW_MU_MAX = 2.0
"""Bound of μ, the year's hottest hours' extra change of the dew point per K of dry bulb, each way
(assumption: the field's range, :data:`weather.dataset.VARIABILITY_RANGES`)."""


PEAK_FROZEN = 7
"""The diurnal loop's last iterations, in which the cycle's sharpness is held so that the
excursions converge on a fixed shape (the monthly means of the daily maxima and minima within
0.001 K of the normals, as without the sharpness)."""

PEAK_RESPONSE = 1.2
"""Approximate ``d ln H / d ln a`` of the hours near the maximum ``H`` (:func:`peak_hours`) against
:func:`sharpen`'s exponent ``a``, the step of its correction: near a peak, ``1 − S ∝ t²``, so the
hours within a tenth of the range scale as ``0.1^(1/(2a))``, ``ln 10 / 2 ≈ 1.15`` at ``a = 1``."""


def _monthly_percentile(values: np.ndarray, month: np.ndarray, q: float) -> np.ndarray:
    """Percentile ``q`` of ``values`` within each month, shape (12,)."""
    return np.array([np.percentile(values[month == m], q) for m in range(12)])


def hot_hour_dew_anomaly(t_db: np.ndarray, t_dp: np.ndarray, month: np.ndarray) -> np.ndarray:
    """Mean dew point of each month's hottest hours minus the month's mean dew point, K, shape (12,).

    Parameters
    ----------
    t_db, t_dp : numpy.ndarray
        Hourly dry bulb and dew point, °C.
    month : numpy.ndarray of int
        Month of each hour, 0 … 11.

    Returns
    -------
    numpy.ndarray
        Per month; the hottest hours have the dry bulb at or above the month's
        :data:`HOT_HOURS_PERCENTILE`. On a record it is ``t_dew_hot_c`` of :class:`Variability`;
        on a generated year, what the generator draws to it. Negative in arid summers (the
        hottest afternoons mix the driest air down), positive in winter (warm spells are
        advected moist air).
    """
    hot = t_db >= _monthly_percentile(t_db, month, HOT_HOURS_PERCENTILE)[month]
    n = np.bincount(month, minlength=12)
    n_hot = np.bincount(month, weights=hot, minlength=12)
    return (
        np.bincount(month, weights=t_dp * hot, minlength=12) / n_hot
        - np.bincount(month, weights=t_dp, minlength=12) / n
    )


def hot_dew_slope(t_db: np.ndarray, t_dp: np.ndarray) -> float:
    """Least-squares slope of the dew point on the dry bulb over the year's hottest hours, K per K.

    Parameters
    ----------
    t_db, t_dp : numpy.ndarray
        Hourly dry bulb and dew point of a year, °C.

    Returns
    -------
    float
        The slope over the hours with the dry bulb at or above the year's
        :data:`HOT_SLOPE_PERCENTILE`. On a record it is ``t_dew_hot_slope`` of
        :class:`Variability`; on a generated year, what the generator draws to it.

    Notes
    -----
    ``b = Σ (T − T̄)(T_d − T̄_d) / Σ (T − T̄)²`` over those hours. Negative where the year's hottest
    hours are dry air mixed down or advected (the arid summers), positive where heat comes with
    moist air; whether the hourly coincident wet bulb at the 1 % dry bulb lies above or below that
    of the hotter hours follows its sign (the mean coincident wet bulb, ASHRAE Handbook —
    Fundamentals, ch. 14).
    """
    hot = t_db >= np.percentile(t_db, HOT_SLOPE_PERCENTILE)
    x = t_db[hot] - t_db[hot].mean()
    return float((x * (t_dp[hot] - t_dp[hot].mean())).sum() / max(float((x * x).sum()), 1e-9))


def dew_dip_slope(t_db: np.ndarray, t_dp: np.ndarray, month: np.ndarray) -> np.ndarray:
    """Slope of the afternoon dew-point dip on the day's standardised dew point, K per SD, shape (12,).

    Parameters
    ----------
    t_db, t_dp : numpy.ndarray
        Hourly dry bulb and dew point of whole days, °C (24 values a day; any subset of a
        record's days, e.g. the first half of each month for a split-sample check).
    month : numpy.ndarray of int
        Month of each day, 0 … 11.

    Returns
    -------
    numpy.ndarray
        Per month, the least-squares slope of the dip (the dew point at the hour of the day's
        maximum dry bulb minus the day's mean dew point) on ``z``, the day's mean dew point
        minus its month's mean, divided by the month's SD of daily means; over the days of the
        month and its two neighbours (about 90 days: one month's 30 scatter too much). On a
        record it is ``t_dew_dip_slope`` of :class:`Variability`; on a generated year, what the
        generator draws to it. Positive where humid days dry less in the afternoon than dry
        days (Qingyang's summer: 0.5–0.9 K per SD).
    """
    t, d = t_db.reshape(-1, 24), t_dp.reshape(-1, 24)
    mean = d.mean(axis=1)
    dip = d[np.arange(d.shape[0]), t.argmax(axis=1)] - mean
    z = _about_month_mean(mean, month) / np.maximum(monthly_sd(mean, month), 1e-6)[month]
    sums = [np.bincount(month, weights=w, minlength=12) for w in (np.ones_like(z), z, dip, z * z, z * dip)]
    n, sz, sd, szz, szd = (_with_neighbours(x) for x in sums)
    return (szd - sz * sd / n) / (szz - sz * sz / n)


DEPRESSION_PERCENTILE = 10.0
"""The percentile of a month's hourly dew-point depressions that ``t_dew_depression_p10`` gives
(:func:`depression_low_ratio`; assumption: low enough to describe the hours near saturation — RH
95 % is a depression of 0.7–0.9 K — and high enough that the records' rounding of both temperatures
to 0.1 K does not decide it: their 5th percentile is 0.0 K in five months, the 10th in two)."""


def depression_low_ratio(
    t_db: np.ndarray, t_dp: np.ndarray, month: np.ndarray, percentile: float = DEPRESSION_PERCENTILE
) -> np.ndarray:
    """Each month's low percentile of the hourly dew-point depression over its mean depression, shape (12,).

    Parameters
    ----------
    t_db, t_dp : numpy.ndarray
        Hourly dry bulb and dew point, °C.
    month : numpy.ndarray of int
        Month of each hour, 0 … 11.
    percentile : float
        Which percentile, %.

    Returns
    -------
    numpy.ndarray
        Per month, the ``percentile`` th percentile of ``t_db − t_dp`` divided by
        its mean (0 where the mean is not positive). On a record it is ``t_dew_depression_p10`` of
        :class:`Variability` (the records': 0.01 … 0.56; Karamay's months 0.34 … 0.56, Qingyang's
        and Dulles's mostly 0.1 … 0.2); on a generated year, what the generator draws to it. As a
        share of the mean depression (which the normals give: mean dry bulb − mean dew point) it
        describes the shape of the depression's distribution, not its level.
    """
    dep = t_db - t_dp
    mean = np.bincount(month, weights=dep, minlength=12) / np.bincount(month, minlength=12)
    low = _monthly_percentile(dep, month, percentile)
    return np.where(mean > 0.0, low / np.where(mean > 0.0, mean, 1.0), 0.0)


DEPRESSION_TAIL_POWER = 0.5
"""The power of the rank in :func:`positive_depression` below the 10th percentile without
``t_dew_depression_p05`` (assumption, from the five records: their 1st and 5th percentiles are
0.34 and 0.72 of the 10th, the median over the months whose 10th percentile is above 0.3 K; the
square root gives 0.32 and 0.71)."""

DEPRESSION_TAIL_POWER_MAX = 8.0
"""The largest power of the rank below the 10th percentile: a month whose 5th percentile is 0 (a
record with more than 5 % of its hours saturated; Qingyang's March, Dulles's August) keeps its
drawn depression there (``(rank / p)^8`` is below 0.4 % of ``low`` at half the percentile)."""

DEPRESSION_BODY_POWER = 0.3
"""The power of the rank in :func:`positive_depression` above the 10th percentile (assumption: below
the flattest record's body, Karamay's, whose 25th and 50th percentiles are 1.45 and 2.11 of the
10th, powers 0.41 and 0.46 of the rank; the five records' median 1.94 and 3.71, 0.72 and 0.81), so
that the floor there lifts only a body of hours drawn more humid than any record's."""


DEPRESSION_FLOOR_MAX = 1.0
"""The highest floor of :func:`positive_depression`, K: the floor shapes the hours near saturation
(RH ≥ 95 % is a depression below 0.7–0.9 K, RH ≥ 87 % below 2 K at 20 °C) and leaves the drier
hours as drawn (assumption). Without it, an arid summer's floor (Karamay's August 10th percentile
7.4 K) lifted the humid hours that make the generated 0.4 % wet bulb (twenty seeds −0.49 → −0.60 K)."""


def depression_tail_power(p05: Any, p10: Any) -> np.ndarray:
    """The power of the rank below the 10th percentile from a month's 5th and 10th percentiles.

    ``ln(p05 / p10) / ln ½``, within 0.1 … :data:`DEPRESSION_TAIL_POWER_MAX` (the largest where
    ``p05`` is 0), :data:`DEPRESSION_TAIL_POWER` where ``p10`` is 0.
    """
    p05, p10 = np.broadcast_arrays(np.asarray(p05, dtype=float), np.asarray(p10, dtype=float))
    with np.errstate(divide="ignore", invalid="ignore"):
        power = np.log(p05 / p10) / np.log(0.5)
    power = np.where(p05 <= 0.0, DEPRESSION_TAIL_POWER_MAX, power)
    return np.where(p10 > 0.0, np.clip(power, 0.1, DEPRESSION_TAIL_POWER_MAX), DEPRESSION_TAIL_POWER)


def depression_rank(raw: np.ndarray, month: np.ndarray) -> np.ndarray:
    """Each hour's rank by ``raw`` within its month, as a share of the month's hours, ``(r + ½) / n``."""
    raw = np.asarray(raw, dtype=float)
    month = np.asarray(month)
    order = np.lexsort((raw, month))
    counts = np.bincount(month, minlength=12)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    rank = np.empty(raw.size)
    rank[order] = np.arange(raw.size) - starts[month[order]]
    return (rank + 0.5) / counts[month]


def depression_step_sd(t_db: np.ndarray, t_dp: np.ndarray, below: float = DEPRESSION_FLOOR_MAX) -> float:
    """SD of the hour-to-hour change of the dew-point depression near saturation, K.

    Parameters
    ----------
    t_db, t_dp : numpy.ndarray
        Hourly dry bulb and dew point, °C, in time order.
    below : float
        Only pairs of consecutive hours whose depressions ``t_db − t_dp`` are both below it, K
        (:data:`DEPRESSION_FLOOR_MAX`: the depressions :func:`positive_depression`'s floor gives).

    Returns
    -------
    float
        ``sqrt(mean(ΔD²))`` over those pairs (0 with none): ``t_dew_depression_step_sd_c`` of
        :class:`Variability`. The records': Gui'an 0.19, Qingyang 0.22, Dulles 0.24, Yinchuan
        0.26 K; Karamay's interpolated dew point 0.10 K.

    Notes
    -----
    Near saturation the record's depression is not a smooth function of the dry bulb: air of
    another humidity is mixed in from hour to hour, and dew, fog and rime take and give back
    vapour (Stull, *Meteorology for Scientists and Engineers*, on radiation fog), so the dew point
    does not follow the night's smooth fall. The change's root mean square (not its SD about a
    mean) is taken: its mean over the pairs is a trend of the few hours, not a fluctuation.
    """
    dep = np.asarray(t_db, dtype=float) - np.asarray(t_dp, dtype=float)
    pair = (dep[1:] < below) & (dep[:-1] < below)
    step = np.diff(dep)[pair]
    return float(np.sqrt(np.mean(step**2))) if step.size else 0.0


def positive_depression(
    raw: np.ndarray, rank: np.ndarray, month: np.ndarray, low: Any, power: Any, jitter: np.ndarray | None = None
) -> np.ndarray:
    """The dew-point depression from a positive distribution whose low percentile is ``low``, K.

    Parameters
    ----------
    raw : numpy.ndarray
        Dry bulb minus dew point as drawn, hourly, K (negative where the dew point was drawn above
        the dry bulb).
    rank : numpy.ndarray
        Each hour's rank by ``raw`` within its month, a share of the month's hours
        (:func:`depression_rank`).
    month : numpy.ndarray of int
        Month of each hour, 0 … 11.
    low : array_like, shape (12,)
        The depression's :data:`DEPRESSION_PERCENTILE` th percentile wanted per month, K
        (``t_dew_depression_p10`` times the normals' mean depression).
    power : array_like, shape (12,)
        The power of the rank below that percentile per month (:func:`depression_tail_power`).
    jitter : numpy.ndarray, optional
        The floor's hourly fluctuation, K (zero mean, independent from hour to hour: white noise
        of SD ``t_dew_depression_step_sd_c / √2``, whose hour-to-hour change has the record's SD);
        absent, none.

    Returns
    -------
    numpy.ndarray
        ``max(raw, |min(low (rank / p)^b, F) + jitter|, 0)``, K, ``p`` = 0.1, ``b`` the month's
        ``power`` below ``p`` and the smaller of it and :data:`DEPRESSION_BODY_POWER` above, ``F``
        :data:`DEPRESSION_FLOOR_MAX`: positive where ``low > 0``; with ``low = 0``, ``max(raw, 0)``
        (the dew point capped at the dry bulb).

    Notes
    -----
    The floor ``low (rank / p)^b`` is the quantile function of a positive distribution whose
    ``p``-quantile is ``low`` and whose cumulative distribution below it is ``p (D / low)^(1/b)``
    (from the record's 5th and 10th percentiles; the form is an assumption). Both the floor and
    ``raw`` increase with the rank, so the result does: the most humid hours stay the most humid,
    and an hour drawn drier than the floor (the hot afternoons of the design conditions, the
    body of a month's hours: :data:`DEPRESSION_BODY_POWER`) is unchanged. A cap at the dry bulb
    (``low = 0``) puts every hour whose dew point is drawn above the dry bulb at exactly 100 % RH.
    The rank is within the calendar month, so a humid hour's floor can change at 00:00 on the 1st
    by up to the difference of two months' ``low``.

    Where the floor binds, the dew point is the dry bulb minus the floor; as a function of the
    rank alone it follows the dry bulb's smooth fall through the night, where the record's dew
    point near saturation keeps an hourly fluctuation of its own (:func:`depression_step_sd`).
    ``jitter`` gives it one: the floor moves by it from hour to hour, reflected at zero (the dew
    point stays at or below the dry bulb without piling hours at saturation; the reflected
    fluctuation's mean is ``|j|``'s, above zero, which the monthly mean's restoring shift takes
    back). The form, white noise about the rank's floor, is an assumption.
    """
    return np.maximum(np.maximum(np.asarray(raw, dtype=float), depression_floor(rank, month, low, power, jitter)), 0.0)


def depression_floor(
    rank: np.ndarray, month: np.ndarray, low: Any, power: Any, jitter: np.ndarray | None = None
) -> np.ndarray:
    """The floor of :func:`positive_depression`, ``|min(low (rank / p)^b, F) + jitter|``, K (the
    arguments as there; it does not depend on ``raw``, so a loop over ``raw`` computes it once)."""
    month = np.asarray(month)
    low = np.maximum(np.asarray(low, dtype=float), 0.0)[month]
    power = np.asarray(power, dtype=float)[month]
    share = np.asarray(rank, dtype=float) / (DEPRESSION_PERCENTILE / 100.0)
    floor = low * share ** np.where(share <= 1.0, power, np.minimum(power, DEPRESSION_BODY_POWER))
    floor = np.minimum(floor, DEPRESSION_FLOOR_MAX)
    if jitter is not None:
        floor = np.abs(floor + np.where(low > 0.0, jitter, 0.0))
    return floor


def _fall_mean(p: np.ndarray) -> np.ndarray:
    """Mean over the fall of ``(½(1 + cos πφ))^p``, φ ∈ [0, 1]: ``Γ(p + ½) / (√π Γ(p + 1))``."""
    from scipy.special import gammaln

    return np.exp(gammaln(p + 0.5) - gammaln(p + 1.0) - 0.5 * np.log(np.pi))


_P_GRID = np.logspace(-2.0, 2.0, 801)


@functools.cache
def _m_grid() -> np.ndarray:
    """:func:`_fall_mean` on :data:`_P_GRID` (decreasing), computed at first use: scipy is not
    imported with the module."""
    return _frozen(_fall_mean(_P_GRID))


PEAK_FRACTION = 0.1
"""The top of a day's cycle, as a fraction of its range, whose hours :func:`peak_hours` counts
(assumption: within a tenth of the range of the maximum, about 1 K on a summer day)."""

_SHARP_GRID = np.logspace(np.log10(0.25), np.log10(4.0), 49)
_P_TABLE = np.logspace(-2.0, 2.0, 201)


def sharpen(s: np.ndarray, sharp: np.ndarray | float) -> np.ndarray:
    """Map a cycle's position ``s`` (0 at the minimum, 1 at the maximum) so that its odds are raised
    to the power ``sharp``: ``s^a / (s^a + (1 − s)^a)``.

    Symmetric (``1 − g(s) = g(1 − s)``), fixing 0, ½ and 1; ``a < 1`` shortens the time the cycle
    spends near both extremes, ``a > 1`` lengthens it, ``a = 1`` is the identity.
    """
    sa, ca = s**sharp, (1.0 - s) ** sharp
    return sa / (sa + ca)


@functools.cache
def _sharp_fall_table() -> np.ndarray:
    """Mean over the fall of ``sharpen((½(1 + cos πφ))^p, a)``, shape (a, p) on :data:`_SHARP_GRID`
    × :data:`_P_TABLE` (each row decreasing in p), by 200-point Gauss–Legendre quadrature."""
    x, w = np.polynomial.legendre.leggauss(200)
    phi, w = 0.5 * (x + 1.0), 0.5 * w
    base = (0.5 * (1.0 + np.cos(np.pi * phi)))[None, :] ** _P_TABLE[:, None]
    return _frozen(np.stack([sharpen(base, a) @ w for a in _SHARP_GRID]))


def _fall_exponent(m_target: np.ndarray, sharp: np.ndarray | None) -> np.ndarray:
    """The fall's exponent ``p`` whose (sharpened) fall has the mean ``m_target``."""
    if sharp is None:
        m_grid = _m_grid()
        return np.interp(np.clip(m_target, m_grid[-1], m_grid[0]), m_grid[::-1], _P_GRID[::-1])
    table = _sharp_fall_table()
    pos = np.interp(np.log(sharp), np.log(_SHARP_GRID), np.arange(_SHARP_GRID.size, dtype=float))
    lo = np.minimum(pos.astype(int), _SHARP_GRID.size - 2)
    w = pos - lo
    p = np.empty_like(m_target)
    for k in np.unique(lo):
        at = lo == k
        pk = [np.interp(m_target[at], table[j, ::-1], _P_TABLE[::-1]) for j in (k, k + 1)]
        p[at] = (1.0 - w[at]) * pk[0] + w[at] * pk[1]
    return p


def diurnal_shape(
    rising: np.ndarray,
    phase_rise: np.ndarray,
    phase_fall: np.ndarray,
    rise_len: np.ndarray,
    frac: np.ndarray,
    sharp: np.ndarray | None = None,
) -> np.ndarray:
    """Diurnal temperature cycle in units of the daily range, with zero daily mean.

    Parameters
    ----------
    rising : numpy.ndarray of bool
        Hours between sunrise (the minimum) and the maximum.
    phase_rise, phase_fall : numpy.ndarray
        Position within the rise (0 at sunrise, 1 at the maximum) and within the fall (0 at the
        maximum, 1 at the next sunrise).
    rise_len : numpy.ndarray
        Length of the rise, h (the fall lasts ``24 − rise_len``).
    frac : numpy.ndarray
        (daily mean − daily minimum) / daily range, 0 … 1: where the mean sits in the range.
    sharp : numpy.ndarray, optional
        Exponent ``a`` of :func:`sharpen`, 0.25 … 4 (None: 1, the plain cycle): below 1 the cycle
        passes its maximum and minimum quicker.

    Returns
    -------
    numpy.ndarray
        The cycle ``S − frac`` with ``S`` from 0 (minimum) to 1 (maximum), so its minimum is
        ``−frac``, its maximum ``1 − frac`` and its mean over a day ≈ 0.

    Notes
    -----
    The rise is a half cosine, ``S = ½(1 − cos πφ)``; the fall is ``S = (½(1 + cos πφ))^p``: with
    ``p = 1`` the symmetric half cosine, with ``p > 1`` a quick evening fall and a long flat
    night, the shape of nocturnal cooling (Parton & Logan 1981, Agric. Meteorol. 23, 205, use an
    exponential). Both are then mapped by :func:`sharpen`, which leaves the rise's mean at ½ (the
    rise is symmetric about its middle). ``p`` is the one that gives the day's mean ``frac``:
    ``rise_len/2 + (24 − rise_len) M(p) = 24 frac``, with the fall's mean
    ``M(p) = Γ(p + ½) / (√π Γ(p + 1))`` without sharpening, else from a quadrature table.
    ``frac`` comes from the normals (mean, mean daily maximum and minimum), so the asymmetry of
    the real cycle is kept.
    """
    fall_len = 24.0 - rise_len
    p = _fall_exponent((24.0 * frac - 0.5 * rise_len) / fall_len, sharp)
    s_rise = 0.5 * (1.0 - np.cos(np.pi * phase_rise))
    s_fall = (0.5 * (1.0 + np.cos(np.pi * phase_fall))) ** p
    s = np.where(rising, s_rise, s_fall)
    return (s if sharp is None else sharpen(s, sharp)) - frac


PEAK_HOUR_Z_MAX = 2.0
"""Bound of the standard normal score of a day's peak-hour shift, each way (assumption: the drawn
hours stay within two of the record's spreads of the mean hour)."""

PEAK_HOUR_SD_MAX = PEAK_HOUR_SD_BOUND
"""Largest spread of the drawn hours of the daily maximum, h (assumption). A month whose record has
many days with their maximum at midnight (a cold front in the day: Qingyang's March, 5.5 h) is
not a smooth daily cycle whose peak moves; drawing such a spread would put peaks at dawn. A
month's spread above it is drawn with it (:data:`weather.dataset.PEAK_HOUR_SD_BOUND`, which the
site files' check reads and warns of)."""

PEAK_HOUR_LATEST = 20.0
"""Latest solar hour of a drawn daily maximum, h (assumption: before sunset in the months that
have a daily cycle); the earliest is two hours after sunrise."""


def peak_hour_draws(seed: int, sunrise: np.ndarray, spread: Any, year: int) -> np.ndarray:
    """Each day's solar hour of the maximum dry bulb, shape (days,).

    Parameters
    ----------
    seed : int
        The year's seed; the draws come from their own stream (``[seed, 1]``), so a year's other
        draws do not change with them.
    sunrise : numpy.ndarray
        Solar hour of each day's sunrise.
    spread : sequence of 12 float or None
        Each month's SD of the hour of the daily maximum, h (``t_peak_hour_sd_h``, :func:`peak_hour_spread`
        of the record); None: :data:`T_MAX_SOLAR_HOUR` every day.
    year : int
        Calendar year (month lengths).

    Returns
    -------
    numpy.ndarray
        ``T_MAX_SOLAR_HOUR + s z`` with ``z`` standard normal, independent from day to day and
        clipped to ±:data:`PEAK_HOUR_Z_MAX`, ``s`` the month's spread (at most
        :data:`PEAK_HOUR_SD_MAX`) interpolated through the year (:func:`mean_preserving_daily`), within two hours after sunrise … :data:`PEAK_HOUR_LATEST`.
    """
    n = sunrise.size
    if spread is None:
        return np.full(n, T_MAX_SOLAR_HOUR)
    z = np.random.default_rng([seed, 1]).standard_normal(n).clip(-PEAK_HOUR_Z_MAX, PEAK_HOUR_Z_MAX)
    sd = np.clip(mean_preserving_daily(np.minimum(spread, PEAK_HOUR_SD_MAX), year), 0.0, PEAK_HOUR_SD_MAX)
    return np.clip(T_MAX_SOLAR_HOUR + sd * z, sunrise + 2.0, PEAK_HOUR_LATEST)


def peak_hour_spread(t_db: np.ndarray, month: np.ndarray) -> np.ndarray:
    """Each month's spread of the hour of the daily maximum dry bulb, h, shape (12,).

    The arguments are those of :func:`peak_hours` (whole days of local time, the month of each day).

    Returns
    -------
    numpy.ndarray
        The interquartile range of the hour (0 … 23) of each day's maximum divided by 1.349 (the
        SD of a normal distribution with that range): robust to the days whose maximum falls at
        midnight as a front passes, which a smooth daily cycle does not represent and which give
        the records' hour of the maximum SDs of 3–7 h. On a record it is ``t_peak_hour_sd_h`` of
        :class:`Variability`. NaN for a month without days.
    """
    hour = np.asarray(t_db, dtype=float).reshape(-1, 24).argmax(axis=1)
    iqr = [np.subtract(*np.percentile(hour[month == m], [75, 25])) if np.any(month == m) else np.nan for m in range(12)]
    return np.asarray(iqr) / 1.349


def peak_hours(t_db: np.ndarray, month: np.ndarray, fraction: float = PEAK_FRACTION) -> np.ndarray:
    """Mean hours per day within ``fraction`` of the day's range of its maximum, per month, shape (12,).

    Parameters
    ----------
    t_db : numpy.ndarray
        Hourly dry bulb of whole days (24 values each, local time), °C.
    month : numpy.ndarray of int
        Month of each day, 0 … 11.

    Returns
    -------
    numpy.ndarray
        On a record it is ``t_peak_hours`` of :class:`Variability`; on a generated year, what the
        generator draws to it. The maximum hour itself counts, so it is at least 1.
    """
    day = np.asarray(t_db, dtype=float).reshape(-1, 24)
    top, low = day.max(axis=1, keepdims=True), day.min(axis=1, keepdims=True)
    near = (day >= top - fraction * (top - low)).sum(axis=1)
    return np.bincount(month, weights=near, minlength=12) / np.bincount(month, minlength=12)


def monthly_sd(daily: np.ndarray, month: np.ndarray) -> np.ndarray:
    """SD per month of daily values about the month's mean, shape (12,), ``ddof = 1``: the spread
    of the daily maxima and minima of :class:`Variability` (``t_max_daily_sd_c``, ...)."""
    n = np.bincount(month, minlength=12)
    return np.sqrt(np.bincount(month, weights=_about_month_mean(daily, month) ** 2, minlength=12) / (n - 1))


def range_dew_pcorr(day_range: np.ndarray, dew: np.ndarray, t_mean: np.ndarray, month: np.ndarray) -> np.ndarray:
    """Partial correlation per month of the daily range with the day's mean dew point given its mean
    dry bulb, over the month and its two neighbours, shape (12,).

    Parameters
    ----------
    day_range : numpy.ndarray
        Range of the dry bulb of each day (maximum − minimum of its hours), K.
    dew, t_mean : numpy.ndarray
        Mean dew point and mean dry bulb of each day, °C.
    month : numpy.ndarray of int
        Month of each day, 0 … 11.

    Returns
    -------
    numpy.ndarray
        ``(r_rd − r_rt r_dt) / √((1 − r_rt²)(1 − r_dt²))`` of the three's deviations from their months'
        means, each correlation ``r`` over the days of months ``m − 1, m, m + 1`` (cyclic), as the
        other per-month fields of :class:`Variability` are taken (``tests/weather/range_dew.py``
        prints it for records and generated years).

    Notes
    -----
    The partial correlation (e.g. Wilks 2011, § 7.2) removes the part of the link that goes through
    the day's warmth (warm days have wider ranges and more humid air). What is left is negative in
    every month of the five records (−0.1 … −0.7): humid air brings cloud, which cuts the day's
    heating and the night's cooling (Dai, Trenberth & Karl 1999).
    """
    dev = [_about_month_mean(np.asarray(v, dtype=float), month) for v in (day_range, dew, t_mean)]

    def around(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return _with_neighbours(np.bincount(month, weights=a * b, minlength=12))

    var = [around(d, d) for d in dev]

    def corr(i: int, j: int) -> np.ndarray:
        return around(dev[i], dev[j]) / np.sqrt(np.maximum(var[i] * var[j], 1e-24))

    r_rd, r_rt, r_dt = corr(0, 1), corr(0, 2), corr(1, 2)
    return (r_rd - r_rt * r_dt) / np.sqrt(np.maximum((1.0 - r_rt**2) * (1.0 - r_dt**2), 1e-12))


def _with_neighbours(x: np.ndarray) -> np.ndarray:
    """Each month's value summed with its two neighbours' (cyclic: December beside January), for
    twelve monthly sums: the statistics over a month and its neighbours, and the fitting steps
    averaged the same way."""
    return np.roll(x, 1) + x + np.roll(x, -1)


def _about_month_mean(daily: np.ndarray, month: np.ndarray) -> np.ndarray:
    return daily - (np.bincount(month, weights=daily, minlength=12) / np.bincount(month, minlength=12))[month]


def neighbour_skew(daily: np.ndarray, month: np.ndarray) -> np.ndarray:
    """Skewness per month of daily values, each day's deviation from its month's mean over the
    month's SD, over the month and its two neighbours, shape (12,): ``t_max_skew`` and
    ``t_min_skew`` of :class:`Variability` (before :func:`extreme_statistics` clips them).

    Parameters
    ----------
    daily : numpy.ndarray
        One value per day (e.g. the daily minimum dry bulb, °C).
    month : numpy.ndarray of int
        Month of each day, 0 … 11.

    Returns
    -------
    numpy.ndarray
        ``g1 = m3 / m2^1.5`` (the biased sample skewness, ``scipy.stats.skew``'s default) of the
        standardised deviations of months ``m − 1, m, m + 1`` (cyclic), per month ``m``.
    """
    z = _about_month_mean(daily, month) / np.maximum(monthly_sd(daily, month), 1e-12)[month]
    s0, s1, s2, s3 = (_with_neighbours(np.bincount(month, weights=z**k, minlength=12)) for k in range(4))
    mean = s1 / s0
    m2 = s2 / s0 - mean**2
    m3 = s3 / s0 - 3.0 * mean * s2 / s0 + 2.0 * mean**3
    return m3 / np.maximum(m2, 1e-24) ** 1.5


def hourly_anomaly_skew(hourly: np.ndarray, month: np.ndarray) -> np.ndarray:
    """Skewness per month of hourly values about their centred 31-day (744-hour) running mean,
    shape (12,): ``t_dew_skew`` of :class:`Variability`.

    Parameters
    ----------
    hourly : numpy.ndarray
        One value per hour (e.g. the dew point, °C).
    month : numpy.ndarray of int
        Month of each hour, 0 … 11.

    Returns
    -------
    numpy.ndarray
        ``g1 = m3 / m2^1.5`` (the biased sample skewness, ``scipy.stats.skew``'s default) of each
        month's hours; the running mean is cut at the ends of the series (``min_periods=1``).
    """
    s = pd.Series(np.asarray(hourly, dtype=float))
    a = (s - s.rolling(31 * 24, center=True, min_periods=1).mean()).to_numpy()
    n = np.bincount(month, minlength=12)
    mean = np.bincount(month, weights=a, minlength=12) / n
    d = a - mean[month]
    m2 = np.bincount(month, weights=d**2, minlength=12) / n
    m3 = np.bincount(month, weights=d**3, minlength=12) / n
    return m3 / np.maximum(m2, 1e-24) ** 1.5


def daily_anomaly_sd(daily: np.ndarray, month: np.ndarray) -> np.ndarray:
    """SD per month of daily values about their centred 31-day running mean, shape (12,).

    The running mean is cut at the ends of the series (as pandas' ``min_periods=1``); the SD has
    ``ddof = 1``. This is the day-to-day spread of :class:`Variability` (``t_daily_sd_c``,
    ``t_dew_daily_sd_c``).
    """
    s = pd.Series(np.asarray(daily, dtype=float))
    return monthly_sd((s - s.rolling(31, center=True, min_periods=1).mean()).to_numpy(), month)


@functools.cache
def _calendar_system_inverse(leap: bool, per_day: int) -> np.ndarray:
    """The inverse of :func:`monthly_correction`'s 12 × 12 system for an added, unweighted
    correction: the monthly means of the basis, which depend on the calendar only."""
    month = np.repeat(_month_of_day(2020 if leap else 2021), per_day)
    rows, delta = _month_ramps(leap, per_day)
    counts = np.bincount(month, minlength=12)
    system = np.diag(counts.astype(float)) + np.eye(12)[month[rows]].T @ delta
    inverse = np.linalg.inv(system / counts[:, None])
    inverse.flags.writeable = False
    return inverse


def monthly_correction(
    values: np.ndarray,
    month: np.ndarray,
    target: Any,
    *,
    weights: np.ndarray | None = None,
    scale: bool = False,
) -> np.ndarray:
    """``values`` corrected so that each month's (weighted) mean is ``target``, by a correction that
    is smooth through the year (no step at the start of a month).

    Parameters
    ----------
    values : numpy.ndarray
        Daily or hourly values of one calendar year from 1 January (365 or 366 days, whole days;
        another span is refused: the ramps sit at the calendar's month starts).
    month : numpy.ndarray of int
        Month of each value, 0 … 11.
    target : array_like, shape (12,)
        The required monthly (weighted) means.
    weights : numpy.ndarray, optional
        Weight of each value in its month's mean (default 1).
    scale : bool
        False: add the correction; True: multiply by it (a positive quantity: irradiance, wind).

    Returns
    -------
    numpy.ndarray
        The corrected values; their monthly means equal ``target`` to rounding.

    Notes
    -----
    The correction is ``c(t) = Σ_j c_j B_j(t)`` with ``B_j`` month ``j``'s trapezoid
    (:func:`_month_ramps`: constant inside the month, linear ramps :data:`MONTH_BLEND_DAYS` wide
    across its start and end), so it is continuous through the year; the twelve ``c_j`` solve the
    periodic 12 × 12 linear system that the monthly means impose,
    ``Σ_j c_j Σ_{t∈m} w_t B_j(t) / W_m = target_m − mean_m`` (added) or
    ``Σ_j c_j Σ_{t∈m} w_t x_t B_j(t) / W_m = target_m`` (multiplied). A constant per month (what a
    correction was before) steps at every month's start: a falling night rose 2–4 K at 00:00 on the
    1st. A mean-preserving spline through the year (tried) is smooth but varies within the month,
    which adds to a month's spread of daily values what its neighbours' corrections differ by (and
    the spread's rescaling then takes from the day-to-day anomaly). A multiplying correction below
    zero anywhere (a month whose values are all zero) is the constant per month instead; a month
    whose weights are all zero (a polar night's clear-sky irradiance) is weighted evenly.
    """
    values = np.asarray(values, dtype=float)
    target = np.asarray(target, dtype=float)
    month = np.asarray(month)
    if month.size == 0 or month[0] != 0 or month[-1] != 11 or np.any(np.diff(month) < 0):
        raise ValueError("monthly_correction takes the values of one calendar year from 1 January to 31 December")
    counts = np.bincount(month, minlength=12)
    per_day = int(counts[0]) // 31
    leap = bool(counts[1] == 29 * per_day)
    rows, delta = _month_ramps(leap, per_day)

    def curve(levels: np.ndarray) -> np.ndarray:
        out = levels[month]
        out[rows] += delta @ levels
        return out

    if weights is None and not scale:
        # Added and unweighted: the system depends on the calendar only.
        means = np.bincount(month, weights=values, minlength=12) / counts
        return values + curve(_calendar_system_inverse(leap, per_day) @ (target - means))
    w = np.ones_like(values) if weights is None else np.asarray(weights, dtype=float)
    total = np.bincount(month, weights=w, minlength=12)
    if np.any(total <= 0.0):  # a month its weights leave out (a polar night's clear-sky day): unweighted
        w = np.where((total <= 0.0)[month], 1.0, w)
        total = np.bincount(month, weights=w, minlength=12)
    means = np.bincount(month, weights=values * w, minlength=12) / total
    weighted = w * values if scale else w
    # The monthly means of the basis: the months' own (weighted) sums, moved by the ramps.
    system = np.diag(np.bincount(month, weights=weighted, minlength=12)) + np.eye(12)[month[rows]].T @ (
        weighted[rows, None] * delta
    )
    system = system / total[:, None]
    if not scale:
        return values + curve(np.linalg.solve(system, target - means))
    try:
        factor = curve(np.linalg.solve(system, target))
    except np.linalg.LinAlgError:  # a month whose values are all zero
        factor = np.full(values.size, -1.0)
    if not np.all(np.isfinite(factor)) or np.min(factor) < 0.0:
        factor = (target / np.maximum(means, 1e-12))[month]
    return values * factor


def clear_sky_ghi(
    time: pd.DatetimeIndex,
    zenith: np.ndarray,
    latitude: float,
    longitude: float,
    utc_offset_h: float,
    elevation: float,
) -> np.ndarray:
    """Hourly clear-sky global horizontal irradiance, W/m², at the hours' mid-points.

    Parameters
    ----------
    time : pandas.DatetimeIndex
        Hour starts, local standard time (naive).
    zenith : numpy.ndarray
        Apparent solar zenith at the hours' mid-points, degrees (:func:`weather.dataset.solar_position`).
    latitude, longitude : float
        Degrees north / east.
    utc_offset_h : float
        Local standard time offset, h.
    elevation : float
        m above sea level.

    Returns
    -------
    numpy.ndarray
        GHI, W/m²; 0 with the sun below the horizon.

    Notes
    -----
    Ineichen & Perez (2002) clear sky with pvlib's Linke turbidity climatology, the absolute air
    mass at the elevation's standard pressure and the extraterrestrial irradiance of the day.
    :func:`typical_year` clips each month's clearness against it, and
    :func:`twin.engine.year_to_year.clear_sky_month_kwh_m2` caps a perturbed month's GHI with it.
    """
    import pvlib

    mid_utc = (time + pd.Timedelta(minutes=30) - pd.Timedelta(hours=utc_offset_h)).tz_localize("UTC")
    linke = pvlib.clearsky.lookup_linke_turbidity(mid_utc, latitude, longitude).to_numpy()
    am = pvlib.atmosphere.get_relative_airmass(zenith)
    am_abs = pvlib.atmosphere.get_absolute_airmass(am, float(psy.pressure_from_elevation(elevation)))
    dni_extra = np.asarray(pvlib.irradiance.get_extra_radiation(time.dayofyear.to_numpy()), dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):  # the sun below the horizon gives NaN
        cs = pvlib.clearsky.ineichen(zenith, am_abs, linke, altitude=elevation, dni_extra=dni_extra)
    return np.nan_to_num(np.asarray(cs["ghi"], dtype=float))


def typical_year(
    normals: MonthlyNormals,
    *,
    latitude: float,
    longitude: float,
    elevation: float,
    utc_offset_h: float,
    seed: int = 0,
    year: int = 2021,
    variability: Variability | Mapping[str, Any] | None = None,
    name: str = "generated",
) -> tuple[xr.Dataset, dict[str, Any]]:
    """Generate an hourly weather year from monthly normals.

    Parameters
    ----------
    normals : MonthlyNormals
        Twelve monthly values of ``t_mean_c``, ``t_max_daily_mean_c``, ``t_min_daily_mean_c``
        (°C), ``t_dew_mean_c`` (°C), ``rh_mean_pct`` (%, informative only), ``wind10m_mean_ms``
        (m/s) and ``ghi_kwh_m2`` (kWh/m² per month).
    latitude, longitude : float
        Degrees north / east.
    elevation : float
        m above sea level (pressure, clear-sky irradiance).
    utc_offset_h : float
        Local standard time offset, h.
    seed : int
        Random seed; the same seed gives the same year, bit for bit.
    year : int
        Calendar year of the time axis (a leap year gives 8784 h).
    variability : Variability, optional
        Day-to-day statistics; default :data:`DEFAULT_VARIABILITY`.
    name : str
        Name stored in the metadata.

    Returns
    -------
    (xarray.Dataset, dict)
        The standard weather Dataset (see :mod:`weather.dataset`) and metadata
        (``format = "generated"``, ``seed``, ``variability_source``).
    """
    import pvlib
    from scipy import stats

    var = as_variability(variability) if variability is not None else DEFAULT_VARIABILITY
    rng = np.random.default_rng(seed)
    g = {k: np.asarray(getattr(normals, k), dtype=float) for k in MonthlyNormals.__annotations__}
    for k, v in g.items():
        if v.shape != (12,) or not np.all(np.isfinite(v)):
            raise WeatherError(f"normals.{k} must be 12 finite monthly values, got {v!r}")

    mon_d = _month_of_day(year)
    n_days = mon_d.size
    time = pd.date_range(f"{year}-01-01", periods=24 * n_days, freq="h")
    mon_h = np.repeat(mon_d, 24)
    hour = np.tile(np.arange(24.0), n_days)
    doy = np.repeat(np.arange(1, n_days + 1), 24)

    # --- sun and clear sky (hourly, mid-interval) --------------------------------------------
    sp = solar_position(time, latitude, longitude, utc_offset_h)
    zen = sp["apparent_zenith"].to_numpy()
    ghi_clear = clear_sky_ghi(time, zen, latitude, longitude, utc_offset_h, elevation)

    # --- daily clearness ----------------------------------------------------------------------
    clear_day = ghi_clear.reshape(n_days, 24).sum(axis=1)  # Wh/m2 per day
    clear_month = np.bincount(mon_d, weights=clear_day, minlength=12) / 1000.0  # kWh/m2
    k_month = np.clip(g["ghi_kwh_m2"] / np.maximum(clear_month, 1e-9), 0.02, 1.0)
    kd_mean = np.clip(mean_preserving_daily(k_month, year), 0.02, 1.0)
    nu = 3.0  # beta concentration: SD of daily clearness ≈ √(K(1−K)/4), assumption
    a_par, b_par = kd_mean * nu, (1.0 - np.minimum(kd_mean, 0.985)) * nu
    z_k = _ar1(rng, n_days, CLEARNESS_LAG1)  # the day's clearness as a normal score
    u = stats.norm.cdf(z_k)
    k_d = stats.beta.ppf(u, a_par, b_par)
    for _ in range(10):  # each month's clear-sky-weighted mean clearness = K_month, k ≤ 1
        k_d = np.clip(monthly_correction(k_d, mon_d, k_month, weights=clear_day, scale=True), 0.02, 1.0)
    # Hourly fluctuation on partly cloudy days (lognormal, mean 1).
    sig_h = 0.6 * np.repeat(k_d * (1.0 - k_d), 24)
    z_h = _ar1(rng, time.size, 0.6)
    ghi = ghi_clear * np.repeat(k_d, 24) * np.exp(sig_h * z_h - 0.5 * sig_h**2)
    ghi = np.minimum(ghi, 1.05 * ghi_clear)
    ghi = monthly_correction(ghi, mon_h, 1000.0 * g["ghi_kwh_m2"] / np.bincount(mon_h, minlength=12), scale=True)

    # --- temperature ----------------------------------------------------------------------------
    t_clim = mean_preserving_daily(g["t_mean_c"], year)
    dtr_clim = np.maximum(mean_preserving_daily(g["t_max_daily_mean_c"] - g["t_min_daily_mean_c"], year), 0.5)
    z_t, inflation = _daily_anomaly(rng, n_days, var.t_daily_lag1, var.t_daily_lag2)
    # Like a typical year's months, chosen for daily values distributed as in the long record,
    # each month's spread of daily values is the record's: the anomaly is rescaled until the
    # spread (each month shifted to its normal) equals it, first here and then, for what the
    # diurnal cycle and the dew-point floor add, in the loop below.
    extremes = var.t_max_daily_sd_c is not None
    if extremes:
        # The daily maximum and minimum as two variables (Richardson 1981): anomalies with the
        # record's spreads and correlation, their mean driven by z_t (the dew point keeps its
        # correlation with the day's temperature), their difference by the day's clearness.
        targets = [np.asarray(x, dtype=float) for x in (var.t_max_daily_sd_c, var.t_min_daily_sd_c)]
        normal_x, normal_n = g["t_max_daily_mean_c"], g["t_min_daily_mean_c"]
        sd_x, sd_n = (mean_preserving_daily(x, year) for x in targets)
        corr_xn = mean_preserving_daily(var.t_max_min_corr, year).clip(-0.99, 0.99)
        ax, an = extreme_anomalies(z_t, z_k, sd_x, sd_n, corr_xn)
        ax = sd_x * _skewed(
            light_tails(ax / sd_x, float(var.t_max_kurtosis or 0.0)), mean_preserving_daily(var.t_max_skew, year)
        )
        ax = _spread_to(ax, mean_preserving_daily(normal_x, year), mon_d, normal_x, targets[0], year, monthly_sd)
        # The minima: their score and skewness kept apart from their scale, so that both can be
        # drawn in the loop below until the spread and skewness after the dew-point floor are the
        # record's.
        score_n = light_tails(an / sd_n, float(var.t_min_kurtosis or 0.0))
        skew_n = np.asarray(var.t_min_skew, dtype=float)
        an = sd_n * _skewed(score_n, mean_preserving_daily(skew_n, year))
        scale_n = sd_n * _spread_gain(
            an, mean_preserving_daily(normal_n, year), mon_d, normal_n, targets[1], year, monthly_sd
        )
        an = scale_n * _skewed(score_n, mean_preserving_daily(skew_n, year))
        gains = [np.ones(n_days), np.ones(n_days)]
    else:
        anom_t = z_t * (mean_preserving_daily(var.t_daily_sd_c, year) * inflation)
        target_sd = np.asarray(var.t_daily_sd_c, dtype=float)
        anom_t = _spread_to(anom_t, t_clim, mon_d, g["t_mean_c"], target_sd, year)
        rel = 0.6 + 0.8 * k_d / np.maximum(kd_mean, 1e-6)
        rel = monthly_correction(rel, mon_d, np.ones(12), scale=True)
        dtr = dtr_clim * rel

    # Diurnal shape in solar time: minimum at sunrise, maximum at T_MAX_SOLAR_HOUR.
    decl = np.radians(23.45) * np.sin(2 * np.pi * (284 + np.arange(1, n_days + 1)) / 365.0)
    cos_w0 = np.clip(-np.tan(np.radians(latitude)) * np.tan(decl), -1.0, 1.0)
    sunrise = 12.0 - np.degrees(np.arccos(cos_w0)) / 15.0  # solar hours
    sunrise = np.clip(sunrise, 3.0, T_MAX_SOLAR_HOUR - 4.0)
    eot = pvlib.solarposition.equation_of_time_spencer71(doy)  # minutes
    solar_hour = (hour + 0.5 + (longitude - 15.0 * utc_offset_h) / 15.0 + eot / 60.0) % 24.0
    rise = np.repeat(sunrise, 24)
    # The hour of each day's maximum (solar time): T_MAX_SOLAR_HOUR, or drawn about it with the
    # record's spread (t_peak_hour_sd_h).
    hmax_day = peak_hour_draws(seed, sunrise, var.t_peak_hour_sd_h, year)
    # The fall before sunrise comes from the previous day's maximum (days in solar time, kept
    # within the year).
    day = np.repeat(np.arange(n_days), 24)
    solar_day = day + np.floor((hour + 0.5 + (longitude - 15.0 * utc_offset_h) / 15.0 + eot / 60.0) / 24.0).astype(int)
    rising = (solar_hour >= rise) & (solar_hour < hmax_day[np.clip(solar_day, 0, n_days - 1)])
    before = ~rising & (solar_hour < rise)
    day_max = np.clip(np.where(before, solar_day - 1, solar_day), 0, n_days - 1)
    hmax = hmax_day[day_max]
    phase_rise = (solar_hour - rise) / (hmax - rise)
    fall_len = 24.0 - (hmax - rise)
    phase_fall = ((solar_hour - hmax) % 24.0) / fall_len
    # Day-to-day level: interpolate daily means between noons so there is no jump at midnight.
    hours_axis = np.arange(time.size) + 0.5
    noons = np.arange(n_days) * 24.0 + 12.0
    noise = 0.4 * _ar1(rng, time.size, 0.8)
    # --- dew point ------------------------------------------------------------------------------
    td_clim = mean_preserving_daily(g["t_dew_mean_c"], year)
    z_dew, inflation = _daily_anomaly(rng, n_days, var.t_dew_daily_lag1, var.t_dew_daily_lag2)
    # The hourly AR(1) below has memory (φ = DEW_HOURLY_LAG1, or from t_dew_hourly_lag1), so part
    # of its variance is in its daily means; the daily anomaly carries only the rest of the
    # record's daily spread.
    target_td = np.asarray(var.t_dew_daily_sd_c, dtype=float)
    rho = mean_preserving_daily(var.t_dew_corr, year).clip(-0.99, 0.99)
    z_td = rho * z_t + np.sqrt(1.0 - rho**2) * z_dew
    draws = rng.standard_normal(time.size + 1)

    def daily_part(phi: float) -> tuple[np.ndarray, np.ndarray]:
        leak = var.t_dew_hourly_sd_c**2 * _daily_mean_variance_fraction(phi)
        sd = mean_preserving_daily(np.sqrt(np.maximum(target_td**2 - leak, (0.25 * target_td) ** 2)), year) * inflation
        return sd, np.interp(hours_axis, noons, sd * z_td)

    phi_dew = DEW_HOURLY_LAG1
    sd_td, daily_h = daily_part(phi_dew)
    if var.t_dew_hourly_lag1 is not None:
        # The within-day AR(1)'s φ from the record's persistence about the day's curve.
        phi_dew = dew_hourly_phi(daily_h, var.t_dew_hourly_sd_c, draws, mon_d, var.t_dew_hourly_lag1)
        sd_td, daily_h = daily_part(phi_dew)
    # Hourly anomaly = interpolated daily anomaly + within-day AR(1); standardised, skewed by
    # the month's skewness (Cornish–Fisher), scaled back.
    anom = daily_h + var.t_dew_hourly_sd_c * _ar1_of(draws, phi_dew)
    sd_h = np.sqrt(np.interp(hours_axis, noons, sd_td**2) + var.t_dew_hourly_sd_c**2)
    skew_h = np.interp(hours_axis, noons, mean_preserving_daily(var.t_dew_skew, year))
    td_base = np.interp(hours_axis, noons, td_clim) + sd_h * _skewed(anom / sd_h, skew_h)
    td_base = np.minimum(td_base, DEW_POINT_MAX_C)
    # Air cooled to its dew point condenses (dew, fog, low cloud): the latent heat released holds
    # the temperature at the air's dew point, so the night cannot cool below it.
    td_air = monthly_correction(td_base, mon_h, g["t_dew_mean_c"])
    # Upper and lower excursions of the daily cycle from the daily mean, per month: start from
    # the normals (mean daily maximum − mean, mean − mean daily minimum) and correct them until
    # the generated monthly means of the daily maxima and minima equal the normals.
    n_month = np.bincount(mon_d, minlength=12)
    upper = g["t_max_daily_mean_c"] - g["t_mean_c"]
    lower = g["t_mean_c"] - g["t_min_daily_mean_c"]
    # The fall's exponent keeps the day's mean where the normals put it for a peak at
    # T_MAX_SOLAR_HOUR; a day peaking later is warmer for it, not steeper in its evening fall (a
    # fall fitted to each day's own rise dropped 10 K in an hour after a peak at 19 h).
    rise_len = T_MAX_SOLAR_HOUR - rise
    gain = np.ones(n_days)
    # The cycle's sharpness (sharpen's exponent, per month) is drawn until the generated hours near
    # each day's maximum are the record's (t_peak_hours).
    log_sharp = np.zeros(12)
    frac_normals = np.clip(
        (g["t_mean_c"] - g["t_min_daily_mean_c"]) / np.maximum(g["t_max_daily_mean_c"] - g["t_min_daily_mean_c"], 0.5),
        0.0,
        1.0,
    )
    for it in range(DIURNAL_ITERATIONS):
        dtr_m = np.maximum(upper + lower, 0.5)
        # Two variables: upper and lower set the levels of the daily maximum and minimum; the
        # shape's mean sits between them where the normals put it, corrected below for the days'
        # falls to the next day's minimum.
        frac = frac_normals if extremes else np.clip(lower / dtr_m, 0.0, 1.0)
        frac_h = np.repeat(mean_preserving_daily(frac, year), 24)
        sharp = None
        if var.t_peak_hours is not None:
            sharp = np.repeat(np.exp(mean_preserving_daily(log_sharp, year)), 24).clip(_SHARP_GRID[0], _SHARP_GRID[-1])
        shape = diurnal_shape(rising, phase_rise, phase_fall, rise_len, frac_h, sharp)
        if extremes:
            mid = t_clim + mean_preserving_daily(0.5 * (upper - lower), year) + 0.5 * (ax + an)
            half = np.maximum(mean_preserving_daily(0.5 * (upper + lower), year) + 0.5 * (ax - an), 0.5 * DTR_MIN)
            # The day's level moves with the weather from noon to noon, and so does the range of
            # the cycle about it (an overcast day that cools through it peaks at night).
            level = np.interp(hours_axis, noons, mid - half + 2.0 * half * mean_preserving_daily(frac, year))
            amplitude = np.interp(hours_axis, noons, 2.0 * half)
            t_db = level + amplitude * shape
        else:
            level = np.interp(hours_axis, noons, t_clim + anom_t)
            amplitude = np.repeat(dtr * (mean_preserving_daily(dtr_m, year) / np.maximum(dtr_clim, 1e-6)), 24)
            t_db = level + amplitude * shape
        # The spreads of the daily extremes are those before the dew-point floor (with the monthly
        # correction the year gets): the floor takes from the cold side only, which no rescaling of
        # both sides may restore.
        raw = t_db + noise
        # With the depression's fields the night is free: the dew point gives way to the dry bulb
        # below (positive_depression: dew and rime take the vapour), instead of the night held at
        # the air's dew point.
        floored = raw if var.t_dew_depression_p10 is not None else np.maximum(raw, td_air)
        t_db = monthly_correction(floored, mon_h, g["t_mean_c"])
        free = (raw + (t_db - floored)).reshape(n_days, 24)
        day_t = t_db.reshape(n_days, 24)
        gmax = np.bincount(mon_d, weights=day_t.max(axis=1), minlength=12) / n_month
        gmin = np.bincount(mon_d, weights=day_t.min(axis=1), minlength=12) / n_month
        if extremes:
            shift = 0.5 * (gmax - g["t_max_daily_mean_c"] + gmin - g["t_min_daily_mean_c"])
            frac_normals = np.clip(
                frac_normals + shift / np.maximum(g["t_max_daily_mean_c"] - g["t_min_daily_mean_c"], 0.5),
                FRAC_BOUND,
                1.0 - FRAC_BOUND,
            )
        upper = np.maximum(upper + g["t_max_daily_mean_c"] - gmax, 0.1)
        lower = np.maximum(lower + gmin - g["t_min_daily_mean_c"], 0.1)
        shaping = it < DIURNAL_ITERATIONS - PEAK_FROZEN
        if var.t_peak_hours is not None and shaping:
            ratio = peak_hours(t_db, mon_d) / np.asarray(var.t_peak_hours, dtype=float)
            log_sharp = np.clip(log_sharp - np.log(ratio) / PEAK_RESPONSE, *np.log(_SHARP_GRID[[0, -1]]))
        if extremes:
            # The maxima's spread before the floor (which rarely reaches them); the minima's after
            # it, as the record's minima are, with their skewness (held with the sharpness in the
            # last passes): the floor takes from the cold side of a month's nights, and the monthly
            # mean's restoring shift moves the others.
            for i, daily in enumerate((free.max(axis=1), day_t.min(axis=1))):
                factor = mean_preserving_daily(targets[i] / np.maximum(monthly_sd(daily, mon_d), 0.05), year)
                gains[i], factor = _bounded_gain(gains[i], factor)
                if i:
                    if shaping:
                        skew_n = _skew_step(skew_n, np.asarray(var.t_min_skew, dtype=float), daily, mon_d)
                    scale_n = scale_n * factor
                    an = scale_n * _skewed(score_n, mean_preserving_daily(skew_n, year))
                else:
                    ax = ax * factor
        else:
            spread = daily_anomaly_sd(day_t.mean(axis=1), mon_d)
            factor = mean_preserving_daily(target_sd / np.maximum(spread, 0.05), year)
            gain, factor = _bounded_gain(gain, factor)
            anom_t = anom_t * factor

    # Afternoon drying: the dew point falls by κ K per K that the air warms above its daily mean
    # (the growing boundary layer mixes drier air down), with zero daily mean.
    warm = (amplitude * np.maximum(shape, 0.0)).reshape(n_days, 24)
    warm = (warm - warm.mean(axis=1, keepdims=True)).ravel()
    rh_min = getattr(normals, "rh_min_daily_mean_pct", None)
    kappa = np.asarray(DEW_DIP_DEFAULT, dtype=float)
    p0 = float(psy.pressure_from_elevation(elevation))
    # The hottest hours: the dew point falls by a further λ K per K of dry bulb above the month's
    # top tenth, λ per month drawn so that their mean dew point is the record's (t_dew_hot_c).
    excess = np.maximum(t_db - _monthly_percentile(t_db, mon_h, HOT_RAMP_PERCENTILE)[mon_h], 0.0)
    hot = t_db >= _monthly_percentile(t_db, mon_h, HOT_HOURS_PERCENTILE)[mon_h]
    hot_excess = np.bincount(mon_h, weights=excess * hot, minlength=12) / np.bincount(mon_h, weights=hot, minlength=12)
    lam = np.zeros(12)
    # The day's humidity: humid days dry less in the afternoon than dry ones (t_dew_dip_slope), by
    # β K per SD of the day's dew point at the hour of the mean peak warming, β per month drawn
    # until the generated slope is the record's.
    base_day = td_base.reshape(n_days, 24).mean(axis=1)
    z_day = _about_month_mean(base_day, mon_d) / np.maximum(monthly_sd(base_day, mon_d), 1e-6)[mon_d]
    peak = np.bincount(mon_d, weights=warm.reshape(n_days, 24).max(axis=1), minlength=12) / n_month
    zero = np.zeros(mon_h.size)
    humid = np.repeat(z_day, 24) * warm / np.maximum(monthly_correction(zero, mon_h, peak), 0.5)
    beta = np.zeros(12)
    # The dew point's depression: its month's 10th percentile the record's share of the normals'
    # mean depression, its low tail's shape from the record's 5th percentile.
    low = power = None
    if var.t_dew_depression_p10 is not None:
        low = np.asarray(var.t_dew_depression_p10, dtype=float) * np.maximum(g["t_mean_c"] - g["t_dew_mean_c"], 0.0)
        power = np.full(12, DEPRESSION_TAIL_POWER)
        if var.t_dew_depression_p05 is not None:
            power = depression_tail_power(var.t_dew_depression_p05, var.t_dew_depression_p10)
    jitter = None
    if low is not None and var.t_dew_depression_step_sd_c is not None:
        # The floor's own hourly fluctuation, from its own random stream (the year's other draws
        # do not change).
        step = var.t_dew_depression_step_sd_c / np.sqrt(2.0)
        jitter = step * np.random.default_rng([seed, 2]).standard_normal(time.size)
    # The year's hottest hours (the dry bulb at or above the year's HOT_SLOPE_PERCENTILE): the dew
    # point tilts by μ K per K of dry bulb about their mean dry bulb (their mean dew point is left to
    # λ), μ drawn until their slope is the record's (t_dew_hot_slope). The form is an assumption
    # (zero mean over those hours); where the dry bulb crosses the threshold the tilt steps by
    # μ (T_98 − their mean), their mean 1.2–1.9 K above T_98 (the five records' sites, seed 0).
    year_hot = t_db >= np.percentile(t_db, HOT_SLOPE_PERCENTILE)
    year_excess = np.where(year_hot, t_db - t_db[year_hot].mean(), 0.0)
    mu = 0.0
    fitted = (
        rh_min is not None
        or var.t_dew_hot_c is not None
        or var.t_dew_dip_slope is not None
        or var.t_dew_hot_slope is not None
    )
    passes = DEW_SLOPE_ITERATIONS if var.t_dew_hot_slope is not None else DEW_DIP_ITERATIONS
    for _ in range(passes if fitted else 1):
        # κ and β through the year without steps (as a constant per month the night's dew point
        # stepped at each month's start: warm is below zero at night); λ acts on the top tenth of
        # a month's hours only, which a month's start does not hold.
        kappa_h = monthly_correction(zero, mon_h, kappa).clip(0.0, 1.0)
        beta_h = monthly_correction(zero, mon_h, beta).clip(-DIP_SLOPE_MAX, DIP_SLOPE_MAX)
        drawn = td_base - kappa_h * warm - lam[mon_h] * excess + beta_h * humid + mu * year_excess
        if low is None:
            td = drawn
            for _ in range(8):  # restore monthly mean dew point after capping at the dry bulb
                td = np.minimum(monthly_correction(td, mon_h, g["t_dew_mean_c"]), np.minimum(t_db, DEW_POINT_MAX_C))
        else:
            # The depression below the dry bulb from a positive distribution (positive_depression),
            # the drawn series shifted (smoothly) until the monthly means are the normals again.
            rank = depression_rank(t_db - drawn, mon_h)
            shift = monthly_correction(drawn, mon_h, g["t_dew_mean_c"]) - drawn
            floor = depression_floor(rank, mon_h, low, power, jitter)
            for _ in range(8):
                kept = np.maximum(np.maximum(t_db - drawn - shift, floor), 0.0)
                td = np.minimum(t_db - kept, DEW_POINT_MAX_C)
                shift = shift + monthly_correction(td, mon_h, g["t_dew_mean_c"]) - td
        if var.t_dew_hot_c is not None:
            gap_hot = hot_hour_dew_anomaly(t_db, td, mon_h) - np.asarray(var.t_dew_hot_c, dtype=float)
            lam = np.clip(lam + gap_hot / np.maximum(hot_excess, 0.5), -HOT_DEW_SLOPE_MAX, HOT_DEW_SLOPE_MAX)
        if var.t_dew_hot_slope is not None:
            mu = float(
                np.clip(
                    mu + HOT_DEW_MU_STEP * (var.t_dew_hot_slope - hot_dew_slope(t_db, td)),
                    -HOT_DEW_MU_MAX,
                    HOT_DEW_MU_MAX,
                )
            )
        if var.t_dew_dip_slope is not None:
            gap_slope = np.asarray(var.t_dew_dip_slope, dtype=float) - dew_dip_slope(t_db, td, mon_d)
            # Each month's slope is over its neighbours' days too: the step is the gap averaged
            # the same way (a step by each month's own gap grows month-to-month alternations).
            step = _with_neighbours(gap_slope) / 3.0
            beta = np.clip(beta + step, -DIP_SLOPE_MAX, DIP_SLOPE_MAX)
        if rh_min is None:
            continue
        # κ per month such that the mean daily minimum RH equals the normal: compare the dew
        # points that the generated and the normal minimum RH give at the mean daily maximum.
        rh_day_min = psy.relative_humidity_from_dew_point(t_db, td, p0).reshape(n_days, 24).min(axis=1)
        rh_g = np.bincount(mon_d, weights=rh_day_min, minlength=12) / n_month
        tx = g["t_max_daily_mean_c"]
        gap = psy.dew_point(tx, np.clip(rh_g, 1.0, 100.0), p0) - psy.dew_point(
            tx, np.clip(np.asarray(rh_min, dtype=float), 1.0, 100.0), p0
        )
        kappa = np.clip(kappa + gap / np.maximum(peak, 0.5), 0.0, 1.0)
    td = np.minimum(td, t_db)
    # --- wind and pressure ----------------------------------------------------------------------
    if var.wind_hourly_lag1 is None or var.wind_hourly_lag2 is None:
        z_wind = _ar1(rng, time.size, WIND_HOURLY_LAG1)
    else:
        z_wind = _hourly_ar2(rng, time.size, *hourly_ar2_for_residual(var.wind_hourly_lag1, var.wind_hourly_lag2))
    uw = stats.norm.cdf(z_wind)
    wind = stats.weibull_min.ppf(uw, 2.0)
    wind = wind * (1.0 + 0.25 * np.cos(2 * np.pi * (solar_hour - 15.0) / 24.0))
    wind = monthly_correction(wind, mon_h, g["wind10m_mean_ms"], scale=True)
    p_air = float(psy.pressure_from_elevation(elevation)) * (1.0 + 0.006 * _ar1(rng, time.size, 0.98))

    df = pd.DataFrame(
        {"t_db": t_db, "t_dp": td, "p_air": p_air, "ghi": ghi, "wind_speed": wind},
        index=time,
    )
    meta = {
        "name": name,
        "source_file": "",
        "format": "generated",
        "latitude": float(latitude),
        "longitude": float(longitude),
        "elevation": float(elevation),
        "utc_offset_h": float(utc_offset_h),
        "wind_height_m": 10.0,
        "typical_year": True,
        "seed": int(seed),
        "variability_source": var.source,
        "notes": [f"generated from monthly normals, seed {seed}"],
    }
    return build_dataset(df, meta, f"generated year ({name}, seed {seed})")


def variability_from_record(ds: xr.Dataset, source: str) -> Variability:
    """Derive the day-to-day statistics of :class:`Variability` from an hourly record.

    Anomalies are daily means minus their centred 31-day running mean; the SD is taken per
    calendar month, the lag-1 and lag-2 autocorrelations over the year and the
    dew-point/temperature correlation per month. Each lag-2 is kept at most its lag-1 squared,
    the generator's domain (:func:`weather.dataset.lag_pair_problem`; every reference record is
    inside it). ``t_dew_hourly_lag1`` is left out (``None``: the generator's φ = 0.9) when the
    record's lies outside its range (:data:`weather.dataset.VARIABILITY_RANGES`): above 0.95 the
    dew point is smoother than an hourly series (interpolated between observations), below 0.6
    rougher than the generator can follow without jumps; so ``--derive`` never writes a value
    its own site file would refuse.
    """

    t = ds["t_db"].to_series().resample("D").mean()
    d = ds["t_dp"].to_series().resample("D").mean()
    at = t - t.rolling(31, center=True, min_periods=1).mean()
    ad = d - d.rolling(31, center=True, min_periods=1).mean()
    sd_t = daily_anomaly_sd(t.to_numpy(), t.index.month.to_numpy() - 1)
    sd_d = daily_anomaly_sd(d.to_numpy(), d.index.month.to_numpy() - 1)
    lag1, lag2 = (float(np.corrcoef(at.to_numpy()[k:], at.to_numpy()[:-k])[0, 1]) for k in (1, 2))
    lag1_d, lag2_d = (float(np.corrcoef(ad.to_numpy()[k:], ad.to_numpy()[:-k])[0, 1]) for k in (1, 2))
    corr = [float(np.corrcoef(at[at.index.month == m], ad[ad.index.month == m])[0, 1]) for m in range(1, 13)]
    hourly = ds["t_dp"].to_series()
    skew = hourly_anomaly_skew(hourly.to_numpy(), hourly.index.month.to_numpy() - 1)
    within = float((hourly - hourly.groupby(hourly.index.floor("D")).transform("mean")).std())
    r1, r1_d = round(min(max(lag1, 0.0), 0.9), 3), round(min(max(lag1_d, 0.0), 0.9), 3)
    from weather.validation import day_residual, residual_lags

    day_month = ds["time"].dt.month.to_numpy()[::24] - 1
    wind_lags = residual_lags(day_residual(ds["wind_speed"].to_numpy(), day_month)) if "wind_speed" in ds else None
    peak = peak_hours(ds["t_db"].to_numpy(), day_month)
    dew_hot = hot_hour_dew_anomaly(ds["t_db"].to_numpy(), ds["t_dp"].to_numpy(), ds["time"].dt.month.to_numpy() - 1)
    dip_slope = dew_dip_slope(ds["t_db"].to_numpy(), ds["t_dp"].to_numpy(), ds["time"].dt.month.to_numpy()[::24] - 1)
    dep_args = (ds["t_db"].to_numpy(), ds["t_dp"].to_numpy(), ds["time"].dt.month.to_numpy() - 1)
    day_t = ds["t_db"].to_series().resample("D")
    daily_max, daily_min = day_t.max(), day_t.min()
    ext = extreme_statistics(daily_max.to_numpy(), daily_min.to_numpy(), daily_max.index.month.to_numpy() - 1)

    def lag2_in_domain(r2: float, r1: float) -> float:
        """ρ2 within its range and at most ρ1² (the generator's domain: weather.dataset.lag_pair_problem)."""
        return min(round(min(max(r2, -0.9), 0.95), 3), math.floor(r1**2 * 1000.0) / 1000.0)

    return Variability(
        t_daily_sd_c=tuple(round(float(x), 2) for x in sd_t),
        t_dew_daily_sd_c=tuple(round(float(x), 2) for x in sd_d),
        t_daily_lag1=r1,
        t_dew_daily_lag1=r1_d,
        t_dew_corr=tuple(round(c, 3) for c in corr),
        t_dew_hourly_sd_c=round(within, 2),
        t_dew_skew=tuple(round(float(np.clip(x, -1.5, 1.5)), 2) for x in skew),
        source=source,
        t_daily_lag2=lag2_in_domain(lag2, r1),
        t_dew_daily_lag2=lag2_in_domain(lag2_d, r1_d),
        t_dew_hot_c=tuple(round(float(x), 2) for x in dew_hot),
        t_peak_hours=tuple(round(float(x), 2) for x in peak),
        t_dew_dip_slope=tuple(round(float(x), 2) for x in dip_slope),
        t_peak_hour_sd_h=tuple(round(float(x), 2) for x in peak_hour_spread(ds["t_db"].to_numpy(), day_month)),
        t_dew_depression_p10=tuple(round(float(x), 3) for x in depression_low_ratio(*dep_args)),
        t_dew_depression_p05=tuple(round(float(x), 3) for x in depression_low_ratio(*dep_args, 5.0)),
        t_dew_depression_step_sd_c=round(depression_step_sd(*dep_args[:2]), 3),
        wind_hourly_lag1=None if wind_lags is None else round(wind_lags[0], 3),
        wind_hourly_lag2=None if wind_lags is None else round(wind_lags[1], 3),
        t_dew_hot_slope=round(hot_dew_slope(ds["t_db"].to_numpy(), ds["t_dp"].to_numpy()), 2),
        t_dew_hourly_lag1=_in_range_or_none(
            "t_dew_hourly_lag1", round(residual_lags(day_residual(ds["t_dp"].to_numpy(), day_month), (1,))[0], 3)
        ),
        **ext,
    )


def _in_range_or_none(name: str, value: float) -> float | None:
    """``value`` if within the field's range (:data:`weather.dataset.VARIABILITY_RANGES`), else ``None``."""
    lo, hi = VARIABILITY_RANGES[name]
    return value if lo <= value <= hi else None


def extreme_statistics(daily_max: np.ndarray, daily_min: np.ndarray, month: np.ndarray) -> dict[str, Any]:
    """The daily maximum's and minimum's fields of :class:`Variability` (:data:`EXTREME_FIELDS`).

    Parameters
    ----------
    daily_max, daily_min : numpy.ndarray
        Daily maximum and minimum dry bulb of a record, °C (any subset of its days, e.g. the
        first half of each month for a split-sample check).
    month : numpy.ndarray of int
        Month of each day, 0 … 11.

    Returns
    -------
    dict
        ``t_max_daily_sd_c``, ``t_min_daily_sd_c`` (SD about the month's mean, :func:`monthly_sd`),
        ``t_max_min_corr`` (per month, about the months' means) and ``t_max_kurtosis``,
        ``t_min_kurtosis`` (of each day's deviation from its month's mean divided by the month's
        SD, over the days given; clipped to −0.85 … 3, the range :func:`light_tails` reaches),
        rounded as a site file stores them.
    """
    from scipy import stats

    sd = [monthly_sd(x, month) for x in (daily_max, daily_min)]
    dev = [_about_month_mean(x, month) for x in (daily_max, daily_min)]
    corr = [float(np.corrcoef(dev[0][month == m], dev[1][month == m])[0, 1]) for m in range(12)]
    kurt = [float(np.clip(stats.kurtosis(d / s[month]), -0.85, 3.0)) for d, s in zip(dev, sd, strict=True)]
    skew = [np.clip(neighbour_skew(x, month), -SKEW_BOUND, SKEW_BOUND) for x in (daily_max, daily_min)]
    return {
        "t_max_daily_sd_c": tuple(round(float(x), 2) for x in sd[0]),
        "t_min_daily_sd_c": tuple(round(float(x), 2) for x in sd[1]),
        "t_max_min_corr": tuple(round(c, 3) for c in corr),
        "t_max_skew": tuple(round(float(x), 2) for x in skew[0]),
        "t_min_skew": tuple(round(float(x), 2) for x in skew[1]),
        "t_max_kurtosis": round(kurt[0], 2),
        "t_min_kurtosis": round(kurt[1], 2),
    }
