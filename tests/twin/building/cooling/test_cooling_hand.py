"""Each cooling design against a hand calculation for a cold-dry and a hot-humid weather hour.

The hand calculations use only the textbook relations written out here (ṁ = Q/(c_p ΔT),
P = V̇ Δp/η, ...) and the psychrometric functions (tested against CoolProp on their own).
IT power is held at 1000 kW so that every number can be followed by hand.
"""

from __future__ import annotations

import numpy as np
import pytest

from twin.building import fluids
from twin.building.cooling import DESIGNS
from twin.building.cooling.curves import tower_approach, york_design_lg
from weather import psychrometrics as psy

P = 97_000.0
Q_IT = 1000.0


def weather(t_db, rh):
    t = np.array([t_db], dtype=float)[None, :]
    r = np.array([rh], dtype=float)[None, :]
    w = psy.humidity_ratio(t, r, P)
    return {
        "t_db": t,
        "rh": r,
        "p_air": np.full_like(t, P),
        "w": w,
        "t_dp": psy.dew_point_from_humidity_ratio(w, P),
        "t_wb": psy.wet_bulb_from_humidity_ratio(t, w, P),
    }


def params(design):
    return DESIGNS[design].params().to_dict()


FANS_SEEN: list[bool] = []


def it_fn(t_inlet, t_chip, fans):
    FANS_SEEN.append(fans)
    return {"p_it": np.full(np.shape(t_inlet), Q_IT)}


def no_other_heat(p_it):
    return 0.0 * p_it


def run(design, t_db, rh, q_design=Q_IT):
    return DESIGNS[design].simulate(weather(t_db, rh), params(design), it_fn, no_other_heat, np.array([[q_design]]))


def v(x):
    return float(np.asarray(x).ravel()[0])


# ----------------------------------------------------------------------------- free air
def test_free_air_cold_dry_hour_mixes_and_humidifies():
    r = run("free_air", -10.0, 60.0)
    m_air = Q_IT / (1.006 * 12.0)  # 82.84 kg/s
    assert v(r["mode"]) == 0 and v(r["t_supply"]) == pytest.approx(22.0)
    w_o = v(psy.humidity_ratio(-10.0, 60.0, P))
    w_min = max(v(psy.humidity_ratio_from_dew_point(-12.0, P)), v(psy.humidity_ratio(22.0, 8.0, P)))
    f_oa = 12.0 / (22.0 + 12.0 - (-10.0))  # (T_return − T_supply)/(T_return − T_outdoor)
    m_h = f_oa * m_air * (w_min - w_o)
    assert v(r["water"]) == pytest.approx(m_h * 3600.0, rel=1e-9)
    assert v(r["p_humidification"]) == pytest.approx(m_h * 3600.0 * 0.08, rel=1e-9)
    rho = v(psy.moist_air_density(22.0, w_min, P))
    # 10 + 1 fans share the design airflow: each at 10/11 on the ASHRAE 90.1 App. G VSD curve
    x = 10.0 / 11.0
    part_load = (0.0013 + 0.1470 * x + 0.9506 * x**2 - 0.0998 * x**3) * 11.0 / 10.0
    assert v(r["p_cooling_fans"]) == pytest.approx(m_air / rho * 350.0 / 0.65 / 1000.0 * part_load, rel=1e-9)
    assert v(r["p_compressor"]) == 0.0 and not r["out_of_envelope"].any()


def _closed_outdoor_air_load(t_db, rh):
    """Sensible and latent heat of the 2 % outdoor air drawn when closed, kW, and the supply humidity."""
    # dried to A1's limit at the 22 °C setpoint: dew point 17 °C and RH 80 % -> the lower
    w_o = v(psy.humidity_ratio(t_db, rh, P))
    w_closed = min(v(psy.humidity_ratio_from_dew_point(17.0, P)), v(psy.humidity_ratio(22.0, 80.0, P)))
    m_air = Q_IT / (1.006 * 12.0)
    return m_air * 0.02 * (1.006 * (t_db - 22.0 - 12.0) + 2450.0 * (w_o - w_closed)), w_closed


