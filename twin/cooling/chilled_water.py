"""Chilled-water baseline: CRAH fans, chilled-water pumps, chiller, cooling tower, water-side economiser.

What a typical eastern or US facility runs. Heat path: servers → air (CRAH fans) → chilled
water (pumps) → chiller evaporator; chiller condenser → condenser water → cooling tower
approaching the outdoor wet bulb. A water-side economiser (plate heat exchanger) pre-cools
the chilled-water return with tower water whenever the tower water is colder than it, and
carries the whole load when it is cold enough ("free cooling").

Chiller COP: a vapour-compression cycle computed with CoolProp between
``T_evap = T_chw,supply − approach_evap`` and ``T_cond = T_tower + range + approach_cond``,
tabulated once (:func:`twin.fluids.cycle_table`), times a motor/drive efficiency.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from twin.cooling.components import (
    CP_AIR,
    CP_WATER,
    ENVELOPES,
    H_FG,
    RHO_WATER,
    fan_power,
    pump_power,
    vapour_compression_power,
)
from twin.fluids import fluid_error
from twin.it_load import DT_CHIP_AIR
from twin.params import ConfigError, Params, param
from weather import psychrometrics as psy

__all__ = ["ChilledWaterParams", "simulate_chilled_water"]

MODES = ("free cooling", "partial economiser", "chiller")


@dataclass(frozen=True)
class ChilledWaterParams(Params):
    """Parameters of the chilled-water baseline."""

    section = "cooling.chilled_water"

    envelope: str = param("A1", choices=tuple(ENVELOPES), source="ASHRAE2021: Table 2.1")
    t_supply_air: float = param(22.0, 10.0, 35.0, units="degC", source="assumption: CRAH supply air")
    delta_t_it: float = param(12.0, 3.0, 25.0, units="K", source="assumption: server air temperature rise")
    crah_fan_pressure_pa: float = param(400.0, 50.0, 3000.0, units="Pa", source="assumption")
    fan_efficiency: float = param(0.6, 0.1, 1.0, source="assumption: fan × motor × drive")
    t_chw_supply: float = param(
        12.0, 4.0, 25.0, units="degC", source="assumption: elevated chilled water, 10–15 °C common"
    )
    delta_t_chw: float = param(6.0, 2.0, 15.0, units="K", source="assumption")
    chw_pump_head_pa: float = param(250_000.0, 10_000.0, 1e6, units="Pa", source="assumption")
    cw_pump_head_pa: float = param(200_000.0, 10_000.0, 1e6, units="Pa", source="assumption")
    pump_efficiency: float = param(0.7, 0.1, 1.0, source="assumption: pump × motor")
    refrigerant: str = param("R134a", source="CoolProp fluid (R1234ze(E) is a lower-GWP option)", check=fluid_error)
    eta_isentropic: float = param(0.75, 0.3, 1.0, source="assumption: centrifugal/screw compressor")
    eta_motor: float = param(0.93, 0.5, 1.0, source="assumption: motor and VFD")
    evaporator_approach: float = param(2.0, 0.5, 10.0, units="K", source="assumption")
    condenser_approach: float = param(2.0, 0.5, 10.0, units="K", source="assumption")
    tower_approach: float = param(4.0, 1.0, 15.0, units="K", source="Brief2025: vendor data 2.8–5.6 K")
    tower_range: float = param(5.6, 2.0, 15.0, units="K", source="Brief2025: vendor data 5.6–8.3 K")
    tower_min_water: float = param(5.0, 0.0, 20.0, units="degC", source="assumption: freeze protection")
    tower_fan_kw_per_kw: float = param(
        0.01, 0.0, 0.1, units="1", source="assumption: tower fans per kW of heat rejected"
    )
    tower_latent_fraction: float = param(
        0.85, 0.5, 1.0, source="assumption: share of tower heat rejected by evaporation"
    )
    cycles_of_concentration: float = param(5.0, 1.5, 20.0, source="assumption: blowdown = evaporation / (CoC − 1)")
    economiser: bool = param(True)
    economiser_approach: float = param(2.0, 0.5, 10.0, units="K", source="assumption: plate heat exchanger")

    def __post_init__(self) -> None:
        super().__post_init__()
        lo, hi = ENVELOPES[self.envelope][:2]
        if not lo <= self.t_supply_air <= hi:
            raise ConfigError(
                f"{self.section}.t_supply_air = {self.t_supply_air:g} °C is outside the {self.envelope} envelope ({lo:g} … {hi:g} °C)"
            )


def simulate_chilled_water(
    wx: dict[str, np.ndarray], p: dict[str, Any], it_fn, heat_other, q_design: np.ndarray
) -> dict[str, np.ndarray]:
    """Hourly chilled-water plant for all cases of this design at once (see module notes).

    Same arguments and outputs as :func:`twin.cooling.free_air.simulate_free_air`.
    """
    t_sup = p["t_supply_air"] + 0.0 * wx["t_db"]
    it = it_fn(t_sup, t_sup + DT_CHIP_AIR, True)
    q = it["p_it"] + heat_other(it["p_it"])
    m_air = q / (CP_AIR * p["delta_t_it"])
    rho = psy.moist_air_density(t_sup, psy.humidity_ratio(t_sup, 50.0, wx["p_air"]), wx["p_air"])
    p_crah = fan_power(m_air, rho, p["crah_fan_pressure_pa"], p["fan_efficiency"])
    p_chw = pump_power(q, p["delta_t_chw"], RHO_WATER, CP_WATER, p["chw_pump_head_pa"], p["pump_efficiency"])
    # Tower water leaving temperature.
    t_tower = np.maximum(wx["t_wb"] + p["tower_approach"], p["tower_min_water"])
    t_chw_ret = p["t_chw_supply"] + p["delta_t_chw"]
    t_econ = t_tower + p["economiser_approach"]
    frac_free = np.where(p["economiser"], np.clip((t_chw_ret - t_econ) / p["delta_t_chw"], 0.0, 1.0), 0.0)
    q_chiller = q * (1.0 - frac_free)
    t_evap = p["t_chw_supply"] - p["evaporator_approach"]
    t_cond = t_tower + p["tower_range"] + p["condenser_approach"]
    p_comp, cop = vapour_compression_power(
        q_chiller, t_evap, t_cond, p["refrigerant"], p["eta_isentropic"], p["eta_motor"]
    )
    q_rej = q + p_comp
    p_cw = pump_power(q_rej, p["tower_range"], RHO_WATER, CP_WATER, p["cw_pump_head_pa"], p["pump_efficiency"])
    p_tower = p["tower_fan_kw_per_kw"] * q_rej
    evap = p["tower_latent_fraction"] * q_rej / H_FG * 3600.0  # kg/h
    water = evap * (1.0 + 1.0 / (p["cycles_of_concentration"] - 1.0))
    mode = np.where(frac_free >= 1.0, 0, np.where(frac_free > 0.0, 1, 2))
    env = ENVELOPES[p["envelope"]]
    zeros = np.zeros_like(q)
    return {
        **it,
        "q_cooling": q,
        "p_cooling_fans": p_crah,
        "p_pumps": p_chw + p_cw,
        "p_compressor": p_comp,
        "p_heat_rejection": p_tower,
        "p_humidification": zeros,
        "water": water,
        "mode": mode,
        "t_supply": t_sup,
        "cop_mech": lambda: np.where(q_chiller > 0.0, cop, np.nan),  # hours it runs; only if kept
        "out_of_envelope": (t_sup > env[1]) | (t_sup < env[0]),
        "economiser_fraction": frac_free,
    }
