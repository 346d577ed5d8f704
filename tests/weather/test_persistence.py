"""Hour-to-hour persistence of the generated dew point and wind, and the day-to-day hour of the
daily maximum, against hand calculations and the real records (README "Typical-year generator")."""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import pytest

import sites
from tests.conftest import EPW_FILES, epw_path
from tests.weather.design_report import year_with
from weather import generator as gen
from weather.validation import day_residual, hourly_persistence, residual_lags


def test_reversals_by_hand():
    """A zigzag reverses at every hour, a ramp never; zero changes (a rounded record's) are skipped."""
    month = np.zeros(2, dtype=int)
    zigzag = np.tile([0.0, 1.0], 24)
    ramp = np.arange(48.0)
    steps = np.repeat(np.arange(24.0), 2)
    assert hourly_persistence(zigzag, month)["reversal"] == 1.0
    assert hourly_persistence(ramp, month)["reversal"] == 0.0
    held = hourly_persistence(steps, month)  # 0, 0, 1, 1, 2, 2, …: every other change is zero
    assert held["reversal"] == 0.0
    assert held["zero"] == pytest.approx(24 / 47)
    up_down = np.array([0.0, 1.0, 1.0, 0.0] * 12)  # +1, 0, −1, 0, +1, …: without the zeros a zigzag
    r = hourly_persistence(up_down, month)
    assert r["reversal"] == 1.0 and r["zero"] == pytest.approx(23 / 47)
    assert np.isnan(hourly_persistence(np.zeros(48), month)["reversal"])


def test_residual_of_white_noise_and_of_an_ar2():
    """About its daily means, white noise has lag correlation −1/23 (the mean removed), which
    :func:`residual_lags_of` gives by its formula; an AR(2) from :func:`hourly_ar2_for_residual`
    has the residual lags it was asked for (2,000 simulated days, within 0.02)."""
    rng = np.random.default_rng(3)
    days = 2000
    month = np.zeros(days, dtype=int)
    lags = residual_lags(day_residual(rng.standard_normal(24 * days), month))
    assert gen.residual_lags_of(0.0, 0.0) == pytest.approx((-1 / 23, -1 / 23), abs=1e-9)
    assert lags == pytest.approx((-1 / 23, -1 / 23), abs=0.01)
    phi1, phi2 = gen.hourly_ar2_for_residual(0.45, 0.25)
    x = gen._hourly_ar2(rng, 24 * days, phi1, phi2)
    assert np.std(x) == pytest.approx(1.0, abs=0.03)
    assert residual_lags(day_residual(x, month)) == pytest.approx((0.45, 0.25), abs=0.02)
    with pytest.raises(
        gen.WeatherError, match=r"^variability\.wind_hourly_lag1 = 0\.1 with variability\.wind_hourly_lag2 = 0\.9"
    ):
        gen.hourly_ar2_for_residual(0.1, 0.9)


def test_wind_lags_are_given_together():
    with pytest.raises(
        gen.WeatherError, match=r"^variability\.wind_hourly_lag1 and variability\.wind_hourly_lag2 are given together"
    ):
        dataclasses.replace(gen.DEFAULT_VARIABILITY, wind_hourly_lag1=0.5)
    with pytest.raises(gen.WeatherError, match=r"^variability\.wind_hourly_lag1 = 0\.99; allowed 0 … 0\.95"):
        dataclasses.replace(gen.DEFAULT_VARIABILITY, wind_hourly_lag1=0.99, wind_hourly_lag2=0.3)
    with pytest.raises(gen.WeatherError, match=r"^variability\.t_peak_hour_sd_h must be 12 values in 0 … 18 h"):
        dataclasses.replace(gen.DEFAULT_VARIABILITY, t_peak_hour_sd_h=(1.0,) * 11 + (19.0,))


def test_peak_hour_draws():
    """Without the field every day peaks at T_MAX_SOLAR_HOUR; with it the days scatter about it
    with the month's spread (capped), two hours after sunrise at the earliest, from their own
    random stream (the same seed, the same hours)."""
    sunrise = np.full(365, 6.0)
    assert np.all(gen.peak_hour_draws(0, sunrise, None, 2021) == gen.T_MAX_SOLAR_HOUR)
    h = gen.peak_hour_draws(0, sunrise, (1.5,) * 12, 2021)
    assert np.array_equal(h, gen.peak_hour_draws(0, sunrise, (1.5,) * 12, 2021))
    assert np.mean(h) == pytest.approx(gen.T_MAX_SOLAR_HOUR, abs=0.25)
    assert np.std(h) == pytest.approx(1.5 * 0.88, rel=0.15)  # a normal clipped at ±2 SD: SD 0.88
    assert h.min() >= 14.5 - 3.0 - 1e-9 and h.max() <= 14.5 + 3.0 + 1e-9
    wide = gen.peak_hour_draws(1, np.full(365, 10.0), (9.0,) * 12, 2021)
    assert wide.min() >= 12.0 and wide.max() <= gen.PEAK_HOUR_LATEST
    # the cap (a site file beyond it is read with a warning: tests/sites/test_library.py)
    assert np.std(gen.peak_hour_draws(1, sunrise, (9.0,) * 12, 2021)) < gen.PEAK_HOUR_SD_MAX


