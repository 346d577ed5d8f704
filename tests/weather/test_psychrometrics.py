"""Psychrometrics against CoolProp's HAPropsSI (ASHRAE RP-1485), published tables and invariants."""

from __future__ import annotations

import numpy as np
import pytest
from CoolProp.HumidAirProp import HAPropsSI
from hypothesis import given, settings
from hypothesis import strategies as st

from weather import psychrometrics as psy


def _grid():
    t = np.linspace(-30.0, 50.0, 17)
    rh = np.array([5.0, 20.0, 40.0, 60.0, 80.0, 100.0])
    p = np.array([60_000.0, 75_000.0, 85_000.0, 101_325.0])
    T, R, P = np.meshgrid(t, rh, p, indexing="ij")
    rng = np.random.default_rng(42)  # plus random interior points
    n = 200
    return (
        np.concatenate([T.ravel(), rng.uniform(-30, 50, n)]),
        np.concatenate([R.ravel(), rng.uniform(5, 100, n)]),
        np.concatenate([P.ravel(), rng.uniform(60_000, 101_325, n)]),
    )


@pytest.fixture(scope="module")
def coolprop_reference():
    t, rh, p = _grid()
    ref = {k: np.empty_like(t) for k in ("W", "H", "Twb", "Tdp", "Vha")}
    for i, (a, b, c) in enumerate(zip(t, rh, p, strict=True)):
        for k in ref:
            ref[k][i] = HAPropsSI(k, "T", a + 273.15, "R", b / 100.0, "P", c)
    return t, rh, p, ref


def test_humidity_ratio_matches_coolprop_within_0_1_g_per_kg(coolprop_reference):
    t, rh, p, ref = coolprop_reference
    w = psy.humidity_ratio(t, rh, p)
    assert np.max(np.abs(w - ref["W"])) * 1000.0 < 0.1


def test_enthalpy_matches_coolprop_within_0_3_kj_per_kg(coolprop_reference):
    t, rh, p, ref = coolprop_reference
    h = psy.enthalpy(t, psy.humidity_ratio(t, rh, p))
    assert np.max(np.abs(h - ref["H"] / 1000.0)) < 0.3


def test_wet_bulb_matches_coolprop_within_0_05_k_above_0_5_c(coolprop_reference):
    t, rh, p, ref = coolprop_reference
    twb = psy.wet_bulb(t, rh, p)
    ref_c = ref["Twb"] - 273.15
    mask = ref_c > 0.5
    assert mask.sum() > 300
    assert np.max(np.abs(twb - ref_c)[mask]) < 0.05


def test_dew_point_matches_coolprop(coolprop_reference):
    t, rh, p, ref = coolprop_reference
    assert np.max(np.abs(psy.dew_point(t, rh, p) - (ref["Tdp"] - 273.15))) < 0.02


def test_density_matches_coolprop_within_0_2_percent(coolprop_reference):
    t, rh, p, ref = coolprop_reference
    rho = psy.moist_air_density(t, psy.humidity_ratio(t, rh, p), p)
    # CoolProp's Vha is m³ per kg of humid air, so the moist-air density is 1 / Vha.
    assert np.max(np.abs(rho * ref["Vha"] - 1.0)) < 2e-3


def test_saturation_pressure_against_ashrae_table_3():
    # ASHRAE Fundamentals 2017 ch. 1 Table 3: p_ws at 20 °C = 2.3392 kPa (water),
    # at -10 °C = 0.25987 kPa (ice), at 50 °C = 12.3513 kPa.
    got = psy.saturation_vapor_pressure([20.0, -10.0, 50.0])
    np.testing.assert_allclose(got, [2339.2, 259.87, 12351.3], rtol=2e-4)


