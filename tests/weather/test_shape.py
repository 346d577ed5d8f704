"""The shape of the generated year: no step at the start of a month (the monthly means kept exactly) and
the days whose maximum falls at night against the records."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sites
from tests.conftest import EPW_FILES
from twin import site_weather
from weather import generator as gen
from weather.validation import month_start_steps, night_maximum_days

SITES = ("qingyang", "guian", "yinchuan", "karamay", "us_dulles", "beijing")
SEEDS = (0, 1, 2)


def _months(year: int, per_day: int) -> np.ndarray:
    return np.repeat(gen._month_of_day(year), per_day)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.floats(-20.0, 20.0), min_size=12, max_size=12),
    st.sampled_from([(2021, 24), (2020, 24), (2021, 1)]),
    st.integers(0, 2**31 - 1),
)
def test_an_added_correction_gives_the_monthly_means_and_ramps_between_months(target, calendar, seed):
    """The monthly means are the targets to rounding, and the correction changes between two hours by
    at most the largest difference of two neighbouring months' levels over the ramp's length."""
    year, per_day = calendar
    month = _months(year, per_day)
    rng = np.random.default_rng(seed)
    values = rng.normal(0.0, 5.0, month.size)
    out = gen.monthly_correction(values, month, target)
    means = np.bincount(month, weights=out) / np.bincount(month)
    np.testing.assert_allclose(means, target, atol=1e-9)
    correction = out - values
    levels = correction[np.searchsorted(month, np.arange(12)) + month.size // 24]  # mid-month, inside the plateau
    step_bound = np.max(np.abs(np.diff(np.append(levels, levels[0])))) / (gen.MONTH_BLEND_DAYS * per_day)
    assert np.max(np.abs(np.diff(correction))) <= step_bound * (1.0 + 1e-9) + 1e-12


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(0.5, 8.0), min_size=12, max_size=12), st.integers(0, 2**31 - 1))
def test_a_multiplying_correction_gives_the_weighted_monthly_means_and_stays_positive(target, seed):
    month = _months(2021, 24)
    rng = np.random.default_rng(seed)
    values = rng.weibull(2.0, month.size) + 0.01
    weights = rng.uniform(0.0, 2.0, month.size)
    out = gen.monthly_correction(values, month, target, weights=weights, scale=True)
    means = np.bincount(month, weights=out * weights) / np.bincount(month, weights=weights)
    np.testing.assert_allclose(means, target, rtol=1e-9)
    assert np.all(out > 0.0)


def test_a_month_of_zeros_takes_the_constant_factor():
    """A multiplying correction cannot reach a month whose values are all zero: the constant per month."""
    month = _months(2021, 1)
    values = np.where(month == 5, 0.0, 1.0)
    out = gen.monthly_correction(values, month, np.full(12, 2.0), scale=True)
    assert np.all(np.isfinite(out)) and np.all(out[month == 5] == 0.0)


def test_a_month_its_weights_leave_out_is_weighted_evenly():
    """A polar night: December's clear-sky weights are all zero; its values are weighted evenly and
    every month's (weighted) mean is still the target (the division by a zero weight gave NaN)."""
    month = _months(2021, 1)
    w = np.where(month == 11, 0.0, 1.0 + (month % 3))
    target = np.linspace(0.3, 0.6, 12)
    out = gen.monthly_correction(np.full(365, 0.5), month, target, weights=w, scale=True)
    assert np.all(np.isfinite(out))
    means = np.bincount(month, weights=out * np.where(month == 11, 1.0, w), minlength=12) / np.bincount(
        month, weights=np.where(month == 11, 1.0, w), minlength=12
    )
    np.testing.assert_allclose(means, target, rtol=1e-12)


@pytest.mark.parametrize("start", [181, 14])
def test_a_span_other_than_a_calendar_year_is_refused(start):
    """The ramps sit at the calendar's month starts: a July–June year or one from 15 January is refused."""
    month = np.roll(_months(2021, 1), -start)
    with pytest.raises(ValueError, match="one calendar year from 1 January"):
        gen.monthly_correction(np.zeros(365), month, np.zeros(12))


@pytest.fixture(scope="module")
def years():
    return {key: [site_weather(sites.load(key), seed=s)[0] for s in SEEDS] for key in SITES}


