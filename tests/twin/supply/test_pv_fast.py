"""The fast row-shading geometry and PV profile against pvlib's infinite sheds, and invariants."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pvlib
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from pvlib.bifacial import utils

from twin.supply.pv import PVParams, pv_unit_profile, row_shading_factors, vf_ground_sky, vf_row_ground
from weather.dataset import solar_position

REL = 1e-12


def _close(got, ref, rel: float = REL) -> None:
    got, ref = np.asarray(got, dtype=float), np.asarray(ref, dtype=float)
    assert np.max(np.abs(got - ref)) <= rel * max(1.0, float(np.max(np.abs(ref))))


def reference_factors(tilt, surf_az, zenith, azimuth, ghi, dni, dhi, gcr, width, height, albedo):
    """row_shading_factors as ratios of pvlib's own get_irradiance_poa (every hour, no shortcut)."""
    rows = pvlib.bifacial.infinite_sheds.get_irradiance_poa(
        tilt, surf_az, zenith, azimuth, gcr, height, width / gcr, ghi, dhi, dni, albedo, model="isotropic"
    )
    cos_t = np.cos(np.radians(tilt))
    with np.errstate(invalid="ignore", divide="ignore"):
        beam = np.asarray(pvlib.irradiance.beam_component(tilt, surf_az, zenith, azimuth, dni), dtype=float)
        ratios = (
            np.asarray(rows["poa_direct"]) / beam,
            np.asarray(rows["poa_sky_diffuse"]) / (dhi * (1.0 + cos_t) / 2.0),
            np.asarray(rows["poa_ground_diffuse"]) / (albedo * ghi * (1.0 - cos_t) / 2.0),
        )
    return tuple(np.clip(np.nan_to_num(r, nan=1.0, posinf=1.0), 0.0, 1.0) for r in ratios)


@settings(max_examples=40, deadline=None)
@given(
    tilts=st.lists(st.floats(-90.0, 90.0), min_size=1, max_size=30),
    gcr=st.floats(0.05, 0.9),
    height=st.floats(0.2, 10.0),
    width=st.floats(0.3, 10.0),
)
@example(tilts=[0.0], gcr=0.5, height=0.2, width=0.4)  # a point of a row on a line of sight: zero length
def test_view_factors_equal_pvlib(tilts, gcr, height, width):
    tilt = np.array([*tilts, 0.0, 90.0, -90.0])
    pitch = width / gcr
    max_rows = np.ceil(height / (pitch * np.tan(np.radians(5.0))))
    row_ground, ground_sky = vf_row_ground(tilt, gcr), vf_ground_sky(tilt, gcr, height, pitch, max_rows)
    _close(row_ground, utils.vf_row_ground_2d_integ(tilt, gcr, x0=0.0, x1=1.0, g0=0.0, g1=1.0))
    _close(ground_sky, utils.vf_ground_sky_2d_integ(tilt, gcr, height, pitch, max_rows=max_rows))
    for vf in (row_ground, ground_sky):  # view factors
        assert np.all((vf >= 0.0) & (vf <= 1.0 + 1e-12))


@settings(max_examples=40, deadline=None)
@given(
    zenith=st.lists(st.floats(0.0, 95.0), min_size=24, max_size=24),
    azimuth=st.lists(st.floats(0.0, 360.0), min_size=24, max_size=24),
    tilt=st.floats(0.0, 89.0),
    tracking=st.booleans(),
    gcr=st.floats(0.05, 0.9),
    dark=st.integers(0, 24),
)
def test_row_shading_factors_equal_pvlib_and_stay_within_0_and_1(zenith, azimuth, tilt, tracking, gcr, dark):
    zen, azi = np.array(zenith), np.array(azimuth)
    rng = np.random.default_rng(len(zenith) + dark)
    ghi, dni = rng.uniform(0, 1000, 24), rng.uniform(0, 900, 24)
    dhi = np.minimum(ghi, rng.uniform(0, 400, 24))
    ghi[:dark] = dni[:dark] = dhi[:dark] = 0.0  # night hours
    if tracking:
        tr = pvlib.tracking.singleaxis(zen, azi, max_angle=60.0, backtrack=True, gcr=gcr)
        t = np.nan_to_num(np.asarray(tr["surface_tilt"], dtype=float))
        az = np.nan_to_num(np.asarray(tr["surface_azimuth"], dtype=float), nan=180.0)
    else:
        t, az = np.full(24, tilt), np.full(24, 180.0)
    args = (t, az, zen, azi, ghi, dni, dhi, gcr, 2.0, 1.5, 0.2)
    for got, ref in zip(row_shading_factors(*args), reference_factors(*args), strict=True):
        _close(got, ref)
        assert np.all((got >= 0.0) & (got <= 1.0))


