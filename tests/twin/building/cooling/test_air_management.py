"""Rack density, containment (supply and return approach), server fans kept by spray, freeze protection.

Each effect against its published relation or a hand calculation written out here: Idelchik's
perforated-plate loss, the EnergyPlus ITE approach temperatures, openstudio-standards' open-hall
values, CoolProp's glycol properties and EnergyPlus's basin-heater law.
"""

from __future__ import annotations

import numpy as np
import pytest
from CoolProp.CoolProp import PropsSI

from tests.twin.building.cooling.test_cooling_hand import Q_IT, P, it_fn, no_other_heat, weather
from twin import ConfigError, Scenario, facility_block
from twin.building.cooling import DESIGNS
from twin.building.cooling.air_management import CONTAINMENT, distribution_pressure, perforated_plate_loss
from twin.building.cooling.curves import CHILLERS
from twin.building.cooling.free_air import FreeAirParams
from twin.building.cooling.freeze import glycol_fraction, glycol_penalties
from twin.building.it_load import ITParams
from weather import psychrometrics as psy

CP = 1.006
LOAD = 0.4 + 0.6 * 0.7  # idle fraction 0.4, utilisation 0.7


def hour(t_db, rh):
    return {"t_db": np.array([t_db]), "rh": np.array([rh]), "p_air": np.array([P])}


def v(x):
    return float(np.asarray(x).ravel()[0])


# ------------------------------------------------------------------ published relations
def test_perforated_plate_loss_is_idelchiks():
    """ζ = (0.707 (1 − f)^0.375 + 1 − f)² / f² (Idelchik 1994, diagram 8-1), worked by hand."""
    assert float(perforated_plate_loss(0.25)) == pytest.approx(30.68, abs=0.01)  # (0.6347 + 0.75)² / 0.0625
    assert float(perforated_plate_loss(0.56)) == pytest.approx(2.937, abs=0.002)  # (0.5196 + 0.44)² / 0.3136
    assert float(perforated_plate_loss(0.5)) == pytest.approx(4.370, abs=0.002)


def test_open_hall_approaches_are_openstudio_standards_values():
    assert CONTAINMENT["none"][:2] == (8.3, -6.7)  # LargeDataCenterHighITE, "fully open"
    for name, (s, r, _) in CONTAINMENT.items():
        assert 0.0 <= s <= 8.3 and -6.7 <= r <= 0.0, name


def test_distribution_pressure_by_hand():
    # 18 kW rack, 12 K across the units, ρ 1.0: V̇ = 18 / (1.0 · 1.006 · 12) = 1.491 m³/s over 0.36 m²
    w = 18.0 / (1.0 * CP * 12.0) / 0.36
    assert float(distribution_pressure(18.0, 12.0, 1.0, 0.36, 0.56)) == pytest.approx(2.937 * 0.5 * w**2, rel=1e-3)
    # quadratic in the rack's power
    assert float(distribution_pressure(30.0, 12.0, 1.0, 0.36, 0.56)) == pytest.approx(
        float(distribution_pressure(6.0, 12.0, 1.0, 0.36, 0.56)) * 25.0, rel=1e-12
    )


# ------------------------------------------------------------------ rack density costs fan energy
@pytest.mark.parametrize("design", ["free_air", "chilled_water", "indirect_evap"])
def test_denser_racks_cost_fan_energy_by_hand(design):
    """Same hall power: only the racks' openings change; the fans' power follows Δp_units + Δp_racks."""
    own = {"free_air": 350.0, "chilled_water": 400.0, "indirect_evap": 450.0}[design]
    t_in = {"free_air": 22.0, "chilled_water": 22.0, "indirect_evap": 24.0}[design]
    rho = P / (287.055 * (t_in - 1.0 + 273.15))  # at the supply air, 1 K below the inlet (cold aisle)
    zeta = (0.707 * 0.44**0.375 + 0.44) ** 2 / 0.56**2

    def dp(kw):
        return zeta * 0.5 * rho * (kw / (rho * CP * 12.0) / 0.36) ** 2

    fans = {
        kw: v(facility_block(hour(5.0, 50.0), design, facility=ITParams(kw_per_rack=kw))["p_cooling_fans"])
        for kw in (6, 18, 30)
    }
    for kw in (18, 30):
        assert fans[kw] / fans[6] == pytest.approx((own + dp(kw)) / (own + dp(6)), rel=1e-9)
    assert fans[6] < fans[18] < fans[30]


