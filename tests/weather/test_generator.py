"""The typical-year generator: determinism, exact monthly means, invariants, and fidelity to real files."""

from __future__ import annotations

import dataclasses
import re

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from hypothesis import HealthCheck, Phase, assume, given, settings
from hypothesis import strategies as st
from scipy import signal

import sites
from tests.conftest import EPW_FILES
from tests.weather.design_report import year_with
from twin import site_weather
from weather import generator as gen
from weather.dataset import WeatherError
from weather.validation import compare_ensemble, hour_counts

SEEDS = range(5)


@pytest.fixture(scope="module")
def qingyang_year():
    return site_weather(sites.load("qingyang"), seed=0)


def test_same_seed_same_year_other_seed_other_year():
    s = sites.load("karamay")
    a, _ = site_weather(s, seed=3)
    b, _ = site_weather(s, seed=3)
    c, _ = site_weather(s, seed=4)
    for v in a.data_vars:
        np.testing.assert_array_equal(a[v], b[v])
    assert not np.allclose(a["t_db"], c["t_db"])
    assert hour_counts(a) != hour_counts(c)


def test_monthly_means_equal_the_normals(qingyang_year):
    ds, meta = qingyang_year
    n = sites.load("qingyang").normals
    np.testing.assert_allclose(ds["t_db"].groupby("time.month").mean(), n.t_mean_c, atol=1e-9)
    np.testing.assert_allclose(ds["t_dp"].groupby("time.month").mean(), n.t_dew_mean_c, atol=0.05)
    np.testing.assert_allclose(ds["ghi"].groupby("time.month").sum() / 1000.0, n.ghi_kwh_m2, rtol=1e-9)
    np.testing.assert_allclose(ds["wind_speed"].groupby("time.month").mean(), n.wind10m_mean_ms, rtol=1e-9)
    tmax = ds["t_db"].resample(time="D").max().groupby("time.month").mean()
    tmin = ds["t_db"].resample(time="D").min().groupby("time.month").mean()
    # the daily maximum and minimum as two variables: each day falls to the next day's minimum, and
    # the daily mean's place in the range is corrected with the excursions (Qingyang, seed 0: 0.065 K)
    np.testing.assert_allclose(tmax, n.t_max_daily_mean_c, atol=0.07)
    np.testing.assert_allclose(tmin, n.t_min_daily_mean_c, atol=0.07)
    rh_min = ds["rh"].resample(time="D").min().groupby("time.month").mean()
    # κ ≥ 0: where the generated afternoons are drier than the normal without any dip (κ = 0),
    # the mean daily minimum RH stays below it; elsewhere it is matched
    gap = rh_min.to_numpy() - np.asarray(n.rh_min_daily_mean_pct)
    assert np.all(gap <= 3.0) and np.sum(np.abs(gap) <= 3.0) >= 9, gap
    assert meta["format"] == "generated" and meta["seed"] == 0


def test_physical_invariants(qingyang_year):
    ds, _ = qingyang_year
    assert (ds["t_dp"] <= ds["t_db"]).all()
    assert float(ds["rh"].min()) > 0 and float(ds["rh"].max()) <= 100.0
    assert float(ds["ghi"].min()) >= 0 and float(ds["wind_speed"].min()) >= 0
    # No sun at local midnight; the sun is up at local solar noon.
    hour = ds["time"].dt.hour
    assert float(ds["ghi"].where(hour == 0).max()) == 0.0
    assert float(ds["ghi"].where(hour == 13).mean()) > 200.0
    assert ds.attrs["seed"] == 0


def test_each_month_has_the_spread_of_daily_means_of_its_variability_table():
    """Without the daily maximum's and minimum's fields the daily means have the table's spread."""
    for key in ("qingyang", "karamay"):
        site = sites.load(key)
        var = dataclasses.replace(gen.as_variability(site.variability), **dict.fromkeys(gen.EXTREME_FIELDS))
        daily = year_with(site, var, seed=2)["t_db"].to_series().resample("D").mean()
        spread = gen.daily_anomaly_sd(daily.to_numpy(), daily.index.month.to_numpy() - 1)
        np.testing.assert_allclose(spread, var.t_daily_sd_c, atol=0.05)


@pytest.mark.parametrize("key", ["qingyang", "karamay", "us_dulles"])
def test_each_month_has_the_spread_and_correlation_of_the_daily_extremes_of_its_table(key):
    """With the daily maximum's and minimum's fields each month's daily maxima and minima have the
    table's spreads (enforced) and, over seeds, about its correlation (not enforced: the
    diurnal cycle, the noise and the dew-point floor blur it). The spreads are matched before the
    dew-point floor, which narrows the cold side: the minima's spread within 25 % of the table's
    (Yinchuan November 4.9 against 6.2 K, Dulles November 6.2 against 6.9 K), the maxima's within
    7 % (Karamay March 7.0 against 7.5 K)."""
    site = sites.load(key)
    var = gen.as_variability(site.variability)
    corr, sds = [], []
    for seed in (0, 1, 2):
        days = site_weather(site, seed=seed)[0]["t_db"].to_series().resample("D")
        dmax, dmin = days.max(), days.min()
        stats = gen.extreme_statistics(dmax.to_numpy(), dmin.to_numpy(), dmax.index.month.to_numpy() - 1)
        sds.append([stats["t_max_daily_sd_c"], stats["t_min_daily_sd_c"]])
        corr.append(stats["t_max_min_corr"])
    # the median over seeds (one seed's March at Karamay: 9.3 K against 7.7 K)
    np.testing.assert_allclose(np.median(sds, axis=0)[0], var.t_max_daily_sd_c, rtol=0.07, atol=0.02)
    np.testing.assert_allclose(np.median(sds, axis=0)[1], var.t_min_daily_sd_c, rtol=0.25, atol=0.02)
    # the monthly correlations pass through a smooth daily curve: a month far from its neighbours
    # (Qingyang's May, 0.33 between 0.80 and 0.48) is drawn towards them
    gap = np.abs(np.mean(corr, axis=0) - np.asarray(var.t_max_min_corr))
    assert gap.mean() < 0.1 and gap.max() < 0.35, gap