def test_free_air_hot_humid_hour_closes_and_runs_dx():
    r = run("free_air", 32.0, 62.0, q_design=1.5 * Q_IT)  # dew point ≈ 24 °C, above A1's 17 °C; trim 1.5 × Q
    assert v(r["mode"]) == 5 and v(r["t_supply"]) == pytest.approx(22.0)
    cop = fluids.cycle_table("R410A", 1.0)(22.0 - 8.0, 32.0 + 12.0) * 0.7 * 0.9
    q_oa, w_closed = _closed_outdoor_air_load(32.0, 62.0)
    assert v(r["p_compressor"]) == pytest.approx((Q_IT + q_oa) / cop, rel=1e-9)
    assert v(r["w_supply"]) == pytest.approx(w_closed, rel=1e-9)
    assert 3.0 < cop < 8.0
    assert v(r["water"]) == 0.0


def test_free_air_closed_hour_is_checked_at_the_setpoint_not_the_band_top():
    # A2: 30 °C at 85 % is too humid (dew point ≈ 27 °C); the supply at 22 °C is dried to A2's
    # limits there, so the hour is within the envelope (it was flagged when judged at 27 °C).
    p = params("free_air") | {"envelope": "A2"}
    r = DESIGNS["free_air"].simulate(weather(30.0, 85.0), p, it_fn, no_other_heat, np.array([[Q_IT]]))
    assert v(r["mode"]) == 5
    assert v(r["rh_supply"]) <= 80.0 + 1e-6
    assert not r["out_of_envelope"].any()


def test_free_air_hot_dry_hour_cools_evaporatively_to_band_top():
    r = run("free_air", 35.0, 20.0)
    m_air = Q_IT / (1.006 * 12.0)
    dw = 1.006 * (35.0 - 27.0) / 2450.0
    assert v(r["mode"]) == 2 and v(r["t_supply"]) == pytest.approx(27.0)
    assert v(r["water"]) == pytest.approx(m_air * dw * 3600.0, rel=1e-9)
    assert v(r["p_compressor"]) == 0.0


def test_free_air_without_trim_reports_out_of_envelope():
    p = params("free_air") | {"trim_capacity": 0.0}
    r = DESIGNS["free_air"].simulate(weather(32.0, 62.0), p, it_fn, no_other_heat, np.array([[Q_IT]]))
    m_air = Q_IT / (1.006 * 12.0)
    q_oa, _ = _closed_outdoor_air_load(32.0, 62.0)
    assert v(r["t_supply"]) == pytest.approx(22.0 + (Q_IT + q_oa) / (m_air * 1.006))  # heat stays in the air
    assert r["out_of_envelope"].all()


# ----------------------------------------------------------------------------- chilled water
PUMP_AT_DESIGN = 0.0205 + 0.4101 + 0.5753  # VSD pump curve at full flow (openstudio-standards)
Q_REJ = Q_IT * (1.0 + 1.0 / 6.03)  # design heat rejected with the default chiller's reference COP


def _biquad(c, x, y):
    return c[0] + c[1] * x + c[2] * x * x + c[3] * y + c[4] * y * y + c[5] * x * y


# McQuay PFH 2124 kW / 6.03 COP / vanes, EnergyPlus Chillers.idf
CAPFT = (1.040134, -1.745650e-02, 1.084856e-03, 6.629328e-03, -8.008991e-04, 1.567769e-03)
EIRFT = (1.157799, -3.621524e-02, -3.684818e-03, -1.202959e-02, -7.378548e-05, 3.787365e-03)
EIRFPLR = (1.051419e-01, 2.033679e-01, 6.902026e-01)


