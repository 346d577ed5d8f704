"""Year-to-year anomalies of the monthly normals: their statistics, the moved normals, validation."""

from __future__ import annotations

import numpy as np
import pytest

import sites
from twin.core.params import ConfigError
from twin.engine.config import Scenario, scenario_from_text
from twin.engine.year_to_year import (
    DAYS,
    YearToYear,
    clear_sky_month_kwh_m2,
    draw_anomalies,
    member_normals,
    perturbed_normals,
    perturbed_site,
)
from weather import psychrometrics as psy

N = 4000
"""Seeds of the statistical checks: the SD of an SD estimate is σ/√(2N) ≈ 1.1 % of σ, of a
correlation ρ about (1 − ρ²)/√N ≈ 0.008 at ρ = 0.7; the tolerances below are ≥ 4 of those."""

ON = YearToYear(year_to_year=True, t_sd_k=1.5, t_dew_sd_k=1.2, t_dew_corr=0.7, ghi_month_sd_pct=5.0)


@pytest.fixture(scope="module")
def drawn():
    return draw_anomalies(ON, range(N), "qingyang")


def test_drawn_anomalies_have_the_given_sds_and_correlation(drawn):
    t, td = drawn["t_k"], drawn["t_dew_k"]
    assert t.shape == td.shape == (N, 12)
    np.testing.assert_allclose(t.std(axis=0), 1.5, rtol=0.05)
    np.testing.assert_allclose(td.std(axis=0), 1.2, rtol=0.05)
    np.testing.assert_allclose(t.mean(axis=0), 0.0, atol=4 * 1.5 / np.sqrt(N))
    r = [np.corrcoef(t[:, m], td[:, m])[0, 1] for m in range(12)]
    np.testing.assert_allclose(r, 0.7, atol=0.04)
    # months are independent of each other (no persistence)
    assert abs(np.corrcoef(t[:, 6], t[:, 7])[0, 1]) < 0.06


def test_drawn_ratios_have_the_given_year_and_month_sds(drawn):
    g, w = drawn["ghi_ratio"], drawn["wind_ratio"]
    a, b = 0.025, 0.05  # the year's SD (default 2.5 %) and the month's own
    np.testing.assert_allclose(g.std(axis=0), np.sqrt((1 + a * a) * (1 + b * b) - 1), rtol=0.05)
    np.testing.assert_allclose(g.mean(axis=0), 1.0, atol=4 * 0.06 / np.sqrt(N))
    # the wind has only the year's part (default 6 %): one factor for all twelve months
    np.testing.assert_array_equal(w, np.repeat(w[:, :1], 12, axis=1))
    assert w[:, 0].std() == pytest.approx(0.06, rel=0.05)
    # the year's GHI factor is common to the months: their ratios correlate by a² / (a² + b²)
    rho = np.corrcoef(g[:, 0], g[:, 1])[0, 1]
    assert rho == pytest.approx(a * a / (a * a + b * b), abs=0.05)


def test_a_seed_draws_the_same_whatever_is_drawn_beside_it():
    many = draw_anomalies(ON, [3, 7, 11], "karamay")
    one = draw_anomalies(ON, [7], "karamay")
    for k in many:
        np.testing.assert_array_equal(many[k][1], one[k][0])
    other_site = draw_anomalies(ON, [7], "qingyang")
    assert not np.array_equal(other_site["t_k"], one["t_k"])


def test_off_draws_nothing_and_leaves_the_site_as_it_is():
    site = sites.load("qingyang")
    off = YearToYear()
    assert perturbed_site(site, off, 5, 2021) is site
    for k, v in draw_anomalies(off, [0, 1], "qingyang").items():
        np.testing.assert_array_equal(v, 0.0 if k.startswith("t") else 1.0)