def test_extreme_anomalies_have_the_asked_spreads_and_correlation():
    rng = np.random.default_rng(5)
    z1, z2 = rng.standard_normal((2, 400_000))
    for sx, sn, r in ((4.0, 6.0, 0.8), (3.0, 2.0, 0.2), (5.0, 5.0, -0.3)):
        ax, an = gen.extreme_anomalies(z1, z2, np.full(z1.size, sx), np.full(z1.size, sn), np.full(z1.size, r))
        assert np.std(ax) == pytest.approx(sx, rel=0.01) and np.std(an) == pytest.approx(sn, rel=0.01)
        assert np.corrcoef(ax, an)[0, 1] == pytest.approx(r, abs=0.01)
        # the mean of the two follows the first series alone
        assert np.corrcoef(ax + an, z1)[0, 1] == pytest.approx(1.0, abs=1e-9)


@pytest.mark.parametrize("kurtosis", [-0.8, -0.5, 0.0, 1.0])
def test_light_tails_has_unit_variance_and_the_asked_kurtosis(kurtosis):
    from scipy import stats

    z = np.random.default_rng(1).standard_normal(1_000_000)
    y = gen.light_tails(z, kurtosis)
    assert np.std(y) == pytest.approx(1.0, abs=0.005) and abs(np.mean(y)) < 0.005
    assert stats.kurtosis(y) == pytest.approx(kurtosis, abs=0.03)
    assert np.all(np.diff(y[np.argsort(z)]) >= 0)  # monotone: ranks and persistence kept


def test_the_daily_extremes_fields_come_together():
    var = gen.as_variability(sites.load("karamay").variability)
    with pytest.raises(gen.WeatherError, match=r"^variability\.t_min_kurtosis is missing: t_max_daily_sd_c, "):
        dataclasses.replace(var, t_min_kurtosis=None)
    with pytest.raises(gen.WeatherError, match=r"^variability\.t_max_kurtosis = -2\.0; allowed -0\.85 … 3"):
        dataclasses.replace(var, t_max_kurtosis=-2.0)


def test_diurnal_shape_has_zero_mean_and_the_asked_extremes():
    hours = np.arange(24) + 0.5
    for rise_at, frac in ((6.0, 0.5), (7.5, 0.42), (4.5, 0.6), (6.0, 0.3)):
        rise_len = np.full(24, gen.T_MAX_SOLAR_HOUR - rise_at)
        rising = (hours >= rise_at) & (hours < gen.T_MAX_SOLAR_HOUR)
        phase_rise = (hours - rise_at) / rise_len
        phase_fall = ((hours - gen.T_MAX_SOLAR_HOUR) % 24.0) / (24.0 - rise_len)
        fine = np.arange(0, 24, 0.001)  # the continuous day, for the mean
        f_rising = (fine >= rise_at) & (fine < gen.T_MAX_SOLAR_HOUR)
        s = gen.diurnal_shape(
            f_rising,
            (fine - rise_at) / rise_len[0],
            ((fine - gen.T_MAX_SOLAR_HOUR) % 24.0) / (24.0 - rise_len[0]),
            np.full(fine.size, rise_len[0]),
            np.full(fine.size, frac),
        )
        assert abs(s.mean()) < 1e-3, (rise_at, frac)
        assert s.min() == pytest.approx(-frac, abs=1e-6) and s.max() == pytest.approx(1.0 - frac, abs=1e-4)
        h = gen.diurnal_shape(rising, phase_rise, phase_fall, rise_len, np.full(24, frac))
        assert np.all(np.diff(h[rising]) > 0)  # warms from sunrise to the maximum


def test_sharpen_is_symmetric_and_keeps_the_ends():
    s = np.linspace(0.0, 1.0, 101)
    for a in (0.3, 0.7, 1.0, 2.5):
        g = gen.sharpen(s, a)
        np.testing.assert_allclose(g + gen.sharpen(1.0 - s, a), 1.0, atol=1e-12)
        assert g[0] == 0.0 and g[-1] == 1.0 and g[50] == pytest.approx(0.5, abs=1e-12)
        assert np.all(np.diff(g) >= 0)
    np.testing.assert_allclose(gen.sharpen(s, 1.0), s, atol=1e-12)
    # a < 1 leaves the top quicker: fewer of the points within a tenth of the maximum
    assert (gen.sharpen(s, 0.6) >= 0.9).sum() < (s >= 0.9).sum() < (gen.sharpen(s, 1.6) >= 0.9).sum()


