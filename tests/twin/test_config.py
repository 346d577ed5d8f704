"""Scenario and parameter contracts: types, names, tables, round trips, hashing, overrides."""

from __future__ import annotations

import numpy as np
import pytest

from twin import ConfigError, Scenario, load_scenario
from twin.config import WeatherSource
from twin.cooling.chilled_water import ChilledWaterParams
from twin.cooling.free_air import FreeAirParams
from twin.cooling.liquid import Immersion1pParams, Immersion2pParams, SprayParams
from twin.it_load import ITParams


def _write(tmp_path, text: str, name: str = "s.toml"):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_an_integer_refuses_a_float_and_names_the_field(tmp_path):
    with pytest.raises(ConfigError, match=r"weather\.seed must be a whole number, got 1\.5"):
        load_scenario(_write(tmp_path, "[weather]\nseed = 1.5\n"))
    with pytest.raises(ConfigError, match=r"facility\.racks must be a whole number"):
        ITParams(racks=2.5)


def test_numpy_scalars_are_numbers():
    assert WeatherSource(seed=np.int64(3)).seed == 3 and type(WeatherSource(seed=np.int64(3)).seed) is int
    assert ITParams(utilisation=np.float32(0.5)).utilisation == 0.5
    assert ITParams(it_capacity_kw=np.int32(5000)).it_capacity_kw == 5000.0
    assert FreeAirParams(evaporative=np.bool_(False)).evaporative is False


@pytest.mark.parametrize(
    ("cls", "field", "bad"),
    [
        (ChilledWaterParams, "refrigerant", "R9999"),
        (FreeAirParams, "refrigerant", "R9999"),
        (SprayParams, "fluid", "INCOMP::NOPE"),
        (Immersion1pParams, "fluid", "INCOMP::NOPE"),
        (Immersion2pParams, "fluid", "NotAFluid"),
    ],
)
def test_unknown_coolprop_fluid_is_a_config_error(cls, field, bad):
    with pytest.raises(ConfigError, match=rf"{cls.section}\.{field} = '{bad}' is not allowed"):
        cls(**{field: bad})


def test_known_fluids_accepted():
    assert ChilledWaterParams(refrigerant="R1234ze(E)").refrigerant == "R1234ze(E)"
    assert ChilledWaterParams(refrigerant="HEOS::R134a").refrigerant == "HEOS::R134a"
    assert SprayParams(fluid="INCOMP::MEG-30%").fluid == "INCOMP::MEG-30%"


def test_bad_refrigerant_in_a_scenario_file_is_one_line(tmp_path):
    p = _write(tmp_path, 'design = "chilled_water"\n[cooling.chilled_water]\nrefrigerant = "R9999"\n')
    with pytest.raises(ConfigError, match=r"cooling\.chilled_water\.refrigerant = 'R9999'"):
        load_scenario(p)


def test_scenario_default_is_valid():
    assert Scenario().cases()
