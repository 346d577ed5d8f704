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
from twin.engine.year_to_year import YearToYear, draw_anomalies
from twin.studies.ensemble import SEED_SPREAD, member_block, run_ensemble, spread_note, warmed_normals
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


def test_the_file_holds_the_drawn_anomalies_and_says_what_the_spread_is(both):
    _, (members, q) = both
    t = members["yty_t_anomaly"]
    assert t.dims == ("seed", "site", "month") and t.attrs["units"] == "K"
    np.testing.assert_array_equal(t.sel(site="qingyang").to_numpy(), draw_anomalies(YTY, SEEDS, "qingyang")["t_k"])
    note = spread_note(dataclasses.replace(GREEN, ensemble=YTY))
    assert members.attrs["seed_spread"] == note == q["quantile"].attrs["comment"]
    assert "year-to-year variability of the monthly means" in note and "SD 1 K and 1 K, correlation 0.7" in note


def test_cli_year_to_year_options(tmp_path, capsys):
    out = tmp_path / "e.nc"
    args = ["ensemble", "--site", "qingyang", "--cooling", "free_air", "--seeds", "2", "-o", str(out)]
    assert cli.main([*args, "--year-to-year", "--t-sd", "0.8", "--wind-sd", "4"]) == 0
    text = capsys.readouterr().out
    assert "P10/P50/P90: the spread over seeds is the day-to-day weather and the year-to-year" in text
    ds = xr.load_dataset(out, engine="h5netcdf")
    assert "SD 0.8 K and 0 K" in ds.attrs["seed_spread"] and "year SD 4 %" in ds.attrs["seed_spread"]


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