@pytest.mark.parametrize("sharp", [0.3, 0.6, 1.0, 1.8, 3.5])
def test_sharpened_diurnal_shape_keeps_its_mean_and_extremes(sharp):
    """The fall's exponent is solved from the quadrature table so the sharpened day keeps the mean
    the normals put between its minimum and maximum (to the table's interpolation, 2e-3 of the
    range); the sharper the cycle, the fewer hours near its maximum."""
    fine = np.arange(0, 24, 0.001)
    near = []
    for rise_at, frac in ((6.0, 0.5), (7.5, 0.42), (4.5, 0.6), (6.0, 0.3)):
        rise_len = gen.T_MAX_SOLAR_HOUR - rise_at
        rising = (fine >= rise_at) & (fine < gen.T_MAX_SOLAR_HOUR)
        s = gen.diurnal_shape(
            rising,
            (fine - rise_at) / rise_len,
            ((fine - gen.T_MAX_SOLAR_HOUR) % 24.0) / (24.0 - rise_len),
            np.full(fine.size, rise_len),
            np.full(fine.size, frac),
            np.full(fine.size, sharp),
        )
        assert abs(s.mean()) < 2e-3, (rise_at, frac)
        assert s.min() == pytest.approx(-frac, abs=1e-6) and s.max() == pytest.approx(1.0 - frac, abs=1e-4)
        assert np.all(np.diff(s[rising]) >= 0) and s[rising][-1] - s[rising][0] > 0.99  # warms to the maximum
        near.append(np.mean(s >= 0.9 - frac))
    if sharp != 1.0:
        plain = gen.diurnal_shape(
            (fine >= 6.0) & (fine < gen.T_MAX_SOLAR_HOUR),
            (fine - 6.0) / (gen.T_MAX_SOLAR_HOUR - 6.0),
            ((fine - gen.T_MAX_SOLAR_HOUR) % 24.0) / (24.0 - gen.T_MAX_SOLAR_HOUR + 6.0),
            np.full(fine.size, gen.T_MAX_SOLAR_HOUR - 6.0),
            np.full(fine.size, 0.5),
        )
        assert (near[0] < np.mean(plain >= 0.4)) == (sharp < 1.0)


def test_peak_hours_by_hand():
    # Two days per month: a day rising 0…23 K (only its last hour within a tenth of the range of
    # the maximum: 23 − 2.3) and a flat-topped day (six hours at its maximum of 10 K, the rest 0).
    ramp = np.arange(24.0)
    flat = np.where((np.arange(24) >= 12) & (np.arange(24) < 18), 10.0, 0.0)
    t = np.tile(np.concatenate([ramp, flat]), 12)
    month = np.repeat(np.arange(12), 2)
    np.testing.assert_allclose(gen.peak_hours(t, month), (3 + 6) / 2)  # 21, 22, 23 K and six hours


@pytest.mark.parametrize("key", list(EPW_FILES))
def test_the_afternoon_peak_is_the_records(key):
    """With ``t_peak_hours`` the generated days spend the record's hours near their maximum (on
    average over the months within 0.25 h, each within 0.8 h: with the daily maximum and minimum as
    two variables Gui'an's May is 0.78 h long, seed 0), and the monthly means of the daily maxima and minima stay the normals
    (within 0.2 K: where the dew-point floor holds the nights, Gui'an's January minima 0.17 K). Without the field the half-cosine cycle spent up to 1.7 h a day more there."""
    site = sites.load(key)
    var = gen.as_variability(site.variability)
    target = np.asarray(var.t_peak_hours)
    ds = site_weather(site, seed=0)[0]
    t = ds["t_db"].to_numpy()
    month = ds["time"].dt.month.to_numpy()[::24] - 1
    got = gen.peak_hours(t, month)
    gap = np.abs(got - target)
    assert gap.mean() < 0.25 and gap.max() < 0.8, gap
    plain = year_with(site, dataclasses.replace(var, t_peak_hours=None))
    assert np.abs(gen.peak_hours(plain["t_db"].to_numpy(), month) - target).mean() > gap.mean()
    day = t.reshape(-1, 24)
    n = np.bincount(month)
    np.testing.assert_allclose(
        np.bincount(month, weights=day.max(axis=1)) / n, site.normals.t_max_daily_mean_c, atol=0.2
    )
    np.testing.assert_allclose(
        np.bincount(month, weights=day.min(axis=1)) / n, site.normals.t_min_daily_mean_c, atol=0.2
    )


def test_generic_site_dew_point_dips_in_the_afternoon():
    ds, _ = site_weather(sites.load("beijing"), seed=0)  # normals without a daily minimum RH
    td = ds["t_dp"].sel(time=ds["time"].dt.month.isin([6, 8]))
    by_hour = td.groupby("time.hour").mean()
    assert float(by_hour.sel(hour=15)) < float(by_hour.mean()) - 0.2


def test_leap_year_has_8784_hours():
    ds, _ = site_weather(sites.load("yinchuan"), seed=1, year=2024)
    assert ds.sizes["time"] == 8784
    assert str(ds["time"].values[-1])[:13] == "2024-12-31T23"


def test_generic_site_uses_default_variability():
    s = sites.load("beijing")
    assert s.variability is None
    _, meta = site_weather(s)
    assert "assumption" in meta["variability_source"]


def test_mean_preserving_daily_is_exact():
    monthly = np.array([-10.0, -5, 3, 10, 17, 22, 25, 23, 17, 9, 0, -7])
    daily = gen.mean_preserving_daily(monthly, 2021)
    mon = gen._month_of_day(2021)
    np.testing.assert_allclose(np.bincount(mon, weights=daily) / np.bincount(mon), monthly, atol=1e-6)
    assert np.max(np.abs(np.diff(daily))) < 1.0  # smooth: no monthly steps


def test_running_mean_inflation_against_simulation():
    rng = np.random.default_rng(0)
    phi = 0.75
    x = signal.lfilter([np.sqrt(1 - phi**2)], [1, -phi], rng.standard_normal(400_000))
    rm = np.convolve(x, np.ones(31) / 31, mode="same")
    ratio = np.std(x[100:-100]) / np.std((x - rm)[100:-100])
    assert gen._running_mean_inflation(phi) == pytest.approx(ratio, rel=0.01)