def test_peak_hour_spread_by_hand():
    """Days peaking at 13, 14, 15 and 16 h in turn: quartiles 13.75 and 15.25, spread 1.5/1.349 h."""
    t = np.zeros((4, 24))
    for i, h in enumerate((13, 14, 15, 16)):
        t[i, h] = 1.0
    month = np.zeros(4, dtype=int)
    spread = gen.peak_hour_spread(t.ravel(), month)
    assert spread[0] == pytest.approx(1.5 / 1.349) and np.isnan(spread[1:]).all()  # months without days


@pytest.mark.parametrize("key", list(EPW_FILES))
def test_site_fields_are_what_the_record_gives(key, real_weather):
    real, _ = real_weather(key)
    derived = gen.variability_from_record(real, "x")
    stored = gen.as_variability(sites.load(key).variability)
    np.testing.assert_allclose(stored.t_peak_hour_sd_h, derived.t_peak_hour_sd_h, atol=0.011)
    assert derived.wind_hourly_lag1 is not None and derived.wind_hourly_lag2 is not None
    # The records' hourly wind is a two-minute observation at the hour, noisier than the hourly
    # mean that drives a turbine: the library's sites leave the wind's lags out (README).
    assert stored.wind_hourly_lag1 is None and stored.wind_hourly_lag2 is None
    if key in DEW_POINT_INTERPOLATED:
        # An interpolated dew point's persistence is the interpolation's: left out of the site file.
        assert stored.t_dew_hourly_lag1 is None
    else:
        assert stored.t_dew_hourly_lag1 == pytest.approx(derived.t_dew_hourly_lag1, abs=0.0011)


def test_ar1_phi_for_residual_inverts_the_residual_lag():
    """φ from a residual lag-1 gives that lag back (:func:`residual_lags_of`); a lag beyond what an
    AR(1) about its daily means reaches gives the ends of 0 … 0.999."""
    for phi in (0.5, 0.8, 0.9, 0.95):
        lag1 = gen.residual_lags_of(phi, phi * phi)[0]
        assert gen.ar1_phi_for_residual(lag1) == pytest.approx(phi, abs=1e-5)
    assert gen.ar1_phi_for_residual(-0.5) == 0.0
    assert gen.ar1_phi_for_residual(0.95) == 0.999


