"""Indirect evaporative cooling: an air-to-air heat exchanger with dry, wet and mechanical-trim modes.

The hall's air never meets outdoor air: return air (primary) is cooled in a plate heat
exchanger by outdoor air (secondary, "scavenger"), which is sprayed with water when dry
cooling is not enough. The design western hyperscale halls build where the air is dry and
cool (and the likely one behind Gui'an's reported 1.12). Each hour, in order of cost:

0. **dry** — ``T_sup = T_ret − ε_dry (T_ret − T_db,o)``; when that is colder than the
   setpoint, the scavenger fans slow down (the HX is then asked only for ``T_ret − T_set``);
1. **wet** — the secondary air is wetted: ``T_sup = T_ret − ε_wet (T_ret − T_wb,o)``
   (wet-bulb effectiveness); the heat the exchanger moves leaves as evaporated water;
2. **wet + trim** — a DX coil (CoolProp cycle, condenser in the outdoor air) takes what is
   left down to the setpoint; beyond its capacity the supply runs warmer (out of envelope;
   the IT power is the one at the setpoint — the servers' response to the warmer inlet is
   not followed here, unlike free air).

Air flow ``ṁ = Q/(c_p ΔT_IT)`` through both fan arrays (N + R units, ASHRAE 90.1 App. G part
load): the primary fans against the coil and HX pressure drop, the secondary ones at the
design flow ratio. No outdoor air enters: the hall's humidity is not the weather's.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from twin.building.cooling.air_management import from_columns
from twin.building.cooling.components import (
    CP_AIR,
    ENVELOPES,
    H_FG,
    FanArrayParams,
    fan_array_power,
    fan_power,
    vapour_compression_power,
)
from twin.building.cooling.contract import Columns, CoolingResult, HeatOther, ITFunction, Weather
from twin.building.fluids import fluid_error
from twin.building.it_load import DT_CHIP_AIR
from twin.core.fmt import number, span
from twin.core.params import ConfigError, param
from weather import psychrometrics as psy

__all__ = ["IndirectEvapParams", "indirect_evap_state", "simulate_indirect_evap"]


@dataclass(frozen=True)
class IndirectEvapParams(FanArrayParams):
    """Parameters of the indirect evaporative design."""

    section = "cooling.indirect_evap"

    envelope: str = param("A1", choices=tuple(ENVELOPES), source="ASHRAE2021: Table 2.1")
    t_supply_setpoint: float = param(
        24.0, 10.0, 35.0, units="degC", source="assumption: within the recommended 18–27 °C"
    )
    delta_t_it: float = param(12.0, 3.0, 25.0, units="K", source="assumption: server air temperature rise 10–15 K")
    effectiveness_wet: float = param(
        0.7,
        0.3,
        0.95,
        source="ASHRAEHVAC2020: wet-bulb effectiveness; indirect stage 0.6–0.8 (unverified)",
    )
    effectiveness_dry: float = param(
        0.6, 0.3, 0.9, source="assumption: plate air-to-air heat exchanger at balanced flows, 0.5–0.7"
    )
    primary_pressure_pa: float = param(
        450.0,
        50.0,
        3000.0,
        units="Pa",
        source="assumption: hall air through HX, coil and filters (sized for the site's air density); "
        "the racks' openings add theirs",
    )
    secondary_pressure_pa: float = param(
        350.0, 50.0, 3000.0, units="Pa", source="assumption: outdoor air through HX and spray section"
    )
    secondary_flow_ratio: float = param(1.0, 0.3, 3.0, source="assumption: scavenger / primary air at design")
    fan_efficiency: float = param(0.65, 0.1, 1.0, source="assumption: fan × motor × drive (EC fan arrays)")
    trim_capacity: float = param(
        1.0, 0.0, 2.0, source="mechanical trim capacity / design heat (assumption: full backup)"
    )
    refrigerant: str = param("R410A", source="CoolProp fluid of the DX trim", check=fluid_error)
    eta_isentropic: float = param(0.7, 0.3, 1.0, source="assumption: scroll compressor")
    eta_motor: float = param(0.9, 0.5, 1.0, source="assumption")
    evaporator_approach: float = param(8.0, 1.0, 20.0, units="K", source="assumption: T_evap below supply air")
    condenser_approach: float = param(
        12.0, 3.0, 30.0, units="K", source="assumption: air-cooled condenser over dry bulb"
    )
    cycles_of_concentration: float = param(
        5.0, 1.5, 20.0, source="assumption: spray water blowdown = evaporation / (CoC − 1)"
    )

    def __post_init__(self) -> None:
        super().__post_init__()
        lo, hi = ENVELOPES[self.envelope][:2]
        if not lo <= self.t_supply_setpoint <= hi:
            raise ConfigError(
                f"{self.section}.t_supply_setpoint = {number(self.t_supply_setpoint, grouped=False)} °C is outside the "
                f"{self.envelope} envelope ({span(lo, hi, '°C')})"
            )


def indirect_evap_state(wx: Weather, p: Columns) -> dict[str, np.ndarray]:
    """What each hour asks of the exchanger, before the load: the part of :func:`simulate_indirect_evap`
    that depends only on the weather and the cooling parameters.

    Arrays broadcastable to (case, time): ``t_in`` (server inlet, °C), ``t_set`` (supply air
    held, °C), ``t_ret`` (air returning to the units, °C), ``t_after`` (primary air leaving the
    exchanger, °C), ``dry`` (bool), ``mode``, ``secondary_ratio`` (scavenger flow / its design
    share), ``kw_primary`` and ``kw_secondary`` (fan kW per kg/s at the design pressure rise),
    ``t_evap`` and ``t_cond`` (°C, of the DX trim), and the hall's ``d_s`` (supply approach, K)
    and ``dt_units`` (K). The compiled kernel (:mod:`twin.engine.kernels`) takes the load part from here.
    """
    t_o, t_wb, pa = wx["t_db"], wx["t_wb"], wx["p_air"]
    # The setpoint holds the server inlet: the units supply the supply approach colder air, and
    # the return reaches them at T_supply + ΔT_units (bypass and recirculation included).
    d_s, dt_units, dp_racks = from_columns(p)
    t_in = p["t_supply_setpoint"] + 0.0 * t_o
    t_set = t_in - d_s
    t_ret = t_set + dt_units
    t_dry = t_ret - p["effectiveness_dry"] * (t_ret - t_o)
    t_wet = t_ret - p["effectiveness_wet"] * (t_ret - t_wb)
    dry = t_dry <= t_set
    wet_only = ~dry & (t_wet <= t_set)
    # primary air leaving the HX (never warmer than it came: an outdoor wet bulb above the return
    # leaves the exchanger idle and the trim takes all)
    t_after = np.minimum(np.where(dry, t_set, np.maximum(t_wet, t_set)), t_ret)
    mode = np.where(dry, 0, np.where(wet_only, 1, 2))
    # Scavenger air: slowed in dry hours to what the setpoint needs (HX duty ∝ flow, first order).
    secondary_ratio = np.where(dry, (t_ret - t_set) / np.maximum(t_ret - t_dry, 1e-9), 1.0)
    rho_in = psy.moist_air_density(t_set, psy.humidity_ratio(t_set, 50.0, pa), pa)
    rho_out = psy.moist_air_density(t_o, wx["w"], pa)
    return {
        "t_in": t_in,
        "t_set": t_set,
        "t_ret": t_ret,
        "t_after": t_after,
        "dry": dry,
        "mode": mode,
        "secondary_ratio": secondary_ratio,
        "kw_primary": fan_power(1.0, rho_in, p["primary_pressure_pa"] + dp_racks, p["fan_efficiency"]),
        "kw_secondary": fan_power(1.0, rho_out, p["secondary_pressure_pa"], p["fan_efficiency"]),
        "t_evap": t_set - p["evaporator_approach"],
        "t_cond": t_o + p["condenser_approach"],
        "d_s": d_s,
        "dt_units": dt_units,
    }


def simulate_indirect_evap(
    wx: Weather, p: Columns, it_fn: ITFunction, heat_other: HeatOther, q_design: np.ndarray
) -> CoolingResult:
    """Hourly indirect evaporative cooling for all cases of this design at once (see module notes).

    Same arguments and outputs as :func:`twin.building.cooling.free_air.simulate_free_air`.
    """
    st = indirect_evap_state(wx, p)
    t_in, t_set, t_ret, t_after, dry = st["t_in"], st["t_set"], st["t_ret"], st["t_after"], st["dry"]
    d_s, dt_units = st["d_s"], st["dt_units"]
    it = it_fn(t_in, t_in + DT_CHIP_AIR, True)
    q = it["p_it"] + heat_other(it["p_it"])
    m_air = q / (CP_AIR * dt_units)
    m_design = q_design / (CP_AIR * dt_units)
    q_trim_wanted = m_air * CP_AIR * (t_after - t_set)
    q_trim = np.minimum(q_trim_wanted, p["trim_capacity"] * q_design)
    short = q_trim_wanted - q_trim
    t_supply = t_set + short / np.maximum(m_air * CP_AIR, 1e-12)
    p_comp, cop = vapour_compression_power(
        q_trim, st["t_evap"], st["t_cond"], str(p["refrigerant"]), p["eta_isentropic"], p["eta_motor"]
    )
    p_primary = fan_array_power(m_air, m_design, st["kw_primary"], p)
    m_sec = m_air * p["secondary_flow_ratio"] * st["secondary_ratio"]
    p_secondary = fan_array_power(m_sec, m_design * p["secondary_flow_ratio"], st["kw_secondary"], p)
    # Wet hours: the heat moved in the exchanger leaves the scavenger air as latent heat.
    q_hx = m_air * CP_AIR * (t_ret - t_after)
    evap = np.where(dry, 0.0, q_hx / H_FG * 3600.0)  # kg/h
    water = evap * (1.0 + 1.0 / (p["cycles_of_concentration"] - 1.0))
    env = ENVELOPES[str(p["envelope"])]
    zeros = np.zeros_like(q)
    return {
        **it,
        "q_cooling": q,
        "p_cooling_fans": p_primary,
        "p_pumps": zeros,
        "p_compressor": p_comp,
        "p_heat_rejection": p_secondary,
        "p_humidification": zeros,
        "water": water,
        "mode": st["mode"],
        "t_supply": t_supply,
        "cop_mech": lambda: np.where(q_trim > 0.0, cop, np.nan),
        "out_of_envelope": (t_supply + d_s > env[1] + 1e-6) | (t_supply + d_s < env[0] - 1e-6),
    }
