"""weather.solar: SPA with its periodic series summed by blocks, against pvlib's spa_python."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pvlib
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from weather.dataset import solar_position
from weather.solar import periodic_sum, spa_regular

TOL_DEG = 1e-8
"""Agreement with pvlib's SPA, degrees (SPA's own published uncertainty is ±0.0003°)."""


def _angle_gap(a, b) -> float:
    return float(np.max(np.abs((np.asarray(a) - np.asarray(b) + 180.0) % 360.0 - 180.0)))


def _assert_like_pvlib(time: pd.DatetimeIndex, lat: float, lon: float, **kw) -> pd.DataFrame:
    ref = pvlib.solarposition.spa_python(time, lat, lon, **kw)
    fast = spa_regular(time, lat, lon, **kw)
    assert list(fast.columns) == list(ref.columns)
    assert fast.index.equals(ref.index)
    for col in ("apparent_zenith", "zenith", "apparent_elevation", "elevation", "azimuth"):
        assert _angle_gap(fast[col], ref[col]) < TOL_DEG, col
    assert np.max(np.abs(fast["equation_of_time"] - ref["equation_of_time"])) < 1e-7  # minutes
    return fast


@pytest.mark.parametrize(
    "lat, lon, start",
    [
        (38.47, 106.27, "2021-01-01"),
        (45.6, 84.9, "2019-07-01"),
        (-33.9, 151.2, "2024-01-01"),
        (71.0, 25.0, "2021-03-01"),
    ],
)
def test_a_year_of_hours_agrees_with_pvlib(lat, lon, start):
    time = pd.date_range(start, periods=8760, freq="h", tz="UTC") + pd.Timedelta(minutes=30)
    _assert_like_pvlib(time, lat, lon)


def test_other_steps_time_zones_and_site_settings_agree_with_pvlib():
    time = pd.date_range("2022-06-01", periods=3000, freq="10min", tz="Asia/Shanghai")
    _assert_like_pvlib(time, 36.0, 103.8, altitude=1500.0, pressure=85000.0, temperature=5.0, delta_t=69.0)
    _assert_like_pvlib(pd.date_range("2021-01-01", periods=2, freq="D", tz="UTC"), 10.0, 10.0)


@settings(max_examples=25, deadline=None)
@given(
    lat=st.floats(-89.0, 89.0),
    lon=st.floats(-180.0, 180.0),
    start=st.integers(0, 60 * 365 * 24),
    n=st.integers(2, 600),
    step_min=st.sampled_from([1, 15, 60, 180, 1440]),
)
def test_any_regular_axis_agrees_with_pvlib_and_stays_in_range(lat, lon, start, n, step_min):
    time = (
        pd.Timestamp("1990-01-01", tz="UTC")
        + pd.Timedelta(hours=start)
        + pd.to_timedelta(np.arange(n) * step_min, unit="min")
    )
    fast = _assert_like_pvlib(pd.DatetimeIndex(time), lat, lon)
    assert np.all((fast["zenith"] >= 0.0) & (fast["zenith"] <= 180.0))
    assert np.all((fast["azimuth"] >= 0.0) & (fast["azimuth"] < 360.0))


def test_periodic_sum_equals_the_direct_sum():
    rng = np.random.default_rng(3)
    table = np.column_stack([rng.uniform(-1e6, 1e6, 40), rng.uniform(0, 6.3, 40), rng.uniform(0, 1e5, 40)])
    x = 0.02 + 1e-7 * np.arange(1001)
    direct = (table[:, 0] * np.cos(table[:, 1] + table[:, 2] * x[:, None])).sum(axis=1)
    got = periodic_sum(table, 0.02, 1e-7, 1001, block=37)
    assert np.max(np.abs(got - direct)) < 1e-12 * np.abs(table[:, 0]).sum()


def test_an_irregular_axis_is_refused_and_solar_position_falls_back_to_pvlib():
    time = pd.DatetimeIndex(["2021-01-01 00:00", "2021-01-01 01:00", "2021-01-01 03:00"], tz="UTC")
    with pytest.raises(ValueError, match="regularly spaced"):
        spa_regular(time, 38.0, 106.0)
    local = pd.DatetimeIndex(["2021-06-01 10:00", "2021-06-01 11:00", "2021-06-01 13:00"])
    got = solar_position(local, 38.0, 106.0, 8.0)
    ref = pvlib.solarposition.spa_python(local + pd.Timedelta(minutes=30) - pd.Timedelta(hours=8), 38.0, 106.0)
    assert np.array_equal(got["zenith"].to_numpy(), ref["zenith"].to_numpy())


def test_solar_position_of_a_real_year_agrees_with_pvlib(real_weather):
    ds, meta = real_weather("yinchuan")
    t = pd.DatetimeIndex(ds["time"].to_numpy())
    got = solar_position(t, meta["latitude"], meta["longitude"], meta["utc_offset_h"])
    mid = (t + pd.Timedelta(minutes=30) - pd.Timedelta(hours=meta["utc_offset_h"])).tz_localize("UTC")
    ref = pvlib.solarposition.get_solarposition(mid, meta["latitude"], meta["longitude"])
    for col in ("apparent_zenith", "zenith", "azimuth"):
        assert _angle_gap(got[col], ref[col]) < TOL_DEG


def test_a_pvlib_without_the_reused_spa_steps_falls_back_to_pvlib(monkeypatch):
    import weather.dataset as wd
    import weather.solar

    def renamed(*args, **kwargs):
        raise AttributeError("module 'pvlib.spa' has no attribute 'heliocentric_longitude'")

    monkeypatch.setattr(weather.solar, "spa_regular", renamed)
    time = pd.date_range("2021-03-01", periods=48, freq="h")
    got = wd._solar_position(time, 38.0, 106.0, 8.0, regular=True)
    ref = pvlib.solarposition.get_solarposition(time + pd.Timedelta(minutes=30) - pd.Timedelta(hours=8), 38.0, 106.0)
    assert np.array_equal(got["zenith"].to_numpy(), ref["zenith"].to_numpy())