def test_skew_transform_has_unit_variance_and_requested_sign():
    z = np.random.default_rng(1).standard_normal(200_000)
    y = gen._skewed(z, -0.5)
    assert np.mean(y) == pytest.approx(0.0, abs=0.01)
    assert np.std(y) == pytest.approx(1.0, abs=0.01)
    assert np.mean(y**3) < -0.3


def test_bad_variability_is_rejected():
    good = gen.DEFAULT_VARIABILITY
    with pytest.raises(gen.WeatherError, match=r"t_daily_lag1 = 1\.2; allowed"):
        gen.Variability(**{**good.__dict__, "t_daily_lag1": 1.2})
    with pytest.raises(gen.WeatherError, match="t_daily_sd_c must be 12 values"):
        gen.Variability(**{**good.__dict__, "t_daily_sd_c": (1.0,) * 11})
    with pytest.raises(gen.WeatherError, match=r"^variability\.t_dew_hot_c must be 12 values in -20 … 20"):
        gen.Variability(**{**good.__dict__, "t_dew_hot_c": (0.0,) * 11 + (25.0,)})
    with pytest.raises(gen.WeatherError, match=r"^variability\.t_peak_hours must be 12 values in 1 … 12 h"):
        gen.Variability(**{**good.__dict__, "t_peak_hours": (3.0,) * 11 + (0.5,)})
    with pytest.raises(gen.WeatherError, match=r"^variability\.t_dew_dip_slope must be 12 values in -10 … 10"):
        gen.Variability(**{**good.__dict__, "t_dew_dip_slope": (0.5,) * 11 + (12.0,)})
    with pytest.raises(gen.WeatherError, match=r"^variability\.t_dew_hot_slope = 2\.5; allowed -2 … 2 K per K"):
        gen.Variability(**{**good.__dict__, "t_dew_hot_slope": 2.5})


def test_hot_hour_dew_anomaly_by_hand():
    # One value per month repeated: hours 0…99 of each month have dry bulb 0…99 (the top 3 % are
    # 97, 98, 99 … of each month's hours) and dew point equal to the dry bulb minus 50 in the
    # hottest hours, else −10: the anomaly is the hot hours' mean minus the month's mean.
    month = np.repeat(np.arange(12), 100)
    t = np.tile(np.arange(100.0), 12)
    hot = t >= np.percentile(np.arange(100.0), gen.HOT_HOURS_PERCENTILE)
    td = np.where(hot, t - 50.0, -10.0)
    expected = np.mean(td[:100][hot[:100]]) - np.mean(td[:100])
    np.testing.assert_allclose(gen.hot_hour_dew_anomaly(t, td, month), expected, atol=1e-12)
    assert hot[:100].sum() == 3


def _gaps_with_and_without(key: str, field: str, statistic) -> dict[str, np.ndarray]:
    """|statistic − the site file's ``field``| of the site's year (seed 0) with the field and without it."""
    site = sites.load(key)
    var = gen.as_variability(site.variability)
    target = np.asarray(getattr(var, field))
    with_field = site_weather(site, seed=0)[0]
    without = year_with(site, dataclasses.replace(var, **{field: None}))
    return {"with": np.abs(statistic(with_field) - target), "without": np.abs(statistic(without) - target)}


@pytest.mark.parametrize("key", list(EPW_FILES))
def test_the_hottest_hours_dew_point_is_the_records(key):
    """With ``t_dew_hot_c`` the generated hottest hours have the record's dew point, except where
    λ's bound holds (Qingyang, seed 0: five months 2.6–9.2 K off); without it they were off by up
    to 7.9 K (Qingyang June and July, the arid summer's dry heat too humid). Site files only: the
    test needs no weather file."""
    gaps = _gaps_with_and_without(
        key,
        "t_dew_hot_c",
        lambda ds: gen.hot_hour_dew_anomaly(
            ds["t_db"].to_numpy(), ds["t_dp"].to_numpy(), ds["time"].dt.month.to_numpy() - 1
        ),
    )
    assert np.all(gaps["with"] <= gaps["without"] + 0.05), gaps  # at most +0.033 K (Gui'an June, seed 0)
    assert gaps["with"].mean() < 0.5 * gaps["without"].mean(), gaps
    assert np.sum(gaps["with"] < 0.25) >= 5, gaps["with"]  # Qingyang: the five months where λ is free


def test_hot_dew_slope_by_hand():
    """Dry bulb 0 … 99.9 °C in 1000 steps: the top 2 % are the 20 hours from 98 °C, where the dew point
    is 50 − 0.6 (T − 98) (and 10 °C below): the slope is −0.6 K per K."""
    t = np.arange(1000) / 10.0
    td = np.where(t >= 98.0, 50.0 - 0.6 * (t - 98.0), 10.0)
    assert gen.hot_dew_slope(t, td) == pytest.approx(-0.6, abs=1e-9)


@pytest.mark.parametrize("key", list(EPW_FILES))
def test_the_hottest_hours_dew_slope_is_the_records(key):
    """With ``t_dew_hot_slope`` the generated year's hottest 2 % of hours have the record's slope of
    the dew point on the dry bulb (seed 0 within 0.07 K per K at the five sites); without it
    Qingyang's is 0.18, Yinchuan's 0.27 and Karamay's 0.51 K per K off (Qingyang's hotter hours too
    humid, Yinchuan's and Karamay's too dry, against the 1 % hours). Site files only: the test needs
    no weather file."""
    gaps = _gaps_with_and_without(
        key, "t_dew_hot_slope", lambda ds: gen.hot_dew_slope(ds["t_db"].to_numpy(), ds["t_dp"].to_numpy())
    )
    assert gaps["with"] < 0.1, gaps
    assert gaps["with"] <= gaps["without"], gaps


