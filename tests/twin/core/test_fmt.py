"""Numbers in the engine's messages: written by twin.core.fmt.number (weather.fmt's), never with ``:g``
(which cuts a value to six digits, 0.123457, and writes 1e+06)."""

from __future__ import annotations

import pytest

from twin.building.cooling.free_air import FreeAirParams
from twin.core.params import ConfigError
from twin.supply.storage import StorageParams


def test_a_cross_check_of_two_parameters_repeats_the_values_as_given():
    with pytest.raises(ConfigError, match=r"^green.storage.soc_min = 0.923456789 is above soc_max = 0.123456789$"):
        StorageParams(soc_min=0.923456789, soc_max=0.123456789)


def test_an_envelope_bound_is_written_by_the_formatter():
    with pytest.raises(
        ConfigError, match=r"t_supply_setpoint = 12.3456789 °C is outside the A1 envelope \(15 … 32 °C\)$"
    ):
        FreeAirParams(envelope="A1", t_supply_setpoint=12.3456789)
