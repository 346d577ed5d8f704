"""Year-to-year variability of the monthly normals: each generated year draws its own monthly means.

A generated year (:func:`weather.generator.typical_year`) holds every month at the site's normals,
so the seeds of an ensemble differ only by the day-to-day weather within fixed monthly means. Real
years differ by their monthly means too: a warm summer, a dull or a calm year. With
:class:`YearToYear` on, each (site, seed) draws anomalies of the normals before the generator runs
(:func:`draw_anomalies`, :func:`perturbed_site`); the generator itself is unchanged.

What is drawn, per month ``m`` of one year (``z`` independent standard normal variates):

* mean dry bulb: ``ΔT_m = σ_T · z1_m``; the mean daily maximum and minimum move with it (the
  diurnal range is kept, as :func:`twin.studies.ensemble.warmed_normals` does);
* mean dew point: ``ΔTd_m = σ_Td · (ρ · z1_m + √(1 − ρ²) · z2_m)``, so ``corr(ΔT, ΔTd) = ρ``;
  the new mean dew point is kept at least the normals' smallest monthly mean depression
  ``min_m(T̄_m − T̄d_m)`` below the new mean dry bulb (assumption: a year's month is no more
  humid, as a depression of the means, than the most humid month of the normals, which the
  generator demonstrably reaches; with hourly ``Td ≤ T`` it cannot reach a mean depression of
  0); the monthly ``rh_mean_pct`` moves by the ratio of the relative humidity of the new
  means to that of the old (:func:`weather.psychrometrics.relative_humidity_from_dew_point`);
* monthly GHI: ``× (1 + s_G · zG) · (1 + s_Gm · z3_m)``, one factor for the year (a dull or bright
  year) and one for the month, the month's total capped at its clear-sky irradiation
  (:func:`clear_sky_month_kwh_m2`, the generator's own limit: it clips the monthly clearness
  at 1 but its last scaling restores the monthly total whatever it is);
* monthly 10 m wind: ``× (1 + s_W · zW) · (1 + s_Wm · z4_m)`` likewise; the site's hub-height
  ``[wind]`` resource (``mean_speed_ms``, to which the wind farm rescales the hourly wind,
  :func:`twin.supply.wind.hub_wind`) is scaled by the same year's day-weighted mean ratio, or the
  farm would rescale the anomaly away.

The anomalies a member runs on (:func:`member_normals`' ``applied``: after both caps) are what the
ensemble stores. The GHI, temperature and wind anomalies are drawn independently of each other
(an assumption: in reality a sunny summer is often a warm one).

Ratios are floored at :data:`RATIO_FLOOR` (reached only by draws far in the tail: one factor
4.75 standard deviations below its mean at the largest allowed SD of 20 %). Months are independent of each other (no persistence from month to month:
no source was found for it here), so the SD of an annual mean temperature is about ``σ_T/√12``.
Sites are independent of each other too (an assumption: no spatial correlation), each drawing
from its own stream ``(STREAM, seed, crc32(site key))``: a member's anomalies do not depend on
which other sites, seeds or warmings run beside it, and a seed's are the same on every machine.
"""

from __future__ import annotations

import dataclasses
import functools
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from twin.core.params import Params, param

__all__ = [
    "DAYS",
    "RATIO_FLOOR",
    "STREAM",
    "YearToYear",
    "clear_sky_month_kwh_m2",
    "draw_anomalies",
    "member_normals",
    "perturbed_normals",
    "perturbed_site",
]

DAYS = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=float)
"""Days of each month (non-leap year): the weights of a year's mean of monthly values."""

RATIO_FLOOR = 0.05
"""Least GHI or wind ratio a draw may give (assumption: a guard against a zero or negative
monthly mean; at the largest allowed SD, 20 %, one factor reaches it 4.75 SDs below its mean)."""

STREAM = 0x59545921
"""First word of the anomalies' seed sequence: keeps them apart from the generator's own stream of
the same seed (:func:`weather.generator.typical_year`)."""


