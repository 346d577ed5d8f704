"""Chilled-water plant: CRAH fans, chilled-water pumps, staged chillers, cooling towers, water-side economiser.

What a typical eastern or US facility runs. Heat path: servers → air (CRAH fans) → chilled
water (pumps) → chiller evaporators; condensers → condenser water → cooling tower cells
approaching the outdoor wet bulb. A water-side economiser (plate heat exchanger) pre-cools
the chilled-water return with tower water whenever the tower water is colder than it, and
carries the whole load when it is cold enough ("free cooling").

Part load (every component follows a published curve, :mod:`twin.building.cooling.curves`):

* CRAH fans: N + R units on the ASHRAE 90.1 Appendix G curve with a minimum flow;
* chilled-water pumps: variable speed with differential-pressure reset (or constant flow);
  condenser-water pumps: constant speed, one per running tower cell, staged with the heat;
* chillers: EnergyPlus ``Chiller:Electric:EIR`` records (CAPFT, EIRFT, EIRFPLR), staged on
  one by one, sized at the tower's design condition; the entering condenser water is held at
  or above the chillers' minimum (``t_cond_water_min``), so a cold winter does not give a
  5 K lift. ``chiller_model = "cycle"`` uses a CoolProp vapour-compression cycle instead,
  bounded by the same minimum;
* cooling tower: YorkCalc approach (EnergyPlus ``CoolingTower:VariableSpeed``) as a
  function of wet bulb, range and liquid-to-gas ratio, scaled to the design approach; fans
  slow down (cube law, minimum air flow) when the water is colder than asked.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from twin.building.cooling.air_management import from_columns
from twin.building.cooling.components import (
    CP_AIR,
    CP_WATER,
    ENVELOPES,
    H_FG,
    RHO_WATER,
    FanArrayParams,
    fan_array_power,
    fan_power,
    pump_power,
    vapour_compression_power,
)
from twin.building.cooling.contract import Columns, CoolingResult, HeatOther, ITFunction, Weather
from twin.building.cooling.curves import (
    CHILLERS,
    biquadratic,
    chiller_power,
    lg_approach,
    part_load_power,
    tower_air_flow_ratio,
    york_design_lg,
    york_lg_coeffs,
    york_wet_bulb_terms,
)
from twin.building.cooling.freeze import basin_heater_power
from twin.building.fluids import fluid_error
from twin.building.it_load import DT_CHIP_AIR
from twin.core.fmt import number, span
from twin.core.memo import LRU, of_values, of_weather
from twin.core.params import ConfigError, param
from weather import psychrometrics as psy

__all__ = ["ChilledWaterParams", "chilled_water_plant", "chilled_water_state", "simulate_chilled_water"]


@dataclass(frozen=True)
class ChilledWaterParams(FanArrayParams):
    """Parameters of the chilled-water baseline."""

    section = "cooling.chilled_water"

    envelope: str = param("A1", choices=tuple(ENVELOPES), source="ASHRAE2021: Table 2.1")
    t_supply_air: float = param(
        22.0,
        10.0,
        35.0,
        units="degC",
        source="assumption: server inlet the CRAHs hold (they supply it minus facility.supply_approach)",
    )
    coil_approach: float = param(
        4.0, 1.0, 15.0, units="K", source="assumption: CRAH supply air above the chilled water supply"
    )
    delta_t_it: float = param(12.0, 3.0, 25.0, units="K", source="assumption: server air temperature rise")
    crah_fan_pressure_pa: float = param(
        400.0,
        50.0,
        3000.0,
        units="Pa",
        source="assumption: the CRAHs' own pressure rise; the racks' openings add theirs. At altitude the same Δp "
        "moves the larger volume (filters and coils taken as enlarged for the site's air density)",
    )
    fan_efficiency: float = param(0.6, 0.1, 1.0, source="assumption: fan × motor × drive")
    t_chw_supply: float = param(
        12.0, 4.0, 25.0, units="degC", source="assumption: elevated chilled water, 10–15 °C common"
    )
    delta_t_chw: float = param(6.0, 2.0, 15.0, units="K", source="assumption")
    chw_pump_head_pa: float = param(250_000.0, 10_000.0, 1e6, units="Pa", source="assumption")
    cw_pump_head_pa: float = param(200_000.0, 10_000.0, 1e6, units="Pa", source="assumption")
    pump_efficiency: float = param(0.7, 0.1, 1.0, source="assumption: pump × motor")
    pump_control: str = param(
        "vsd",
        choices=("vsd", "constant"),
        source="vsd: chilled-water pumps with DP reset (OpenStudioStandards curve); constant: constant flow",
    )
    pump_min_flow: float = param(0.3, 0.0, 1.0, source="assumption: chiller evaporator minimum flow, 30–40 % of design")
    chiller_model: str = param(
        "eir",
        choices=("eir", "cycle"),
        source="eir: Chiller:Electric:EIR curves (EnergyPlus); cycle: vapour-compression cycle (CoolProp)",
    )
    chiller: str = param(
        "mcquay_pfh_2124kw", choices=tuple(CHILLERS), source="EnergyPlus: DataSets/Chillers.idf records"
    )
    chiller_count: int = param(4, 1, 100, units="1", source="assumption: duty chillers, staged on with the load")
    t_cond_water_min: float = param(
        12.78,
        5.0,
        30.0,
        units="degC",
        source="lowest entering condenser water of the default chiller's data (Chillers.idf); "
        "manufacturers' minimum 13–18 °C (assumption)",
    )
    refrigerant: str = param("R134a", source="CoolProp fluid (R1234ze(E) is a lower-GWP option)", check=fluid_error)
    eta_isentropic: float = param(0.75, 0.3, 1.0, source="assumption: centrifugal/screw compressor")
    eta_motor: float = param(0.93, 0.5, 1.0, source="assumption: motor and VFD")
    evaporator_approach: float = param(2.0, 0.5, 10.0, units="K", source="assumption")
    condenser_approach: float = param(2.0, 0.5, 10.0, units="K", source="assumption")
    tower_approach: float = param(
        4.0,
        1.5,
        15.0,
        units="K",
        source="Brief2025: design approach at the design wet bulb; vendor data 2.8–5.6 K",
    )
    tower_range: float = param(5.6, 2.0, 15.0, units="K", source="Brief2025: design range; vendor data 5.6–8.3 K")
    tower_design_wet_bulb: float = param(
        25.6, 10.0, 32.0, units="degC", source="CTI: rating condition 35/29.4/25.6 °C (95/85/78 °F)"
    )
    tower_min_air_flow: float = param(
        0.2, 0.05, 1.0, source="EnergyPlus: CoolingTower:VariableSpeed default minimum air flow ratio"
    )
    tower_min_water: float = param(5.0, 0.0, 20.0, units="degC", source="assumption: freeze protection")
    basin_heater_w_per_k: float = param(
        0.2,
        0.0,
        5.0,
        units="W K-1 kW-1",
        source="assumption: tower basin heater capacity (EnergyPlus 'Basin Heater Capacity', W/K) per kW of "
        "design heat rejected",
    )
    basin_heater_setpoint: float = param(
        2.0, 0.0, 10.0, units="degC", source="EnergyPlusTower: basin heater setpoint default"
    )
    tower_fan_kw_per_kw: float = param(
        0.01, 0.0, 0.1, units="1", source="assumption: tower fans at full speed per kW of design heat rejected"
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
                f"{self.section}.t_supply_air = {number(self.t_supply_air, grouped=False)} °C is outside the {self.envelope} envelope ({span(lo, hi, '°C')})"
            )
        if self.t_chw_supply + self.delta_t_chw > self.t_supply_air + self.delta_t_it:
            raise ConfigError(
                f"{self.section}.t_chw_supply + delta_t_chw = {number(self.t_chw_supply + self.delta_t_chw)} °C is above the "
                f"air returning from the servers ({number(self.t_supply_air + self.delta_t_it)} °C): the coils cannot cool it"
            )
        try:
            york_design_lg(self.tower_design_wet_bulb, self.tower_range, self.tower_approach)
        except ValueError as exc:
            raise ConfigError(f"{self.section}.tower_approach: {exc}") from None


_DENSITY = LRU(8)
"""The CRAH supply air's density at the hourly pressure (one site, a few supply temperatures), by value."""
_YORK_WB = LRU(8)
"""The tower's wet-bulb terms of a year's wet bulb (one site), by value."""