def _pumps_at_design():
    chw = Q_IT / (4.186 * 6.0) / 997.0 * 250_000.0 / 0.7 / 1000.0 * PUMP_AT_DESIGN
    cw = Q_REJ / (4.186 * 5.6) / 997.0 * 200_000.0 / 0.7 / 1000.0  # constant speed, all 4 cells at full load
    return chw + cw


def _tower_full_speed(t_wb):
    lg = york_design_lg(25.6, 5.6, 4.0)  # the tower scaled to its design point
    return t_wb + v(tower_approach(t_wb, 5.6, lg))


def test_chilled_water_cold_hour_is_free_cooling():
    w = weather(-5.0, 70.0)
    r = run("chilled_water", -5.0, 70.0)
    # Tower at full speed cannot reach 5 °C: its YorkCalc approach at this wet bulb is ~13 K.
    t_tower = max(_tower_full_speed(v(w["t_wb"])), 5.0)
    assert 12.0 + 6.0 - (t_tower + 2.0) >= 6.0  # economiser carries the whole load
    assert v(r["mode"]) == 0 and v(r["p_compressor"]) == 0.0
    assert v(r["p_pumps"]) == pytest.approx(_pumps_at_design(), rel=1e-9)
    assert v(r["p_heat_rejection"]) == pytest.approx(0.01 * Q_REJ, rel=1e-9)
    assert v(r["water"]) == pytest.approx(0.85 * Q_IT / 2450.0 * 3600.0 * (1 + 1 / 4), rel=1e-9)


def test_chilled_water_hot_humid_hour_runs_staged_chillers_on_their_curves():
    w = weather(32.0, 62.0)
    r = run("chilled_water", 32.0, 62.0)
    t_cw = min(max(_tower_full_speed(v(w["t_wb"])), 12.78), 29.44)
    t_chw = 8.89  # 12 °C leaving chilled water, clipped to the record's data (5.56 … 8.89 °C)
    q_ref = Q_IT / (4 * _biquad(CAPFT, t_chw, min(25.6 + 4.0, 29.44)))  # sized at the tower's design point
    q_avail = q_ref * _biquad(CAPFT, t_chw, t_cw)
    n = np.ceil(Q_IT / q_avail)
    plr = Q_IT / (n * q_avail)
    eirfplr = EIRFPLR[0] + EIRFPLR[1] * plr + EIRFPLR[2] * plr**2
    p_comp = n * q_avail * _biquad(EIRFT, t_chw, t_cw) * eirfplr / 6.03
    assert v(r["mode"]) == 2 and n == 4
    assert v(r["p_compressor"]) == pytest.approx(p_comp, rel=1e-9)
    assert 4.5 < Q_IT / p_comp < 7.0
    assert v(r["p_pumps"]) == pytest.approx(_pumps_at_design(), rel=1e-9)
    assert v(r["p_heat_rejection"]) == pytest.approx(0.01 * Q_REJ, rel=1e-9)  # fans at full speed


# ----------------------------------------------------------------------------- liquid designs
def _liquid_by_hand(design, t_db, rh, target):
    p = params(design)
    w = weather(t_db, rh)
    q = p["capture"] * Q_IT
    need = p["drycooler_approach"] * 1.0  # at design load
    t_air = t_db
    pad = False
    if target - t_db < need:
        pad = True
        t_air = t_db - p["adiabatic_effectiveness"] * (t_db - v(w["t_wb"]))
    r_fan = min(max(need / (target - t_air), 0.1), 1.0)
    fans = p["drycooler_fan_kw_per_kw"] * q * r_fan**3
    water = (r_fan * q / (1.006 * 10.0)) * 1.006 * (t_db - t_air) / 2450.0 * 3600.0 if pad else 0.0
    return q, fans, water, pad


