"""twin ensemble with year-to-year variability: wider spreads with it, the old results without it."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import xarray as xr

import sites
from twin import Scenario, cli
from twin.engine.simulate import with_psychrometrics
from twin.engine.weather_source import site_weather
from twin.engine.year_to_year import DAYS, YearToYear, member_normals
from twin.studies.ensemble import (
    NO_GREEN,
    NO_TEMPERATURE,
    SEED_SPREAD,
    member_block,
    member_weather,
    run_ensemble,
    spread_note,
    warmed_normals,
)
from twin.studies.sweep import kpi_block

GREEN = Scenario(sites=("qingyang",), designs=("free_air",)).with_overrides(
    ["green.pv.capacity_mw=250", "green.wind.capacity_mw=200"]
)
YTY = YearToYear(year_to_year=True, t_sd_k=1.0, t_dew_sd_k=1.0, t_dew_corr=0.7)
SEEDS = range(6)


@pytest.fixture(scope="module")
def both():
    off = run_ensemble(GREEN, SEEDS, progress=False)
    on = run_ensemble(dataclasses.replace(GREEN, ensemble=YTY), SEEDS, progress=False)
    return off, on


def _width(q: xr.Dataset, name: str) -> float:
    v = q[name].to_numpy().ravel()
    return float(v[-1] - v[0])  # P90 − P10 of the one case


def test_year_to_year_widens_the_pue_and_green_share_spread(both):
    (_, q_off), (_, q_on) = both
    # six seeds: the day-to-day weather alone spreads the green share by about a point already
    assert _width(q_on, "pue") > 2 * _width(q_off, "pue")
    assert _width(q_on, "green_share_annual") > 1.2 * _width(q_off, "green_share_annual")


def test_without_the_option_members_are_the_normals_years_bit_for_bit(both):
    """The members of the default ensemble are those of the path before year-to-year variability
    existed: the (warmed) site's own normals into the generator, then kpi_block."""
    (members, q), _ = both
    site = sites.load("qingyang")
    cases = GREEN.cases()
    for seed in (0, 5):
        warm = warmed_normals(site, 0.0)
        ds, meta = site_weather(warm, seed=seed, year=GREEN.weather.year)
        old = kpi_block(GREEN, {site.key: (with_psychrometrics(ds), meta, warm)}, cases, "auto")
        new = member_block(GREEN, site, cases, seed, 0.0, "auto")
        assert old.keys() == new.keys()
        for k in old:
            np.testing.assert_array_equal(new[k], old[k])
        np.testing.assert_array_equal(members["pue"].sel(seed=seed, warming=0.0).to_numpy().ravel(), old["pue"])
    assert not any(v.startswith("yty_") for v in members.data_vars)
    assert members.attrs["seed_spread"] == SEED_SPREAD == q["quantile"].attrs["comment"]


def test_the_file_holds_the_applied_anomalies_and_says_what_the_spread_is(both):
    _, (members, q) = both
    t = members["yty_t_anomaly"]
    assert t.dims == ("warming", "seed", "site", "month") and t.attrs["units"] == "K"
    applied = member_normals(sites.load("qingyang"), YTY, SEEDS, GREEN.weather.year)[1]
    for name, k in (("yty_t_anomaly", "t_k"), ("yty_t_dew_anomaly", "t_dew_k"), ("yty_ghi_ratio", "ghi_ratio")):
        np.testing.assert_array_equal(members[name].sel(warming=0.0, site="qingyang").to_numpy(), applied[k])
    note = spread_note(dataclasses.replace(GREEN, ensemble=YTY))
    assert members.attrs["seed_spread"] == note == q["quantile"].attrs["comment"]
    assert "year-to-year variability of the monthly mean dry bulb, the monthly mean dew point, the monthly GHI" in note
    assert "dry bulb SD 1 K; dew point SD 1 K; their correlation 0.7" in note and NO_TEMPERATURE not in note


