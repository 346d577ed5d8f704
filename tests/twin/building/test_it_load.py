"""IT load: the calibrated inlet-temperature response and the utilisation profiles."""

from __future__ import annotations

import numpy as np
import pytest

from twin.building.it_load import DT_CHIP_AIR, ITParams, it_power, utilisation_profile
from twin.core.params import ConfigError


def _p_it(t_inlet: float, f: ITParams) -> float:
    return float(
        it_power(
            1.0,
            1.0,
            t_inlet,
            t_inlet + DT_CHIP_AIR,
            idle_fraction=f.idle_fraction,
            fan_share=f.fan_share,
            fan_speed_per_k=f.fan_speed_per_k,
            leakage_per_k=f.leakage_per_k,
            performance_factor=1.0,
            overclock_power_factor=1.0,
            has_server_fans=True,
        )["p_it"]
    )


def test_server_power_rises_about_12_percent_from_27_to_37_c_inlet():
    # The one calibrated pair (fan_speed_per_k with leakage_per_k) against Dell R410, GRC 2016:
    # +12 %; the defaults give +11.6 %.
    f = ITParams()
    assert _p_it(37.0, f) / _p_it(27.0, f) - 1.0 == pytest.approx(0.12, abs=0.005)
    assert _p_it(20.0, f) < _p_it(27.0, f)  # colder chips leak less; fans stay at base speed


def test_flat_profile_stays_one_value_per_case_and_diurnal_peaks_at_14h():
    hour = np.arange(24)[None, :]
    u = np.array([[0.5], [0.8]])
    assert utilisation_profile(hour, u, "flat", 0.1).shape == (2, 1)
    d = utilisation_profile(hour, u, "diurnal", np.array([[0.1]]))
    assert d.shape == (2, 24)
    # peak at 14:00: the hours either side of it (mid-points 13:30 and 14:30) are the highest
    np.testing.assert_allclose(d[:, 13], d.max(axis=1))
    np.testing.assert_allclose(d[:, 14], d.max(axis=1))
    np.testing.assert_allclose(d.mean(axis=1), [0.5, 0.8], rtol=1e-12)


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (0, "0 is out of range"),
        (-5000.0, "-5000 is out of range"),
        (2e7, "20000000 is out of range"),
        (1e-300, "1e-300 is out of range"),
        (0.09, "0.09 is out of range"),
        (float("nan"), "must be finite, got nan"),
    ],
)
def test_it_capacity_is_refused_with_its_value_and_what_is_allowed(value, shown):
    """0 was refused as "must be > 0" without its value, −5000 with a range that allowed 0;
    1e-300 ran (0 MWh, PUE 1.061), and nan said another range ("allowed 0 … 10,000,000 kW") than 0."""
    with pytest.raises(ConfigError) as err:
        ITParams(it_capacity_kw=value)
    assert str(err.value) == (
        f"facility.it_capacity_kw {'= ' if 'finite' not in shown else ''}{shown}; "
        "allowed 0.1 … 10,000,000 kW, or racks and kw_per_rack instead"
    )
    from twin.building.it_load import IT_CAPACITY_MIN_KW

    assert IT_CAPACITY_MIN_KW == 0.1 and ITParams(it_capacity_kw=0.1).design_kw == 0.1


@pytest.mark.parametrize("value", ["10 MW", True])
def test_it_capacity_not_a_number_says_the_same_allowed_range(value):
    """A text in a TOML file ("10 MW") said "allowed 0 … 10,000,000 kW", a bad number "allowed
    0.1 … 10,000,000 kW, or racks and kw_per_rack instead": one text, declared once."""
    from twin.building.it_load import CAPACITY_ALLOWED

    with pytest.raises(ConfigError) as err:
        ITParams(it_capacity_kw=value)
    assert str(err.value).startswith("facility.it_capacity_kw must be a number")
    assert str(err.value).endswith(f"; {CAPACITY_ALLOWED}")
    assert CAPACITY_ALLOWED == "allowed 0.1 … 10,000,000 kW, or racks and kw_per_rack instead"


def test_racks_give_the_capacity_and_a_capacity_of_0_beside_them_is_not_read():
    assert ITParams(racks=100, kw_per_rack=20.0).design_kw == 2000.0
    assert ITParams(racks=100, kw_per_rack=20.0, it_capacity_kw=0.0).design_kw == 2000.0