@dataclass(frozen=True)
class YearToYear(Params):
    """Year-to-year variability of an ensemble's generated years (module docs: what is drawn).

    Notes
    -----
    Sources of the defaults: the annual GHI SD 2.5 % lies in 1.7–3.4 %, the Gaussian SD that the
    P99 annual insolation of −4 to −8 % of the P50 across the continental US implies
    (ACPSolarVar; P99 = P50 − 2.326 σ; Gueymard & Wilcox 2011 express inter-annual variability as
    the COV of annual means, figures not read here); applying it to the Chinese sites is an
    assumption. The annual wind-speed SD of 6 % is the industry's rule of thumb for annual mean
    wind speeds (Pryor et al. 2018, who find it an overestimate over most of the eastern USA); for
    sites outside the eastern USA, the Chinese sites included, it is an assumption. No source was found here for the SD
    of monthly mean dry bulb and dew point between years, nor for their correlation, nor for the
    month-to-month part of the GHI and wind ratios: those default to 0 and are the user's to give.
    """

    section = "ensemble"

    year_to_year: bool = param(
        False,
        source="input: true: each generated year of twin ensemble draws its own monthly anomalies of the normals "
        "(twin.engine.year_to_year); false: every year holds the monthly normals",
    )
    t_sd_k: float = param(
        0.0,
        0.0,
        5.0,
        units="K",
        source="input: SD between years of a month's mean dry bulb; no source found for the sites "
        "(NOAA's 1991-2020 normals publish it for US stations): 0 unless given",
    )
    t_dew_sd_k: float = param(
        0.0,
        0.0,
        5.0,
        units="K",
        source="input: SD between years of a month's mean dew point; no source found: 0 unless given",
    )
    t_dew_corr: float = param(
        0.0,
        -1.0,
        1.0,
        source="input: correlation of a month's dry-bulb and dew-point anomalies; no source found: 0 unless given",
    )
    ghi_sd_pct: float = param(
        2.5,
        0.0,
        20.0,
        units="%",
        source="ACPSolarVar: P99 annual insolation -4 to -8 % of P50 across the continental US, a Gaussian SD of "
        "1.7-3.4 %; the middle, 2.5 %, for every site (assumption outside the US)",
    )
    ghi_month_sd_pct: float = param(
        0.0,
        0.0,
        20.0,
        units="%",
        source="input: SD of each month's own GHI ratio on top of the year's; no source found: 0 unless given",
    )
    wind_sd_pct: float = param(
        6.0,
        0.0,
        20.0,
        units="%",
        source="Pryor2018: the industry's rule of thumb for the SD of annual mean wind speed, 6 %; an assumption "
        "for sites outside the eastern USA, where Pryor2018 find it an overestimate",
    )
    wind_month_sd_pct: float = param(
        0.0,
        0.0,
        20.0,
        units="%",
        source="input: SD of each month's own wind-speed ratio on top of the year's; no source found: 0 unless given",
    )

    def unused(self) -> list[str]:
        """The fields given a value although ``year_to_year`` is off (they draw nothing), or an
        empty list; a scenario may keep them (switched off from the command line), and
        :func:`twin.studies.ensemble.run_ensemble` warns of them."""
        if self.year_to_year:
            return []
        return [
            f.name for f in dataclasses.fields(self) if f.name != "year_to_year" and getattr(self, f.name) != f.default
        ]

    def to_toml(self) -> dict[str, Any]:
        """Every field when ``year_to_year`` is on (a saved scenario then keeps the SDs it ran
        with if a default changes), else the fields that differ from their defaults (a scenario
        without year-to-year variability is saved without an ``[ensemble]`` table)."""
        every = self.year_to_year
        return {
            f.name: getattr(self, f.name)
            for f in dataclasses.fields(self)
            if every or getattr(self, f.name) != f.default
        }


def _stream(seed: int, site_key: str) -> np.random.Generator:
    """The anomalies' own random stream of one (seed, site)."""
    return np.random.default_rng(np.random.SeedSequence([STREAM, int(seed), zlib.crc32(site_key.encode())]))


