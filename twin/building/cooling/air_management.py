"""Air management of an air-cooled hall: containment, supply and return approach, rack-density pressure.

Two effects that a well-mixed room model misses, brought in as per-case quantities computed
before the hourly arithmetic (:func:`air_side`), which the air designs then read from their
parameter columns (``supply_approach``, ``return_approach``, ``dp_distribution``):

* **Bypass and recirculation** as EnergyPlus ``ElectricEquipment:ITE:AirCooled`` models them
  with ``FlowControlWithApproachTemperatures`` (EnergyPlus Engineering Reference, "Electric
  Equipment ITE Air Cooled"; Sun and Hong, LBNL, 2017): the server inlet is warmer than the
  supply air by the *supply approach* ``ΔT_s`` (hot air recirculated into the cold aisle), and
  the air returning to the cooling units differs from the servers' exhaust by the *return
  approach* ``ΔT_r`` (negative: cold air bypassing the servers dilutes the return):
  ``T_in = T_supply + ΔT_s``, ``T_return = T_in + ΔT_IT + ΔT_r``; the cooling units move
  ``ṁ = Q / (c_p (T_return − T_supply))``. The controls hold the server inlet at the design's
  setpoint, so the units supply ``ΔT_s`` colder air (as the openstudio-standards data-centre
  prototypes set their supply air: IT design entering temperature minus the supply approach).
* **Rack density**: every rack's air passes its own openings (a perforated floor tile or grate
  in front of it; the return grille or chimney duct of a hot-aisle or chimney rack) whose
  pressure loss grows with the square of the air per rack:
  ``Δp = ζ(f) ρ w² / 2``, ``w = V̇_rack / A_rack``, with Idelchik's loss coefficient of a
  thin sharp-edged perforated plate of open fraction ``f`` (Idelchik 1994, diagram 8-1,
  Re > 10⁵): ``ζ = (0.707 (1 − f)^0.375 + 1 − f)² / f²``. ``V̇_rack`` is the rack's
  air at design heat, ``kW/rack / (ρ c_p (T_return − T_supply))``: a denser rack, or less
  temperature rise across the units, costs fan pressure. The fans' design pressure rise is
  the units' own (filters, coils) plus this.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from twin.building.cooling.components import CP_AIR

__all__ = [
    "AIR_COLUMNS",
    "CONTAINMENT",
    "R_DRY_AIR",
    "air_side",
    "approaches",
    "distribution_pressure",
    "perforated_plate_loss",
]

AIR_COLUMNS = ("supply_approach", "return_approach", "dt_units", "dp_distribution")
"""The columns :func:`air_side` adds to a design's parameters."""

R_DRY_AIR = 287.055
"""Gas constant of dry air, J/(kg K)."""

CONTAINMENT: dict[str, tuple[float, float, str]] = {
    # containment: (supply approach K, return approach K, source)
    "none": (
        8.3,
        -6.7,
        "OpenStudioDC: LargeDataCenterHighITE prototype, 'fully open' hall (LBNL scorecard lookup table)",
    ),
    "cold_aisle": (1.0, -1.0, "assumption: closed cold aisle, leakage through gaps (EnergyPlusITE example: 2 / -2)"),
    "hot_aisle": (1.5, -0.5, "assumption: closed hot aisle, the room is the cold plenum; leakage through doors"),
    "chimney": (1.0, -0.5, "assumption: ducted rack exhaust (chimney cabinets) to a ceiling return"),
}
"""Supply and return approach temperatures by containment (EnergyPlus ITE inputs)."""


def perforated_plate_loss(open_fraction: np.ndarray | float) -> np.ndarray:
    """Loss coefficient ζ of a thin sharp-edged perforated plate, on the velocity over its whole area.

    ``ζ = (0.707 (1 − f)^0.375 + 1 − f)² / f²`` (Idelchik, *Handbook of Hydraulic Resistance*,
    3rd ed., 1994, diagram 8-1, Re ≥ 10⁵): 30.7 for a 25 % open tile, 2.94 for a 56 % grate.
    """
    f = np.asarray(open_fraction, dtype=float)
    return (0.707 * (1.0 - f) ** 0.375 + 1.0 - f) ** 2 / f**2


