"""Wind-farm output with windpowerlib and its offline turbine library.

A unit profile (kW per kW of installed turbines), computed once per site and turbine choice:
the station wind (10 m) is carried to hub height with the Hellman power law
(``windpowerlib.wind_speed.hellman``), optionally rescaled so that its annual mean equals a
hub-height resource (station data understate wind-farm resource, Brief2025), the
air density at hub height comes from the barometric formula at the site's pressure and
temperature (``windpowerlib.density.barometric``), and the turbine's power curve is applied
with density correction (``windpowerlib.power_output.power_curve``, IEC 61400-12 method).
Park losses (wakes, availability, electrical) are one factor. Instead of a mean speed, a target
capacity factor can be given: the hourly shape is then scaled (bisection on the speed factor)
until the farm reaches it.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from twin.params import ConfigError, Params, param

__all__ = ["WindParams", "turbine_types", "wind_unit_profile"]


@functools.lru_cache(maxsize=1)
def turbine_types() -> tuple[str, ...]:
    """Turbine types with a power curve in windpowerlib's offline library."""
    from windpowerlib import get_turbine_types

    df = get_turbine_types(print_out=False)
    return tuple(sorted(df[df["has_power_curve"]]["turbine_type"]))


@dataclass(frozen=True)
class WindParams(Params):
    """A wind farm feeding the site."""

    section = "green.wind"

    capacity_mw: float = param(0.0, 0.0, 1e5, units="MW", source="input")
    turbine_type: str = param("E-126/4200", source="windpowerlib: offline turbine library (windpowerlib)")
    hub_height_m: float = param(135.0, 20.0, 250.0, units="m", source="assumption: modern onshore hub")
    hellman_exponent: float = param(1 / 7, 0.05, 0.6, source="open terrain, 1/7 power law (assumption)")
    hub_mean_speed_ms: float | None = param(
        None, 0.5, 20.0, units="m s-1", source="input: the hub-height annual mean to scale to", inherit="no rescaling"
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
        if self.turbine_type not in turbine_types():
            raise ConfigError(
                f"green.wind.turbine_type = {self.turbine_type!r} is not in windpowerlib's library; known types: {', '.join(turbine_types())}"
            )


def wind_unit_profile(
    wind_10m: np.ndarray, t_air: np.ndarray, p_air: np.ndarray, p: WindParams, wind_height_m: float = 10.0
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
    """
    from windpowerlib import WindTurbine, density, power_output, wind_speed

    turbine = WindTurbine(turbine_type=p.turbine_type, hub_height=p.hub_height_m)
    v_hub = np.asarray(
        wind_speed.hellman(wind_10m, wind_height_m, p.hub_height_m, hellman_exponent=p.hellman_exponent), dtype=float
    )
    if p.hub_mean_speed_ms is not None and v_hub.mean() > 0:
        v_hub = v_hub * (p.hub_mean_speed_ms / v_hub.mean())
    t_hub = t_air + 273.15 - 0.0065 * (p.hub_height_m - 2.0)  # K, standard lapse rate
    rho = np.asarray(density.barometric(p_air, 2.0, p.hub_height_m, t_hub), dtype=float)
    curve = turbine.power_curve
    losses = 1.0 - p.park_losses_pct / 100.0

    def farm(scale: float) -> np.ndarray:
        out = power_output.power_curve(
            v_hub * scale,
            curve["wind_speed"].to_numpy(),
            curve["value"].to_numpy(),
            density=rho,
            density_correction=True,
        )
        return np.clip(np.asarray(out, dtype=float) / turbine.nominal_power, 0.0, 1.0) * losses

    if p.target_capacity_factor is None:
        return farm(1.0)
    # Capacity factor rises with the scale until storms pass cut-out: search up to a 15 m/s mean.
    top = 15.0 / max(float(v_hub.mean()), 1e-6)
    if farm(top).mean() < p.target_capacity_factor:
        raise ConfigError(
            f"green.wind.target_capacity_factor = {p.target_capacity_factor:g} cannot be reached with {p.turbine_type} "
            f"and {p.park_losses_pct:g} % park losses"
        )
    lo, hi = 0.0, top  # bisection on the wind-speed scale factor
    for _ in range(40):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if farm(mid).mean() < p.target_capacity_factor else (lo, mid)
    return farm(hi)