@pytest.mark.parametrize("warming", [0.0, 1.5])
def test_a_member_runs_on_the_weather_its_stored_anomalies_describe(warming):
    """End to end: the generated year of a member against the anomalies the file stores, all
    relative to the warmed normals (anomalies applied once, after the warming, from the member's
    own seed)."""
    sc = dataclasses.replace(GREEN, ensemble=YearToYear(year_to_year=True, t_sd_k=1.5, t_dew_sd_k=1.5, t_dew_corr=0.5))
    seed = 3
    members, _ = run_ensemble(sc, [1, seed], warming=[warming], progress=False)
    got = {
        n: members[n].sel(warming=warming, seed=seed, site="qingyang").to_numpy()
        for n in members
        if n.startswith("yty_")
    }
    site = sites.load("qingyang")
    warm0 = warmed_normals(site, warming)
    n0 = warm0.normals
    ds, _, warm = member_weather(sc, site, seed, warming)
    month = ds["time"].dt.month
    t = ds["t_db"].groupby(month).mean().to_numpy()
    np.testing.assert_allclose(t - np.array(n0.t_mean_c), got["yty_t_anomaly"], atol=0.01)
    assert np.abs(got["yty_t_anomaly"]).max() > 1.0  # a draw, not zeros
    # the dew point the generator was asked for is the warmed normal + the stored anomaly, exactly
    np.testing.assert_allclose(
        np.array(warm.normals.t_dew_mean_c), np.array(n0.t_dew_mean_c) + got["yty_t_dew_anomaly"], atol=1e-9
    )
    td = ds["t_dp"].groupby(month).mean().to_numpy()
    np.testing.assert_allclose(td - np.array(n0.t_dew_mean_c), got["yty_t_dew_anomaly"], atol=0.15)
    ghi = ds["ghi"].groupby(month).sum().to_numpy() / 1000.0
    np.testing.assert_allclose(ghi / np.array(n0.ghi_kwh_m2), got["yty_ghi_ratio"], rtol=1e-6)
    wind = ds["wind_speed"].groupby(month).mean().to_numpy()
    np.testing.assert_allclose(wind / np.array(n0.wind10m_mean_ms), got["yty_wind_ratio"], rtol=1e-6)
    v0 = np.array(n0.wind10m_mean_ms)
    year = np.sum(DAYS * v0 * got["yty_wind_ratio"]) / np.sum(DAYS * v0)
    assert warm.wind.mean_speed_ms == pytest.approx(site.wind.mean_speed_ms * year, rel=1e-12)
    kpis = member_block(sc, site, sc.cases(), seed, warming)
    np.testing.assert_array_equal(members["pue"].sel(warming=warming, seed=seed).to_numpy().ravel(), kpis["pue"])


def test_cli_year_to_year_options(tmp_path, capsys):
    out = tmp_path / "e.nc"
    args = ["ensemble", "--site", "qingyang", "--cooling", "free_air", "--seeds", "2", "-o", str(out)]
    assert cli.main([*args, "--year-to-year", "--t-sd", "0.8", "--wind-sd", "4"]) == 0
    text = capsys.readouterr().out
    assert "P10/P50/P90: the spread over seeds is the day-to-day weather and the year-to-year" in text
    ds = xr.load_dataset(out, engine="h5netcdf")
    assert "dry bulb SD 0.8 K" in ds.attrs["seed_spread"] and "wind year SD 4 %" in ds.attrs["seed_spread"]


@pytest.mark.parametrize(
    ("options", "error"),
    [
        (
            ["--year-to-year", "--t-sd", "-1"],
            "--year-to-year --t-sd -1: ensemble.t_sd_k = -1 is out of range; allowed 0 … 5 K",
        ),
        (
            ["--year-to-year", "--t-dew-corr", "2"],
            "--year-to-year --t-dew-corr 2: ensemble.t_dew_corr = 2 is out of range; allowed -1 … 1",
        ),
        (
            ["--t-sd", "1"],
            "--t-sd 1: ensemble.t_sd_k = 1 sets a year-to-year anomaly, but ensemble.year_to_year = false "
            "draws none; set ensemble.year_to_year = true (twin ensemble --year-to-year) or drop the value",
        ),
        (
            ["--set", "ensemble.wind_month_sd_pct=5"],
            "--set ensemble.wind_month_sd_pct=5: ensemble.wind_month_sd_pct = 5 sets a year-to-year anomaly, but "
            "ensemble.year_to_year = false draws none; set ensemble.year_to_year = true (twin ensemble --year-to-year) "
            "or drop the value",
        ),
        (
            ["--year-to-year", "--set", "ensemble.year_to_year=false"],
            "--year-to-year and --set ensemble.year_to_year=false both set ensemble.year_to_year; give one of them "
            "(or the same value in both)",
        ),
    ],
)
def test_cli_refuses_bad_year_to_year_values_in_one_line(tmp_path, capsys, options, error):
    args = ["ensemble", "--site", "qingyang", "--cooling", "free_air", "--seeds", "2", "-o", str(tmp_path / "e.nc")]
    assert cli.main([*args, *options]) == 2
    assert capsys.readouterr().err == f"twin: error: {error}\n"
    assert not (tmp_path / "e.nc").exists()


def test_cli_refuses_an_option_and_a_set_that_disagree(tmp_path, capsys):
    args = ["ensemble", "--site", "qingyang", "--cooling", "free_air", "--seeds", "2", "-o", str(tmp_path / "e.nc")]
    assert cli.main([*args, "--year-to-year", "--t-sd", "1", "--set", "ensemble.t_sd_k=2"]) == 2
    assert "--t-sd 1 and --set ensemble.t_sd_k=2 both set ensemble.t_sd_k" in capsys.readouterr().err


def test_a_wind_farm_scaled_to_a_fixed_mean_is_warned_of():
    sc = dataclasses.replace(
        GREEN.with_overrides(["green.wind.hub_mean_speed_ms=7.0"]), ensemble=YearToYear(year_to_year=True)
    )
    with pytest.warns(UserWarning, match=r"green\.wind\.hub_mean_speed_ms = 7 scales every year's wind"):
        run_ensemble(sc, [0], progress=False)