def draw_anomalies(p: YearToYear, seeds: Sequence[int], site_key: str) -> dict[str, np.ndarray]:
    """The monthly anomalies of ``seeds`` at one site, each array ``(len(seeds), 12)``.

    Parameters
    ----------
    p : YearToYear
        The standard deviations and correlation (all zero anomalies when ``p.year_to_year`` is off).
    seeds : sequence of int
        Seeds of the generated years; each draws from its own stream (module docs), so a seed's
        anomalies are the same whichever seeds are drawn with it.
    site_key : str
        The site's key (sites draw independently).

    Returns
    -------
    dict of numpy.ndarray
        ``t_k`` and ``t_dew_k``: anomalies of the monthly mean dry bulb and dew point, K;
        ``ghi_ratio`` and ``wind_ratio``: factors on the monthly GHI and mean wind speed, 1.
    """
    n = len(seeds)
    z = np.stack([_stream(s, site_key).standard_normal((6, 12)) for s in seeds]) if n else np.zeros((0, 6, 12))
    if not p.year_to_year:
        z = np.zeros_like(z)
    rho = p.t_dew_corr
    t = p.t_sd_k * z[:, 0]
    td = p.t_dew_sd_k * (rho * z[:, 0] + np.sqrt(1.0 - rho * rho) * z[:, 1])
    # the year's common factor: the first value of rows 4 and 5 (one draw per year)
    ghi = (1.0 + p.ghi_sd_pct / 100.0 * z[:, 4, :1]) * (1.0 + p.ghi_month_sd_pct / 100.0 * z[:, 2])
    wind = (1.0 + p.wind_sd_pct / 100.0 * z[:, 5, :1]) * (1.0 + p.wind_month_sd_pct / 100.0 * z[:, 3])
    return {
        "t_k": t,
        "t_dew_k": td,
        "ghi_ratio": np.maximum(ghi, RATIO_FLOOR),
        "wind_ratio": np.maximum(wind, RATIO_FLOOR),
    }


@functools.cache
def clear_sky_month_kwh_m2(
    latitude: float, longitude: float, elevation: float, utc_offset_h: float, year: int
) -> tuple[float, ...]:
    """Each month's clear-sky irradiation on the horizontal, kWh/m², as the generator computes it.

    Parameters
    ----------
    latitude, longitude : float
        Degrees north / east.
    elevation : float
        m above sea level.
    utc_offset_h : float
        Local standard time offset, h.
    year : int
        Calendar year of the hourly axis.

    Returns
    -------
    tuple of float
        Twelve monthly totals, kWh/m².

    Notes
    -----
    Ineichen–Perez clear sky with pvlib's Linke turbidity climatology at the hours' mid-points,
    the same inputs as :func:`weather.generator.typical_year`'s clear sky (whose monthly
    clearness it clips at 1): a month's GHI above this total is not reachable physically.
    """
    import pandas as pd

    from weather.dataset import solar_position
    from weather.generator import clear_sky_ghi

    time = pd.date_range(f"{year}-01-01", f"{year}-12-31 23:00", freq="h")
    zen = solar_position(time, latitude, longitude, utc_offset_h)["apparent_zenith"].to_numpy()
    ghi = clear_sky_ghi(time, zen, latitude, longitude, utc_offset_h, elevation)
    return tuple(float(x) for x in np.bincount(time.month.to_numpy() - 1, weights=ghi, minlength=12) / 1000.0)


def perturbed_normals(
    normals: Any, anomalies: dict[str, np.ndarray], ghi_max_kwh_m2: Any = None
) -> dict[str, np.ndarray]:
    """The monthly normals moved by the anomalies, vectorised over the anomalies' leading axes.

    Parameters
    ----------
    normals : sites.Normals
        Twelve monthly values of each field (°C, %, m/s, kWh/m²).
    anomalies : dict of numpy.ndarray
        :func:`draw_anomalies`' arrays, ``(..., 12)``.
    ghi_max_kwh_m2 : array_like, optional
        Twelve monthly caps on the GHI, kWh/m² (:func:`clear_sky_month_kwh_m2`); none if omitted.

    Returns
    -------
    dict of numpy.ndarray
        ``t_mean_c``, ``t_max_daily_mean_c``, ``t_min_daily_mean_c`` (+ ΔT), ``t_dew_mean_c``
        (+ ΔTd, at least the normals' smallest monthly mean depression below the new mean dry
        bulb), ``rh_mean_pct`` (× the ratio of the relative humidity of the new means to the old,
        at most 100), ``wind10m_mean_ms`` and ``ghi_kwh_m2`` (× ratio, at most the cap), each
        ``(..., 12)``.
    """
    from weather import psychrometrics as psy

    dt = anomalies["t_k"]
    t0 = np.asarray(normals.t_mean_c, dtype=float)
    td0 = np.asarray(normals.t_dew_mean_c, dtype=float)
    t = t0 + dt
    td = np.minimum(td0 + anomalies["t_dew_k"], t - np.min(t0 - td0))
    rh_ratio = psy.relative_humidity_from_dew_point(t, td, psy.P_STANDARD) / psy.relative_humidity_from_dew_point(
        t0, td0, psy.P_STANDARD
    )
    ghi = np.asarray(normals.ghi_kwh_m2, dtype=float) * anomalies["ghi_ratio"]
    return {
        "t_mean_c": t,
        "t_max_daily_mean_c": np.asarray(normals.t_max_daily_mean_c, dtype=float) + dt,
        "t_min_daily_mean_c": np.asarray(normals.t_min_daily_mean_c, dtype=float) + dt,
        "t_dew_mean_c": td,
        "rh_mean_pct": np.minimum(np.asarray(normals.rh_mean_pct, dtype=float) * rh_ratio, 100.0),
        "wind10m_mean_ms": np.asarray(normals.wind10m_mean_ms, dtype=float) * anomalies["wind_ratio"],
        "ghi_kwh_m2": ghi if ghi_max_kwh_m2 is None else np.minimum(ghi, np.asarray(ghi_max_kwh_m2, dtype=float)),
    }