def test_dew_dip_slope_by_hand():
    # Per month 30 days whose mean dew point is 10 + z K (z = −1.45 … 1.45, evenly) and whose dew
    # point at the hour of the maximum dry bulb (15 h) is the mean plus −1 + 0.8 z: the slope is
    # 0.8 K per SD of the day's dew point (z scaled by the month's SD, ddof = 1).
    z = np.linspace(-1.45, 1.45, 30)
    dip = -1.0 + 0.8 * z
    hours = np.arange(24)
    t_day = 20.0 + 5.0 * np.exp(-0.5 * (hours - 15.0) ** 2)
    td_days = np.tile(10.0 + z[:, None], (1, 24))
    td_days[:, 15] += dip
    td_days[:, 3] -= dip  # the day's mean stays 10 + z
    t = np.tile(t_day, 12 * 30)
    td = np.tile(td_days.ravel(), 12)
    month = np.repeat(np.arange(12), 30)
    np.testing.assert_allclose(gen.dew_dip_slope(t, td, month), 0.8 * np.std(z, ddof=1), atol=1e-12)


@pytest.mark.parametrize("key", list(EPW_FILES))
def test_humid_days_dry_as_in_the_record(key):
    """With ``t_dew_dip_slope`` the generated afternoons dry by the day's humidity as the record's
    do (seed 0: over the months within 0.2 K per SD on average, 0.05–0.11 at the five sites);
    without it Qingyang's humid summer days dried more than its dry ones (July–September −0.2 … −0.6 K per SD, the record +0.7 … +0.9).
    Site files only: the test needs no weather file."""
    gaps = _gaps_with_and_without(
        key,
        "t_dew_dip_slope",
        lambda ds: gen.dew_dip_slope(
            ds["t_db"].to_numpy(), ds["t_dp"].to_numpy(), ds["time"].dt.month.to_numpy()[::24] - 1
        ),
    )
    assert gaps["with"].mean() < 0.2, gaps["with"]
    assert gaps["with"].mean() < gaps["without"].mean(), gaps


def test_range_dew_pcorr_by_hand():
    """Per month 60 days: the mean dry bulb t, the mean dew point d = t + u and the range
    r = 8 + t − 0.5 u + v with u, v uncorrelated and t uncorrelated with both: given t the range
    and the dew point share only u, so their partial correlation is −0.5 σu² / √(σu² (0.25 σu² + σv²))."""
    rng = np.random.default_rng(1)
    n = 12 * 4000
    t, u, v = rng.standard_normal((3, n))
    month = np.repeat(np.arange(12), n // 12)
    got = gen.range_dew_pcorr(8.0 + t - 0.5 * u + v, 10.0 + t + u, 20.0 + t, month)
    np.testing.assert_allclose(got, -0.5 / np.sqrt(1.25), atol=0.02)


@pytest.mark.parametrize("key", list(EPW_FILES))
def test_site_variability_is_what_the_record_gives(key, real_weather):
    """The [variability] tables in the site files are derived from the real records, not tuned."""
    real, _ = real_weather(key)
    derived = gen.variability_from_record(real, "x")
    stored = gen.as_variability(sites.load(key).variability)
    lists = (
        "t_daily_sd_c",
        "t_dew_daily_sd_c",
        "t_dew_corr",
        "t_dew_skew",
        "t_dew_hot_c",
        "t_peak_hours",
        "t_dew_dip_slope",
        *gen.EXTREME_FIELDS[:3],
    )
    for field in lists:
        np.testing.assert_allclose(getattr(stored, field), getattr(derived, field), atol=0.011)
    for field in (
        "t_daily_lag1",
        "t_dew_daily_lag1",
        "t_daily_lag2",
        "t_dew_daily_lag2",
        "t_dew_hourly_sd_c",
        "t_dew_depression_step_sd_c",
        "t_dew_hot_slope",
        *gen.EXTREME_FIELDS[3:],
    ):
        assert getattr(stored, field) == pytest.approx(getattr(derived, field), abs=0.011)


def test_depression_step_sd_by_hand():
    """The root mean square of the depression's hourly change over the pairs of hours both below
    the bound: depressions 0.2, 0.6, 0.3, 3.0, 0.5 K give the pairs (0.2, 0.6) and (0.6, 0.3)."""
    t_dp = np.zeros(5)
    t_db = np.array([0.2, 0.6, 0.3, 3.0, 0.5])
    assert gen.depression_step_sd(t_db, t_dp) == pytest.approx(np.sqrt((0.4**2 + 0.3**2) / 2))
    assert gen.depression_step_sd(t_db, t_dp, below=0.25) == 0.0


def test_the_depression_floor_fluctuates_by_its_jitter():
    """With ``jitter`` the floor is ``|floor + jitter|`` (never negative: the dew point at or below
    the dry bulb), an hour drawn drier than it is unchanged, and a month with ``low = 0`` keeps
    the plain cap at the dry bulb."""
    month = np.array([0, 0, 0, 1])
    raw = np.array([-2.0, -2.0, 5.0, -1.0])
    rank = np.array([0.05, 0.1, 0.9, 0.05])
    low = np.array([0.8] + [0.0] * 11)
    power = np.full(12, 0.5)
    plain = gen.positive_depression(raw, rank, month, low, power)
    jitter = np.array([0.3, -1.2, 0.3, 0.3])
    got = gen.positive_depression(raw, rank, month, low, power, jitter)
    np.testing.assert_allclose(got, [abs(plain[0] + 0.3), abs(0.8 - 1.2), 5.0, 0.0])
    assert np.all(got >= 0.0)


# The generator against the real hourly files (the fidelity criteria), on the mean of
# five seeds: a single generated year differs from the climate by sampling noise, and so does
# the one real year. Known misses are listed, with the reason, and must stay misses (strict).
KNOWN_MISSES = {
    ("guian", "t_wb>21"): (
        "the Guiyang record holds a warm, humid spell in early September (days 244-253, dew point "
        "+2 to +3 K for ten days) worth 123 of its 896 h; the generator's five-seed mean is about 22 % lower"
    ),
}


@pytest.fixture(scope="module")
def fidelity(real_weather):
    out = {}
    for key in EPW_FILES:
        real, _ = real_weather(key)
        gens = [site_weather(sites.load(key), seed=s)[0] for s in SEEDS]
        out[key] = compare_ensemble(gens, real)
    return out


@pytest.mark.slow
@pytest.mark.parametrize("key", list(EPW_FILES))
def test_monthly_mean_dry_bulb_within_0_3_k(key, fidelity):
    assert fidelity[key]["dt_month_max"] <= 0.3


@pytest.mark.slow
@pytest.mark.parametrize("key", list(EPW_FILES))
def test_annual_ghi_within_3_percent(key, fidelity):
    assert abs(fidelity[key]["ghi_rel"]) <= 0.03


COUNT_KEYS = ["t_db>18", "t_db>24", "t_db>27", "t_wb>15", "t_wb>19", "t_wb>21", "t_dp>15"]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("key", "count"),
    [
        pytest.param(k, c, marks=pytest.mark.xfail(reason=KNOWN_MISSES[(k, c)], strict=True))
        if (k, c) in KNOWN_MISSES
        else (k, c)
        for k in EPW_FILES
        for c in COUNT_KEYS
    ],
)
def test_hours_above_thresholds_within_10_percent_or_100_h(key, count, fidelity):
    mean, sd, real, ok = fidelity[key]["counts"][count]
    assert ok, f"{key} {count}: generated {mean:.0f} ± {sd:.0f} h, real {real} h"


