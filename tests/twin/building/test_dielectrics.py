"""The immersion-fluid table: every fluid known to CoolProp, its facts sourced, a wrong name refused."""

from __future__ import annotations

import numpy as np
import pytest
from CoolProp.CoolProp import PropsSI

from tests.twin.building.cooling.test_cooling_hand import Q_IT, P, it_fn, no_other_heat, v, weather
from twin import ConfigError, Scenario
from twin.building import fluids
from twin.building.cooling import DESIGNS
from twin.building.dielectrics import DIELECTRICS, dielectric
from twin.engine.simulate import annual_kpis

TWO_PHASE = [d.key for d in DIELECTRICS.values() if d.phase == "two_phase"]
SINGLE_PHASE = [d.key for d in DIELECTRICS.values() if d.phase == "single_phase"]


@pytest.mark.parametrize("key", list(DIELECTRICS))
def test_every_fluid_is_a_coolprop_fluid_with_sourced_facts(key):
    d = DIELECTRICS[key]
    assert fluids.fluid_error(d.coolprop) is None
    assert d.status in ("current", "discontinued")
    assert d.gwp100 >= 0 and d.price_cny_per_kg > 0 and 0 < d.loss_pct_per_year < 100
    assert "GWP" in d.sources and "price" in d.sources


def test_the_references_the_table_names_resolve():
    from tests.test_references import KEYS

    named = {"CEN2022", "Gorbounov2015", "EPAPart98", "IPCCAR5"}
    assert named <= KEYS
    assert all(any(k in d.sources for k in named) or d.gwp100 == 0.0 for d in DIELECTRICS.values())


def test_3m_fluids_are_discontinued_and_each_phase_offers_a_current_one():
    assert DIELECTRICS["novec649"].status == DIELECTRICS["fc72"].status == "discontinued"
    for phase in ("two_phase", "single_phase"):
        assert any(d.status == "current" for d in DIELECTRICS.values() if d.phase == phase)


@pytest.mark.parametrize("key", TWO_PHASE)
@pytest.mark.parametrize("t_db", [0.0, 30.0])
def test_two_phase_fluid_boils_at_the_site_pressure_from_coolprop(key, t_db):
    p = DESIGNS["immersion_2p"].params(fluid=key).to_dict()
    r = DESIGNS["immersion_2p"].simulate(weather(t_db, 40.0), p, it_fn, no_other_heat, np.array([[Q_IT]]))
    t_sat = PropsSI("T", "P", P, "Q", 0, DIELECTRICS[key].coolprop) - 273.15  # CoolProp called directly
    if not r["out_of_envelope"].any():
        assert v(r["t_supply"]) == pytest.approx(t_sat, abs=1e-9)
    else:  # the dry cooler cannot reach T_sat − 8 K: the fluid runs warmer, never cooler
        assert v(r["t_supply"]) > t_sat
    assert t_sat < PropsSI("T", "P", 101_325.0, "Q", 0, DIELECTRICS[key].coolprop) - 273.15


@pytest.mark.parametrize("key", SINGLE_PHASE)
def test_single_phase_fluid_properties_set_the_pump_power(key):
    base = DESIGNS["immersion_1p"].params(fluid="mineral_oil").to_dict()
    p = DESIGNS["immersion_1p"].params(fluid=key).to_dict()
    a = DESIGNS["immersion_1p"].simulate(weather(10.0, 40.0), base, it_fn, no_other_heat, np.array([[Q_IT]]))
    b = DESIGNS["immersion_1p"].simulate(weather(10.0, 40.0), p, it_fn, no_other_heat, np.array([[Q_IT]]))
    tab = fluids.liquid_table(DIELECTRICS[key].coolprop)
    ref = fluids.liquid_table("INCOMP::PNF2")
    # coolant pump ∝ 1/(ρ c_p): the oil's own CoolProp properties at the mean coolant temperature
    ratio = (ref.density(45.0) * ref.heat_capacity(45.0)) / (tab.density(45.0) * tab.heat_capacity(45.0))
    coolant_a = v(a["p_pumps"]) - _water_pump(a)
    coolant_b = v(b["p_pumps"]) - _water_pump(b)
    assert coolant_b == pytest.approx(coolant_a * float(ratio), rel=1e-9)


def _water_pump(r) -> float:
    from tests.twin.building.cooling.test_cooling_hand import PUMP_AT_DESIGN

    return Q_IT / (4.186 * 8.0) / 997.0 * 150_000.0 / 0.7 / 1000.0 * PUMP_AT_DESIGN


@pytest.mark.parametrize(
    ("design", "name"),
    [("immersion_2p", "opteon2p50"), ("immersion_2p", "mineral_oil"), ("immersion_1p", "novec649")],
)
def test_an_unknown_or_wrong_phase_fluid_is_refused_naming_the_allowed_ones(design, name):
    with pytest.raises(ConfigError, match=rf"cooling.{design}.fluid = '{name}'.*allowed: .*\(current\)"):
        DESIGNS[design].params(fluid=name)
    with pytest.raises(ConfigError, match="allowed"):
        dielectric(name, "two_phase" if design == "immersion_2p" else "single_phase")


def test_the_coolprop_names_of_earlier_scenario_files_still_work():
    assert DESIGNS["immersion_2p"].params(fluid="Novec649").fluid == "Novec649"
    assert dielectric("Novec649", "two_phase").key == "novec649"
    assert dielectric("INCOMP::PNF2", "single_phase").key == "mineral_oil"
    assert dielectric("HFO1336MZZ_Z", "two_phase").key == "hfo1336mzz_z"


def test_fluid_loss_costed_and_counted_apart_from_grid_co2():
    from twin.building.cooling.liquid import Immersion2pParams

    sc = Scenario(
        sites=("qingyang",),
        designs=("free_air", "immersion_2p"),
        cooling={"immersion_2p": Immersion2pParams(fluid="fc72", fluid_loss_pct_per_year=5.0)},
    )
    k = annual_kpis(sc)
    air, tank = 0, 1
    assert k["fluid_lost_kg"].values[air] == 0.0 and k["co2e_fluid_t"].values[air] == 0.0
    lost = float(k["fluid_lost_kg"].values[tank])
    assert float(k["co2e_fluid_t"].values[tank]) == pytest.approx(lost * 9300.0 / 1000.0, rel=1e-12)
    assert float(k["cost_fluid_makeup"].values[tank]) == pytest.approx(lost * 700.0, rel=1e-12)
    # CUE is the grid electricity's CO2 per IT kWh: the fluid's CO2e is not in it
    cue = float(k["co2"].values[tank]) * 1000.0 / (float(k["energy_it"].values[tank]) * 1000.0)
    assert float(k["cue"].values[tank]) == pytest.approx(cue, rel=1e-12)