def test_density_moves_pue_and_the_air_limit_holds():
    pue = [v(facility_block(hour(5.0, 50.0), "free_air", facility=ITParams(kw_per_rack=k))["pue"]) for k in (6, 18, 30)]
    assert pue[0] < pue[1] < pue[2]
    with pytest.raises(ConfigError, match=r"kw_per_rack = 43 kW is above cooling\.free_air\.max_kw_per_rack = 30"):
        facility_block(hour(5.0, 50.0), "free_air", facility=ITParams(kw_per_rack=43.0))


# ------------------------------------------------------------------ approaches
def test_server_inlet_is_supply_plus_supply_approach():
    """Hot aisle (1.5 K): outdoor air at 28 °C supplied as it is reaches the servers at 29.5 °C."""
    r = facility_block(
        hour(28.0, 20.0),
        "free_air",
        facility=ITParams(containment="hot_aisle"),
        cooling=FreeAirParams(t_supply_max=30.0),
    )
    assert v(r["mode"]) == 1 and v(r["t_supply"]) == pytest.approx(28.0)
    speed = 1.0 + 0.0216 * (28.0 + 1.5 - 27.0)
    assert v(r["p_server_fans"]) == pytest.approx(10_000.0 * 0.1 * LOAD * speed**3, rel=1e-9)


def test_closed_mode_supply_air_is_not_supersaturated_in_an_open_hall():
    """Too humid outside (28 °C, 90 %): the DX coil supplies 8.3 K below the inlet setpoint in an
    open hall; its air can hold at most saturation at that colder supply temperature."""
    r = facility_block(hour(28.0, 90.0), "free_air", facility=ITParams(containment="none"))
    assert v(r["mode"]) == 5
    t_sup, p_air = v(r["t_supply"]), P
    w_sat = psy.humidity_ratio(np.array(t_sup), np.array(100.0), np.array(p_air))
    assert v(r["w_supply"]) <= float(w_sat) * (1 + 1e-9)


def test_return_approach_sets_the_mixing_return_temperature():
    """Open hall: supply 22 − 8.3 = 13.7 °C, return 13.7 + 12 + 8.3 − 6.7 = 27.3 °C; outdoor share
    (T_ret − T_sup)/(T_ret − T_o) of an air flow Q/(c_p (T_ret − T_sup)) is humidified."""
    r = facility_block(hour(-10.0, 60.0), "free_air", facility=ITParams(containment="none"))
    t_sup, t_ret = 22.0 - 8.3, 22.0 - 8.3 + 12.0 + 8.3 - 6.7
    assert v(r["t_supply"]) == pytest.approx(t_sup)
    w_o = v(psy.humidity_ratio(-10.0, 60.0, P))
    # RH limit at the server inlet (22 °C), the dew-point limit as it is
    w_min = max(v(psy.humidity_ratio_from_dew_point(-12.0, P)), v(psy.humidity_ratio(22.0, 8.0, P)))
    m_h = v(r["q_cooling"]) / (CP * (t_ret - (-10.0))) * (w_min - w_o)
    assert v(r["water"]) == pytest.approx(m_h * 3600.0, rel=1e-9)