def chilled_water_state(wx: Weather, p: Columns) -> dict[str, np.ndarray]:
    """What each hour sets before the load: the part of :func:`simulate_chilled_water` that depends
    only on the weather and the cooling parameters.

    Arrays broadcastable to (case, time): ``t_in`` (server inlet the CRAHs hold, °C),
    ``t_supply`` (CRAH supply air, °C), ``kw_per_kg`` (CRAH fan kW per kg/s), ``t_chw`` and
    ``t_chw_return`` (chilled water, °C), ``york_wb`` (the wet-bulb terms of the tower's
    YorkCalc approach, :func:`~twin.building.cooling.curves.york_wet_bulb_terms`), and the hall's
    ``d_s`` (supply approach, K) and ``dt_units`` (K). The compiled kernel
    (:mod:`twin.engine.kernels`) takes the load part from here. The density and the wet-bulb
    terms depend on the weather and the supply temperature only: memoised by their values for
    one site (:func:`twin.core.memo.of_weather`; ≈ 0.7 MB an entry, read-only).
    """
    # The CRAHs hold the server inlet at t_supply_air: they supply the supply approach colder air.
    d_s, dt_units, dp_racks = from_columns(p)
    t_in = p["t_supply_air"] + 0.0 * wx["t_db"]
    t_sup = t_in - d_s
    # the supply air's density at its (per-case) temperature: the saturation's temperature terms
    # once per case, only its pressure terms per hour
    t_col = p["t_supply_air"] - d_s
    pa = wx["p_air"]
    rho = of_weather(
        _DENSITY, lambda: psy.moist_air_density(t_col, psy.humidity_ratio(t_col, 50.0, pa), pa), (pa,), t_col
    )
    # Chilled water cold enough for the coils to reach the supply air: a hall that needs colder
    # supply air (recirculation) needs colder water.
    t_chw = np.minimum(p["t_chw_supply"], p["t_supply_air"] - d_s - p["coil_approach"])
    return {
        "t_in": t_in,
        "t_supply": t_sup,
        "kw_per_kg": fan_power(1.0, rho, p["crah_fan_pressure_pa"] + dp_racks, p["fan_efficiency"]),
        "t_chw": t_chw,
        "t_chw_return": t_chw + p["delta_t_chw"],
        "york_wb": of_weather(_YORK_WB, lambda: york_wet_bulb_terms(wx["t_wb"]), (wx["t_wb"],)),
        "d_s": d_s,
        "dt_units": dt_units,
    }