@pytest.mark.parametrize(("t_db", "rh"), [(0.0, 50.0), (35.0, 40.0)])
def test_spray_by_hand(t_db, rh):
    r = run("spray", t_db, rh)
    q, fans, water, pad = _liquid_by_hand("spray", t_db, rh, 40.0 - 3.0)
    assert v(r["p_heat_rejection"]) == pytest.approx(fans, rel=1e-9)
    tab = fluids.liquid_table("INCOMP::HFE2")
    coolant = q / (tab.heat_capacity(45.0) / 1000.0 * 10.0) / tab.density(45.0) * 200_000.0 / 0.7 / 1000.0
    water_pump = q / (4.186 * 8.0) / 997.0 * 150_000.0 / 0.7 / 1000.0
    assert v(r["p_pumps"]) == pytest.approx((float(coolant) + water_pump) * PUMP_AT_DESIGN, rel=1e-9)
    assert v(r["water"]) >= water  # plus any of the auxiliary air system
    assert v(r["mode"]) == (1 if pad else 0)
    assert FANS_SEEN[-1] == pytest.approx(0.1)  # the servers keep fans for the 10 % of heat still in air


@pytest.mark.parametrize(("t_db", "rh"), [(0.0, 50.0), (35.0, 40.0)])
def test_two_phase_by_hand(t_db, rh):
    r = run("immersion_2p", t_db, rh)
    t_sat, _ = fluids.saturation("Novec649", P)  # boils at the site's pressure, not at 1 atm
    assert t_sat < fluids.saturation("Novec649")[0] - 1.0
    q, fans, _water, _pad = _liquid_by_hand("immersion_2p", t_db, rh, t_sat - 8.0)
    assert v(r["p_heat_rejection"]) == pytest.approx(fans, rel=1e-9)
    water_pump = q / (4.186 * 8.0) / 997.0 * 150_000.0 / 0.7 / 1000.0
    # no liquid pump (it boils), but condenser and vapour-recovery auxiliaries, 1 % of the heat
    assert v(r["p_pumps"]) == pytest.approx(water_pump * PUMP_AT_DESIGN + 0.01 * q, rel=1e-9)
    assert v(r["t_supply"]) == pytest.approx(t_sat)
    # Novec 649: 6 kg per kW of design heat, 2 % of it a year, spread over 8760 h; GWP 1
    assert v(r["fluid_loss"]) == pytest.approx(6.0 * Q_IT * 0.02 / 8760.0, rel=1e-12)
    assert v(r["fluid_co2e"]) == pytest.approx(v(r["fluid_loss"]) * 1.0, rel=1e-12)
    assert v(r["fluid_cost"]) == pytest.approx(v(r["fluid_loss"]) * 450.0, rel=1e-12)
    # the water leaves the condenser ΔT_water = 8 K warmer than it came (flow ∝ heat at design)
    assert v(r["t_return"]) == pytest.approx(v(r["t_water"]) + 8.0, rel=1e-12)
    assert v(r["q_recoverable"]) == pytest.approx(q, rel=1e-12)


def test_immersion_1p_hot_humid_hour_short_of_water_temperature():
    # 40 °C and humid: pads cannot bring the water to 37 °C -> out of envelope, coolant warmer.
    r = run("immersion_1p", 40.0, 70.0)
    assert r["out_of_envelope"].all() and v(r["mode"]) == 2
    assert v(r["t_supply"]) > 40.0


def test_free_air_fixed_point_that_does_not_settle_is_an_error_naming_cases_and_hours(monkeypatch):
    from twin import ConfigError, Scenario, simulate
    from twin.building.cooling import free_air
    from twin.building.cooling.free_air import FreeAirParams

    monkeypatch.setattr(free_air, "MAX_ITERATIONS", 1)
    sc = Scenario(
        sites=("guangzhou",),
        designs=("free_air",),
        cooling={"free_air": FreeAirParams(trim_capacity=0.0)},
        sweep=(("facility.utilisation", (0.5, 0.9)),),
    )
    with pytest.raises(ConfigError, match=r"did not settle in 1 iterations in \d+ hours.*guangzhou free_air"):
        simulate(sc)