def test_standard_atmosphere_hand_values():
    # p = 101325 (1 - 2.25577e-5 z)^5.2559; Qingyang 1421 m by hand:
    # 1 - 0.0320545 = 0.9679455; ln = -0.0325796; x 5.2559 = -0.171235; exp = 0.842625 -> 85 379 Pa.
    assert psy.pressure_from_elevation(0.0) == pytest.approx(101_325.0)
    assert psy.pressure_from_elevation(1421.0) == pytest.approx(85_379.0, abs=2.0)


def test_altitude_lowers_wet_bulb_of_same_air_state():
    # Same dry bulb and humidity ratio: lower pressure means lower vapour pressure, drier air.
    w = 0.010
    assert psy.wet_bulb_from_humidity_ratio(30.0, w, 85_000.0) < psy.wet_bulb_from_humidity_ratio(30.0, w, 101_325.0)


def test_nan_passes_through():
    out = psy.wet_bulb([20.0, np.nan], [50.0, 50.0], 101_325.0)
    assert np.isfinite(out[0]) and np.isnan(out[1])


def test_wet_bulb_iteration_is_converged():
    rng = np.random.default_rng(7)
    t, rh, p = rng.uniform(-30, 50, 5000), rng.uniform(1, 100, 5000), rng.uniform(6e4, 1.02e5, 5000)
    w = psy.humidity_ratio(t, rh, p)
    twb = psy.wet_bulb_from_humidity_ratio(t, w, p)
    resid = psy._wet_bulb_residual(twb, t, w, p)
    assert np.max(np.abs(resid)) < 1e-9  # kg/kg: far below any physical resolution


@settings(max_examples=200, deadline=None)
@given(
    t=st.floats(-40.0, 55.0),
    rh=st.floats(1.0, 100.0),
    p=st.floats(55_000.0, 105_000.0),
)
def test_invariants(t, rh, p):
    td = float(psy.dew_point(t, rh, p))
    twb = float(psy.wet_bulb(t, rh, p))
    # 1e-3 K: ice and water saturation curves meet at 0.01 °C, not exactly at the 0 °C switch.
    assert td <= twb + 1e-3 <= t + 2e-3
    # Exact inverse, except at a dew point within a hair of 0 °C: there the ice and water curves
    # (which meet at 0.01 °C, not at the 0 °C switch) leave a 0.01 % gap with no exact solution.
    rel = 1e-4 if abs(td) < 0.05 else 1e-9
    assert float(psy.relative_humidity_from_dew_point(t, td, p)) == pytest.approx(rh, rel=rel)
    w = float(psy.humidity_ratio(t, rh, p))
    assert float(psy.dew_point_from_humidity_ratio(w, p)) == pytest.approx(td, abs=1e-6)
    assert w <= float(psy.humidity_ratio_saturated(t, p)) * (1 + 1e-12)


@pytest.mark.parametrize(
    "t", [np.linspace(-40.0, 60.0, 1001), np.array([-3.0]), np.array([12.0, 30.0]), np.array(-7.5), np.array(21.0)]
)
def test_saturation_terms_are_the_functions_values_bit_for_bit(t: np.ndarray) -> None:
    """The terms saturation at many pressures reuses are p_ws and the enhancement factor's α and β
    (each over ice below 0 °C) as the functions that compute them alone give, bit for bit: the
    factor from the terms at any pressure is :func:`enhancement_factor`'s, the mole fraction at
    100 % :func:`vapor_mole_fraction`'s."""
    es, alpha, beta = psy.saturation_terms(t)
    assert np.array_equal(np.asarray(es).view(np.uint64), np.asarray(psy.saturation_vapor_pressure(t)).view(np.uint64))
    for p in (61_000.0, 85_432.1, 101_325.0):
        f = np.exp(alpha * (1.0 - es / p) + beta * (p / es - 1.0))
        assert np.array_equal(np.asarray(f), np.asarray(psy.enhancement_factor(t, p)))
        x = psy.saturated_mole_fraction((es, alpha, beta), np.full(np.shape(t), p))
        assert np.array_equal(np.asarray(x), np.asarray(psy.vapor_mole_fraction(t, 100.0, np.full(np.shape(t), p))))
