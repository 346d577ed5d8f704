"""Heat reuse and ERF (ISO/IEC 30134-6): the demand model and the reuse rule by hand, ERF within 0 … 1."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from twin import ConfigError, Scenario, annual_kpis, load_scenario
from twin.building.heat_reuse import HeatReuseParams, heat_demand, reused_heat


def test_degree_hour_demand_by_hand():
    t_db = np.array([-10.0, 18.0, 25.0])
    # 100 kW all year + 50 kW per K below 18 °C: 100 + 50 × 28 = 1500 at −10 °C
    assert heat_demand(t_db, 100.0, 50.0, 18.0) == pytest.approx([1500.0, 100.0, 100.0])


def test_heat_is_reused_only_when_the_water_is_warm_enough_and_up_to_the_demand():
    rec = np.array([1000.0, 1000.0, 1000.0, 500.0])
    t_ret = np.array([45.0, 44.9, np.nan, 50.0])  # NaN: a design without a water loop
    demand = np.array([300.0, 300.0, 300.0, 800.0])
    assert reused_heat(rec, t_ret, demand, 45.0) == pytest.approx([300.0, 0.0, 0.0, 500.0])


finite = st.floats(0.0, 1e5, allow_nan=False)


@settings(max_examples=200, deadline=None)
@given(
    rec=arrays(float, 24, elements=finite),
    extra=arrays(float, 24, elements=finite),
    demand=arrays(float, 24, elements=finite),
    t_ret=arrays(float, 24, elements=st.floats(0.0, 90.0)),
    t_min=st.floats(20.0, 90.0),
)
def test_reused_heat_bounded_and_erf_within_zero_and_one(rec, extra, demand, t_ret, t_min):
    reused = reused_heat(rec, t_ret, demand, t_min)
    assert np.all(reused >= 0.0) and np.all(reused <= np.minimum(rec, demand))
    facility = rec + extra + 1.0  # recoverable heat is part of the IT power, within facility power
    erf = reused.sum() / facility.sum()
    assert 0.0 <= erf <= 1.0


@pytest.fixture(scope="module")
def constant_demand_kpis():
    sc = Scenario(
        sites=("qingyang",),
        designs=("free_air", "spray", "immersion_2p"),
        heat_reuse=HeatReuseParams(demand_base_kw=1000.0),
        sweep=(("heat_reuse.t_return_min", (45.0, 46.0)),),
    )
    return annual_kpis(sc)


def test_erf_by_hand_for_a_constant_demand(constant_demand_kpis):
    k = constant_demand_kpis.to_dataframe().reset_index()
    spray = k[(k.design == "spray") & (k["heat_reuse.t_return_min"] == 45.0)].iloc[0]
    # Spray's water leaves the CDU at 37 + 8 = 45 °C every hour and carries ≈ 6 MW: the whole
    # 1,000 kW demand is met in each of the 8,760 hours.
    assert spray.energy_reused == pytest.approx(8760.0, rel=1e-12)
    assert spray.erf == pytest.approx(8760.0 / spray.energy_facility, rel=1e-12)
    assert spray.energy_heat_demand == pytest.approx(8760.0, rel=1e-12)
    assert spray.energy_heat_recoverable > spray.energy_reused


def test_no_reuse_from_air_or_from_water_below_the_customers_temperature(constant_demand_kpis):
    k = constant_demand_kpis.to_dataframe().reset_index()
    assert (k[k.design == "free_air"].erf == 0.0).all()  # no water loop
    assert (k[k["heat_reuse.t_return_min"] == 46.0].erf == 0.0).all()  # 45 °C water is not 46 °C
    # two-phase at Qingyang's 1,400 m boils at 44.1 °C: its condenser water returns at 44.1 °C
    assert (k[k.design == "immersion_2p"].erf == 0.0).all()
    assert ((k.erf >= 0.0) & (k.erf <= 1.0)).all()


def test_heat_reuse_section_in_a_file_and_a_bad_value(tmp_path):
    f = tmp_path / "reuse.toml"
    f.write_text('site = "qingyang"\ndesign = "spray"\n[heat_reuse]\ndemand_kw_per_k = 300\n', encoding="utf-8")
    assert load_scenario(f).heat_reuse.demand_kw_per_k == 300.0
    f.write_text('site = "qingyang"\n[heat_reuse]\nt_return_min = 5\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"heat_reuse.t_return_min = 5 is out of range; allowed 20 … 90"):
        load_scenario(f)