def test_open_hall_needs_colder_chilled_water():
    """Open hall: CRAH supply 22 − 8.3 = 13.7 °C needs water ≤ 13.7 − 4 = 9.7 °C (not 12 °C): the
    water returns 2.3 K colder and the economiser's share (T_ret − T_econ)/ΔT_chw falls by 2.3/6."""
    cool = hour(5.0, 60.0)
    open_hall = facility_block(cool, "chilled_water", facility=ITParams(containment="none"))
    contained = facility_block(cool, "chilled_water", facility=ITParams(containment="cold_aisle"))
    assert v(open_hall["t_supply"]) == pytest.approx(22.0 - 8.3)  # CRAH supply for a 22 °C inlet
    assert v(contained["economiser_fraction"]) - v(open_hall["economiser_fraction"]) == pytest.approx(
        (12.0 - 9.7) / 6.0, rel=1e-9
    )
    assert v(open_hall["p_compressor"]) > v(contained["p_compressor"])
    assert v(open_hall["p_it"]) == pytest.approx(v(contained["p_it"]), rel=1e-12)  # same inlet


def test_approaches_that_leave_no_warming_across_the_units_are_refused():
    with pytest.raises(ConfigError, match=r"facility\.supply_approach \+ facility\.return_approach"):
        facility_block(hour(5.0, 50.0), "free_air", facility=ITParams(supply_approach=0.0, return_approach=-11.5))


def test_containment_is_a_scenario_field():
    sc = Scenario.from_dict({"sites": ["qingyang"], "facility": {"containment": "hot_aisle"}})
    assert sc.facility.containment == "hot_aisle"
    with pytest.raises(ConfigError, match="containment = 'open' is not allowed"):
        Scenario.from_dict({"facility": {"containment": "open"}})


# ------------------------------------------------------------------ spray keeps fans for its air share
def test_spray_servers_keep_fans_for_the_air_share():
    r = facility_block(hour(5.0, 50.0), "spray")
    assert v(r["p_server_fans"]) == pytest.approx(10_000.0 * 0.1 * LOAD * 0.1, rel=1e-9)  # inlet 22 °C: speed 1
    assert v(facility_block(hour(5.0, 50.0), "immersion_1p")["p_server_fans"]) == 0.0


# ------------------------------------------------------------------ freeze protection
def test_glycol_fraction_from_coolprop_freezing_points():
    for t_min in (-30.0, -10.0, -1.0):
        x = glycol_fraction(t_min, 5.0)
        assert PropsSI("T_freeze", f"INCOMP::MEG-{round(100 * x)}%") - 273.15 <= t_min - 5.0
        if x > 0.1:
            assert PropsSI("T_freeze", f"INCOMP::MEG-{round(100 * x) - 10}%") - 273.15 > t_min - 5.0
    assert glycol_fraction(-30.0, 5.0) == 0.5 and glycol_fraction(2.0, 5.0) == 0.0


def _glycol_by_hand(x, t):
    g = [PropsSI(k, "T", t + 273.15, "P", 2e5, f"INCOMP::MEG-{round(100 * x)}%") for k in "DCVL"]
    w = [PropsSI(k, "T", t + 273.15, "P", 2e5, "Water") for k in "DCVL"]
    rho, cp, mu, k = (a / b for a, b in zip(g, w, strict=True))
    flow = 1.0 / (rho * cp)  # V̇ ∝ 1/(ρ c_p)
    pump = flow * rho**0.8 * mu**0.2 * flow**1.8  # Blasius: Δp ∝ ρ^0.8 μ^0.2 V̇^1.8
    h = k**0.6 * cp**-0.4 * mu**-0.4  # Dittus–Boelter at the same duty
    return pump, 0.75 + 0.25 / h


def test_glycol_penalties_by_hand():
    pump, approach = glycol_penalties(0.5, 41.0, 0.25)
    assert (pump, approach) == pytest.approx(_glycol_by_hand(0.5, 41.0), rel=1e-12)
    assert 1.3 < pump < 2.5 and 1.1 < approach < 1.5
    assert glycol_penalties(0.0, 41.0, 0.25) == (1.0, 1.0)


