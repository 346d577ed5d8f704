"""PV model: row-to-row shading against hand geometry, module libraries (CEC, Sandia)."""

from __future__ import annotations

import numpy as np
import pytest

import sites
from twin import ConfigError, site_weather
from twin.supply.pv import PVParams, pv_profile, row_shading_factors


def _factors(zenith: float, azimuth: float, tilt: float, gcr: float) -> tuple[float, float, float]:
    one = np.ones(1)
    f = row_shading_factors(
        tilt * one, 180.0 * one, zenith * one, azimuth * one, 500.0 * one, 600.0 * one, 200.0 * one, gcr, 2.0, 1.5, 0.2
    )
    return tuple(float(x[0]) for x in f)


@pytest.mark.parametrize("tilt, gcr", [(30.0, 0.35), (20.0, 0.5), (45.0, 0.25)])
def test_sky_view_of_an_interior_row_matches_crossed_strings(tilt, gcr):
    # Hottel's crossed strings in 2-D: the row face A (width w) sees the sky through the opening
    # C between its top edge and the next row's top edge (length = pitch p); A and C share a
    # vertex, so F(A→C) = (|A| + |C| − |BT'|)/(2|A|), BT' from the row's bottom edge to the next
    # row's top edge. The factor is that over a lone module's (1 + cos β)/2.
    w, b = 2.0, np.radians(tilt)
    p = w / gcr
    d = np.hypot(p - w * np.cos(b), w * np.sin(b))
    expected = (w + p - d) / (2.0 * w) / ((1.0 + np.cos(b)) / 2.0)
    _, f_sky, _ = _factors(30.0, 180.0, tilt, gcr)
    assert f_sky == pytest.approx(expected, abs=1e-9)  # pvlib: same geometry, own formulation


@pytest.mark.parametrize("elevation", [6.0, 8.0, 10.0])
def test_low_sun_shades_the_lower_part_of_the_row(elevation):
    # Sun due south at elevation ψ over rows of tilt β: the row ahead's top edge casts a shadow
    # on the lower part of the row behind; shaded slant fraction = 1 − sin ψ / (gcr · sin(β + ψ)).
    tilt, gcr = 30.0, 0.35
    psi, b = np.radians(elevation), np.radians(tilt)
    shaded = max(0.0, 1.0 - np.sin(psi) / (gcr * np.sin(b + psi)))
    f_beam, _, f_ground = _factors(90.0 - elevation, 180.0, tilt, gcr)
    assert shaded > 0.1  # the case really is shaded
    assert f_beam == pytest.approx(1.0 - shaded, abs=1e-6)
    assert 0.0 < f_ground < 1.0


def test_high_sun_leaves_the_row_unshaded():
    f_beam, f_sky, f_ground = _factors(20.0, 180.0, 30.0, 0.35)
    assert f_beam == pytest.approx(1.0)
    assert f_sky < 1.0 and f_ground < 1.0


@pytest.fixture(scope="module")
def qingyang():
    return site_weather(sites.load("qingyang"))[0]


def test_row_shading_costs_energy_and_can_be_switched_off(qingyang):
    shaded = pv_profile(qingyang, PVParams()).sum()
    lone = pv_profile(qingyang, PVParams(row_shading=False)).sum()
    dense = pv_profile(qingyang, PVParams(gcr=0.6)).sum()
    # a few per cent, growing with the ground coverage ratio
    assert 0.005 < 1.0 - shaded / lone < 0.04
    assert dense < shaded


def test_cec_single_diode_module_agrees_with_pvwatts_dc_model(qingyang):
    linear = pv_profile(qingyang, PVParams()).sum()
    diode = pv_profile(qingyang, PVParams(module_model="cec")).sum()
    assert diode == pytest.approx(linear, rel=0.01)  # two DC models of one 300 W module (measured −0.26 %)
    with pytest.raises(
        ConfigError,
        match=r"cec_module = 'Canadian_Solar_XYZ' is not in pvlib's CECMod library; similar: Canadian_Solar_Inc__",
    ):
        PVParams(module_model="cec", cec_module="Canadian_Solar_XYZ")


def test_sandia_module_agrees_with_pvwatts_dc_model(qingyang):
    linear = pv_profile(qingyang, PVParams()).sum()
    sapm = pv_profile(qingyang, PVParams(module_model="sandia"))
    # the same 300 W mono-Si module in Sandia's library; SAPM adds its spectral factor
    assert sapm.sum() == pytest.approx(linear, rel=0.01)  # measured +0.04 % at Qingyang
    assert np.all(sapm >= 0.0) and sapm.max() <= 1.0 / 1.2 + 1e-9  # clipped at the inverter's AC rating
    with pytest.raises(ConfigError, match=r"sandia_module = 'nope' is not in pvlib's SandiaMod library"):
        PVParams(module_model="sandia", sandia_module="nope")
