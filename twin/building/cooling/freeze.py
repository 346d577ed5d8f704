"""Freeze protection of outdoor water loops: glycol in closed dry-cooler loops, basin heaters in towers.

Active only where the site's weather falls below freezing. Computed per case before the
hourly arithmetic (the glycol and its penalties are constants of a case), except the basin
heaters, which follow the hour's dry bulb.

* **Glycol** (closed loops to dry coolers): ethylene glycol (CoolProp ``INCOMP::MEG-x%``) of the
  lowest mass fraction on a 10 % grid whose freezing point (CoolProp) lies ``margin`` below the
  year's lowest dry bulb. Against water at the loop's mean temperature, for the same heat and
  temperature difference:

  - pump power ``× (V̇_g/V̇_w) (Δp_g/Δp_w)``, with ``V̇ ∝ 1/(ρ c_p)`` and the loop's head all
    turbulent friction (smooth pipe, Darcy ``f = 0.184 Re^-0.2`` (McAdams), so
    ``Δp ∝ ρ^0.8 μ^0.2 V̇^1.8``);
  - heat transfer: the liquid-side film coefficient (Dittus–Boelter at the same duty,
    ``h ∝ k^0.6 c_p^-0.4 μ^-0.4``) falls to ``r_h`` of water's; with the liquid side a share
    ``s`` of the dry cooler's thermal resistance the approach grows by ``(1 − s) + s / r_h``.

* **Basin heaters** (open cooling towers, which cannot take glycol): EnergyPlus's model
  (``CoolingTower:*`` "Basin Heater Capacity" in W/K and "Basin Heater Setpoint Temperature",
  default 2 °C): ``P = C max(T_set − T_db, 0)`` for the cells not running (a running cell's
  water is kept warm by its load).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from twin.building.fluids import _COOLPROP_LOCK, _cached

__all__ = ["GLYCOL_FRACTIONS", "basin_heater_power", "glycol_for_site", "glycol_fraction", "glycol_penalties"]

GLYCOL_FRACTIONS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6)
"""Ethylene-glycol mass fractions to choose from (CoolProp ``INCOMP::MEG`` covers 0–60 %)."""

_T0 = 273.15


@lru_cache(maxsize=16)
def _freeze_point(fraction: float) -> float:
    """Freezing point of the glycol, °C (CoolProp; disk-cached like the fluid tables)."""

    def compute() -> float:
        from CoolProp.CoolProp import PropsSI

        with _COOLPROP_LOCK:
            return PropsSI("T_freeze", glycol_name(fraction)) - _T0

    return _cached(
        "glycol_freeze",
        {"fraction": fraction},
        compute,
        lambda t: {"t": np.array([t], dtype=float)},
        lambda a: float(a["t"][0]),
        sources=(__file__,),
    )


def glycol_name(fraction: float) -> str:
    """CoolProp name of ethylene glycol of this mass fraction: ``INCOMP::MEG-40%``."""
    return f"INCOMP::MEG-{round(100 * fraction):d}%"


def glycol_fraction(t_min: float, margin: float) -> float:
    """Lowest glycol mass fraction of :data:`GLYCOL_FRACTIONS` freezing ``margin`` K below ``t_min`` °C.

    0 when the site never freezes (``t_min ≥ 0``); the largest fraction if none is enough.
    """
    if t_min >= 0.0:
        return 0.0
    for x in GLYCOL_FRACTIONS:
        if _freeze_point(x) <= t_min - margin:
            return x
    return GLYCOL_FRACTIONS[-1]


@lru_cache(maxsize=64)
def glycol_penalties(fraction: float, t_mean: float, liquid_share: float) -> tuple[float, float]:
    """``(pump factor, approach factor)`` of glycol of ``fraction`` against water at ``t_mean`` °C.

    See the module notes; ``liquid_share`` is the liquid side's share of the heat exchanger's
    thermal resistance. ``(1, 1)`` for ``fraction = 0``.
    """
    if fraction <= 0.0:
        return 1.0, 1.0
    rho, cp, mu, k = _property_ratios(fraction, t_mean)
    flow = 1.0 / (rho * cp)
    head = rho**0.8 * mu**0.2 * flow**1.8
    r_h = k**0.6 * cp**-0.4 * mu**-0.4
    return flow * head, (1.0 - liquid_share) + liquid_share / r_h


def _property_ratios(fraction: float, t_mean: float) -> tuple[float, float, float, float]:
    """Density, heat capacity, viscosity and conductivity of the glycol over water's at
    ``t_mean`` °C and 2 bar (CoolProp; disk-cached like the fluid tables)."""

    def compute() -> tuple[float, float, float, float]:
        from CoolProp.CoolProp import PropsSI

        t = t_mean + _T0
        with _COOLPROP_LOCK:
            g = [PropsSI(k, "T", t, "P", 2e5, glycol_name(fraction)) for k in ("D", "C", "V", "L")]
            w = [PropsSI(k, "T", t, "P", 2e5, "Water") for k in ("D", "C", "V", "L")]
        rho, cp, mu, k = (a / b for a, b in zip(g, w, strict=True))
        return rho, cp, mu, k

    return _cached(
        "glycol_ratios",
        {"fraction": fraction, "t_mean": t_mean},
        compute,
        lambda r: {"ratios": np.array(r, dtype=float)},
        lambda a: tuple(float(x) for x in a["ratios"]),
        sources=(__file__,),
    )


def glycol_for_site(
    t_db: np.ndarray, t_mean: np.ndarray, margin: np.ndarray, liquid_share: np.ndarray, on: bool
) -> dict[str, np.ndarray]:
    """Glycol fraction and its penalties per case, from each case's lowest dry bulb of the year.

    Parameters
    ----------
    t_db : array_like
        Hourly dry bulb, °C, (case, time) or (1, time).
    t_mean : array_like
        Mean loop temperature, °C, per case.
    margin : array_like
        Freezing point below the lowest dry bulb, K.
    liquid_share : array_like
        Liquid side's share of the dry cooler's thermal resistance.
    on : bool
        False: no glycol anywhere.

    Returns
    -------
    dict
        ``fraction``, ``pump`` and ``approach`` factors as (case, 1) columns.
    """
    t_min = np.min(np.atleast_2d(t_db), axis=-1, keepdims=True)
    shape = np.broadcast_shapes(t_min.shape, np.shape(t_mean), np.shape(margin), np.shape(liquid_share))
    frac, pump, app = np.zeros(shape), np.ones(shape), np.ones(shape)
    if on:
        tm, tt, mg, ls = (
            np.broadcast_to(np.asarray(a, dtype=float), shape) for a in (t_min, t_mean, margin, liquid_share)
        )
        for i in np.ndindex(shape):
            x = glycol_fraction(float(tm[i]), float(mg[i]))
            frac[i] = x
            pump[i], app[i] = glycol_penalties(x, round(float(tt[i]), 0), round(float(ls[i]), 3))
    return {"fraction": frac, "pump": pump, "approach": app}


def basin_heater_power(
    t_db: np.ndarray, idle_share: np.ndarray, capacity_kw_per_k: np.ndarray, t_set: np.ndarray
) -> np.ndarray:
    """Basin heater power of the tower cells not running, kW: ``C (1 − running share) max(T_set − T_db, 0)``."""
    return capacity_kw_per_k * idle_share * np.maximum(t_set - t_db, 0.0)
