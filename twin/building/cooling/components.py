"""Shared pieces of every cooling design: fans, pumps, vapour compression, heat rejection.

Units: power kW, heat kW, temperature °C, pressure Pa, mass flow kg/s, water L/h. All
functions are vectorised and broadcast over ``(case, time)`` arrays.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from twin.building import fluids
from twin.building.cooling.curves import part_load_power
from twin.core.params import Params, param

Num = np.ndarray | float
"""An array or a plain number (a parameter equal in every case may be either)."""

__all__ = [
    "CP_AIR",
    "ENVELOPES",
    "H_FG",
    "FanArrayParams",
    "dry_cooler",
    "fan_array_power",
    "fan_power",
    "pump_power",
    "vapour_compression_power",
]

CP_AIR = 1.006
"""Specific heat of dry air, kJ/(kg K) (ASHRAE 2017 ch. 1)."""
CP_WATER = 4.186
"""Specific heat of liquid water, kJ/(kg K)."""
RHO_WATER = 997.0
"""Density of water, kg/m³."""
H_FG = 2450.0
"""Latent heat of evaporation of water near 20 °C, kJ/kg."""

# ASHRAE TC9.9 Thermal Guidelines, 5th ed. (2021), Table 2.1 (ASHRAE2021):
# class: (dry bulb min, max °C, dew point min, max °C, RH min, max %)
ENVELOPES: dict[str, tuple[float, float, float, float, float, float]] = {
    "recommended": (18.0, 27.0, -9.0, 15.0, 0.0, 70.0),
    "A1": (15.0, 32.0, -12.0, 17.0, 8.0, 80.0),
    "A2": (10.0, 35.0, -12.0, 21.0, 8.0, 80.0),
    "A3": (5.0, 40.0, -12.0, 24.0, 8.0, 85.0),
    "A4": (5.0, 45.0, -12.0, 24.0, 8.0, 90.0),
}


def fan_power(mass_flow: Num, density: Num, pressure_rise: Num, efficiency: Num) -> Num:
    """Fan electric power, kW: ``V̇ Δp / η`` with ``V̇ = ṁ / ρ`` (m³/s).

    Lower air density at altitude means more volume for the same mass, so more power. The
    pressure rise is taken as the same at any altitude: at fixed geometry it would grow as
    ``1/ρ`` (``Δp ∝ ρ w²`` with ``w ∝ 1/ρ``), so the designs' filters and coils are taken as
    enlarged for the site's density (an assumption their ``*_pressure_pa`` parameters state);
    the racks' openings (:mod:`twin.building.cooling.air_management`) do feel the density.
    """
    return mass_flow / density * pressure_rise / efficiency / 1000.0


@dataclass(frozen=True)
class FanArrayParams(Params):
    """The air movers of an air design: N + R identical fans sharing the airflow."""

    fan_units: int = param(10, 1, 1000, units="1", source="assumption: N duty fan walls / CRAH units per hall")
    fan_redundant_units: int = param(1, 0, 100, units="1", source="assumption: N+1, the spare runs too")
    fan_min_flow: float = param(
        0.2, 0.0, 1.0, source="ASHRAE901: App. G VSD fan minimum flow fraction (OpenStudioStandards)"
    )
    fan_control: str = param(
        "vsd",
        choices=("vsd", "constant"),
        source="vsd: ASHRAE901 App. G part-load curve; constant: fixed-speed fans at design power",
    )
    max_kw_per_rack: float = param(
        30.0,
        5.0,
        100.0,
        units="kW",
        source="assumption: air cooling stops being practical above 25–30 kW/rack even with containment",
    )


def fan_array_power(m_air: np.ndarray, m_design: np.ndarray, kw_per_kg_s: Num, p: Mapping[str, Any]) -> np.ndarray:
    """Power of the fan array, kW, moving ``m_air`` (kg/s) of air sized for ``m_design``.

    ``kw_per_kg_s`` is the power per kg/s at the design pressure rise (:func:`fan_power` of 1
    kg/s); the part load follows :func:`twin.building.cooling.curves.part_load_power` with the
    :class:`FanArrayParams` fields in ``p``.
    """
    return part_load_power(
        m_air / np.maximum(m_design, 1e-12),
        m_design * kw_per_kg_s,
        str(p["fan_control"]),
        units=p["fan_units"],
        redundant=p["fan_redundant_units"],
        min_flow=p["fan_min_flow"],
    )


def pump_power(heat_kw: Num, delta_t: Num, rho: Num, cp_kj: Num, head_pa: Num, efficiency: Num) -> Num:
    """Pump electric power, kW, for a liquid loop carrying ``heat_kw`` with temperature rise ``delta_t``.

    ``ṁ = Q / (c_p ΔT)``, ``V̇ = ṁ / ρ``, ``P = V̇ Δp / η``.
    """
    flow = heat_kw / (cp_kj * delta_t) / rho
    return flow * head_pa / efficiency / 1000.0


def vapour_compression_power(
    q_kw: np.ndarray,
    t_evap: np.ndarray,
    t_cond: np.ndarray,
    refrigerant: str,
    eta_isentropic: np.ndarray,
    eta_motor: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Compressor electric power, kW, and COP, for cooling ``q_kw`` between T_evap and T_cond (°C).

    COP from the CoolProp cycle table with an isentropic compressor
    (:func:`twin.building.fluids.cycle_table`), times the isentropic efficiency — exact, since
    ``h2 − h1 = (h2s − h1)/η`` — and times the motor and drive efficiency. The COP does not
    depend on the load, so the table is evaluated on the temperatures' own shape (per hour,
    not per case and hour when the cases share them), and only in the hours in which some case
    runs the compressor; the returned COP is +inf in the others (mask it with ``q_kw > 0``).
    Negative ``q_kw`` counts as 0.
    """
    q = np.asarray(q_kw, dtype=float)
    te, tc, ei, em = (np.asarray(a, dtype=float) for a in (t_evap, t_cond, eta_isentropic, eta_motor))
    shape = np.broadcast_shapes(te.shape, tc.shape, ei.shape, em.shape)
    table = fluids.cycle_table(refrigerant, 1.0)
    if not shape or shape[-1] == 1 or q.ndim == 0:  # no hourly axis to thin out
        cop = table(te, tc) * ei * em
    else:
        # the hours (last axis) in which any case runs
        runs = np.broadcast_to((q > 0.0).reshape(-1, q.shape[-1]).any(axis=0), shape[-1:])
        hours = np.flatnonzero(runs)
        cop = np.full(shape, np.inf)
        if hours.size:
            cop[..., hours] = (
                table(at_hours(te, hours), at_hours(tc, hours)) * at_hours(ei, hours) * at_hours(em, hours)
            )
    return np.maximum(q, 0.0) / cop, cop