_DESIGN_LG = LRU(64)
"""The towers' design liquid-to-gas ratios, by their design point (parameters only)."""


def chilled_water_plant(p: Columns, q_design: np.ndarray, t_chw: np.ndarray) -> dict[str, Any]:
    """The plant sized for the design heat ``q_design`` (kW), per case: what the hours share.

    ``eir`` (bool: the chillers follow their EIR record), ``chiller`` (the record),
    ``cop_design`` (sizes the heat rejection), ``q_rej_design`` (kW), ``lg_design`` (the tower's
    liquid-to-gas ratio at its design point), ``q_ref`` (reference capacity of one chiller, kW;
    EIR only), ``p_chw_design``, ``p_cw_cell`` (condenser pump of one tower cell),
    ``p_tower_design`` (tower fans at full speed) and ``basin_kw_per_k``, kW.
    """
    eir = p["chiller_model"] == "eir"
    chiller = CHILLERS[str(p["chiller"])]
    cop_design = chiller.cop_ref if eir else 5.0  # sizes the heat rejection only
    q_rej_design = q_design * (1.0 + 1.0 / cop_design)
    q_ref = None
    if eir:
        t_cw_design = p["tower_design_wet_bulb"] + p["tower_approach"]
        cap_design = biquadratic(
            chiller.capft,
            np.clip(t_chw, *chiller.t_chw_range),
            np.clip(t_cw_design, *chiller.t_cw_range),
        )
        q_ref = q_design / (p["chiller_count"] * cap_design)
    return {
        "eir": eir,
        "chiller": chiller,
        "cop_design": cop_design,
        "q_rej_design": q_rej_design,
        "lg_design": of_values(
            _DESIGN_LG,
            lambda: york_design_lg(p["tower_design_wet_bulb"], p["tower_range"], p["tower_approach"]),
            p["tower_design_wet_bulb"],
            p["tower_range"],
            p["tower_approach"],
        ),
        "q_ref": q_ref,
        "p_chw_design": pump_power(
            q_design, p["delta_t_chw"], RHO_WATER, CP_WATER, p["chw_pump_head_pa"], p["pump_efficiency"]
        ),
        "p_cw_cell": pump_power(
            q_rej_design, p["tower_range"], RHO_WATER, CP_WATER, p["cw_pump_head_pa"], p["pump_efficiency"]
        ),
        "p_tower_design": p["tower_fan_kw_per_kw"] * q_rej_design,
        "basin_kw_per_k": p["basin_heater_w_per_k"] * q_rej_design / 1000.0,
    }


