"""Wind-farm output with windpowerlib and its offline turbine library.

A unit profile (kW per kW of installed turbines), computed once per site and turbine choice.
The station wind (10 m) is carried to hub height with the Hellman power law
``v(z) = v(z_r) (z / z_r)^α``. By default the exponent follows the stability of the surface
layer over land: ``α`` ≈ 0.10 by day (sun up: a convective, well-mixed layer) and ≈ 0.30 at
night (a stable layer decoupled from the surface), so that hub-height wind peaks at night while
the 10 m wind peaks in the afternoon, as observed over land (Touma1977, Emeis2013). The wind is
then rescaled so that its annual mean at the height of the site's hub-height resource
(``[wind]`` of the site file: mean speed at a stated height, e.g. 100 m) equals that mean —
station data understate wind-farm resource (Brief2025) — and, where the site gives a Weibull
shape ``k``, mapped quantile by quantile onto the Weibull distribution of that mean and shape
(hour order kept; mean = ``c Γ(1 + 1/k)``). The air density at hub height comes from the
barometric formula at the site's pressure and temperature
(``windpowerlib.density.barometric``), and the turbine's power curve is applied with density
correction (``windpowerlib.power_output.power_curve``, IEC 61400-12 method). Park losses
(wakes, availability, electrical) are one factor. Instead of a mean speed, a target capacity
factor can be given: the hourly shape is then scaled (bisection on the speed factor) until the
farm reaches it.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from twin.core.diskcache import cached
from twin.core.fmt import number, span
from twin.core.params import ConfigError, Params, param

__all__ = [
    "LOW_CAPACITY_FACTOR",
    "WindParams",
    "density_corrected_curves",
    "hub_wind",
    "interp_rows",
    "rotor_diameter_m",
    "stability_shear",
    "turbine_power_curve",
    "turbine_types",
    "weibull_quantile_map",
    "wind_unit_profile",
]

LOW_CAPACITY_FACTOR = 0.15
"""Below this annual capacity factor a wind farm is flagged (onshore farms in China's west run at 0.2–0.3)."""


_LIBRARY = {"libraries": ("windpowerlib",), "sources": (__file__,)}
"""Disk-cache key (:mod:`twin.core.diskcache`) of values read from windpowerlib's offline turbine
library: a new process checks a scenario's turbine without reading the library."""


@functools.cache
def rotor_diameter_m(turbine_type: str) -> float:
    """Rotor diameter of a turbine of windpowerlib's offline library, m (disk-cached)."""

    def compute() -> float:
        from windpowerlib import WindTurbine

        return float(WindTurbine(turbine_type=turbine_type, hub_height=250.0).rotor_diameter)

    return cached(
        "rotor",
        {"turbine_type": turbine_type},
        compute,
        lambda d: {"d": np.array(d)},
        lambda a: float(a["d"]),
        **_LIBRARY,
    )


@functools.cache
def turbine_types() -> tuple[str, ...]:
    """Turbine types with a power curve in windpowerlib's offline library (disk-cached)."""

    def compute() -> tuple[str, ...]:
        from windpowerlib import get_turbine_types

        df = get_turbine_types(print_out=False)
        return tuple(sorted(df[df["has_power_curve"]]["turbine_type"]))

    return cached(
        "turbines",
        {},
        compute,
        lambda t: {"types": np.array(t, dtype=str)},
        lambda a: tuple(a["types"].tolist()),
        **_LIBRARY,
    )


@dataclass(frozen=True)
class WindParams(Params):
    """A wind farm feeding the site."""

    section = "green.wind"

    capacity_mw: float = param(0.0, 0.0, 1e5, units="MW", source="input")
    turbine_type: str = param("E-126/4200", source="windpowerlib: offline turbine library (windpowerlib)")
    hub_height_m: float = param(135.0, 20.0, 250.0, units="m", source="assumption: modern onshore hub")
    shear: str = param(
        "stability",
        choices=("stability", "constant"),
        source="stability: day/night Hellman exponents below (hub wind peaks at night over land); "
        "constant: hellman_exponent every hour",
    )
    hellman_exponent: float = param(1 / 7, 0.05, 0.6, source="shear = 'constant': open terrain, 1/7 power law")
    hellman_exponent_day: float = param(
        0.10, 0.0, 0.6, source="unstable/neutral daytime layer over land (Touma1977; Emeis2013): about 0.1"
    )
    hellman_exponent_night: float = param(
        0.30, 0.0, 0.8, source="stable night layer over land (Touma1977; Emeis2013): 0.25–0.4 (assumption: 0.3)"
    )
    hub_mean_speed_ms: float | None = param(
        None,
        0.5,
        20.0,
        units="m s-1",
        source="input: the annual mean at hub height to scale to; None: the site's [wind] resource "
        "(its mean at its stated height, carried to the hub with the shear)",
        inherit="site.wind.mean_speed_ms",
    )
    site_resource: bool = param(
        True,
        source="input: true: without hub_mean_speed_ms, scale to the site's [wind] resource; "
        "false: the station wind carried up by the shear alone (no rescaling)",
    )
    park_losses_pct: float = param(
        12.0, 0.0, 50.0, units="%", source="assumption: wakes, availability, electrical losses"
    )
    target_capacity_factor: float | None = param(
        None,
        0.01,
        0.8,
        source="input: scale the hub-height wind so the farm reaches this capacity factor",
        inherit="off",
    )
    profile_csv: str = param(
        "", source="measured hourly output (column 'cf', kW per kW installed) instead of the model"
    )

    def __post_init__(self) -> None:
        super().__post_init__()
        if not self.site_resource and self.hub_mean_speed_ms is not None:
            raise ConfigError(
                f"green.wind.hub_mean_speed_ms = {number(self.hub_mean_speed_ms, grouped=False)} scales the wind, but "
                "green.wind.site_resource = false asks for the unscaled station wind; give one of them"
            )
        if self.turbine_type not in turbine_types():
            raise ConfigError(
                f"green.wind.turbine_type = {self.turbine_type!r} is not in windpowerlib's library; known types: {', '.join(turbine_types())}"
            )
        half = rotor_diameter_m(self.turbine_type) / 2.0
        if self.hub_height_m < half:
            raise ConfigError(
                f"green.wind.hub_height_m = {number(self.hub_height_m, grouped=False)} is below half the rotor diameter of "
                f"{self.turbine_type} ({number(half)} m): its blades would reach the ground; allowed {span(half, 250, 'm')}"
            )


@functools.cache
def turbine_power_curve(turbine_type: str) -> tuple[np.ndarray, np.ndarray, float]:
    """Power curve of a turbine of windpowerlib's offline library, read once per process.

    Returns
    -------
    wind_speed : numpy.ndarray
        Wind speeds of the curve's points, m/s (read-only).
    power : numpy.ndarray
        Power at those speeds, W (read-only).
    nominal_power : float
        Rated power, W.
    """
    from windpowerlib import WindTurbine

    turbine = WindTurbine(turbine_type=turbine_type, hub_height=250.0)  # the curve does not depend on the hub
    curve = turbine.power_curve
    ws, power = (np.array(curve[c].to_numpy(), dtype=float) for c in ("wind_speed", "value"))
    ws.flags.writeable = power.flags.writeable = False
    return ws, power, float(turbine.nominal_power)


def density_corrected_curves(curve_wind_speed: np.ndarray, density: np.ndarray) -> np.ndarray:
    """Wind speeds of a power curve's points corrected to each hour's air density, m/s.

    Parameters
    ----------
    curve_wind_speed : numpy.ndarray, shape (m,)
        Wind speeds of the standard power curve (air density 1.225 kg/m³), m/s.
    density : numpy.ndarray, shape (n,)
        Air density at hub height, kg/m³.

    Returns
    -------
    numpy.ndarray, shape (n, m)
        ``v_site = v_std (ρ₀ / ρ)^p(v_std)``, one row per hour.

    Notes
    -----
    The IEC 61400-12 style correction of Svenningsen2010 as windpowerlib applies it
    (``windpowerlib.power_output.power_curve_density_correction``): ``ρ₀`` = 1.225 kg/m³,
    ``p`` = 1/3 up to 7.5 m/s, 2/3 from 12.5 m/s, linear between.
    """
    exponent = np.interp(curve_wind_speed, [7.5, 12.5], [1 / 3, 2 / 3])
    ratio = (1.225 / np.asarray(density, dtype=float)).reshape(-1, 1)
    # Most points share the exponent 1/3 or 2/3: one power per distinct exponent.
    values, which = np.unique(exponent, return_inverse=True)
    return (ratio**values)[:, which] * curve_wind_speed


def interp_rows(x: np.ndarray, xp: np.ndarray, fp: np.ndarray) -> np.ndarray:
    """``np.interp(x[i], xp[i], fp, left=0, right=0)`` for every row ``i`` at once.

    Parameters
    ----------
    x : numpy.ndarray, shape (n,)
        Points to evaluate.
    xp : numpy.ndarray, shape (n, m)
        One increasing abscissa per point.
    fp : numpy.ndarray, shape (m,)
        Ordinates shared by all rows.

    Notes
    -----
    The same arithmetic as NumPy's ``interp``: the segment is the last ``j`` with
    ``xp[j] <= x``; a point on a knot takes the knot's value, otherwise
    ``fp[j] + (fp[j+1] − fp[j]) / (xp[j+1] − xp[j]) · (x − xp[j])``; 0 outside the curve
    (``x == xp[-1]`` takes ``fp[-1]``).
    """
    x = np.asarray(x, dtype=float)
    rows = np.arange(x.size)
    m = xp.shape[1]
    j = np.clip(np.count_nonzero(xp <= x[:, None], axis=1) - 1, 0, m - 2)
    x0, x1 = xp[rows, j], xp[rows, j + 1]
    y0, y1 = fp[j], fp[j + 1]
    with np.errstate(invalid="ignore", divide="ignore"):
        out = (y1 - y0) / (x1 - x0) * (x - x0) + y0
    out = np.where(x == x0, y0, out)
    out = np.where(x == xp[:, -1], fp[-1], out)
    return np.where((x < xp[:, 0]) | (x > xp[:, -1]), 0.0, out)


def stability_shear(is_day: np.ndarray, day: float, night: float) -> np.ndarray:
    """Hellman exponent of each hour: ``day`` while the sun is up, ``night`` otherwise."""
    return np.where(np.asarray(is_day, dtype=bool), day, night)


def weibull_quantile_map(v: np.ndarray, mean: float, k: float) -> np.ndarray:
    """Map ``v`` onto a Weibull distribution of ``mean`` and shape ``k``, keeping the order of the hours.

    The hour of rank ``i`` (of ``n``) gets the Weibull quantile ``c (−ln(1 − p))^{1/k}`` at
    ``p = (i + 0.5) / n``, with scale ``c = mean / Γ(1 + 1/k)``.
    """
    v = np.asarray(v, dtype=float)
    c = mean / math.gamma(1.0 + 1.0 / k)
    p = (np.arange(v.size) + 0.5) / v.size
    out = np.empty(v.size)
    out[np.argsort(v, kind="stable")] = c * (-np.log1p(-p)) ** (1.0 / k)
    return out.reshape(v.shape)


def hub_wind(
    wind_ref: np.ndarray,
    p: WindParams,
    ref_height_m: float = 10.0,
    is_day: np.ndarray | None = None,
    resource: Any = None,
) -> np.ndarray:
    """Hourly wind speed at hub height, m/s (module notes: shear, rescaling, Weibull shape).

    Parameters
    ----------
    wind_ref : numpy.ndarray
        Wind speed at ``ref_height_m``, m/s.
    p : WindParams
        Hub height, shear and scaling.
    is_day : numpy.ndarray of bool, optional
        Sun up in each hour (stability shear); without it the night exponent is never used.
    resource : sites.WindResource, optional
        The site's hub-height resource (``mean_speed_ms`` at ``height_m``, ``weibull_k``).
    """
    if p.shear == "constant" or is_day is None:
        alpha: Any = p.hellman_exponent
    else:
        alpha = stability_shear(is_day, p.hellman_exponent_day, p.hellman_exponent_night)
    v_ref = np.asarray(wind_ref, dtype=float)
    v_hub = v_ref * (p.hub_height_m / ref_height_m) ** alpha
    target = p.hub_mean_speed_ms
    if target is None:  # the site's resource, carried from its height to the hub with the same shear
        if resource is None or not p.site_resource:
            return v_hub
        at_resource = v_ref * (resource.height_m / ref_height_m) ** alpha
        if at_resource.mean() > 0:
            v_hub = v_hub * (resource.mean_speed_ms / at_resource.mean())
        if getattr(resource, "weibull_k", None):
            v_hub = weibull_quantile_map(v_hub, float(v_hub.mean()), resource.weibull_k)
    elif v_hub.mean() > 0:
        v_hub = v_hub * (target / v_hub.mean())
    return v_hub


def wind_unit_profile(
    wind_10m: np.ndarray,
    t_air: np.ndarray,
    p_air: np.ndarray,
    p: WindParams,
    wind_height_m: float = 10.0,
    *,
    ghi: np.ndarray | None = None,
    resource: Any = None,
) -> np.ndarray:
    """Wind-farm output per kW installed, kW/kW, hourly.

    Parameters
    ----------
    wind_10m : numpy.ndarray
        Wind speed at ``wind_height_m``, m/s.
    t_air : numpy.ndarray
        Air temperature near the ground, °C.
    p_air : numpy.ndarray
        Station pressure, Pa.
    p : WindParams
        Turbine, hub height, shear, scaling and losses.
    ghi : numpy.ndarray, optional
        Global horizontal irradiance, W/m²: the sun is up where it is > 0 (stability shear).
    resource : sites.WindResource, optional
        The site's hub-height wind resource (used when ``p.hub_mean_speed_ms`` is None and ``p.site_resource``).
    """
    from windpowerlib import density

    ws, values, nominal = turbine_power_curve(p.turbine_type)
    v_hub = hub_wind(wind_10m, p, wind_height_m, None if ghi is None else np.asarray(ghi) > 0, resource)
    t_hub = t_air + 273.15 - 0.0065 * (p.hub_height_m - 2.0)  # K, standard lapse rate
    rho = np.asarray(density.barometric(p_air, 2.0, p.hub_height_m, t_hub), dtype=float)
    curves = density_corrected_curves(ws, rho)  # one corrected curve per hour, whatever the scale
    losses = 1.0 - p.park_losses_pct / 100.0

    def farm(scale: float) -> np.ndarray:
        out = interp_rows(v_hub * scale, curves, values)
        return np.clip(out / nominal, 0.0, 1.0) * losses

    if p.target_capacity_factor is None:
        return farm(1.0)
    # Capacity factor rises with the scale until storms pass cut-out: search up to a 15 m/s mean.
    top = 15.0 / max(float(v_hub.mean()), 1e-6)
    if farm(top).mean() < p.target_capacity_factor:
        raise ConfigError(
            f"green.wind.target_capacity_factor = {number(p.target_capacity_factor, grouped=False)} cannot be reached with {p.turbine_type} "
            f"and {number(p.park_losses_pct, grouped=False)} % park losses"
        )
    lo, hi = 0.0, top  # bisection on the wind-speed scale factor
    for _ in range(40):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if farm(mid).mean() < p.target_capacity_factor else (lo, mid)
    return farm(hi)
