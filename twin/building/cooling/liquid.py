"""Liquid cooling: spray, cold plates, single-phase immersion and two-phase immersion.

All take the IT heat into a liquid and reject it through a water loop and a dry cooler with
adiabatic pre-cooling in hot hours; the servers keep the share ``1 − capture`` of their fans
for the heat still carried by air (none when immersed). Where the weather falls below 0 °C the
outdoor water loop holds ethylene glycol (:mod:`twin.building.cooling.freeze`). They differ in
how the liquid works:

* **spray** — dielectric coolant (default ``INCOMP::HFE2``, HFE-7100) sprayed onto the chips
  and collected warm (45–55 °C class, Guian2025), pumped through a plate heat exchanger;
* **cold_plate** — direct-to-chip: water-glycol (default ``INCOMP::MPG-25%``) through cold
  plates on the processors takes ``capture`` (75 %) of the server heat through a CDU; the
  servers keep the share ``1 − capture`` of their fans for the rest, which goes to the air;
* **immersion_1p** — servers in tanks of dielectric oil (default ``mineral_oil``, CoolProp's
  ``INCOMP::PNF2``), pumped through a CDU heat exchanger;
* **immersion_2p** — servers in a boiling fluid (default ``novec649``, T_sat 49 °C at 1 atm,
  boiling at the site's mean pressure: 44–46 °C at the western hubs' altitude): latent heat goes
  to a water-cooled condenser, no liquid pump, but condenser and vapour-recovery auxiliaries
  (``vapour_recovery_kw_per_kw``).

The immersion fluids are chosen from :data:`twin.building.dielectrics.DIELECTRICS` (GWP, price,
loss rate, and whether still made: Novec 649 is discontinued with 3M's PFAS exit at the end of
2025; ``hfo1336mzz_z`` is a current two-phase fluid). The charge (kg per kW of the design heat
the fluid takes) loses ``fluid_loss_pct_per_year`` a year, spread evenly over the hours:
``fluid_loss`` (kg/h), its CO2e (× GWP100) and its make-up cost are hourly outputs.
Every liquid design reports the heat its water loop carries (``q_recoverable``) and the
temperature the water leaves the CDU or condenser at (``t_return``), for heat reuse.

A share of the heat (``capture`` < 1 for spray: power supplies, disks) and the electrical
losses and lighting go to an auxiliary air system, modelled as free air with its defaults.
The coolant must reach its supply limit; hours in which the dry cooler (pads included) cannot
cool the water enough are ``out_of_envelope``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from twin.building import fluids
from twin.building.cooling.air_management import AIR_COLUMNS
from twin.building.cooling.components import CP_WATER, RHO_WATER, dry_cooler, pump_power
from twin.building.cooling.contract import Columns, CoolingResult, HeatOther, ITFunction, ITResult, Weather
from twin.building.cooling.curves import part_load_power
from twin.building.cooling.free_air import FreeAirParams, simulate_free_air
from twin.building.cooling.freeze import glycol_for_site
from twin.building.dielectrics import DIELECTRICS, Dielectric, dielectric, fluid_choice_error
from twin.core.params import Params, param
from twin.money.economics import fluid_makeup_cost

__all__ = [
    "ColdPlateParams",
    "Immersion1pParams",
    "Immersion2pParams",
    "LiquidParams",
    "SprayParams",
    "liquid_state",
    "simulate_cold_plate",
    "simulate_immersion_1p",
    "simulate_immersion_2p",
    "simulate_liquid",
    "simulate_spray",
]


def _dt_chip_param(default: float, why: str) -> float:
    return param(
        default,
        2.0,
        50.0,
        units="K",
        source=f"chip lid above coolant supply at full load (DT_CHIP_AIR = 40 K in air): {why}",
    )


@dataclass(frozen=True)
class LiquidParams(Params):
    """Parameters common to the liquid designs (defaults are the spray design's)."""

    section = "cooling.spray"

    fluid: str = param(
        "INCOMP::HFE2", source="CoolProp: HFE-7100 is INCOMP::HFE2 (not INCOMP::HFE)", check=fluids.fluid_error
    )
    t_coolant_supply_max: float = param(
        40.0,
        15.0,
        70.0,
        units="degC",
        source="assumption: returns at 50 °C with ΔT 10 K (Guian2025: collected at 45–55 °C)",
    )
    delta_t_coolant: float = param(10.0, 2.0, 30.0, units="K", source="assumption")
    dt_chip: float = _dt_chip_param(
        15.0,
        "assumption: no measured spray figure found (Kim2007: predictive capability limited); "
        "the other liquid designs' sourced figures span 6–26 K",
    )
    capture: float = param(0.9, 0.5, 1.0, source="assumption: share of IT heat taken by the liquid")
    hx_approach: float = param(3.0, 0.5, 15.0, units="K", source="assumption: plate heat exchanger / CDU")
    delta_t_water: float = param(8.0, 2.0, 20.0, units="K", source="assumption")
    drycooler_approach: float = param(
        8.0, 2.0, 20.0, units="K", source="Brief2025: dry cooler approach 5–15 K (unverified)"
    )
    drycooler_fan_kw_per_kw: float = param(
        0.015, 0.0, 0.1, units="1", source="assumption: dry-cooler fans at full speed per kW of design heat"
    )
    adiabatic: bool = param(True)
    adiabatic_effectiveness: float = param(
        0.8, 0.0, 1.0, source="assumption: wetted pads (Wang2001: direct evaporative 0.75–0.95)"
    )
    coolant_pump_head_pa: float = param(200_000.0, 0.0, 1e6, units="Pa", source="assumption: nozzles and manifolds")
    water_pump_head_pa: float = param(150_000.0, 10_000.0, 1e6, units="Pa", source="assumption")
    pump_efficiency: float = param(0.7, 0.1, 1.0, source="assumption: pump × motor")
    pump_control: str = param(
        "vsd",
        choices=("vsd", "constant"),
        source="vsd: variable speed with DP reset (OpenStudioStandards curve); constant: constant flow",
    )
    pump_min_flow: float = param(0.3, 0.0, 1.0, source="assumption: minimum pump flow / design flow")
    condenser_approach: float = param(
        8.0, 1.0, 30.0, units="K", source="two-phase only: fluid saturation minus water supply (assumption)"
    )
    freeze_protection: str = param(
        "auto",
        choices=("auto", "off"),
        source="auto: ethylene glycol in the outdoor dry-cooler loop where the weather falls below 0 °C",
    )
    glycol_margin: float = param(
        5.0, 0.0, 20.0, units="K", source="assumption: glycol freezing point below the year's lowest dry bulb"
    )
    liquid_side_resistance: float = param(
        0.25,
        0.0,
        1.0,
        source="assumption: liquid side's share of a finned-tube dry cooler's thermal resistance (air side dominates)",
    )


HOURS_PER_YEAR = 8760.0
"""A yearly loss rate is spread over this many hours."""

IMMERSION_PHASE = {"immersion_1p": "single_phase", "immersion_2p": "two_phase"}
"""The fluid phase of each immersion design (:data:`twin.building.dielectrics.PHASES`)."""


def _fluid_param(default: str, phase: str) -> str:
    d = DIELECTRICS[default]
    return param(
        default,
        source=f"twin.building.dielectrics: {d.label}, {d.status}; other {phase.replace('_', '-')} fluids there",
        check=fluid_choice_error(phase),
    )


def _charge_param(default: float, why: str) -> float:
    return param(default, 0.0, 100.0, units="kg kW-1", source=f"assumption: fluid charge per kW of design heat ({why})")


def _loss_param() -> float | None:
    return param(
        None,
        0.0,
        100.0,
        units="% year-1",
        source="charge lost and topped up each year (vapour, drag-out)",
        inherit="the fluid's loss_pct_per_year in twin.building.dielectrics",
    )


def _price_param() -> float | None:
    return param(
        None,
        0.0,
        10_000.0,
        units="kg-1",
        currency="CNY",
        source="make-up fluid price",
        inherit="the fluid's price_cny_per_kg in twin.building.dielectrics",
    )


@dataclass(frozen=True)
class SprayParams(LiquidParams):
    """Spray liquid cooling (the spray defaults of :class:`LiquidParams`)."""


@dataclass(frozen=True)
class Immersion1pParams(LiquidParams):
    """Single-phase immersion in dielectric oil."""

    section = "cooling.immersion_1p"

    fluid: str = _fluid_param("mineral_oil", "single_phase")
    t_coolant_supply_max: float = param(40.0, 15.0, 70.0, units="degC", source="assumption: oil to the tanks")
    dt_chip: float = _dt_chip_param(
        20.0,
        "assumption; Shah2017: an oil-immersed server's thermal resistance 34.4 % below its air-cooled baseline, "
        "× DT_CHIP_AIR (40 K) = 26 K; Wagner2015: oil the highest of three liquid methods",
    )
    capture: float = param(1.0, 0.5, 1.0, source="whole servers are immersed")
    coolant_pump_head_pa: float = param(
        150_000.0, 0.0, 1e6, units="Pa", source="assumption: CDU and tank manifolds, viscous oil"
    )
    fluid_charge_kg_per_kw: float = _charge_param(12.0, "oil tanks, about 1 m³ per 70 kW")
    fluid_loss_pct_per_year: float | None = _loss_param()
    fluid_price_cny_per_kg: float | None = _price_param()


@dataclass(frozen=True)
class ColdPlateParams(LiquidParams):
    """Direct-to-chip cold plates: liquid for the chips, air (and the servers' own fans) for the rest."""

    section = "cooling.cold_plate"

    fluid: str = param(
        "INCOMP::MPG-25%", source="assumption: 25 % propylene glycol, the usual TCS coolant", check=fluids.fluid_error
    )
    t_coolant_supply_max: float = param(
        40.0,
        15.0,
        70.0,
        units="degC",
        source="assumption: TCS supply 40 °C on facility water ≤ 37 °C (ASHRAE TC9.9 liquid class W40)",
    )
    dt_chip: float = _dt_chip_param(
        20.0,
        "assumption; ColdPlateRth: 0.02–0.05 K/W × a 300 W server CPU (assumption) = 6–15 K; "
        "Wagner2015: the cold plate the lowest of three liquid methods",
    )
    capture: float = param(
        0.75, 0.3, 1.0, source="assumption: cold plates on CPUs/GPUs take 70–80 % of server heat (vendor figures)"
    )
    coolant_pump_head_pa: float = param(
        150_000.0, 0.0, 1e6, units="Pa", source="assumption: CDU, manifolds and cold-plate channels"
    )


@dataclass(frozen=True)
class Immersion2pParams(LiquidParams):
    """Two-phase immersion: boiling fluid, water-cooled condenser."""

    section = "cooling.immersion_2p"

    fluid: str = _fluid_param("novec649", "two_phase")
    dt_chip: float = _dt_chip_param(
        15.0,
        "assumption, above T_sat; Cooper1984 on a plain lid at 5–10 W/cm²: 19–24 K (a boiling-enhancement "
        "coating lowers it, no figure found); Novec649CHF2021: a bare lid boils dry near 9 W/cm²",
    )
    capture: float = param(1.0, 0.5, 1.0, source="whole servers are immersed")
    coolant_pump_head_pa: float = param(
        0.0, 0.0, 1e6, units="Pa", source="the fluid circulates by boiling and condensing"
    )
    fluid_charge_kg_per_kw: float = _charge_param(6.0, "two-phase tanks, about 1 m³ of fluid per 250 kW")
    fluid_loss_pct_per_year: float | None = _loss_param()
    fluid_price_cny_per_kg: float | None = _price_param()
    vapour_recovery_kw_per_kw: float = param(
        0.01,
        0.0,
        0.1,
        units="1",
        source="assumption: condenser coils' pumps, vapour-recovery unit and tank controls per kW boiled "
        "(brings cooling pPUE to the ~1.02 published floor)",
    )


def liquid_state(kind: str, wx: Weather, p: Columns, q_design: np.ndarray) -> dict[str, Any]:
    """What :func:`simulate_liquid` computes before the load: weather and cooling parameters only.

    Returns ``fluid`` (the :class:`~twin.building.dielectrics.Dielectric` or None), ``t_coolant``
    (coolant supply, °C, broadcastable to (case, time)), ``t_water_target`` (°C), ``t_air`` (the
    servers' inlet, the auxiliary air system's setpoint, °C), ``q_liquid_design`` (kW),
    ``glycol`` (:func:`~twin.building.cooling.freeze.glycol_for_site`), the pumps' design power
    (kW: ``p_water_pump_design``; ``p_coolant_pump_design``, None for two-phase) and ``aux`` (the
    auxiliary free-air system's parameter columns). The compiled kernel
    (:mod:`twin.engine.liquid_kernels`) takes the load part from here.
    """
    two_phase = kind == "immersion_2p"
    fluid = dielectric(str(p["fluid"]), IMMERSION_PHASE[kind]) if kind in IMMERSION_PHASE else None
    coolprop = fluid.coolprop if fluid is not None else str(p["fluid"])
    if two_phase:
        # The tank is vented through its vapour-recovery unit: the fluid boils at the site's pressure.
        p_site = np.mean(np.broadcast_to(wx["p_air"], np.shape(wx["t_db"])), axis=-1, keepdims=True)
        t_sat = np.array([[fluids.saturation(coolprop, round(float(x), -1))[0] for x in row] for row in p_site])
        t_coolant = np.broadcast_to(t_sat, np.shape(wx["t_db"])).astype(float)
        t_water_target = t_sat - p["condenser_approach"]
    else:
        t_coolant = p["t_coolant_supply_max"] + 0.0 * wx["t_db"]
        t_water_target = p["t_coolant_supply_max"] - p["hx_approach"]
    t_coolant = np.broadcast_to(t_coolant, np.broadcast_shapes(np.shape(t_coolant), np.shape(t_water_target))).astype(
        float
    )
    aux_params = FreeAirParams()
    q_liquid_design = p["capture"] * q_design
    glycol = glycol_for_site(
        wx["t_db"],
        t_water_target + 0.5 * p["delta_t_water"],
        p["glycol_margin"],
        p["liquid_side_resistance"],
        p["freeze_protection"] == "auto",
    )
    p_water_pump_design = glycol["pump"] * pump_power(
        q_liquid_design, p["delta_t_water"], RHO_WATER, CP_WATER, p["water_pump_head_pa"], p["pump_efficiency"]
    )
    p_coolant_pump_design = None
    if not two_phase:
        tab = fluids.liquid_table(coolprop)
        t_mean = t_coolant + 0.5 * p["delta_t_coolant"]
        p_coolant_pump_design = pump_power(
            q_liquid_design,
            p["delta_t_coolant"],
            tab.density(t_mean),
            tab.heat_capacity(t_mean) / 1000.0,
            p["coolant_pump_head_pa"],
            p["pump_efficiency"],
        )
    return {
        "fluid": fluid,
        "t_coolant": t_coolant,
        "t_water_target": t_water_target,
        "t_air": np.broadcast_to(aux_params.t_supply_setpoint, t_coolant.shape),
        "q_liquid_design": q_liquid_design,
        "glycol": glycol,
        "p_water_pump_design": p_water_pump_design,
        "p_coolant_pump_design": p_coolant_pump_design,
        "aux": {**aux_params.to_dict(), **{k: p[k] for k in AIR_COLUMNS if k in p}},
    }


def simulate_liquid(
    kind: str, wx: Weather, p: Columns, it_fn: ITFunction, heat_other: HeatOther, q_design: np.ndarray
) -> CoolingResult:
    """Hourly liquid cooling of ``kind`` (``spray``, ``immersion_1p``, ``immersion_2p``) for all cases.

    Same arguments and outputs as :func:`twin.building.cooling.free_air.simulate_free_air`, plus
    ``t_water`` (water loop supply, °C), ``t_return`` (water leaving the CDU or condenser, °C),
    ``q_recoverable`` (heat into the water loop, kW) and, for immersion, ``fluid_loss`` (kg/h),
    ``fluid_co2e`` (kg CO2e/h) and ``fluid_cost`` (CNY/h).

    Notes
    -----
    Coolant supply limit: single phase ``t_coolant_supply_max``; two phase the water must
    condense the vapour, ``T_water ≤ T_sat − condenser_approach``. Water loop target
    ``T_water = T_coolant − hx_approach`` (single phase). Chip temperature ``T_coolant + dt_chip``
    (``T_sat + dt_chip`` for two phase) sets the leakage. Pumps: design power ``P = V̇ Δp / η``
    with ``V̇ = Q_d / (ρ c_p ΔT)`` (coolant properties from CoolProp, tabulated), at part load
    on the variable-speed pump curve (:func:`twin.building.cooling.curves.part_load_power`).
    Return water ``T_water + ΔT_water · (Q/Q_d) / f`` with ``f`` the pump's flow fraction
    (``max(Q/Q_d, pump_min_flow)`` with variable speed, 1 at constant flow). Fluid loss
    ``charge · Q_d,liquid · loss % / 100 / 8760`` kg/h.
    """
    st = liquid_state(kind, wx, p, q_design)
    fluid, t_coolant, t_water_target, glycol = st["fluid"], st["t_coolant"], st["t_water_target"], st["glycol"]
    # The servers keep fans for the share of their heat that still goes to air (spray: power
    # supplies, disks; cold plates: memory, VRMs): fan power in proportion to that air at the
    # same pressure and temperature rise; immersed servers (capture 1) have none.
    it = it_fn(st["t_air"], t_coolant + p["dt_chip"], 1.0 - p["capture"])
    q_liquid = p["capture"] * it["p_it"]
    q_air = (1.0 - p["capture"]) * it["p_it"] + heat_other(it["p_it"])
    q_liquid_design = st["q_liquid_design"]
    dc = dry_cooler(
        wx["t_db"],
        wx["t_wb"],
        q_liquid,
        q_liquid_design,
        t_water_target,
        approach_design=p["drycooler_approach"] * glycol["approach"],
        fan_specific_power=p["drycooler_fan_kw_per_kw"],
        adiabatic=p["adiabatic"],
        adiabatic_effectiveness=p["adiabatic_effectiveness"],
    )
    # If the water comes back warmer than the target, the coolant does too.
    excess = np.maximum(dc["t_water"] - t_water_target, 0.0)
    t_coolant_reached = t_coolant + excess

    def pumps(p_design: np.ndarray | float) -> np.ndarray:
        """Part load of a pump sized for the design heat (flow ∝ heat at the design ΔT)."""
        return part_load_power(
            q_liquid / q_liquid_design, p_design, str(p["pump_control"]), min_flow=p["pump_min_flow"], kind="pump"
        )

    p_water_pump = pumps(st["p_water_pump_design"])
    if st["p_coolant_pump_design"] is None:
        p_coolant_pump = p["vapour_recovery_kw_per_kw"] * q_liquid
    else:
        p_coolant_pump = pumps(st["p_coolant_pump_design"])
    lost = fluid_lost(fluid, p, q_liquid_design, np.shape(q_liquid))
    flow = 1.0 if str(p["pump_control"]) == "constant" else np.maximum(q_liquid / q_liquid_design, p["pump_min_flow"])
    t_return = dc["t_water"] + p["delta_t_water"] * (q_liquid / q_liquid_design) / flow
    # Auxiliary air system for the heat the liquid does not take.
    # (its trim is sized for the year's peak residual heat; the heat is passed as its "IT")

    def residual_heat(t_in: np.ndarray, t_chip: np.ndarray, fans: bool | np.ndarray, /) -> ITResult:
        return {"p_it": q_air}

    aux = simulate_free_air(
        wx,
        st["aux"],
        residual_heat,
        lambda p_it: 0.0 * p_it,
        np.max(q_air, axis=-1, keepdims=True),
    )
    mode = np.where(dc["short"], 2, np.where(dc["adiabatic_on"], 1, 0))
    return {
        **it,
        "q_cooling": q_liquid + q_air,
        "p_cooling_fans": aux["p_cooling_fans"],
        "p_pumps": p_coolant_pump + p_water_pump,
        "p_compressor": aux["p_compressor"],
        "p_heat_rejection": dc["p_fans"],
        "p_humidification": aux["p_humidification"],
        "water": dc["water"] + aux["water"],
        "mode": mode,
        "t_supply": t_coolant_reached,
        "cop_mech": aux["cop_mech"],
        "out_of_envelope": dc["short"] | aux["out_of_envelope"],
        "t_water": dc["t_water"],
        "t_return": t_return,
        "q_recoverable": q_liquid,
        "fluid_loss": lost["fluid_loss"],
        "fluid_co2e": lost["fluid_co2e"],
        "fluid_cost": lost["fluid_cost"],
    }


def fluid_lost(
    fluid: Dielectric | None, p: Columns, q_liquid_design: np.ndarray, shape: tuple[int, ...]
) -> dict[str, np.ndarray]:
    """Hourly fluid loss (kg/h), its CO2e (kg/h) and make-up cost (CNY/h); zeros without an immersion fluid.

    The charge is ``fluid_charge_kg_per_kw`` per kW of the design heat the fluid takes; a
    scenario's ``fluid_loss_pct_per_year`` and ``fluid_price_cny_per_kg`` (NaN when not given)
    override the fluid's own figures in :data:`twin.building.dielectrics.DIELECTRICS`.
    """
    if fluid is None:
        zero = np.zeros(shape)
        return {"fluid_loss": zero, "fluid_co2e": zero, "fluid_cost": zero}

    def given(name: str, default: float) -> np.ndarray:
        col = np.asarray(p[name], dtype=float)
        return np.where(np.isnan(col), default, col)

    charge_kg = p["fluid_charge_kg_per_kw"] * q_liquid_design
    kg_h = charge_kg * given("fluid_loss_pct_per_year", fluid.loss_pct_per_year) / 100.0 / HOURS_PER_YEAR
    kg_h = np.broadcast_to(kg_h, shape)
    return {
        "fluid_loss": kg_h,
        "fluid_co2e": kg_h * fluid.gwp100,
        "fluid_cost": fluid_makeup_cost(kg_h, given("fluid_price_cny_per_kg", fluid.price_cny_per_kg)),
    }


def simulate_spray(
    wx: Weather, p: Columns, it_fn: ITFunction, heat_other: HeatOther, q_design: np.ndarray
) -> CoolingResult:
    """Spray liquid cooling: :func:`simulate_liquid` of kind ``"spray"``."""
    return simulate_liquid("spray", wx, p, it_fn, heat_other, q_design)


def simulate_immersion_1p(
    wx: Weather, p: Columns, it_fn: ITFunction, heat_other: HeatOther, q_design: np.ndarray
) -> CoolingResult:
    """Single-phase immersion: :func:`simulate_liquid` of kind ``"immersion_1p"``."""
    return simulate_liquid("immersion_1p", wx, p, it_fn, heat_other, q_design)


def simulate_immersion_2p(
    wx: Weather, p: Columns, it_fn: ITFunction, heat_other: HeatOther, q_design: np.ndarray
) -> CoolingResult:
    """Two-phase immersion: :func:`simulate_liquid` of kind ``"immersion_2p"``."""
    return simulate_liquid("immersion_2p", wx, p, it_fn, heat_other, q_design)


def simulate_cold_plate(
    wx: Weather, p: Columns, it_fn: ITFunction, heat_other: HeatOther, q_design: np.ndarray
) -> CoolingResult:
    """Direct-to-chip cold plates: :func:`simulate_liquid` of kind ``"cold_plate"``."""
    return simulate_liquid("cold_plate", wx, p, it_fn, heat_other, q_design)