def simulate_chilled_water(
    wx: Weather, p: Columns, it_fn: ITFunction, heat_other: HeatOther, q_design: np.ndarray
) -> CoolingResult:
    """Hourly chilled-water plant for all cases of this design at once (see module notes).

    Same arguments and outputs as :func:`twin.building.cooling.free_air.simulate_free_air`.
    """
    st = chilled_water_state(wx, p)
    t_chw, t_chw_ret, dt_units = st["t_chw"], st["t_chw_return"], st["dt_units"]
    # The CRAHs hold the inlet: the IT power and what follows from it (heat, air, pumps) are
    # computed per case, hourly only where the utilisation or the weather makes them so.
    t_in = p["t_supply_air"]
    it = it_fn(t_in, t_in + DT_CHIP_AIR, True)
    q = it["p_it"] + heat_other(it["p_it"])
    load = q / q_design
    m_air = q / (CP_AIR * dt_units)
    p_crah = fan_array_power(m_air, q_design / (CP_AIR * dt_units), st["kw_per_kg"], p)
    plant = chilled_water_plant(p, q_design, t_chw)
    p_chw = part_load_power(
        load, plant["p_chw_design"], str(p["pump_control"]), min_flow=p["pump_min_flow"], kind="pump"
    )

    # Heat rejection: tower cells staged with the heat (one constant-speed condenser pump each).
    cop_design, q_rej_design, lg_design = plant["cop_design"], plant["q_rej_design"], plant["lg_design"]
    n = p["chiller_count"]
    rej_ratio = np.minimum(load * (1.0 + 1.0 / cop_design) * q_design / q_rej_design, 1.0)
    cells = np.where(p["pump_control"] == "constant", 1.0, np.maximum(np.ceil(rej_ratio * n - 1e-9), 1.0) / n)
    t_range = p["tower_range"] * rej_ratio / cells
    # Tower water wanted: as cold as allowed while the economiser can use it, else the chillers' minimum.
    coeffs = york_lg_coeffs(st["york_wb"], t_range)  # the approach against the liquid-to-gas ratio, per hour
    app_full = lg_approach(coeffs, lg_design)  # at full air flow
    econ_useful = p["economiser"] & (wx["t_wb"] + app_full + p["economiser_approach"] < t_chw_ret)
    target = np.where(econ_useful, p["tower_min_water"], p["t_cond_water_min"])
    air_ratio, app = tower_air_flow_ratio(
        wx["t_wb"], t_range, target - wx["t_wb"], lg_design, p["tower_min_air_flow"], coeffs=coeffs
    )
    t_tower = np.maximum(wx["t_wb"] + app, target)
    t_econ = t_tower + p["economiser_approach"]
    frac_free = np.where(p["economiser"], np.clip((t_chw_ret - t_econ) / p["delta_t_chw"], 0.0, 1.0), 0.0)
    q_chiller = q * (1.0 - frac_free)
    t_cw = np.maximum(t_tower, p["t_cond_water_min"])  # entering condenser water
    if plant["eir"]:
        ch = chiller_power(q_chiller, plant["q_ref"], n, t_chw, t_cw, plant["chiller"])
        p_comp, cop, short = ch["power"], ch["cop"], ch["short"]
    else:
        t_evap = t_chw - p["evaporator_approach"]
        t_cond = t_cw + p["tower_range"] + p["condenser_approach"]
        p_comp, cop = vapour_compression_power(
            q_chiller, t_evap, t_cond, str(p["refrigerant"]), p["eta_isentropic"], p["eta_motor"]
        )
        short = np.zeros(np.shape(p_comp), dtype=bool)
    q_rej = q + p_comp
    p_cw = cells * plant["p_cw_cell"]
    p_tower = plant["p_tower_design"] * cells * (air_ratio * air_ratio * air_ratio)  # not **3: pow() per element
    p_basin = basin_heater_power(wx["t_db"], 1.0 - cells, plant["basin_kw_per_k"], p["basin_heater_setpoint"])
    evap = p["tower_latent_fraction"] * q_rej / H_FG * 3600.0  # kg/h
    water = evap * (1.0 + 1.0 / (p["cycles_of_concentration"] - 1.0))
    mode = np.where(frac_free >= 1.0, 0, np.where(frac_free > 0.0, 1, 2))
    env = ENVELOPES[str(p["envelope"])]
    zeros = np.zeros_like(q)
    return {
        **it,
        "q_cooling": q,
        "p_cooling_fans": p_crah,
        "p_pumps": p_chw + p_cw,
        "p_compressor": p_comp,
        "p_heat_rejection": p_tower + p_basin,
        "p_humidification": zeros,
        "water": water,
        "mode": mode,
        "t_supply": st["t_supply"],
        "cop_mech": lambda: np.where(q_chiller > 0.0, cop, np.nan),  # hours it runs; only if kept
        "out_of_envelope": (t_in > env[1]) | (t_in < env[0]) | short,
        "economiser_fraction": frac_free,
    }
