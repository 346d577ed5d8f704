"""The facility chain on its own, and the design contract."""

from __future__ import annotations

import numpy as np
import pytest

from twin import ConfigError, Scenario, facility_block, simulate
from twin.building.cooling import DESIGNS, Design, free_air, modes
from twin.building.cooling.contract import REQUIRED_OUTPUTS, DesignContractError
from twin.building.facility import COOLING_PARTS, POWER_PARTS, PhysicalBoundsError, check_bounds
from twin.building.it_load import ITParams, occupancy_profile
from twin.engine.simulate import prepare_weather


@pytest.mark.parametrize("design", tuple(DESIGNS))
def test_facility_block_equals_simulate_for_the_same_hours(design):
    sc = Scenario(sites=("qingyang",), designs=(design,))
    wx = prepare_weather(sc)
    ds = simulate(sc, weather=wx)
    weather = {k: wx["qingyang"][0][k].to_numpy() for k in ("t_db", "rh", "p_air")}
    r = facility_block(weather, design, hour=np.asarray(ds["time"].dt.hour))
    for name in ("p_facility", "p_it", "p_cooling", "pue", "water"):
        np.testing.assert_allclose(r[name][0], ds[name].to_numpy(), rtol=1e-12, atol=1e-9, err_msg=name)


def test_facility_block_runs_a_few_hours_and_several_cases():
    weather = {"t_db": [-10.0, 15.0, 35.0], "rh": [50.0, 60.0, 30.0], "p_air": [88_000.0] * 3}
    r = facility_block(weather, "free_air", facility=[ITParams(utilisation=0.3), ITParams(utilisation=0.9)])
    assert r["p_it"].shape == (2, 3)
    assert np.all(r["p_it"][1] > r["p_it"][0])
    balance = sum(r[k] for k in POWER_PARTS)
    np.testing.assert_allclose(balance, r["p_facility"], rtol=1e-12)
    assert np.all(r["pue"] >= 1.0)


def test_facility_block_refuses_weather_without_humidity():
    with pytest.raises(ValueError, match="weather needs t_db, p_air and rh"):
        facility_block({"t_db": [10.0], "p_air": [1e5]}, "free_air")


def _without(name):
    def model(wx, p, it_fn, heat_other, q_design):
        r = dict(free_air.simulate_free_air(wx, p, it_fn, heat_other, q_design))
        r.pop(name)
        return r

    return model


def test_a_missing_output_is_an_error_naming_it(monkeypatch):
    monkeypatch.setitem(
        DESIGNS, "broken", Design("broken", "test", free_air.FreeAirParams, _without("p_pumps"), modes.FREE_AIR)
    )
    with pytest.raises(DesignContractError, match="'broken' did not return p_pumps"):
        facility_block({"t_db": [20.0], "rh": [50.0], "p_air": [1e5]}, "broken")


def test_an_undeclared_output_is_an_error_naming_it(monkeypatch):
    def model(wx, p, it_fn, heat_other, q_design):
        return {**free_air.simulate_free_air(wx, p, it_fn, heat_other, q_design), "p_magic": 0.0}

    monkeypatch.setitem(DESIGNS, "extra", Design("extra", "test", free_air.FreeAirParams, model, modes.FREE_AIR))
    with pytest.raises(DesignContractError, match="returned p_magic, not declared"):
        facility_block({"t_db": [20.0], "rh": [50.0], "p_air": [1e5]}, "extra")


def test_a_new_design_is_one_registry_entry(monkeypatch):
    monkeypatch.setitem(
        DESIGNS,
        "free_air_copy",
        Design("free_air_copy", "copy", free_air.FreeAirParams, free_air.simulate_free_air, modes.FREE_AIR),
    )
    ds = simulate(Scenario(sites=("karamay",), designs=("free_air", "free_air_copy")))
    np.testing.assert_array_equal(ds["p_facility"][0], ds["p_facility"][1])


def test_every_design_returns_every_required_output():
    weather = {"t_db": [-5.0, 33.0], "rh": [40.0, 80.0], "p_air": [95_000.0] * 2}
    for name in DESIGNS:
        r = facility_block(weather, name)
        assert REQUIRED_OUTPUTS <= set(r), name