def _year(real_weather, key):
    ds, meta = real_weather(key)
    t = pd.DatetimeIndex(ds["time"].to_numpy())
    sun = solar_position(t, meta["latitude"], meta["longitude"], meta["utc_offset_h"])
    cols = [ds[v].to_numpy() for v in ("ghi", "dni", "dhi", "t_db", "wind_speed")]
    return t, sun, cols


@pytest.mark.parametrize("tracking", [False, True])
def test_row_shading_factors_of_a_real_year_equal_pvlib(real_weather, tracking):
    t, sun, (ghi, dni, dhi, _, _) = _year(real_weather, "yinchuan")
    zen, azi, app = sun["zenith"].to_numpy(), sun["azimuth"].to_numpy(), sun["apparent_zenith"].to_numpy()
    if tracking:
        tr = pvlib.tracking.singleaxis(app, azi, max_angle=60.0, backtrack=True, gcr=0.35)
        tilt = np.nan_to_num(np.asarray(tr["surface_tilt"], dtype=float))
        az = np.nan_to_num(np.asarray(tr["surface_azimuth"], dtype=float), nan=180.0)
    else:
        tilt, az = np.full(t.size, 30.0), np.full(t.size, 180.0)
    args = (tilt, az, zen, azi, ghi, dni, dhi, 0.35, 2.0, 1.5, 0.2)
    for got, ref in zip(row_shading_factors(*args), reference_factors(*args), strict=True):
        _close(got, ref)


@pytest.mark.parametrize("tracking", [False, True])
def test_pv_profile_with_pvlibs_solar_position_moves_less_than_1e_12(real_weather, tracking):
    # The whole chain on weather.solar's SPA against the same chain on pvlib's spa_python.
    t, sun, cols = _year(real_weather, "karamay")
    _, meta = real_weather("karamay")
    mid = (t + pd.Timedelta(minutes=30) - pd.Timedelta(hours=meta["utc_offset_h"])).tz_localize("UTC")
    ref_sun = pvlib.solarposition.get_solarposition(mid, meta["latitude"], meta["longitude"])
    ref_sun.index = t
    p = PVParams(tracking=tracking, azimuth_deg=180.0)
    _close(pv_unit_profile(t, sun, *cols, p), pv_unit_profile(t, ref_sun, *cols, p))


@settings(max_examples=15, deadline=None)
@given(
    tilt=st.floats(0.0, 90.0),
    tracking=st.booleans(),
    dc_ac=st.floats(0.5, 2.5),
    gcr=st.floats(0.05, 0.9),
    scale=st.floats(0.0, 1.4),
)
def test_pv_output_is_between_zero_and_the_inverter_rating(real_weather, tilt, tracking, dc_ac, gcr, scale):
    t, sun, (ghi, dni, dhi, t_air, wind) = _year(real_weather, "guian")
    p = PVParams(tracking=tracking, tilt_deg=tilt, azimuth_deg=180.0, dc_ac_ratio=dc_ac, gcr=gcr)
    out = pv_unit_profile(t, sun, ghi * scale, dni * scale, dhi * scale, t_air, wind, p)
    assert np.all(np.isfinite(out))
    assert np.all(out >= 0.0)
    assert np.all(out <= 1.0 / dc_ac * (1 + 1e-12))  # AC nameplate per kW DC