def test_perturbed_site_moves_the_normals_and_the_wind_resource():
    site = sites.load("qingyang")
    p = YearToYear(year_to_year=True, t_sd_k=1.0, t_dew_sd_k=1.0, t_dew_corr=0.5, wind_month_sd_pct=10.0)
    a = {k: v[0] for k, v in draw_anomalies(p, [4], site.key).items()}
    moved = perturbed_site(site, p, 4, 2021)
    n0, n1 = site.normals, moved.normals
    for f in ("t_mean_c", "t_max_daily_mean_c", "t_min_daily_mean_c"):
        np.testing.assert_allclose(np.subtract(getattr(n1, f), getattr(n0, f)), a["t_k"], atol=1e-12)
    np.testing.assert_allclose(np.divide(n1.ghi_kwh_m2, n0.ghi_kwh_m2), a["ghi_ratio"], rtol=1e-12)
    np.testing.assert_allclose(np.divide(n1.wind10m_mean_ms, n0.wind10m_mean_ms), a["wind_ratio"], rtol=1e-12)
    v0 = np.array(n0.wind10m_mean_ms)
    year = np.sum(DAYS * v0 * a["wind_ratio"]) / np.sum(DAYS * v0)
    assert moved.wind.mean_speed_ms == pytest.approx(site.wind.mean_speed_ms * year, rel=1e-12)
    assert n1.rh_min_daily_mean_pct == n0.rh_min_daily_mean_pct and "seed 4" in n1.source
    assert np.any(np.abs(np.subtract(n1.rh_mean_pct, n0.rh_mean_pct)) > 0.5)  # moved with T and Td


def test_the_mean_dew_point_keeps_the_normals_smallest_depression_and_rh_moves_with_it():
    site = sites.load("guangzhou")  # humid: a small dew-point depression
    a = {
        "t_k": np.full((1, 12), -3.0),
        "t_dew_k": np.full((1, 12), 3.0),
        "ghi_ratio": np.ones((1, 12)),
        "wind_ratio": np.ones((1, 12)),
    }
    n = site.normals
    moved = perturbed_normals(n, a)
    assert moved["t_mean_c"].shape == (1, 12)
    smallest = np.min(np.subtract(n.t_mean_c, n.t_dew_mean_c))
    assert smallest > 0.5
    np.testing.assert_allclose(moved["t_mean_c"] - moved["t_dew_mean_c"], smallest, atol=1e-12)  # every month capped
    # the mean RH moves by the ratio of the RH of the new means to that of the old
    p = psy.P_STANDARD
    ratio = psy.relative_humidity_from_dew_point(moved["t_mean_c"], moved["t_dew_mean_c"], p) / (
        psy.relative_humidity_from_dew_point(np.array(n.t_mean_c), np.array(n.t_dew_mean_c), p)
    )
    np.testing.assert_allclose(moved["rh_mean_pct"], np.minimum(np.array(n.rh_mean_pct) * ratio, 100.0), rtol=1e-12)
    assert np.sum(moved["rh_mean_pct"] > np.array(n.rh_mean_pct) + 1.0) >= 6  # wetter: ΔTd > ΔT
    zero = {k: np.zeros((1, 12)) if k.startswith("t") else np.ones((1, 12)) for k in a}
    np.testing.assert_allclose(perturbed_normals(n, zero)["rh_mean_pct"][0], n.rh_mean_pct, rtol=1e-12)
    np.testing.assert_allclose(perturbed_normals(n, zero)["t_dew_mean_c"][0], n.t_dew_mean_c, atol=1e-12)


def test_the_stored_anomalies_are_those_applied_after_the_caps():
    site = sites.load("karamay")
    p = YearToYear(
        year_to_year=True, t_sd_k=3.0, t_dew_sd_k=3.0, t_dew_corr=-0.5, ghi_sd_pct=20.0, ghi_month_sd_pct=20.0
    )
    seeds = range(40)
    moved, applied = member_normals(site, p, seeds, 2021)
    drawn = draw_anomalies(p, seeds, site.key)
    assert np.any(applied["t_dew_k"] < drawn["t_dew_k"] - 0.1)  # the dew cap binds in some months
    assert np.any(applied["ghi_ratio"] < drawn["ghi_ratio"] - 0.01)  # and the clear-sky cap
    np.testing.assert_allclose(moved["t_dew_mean_c"], np.array(site.normals.t_dew_mean_c) + applied["t_dew_k"])
    np.testing.assert_allclose(moved["ghi_kwh_m2"], np.array(site.normals.ghi_kwh_m2) * applied["ghi_ratio"])
    np.testing.assert_array_equal(applied["t_k"], drawn["t_k"])