def test_dew_hourly_phi_takes_the_daily_parts_persistence_into_account():
    """Without a daily part the step is :func:`ar1_phi_for_residual` of the target itself (within
    the sampling of 500 days); a persistent daily part (a within-day ramp) lowers φ for the same
    target, and the drawn anomaly then has the target's residual lag-1 within 0.02."""
    rng = np.random.default_rng(5)
    days = 500
    month = np.repeat(np.arange(12), days // 12 + 1)[:days]
    draws = rng.standard_normal(24 * days + 1)
    alone = gen.dew_hourly_phi(np.zeros(24 * days), 1.0, draws, month, 0.75)
    assert alone == pytest.approx(gen.ar1_phi_for_residual(0.75), abs=0.02)
    ramp = np.interp(np.arange(24 * days) + 0.5, np.arange(days) * 24.0 + 12.0, 1.5 * rng.standard_normal(days))
    with_ramp = gen.dew_hourly_phi(ramp, 1.0, draws, month, 0.75)
    assert with_ramp < alone - 0.02
    got = residual_lags(day_residual(ramp + gen._ar1_of(draws, with_ramp), month), (1,))[0]
    assert got == pytest.approx(0.75, abs=0.02)


def _generated(key: str, seeds: int = 2, **change):
    site = sites.load(key)
    var = dataclasses.replace(gen.as_variability(site.variability), **change)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return [year_with(site, var, s) for s in range(seeds)]


@pytest.mark.parametrize("key", list(EPW_FILES))
def test_generated_wind_has_the_records_persistence(key, real_weather):
    """With the record's ``wind_hourly_lag1`` / ``wind_hourly_lag2`` the wind's residual about the
    day's curve has the record's lag-1 and lag-2 correlations within 0.05 (seed 0; the AR(1) with φ = 0.9 gave 0.79 / 0.58 at every site, the records
    0.33–0.58 / 0.22–0.37 except Karamay's, held over three hours: 0.80 / 0.56); the dry bulb,
    dew point and pressure are those of the AR(1) year, bit for bit (the same random draws)."""
    epw_path(key)
    real, _ = real_weather(key)
    month = real["time"].dt.month.to_numpy()[::24] - 1
    record = hourly_persistence(real["wind_speed"].to_numpy(), month)
    lags = residual_lags(day_residual(real["wind_speed"].to_numpy(), month))
    (year,) = _generated(key, 1, wind_hourly_lag1=round(lags[0], 3), wind_hourly_lag2=round(lags[1], 3))
    (before,) = _generated(key, 1)
    got = hourly_persistence(year["wind_speed"].to_numpy(), month)
    assert got["lag1"] == pytest.approx(record["lag1"], abs=0.05)
    assert got["lag2"] == pytest.approx(record["lag2"], abs=0.05)
    for v in ("t_db", "t_dp", "p_air"):
        assert np.array_equal(year[v].to_numpy(), before[v].to_numpy())


DEW_POINT_INTERPOLATED = {"karamay": "the CSWD record's dew point is interpolated between three-hourly observations"}


@pytest.mark.parametrize("key", [k for k in EPW_FILES if k not in DEW_POINT_INTERPOLATED])
def test_generated_dew_point_has_the_records_persistence(key, real_weather):
    """The dew point's hourly AR(1) on the interpolated daily anomaly, its φ from the record's
    ``t_dew_hourly_lag1``, has the records' persistence about the day's curve: lag-1 within 0.08
    (Yinchuan 0.76 against 0.745; with φ = 0.9 everywhere 0.81), lag-2 within 0.1, the sign of its
    non-zero changes reversing as often within 0.06 (seeds 0–1: Yinchuan 0.495 against 0.536, with
    φ = 0.9 and the noon-to-noon level 0.466; the others 0.47–0.49 against 0.48–0.50).
    Karamay is left out: its record's dew point is interpolated (reversal 0.12, the differences'
    lag-1 correlation +0.81), not an hourly observation."""
    epw_path(key)
    real, _ = real_weather(key)
    month = real["time"].dt.month.to_numpy()[::24] - 1
    record = hourly_persistence(real["t_dp"].to_numpy(), month)
    got = [hourly_persistence(y["t_dp"].to_numpy(), month) for y in _generated(key)]
    assert np.mean([g["lag1"] for g in got]) == pytest.approx(record["lag1"], abs=0.08)
    assert np.mean([g["lag2"] for g in got]) == pytest.approx(record["lag2"], abs=0.1)
    assert np.mean([g["reversal"] for g in got]) == pytest.approx(record["reversal"], abs=0.06)


@pytest.mark.parametrize("key", list(EPW_FILES))
def test_the_peak_hour_varies_as_in_the_record(key, real_weather):
    """With ``t_peak_hour_sd_h`` the generated months' spread of the hour of the daily maximum
    (seeds 0–1) is the record's within 0.6 h in the median month; with every day peaking at one
    hour it was 0–0.4 h in most months. The monthly means of the daily maxima stay the normals."""
    epw_path(key)
    real, _ = real_weather(key)
    month = real["time"].dt.month.to_numpy()[::24] - 1
    record = gen.peak_hour_spread(real["t_db"].to_numpy(), month)
    spread = {}
    for label, change in (("with", {}), ("without", {"t_peak_hour_sd_h": None})):
        years = _generated(key, **change)
        spread[label] = np.mean([gen.peak_hour_spread(y["t_db"].to_numpy(), month) for y in years], axis=0)
        if label == "with":
            normal = np.asarray(sites.load(key).normals.t_max_daily_mean_c)
            for y in years:
                day_max = y["t_db"].to_numpy().reshape(-1, 24).max(axis=1)
                got = np.bincount(month, weights=day_max) / np.bincount(month)
                np.testing.assert_allclose(got, normal, atol=0.2)
    gap = {k: np.median(np.abs(v - record)) for k, v in spread.items()}
    assert gap["with"] <= 0.6, spread
    assert gap["with"] < gap["without"], spread


def test_a_site_file_with_one_wind_lag_is_refused(tmp_path):
    """The site file's error names the file and both fields (the CLI prints it as one line, exit 2)."""
    text = (sites.library.BUILTIN_DIR / "karamay.toml").read_text(encoding="utf-8")
    text = text.replace('key = "karamay"', 'key = "kone"').replace(
        "[variability]\n", "[variability]\nwind_hourly_lag1 = 0.4\n"
    )
    (tmp_path / "kone.toml").write_text(text, encoding="utf-8")
    with pytest.raises(
        sites.SiteError, match=r"kone\.toml: variability\.wind_hourly_lag1 and variability\.wind_hourly_lag2"
    ):
        sites.library.read_site_file(tmp_path / "kone.toml")


def test_derive_leaves_out_a_dew_point_persistence_its_site_file_would_refuse(real_weather):
    """A record whose dew point is interpolated between six-hourly observations measures a
    residual lag-1 above 0.95: ``twin weather --derive`` wrote it and then refused its own output.
    It is left out (the generator's φ = 0.9), as Karamay's file leaves out its 0.938."""
    real, _ = real_weather("yinchuan")
    assert gen.variability_from_record(real, "x").t_dew_hourly_lag1 == pytest.approx(0.745, abs=0.0011)
    t_dp = real["t_dp"].to_numpy()
    hours = np.arange(t_dp.size)
    smooth = real.copy()
    smooth["t_dp"] = ("time", np.interp(hours, hours[::6], t_dp[::6]))
    assert gen.variability_from_record(smooth, "x").t_dew_hourly_lag1 is None