# ------------------------------------------------------------------ invariants on any normals
@st.composite
def _climates(draw):
    """Plausible monthly normals: a seasonal cycle of any mean and amplitude (monthly means
    within −35 … 32 °C, dew points up to 24 °C), a diurnal range
    split unevenly about the mean, a dew-point depression, wind and a share of Qingyang's GHI;
    and a variability table with any persistence."""
    lat = draw(st.floats(-45.0, 55.0))
    mean, amp = draw(st.floats(-15.0, 28.0)), draw(st.floats(0.0, 18.0))
    season = np.cos(2 * np.pi * (np.arange(12) - (0 if lat >= 0 else 6)) / 12.0)
    t = np.clip(mean - amp * season, -35.0, 32.0)
    dtr, frac = draw(st.floats(3.0, 16.0)), draw(st.floats(0.35, 0.65))
    dep = draw(st.floats(0.5, 20.0))
    ghi = np.asarray(sites.load("qingyang").normals.ghi_kwh_m2) * draw(st.floats(0.5, 1.1))
    if lat < 0:
        ghi = np.roll(ghi, 6)
    normals = sites.Normals(
        source="hypothesis",
        t_mean_c=tuple(t),
        t_max_daily_mean_c=tuple(t + (1 - frac) * dtr),
        t_min_daily_mean_c=tuple(t - frac * dtr),
        rh_mean_pct=tuple(np.full(12, 60.0)),
        t_dew_mean_c=tuple(np.minimum(t - dep, 24.0)),
        wind10m_mean_ms=tuple(np.full(12, draw(st.floats(0.3, 8.0)))),
        ghi_kwh_m2=tuple(ghi),
    )
    lag1, lag1_dew = draw(st.floats(0.0, 0.9)), draw(st.floats(0.0, 0.9))
    var = dataclasses.replace(
        gen.DEFAULT_VARIABILITY,
        t_daily_lag1=lag1,
        t_daily_lag2=draw(st.floats(max(-0.9, 2 * lag1**2 - 0.99), min(0.95, lag1**2))),
        t_dew_daily_lag1=lag1_dew,
        t_dew_daily_lag2=draw(
            st.one_of(st.none(), st.floats(max(-0.9, 2 * lag1_dew**2 - 0.99), min(0.95, lag1_dew**2)))
        ),
    )
    hot = draw(st.one_of(st.none(), st.lists(st.floats(-20.0, 20.0), min_size=12, max_size=12)))
    var = dataclasses.replace(var, t_dew_hot_c=None if hot is None else tuple(hot))
    extremes = draw(st.sampled_from([None, "karamay", "guian", "us_dulles"]))
    if extremes is not None:  # a record's daily maximum and minimum, with any shape
        table = gen.as_variability(sites.load(extremes).variability)
        var = dataclasses.replace(
            var,
            **{k: getattr(table, k) for k in gen.EXTREME_FIELDS if "kurtosis" not in k},
            t_max_kurtosis=draw(st.floats(-0.85, 3.0)),
            t_min_kurtosis=draw(st.floats(-0.85, 3.0)),
        )
    peak = draw(st.one_of(st.none(), st.lists(st.floats(1.5, 6.0), min_size=12, max_size=12)))
    var = dataclasses.replace(var, t_peak_hours=None if peak is None else tuple(peak))
    slope = draw(st.one_of(st.none(), st.lists(st.floats(-10.0, 10.0), min_size=12, max_size=12)))
    var = dataclasses.replace(var, t_dew_dip_slope=None if slope is None else tuple(slope))
    return normals, var, lat, draw(st.floats(-180.0, 180.0)), draw(st.integers(0, 2**31))


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow], phases=[Phase.reuse, Phase.generate]
)
@given(_climates())
def test_generated_years_are_physical_for_any_normals(climate):
    """Dew point ≤ dry bulb, RH in (0, 100], irradiance ≥ 0 and ≤ extraterrestrial, the monthly
    means of the normals kept, whatever the normals and the persistence (any lag-1/lag-2 pair a stationary process
    has, strong two-day oscillations included), whatever hot-hour dew-point table (or none) and
    with or without a record's daily maximum and minimum (any kurtosis)."""
    import pvlib

    normals, var, lat, lon, seed = climate
    offset = float(np.clip(np.round(lon / 15.0), -12, 14))
    try:
        ds, _ = gen.typical_year(
            normals, latitude=lat, longitude=lon, elevation=500.0, utc_offset_h=offset, seed=seed, variability=var
        )
    except WeatherError as exc:  # a hot climate with a record's wide tails may pass 60 °C: refused, in one line
        hot = re.search(r"t_db = (\d+\.?\d*) degC at .* is outside .*implausible year", str(exc))
        assert hot and float(hot.group(1)) > 60.0 and "\n" not in str(exc), str(exc)
        assume(False)
    t, td, rh = (ds[v].to_numpy() for v in ("t_db", "t_dp", "rh"))
    assert np.all(np.isfinite(t)) and np.all(np.isfinite(td))
    assert np.all(td <= t + 1e-9)
    assert rh.min() > 0.0 and rh.max() <= 100.0
    e0 = np.asarray(pvlib.irradiance.get_extra_radiation(ds["time"].dt.dayofyear.to_numpy()), dtype=float)
    for v in ("ghi", "dni", "dhi"):
        x = ds[v].to_numpy()
        assert x.min() >= 0.0 and np.all(x <= e0), v
    assert ds["wind_speed"].min() >= 0.0
    np.testing.assert_allclose(ds["t_db"].groupby("time.month").mean(), normals.t_mean_c, atol=1e-9)
    if var.t_dew_hot_c is None:  # the cap at the dry bulb may hold a month's mean dew point below its normal
        np.testing.assert_allclose(ds["t_dp"].groupby("time.month").mean(), normals.t_dew_mean_c, atol=0.5)
    np.testing.assert_allclose(ds["ghi"].groupby("time.month").sum() / 1000.0, normals.ghi_kwh_m2, rtol=1e-6)