@pytest.mark.parametrize("var", ["t_db", "t_dp", "wind_speed"])
def test_no_step_at_the_start_of_a_month(years, var):
    """The change into 00:00 on a month's first day is like the other midnights' (a constant correction
    per month made it 1.3–1.9 K against 0.4–1.1 K for the dry bulb, up to 5.7 K at Dulles), pooled over
    six sites and three seeds (216 month starts; the real files' dry bulb: 0.8 against 0.65 K); the
    dry bulb's largest such change is below the other hours' 99.9 % level at every site."""
    stats = [month_start_steps(ds[var].to_numpy(), ds["time"].to_numpy()) for ys in years.values() for ds in ys]
    start = np.mean([s["start_mean"] for s in stats])
    midnight = np.mean([s["midnight_mean"] for s in stats])
    assert start <= 1.25 * midnight, (start, midnight)
    if var == "t_db":
        for key, ys in years.items():
            per_year = [month_start_steps(ds[var].to_numpy(), ds["time"].to_numpy()) for ds in ys]
            largest = max(s["start_max"] for s in per_year)
            level = np.median([s["other_q999"] for s in per_year])
            assert largest <= level, (key, largest, level)


def test_the_monthly_means_stay_the_normals(years):
    """Dry bulb, dew point and wind: each month's mean is the normal to rounding; GHI each month's sum."""
    for key in ("karamay", "beijing"):
        normals = sites.load(key).normals
        for ds in years[key]:
            month = pd.DatetimeIndex(ds["time"].to_numpy()).month.to_numpy() - 1
            n = np.bincount(month)
            for var, normal in (("t_db", normals.t_mean_c), ("t_dp", normals.t_dew_mean_c)):
                mean = np.bincount(month, weights=ds[var].to_numpy()) / n
                np.testing.assert_allclose(mean, normal, atol=0.05)  # the dataset's rounding to 0.1 K
            wind = np.bincount(month, weights=ds["wind_speed"].to_numpy()) / n
            np.testing.assert_allclose(wind, normals.wind10m_mean_ms, rtol=0.01)
            ghi = np.bincount(month, weights=ds["ghi"].to_numpy()) / 1000.0
            np.testing.assert_allclose(ghi, normals.ghi_kwh_m2, rtol=0.005)


def _night_maxima(ds) -> np.ndarray:
    return night_maximum_days(ds["t_db"].to_numpy(), ds["time"].dt.month.to_numpy()[::24] - 1)


@pytest.mark.parametrize("key", list(EPW_FILES))
def test_no_year_has_more_night_maxima_than_the_record(key, real_weather):
    """Days whose maximum dry bulb falls at 21–05 h (a front passing at night): over the year the mean
    of seeds 0–4 is at most the record's count + 25 % (the records 15–44 days, the generated years
    4–34: their summers have almost none, the records 1–3 a month)."""
    real, _ = real_weather(key)
    generated = np.mean([_night_maxima(site_weather(sites.load(key), seed=s)[0]).sum() for s in range(5)])
    assert generated <= 1.25 * _night_maxima(real).sum(), generated


@pytest.mark.xfail(
    strict=True,
    reason="Qingyang's March: 8.0 days (1–14 over seeds 0–9) whose maximum is at 21–05 h against the record's "
    "4; the record's March spread of daily maxima about the month's mean (7.5 K) is nearly twice its "
    "day-to-day spread (t_daily_sd_c 4.0 K), which the AR(2) with the year's lags gives as day-to-day swings "
    "(SD of the daily mean's change 3.9 K against 2.5 K): docs/weather-generator.md, What still misses",
)
def test_qingyang_march_has_the_record_night_maxima(real_weather):
    """The one month where the generator makes clearly more night maxima than the record (seeds 0–4,
    within the record's count + 2 days)."""
    real, _ = real_weather("qingyang")
    site = sites.load("qingyang")
    generated = np.mean([_night_maxima(site_weather(site, seed=s)[0])[2] for s in range(5)])
    assert generated <= _night_maxima(real)[2] + 2.0, generated


def test_the_ramp_table_is_read_only():
    """The ramps are cached for the process: a caller must not change them."""
    for table in gen._month_ramps(False, 24):
        assert not table.flags.writeable