def test_run_and_sweep_say_they_do_not_draw_year_to_year_anomalies(tmp_path, capsys):
    f = tmp_path / "s.toml"
    f.write_text('site = "qingyang"\ndesign = "free_air"\n[ensemble]\nyear_to_year = true\n')
    said = "ensemble.year_to_year = true draws year-to-year anomalies in twin ensemble only"
    assert cli.main(["run", str(f)]) == 0
    assert said in capsys.readouterr().err
    sweep = ["sweep", str(f), "--grid", "facility.utilisation=0.5,0.6", "-o", str(tmp_path / "s.nc")]
    assert cli.main(sweep) == 0
    assert said in capsys.readouterr().err


def _ensemble(tmp_path, *options):
    out = tmp_path / "e.nc"
    args = ["ensemble", "--seeds", "2", "-o", str(out), "--force", *options]
    return cli.main(args), out


@pytest.mark.parametrize(
    "options",
    [
        ["--year-to-year", "--set", "ensemble.t_sd_k=1"],
        ["--set", "ensemble.t_sd_k=1", "--year-to-year"],
        ["--year-to-year", "--t-sd", "1", "--set", "ensemble.t_sd_k=1.0"],
        ["--set", "ensemble.t_sd_k=1", "--set", "ensemble.year_to_year=true"],
    ],
)
def test_cli_options_and_set_build_one_year_to_year_setting(tmp_path, capsys, options):
    code, out = _ensemble(tmp_path, "--site", "qingyang", "--cooling", "free_air", *options)
    assert code == 0, capsys.readouterr().err
    assert "dry bulb SD 1 K" in xr.load_dataset(out, engine="h5netcdf").attrs["seed_spread"]


def test_cli_switches_a_scenario_files_year_to_year_off_and_on(tmp_path, capsys):
    on = tmp_path / "on.toml"
    on.write_text('site = "qingyang"\ndesign = "free_air"\n[ensemble]\nyear_to_year = true\nt_sd_k = 1.2\n')
    for off in (["--no-year-to-year"], ["--set", "ensemble.year_to_year=false"]):
        code, out = _ensemble(tmp_path, str(on), *off)
        assert code == 0
        said = "twin: warning: ensemble.t_sd_k = 1.2 given, but ensemble.year_to_year = false: nothing is drawn"
        assert said in capsys.readouterr().err
        assert xr.load_dataset(out, engine="h5netcdf").attrs["seed_spread"] == SEED_SPREAD
    sds = tmp_path / "sds.toml"
    sds.write_text('site = "qingyang"\ndesign = "free_air"\n[ensemble]\nt_sd_k = 1.2\n')
    code, out = _ensemble(tmp_path, str(sds), "--year-to-year")
    assert code == 0, capsys.readouterr().err
    assert "dry bulb SD 1.2 K" in xr.load_dataset(out, engine="h5netcdf").attrs["seed_spread"]


def test_cli_month_sd_options(tmp_path, capsys):
    code, out = _ensemble(
        tmp_path,
        "--site",
        "qingyang",
        "--cooling",
        "free_air",
        "--year-to-year",
        "--ghi-month-sd",
        "3",
        "--wind-month-sd",
        "4",
    )
    assert code == 0, capsys.readouterr().err
    note = xr.load_dataset(out, engine="h5netcdf").attrs["seed_spread"]
    assert "GHI year SD 2.5 %, month SD 3 %" in note and "wind year SD 6 %, month SD 4 %" in note


def test_the_note_says_when_no_temperature_or_no_green_supply_moves(tmp_path, capsys):
    code, _ = _ensemble(tmp_path, "--site", "qingyang", "--cooling", "free_air", "--year-to-year")
    assert code == 0
    text = " ".join(capsys.readouterr().out.split())
    assert NO_TEMPERATURE in text and NO_GREEN in text
    assert "year-to-year variability of the monthly GHI, the monthly mean wind speed" in text
    green = dataclasses.replace(GREEN, ensemble=YearToYear(year_to_year=True))
    assert NO_TEMPERATURE in spread_note(green) and NO_GREEN not in spread_note(green)


def test_a_measured_profile_is_warned_of(tmp_path):
    csv = tmp_path / "wind.csv"
    csv.write_text("cf\n" + "0.3\n" * 8760)
    sc = dataclasses.replace(
        Scenario(sites=("qingyang",), designs=("free_air",)).with_overrides(
            ["green.wind.capacity_mw=100", f"green.wind.profile_csv={str(csv)!r}"]
        ),
        ensemble=YearToYear(year_to_year=True),
    )
    with pytest.warns(UserWarning, match=r"green\.wind\.profile_csv = .* is a measured profile: the year-to-year wind"):
        run_ensemble(sc, [0], progress=False)
    assert NO_GREEN in spread_note(sc)


def test_the_dashboard_says_it_runs_the_normal_year():
    from dashboards.views import YEAR_TO_YEAR_NOTE, non_default_params

    rows = non_default_params(dataclasses.replace(GREEN, ensemble=YearToYear(year_to_year=True)))
    row = next(r for r in rows if r[0] == "ensemble.year_to_year")
    assert row[4].endswith(YEAR_TO_YEAR_NOTE)
    assert not any(YEAR_TO_YEAR_NOTE in r[4] for r in non_default_params(GREEN))