def test_a_climate_whose_tails_pass_60_c_is_refused_in_one_line():
    """Karamay's normals 24 K warmer with its record's daily extremes at the widest kurtosis: a
    year whose hottest hours pass the dry bulb's 60 °C bound is refused with the field, the value
    and what to look at, not returned."""
    site = sites.load("karamay")
    n = site.normals
    hot = dataclasses.replace(
        n,
        **{
            k: tuple(np.asarray(getattr(n, k)) + 24.0)
            for k in ("t_mean_c", "t_max_daily_mean_c", "t_min_daily_mean_c", "t_dew_mean_c")
        },
    )
    var = dataclasses.replace(gen.as_variability(site.variability), t_max_kurtosis=3.0)
    with pytest.raises(WeatherError, match=r"t_db = \d+\.\d+ degC at .* is outside .*implausible year") as err:
        for seed in range(20):
            gen.typical_year(
                hot, latitude=45.6, longitude=84.9, elevation=450.0, utc_offset_h=6.0, seed=seed, variability=var
            )
    assert "\n" not in str(err.value)


def test_ar2_has_the_asked_autocorrelations():
    phi1, phi2 = gen.ar2_coefficients(0.7, 0.3)
    x = gen._ar2(np.random.default_rng(0), 200_000, phi1, phi2)
    assert np.std(x) == pytest.approx(1.0, abs=0.01)
    for k, r in ((1, 0.7), (2, 0.3)):
        assert np.corrcoef(x[k:], x[:-k])[0, 1] == pytest.approx(r, abs=0.01)
    assert gen.ar2_coefficients(0.6, 0.36) == pytest.approx((0.6, 0.0))  # ρ2 = ρ1²: the AR(1)
    # a lag-2 correlation no stationary process has is brought inside the range
    phi1, phi2 = gen.ar2_coefficients(0.9, -0.5)
    assert abs(phi2) < 1 and phi1 + phi2 < 1 and phi2 - phi1 < 1


def test_lag2_is_optional_and_checked():
    table = {
        k: v for k, v in sites.load("karamay").variability.items() if k not in ("t_daily_lag2", "t_dew_daily_lag2")
    }
    var = gen.as_variability(table)  # a table written before the AR(2): the AR(1) of before
    assert var.t_daily_lag2 is None and var.t_dew_daily_lag2 is None
    a, _ = gen.typical_year(
        sites.load("karamay").normals,
        latitude=45.6,
        longitude=84.9,
        elevation=450.0,
        utc_offset_h=8.0,
        seed=1,
        variability=var,
    )
    assert np.isfinite(a["t_db"]).all()
    with pytest.raises(gen.WeatherError, match=r"t_daily_lag2 = 1\.5; allowed -0\.9 … 0\.95"):
        dataclasses.replace(var, t_daily_lag2=1.5)