# ----------------------------------------------------------------------------- physical bounds
def test_chip_leakage_has_a_floor_so_a_cold_coolant_cannot_make_it_power_negative():
    # yinchuan-like hours, spray at 15 °C coolant and 3 %/K leakage: was PUE 0.656, negative IT energy
    weather = {"t_db": [-15.0, 5.0, 25.0], "rh": [50.0, 50.0, 40.0], "p_air": [89_000.0] * 3}
    f = ITParams(leakage_per_k=0.03)
    r = facility_block(weather, "spray", facility=f, cooling=DESIGNS["spray"].params(t_coolant_supply_max=15.0))
    assert np.all(r["p_it"] > 0.0)
    assert np.all(r["pue"] >= 1.0)
    # the saving is at most the leakage share of core power
    core = f.design_kw * (1.0 - f.fan_share) * (f.idle_fraction + (1.0 - f.idle_fraction) * f.utilisation)
    np.testing.assert_allclose(r["p_leakage"].min(), -f.leakage_share * core, rtol=1e-12)


def test_zero_utilisation_with_zero_idle_power_is_refused():
    with pytest.raises(ConfigError, match=r"facility.utilisation = 0 with facility.idle_fraction = 0"):
        ITParams(utilisation=0.0, idle_fraction=0.0)


def test_bounds_check_names_the_parameters_behind_a_non_positive_it_power():
    fac = {"utilisation": np.array([[0.5], [0.0]]), "idle_fraction": np.array([[0.4], [0.0]])}
    r = {"p_it": np.array([[10.0, 10.0], [0.0, 0.0]])}
    with pytest.raises(
        PhysicalBoundsError, match=r"in 2 case-hours .* facility.utilisation = 0, facility.idle_fraction = 0"
    ):
        check_bounds("free_air", r, fac, {})


def test_bounds_check_refuses_a_negative_part_and_a_pue_below_one():
    ones = np.ones((1, 2))
    r = {k: 0.0 * ones for k in (*POWER_PARTS, *COOLING_PARTS, "water")} | {"p_it": ones, "pue": ones}
    check_bounds("free_air", r, {}, {})
    with pytest.raises(PhysicalBoundsError, match="p_pumps is negative"):
        check_bounds("free_air", r | {"p_pumps": -ones}, {}, {})
    with pytest.raises(PhysicalBoundsError, match=r"hourly PUE 0\.5 < 1"):
        check_bounds("free_air", r | {"pue": 0.5 * ones}, {}, {})


# ----------------------------------------------------------------------------- occupancy and part load
def test_occupancy_ramp_from_its_start_to_its_end():
    n = 8760
    o = occupancy_profile(n, np.array([[0.2]]), np.array([[0.85]]), np.array([[5.0]]), np.array([[1.0], [5.0], [6.0]]))
    assert o[0, 0] == pytest.approx(0.2)
    assert o[0, -1] == pytest.approx(0.2 + 0.65 * (1.0 - 1.0 / n) / 5.0)
    assert o[1, -1] == pytest.approx(0.85, abs=1e-4)
    np.testing.assert_allclose(o[2], 0.85)  # the hall is full: flat


def test_occupancy_installs_part_of_the_it_but_the_plant_is_sized_for_the_hall():
    weather = {"t_db": [10.0, 30.0], "rh": [50.0, 40.0], "p_air": [90_000.0] * 2}
    full = facility_block(weather, "free_air")
    half = facility_block(weather, "free_air", facility=ITParams(occupancy=0.5))
    np.testing.assert_allclose(half["p_it"], 0.5 * full["p_it"], rtol=1e-12)
    np.testing.assert_allclose(half["p_misc"], full["p_misc"])  # lighting of the whole hall
    assert np.all(half["pue"] > full["pue"])


@pytest.mark.parametrize("design", tuple(DESIGNS))
def test_a_hall_filled_to_20_percent_has_a_higher_pue(design):
    weather = {"t_db": [-5.0, 12.0, 28.0], "rh": [50.0, 60.0, 50.0], "p_air": [90_000.0] * 3}
    low = facility_block(weather, design, facility=ITParams(occupancy=0.2))
    full = facility_block(weather, design)
    assert np.sum(low["p_facility"]) / np.sum(low["p_it"]) > np.sum(full["p_facility"]) / np.sum(full["p_it"])


def test_air_designs_refuse_a_rack_density_air_cannot_carry():
    weather = {"t_db": [20.0], "rh": [50.0], "p_air": [90_000.0]}
    dense = ITParams(racks=300, kw_per_rack=43.0)
    for design in ("free_air", "chilled_water", "indirect_evap"):
        with pytest.raises(ConfigError, match=rf"kw_per_rack = 43 kW is above cooling.{design}.max_kw_per_rack = 30"):
            facility_block(weather, design, facility=dense)
    assert facility_block(weather, "cold_plate", facility=dense)["p_it"][0, 0] > 0.0