def _ratio(moved: np.ndarray, normal: Any) -> np.ndarray:
    """``moved / normal``, 1 where the normal is 0 (a month without sun or wind stays so)."""
    n = np.broadcast_to(np.asarray(normal, dtype=float), moved.shape)
    return np.divide(moved, n, out=np.ones_like(moved), where=n > 0)


def member_normals(
    site: Any, p: YearToYear, seeds: Sequence[int], year: int
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """The site's monthly normals for each of ``seeds`` and the anomalies they apply.

    Parameters
    ----------
    site : sites.Site
        The (warmed) site; its key picks the random stream, its location the clear-sky cap.
    p : YearToYear
        The standard deviations and correlation.
    seeds : sequence of int
        Seeds of the generated years.
    year : int
        Calendar year of the generated weather (its clear sky).

    Returns
    -------
    (dict, dict) of numpy.ndarray
        :func:`perturbed_normals` of :func:`draw_anomalies`, each ``(len(seeds), 12)``, and the
        anomalies after the caps: ``t_k``, ``t_dew_k`` (the moved normals minus the site's, K),
        ``ghi_ratio`` and ``wind_ratio`` (their ratios, 1).
    """
    loc = site.location
    cap = clear_sky_month_kwh_m2(loc.latitude_deg, loc.longitude_deg, loc.elevation_m, loc.utc_offset_h, year)
    n = site.normals
    drawn = draw_anomalies(p, seeds, site.key)
    moved = perturbed_normals(n, drawn, cap)
    applied = {  # the dry bulb and wind are not capped: their drawn values, bit for bit
        "t_k": drawn["t_k"],
        "t_dew_k": moved["t_dew_mean_c"] - np.asarray(n.t_dew_mean_c, dtype=float),
        "ghi_ratio": _ratio(moved["ghi_kwh_m2"], n.ghi_kwh_m2),
        "wind_ratio": drawn["wind_ratio"],
    }
    return moved, applied


def perturbed_site(site: Any, p: YearToYear, seed: int, year: int) -> Any:
    """The site with the monthly normals of generated year ``seed`` (the site itself when
    ``p.year_to_year`` is off): :func:`member_normals`, and its ``[wind]`` resource scaled by the
    year's day-weighted mean wind ratio (module docs)."""
    if not p.year_to_year:
        return site
    moved, applied = member_normals(site, p, [seed], year)
    normals = dataclasses.replace(
        site.normals,
        **{k: tuple(float(x) for x in v[0]) for k, v in moved.items()},
        source=f"{site.normals.source}; year-to-year anomalies of seed {seed} (twin.engine.year_to_year)",
    )
    wind = site.wind
    if wind is not None:
        v0 = np.asarray(site.normals.wind10m_mean_ms, dtype=float)
        w = DAYS * v0
        ratio = float(np.sum(w * applied["wind_ratio"][0]) / np.sum(w)) if np.sum(v0) > 0 else 1.0
        wind = dataclasses.replace(wind, mean_speed_ms=wind.mean_speed_ms * ratio)
    return dataclasses.replace(site, normals=normals, wind=wind)
