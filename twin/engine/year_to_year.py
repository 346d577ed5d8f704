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
  the new mean dew point is kept at or below the new mean dry bulb;
* monthly GHI: ``× (1 + s_G · zG) · (1 + s_Gm · z3_m)``, one factor for the year (a dull or bright
  year) and one for the month;
* monthly 10 m wind: ``× (1 + s_W · zW) · (1 + s_Wm · z4_m)`` likewise; the site's hub-height
  ``[wind]`` resource (``mean_speed_ms``, to which the wind farm rescales the hourly wind,
  :func:`twin.supply.wind.hub_wind`) is scaled by the same year's day-weighted mean ratio, or the
  farm would rescale the anomaly away.

Ratios are floored at :data:`RATIO_FLOOR` (reached only by draws far in the tail: one factor
4.75 standard deviations below its mean at the largest allowed SD of 20 %). Months are independent of each other (no persistence from month to month:
no source was found for it here), so the SD of an annual mean temperature is about ``σ_T/√12``.
Sites are independent of each other too (an assumption: no spatial correlation), each drawing
from its own stream ``(STREAM, seed, crc32(site key))``: a member's anomalies do not depend on
which other sites, seeds or warmings run beside it, and a seed's are the same on every machine.
"""

from __future__ import annotations

import dataclasses
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from twin.core.fmt import number
from twin.core.params import ConfigError, Params, param

__all__ = ["DAYS", "RATIO_FLOOR", "STREAM", "YearToYear", "draw_anomalies", "perturbed_normals", "perturbed_site"]

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
    (ACPSolarVar; P99 = P50 − 2.326 σ; Gueymard & Wilcox 2011 measure the same spread as the COV of
    annual means); applying it to the Chinese sites is an assumption. The annual wind-speed SD of
    6 % is the value widely applied in the wind industry for annual mean wind speeds (Pryor et al.
    2018, who find it too large for most of the eastern USA). No source was found here for the SD
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
        source="Pryor2018: the industry's SD of annual mean wind speed, 6 % (an overestimate in most of the eastern USA)",
    )
    wind_month_sd_pct: float = param(
        0.0,
        0.0,
        20.0,
        units="%",
        source="input: SD of each month's own wind-speed ratio on top of the year's; no source found: 0 unless given",
    )

    def __post_init__(self) -> None:
        super().__post_init__()
        if not self.year_to_year:
            for f in dataclasses.fields(self):
                value = getattr(self, f.name)
                if f.name != "year_to_year" and value != f.default:
                    raise ConfigError(
                        f"ensemble.{f.name} = {number(value, grouped=False)} sets a year-to-year anomaly, but "
                        "ensemble.year_to_year = false draws none; set ensemble.year_to_year = true "
                        "(twin ensemble --year-to-year) or drop the value"
                    )

    def to_toml(self) -> dict[str, Any]:
        """The fields that differ from their defaults (a scenario without year-to-year
        variability is saved without an ``[ensemble]`` table)."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if getattr(self, f.name) != f.default}


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


def perturbed_normals(normals: Any, anomalies: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The monthly normals moved by the anomalies, vectorised over the anomalies' leading axes.

    Parameters
    ----------
    normals : sites.Normals
        Twelve monthly values of each field (°C, m/s, kWh/m²).
    anomalies : dict of numpy.ndarray
        :func:`draw_anomalies`' arrays, ``(..., 12)``.

    Returns
    -------
    dict of numpy.ndarray
        ``t_mean_c``, ``t_max_daily_mean_c``, ``t_min_daily_mean_c`` (+ ΔT), ``t_dew_mean_c``
        (+ ΔTd, at most the new mean dry bulb), ``wind10m_mean_ms`` and ``ghi_kwh_m2`` (× ratio),
        each ``(..., 12)``.
    """
    dt = anomalies["t_k"]
    t = np.asarray(normals.t_mean_c, dtype=float) + dt
    return {
        "t_mean_c": t,
        "t_max_daily_mean_c": np.asarray(normals.t_max_daily_mean_c, dtype=float) + dt,
        "t_min_daily_mean_c": np.asarray(normals.t_min_daily_mean_c, dtype=float) + dt,
        "t_dew_mean_c": np.minimum(np.asarray(normals.t_dew_mean_c, dtype=float) + anomalies["t_dew_k"], t),
        "wind10m_mean_ms": np.asarray(normals.wind10m_mean_ms, dtype=float) * anomalies["wind_ratio"],
        "ghi_kwh_m2": np.asarray(normals.ghi_kwh_m2, dtype=float) * anomalies["ghi_ratio"],
    }


def perturbed_site(site: Any, p: YearToYear, seed: int) -> Any:
    """The site with the monthly normals of generated year ``seed`` (the site itself when
    ``p.year_to_year`` is off): :func:`perturbed_normals` of :func:`draw_anomalies`, and its
    ``[wind]`` resource scaled by the year's day-weighted mean wind ratio (module docs)."""
    if not p.year_to_year:
        return site
    a = {k: v[0] for k, v in draw_anomalies(p, [seed], site.key).items()}
    moved = perturbed_normals(site.normals, a)
    normals = dataclasses.replace(
        site.normals,
        **{k: tuple(float(x) for x in v) for k, v in moved.items()},
        source=f"{site.normals.source}; year-to-year anomalies of seed {seed} (twin.engine.year_to_year)",
    )
    wind = site.wind
    if wind is not None:
        v0 = np.asarray(site.normals.wind10m_mean_ms, dtype=float)
        ratio = float(np.sum(DAYS * v0 * a["wind_ratio"]) / np.sum(DAYS * v0)) if np.sum(v0) > 0 else 1.0
        wind = dataclasses.replace(wind, mean_speed_ms=wind.mean_speed_ms * ratio)
    return dataclasses.replace(site, normals=normals, wind=wind)
