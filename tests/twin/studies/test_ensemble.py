"""twin ensemble: generated years × warmer normals → percentiles of the KPIs."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import xarray as xr

import sites
from twin import Scenario, annual_kpis, cli
from twin.core.params import ConfigError
from twin.engine.config import WeatherSource
from twin.studies.ensemble import SEED_SPREAD, run_ensemble, warmed_normals
from weather import psychrometrics as psy

SC = Scenario(sites=("karamay", "qingyang"), designs=("free_air", "chilled_water"))


@pytest.fixture(scope="module")
def ensemble():
    return run_ensemble(SC, seeds=(0, 1, 2), warming=(0.0, 3.0), progress=False)


def test_warming_keeps_the_relative_humidity_of_the_monthly_means():
    site = sites.load("guian")
    warm = warmed_normals(site, 2.0)
    n0, n1 = site.normals, warm.normals
    np.testing.assert_allclose(np.subtract(n1.t_mean_c, n0.t_mean_c), 2.0, atol=1e-12)
    np.testing.assert_allclose(np.subtract(n1.t_max_daily_mean_c, n0.t_max_daily_mean_c), 2.0, atol=1e-12)
    np.testing.assert_allclose(np.subtract(n1.t_min_daily_mean_c, n0.t_min_daily_mean_c), 2.0, atol=1e-12)
    p = float(psy.pressure_from_elevation(site.location.elevation_m))
    rh0 = psy.relative_humidity_from_dew_point(np.array(n0.t_mean_c), np.array(n0.t_dew_mean_c), p)
    rh1 = psy.relative_humidity_from_dew_point(np.array(n1.t_mean_c), np.array(n1.t_dew_mean_c), p)
    np.testing.assert_allclose(rh1, rh0, rtol=1e-6)
    # Clausius-Clapeyron: at constant RH the dew point rises a little less than the dry bulb
    dtd = np.subtract(n1.t_dew_mean_c, n0.t_dew_mean_c)
    assert np.all((dtd > 1.6) & (dtd < 2.0))
    assert n1.ghi_kwh_m2 == n0.ghi_kwh_m2 and n1.wind10m_mean_ms == n0.wind10m_mean_ms
    assert warmed_normals(site, 0.0) is site


def test_members_equal_single_runs_and_percentiles_are_ordered(ensemble):
    members, q = ensemble
    assert members["pue"].dims == ("warming", "seed", "site", "design")
    for seed in (0, 2):
        one = annual_kpis(dataclasses.replace(SC, weather=WeatherSource(seed=seed)))
        np.testing.assert_array_equal(members["pue"].sel(warming=0.0, seed=seed).to_numpy().ravel(), one["pue"])
    pue = members["pue"].to_numpy()
    np.testing.assert_allclose(q["pue"].to_numpy(), np.percentile(pue, [10, 50, 90], axis=1), rtol=0, atol=0)
    assert np.all(np.diff(q["pue"].to_numpy(), axis=0) >= 0)
    assert q["pue"].attrs["units"] == "1" and q["quantile"].attrs["long_name"]


def test_warmer_normals_raise_the_cooling_energy(ensemble):
    members, _ = ensemble
    cool = members["energy_cooling"].sel(site="karamay")
    assert np.all(cool.sel(warming=3.0).to_numpy() > cool.sel(warming=0.0).to_numpy())


def test_bad_ensembles_are_refused(tmp_path):
    with pytest.raises(ConfigError, match="seeds"):
        run_ensemble(SC, seeds=(0, 0), progress=False)
    with pytest.raises(ConfigError, match=r"^warming 20 K is outside -10 … 10 K$"):
        run_ensemble(SC, seeds=(0,), warming=(0.0, 20.0), progress=False)
    with pytest.raises(ConfigError, match=r"^warming 1 K is repeated"):
        run_ensemble(SC, seeds=(0,), warming=(1.0, 1), progress=False)
    f = tmp_path / "w.epw"
    f.write_text("")
    with pytest.raises(ConfigError, match="generated years"):
        run_ensemble(
            dataclasses.replace(SC, sites=("karamay",), weather=WeatherSource(source=str(f))),
            seeds=(0,),
            progress=False,
        )


def test_cli_ensemble(tmp_path, capsys):
    out = tmp_path / "e.nc"
    args = ["ensemble", "--site", "karamay", "--cooling", "spray", "--seeds", "2", "--warming", "0,2", "-o", str(out)]
    assert cli.main(args) == 0
    text, err = capsys.readouterr()
    assert "PUE P10/P50/P90" in text and "over 2 generated years" in text
    assert (  # as twin sweep says it (the same kernel_summary), with why auto did not compile
        "kernel: reference (spray); this ensemble is 4 case-years, --kernel auto compiles from 1,000 "
        "(--kernel numba compiles it, results agree to 1e-12)\n"
    ) in err
    assert xr.load_dataset(out, engine="h5netcdf").attrs["kernel"] == "reference (spray)"
    assert cli.main([*args[:-4], "--warming", "0:x", "-o", str(tmp_path / "f.nc")]) == 2
    assert capsys.readouterr().err.startswith("twin: error: --warming '0:x'")


def test_cli_ensemble_says_what_the_seeds_spread_is_and_dashes_a_green_share_without_a_plant(tmp_path, capsys):
    """1.107 / 1.107 / 1.107 read as 'no weather risk': the table and the file say the seeds sample
    the day-to-day weather within fixed normals; a case without PV or wind had green 0.0 % / 0.0 % / 0.0 %."""
    out = tmp_path / "e.nc"
    args = ["ensemble", "--site", "qingyang", "--cooling", "free_air", "--seeds", "2", "-o", str(out)]
    assert cli.main([*args, "--grid", "green.pv.capacity_mw=0,5"]) == 0
    text = capsys.readouterr().out
    no_pv, pv = (line.split() for line in text.splitlines() if line.startswith("0 "))
    assert no_pv[3] == "0" and "–" in no_pv and "0.0%" not in text
    assert pv[3] == "5" and "–" not in pv and sum(w.endswith("%") for w in pv) == 3
    assert f"P10/P50/P90: {SEED_SPREAD}\n" in text and "green –: no PV or wind generation in the case" in text
    assert "not the year-to-year variability" in SEED_SPREAD and "--warming" in SEED_SPREAD
    ds = xr.load_dataset(out, engine="h5netcdf")
    assert ds.attrs["seed_spread"] == SEED_SPREAD == ds["quantile"].attrs["comment"]


def test_too_big_an_ensemble_is_refused_before_anything_is_built():
    """100 million seeds (or a grid of that many case-years) is one line, not hours of memory growth."""
    with pytest.raises(ConfigError, match=r"--seeds: 100,000,000 seeds; at most 1,000"):
        run_ensemble(SC, seeds=range(100_000_000), progress=False)
    with pytest.raises(ConfigError, match=r"case-years; at most 2,000,000"):
        run_ensemble(SC, seeds=range(1000), warming=tuple(np.arange(-10.0, 10.0, 0.01)), progress=False)


@pytest.mark.parametrize(
    ("warming", "why"),
    [
        ("", ""),
        ("0,1,1", "a value is repeated; "),
        ("0:x", "a range is start:stop:step with three numbers; "),
    ],
)
def test_cli_ensemble_refuses_a_bad_warming_in_one_line(tmp_path, capsys, warming, why):
    args = ["ensemble", "--site", "karamay", "--cooling", "spray", "--seeds", "2", "-o", str(tmp_path / "e.nc")]
    assert cli.main([*args, "--warming", warming]) == 2
    err = capsys.readouterr().err
    assert err == (
        f"twin: error: --warming {warming!r}: {why}write kelvin values w1,w2,... or start:stop:step "
        "(each within -10 … 10 K)\n"
    )


@pytest.mark.parametrize(("warming", "value"), [("0,abc", "'abc'"), ("0,,1", "''")])
def test_cli_ensemble_names_a_warming_that_is_not_a_number(tmp_path, capsys, warming, value):
    args = ["ensemble", "--site", "karamay", "--cooling", "spray", "--seeds", "2", "-o", str(tmp_path / "e.nc")]
    assert cli.main([*args, "--warming", warming]) == 2
    assert capsys.readouterr().err == (
        f"twin: error: --warming {warming!r}: value {value} is not a number; allowed -10 … 10 K\n"
    )


def test_cli_ensemble_says_its_seeds_replace_a_scenario_seed(tmp_path, capsys):
    """A [weather] seed of the file and --set weather.seed are treated alike: one warning line
    that the ensemble's seeds replace it, and the members are those of seed 0 (the default)."""
    (tmp_path / "s.toml").write_text('name = "s"\nsite = "qingyang"\ndesign = "spray"\n[weather]\nseed = 7\n')
    common = ["--seeds", "2", "--markdown"]
    runs = {
        "plain": ["ensemble", "--site", "qingyang", "--cooling", "spray", *common],
        "set": ["ensemble", "--site", "qingyang", "--cooling", "spray", "--set", "weather.seed=5", *common],
        "file": ["ensemble", str(tmp_path / "s.toml"), *common],
        "file-set-0": ["ensemble", str(tmp_path / "s.toml"), "--set", "weather.seed=0", *common],
    }
    members = {}
    for name, args in runs.items():
        out = tmp_path / f"{name}.nc"
        assert cli.main([*args, "-o", str(out)]) == 0
        err = [ln for ln in capsys.readouterr().err.splitlines() if not ln.startswith("kernel:")]
        seed = {"plain": None, "set": 5, "file": 7, "file-set-0": None}[name]
        if seed is None:
            assert err == []
        else:
            scenario = "s" if name == "file" else "scenario"
            assert err == [
                f"twin: warning: weather.seed = {seed} of scenario {scenario!r} is not used: the ensemble runs "
                "one generated year per seed 0…1"
            ]
        members[name] = xr.load_dataset(out, engine="h5netcdf")["pue"]
    for name in ("set", "file", "file-set-0"):
        xr.testing.assert_identical(members[name], members["plain"])


def test_ensemble_help_says_the_seeds_replace_the_scenarios(capsys):
    with pytest.raises(SystemExit):
        cli.main(["ensemble", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "--set weather.seed=… other than 0 is not used, and a warning says so" in text


def test_cli_ensemble_finds_a_site_of_site_dir(tmp_path, capsys):
    """`twin --site-dir DIR ensemble --site S` loads S from DIR (as run and sweep do)."""
    folder = tmp_path / "my"
    folder.mkdir()
    text = (sites.library.BUILTIN_DIR / "qingyang.toml").read_text(encoding="utf-8")
    (folder / "mysite.toml").write_text(text.replace('key = "qingyang"', 'key = "mysite"'), encoding="utf-8")
    args = ["--site-dir", str(folder), "ensemble", "--site", "mysite", "--cooling", "spray", "--seeds", "1"]
    assert cli.main([*args, "-o", str(tmp_path / "e.nc")]) == 0, capsys.readouterr().err
    assert "mysite" in capsys.readouterr().out
