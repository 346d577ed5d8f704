"""Published part-load curves against their sources: coefficients and checked points."""

from __future__ import annotations

import numpy as np
import pytest

from twin.building.cooling import curves as c


def test_fan_and_pump_curves_are_the_published_coefficients():
    # ASHRAE 90.1 App. G, VSD fan with fixed static-pressure setpoint; pump with DP reset
    # (both as coded in NREL openstudio-standards)
    assert c.FAN_CURVES["vsd"] == (0.0013, 0.1470, 0.9506, -0.0998)
    assert c.PUMP_CURVES["vsd"] == (0.0, 0.0205, 0.4101, 0.5753)
    assert float(c.cubic(c.FAN_CURVES["vsd"], np.array(1.0))) == pytest.approx(0.9991)
    assert float(c.cubic(c.FAN_CURVES["vsd"], np.array(0.5))) == pytest.approx(
        0.0013 + 0.0735 + 0.23765 - 0.012475, rel=1e-12
    )


def test_fan_array_runs_the_spare_unit_and_holds_a_minimum_speed():
    p_design = 100.0
    # N = 4 duty + 1 spare: each runs at 0.8 of its design flow at full load
    full = c.part_load_power(1.0, p_design, "vsd", units=4, redundant=1, min_flow=0.2)
    assert full == pytest.approx(p_design * 5 / 4 * float(c.cubic(c.FAN_CURVES["vsd"], np.array(0.8))))
    assert full < p_design  # the spare saves power (affinity law)
    # at 10 % load every fan sits at its 20 % minimum
    low = c.part_load_power(0.1, p_design, "vsd", units=4, redundant=1, min_flow=0.2)
    assert low == pytest.approx(p_design * 5 / 4 * float(c.cubic(c.FAN_CURVES["vsd"], np.array(0.2))))
    assert c.part_load_power(0.3, p_design, "constant") == p_design


@pytest.mark.parametrize("name", tuple(c.CHILLERS))
def test_chiller_records_are_one_at_their_reference_point(name):
    ch = c.CHILLERS[name]
    # a record's curves are normalised to its reference conditions: 1 within the fit's error
    assert c.biquadratic(ch.capft, ch.t_chw_ref, ch.t_cw_ref) == pytest.approx(1.0, abs=0.025)
    assert c.biquadratic(ch.eirft, ch.t_chw_ref, ch.t_cw_ref) == pytest.approx(1.0, abs=0.025)
    assert c.cubic(ch.eirfplr, np.array(1.0)) == pytest.approx(1.0, abs=0.005)


def test_chiller_record_coefficients_as_published():
    m = c.CHILLERS["mcquay_pfh_2124kw"]  # EnergyPlus Chillers.idf, McQuay PFH 2124kW/6.03COP/Vanes
    assert (m.cop_ref, m.t_chw_ref, m.t_cw_ref) == (6.03, 8.89, 23.89)
    assert (
        m.capft[0] == 1.040134
        and m.eirft[5] == 3.787365e-03
        and m.eirfplr == (1.051419e-01, 2.033679e-01, 6.902026e-01)
    )
    d = c.CHILLERS["doe2_centrifugal"]  # DOE-2 Centrifugal/5.50COP
    assert (d.cop_ref, d.t_chw_ref, d.t_cw_ref) == (5.5, 6.67, 29.4)
    assert d.eirfplr == (0.222903, 0.313387, 0.463710)


def test_chiller_cop_stays_bounded_however_cold_the_condenser_water():
    t_cw = np.linspace(-30.0, 40.0, 71)
    for ch in c.CHILLERS.values():
        r = c.chiller_power(np.full_like(t_cw, 500.0), 1000.0, 4, 12.0, t_cw, ch)
        assert np.all(r["cop"] < 12.0) and np.all(r["cop"] > 2.0)  # not the 38.8 of an unbounded lift


def test_chillers_are_staged_on_with_the_load():
    ch = c.CHILLERS["mcquay_pfh_2124kw"]
    q = np.array([0.0, 500.0, 1500.0, 2500.0, 3900.0, 5000.0])
    r = c.chiller_power(q, 1000.0, 4, ch.t_chw_ref, ch.t_cw_ref, ch)
    cap = 1000.0 * c.biquadratic(ch.capft, ch.t_chw_ref, ch.t_cw_ref)
    np.testing.assert_array_equal(r["running"], [0, 1, 2, 3, 4, 4])
    assert r["power"][0] == 0.0
    assert list(r["short"]) == [False] * 5 + [True]
    np.testing.assert_allclose(r["plr"][1:5], q[1:5] / (r["running"][1:5] * cap))


def test_yorkcalc_coefficients_and_design_point():
    # EnergyPlus Engineering Reference, YorkCalc: 27 coefficients
    assert c.YORKCALC[0, 0, 0] == -0.359741205
    assert c.YORKCALC[1, 0, 0] == 2.84765801111111
    assert c.YORKCALC[2, 2, 2] == -0.000001516821552
    # CTI rating point (25.6 °C wet bulb, 5.6 K range) at LG = 1: an approach of about 3.9 K
    assert float(c.tower_approach(25.6, 5.6, 1.0)) == pytest.approx(3.86, abs=0.01)


def test_tower_approach_grows_at_low_wet_bulb_and_with_load():
    lg = c.york_design_lg(25.6, 5.6, 4.0)
    wb = np.array([-10.0, 0.0, 10.0, 20.0])
    app = c.tower_approach(wb, 5.6, lg)
    assert np.all(np.diff(app) < 0)  # colder air carries less water vapour: a wider approach
    assert float(c.tower_approach(20.0, 2.8, lg)) < float(c.tower_approach(20.0, 5.6, lg))  # half the heat


def test_tower_fans_slow_to_the_approach_wanted():
    lg = c.york_design_lg(25.6, 5.6, 4.0)
    ratio, app = c.tower_air_flow_ratio(np.array(15.0), np.array(5.6), np.array(9.0), lg, 0.2)
    assert 0.2 < ratio < 1.0 and app == pytest.approx(9.0)
    assert float(c.tower_approach(15.0, 5.6, lg / ratio)) == pytest.approx(9.0)
    # colder than full speed can give: full speed; warmer than the minimum gives: the minimum
    assert c.tower_air_flow_ratio(np.array(15.0), np.array(5.6), np.array(1.0), lg, 0.2)[0] == 1.0
    assert c.tower_air_flow_ratio(np.array(15.0), np.array(5.6), np.array(60.0), lg, 0.2)[0] == pytest.approx(0.2)