def test_an_impossible_lag_pair_is_refused():
    """Each lag-2 value is in range, but ρ2 ≤ 2ρ1² − 1: no stationary process has the pair."""
    with pytest.raises(
        gen.WeatherError,
        match=r"t_dew_daily_lag1 = 0\.653 with variability\.t_dew_daily_lag2 = -0\.866.*allowed t_dew_daily_lag2 > .* = -0\.147",
    ):
        dataclasses.replace(gen.DEFAULT_VARIABILITY, t_dew_daily_lag2=-0.866)
    with pytest.raises(gen.WeatherError, match=r"t_daily_lag1 = 0\.9 with variability\.t_daily_lag2 = 0\.6"):
        gen.as_variability({**sites.load("karamay").variability, "t_daily_lag1": 0.9, "t_daily_lag2": 0.6})


def test_the_diurnal_rescaling_stays_bounded_where_the_dew_point_floor_holds():
    """The pair the validation now refuses (dew point 0.653/−0.866), set past it as the generator
    used to receive it, with temperature lags 0.24/0.79 (the hypothesis example that produced a
    64.6 °C May afternoon in a climate whose May mean is 8 °C)."""
    season = np.cos(2 * np.pi * np.arange(12) / 12.0)
    t = -16.72 * season
    normals = sites.Normals(
        source="hypothesis",
        t_mean_c=tuple(t),
        t_max_daily_mean_c=tuple(t + 4.67),
        t_min_daily_mean_c=tuple(t - 3.67),
        rh_mean_pct=tuple(np.full(12, 60.0)),
        t_dew_mean_c=tuple(t - 3.41),
        wind10m_mean_ms=tuple(np.full(12, 4.87)),
        ghi_kwh_m2=tuple(np.asarray(sites.load("qingyang").normals.ghi_kwh_m2) * 0.79),
    )
    var = dataclasses.replace(gen.DEFAULT_VARIABILITY)
    object.__setattr__(var, "t_daily_lag1", 0.2388)  # both pairs are refused by the check: forced past it
    object.__setattr__(var, "t_daily_lag2", 0.7926)
    object.__setattr__(var, "t_dew_daily_lag2", -0.866)
    ds, _ = gen.typical_year(
        normals, latitude=29.34, longitude=123.96, elevation=500.0, utc_offset_h=8.0, seed=3323, variability=var
    )
    may = ds["t_db"].sel(time=ds["time.month"] == 5)
    assert float(may.max()) < 8.4 + 4.67 + 6 * 2.95  # the mean daily maximum + 6 SD of daily means


@pytest.mark.parametrize(("lag1", "lag2"), [(0.3, 0.95), (0.8, 0.8), (0.9, 0.85)])
def test_a_lag_pair_outside_the_generators_domain_is_refused(lag1, lag2):
    """Stationary pairs with a lag-2 term that does not damp (ρ2 > ρ1²) made years of 49–61 °C
    (a newcomer's check, Karamay's normals); they are refused, naming both fields."""
    table = {**sites.load("karamay").variability, "t_daily_lag1": lag1, "t_daily_lag2": lag2}
    with pytest.raises(
        gen.WeatherError,
        match=rf"t_daily_lag1 = {lag1} with variability\.t_daily_lag2 = {lag2}: "
        r"the generator is valid for t_daily_lag2 ≤ t_daily_lag1²",
    ):
        gen.as_variability(table)


def test_a_derived_table_stays_in_the_generators_domain():
    """A record whose lag-2 autocorrelation exceeds its lag-1 squared (a synthetic AR(2) with
    φ2 > 0) gives a table the generator accepts: lag-2 kept at lag-1²."""
    rng = np.random.default_rng(1)
    n = 3 * 365
    a = np.zeros(n)
    for k in range(2, n):
        a[k] = 0.3 * a[k - 1] + 0.6 * a[k - 2] + rng.normal()
    time = pd.date_range("2021-01-01", periods=n * 24, freq="h")
    t_db = np.repeat(10.0 + 3.0 * a, 24) + 5.0 * np.sin(2 * np.pi * (np.arange(n * 24) % 24) / 24)
    ds = xr.Dataset({"t_db": ("time", t_db), "t_dp": ("time", t_db - 8.0)}, coords={"time": time})
    var = gen.variability_from_record(ds, "synthetic")
    assert var.t_daily_lag2 <= var.t_daily_lag1**2
    assert var.t_daily_lag2 == pytest.approx(var.t_daily_lag1**2, abs=2e-3)  # the record's own exceeded it


def test_derive_round_trip(real_weather, capsys):
    """``twin weather --file … --derive`` prints a [variability] table that reads back as what the
    record gives (every field, the new optional ones included)."""
    import tomllib

    from tests.conftest import epw_path
    from twin import cli

    path = epw_path("karamay")
    assert cli.main(["weather", "--file", str(path), "--derive"]) == 0
    table = tomllib.loads(capsys.readouterr().out)["variability"]
    derived = gen.variability_from_record(real_weather("karamay")[0], "x")
    back = gen.as_variability({**table, "source": "x"})
    assert back == derived
    assert back.t_dew_hot_c is not None and len(back.t_dew_hot_c) == 12
    assert back.t_peak_hours is not None and len(back.t_peak_hours) == 12
    assert back.t_dew_dip_slope is not None and len(back.t_dew_dip_slope) == 12


def test_the_generators_process_wide_tables_are_read_only():
    """Tables cached for the process (functools.cache) are shared by every later call: a caller
    writing into one would change every year generated after it."""
    import weather.generator as g

    tables = [g._mean_preserving_operator(False), *g._sas_moments(), g._sharp_fall_table(), g._m_grid()]
    assert not any(t.flags.writeable for t in tables)