def reference_profile(time, solpos, ghi, dni, dhi, t_air, wind, p):
    """The PV chain on every hour with pvlib's infinite sheds (the model before the fast path)."""
    from twin.supply import pv

    zen, azi, zenith = (solpos[c].to_numpy() for c in ("apparent_zenith", "azimuth", "zenith"))
    if p.tracking:
        tr = pvlib.tracking.singleaxis(zen, azi, max_angle=p.max_angle_deg, backtrack=True, gcr=p.gcr)
        tilt = np.nan_to_num(np.asarray(tr["surface_tilt"], dtype=float))
        surf_az = np.nan_to_num(np.asarray(tr["surface_azimuth"], dtype=float), nan=180.0)
        aoi = np.nan_to_num(np.asarray(tr["aoi"], dtype=float), nan=90.0)
    else:
        tilt, surf_az = np.full(zen.shape, p.tilt_deg), np.full(zen.shape, p.azimuth_deg)
        aoi = pvlib.irradiance.aoi(tilt, surf_az, zenith, azi)
    dni_extra = pvlib.irradiance.get_extra_radiation(time.day_of_year.to_numpy())
    am = pvlib.atmosphere.get_relative_airmass(zen)
    with np.errstate(invalid="ignore", divide="ignore"):
        comp = pvlib.irradiance.perez(tilt, surf_az, dhi, dni, dni_extra, zenith, azi, am, return_components=True)
        beam = np.nan_to_num(pvlib.irradiance.beam_component(tilt, surf_az, zenith, azi, dni))
    iso, circ, hor = (np.nan_to_num(np.asarray(comp[k], dtype=float)) for k in pv._PEREZ_PARTS)
    ground = pvlib.irradiance.get_ground_diffuse(tilt, ghi, p.albedo)
    f_b, f_s, f_g = reference_factors(
        tilt, surf_az, zenith, azi, ghi, dni, dhi, p.gcr, p.collector_width_m, p.row_height_m, p.albedo
    )
    beam, circ, iso, hor, ground = beam * f_b, circ * f_b, iso * f_s, hor * f_s, ground * f_g
    sky = np.maximum(iso + circ + hor, 0.0)
    sky_tab, ground_tab = pv._diffuse_iam_table()
    t_deg = np.clip(np.round(tilt).astype(int), 0, 90)
    iam = np.nan_to_num(pvlib.iam.physical(aoi))
    effective = np.maximum(beam * iam + sky * sky_tab[t_deg] + ground * ground_tab[t_deg], 0.0)
    t_cell = pvlib.temperature.sapm_cell(beam + sky + ground, t_air, wind, a=-3.56, b=-0.075, deltaT=3)
    if p.module_model == "cec":
        pdc = pv._cec_dc_per_kw(effective, t_cell, p.cec_module)
    elif p.module_model == "sandia":
        am_abs = np.nan_to_num(pvlib.atmosphere.get_absolute_airmass(am), nan=40.0)
        pdc = pv._sandia_dc_per_kw(effective, t_cell, am_abs, p.sandia_module)
    else:
        pdc = pvlib.pvsystem.pvwatts_dc(effective, t_cell, 1.0, p.gamma_pdc)
    pac = pvlib.inverter.pvwatts(
        pdc * (1.0 - p.losses_pct / 100.0), 1.0 / p.dc_ac_ratio, eta_inv_nom=p.inverter_efficiency
    )
    return np.maximum(np.nan_to_num(np.asarray(pac, dtype=float)), 0.0)


@pytest.mark.parametrize("model", ["pvwatts", "cec", "sandia"])
@pytest.mark.parametrize("tracking", [False, True])
def test_pv_profile_equals_the_every_hour_pvlib_chain_on_a_real_year(real_weather, model, tracking):
    t, sun, cols = _year(real_weather, "yinchuan")
    p = PVParams(tracking=tracking, azimuth_deg=180.0, module_model=model)
    with np.errstate(all="ignore"):
        _close(pv_unit_profile(t, sun, *cols, p), reference_profile(t, sun, *cols, p))