def distribution_pressure(
    kw_per_rack: np.ndarray | float,
    dt_units: np.ndarray | float,
    density: np.ndarray | float,
    area_m2: np.ndarray | float,
    open_fraction: np.ndarray | float,
) -> np.ndarray:
    """Pressure loss of a rack's air openings at design heat, Pa.

    Parameters
    ----------
    kw_per_rack : array_like
        Heat of a rack carried by air at design, kW.
    dt_units : array_like
        Temperature rise of the air across the cooling units, ``T_return − T_supply``, K.
    density : array_like
        Air density, kg/m³.
    area_m2 : array_like
        Gross area of the rack's openings (tiles, grilles), m².
    open_fraction : array_like
        Their open fraction.

    Notes
    -----
    ``V̇ = P_rack / (ρ c_p ΔT)``, ``w = V̇ / A``, ``Δp = ζ(f) ρ w² / 2``
    (:func:`perforated_plate_loss`): quadratic in the rack's power.
    """
    flow = np.asarray(kw_per_rack, dtype=float) / (density * CP_AIR * dt_units)  # m³/s
    w = flow / area_m2
    return perforated_plate_loss(open_fraction) * 0.5 * density * w**2


def approaches(containment: str, supply: Any = None, ret: Any = None) -> tuple[Any, Any]:
    """Supply and return approach, K: the given values, or the containment's (:data:`CONTAINMENT`).

    ``supply`` / ``ret`` may be columns in which NaN (an unset parameter) takes the table's value.
    """
    s0, r0, _ = CONTAINMENT[containment]
    if supply is None:
        return s0, r0
    return np.where(np.isnan(supply), s0, supply), np.where(np.isnan(ret), r0, ret)


def air_side(
    fac: Mapping[str, Any], dt_it: Any, air_share: Any, p_air: np.ndarray, t_inlet: Any = 22.0
) -> dict[str, np.ndarray]:
    """The air-management columns of a block, computed once per case before the hourly physics.

    Parameters
    ----------
    fac : mapping
        Facility columns (:class:`twin.building.it_load.ITParams`): ``containment``,
        ``supply_approach``, ``return_approach``, ``kw_per_rack``, ``rack_opening_m2``,
        ``rack_open_fraction``.
    dt_it : array_like
        Server air temperature rise, K.
    air_share : array_like
        Share of a rack's heat carried by the hall's air (1 for air designs; ``1 − capture``
        for liquid ones).
    p_air : array_like
        Hourly site pressure, Pa, (case, time) or (1, time): its mean sets the air density.
    t_inlet : array_like
        Server inlet temperature for the density, °C.

    Returns
    -------
    dict
        ``supply_approach``, ``return_approach`` (K), ``dt_units`` (``ΔT_IT + ΔT_s + ΔT_r``,
        K) and ``dp_distribution`` (Pa), each a (case, 1) or (1, 1) column.
    """
    ds, dr = approaches(str(fac["containment"]), fac["supply_approach"], fac["return_approach"])
    dt_units = dt_it + ds + dr
    p_mean = np.mean(np.atleast_2d(p_air), axis=-1, keepdims=True)
    rho = p_mean / (R_DRY_AIR * (np.asarray(t_inlet, dtype=float) - ds + 273.15))
    dp = distribution_pressure(
        fac["kw_per_rack"] * air_share, dt_units, rho, fac["rack_opening_m2"], fac["rack_open_fraction"]
    )
    return {
        "supply_approach": np.asarray(ds, dtype=float) + 0.0 * dp,
        "return_approach": np.asarray(dr, dtype=float) + 0.0 * dp,
        "dt_units": np.asarray(dt_units, dtype=float) + 0.0 * dp,
        "dp_distribution": dp,
    }


def from_columns(p: Mapping[str, Any]) -> tuple[Any, Any, Any]:
    """``(supply_approach, dt_units, dp_distribution)`` of a design's columns; a well-mixed room
    with no distribution loss (0, ``delta_t_it``, 0) when the facility chain did not add them."""
    if "supply_approach" not in p:
        return 0.0, p["delta_t_it"], 0.0
    return p["supply_approach"], p["dt_units"], p["dp_distribution"]