def test_no_month_gets_more_ghi_than_its_clear_sky_at_the_largest_sds():
    """The generator restores each month's GHI total whatever it is, so the cap must be on the
    normals; checked on the generated year too (its monthly totals equal the moved normals)."""
    from twin.engine.weather_source import site_weather

    site = sites.load("qingyang")
    p = YearToYear(year_to_year=True, ghi_sd_pct=20.0, ghi_month_sd_pct=20.0)
    loc = site.location
    clear = np.array(
        clear_sky_month_kwh_m2(loc.latitude_deg, loc.longitude_deg, loc.elevation_m, loc.utc_offset_h, 2021)
    )
    assert np.all(clear > np.array(site.normals.ghi_kwh_m2))
    moved, _ = member_normals(site, p, range(200), 2021)
    assert np.any(np.array(site.normals.ghi_kwh_m2) * draw_anomalies(p, range(200), site.key)["ghi_ratio"] > clear)
    assert np.all(moved["ghi_kwh_m2"] <= clear)
    seed = int(np.argmax((moved["ghi_kwh_m2"] >= clear).sum(axis=1)))  # a year with capped months
    ds, _ = site_weather(perturbed_site(site, p, seed, 2021), seed=seed, year=2021)
    monthly = ds["ghi"].groupby("time.month").sum().to_numpy() / 1000.0
    assert np.all(monthly <= clear * (1 + 1e-9))


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"year_to_year": True, "t_sd_k": -1.0}, r"^ensemble\.t_sd_k = -1 is out of range; allowed 0 … 5 K$"),
        ({"year_to_year": True, "t_dew_corr": 1.5}, r"^ensemble\.t_dew_corr = 1\.5 is out of range; allowed -1 … 1$"),
        ({"year_to_year": True, "ghi_sd_pct": 25.0}, r"^ensemble\.ghi_sd_pct = 25 is out of range; allowed 0 … 20 %$"),
    ],
)
def test_bad_values_are_refused_naming_field_value_and_range(fields, message):
    with pytest.raises(ConfigError, match=message):
        YearToYear(**fields)


def test_sds_may_be_kept_while_year_to_year_is_off_and_say_so():
    p = YearToYear(t_sd_k=1.0, wind_sd_pct=4.0)
    assert p.unused() == ["t_sd_k", "wind_sd_pct"]
    assert YearToYear(year_to_year=True, t_sd_k=1.0).unused() == []


def test_the_scenario_reads_and_writes_an_ensemble_table_only_when_given():
    assert "ensemble" not in Scenario(sites=("qingyang",)).to_dict()  # saved scenarios are unchanged
    sc = scenario_from_text('site = "qingyang"\n[ensemble]\nyear_to_year = true\nt_sd_k = 1.2\n')
    assert sc.ensemble.year_to_year and sc.ensemble.t_sd_k == 1.2
    # on, every field is written: a saved file keeps the SDs it ran with if a default changes
    assert sc.to_dict()["ensemble"] == {
        "year_to_year": True,
        "t_sd_k": 1.2,
        "t_dew_sd_k": 0.0,
        "t_dew_corr": 0.0,
        "ghi_sd_pct": 2.5,
        "ghi_month_sd_pct": 0.0,
        "wind_sd_pct": 6.0,
        "wind_month_sd_pct": 0.0,
    }
    off = scenario_from_text('site = "qingyang"\n[ensemble]\nt_sd_k = 1.2\n')
    assert off.to_dict()["ensemble"] == {"t_sd_k": 1.2}
    with pytest.raises(ConfigError, match=r"ensemble\.t_dew_sd_k = 9 is out of range; allowed 0 … 5 K"):
        scenario_from_text('site = "qingyang"\n[ensemble]\nyear_to_year = true\nt_dew_sd_k = 9\n')