def at_hours(a: Any, hours: np.ndarray) -> Any:
    """The columns ``hours`` of an array broadcastable to (case, time); a column without a time axis as it is."""
    if isinstance(a, np.ndarray):
        return a[..., hours] if a.ndim and a.shape[-1] != 1 else a
    return a[..., hours] if np.ndim(a) and np.shape(a)[-1] != 1 else a


def dry_cooler(
    t_db: np.ndarray,
    t_wb: np.ndarray,
    q_kw: np.ndarray,
    q_design_kw: np.ndarray,
    t_water_target: np.ndarray,
    *,
    approach_design: np.ndarray,
    fan_specific_power: np.ndarray,
    adiabatic: np.ndarray,
    adiabatic_effectiveness: np.ndarray,
    air_delta_t_design: float = 10.0,
) -> dict[str, np.ndarray]:
    """Dry cooler with optional adiabatic pre-cooling, holding a water supply temperature.

    Parameters
    ----------
    t_db, t_wb : array_like
        Outdoor dry and wet bulb, °C.
    q_kw, q_design_kw : array_like
        Heat rejected now and at design, kW.
    t_water_target : array_like
        Water supply temperature wanted, °C.
    approach_design : array_like
        Water supply minus entering air at design heat and full fan speed, K.
    fan_specific_power : array_like
        Fan power at full speed per kW of design heat, kW/kW.
    adiabatic : array_like of bool
        Whether adiabatic pre-cooling pads are fitted.
    adiabatic_effectiveness : array_like
        Saturation effectiveness of the pads.

    Returns
    -------
    dict
        ``t_water`` (supply reached, °C), ``p_fans`` (kW), ``water`` (L/h of evaporated
        water), ``adiabatic_on`` (bool), ``short`` (target not reached).

    Notes
    -----
    The approach scales with heat per unit airflow: at airflow ratio r,
    ``approach = a_d (Q/Q_d)/r``. Fans slow down (r < 1) when the air is cold enough,
    ``r = a_d (Q/Q_d)/(T_target − T_air)``, clipped to [0.1, 1]; fan power ∝ r³ (affinity
    law). Adiabatic pads cool the entering air to ``T_db − ε (T_db − T_wb)`` when dry air
    cannot reach the target; the water evaporated is ``ṁ_air c_p ΔT / h_fg`` with the air flow
    ``ṁ_air = r Q_d / (c_p ΔT_air,d)`` (``ΔT_air,d`` = 10 K, assumption).
    """
    load = q_kw / q_design_kw
    need = approach_design * load
    dry_gap = t_water_target - t_db
    wet_air = t_db - adiabatic_effectiveness * (t_db - t_wb)
    use_pad = adiabatic & (need > np.maximum(dry_gap, 1e-9))
    t_air = np.where(use_pad, wet_air, t_db)
    gap = t_water_target - t_air
    r = np.clip(np.where(gap > 1e-9, need / np.maximum(gap, 1e-9), 1.0), 0.1, 1.0)
    t_water = t_air + need / r
    p_fans = fan_specific_power * q_design_kw * r**3
    m_air = r * q_design_kw / (CP_AIR * air_delta_t_design)
    water = np.where(use_pad, m_air * CP_AIR * (t_db - t_air) / H_FG * 3600.0, 0.0)  # kg/h = L/h
    return {
        "t_water": t_water,
        "p_fans": p_fans,
        "water": water,
        "adiabatic_on": use_pad,
        "short": t_water > t_water_target + 1e-6,
    }