@pytest.mark.parametrize(("t_db", "rh"), [(0.0, 50.0), (35.0, 40.0)])
def test_cold_plate_by_hand(t_db, rh):
    r = run("cold_plate", t_db, rh)
    q, fans, water, pad = _liquid_by_hand("cold_plate", t_db, rh, 40.0 - 3.0)
    assert q == pytest.approx(750.0)  # 75 % of the heat to the liquid
    assert v(r["p_heat_rejection"]) == pytest.approx(fans, rel=1e-9)
    tab = fluids.liquid_table("INCOMP::MPG-25%")
    coolant = q / (tab.heat_capacity(45.0) / 1000.0 * 10.0) / tab.density(45.0) * 150_000.0 / 0.7 / 1000.0
    water_pump = q / (4.186 * 8.0) / 997.0 * 150_000.0 / 0.7 / 1000.0
    assert v(r["p_pumps"]) == pytest.approx((float(coolant) + water_pump) * PUMP_AT_DESIGN, rel=1e-9)
    assert v(r["water"]) >= water
    assert v(r["mode"]) == (1 if pad else 0)
    assert FANS_SEEN[-1] == pytest.approx(0.25)  # the servers keep a quarter of their fans
    assert v(r["q_cooling"]) == pytest.approx(Q_IT)


# ----------------------------------------------------------------------------- indirect evaporative
def _fan_array(m, rho, dp, x_full=10.0 / 11.0):
    x = x_full
    return m / rho * dp / 0.65 / 1000.0 * (0.0013 + 0.1470 * x + 0.9506 * x**2 - 0.0998 * x**3) * 11.0 / 10.0


def test_indirect_evap_cold_dry_hour_runs_dry_with_slow_scavenger_fans():
    w = weather(-5.0, 40.0)
    r = run("indirect_evap", -5.0, 40.0)
    m_air = Q_IT / (1.006 * 12.0)
    t_dry = 36.0 - 0.6 * (36.0 - -5.0)  # return air 24 + 12 °C through the dry exchanger: 11.4 °C
    assert t_dry < 24.0 and v(r["mode"]) == 0 and v(r["t_supply"]) == pytest.approx(24.0)
    rho_in = v(psy.moist_air_density(24.0, psy.humidity_ratio(24.0, 50.0, P), P))
    assert v(r["p_cooling_fans"]) == pytest.approx(_fan_array(m_air, rho_in, 450.0), rel=1e-9)
    ratio = (36.0 - 24.0) / (36.0 - t_dry)  # the scavenger air slowed to what the setpoint needs
    rho_out = v(psy.moist_air_density(-5.0, w["w"], P))
    assert v(r["p_heat_rejection"]) == pytest.approx(
        _fan_array(m_air, rho_out, 350.0, ratio * 10.0 / 11.0) * 1.0, rel=1e-9
    )
    assert v(r["water"]) == 0.0 and v(r["p_compressor"]) == 0.0 and not r["out_of_envelope"].any()


def test_indirect_evap_hot_humid_hour_runs_wet_with_dx_trim():
    w = weather(32.0, 62.0)
    r = run("indirect_evap", 32.0, 62.0)
    m_air = Q_IT / (1.006 * 12.0)
    t_wet = 36.0 - 0.7 * (36.0 - v(w["t_wb"]))
    assert t_wet > 24.0 and v(r["mode"]) == 2
    q_trim = m_air * 1.006 * (t_wet - 24.0)
    cop = fluids.cycle_table("R410A", 1.0)(24.0 - 8.0, 32.0 + 12.0) * 0.7 * 0.9
    assert v(r["p_compressor"]) == pytest.approx(q_trim / cop, rel=1e-9)
    evap = m_air * 1.006 * (36.0 - t_wet) / 2450.0 * 3600.0
    assert v(r["water"]) == pytest.approx(evap * (1.0 + 1.0 / 4.0), rel=1e-9)
    assert v(r["t_supply"]) == pytest.approx(24.0) and not r["out_of_envelope"].any()
