"""The facility chain on its own, and the design contract."""

from __future__ import annotations

import numpy as np
import pytest

from twin import Scenario, facility_block, simulate
from twin.cooling import DESIGNS, Design, free_air
from twin.cooling.contract import REQUIRED_OUTPUTS, DesignContractError
from twin.facility import POWER_PARTS
from twin.it_load import ITParams
from twin.simulate import prepare_weather


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
        DESIGNS, "broken", Design("broken", "test", free_air.FreeAirParams, _without("p_pumps"), free_air.MODES)
    )
    with pytest.raises(DesignContractError, match="'broken' did not return p_pumps"):
        facility_block({"t_db": [20.0], "rh": [50.0], "p_air": [1e5]}, "broken")


def test_an_undeclared_output_is_an_error_naming_it(monkeypatch):
    def model(wx, p, it_fn, heat_other, q_design):
        return {**free_air.simulate_free_air(wx, p, it_fn, heat_other, q_design), "p_magic": 0.0}

    monkeypatch.setitem(DESIGNS, "extra", Design("extra", "test", free_air.FreeAirParams, model, free_air.MODES))
    with pytest.raises(DesignContractError, match="returned p_magic, not declared"):
        facility_block({"t_db": [20.0], "rh": [50.0], "p_air": [1e5]}, "extra")


def test_a_new_design_is_one_registry_entry(monkeypatch):
    monkeypatch.setitem(
        DESIGNS,
        "free_air_copy",
        Design("free_air_copy", "copy", free_air.FreeAirParams, free_air.simulate_free_air, free_air.MODES),
    )
    ds = simulate(Scenario(sites=("karamay",), designs=("free_air", "free_air_copy")))
    np.testing.assert_array_equal(ds["p_facility"][0], ds["p_facility"][1])


def test_every_design_returns_every_required_output():
    weather = {"t_db": [-5.0, 33.0], "rh": [40.0, 80.0], "p_air": [95_000.0] * 2}
    for name in DESIGNS:
        r = facility_block(weather, name)
        assert REQUIRED_OUTPUTS <= set(r), name