def _spray(t_db, rh, **over):
    p = {**DESIGNS["spray"].params().to_dict(), **over}
    wx = weather(t_db, rh)
    wx = {k: np.array([[*np.ravel(a)]]) for k, a in wx.items()}
    return DESIGNS["spray"].simulate(wx, p, it_fn, no_other_heat, np.array([[Q_IT]]))


def test_spray_at_a_freezing_site_pumps_glycol_and_loses_approach():
    """Karamay's −30 °C: 50 % glycol in the dry-cooler loop; the pump and the dry-cooler fans by hand."""
    t_db = np.array([-30.0, 20.0])
    auto, off = _spray(t_db, np.array([50.0, 30.0])), _spray(t_db, np.array([50.0, 30.0]), freeze_protection="off")
    pump, approach = _glycol_by_hand(0.5, 37.0 + 4.0)  # loop mean: 40 − 3 + 8/2 °C
    water_pump = 900.0 / (4.186 * 8.0) / 997.0 * 150_000.0 / 0.7 / 1000.0 * (0.0205 + 0.4101 + 0.5753)
    np.testing.assert_allclose(
        np.ravel(auto["p_pumps"]) - np.ravel(off["p_pumps"]), water_pump * (pump - 1.0), rtol=1e-9
    )
    r = 8.0 * approach / (37.0 - 20.0)  # the fans speed up to hold 37 °C with the larger approach
    assert float(np.ravel(auto["p_heat_rejection"])[1]) == pytest.approx(0.015 * 900.0 * r**3, rel=1e-9)
    mild = np.array([5.0, 20.0])
    np.testing.assert_array_equal(
        _spray(mild, np.array([50.0, 30.0]))["p_pumps"],
        _spray(mild, np.array([50.0, 30.0]), freeze_protection="off")["p_pumps"],
    )


def test_tower_basin_heaters_by_hand():
    """Half load: two of four cells idle; P = C (1 − 0.5) (2 − T_db) with C = 0.2 W/K per kW rejected."""
    p = DESIGNS["chilled_water"].params().to_dict()
    wx = weather(-20.0, 50.0)
    on = DESIGNS["chilled_water"].simulate(wx, p, it_fn, no_other_heat, np.array([[2 * Q_IT]]))
    off = DESIGNS["chilled_water"].simulate(
        wx, {**p, "basin_heater_w_per_k": 0.0}, it_fn, no_other_heat, np.array([[2 * Q_IT]])
    )
    q_rej = 2 * Q_IT * (1.0 + 1.0 / CHILLERS["mcquay_pfh_2124kw"].cop_ref)
    assert v(on["p_heat_rejection"]) - v(off["p_heat_rejection"]) == pytest.approx(
        0.2e-3 * q_rej * 0.5 * (2.0 + 20.0), rel=1e-9
    )
    warm = weather(5.0, 50.0)
    a = DESIGNS["chilled_water"].simulate(warm, p, it_fn, no_other_heat, np.array([[2 * Q_IT]]))
    b = DESIGNS["chilled_water"].simulate(
        warm, {**p, "basin_heater_w_per_k": 0.0}, it_fn, no_other_heat, np.array([[2 * Q_IT]])
    )
    assert v(a["p_heat_rejection"]) == v(b["p_heat_rejection"])


def test_indirect_evap_exchanger_idle_when_the_wet_bulb_is_above_the_return():
    """Open hall: return 24 − 8.3 + 13.6 = 29.3 °C; an outdoor wet bulb above it cannot cool the
    exchanger's air, so it stays dry and idle and the trim takes Q = ṁ c_p (T_ret − T_sup) = all of it."""
    r = facility_block(hour(38.0, 90.0), "indirect_evap", facility=ITParams(containment="none"))
    assert v(r["water"]) == 0.0 and v(r["mode"]) == 2
    assert v(r["t_supply"]) == pytest.approx(24.0 - 8.3)
