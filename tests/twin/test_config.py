"""Scenario and parameter contracts: types, names, tables, round trips, hashing, overrides."""

from __future__ import annotations

import numpy as np
import pytest

from twin import ConfigError, Scenario, load_scenario
from twin.config import WeatherSource
from twin.cooling.free_air import FreeAirParams
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


def test_scenario_default_is_valid():
    assert Scenario().cases()
