"""The twin command line, run as a user would: exit codes, one-line errors, files written safely."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import xarray as xr

from tests.conftest import epw_path
from twin import cli
from twin.core.io import OutputError, atomic_write


def run(*args: str) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("twin", path=str(Path(sys.executable).parent))
    cmd = [exe] if exe else [sys.executable, "-m", "twin.cli"]
    return subprocess.run([*cmd, *args], capture_output=True, text=True, timeout=300)


def test_help_lists_commands():
    r = run("--help")
    assert r.returncode == 0
    for c in ("sites", "weather", "weather-validate", "run", "compare"):
        assert c in r.stdout


def test_sites_lists_the_library():
    r = run("sites")
    assert r.returncode == 0, r.stderr
    for key in ("karamay", "qingyang", "guian", "yinchuan", "ulanqab", "us_dulles"):
        assert key in r.stdout
    assert "1.08" in r.stdout  # Karamay's reported PUE
    dulles = next(line for line in r.stdout.splitlines() if line.startswith("us_dulles"))
    assert "0.300*" in dulles and "0.630*" not in dulles  # assumed grid factor marked, sourced tariff not


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["weather", "--site", "atlantis"], "unknown site 'atlantis'"),
        (["weather", "--file", "/nonexistent/x.epw"], "no such weather file"),
        (["weather", "--seed", "x", "--site", "karamay"], "--seed: 'x' is not a whole number"),
        (["frobnicate"], "invalid choice"),
        (["--site-dir", "/nonexistent", "sites"], "argument --site-dir: /nonexistent: no such site directory"),
        (
            [
                "run",
                "--site",
                "qingyang",
                "--cooling",
                "immersion_2p",
                "--no-output",
                "--set",
                "cooling.immersion_2p.fluid=x",
            ],
            "'x' is not allowed; not a two-phase immersion fluid; allowed: novec649 (discontinued), fc72",
        ),
        (
            ["run", "--site", "qingyang", "--cooling", "spray", "--no-output", "--set", "heat_reuse.t_return_min=5"],
            "heat_reuse.t_return_min = 5 is out of range",
        ),
        (
            ["run", "--site", "yinchuan", "--cooling", "free_air", "--no-output", "--set", "green.grid_charging=true"],
            'green.grid_charging = true needs green.strategy = "lp"',
        ),
    ],
)
def test_user_errors_exit_2_with_one_line(args, message):
    r = run(*args)
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith("twin: error:") and message in lines[0]
    assert "Traceback" not in r.stderr


def test_weather_generate_writes_netcdf_and_refuses_to_overwrite(tmp_path, capsys):
    out = tmp_path / "karamay.nc"
    assert cli.main(["weather", "--site", "karamay", "--seed", "2", "-o", str(out)]) == 0
    text = capsys.readouterr().out
    assert "karamay (generated, seed 2)" in text and "hours above" in text
    ds = xr.open_dataset(out, engine="h5netcdf")
    assert ds.sizes["time"] == 8760 and ds["t_db"].attrs["units"] == "degC"
    ds.close()
    before = out.read_bytes()
    assert cli.main(["weather", "--site", "karamay", "-o", str(out)]) == 2
    assert "exists; choose another name or pass --force" in capsys.readouterr().err
    assert out.read_bytes() == before
    assert cli.main(["weather", "--site", "karamay", "-o", str(out), "--force", "--csv", str(tmp_path / "k.csv")]) == 0
    assert (tmp_path / "k.csv").read_text().splitlines()[0].startswith("time,t_db [degC]")


def test_a_generated_csv_carries_its_site_and_is_refused_for_another(tmp_path, capsys):
    """``twin weather --csv`` writes the location columns, so the station check applies to the
    CSV as to the same year as .nc (a CSV without them could drive any site)."""
    csv, nc = str(tmp_path / "k.csv"), str(tmp_path / "k.nc")
    assert cli.main(["weather", "--site", "karamay", "--csv", csv, "-o", nc]) == 0
    capsys.readouterr()
    run = ["run", "--cooling", "free_air", "--no-output", "--markdown"]
    for path in (nc, csv):
        assert cli.main([*run, "--site", "guian", "--weather", path]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and f"{path}: the file's location (45.62, 84.85, 450 m) is 2,870 km" in err
    assert cli.main([*run, "--site", "karamay"]) == 0
    generated = _column(capsys.readouterr().out, "PUE")
    assert cli.main([*run, "--site", "karamay", "--weather", csv]) == 0
    assert _column(capsys.readouterr().out, "PUE") == generated


def test_weather_reads_a_real_file(capsys):
    path = epw_path("qingyang")
    assert cli.main(["weather", "--file", str(path)]) == 0
    out = capsys.readouterr().out
    assert "8760 h" in out and "Erbs" in out


def test_truncated_file_is_one_line_exit_2(tmp_path):
    lines = epw_path("karamay").read_text(encoding="latin-1").splitlines()[:100]
    p = tmp_path / "cut.epw"
    p.write_text("\n".join(lines) + "\n", encoding="latin-1")
    r = run("weather", "--file", str(p))
    assert r.returncode == 2 and r.stderr.count("\n") == 1
    assert "92 hourly data rows" in r.stderr


def test_atomic_write_leaves_old_file_when_interrupted(tmp_path):
    target = tmp_path / "result.nc"
    target.write_text("good")

    def boom(p: Path) -> None:
        p.write_text("half")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        atomic_write(target, boom, force=True)
    assert target.read_text() == "good"
    assert [f.name for f in tmp_path.iterdir()] == ["result.nc"]
    with pytest.raises(OutputError, match=r"directory .* does not exist"):
        atomic_write(tmp_path / "no" / "x.nc", lambda p: None)


def test_derive_prints_a_site_table(capsys):
    assert cli.main(["weather", "--file", str(epw_path("yinchuan")), "--derive"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("[variability]") and "t_dew_skew = [" in out


@pytest.mark.parametrize("option", [["--csv", "d.csv"], ["-o", "d.nc"], ["--markdown"]])
def test_derive_refuses_what_it_would_ignore(option, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert cli.main(["weather", "--site", "qingyang", "--derive", *option]) == 2
    assert f"{option[0]} with --derive" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_derive_prints_no_negative_zero(capsys):
    """A statistic rounded to -0.0 prints as 0 (Yinchuan's generated year has one)."""
    assert cli.main(["weather", "--site", "yinchuan", "--derive"]) == 0
    out = capsys.readouterr().out
    assert "-0," not in out and "-0]" not in out


def test_a_weather_file_takes_one_site(capsys):
    assert cli.main(["weather", "--file", str(epw_path("qingyang")), "--site", "qingyang", "--site", "karamay"]) == 2
    assert "give one --site" in capsys.readouterr().err


def test_derive_takes_a_generated_years_own_statistics(capsys):
    """A generated year's March can have a wide spread of peak hours (12.2 h at Qingyang, seed 1):
    its derived table is one the site file takes."""
    assert cli.main(["weather", "--site", "qingyang", "--seed", "1", "--derive"]) == 0
    assert "t_peak_hour_sd_h = [" in capsys.readouterr().out


def test_derive_from_a_file_without_wind(tmp_path, capsys):
    """A record without a wind column derives the rest (the wind's fields left out: TOML has no null)."""
    assert cli.main(["weather", "--site", "karamay", "--csv", str(tmp_path / "k.csv")]) == 0
    text = (tmp_path / "k.csv").read_text().splitlines()
    cols = text[0].split(",")
    keep = [i for i, c in enumerate(cols) if not c.startswith("wind_speed")]
    assert len(keep) == len(cols) - 1
    (tmp_path / "nowind.csv").write_text("\n".join(",".join(r.split(",")[i] for i in keep) for r in text) + "\n")
    capsys.readouterr()
    assert cli.main(["weather", "--file", str(tmp_path / "nowind.csv"), "--site", "karamay", "--derive"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("[variability]") and "t_dew_dip_slope = [" in out and "wind_hourly" not in out


def test_weather_typical_takes_a_seed(capsys):
    """``--weather typical`` is the generated year, not a file: ``--seed`` beside it picks that year."""
    args = ["run", "--site", "qingyang", "--cooling", "spray", "--no-output", "--markdown"]
    assert cli.main([*args, "--weather", "typical", "--seed", "3"]) == 0
    with_typical = capsys.readouterr().out
    assert cli.main([*args, "--seed", "3"]) == 0
    assert capsys.readouterr().out == with_typical


# ----------------------------------------------------------------------------- run / compare
def test_run_with_site_and_cooling_writes_a_new_file_each_time(tmp_path, capsys):
    args = ["run", "--site", "karamay", "--cooling", "free_air", "--out-dir", str(tmp_path)]
    assert cli.main(args) == 0
    out = capsys.readouterr().out
    assert "karamay" in out and "free_air" in out and "PUE" in out
    assert cli.main(args) == 0
    files = sorted(f.name for f in tmp_path.iterdir())
    assert files == ["karamay-free_air-2.nc", "karamay-free_air.nc"]
    ds = xr.open_dataset(tmp_path / "karamay-free_air.nc", engine="h5netcdf")
    assert ds["p_facility"].attrs["units"] == "kW" and ds.sizes["time"] == 8760
    ds.close()


def test_run_scenario_file_and_save(tmp_path, capsys):
    root = Path(__file__).resolve().parents[2]
    saved = tmp_path / "copy.toml"
    assert (
        cli.main(["run", str(root / "examples" / "qingyang_evap_sweep.toml"), "--no-output", "--save", str(saved)]) == 0
    )
    out = capsys.readouterr().out
    assert out.count("qingyang") >= 5 and saved.exists()


def test_compare_is_one_table(capsys):
    assert (
        cli.main(
            ["compare", "--sites", "karamay", "guian", "--cooling", "free_air", "spray", "--no-output", "--markdown"]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert out.count("| karamay |") == 2 and out.count("| guian |") == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "--site", "karamay", "--cooling", "ice_pond"], "invalid choice: 'ice_pond'"),
        (["run", "--site", "atlantis", "--cooling", "spray", "--no-output"], "unknown site 'atlantis'"),
        (["run", "/nonexistent/s.toml"], "/nonexistent/s.toml: no such scenario file"),
        (["run"], "give a scenario file, or both --site and --cooling"),
    ],
)
def test_run_errors_are_one_line(args, message):
    r = run(*args)
    assert r.returncode == 2, r.stderr
    assert r.stderr.count("\n") == 1 and message in r.stderr


def test_run_typo_in_scenario_file_is_one_line(tmp_path):
    p = tmp_path / "typo.toml"
    p.write_text('site = "karamay"\ndesign = "free_air"\n[facility]\nutilization = 0.5\n')
    r = run("run", str(p), "--no-output")
    assert r.returncode == 2 and r.stderr.count("\n") == 1
    assert "unknown field facility.utilization" in r.stderr


def test_weather_option_overrides_a_scenario_files_weather(capsys):
    # A scenario file with the generated year, run with --weather: the real file must be used,
    # not silently ignored (it was).
    example = str(Path(__file__).resolve().parents[2] / "examples" / "karamay_free_air.toml")
    assert cli.main(["run", example, "--no-output"]) == 0
    generated = capsys.readouterr().out
    assert cli.main(["run", example, "--weather", str(epw_path("karamay")), "--no-output"]) == 0
    real = capsys.readouterr().out
    assert generated != real
    assert cli.main(["run", example, "--seed", "3", "--no-output"]) == 0
    assert capsys.readouterr().out not in (generated, real)


def test_weather_option_replaces_a_scenario_files_seed_and_set_seed_beside_it_is_refused(tmp_path, capsys):
    # --weather replaces the scenario's generated year, its seed with it; a --set seed beside the
    # file would pick a year the run does not use (it was silently ignored).
    real = str(epw_path("karamay"))
    s = tmp_path / "s.toml"
    s.write_text('site = "karamay"\n[weather]\nseed = 3\nyear = 2030\n')
    assert cli.main(["run", str(s), "--weather", real, "--no-output", "--markdown"]) == 0
    assert (
        cli.main(["run", "--site", "karamay", "--cooling", "free_air", "--weather", real, "--no-output", "--markdown"])
        == 0
    )
    first, second = capsys.readouterr().out.split("PUE is energy-weighted")[:2]
    assert _column(first, "PUE") == _column(second.split("\n", 1)[1], "PUE")
    assert cli.main(["run", str(s), "--weather", real, "--set", "weather.seed=5", "--no-output"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "twin: error: --set: weather.seed = 5 picks a generated typical year" in err
    assert real in err and "not both" in err


def test_no_seed_is_written_for_a_year_read_from_a_file(tmp_path, capsys):
    """The NetCDF file of a run on a weather file said weather_seed = 0 beside its weather_source,
    as if the year were generated year 0; a sweep's file the same."""
    from twin.engine.config import Scenario, WeatherSource
    from twin.studies.sweep import run_sweep

    real = str(epw_path("qingyang"))
    q = ["--site", "qingyang", "--cooling", "free_air"]
    assert cli.main(["run", *q, "--weather", real, "-o", str(tmp_path / "w.nc")]) == 0
    assert cli.main(["run", *q, "--seed", "3", "-o", str(tmp_path / "g.nc")]) == 0
    with xr.open_dataset(tmp_path / "w.nc") as w, xr.open_dataset(tmp_path / "g.nc") as g:
        assert w.attrs["weather_source"] == real and "weather_seed" not in w.attrs
        assert g.attrs["weather_source"] == "typical" and g.attrs["weather_seed"] == 3
    base = Scenario(sites=("qingyang",), weather=WeatherSource(source=real))
    ds = run_sweep(base, (("facility.utilisation", (0.5, 0.6)),), progress=False)
    assert ds.attrs["weather_source"] == real and "weather_seed" not in ds.attrs


def _column(out: str, name: str) -> str:
    """A column of the one-row Markdown KPI table."""
    rows = [[c.strip() for c in line.strip("|").split("|")] for line in out.splitlines() if line.startswith("|")]
    return rows[2][rows[0].index(name)]


def test_site_dir_overrides_a_built_in_site_in_run_and_compare(tmp_path, capsys):
    user = tmp_path / "sites"
    user.mkdir()
    text = (Path(cli.__file__).parents[1] / "sites" / "data" / "karamay.toml").read_text(encoding="utf-8")
    lines = [
        ("price_cny_per_kwh = 4.5" if line.startswith("price_cny_per_kwh") else line) for line in text.splitlines()
    ]
    (user / "karamay.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    base = ["run", "--site", "karamay", "--cooling", "spray", "--no-output", "--markdown"]
    compare = ["compare", "--sites", "karamay", "--cooling", "spray", "--no-output", "--markdown"]
    outs = []
    for argv in (base, ["--site-dir", str(user), *base], ["--site-dir", str(user), *compare]):
        assert cli.main(argv) == 0
        outs.append(float(_column(capsys.readouterr().out, "CNY/MWh IT").replace(",", "")))
    # tariff 0.45 → 4.5: energy cost ×10; the site's demand charge and subsidy do not scale with it
    assert outs[1] == outs[2] and 5 * outs[0] < outs[1] < 10.5 * outs[0]


def test_set_overrides_parameters_and_names_a_bad_key(capsys):
    args = ["run", "--site", "qingyang", "--cooling", "spray", "--no-output", "--markdown"]
    assert cli.main([*args, "--set", "facility.it_capacity_kw=50000", "--set", "green.pv.capacity_mw=150"]) == 0
    out = capsys.readouterr().out
    assert _column(out, "IT MWh") != "61,546" and "green annual" in out  # 50 MW IT, and a PV plant
    assert cli.main([*args, "--set", "facility.it_capacity_kw=5e4", "--set", "green.pv.capacity_mw=150.0"]) == 0
    assert capsys.readouterr().out == out
    for bad, message in [
        ("facility.nope=1", "unknown field 'nope'"),
        ("weather.seed=1.5", "weather.seed must be a whole number"),
        ("green.pv.capacity_mw=-1", "green.pv.capacity_mw = -1 is out of range"),
        ("nosuch.x=1", "'nosuch.x' is not a parameter"),
        ("facility.utilisation", "SECTION.NAME=VALUE"),
    ]:
        assert cli.main([*args, "--set", bad]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and message in err, err


# ----------------------------------------------------------------------------- every weather format drives a run
@pytest.fixture(scope="module")
def weather_files(tmp_path_factory):
    """A generated Qingyang year written in every format the readers take."""
    from tests.weather import writers

    d = tmp_path_factory.mktemp("formats")
    ds, meta = writers.generated_year("qingyang", 0)
    return {
        "epw": writers.write_epw(d / "q.epw", ds, meta),
        "tmy3": writers.write_tmy3(d / "q_tmy3.csv", ds, meta),
        "csv": writers.write_csv(d / "q.csv", ds),
        "netcdf": writers.write_era5(d / "q.nc", ds, meta),
        "pvgis": writers.write_pvgis_json(d / "q.json", ds, meta),
    }


@pytest.mark.parametrize("fmt", ["epw", "tmy3", "csv", "netcdf", "pvgis"])
def test_every_weather_format_drives_twin_run(fmt, weather_files, capsys, tmp_path):
    assert cli.main(["run", "--site", "qingyang", "--cooling", "spray", "--no-output"]) == 0
    generated = capsys.readouterr().out.splitlines()[2].split()[2]
    path = str(weather_files[fmt])
    assert cli.main(["run", "--site", "qingyang", "--cooling", "spray", "--weather", path, "--no-output"]) == 0
    pue = capsys.readouterr().out.splitlines()[2].split()[2]
    assert pue == generated  # the generated year written in every format gives its own PUE back
    sc = tmp_path / "s.toml"
    sc.write_text(f'site = "qingyang"\ndesign = "spray"\n[weather]\nsource = "{path}"\nformat = "{fmt}"\n')
    assert cli.main(["run", str(sc), "--no-output"]) == 0
    assert capsys.readouterr().out.splitlines()[2].split()[2] == generated


def test_weather_from_another_station_is_refused(weather_files, capsys):
    path = str(weather_files["epw"])
    assert cli.main(["run", "--site", "guian", "--cooling", "spray", "--weather", path, "--no-output"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "1,021 km and 197 m in height from site 'guian'" in err


def test_utc_offset_option_reads_every_format(weather_files, capsys):
    for fmt in ("epw", "tmy3", "netcdf", "pvgis"):
        assert cli.main(["weather", "--file", str(weather_files[fmt]), "--utc-offset", "8"]) == 0, fmt
    assert "8760 h" in capsys.readouterr().out


def test_saved_scenario_keeps_the_site_folder(tmp_path, monkeypatch, capsys):
    user = tmp_path / "sites"
    user.mkdir()
    text = (Path(cli.__file__).parents[1] / "sites" / "data" / "karamay.toml").read_text(encoding="utf-8")
    (user / "karamay.toml").write_text(
        text.replace("price_cny_per_kwh = 0.45", "price_cny_per_kwh = 4.5"), encoding="utf-8"
    )
    monkeypatch.chdir(tmp_path)
    args = ["run", "--site", "karamay", "--cooling", "spray", "--no-output", "--markdown"]
    assert cli.main(["--site-dir", "sites", *args, "--save", "s.toml"]) == 0
    direct = _column(capsys.readouterr().out, "CNY/MWh IT")
    monkeypatch.chdir(Path(cli.__file__).parents[1])  # elsewhere: the saved folder is absolute
    assert cli.main(["run", str(tmp_path / "s.toml"), "--no-output", "--markdown"]) == 0
    assert _column(capsys.readouterr().out, "CNY/MWh IT") == direct


def test_saved_scenario_finds_its_weather_file_from_any_folder(weather_files, tmp_path, monkeypatch, capsys):
    """``--weather`` given relative to the working folder is saved absolute: the saved file, read
    from its own folder's point of view, still finds the weather (a path in a scenario file is
    relative to the file)."""
    here = tmp_path / "work"
    (here / "deep" / "er").mkdir(parents=True)
    shutil.copy(weather_files["epw"], here / "station.epw")
    monkeypatch.chdir(here)
    args = ["run", "--site", "qingyang", "--cooling", "spray", "--no-output", "--markdown"]
    assert cli.main([*args, "--weather", "station.epw", "--save", "deep/er/s.toml"]) == 0
    direct = _column(capsys.readouterr().out, "PUE")
    monkeypatch.chdir(tmp_path)
    assert cli.main(["run", "work/deep/er/s.toml", "--no-output", "--markdown"]) == 0
    assert _column(capsys.readouterr().out, "PUE") == direct


def test_a_set_for_a_design_not_run_is_said_to_change_nothing(capsys):
    args = ["run", "--site", "qingyang", "--cooling", "free_air", "--no-output"]
    assert cli.main([*args, "--set", "cooling.chilled_water.t_chw_supply=10"]) == 0
    err = capsys.readouterr().err
    assert "twin: warning: --set cooling.chilled_water.t_chw_supply=10: chilled_water is not among" in err
    assert cli.main([*args, "--set", "cooling.free_air.t_supply_max=30"]) == 0
    assert "warning" not in capsys.readouterr().err


def test_compare_takes_weather_as_run_does(weather_files, tmp_path, capsys):
    path = str(weather_files["epw"])
    run = ["run", "--site", "qingyang", "--cooling", "spray", "--no-output", "--markdown"]
    compare = ["compare", "--sites", "qingyang", "--cooling", "spray", "--no-output", "--markdown"]

    def row(out: str) -> str:
        return next(line for line in out.splitlines() if line.startswith("| qingyang"))

    assert cli.main([*compare, "--seed", "4"]) == 0
    generated = row(capsys.readouterr().out)
    assert cli.main([*compare, "--seed", "4", "--weather", path]) == 2  # a seed beside a file is refused
    assert "--seed 4 picks a generated typical year" in capsys.readouterr().err
    for extra in (["--weather", path], ["--weather", path, "--weather-format", "epw", "--bad-records", "refuse"]):
        assert cli.main([*run, *extra]) == 0
        want = row(capsys.readouterr().out)
        assert cli.main([*compare, *extra]) == 0
        assert row(capsys.readouterr().out) == want
    assert want != generated  # seed 4's generated year is not the file's (seed 0's) year
    bad = tmp_path / "bad.epw"
    bad.write_text("LOCATION,nowhere\n")
    for argv in (run, compare):
        assert cli.main([*argv, "--weather", str(bad)]) == 2
    errs = capsys.readouterr().err.splitlines()
    assert len(errs) == 2 and errs[0] == errs[1] and errs[0].startswith("twin: error:")
    with pytest.raises(SystemExit) as exit_:
        cli.main([*compare, "--weather", path, "--weather-format", "nosuch"])
    assert exit_.value.code == 2 and "--weather-format" in capsys.readouterr().err


def test_weather_file_options_without_a_weather_file_are_refused(capsys, tmp_path):
    """--weather-format / --bad-records read a file: over the generated year they would change nothing."""
    run = ["run", "--site", "qingyang", "--cooling", "spray", "--no-output"]
    compare = ["compare", "--sites", "qingyang", "--cooling", "spray", "--no-output"]
    for argv in (run, compare):
        for extra in (["--weather-format", "epw"], ["--bad-records", "refuse"]):
            assert cli.main([*argv, *extra]) == 2
            err = capsys.readouterr().err
            assert err.count("\n") == 1 and f"twin: error: {extra[0]} {extra[1]}: there is no weather file" in err
    scenario = tmp_path / "s.toml"  # a scenario's own file: the options apply to it (read, then refused here)
    scenario.write_text('sites = ["qingyang"]\ndesigns = ["spray"]\n[weather]\nsource = "missing.epw"\n')
    assert cli.main(["run", str(scenario), "--no-output", "--weather-format", "epw"]) == 2
    assert "no weather file" not in capsys.readouterr().err


@pytest.mark.parametrize(
    ("extra", "shown"),
    [
        (["--utc-offset", "-5"], "--utc-offset -5.0"),
        (["--bad-records", "refuse"], "--bad-records refuse"),
        (["--bad-records", "repair"], "--bad-records repair"),
        (["--no-repair"], "--no-repair"),
    ],
)
def test_twin_weather_refuses_a_files_options_over_a_generated_year(extra, shown, capsys):
    """`twin weather --site X` with an option of a file (--utc-offset, --bad-records, --no-repair) changed
    nothing and said nothing; it is refused in one line."""
    assert cli.main(["weather", "--site", "karamay", *extra]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"twin: error: {shown} applies to a weather file read with --file" in err


def test_a_scenario_saved_with_a_seed_beside_its_file_says_how_to_mend_it(tmp_path, capsys):
    """Earlier versions' --save wrote the generated year's seed beside a file source: the refusal says so."""
    old = tmp_path / "old.toml"
    old.write_text('sites = ["qingyang"]\ndesigns = ["spray"]\n[weather]\nsource = "x.epw"\nseed = 3\n')
    assert cli.main(["run", str(old), "--no-output"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "weather.seed = 3 picks a generated typical year" in err
    assert "delete that line" in err


@pytest.mark.parametrize(
    ("args", "message", "help_of"),
    [
        (["run", "--bogus"], "unrecognized arguments: --bogus", "twin run"),
        (["sweep", "--grid"], "argument --grid: expected one argument", "twin sweep"),
        (["report"], "the following arguments are required: scenario, -o/--output", "twin report"),
        (["size", "--site", "qingyang"], "the following arguments are required: --target", "twin size"),
        (["run", "--cooling", "ice"], "argument --cooling: invalid choice: 'ice'", "twin run"),
        (
            ["ensemble", "--seeds", "x"],
            "argument --seeds: 'x' is not a whole number; allowed 1 … 1,000",
            "twin ensemble",
        ),
        (["weather", "--site", "karamay", "extra"], "unrecognized arguments: extra", "twin weather"),
        (["frobnicate"], "argument COMMAND: invalid choice: 'frobnicate'", "twin"),
        (["--bogus"], "unrecognized arguments: --bogus", "twin"),
        (["run", "--site-dir", "x"], "--site-dir is an option of twin itself, not of run: give it before", "twin"),
        (["sweep", "--site-dir=x"], "--site-dir is an option of twin itself, not of sweep: give it before", "twin"),
        (
            ["compare", "--sit", "karamay"],
            "unrecognized arguments: --sit (options are written in full, not abbreviated: --site or --sites or "
            "--site-dir (an option of twin itself: give it before the command))",
            "twin compare",
        ),
        (
            ["size", "--t", "hourly:0.8"],
            "unrecognized arguments: --t (options are written in full, not abbreviated: --target or --time-limit)",
            "twin size",
        ),
        (
            ["compare", "--weater", "w.epw"],
            "unrecognized arguments: --weater (did you mean --weather?)",
            "twin compare",
        ),
        (
            ["--site-d", "x", "run"],
            "unrecognized arguments: --site-d (options are written in full, not abbreviated: --site-dir)",
            "twin",
        ),
        (
            ["--site", "karamay", "run"],
            "--site is an option of run, not of twin: give it after the command",
            "twin run",
        ),
        (
            ["--site", "karamay"],
            "--site is an option of weather, run, compare, size, sweep, ensemble; no command was given: a command "
            "comes first, then its options (twin COMMAND --site …); commands: sites, weather, run,",
            "twin",
        ),
        (
            ["--weather", "x.epw"],
            "--weather is an option of run, compare, size; no command was given: a command comes first",
            "twin",
        ),
        (
            ["--seed", "3"],
            "--seed is an option of weather, run, compare, size, sweep; no command was given: a command comes first",
            "twin",
        ),
        (
            ["--force", "x"],
            "--force is an option of weather, run, compare, report, size, sweep, ensemble; 'x' is not a command",
            "twin",
        ),
        (
            ["run", "--site-di", "x"],
            "unrecognized arguments: --site-di (options are written in full, not abbreviated: --site-dir (an option "
            "of twin itself: give it before the command))",
            "twin run",
        ),
        (
            ["--sit", "karamay", "run"],
            "unrecognized arguments: --sit (options are written in full, not abbreviated: --site-dir or --site (an "
            "option of run: give it after the command))",
            "twin",
        ),
        (["dash", "--port", "http"], "argument --port: 'http' is not a whole number; allowed 1 … 65535", "twin dash"),
        (["dash", "--port", "0"], "argument --port: 0 is outside 1 … 65535", "twin dash"),
        (["run", "--seed", "3000000000"], "argument --seed: 3000000000 is outside 0 … 2,147,483,647", "twin run"),
    ],
)
def test_argument_errors_name_the_help_of_their_command(args, message, help_of, capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(args)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"twin: error: {message}")
    assert err.endswith(f"(see '{help_of} --help')\n")


def _long_options(parser):
    return sorted(o for o in parser._option_string_actions if o.startswith("--") and o != "--help")


@pytest.mark.parametrize("command", [None, *cli._subparsers_of(cli.build_parser())])
def test_no_option_of_any_command_is_taken_abbreviated(command, capsys):
    """Options are written in full: a script's ``--co`` must not change meaning when a release
    adds an option beginning the same way. Every long option of every command, cut by one
    letter, is one error line naming the option(s) it begins, exit status 2, before any work."""
    parser = cli.build_parser(command)
    if command is not None:
        parser = cli._subparsers_of(parser)[command]
    for option in _long_options(parser):
        cut = option[:-1]
        if cut in parser._option_string_actions:  # e.g. --site beside --sites: a full option itself
            continue
        argv = [cut, "x", "sites"] if command is None else [command, cut, "x"]
        with pytest.raises(SystemExit) as exc:
            cli.main(argv)
        assert exc.value.code == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and err.startswith(
            f"twin: error: unrecognized arguments: {cut} (options are written"
        )
        assert option in err, err


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--csv", "/dev/null"], "--csv /dev/null is not a regular file"),
        (["-o", "{tmp}/nodir/r.nc"], "-o {tmp}/nodir/r.nc: directory {tmp}/nodir does not exist"),
        (["--save", "{tmp}"], "--save {tmp} is a directory"),
        (["--out-dir", "{tmp}/taken/qingyang-spray.nc"], "--out-dir {tmp}/taken/qingyang-spray.nc: cannot create"),
    ],
)
def test_an_output_error_names_the_option_of_the_path(extra, message, tmp_path, capsys):
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "qingyang-spray.nc").write_text("mine")
    argv = ["run", "--site", "qingyang", "--cooling", "spray", *(a.format(tmp=tmp_path) for a in extra)]
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"twin: error: {message.format(tmp=tmp_path)}")
    assert (tmp_path / "taken" / "qingyang-spray.nc").read_text() == "mine"


def test_study_output_errors_name_the_option(tmp_path, capsys):
    study = ["--site", "qingyang", "--cooling", "spray"]
    for command in (["sweep", *study], ["ensemble", *study, "--seeds", "1"]):
        assert cli.main([*command, "-o", str(tmp_path / "no" / "s.nc")]) == 2
        assert (
            capsys.readouterr().err == f"twin: error: -o {tmp_path}/no/s.nc: directory {tmp_path}/no does not exist\n"
        )


def test_parameter_bounds_are_written_in_full(capsys):
    """2^31 - 1 as 2,147,483,647, never 2.14748e+09 (twin.core.fmt.number, the one formatter); the
    value given as it was typed."""
    quick = ["run", "--site", "qingyang", "--cooling", "spray", "--no-output"]
    assert cli.main([*quick, "--set", "weather.seed=99999999999"]) == 2
    assert "weather.seed = 99999999999 is out of range; allowed 0 … 2,147,483,647\n" in capsys.readouterr().err
    assert cli.main([*quick, "--set", "facility.it_capacity_kw=1e12"]) == 2
    assert "it_capacity_kw = 1e12 is out of range; allowed 0.1 … 10,000,000 kW, or racks and " in (
        capsys.readouterr().err
    )


@pytest.mark.parametrize(
    ("field", "typed"),
    [
        ("heat_reuse.demand_base_kw", "1e9"),
        ("heat_reuse.demand_base_kw", "2e7"),
        ("heat_reuse.demand_base_kw", "-1e3"),
        ("heat_reuse.demand_base_kw", "1.5E+07"),
        ("heat_reuse.demand_base_kw", "-1_000"),
        ("weather.seed", "-1_000"),
        ("weather.seed", "+3_000_000_000"),
        ("weather.seed", "0xffffffffff"),
    ],
)
def test_a_refused_number_is_repeated_as_typed_in_set_and_in_a_scenario_file(capsys, tmp_path, field, typed):
    """``--set heat_reuse.demand_base_kw=1e9`` was said as ``= 1000000000``, ``-1_000`` as ``-1000``:
    a number a user typed, in ``--set`` or in a scenario file (TOML), is repeated as typed."""
    section, name = field.rsplit(".", 1)
    quick = ["run", "--site", "karamay", "--cooling", "immersion_1p", "--no-output"]
    assert cli.main([*quick, "--set", f"{field}={typed}"]) == 2
    err = capsys.readouterr().err
    assert f"{field} = {typed} is out of range; allowed " in err and err.count("\n") == 1
    scenario = tmp_path / "s.toml"
    scenario.write_text(f'site = "karamay"\ndesign = "immersion_1p"\n[{section}]\n{name} = {typed}\n')
    if "_" in typed or typed.startswith(("+", "0x")):  # a TOML integer: tomllib keeps no text of it
        return
    assert cli.main(["run", str(scenario), "--no-output"]) == 2
    err = capsys.readouterr().err
    assert f"{field} = {typed} is out of range; allowed " in err and err.count("\n") == 1


def test_compare_takes_site_as_sweep_does_and_sites_as_its_alias(capsys):
    tables = []
    for option in ("--site", "--sites"):
        assert cli.main(["compare", option, "karamay", "guian", "--cooling", "spray", "--no-output"]) == 0
        tables.append(capsys.readouterr().out)
    assert tables[0] == tables[1] and "karamay" in tables[0] and "guian" in tables[0]
    assert cli.main(["compare", "--site", "karamay", "--sites", "guian", "--cooling", "spray", "--no-output"]) == 0
    assert capsys.readouterr().out == tables[0]  # both spellings given: the sites add up, none is dropped
    assert cli.main(["compare", "--cooling", "spray", "--no-output"]) == 0
    rows = [line.split()[0] for line in capsys.readouterr().out.splitlines() if " spray " in line]
    assert rows == list(cli.COMPARE_SITES)  # the default, not extended


def _several_designs_commands():
    """The commands whose --cooling takes one or more designs."""
    for name, parser in cli._subparsers_of(cli.build_parser()).items():
        action = parser._option_string_actions.get("--cooling")
        if action is not None and action.nargs == "+":
            yield name


def test_every_command_taking_several_designs_takes_all(monkeypatch, tmp_path, capsys):
    """``--cooling all`` is every design on each command that takes several (twin compare refused
    it while twin size took it), alone or beside named designs; twin compare runs all seven."""
    from twin.building.cooling import DESIGNS

    commands = list(_several_designs_commands())
    assert commands == ["compare", "size", "sweep", "ensemble"]
    for command in commands:
        parser = cli._subparsers_of(cli.build_parser())[command]
        extra = ["--target", "hourly:0.8"] if command == "size" else []
        assert parser.parse_args(["--site", "karamay", "--cooling", "all", *extra]).cooling == list(DESIGNS)
        assert parser.parse_args(["--site", "karamay", "--cooling", "spray", *extra]).cooling == ["spray"]
    with pytest.raises(SystemExit) as exc:
        cli.main(["compare", "--site", "karamay", "--cooling", "ice", "--no-output"])
    assert exc.value.code == 2
    assert "argument --cooling: invalid choice: 'ice'" in capsys.readouterr().err
    ran = []
    monkeypatch.setattr(cli, "_run_and_report", lambda sc, args, outputs: ran.append(sc.designs) or 0)
    assert cli.main(["compare", "--site", "karamay", "--cooling", "all", "--no-output"]) == 0
    assert ran == [tuple(DESIGNS)]
    capsys.readouterr()
    with pytest.raises(SystemExit) as exc:  # as `spray spray` is refused: nothing said twice silently
        cli.main(["compare", "--site", "karamay", "--cooling", "spray", "all", "--no-output"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert (
        "--cooling spray all: all names every design already; give all alone or the designs without it (spray)" in err
    )
    assert err.count("\n") == 1


def test_a_set_key_given_twice_is_refused(capsys):
    args = ["run", "--site", "qingyang", "--cooling", "spray", "--no-output"]
    assert cli.main([*args, "--set", "facility.utilisation=0.5", "--set", "facility.utilisation=0.6"]) == 2
    err = capsys.readouterr().err
    assert err == "twin: error: --set facility.utilisation is given twice (0.5 and 0.6); give it once\n"


@pytest.mark.parametrize(
    ("argv", "extra"),
    [
        (["run", "--site", "karamay", "guian", "--cooling", "spray"], "guian"),
        (["run", "--site", "karamay", "--cooling", "free_air", "spray"], "spray"),
        (["size", "--site", "qingyang", "guian", "--cooling", "free_air", "--target", "hourly:0.8"], "guian"),
    ],
)
def test_run_with_two_sites_or_designs_says_run_takes_one(argv, extra, tmp_path, capsys, monkeypatch):
    """A second site or design lands in the scenario-file argument: the message names the word
    read as a file, not a site list the user may not have given (twin size said "give a scenario
    file or --site, not both (the scenario file: guian)")."""
    monkeypatch.chdir(tmp_path)
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith(
        f"twin: error: {extra!r} was read as a scenario file, and there is none: twin {argv[0]} takes one site"
    )
    assert "twin compare and twin sweep take several" in err and list(tmp_path.iterdir()) == []


_Q = ["--site", "qingyang", "--cooling", "free_air"]


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["run", *_Q, "-o", "y.csv"], "-o y.csv: the name ends in .csv, a CSV file's, and -o writes a NetCDF file"),
        (["run", *_Q, "-o", "y.csv"], "; for a CSV file give --csv y.csv"),
        (["compare", *_Q, "-o", "y.txt"], "for a CSV file give --csv y.txt"),
        (["sweep", *_Q, "--grid", "facility.utilisation=0.3,0.5", "-o", "s.txt"], "twin sweep writes no CSV file"),
        (["ensemble", *_Q, "--seeds", "2", "-o", "e.csv"], "twin ensemble writes no CSV file"),
        (["size", "--site", "qingyang", "--target", "hourly:0.8", "-o", "z.csv"], "twin size writes no CSV file"),
        (["weather", "--site", "qingyang", "-o", "w.csv"], "for a CSV file give --csv w.csv"),
        (
            ["run", *_Q, "-o", "y"],
            "-o y: the name has no suffix, and -o writes a NetCDF file (.nc, .nc4, .cdf, .netcdf)",
        ),
        (["run", *_Q, "-o", "y.h5"], "-o y.h5: the name ends in .h5, the suffix of no format written here"),
        (["run", *_Q, "--csv", "y.nc", "--no-output"], "--csv y.nc: the name ends in .nc, a NetCDF file's"),
        (
            ["run", *_Q, "--save", "s.nc", "--no-output"],
            "--save s.nc: the name ends in .nc, a NetCDF file's, and --save",
        ),
        (["report", "k.toml", "-o", "r.nc"], "-o writes an HTML file (.html, .htm); twin report writes no NetCDF file"),
    ],
)
def test_an_output_named_for_another_format_is_refused(argv, said, tmp_path, capsys, monkeypatch):
    """-o y.csv wrote a NetCDF (HDF5) file named y.csv and said "wrote y.csv"."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "k.toml").write_text('sites = ["karamay"]\n')
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("twin: error: ") and said in err and err.count("\n") == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["k.toml"]


def test_a_name_that_is_only_a_suffix_is_that_suffix(tmp_path, capsys, monkeypatch):
    """`-o .nc` said "the name has no suffix" (pathlib sees none in a leading-dot name)."""
    monkeypatch.chdir(tmp_path)
    assert cli.main(["run", *_Q, "-o", ".csv"]) == 2
    assert "-o .csv: the name ends in .csv, a CSV file's" in capsys.readouterr().err
    assert cli.main(["run", *_Q, "-o", ".nc"]) == 0
    assert (tmp_path / ".nc").read_bytes()[:4] == b"\x89HDF"


def test_a_checkpoint_of_a_name_without_suffix_says_how_to_resume(tmp_path, capsys, monkeypatch):
    """A study interrupted as `-o big` before output names needed a suffix left big.checkpoint/,
    which `-o big` can no longer reach: the refusal says how to resume it (the checkpoint holds no
    output name, so a renamed one resumes)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "big.checkpoint").mkdir()
    assert cli.main(["sweep", *_Q, "--grid", "facility.utilisation=0.3,0.5", "-o", "big"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "to resume the study whose checkpoint big.checkpoint/ is there, rename it big.nc.checkpoint" in err


def test_a_dashboard_upload_label_outside_the_dashboard_says_what_it_is(tmp_path, capsys):
    """A scenario saved from the dashboard's editor names its weather `upload:mine.epw`; `twin run`
    said only "no such weather file"."""
    (tmp_path / "s.toml").write_text('sites = ["yinchuan"]\n[weather]\nsource = "upload:mine.epw"\n')
    assert cli.main(["run", str(tmp_path / "s.toml"), "--no-output"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no such weather file" in err
    assert "'upload:mine.epw' is how the dashboard's Scenario editor names an uploaded file" in err


def test_an_output_suffix_of_its_format_is_taken_in_any_case(tmp_path, capsys):
    assert cli.main(["run", *_Q, "-o", str(tmp_path / "y.NC"), "--csv", str(tmp_path / "y.txt")]) == 0
    assert (tmp_path / "y.NC").read_bytes()[:4] == b"\x89HDF" and (tmp_path / "y.txt").read_text().startswith("time")


def test_csv_headers_carry_the_units_and_currency_the_netcdf_has(tmp_path, capsys):
    """A money column keeps its currency (price [CNY kW-1 h-1]), read from the attributes the
    NetCDF file holds (twin.core.io.units_text); a label column has no empty brackets."""
    from twin.core.io import units_text

    nc, csv = tmp_path / "g.nc", tmp_path / "g.csv"
    scenario = Path(cli.__file__).parents[1] / "examples" / "yinchuan_minning_green.toml"
    assert cli.main(["run", str(scenario), "-o", str(nc), "--csv", str(csv)]) == 0
    capsys.readouterr()
    header = csv.read_text().splitlines()[0].split(",")
    assert "price [CNY kW-1 h-1]" in header and "capex [CNY]" in header and "p_it [kW]" in header
    assert "site" in header and not any(h.endswith("[]") for h in header)
    with xr.open_dataset(nc, engine="h5netcdf") as ds:
        money = [v for v in ds.data_vars if "currency" in ds[v].attrs]
        assert "price" in money
        for name in ds.data_vars:
            units = units_text(ds[name].attrs)
            assert (f"{name} [{units}]" if units else name) in header, name


@pytest.mark.parametrize(
    ("option", "value", "field"),
    [
        ("--pv-max-mw", "-5", "pv_max_mw"),
        ("--rep-days", "-4", "representative_days"),
        ("--clean-share", "2", "grid_clean_share"),
    ],
)
def test_a_bad_size_option_names_the_option(option, value, field, capsys):
    args = ["size", "--site", "qingyang", "--cooling", "free_air", "--target", "hourly:0.8", option, value]
    assert cli.main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"twin: error: {option} (size.{field}) = {value} is out of range") and err.count("\n") == 1


@pytest.mark.parametrize("value", ["-1,0,1", "-1:1:0.5", "-0.5", "-.5,0", "-1e-3"])
def test_a_value_that_begins_with_a_minus_and_a_digit_is_a_value(value):
    """``--warming -1,0,1`` (argparse took a list starting with a negative number for an option:
    ``expected one argument``); no option of twin's begins with '-' and a digit."""
    argv = ["ensemble", "--site", "qingyang", "--cooling", "free_air", "--warming", value]
    assert cli.build_parser("ensemble").parse_args(argv).warming == value
    if "," not in value and ":" not in value:  # a number: --utc-offset takes it too
        argv = ["weather", "--file", "q.epw", "--utc-offset", value]
        assert cli.build_parser("weather").parse_args(argv).utc_offset == float(value)
    for parser in (cli.build_parser(), *cli._subparsers_of(cli.build_parser()).values()):
        assert not any(cli._NEGATIVE_VALUE.match(o) for o in parser._option_string_actions)


def test_an_ensemble_over_a_cooler_climate_reads_its_negative_warming(tmp_path, capsys):
    out = tmp_path / "e.nc"
    args = ["ensemble", "--site", "qingyang", "--cooling", "free_air", "--seeds", "1", "-o", str(out)]
    assert cli.main([*args, "--warming", "-1,0"]) == 0
    ds = xr.open_dataset(out, engine="h5netcdf")
    assert ds["warming"].values.tolist() == [-1.0, 0.0]
    ds.close()


class _InterruptInFinaliser:
    """An object whose finaliser receives a Ctrl-C: Python reports and drops the KeyboardInterrupt."""

    def __del__(self) -> None:
        import os
        import signal
        import time

        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.2)  # the handler runs here, inside the finaliser


class _Server:
    closed = False

    def close(self) -> None:
        self.closed = True


@pytest.mark.parametrize("where", ["create_app", "bind", "study"])
def test_a_ctrl_c_lost_in_a_finaliser_stops_twin_dash_before_it_serves(monkeypatch, capsys, where):
    """A Ctrl-C whose KeyboardInterrupt Python drops (it arrived in a finaliser) while the app is
    built, its port bound or the study printed still stops `twin dash` before it serves, the bound
    port closed (make run kept serving: tests/test_make_run.py; the app's building and the bind were
    outside the handler's reach)."""
    import signal
    import sys

    import dashboards.app as app_mod

    before = signal.getsignal(signal.SIGINT)  # default_int_handler, or SIG_IGN when started in the background
    dropped: list[type] = []
    served: list[int] = []
    server = _Server()

    def finalised_interrupt(step):
        if step == where:
            x = _InterruptInFinaliser()
            del x

    monkeypatch.setattr(sys, "unraisablehook", lambda u: dropped.append(u.exc_type))
    monkeypatch.setattr(app_mod, "create_app", lambda d: finalised_interrupt("create_app"))
    monkeypatch.setattr(app_mod, "bind", lambda app, host, port: finalised_interrupt("bind") or server)
    monkeypatch.setattr(app_mod, "serve", lambda *a, **k: served.append(1))
    monkeypatch.setattr(cli, "_study_tables", lambda sc, args: finalised_interrupt("study"))
    assert cli.main(["dash", "--port", "8123"]) == 130
    assert dropped == [KeyboardInterrupt] and served == [] and server.closed
    assert "twin: interrupted" in capsys.readouterr().err
    assert signal.getsignal(signal.SIGINT) is before


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("50", "--warming '50': 50 K is outside -10 … 10 K"),
        ("0,50", "--warming '0,50': value 50 K is outside -10 … 10 K"),
        ("0:50:10", "--warming '0:50:10': value 20 K is outside -10 … 10 K"),
        ("nan", "--warming 'nan': 'nan' is not a finite number; allowed -10 … 10 K"),
        ("1e400", "--warming '1e400': '1e400' is not a finite number; allowed -10 … 10 K"),
        ("x", "--warming 'x': 'x' is not a number; allowed -10 … 10 K"),
    ],
)
def test_an_implausible_warming_names_the_option_the_value_and_the_range(value, message, capsys):
    """``--warming 50`` said ``--warming = [50.0]: need distinct values within -10 … 10 K``: the list
    as floats, not the value as typed nor which one was outside; the option is named once, and a
    single value as typed (``1e400``, not the ``inf`` it overflows to)."""
    args = ["ensemble", "--site", "qingyang", "--cooling", "free_air", "--seeds", "1", "--warming", value]
    assert cli.main(args) == 2
    assert capsys.readouterr().err == f"twin: error: {message}\n"


def test_weather_validate_prints_the_hours_near_saturation(tmp_path, capsys):
    """The RH ≥ 99 % and ≥ 95 % hour counts (weather.validation.near_saturation_hours) beside the
    threshold counts: generated mean ± SD / the real file's, ✗ outside the tolerance."""
    import weather
    from weather.validation import near_saturation_hours

    shutil.copy(epw_path("qingyang"), tmp_path)
    assert cli.main(["weather-validate", "--dir", str(tmp_path), "--seeds", "1"]) == 0
    header, _, row = capsys.readouterr().out.splitlines()[:3]
    assert header.split()[-10:] == "h RH ≥ 99 % h RH ≥ 95 %".split()
    real = near_saturation_hours(weather.read_epw(epw_path("qingyang"))[0])
    cells = [c.strip() for c in row.split("  ") if c.strip()][-2:]
    assert [c.split(" / ")[1].split()[0] for c in cells] == [str(real["rh>=99"]), str(real["rh>=95"])]
    assert all(c.split(" / ")[0].partition("±")[2].isdigit() for c in cells)


def test_each_warning_is_one_line_once_per_command(tmp_path, capsys):
    """The one policy (``cli._Warnings``): a weather file's repair and a site file's field beyond
    the generator's bound were dropped by run, weather, sweep and ensemble; each is said once, as
    one ``twin: warning:`` line, however many years or blocks raise it; a command that ends in an
    error prints its one error line only."""
    lines = epw_path("qingyang").read_text(encoding="latin-1").split("\n")
    row = lines[100].split(",")
    row[6] = "99.9"  # t_db missing for an hour: interpolated, with a WeatherWarning
    lines[100] = ",".join(row)
    gap = tmp_path / "gap.epw"
    gap.write_text("\n".join(lines), encoding="latin-1")
    assert (
        cli.main(
            ["compare", "--site", "qingyang", "--cooling", "free_air", "spray", "--weather", str(gap), "--no-output"]
        )
        == 0
    )
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 2  # the gap, and the file's flagged records (the real file's own), once each
    assert err[0] == f"twin: warning: {gap}: t_db: 1 h gap from 2021-01-04 20:00:00 interpolated linearly"
    assert err[1].startswith(f"twin: warning: {gap}: flagged records (dew point above the dry bulb")
    assert cli.main(["weather", "--file", str(gap)]) == 0  # the report's note says it: not warned again
    out, err = capsys.readouterr()
    assert "note: t_db: 1 h gap from 2021-01-04 20:00:00 interpolated linearly" in out and err == ""

    sites_dir = tmp_path / "sites"
    sites_dir.mkdir()
    text = (Path(cli.__file__).parents[1] / "sites" / "data" / "karamay.toml").read_text(encoding="utf-8")
    (sites_dir / "kone.toml").write_text(text.replace('key = "karamay"', 'key = "kone"'), "utf-8")
    args = ["--site-dir", str(sites_dir), "ensemble", "--site", "kone", "--cooling", "spray", "--seeds", "2"]
    assert cli.main([*args, "-o", str(tmp_path / "e.nc")]) == 0
    err = [x for x in capsys.readouterr().err.splitlines() if x.startswith("twin: warning:")]
    assert err == [
        f"twin: warning: {sites_dir / 'kone.toml'}: variability.t_peak_hour_sd_h up to 4.45 h (December): a generated "
        "year spreads the hour of the daily maximum by at most 3 h (weather.dataset.PEAK_HOUR_SD_BOUND), so the "
        "months beyond it get that"
    ]
    far = ["--site-dir", str(sites_dir), "run", "--site", "kone", "--cooling", "spray", "--no-output"]
    assert cli.main([*far, "--weather", str(epw_path("qingyang"))]) == 2  # the error is all of stderr
    err = capsys.readouterr().err
    assert err.startswith("twin: error: ") and "2,202 km" in err and err.count("\n") == 1


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--seed", "3", "--seed", "4"], "--seed is given twice (--seed 3 and --seed 4); give it once"),
        (
            ["--preset", "legacy", "--preset", "best_practice"],
            "--preset is given twice (--preset legacy and --preset best_practice); give it once",
        ),
        (["-o", "a.nc", "--output=b.nc"], "--output is given twice (-o a.nc and --output b.nc); give it once"),
    ],
)
def test_an_option_of_one_value_given_twice_is_refused(argv, message, capsys):
    """argparse kept the last value silently (a run of seed 4 for ``--seed 3 --seed 4``); a repeated
    ``--set`` was already refused, options that add up (``--site A --sites B`` of compare) still do."""
    with pytest.raises(SystemExit) as exit_:
        cli.main(["run", "--site", "karamay", "--cooling", "spray", "--no-output", *argv])
    assert exit_.value.code == 2
    assert capsys.readouterr().err == f"twin: error: {message} (see 'twin run --help')\n"


def test_options_that_add_up_may_be_repeated(capsys):
    assert cli.main(["compare", "--site", "karamay", "--sites", "guian", "--cooling", "spray", "--no-output"]) == 0
    assert "guian" in capsys.readouterr().out


def test_a_weather_file_option_of_the_other_command_is_named(capsys):
    """``twin weather`` reads a file with --file, run with --weather: each names the other."""
    for argv, meant in (
        (["run", "--site", "karamay", "--file", "x.epw"], "--weather"),
        (["weather", "--weather", "x.epw"], "--file"),
    ):
        with pytest.raises(SystemExit):
            cli.main(argv)
        assert f"unrecognized arguments: {argv[-2]} (did you mean {meant}?)" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("command", "instead"),
    [
        ("sweep", "twin sweep: its results are the study's file, which it always writes"),
        ("ensemble", "twin ensemble: its results are the study's file"),
        ("weather", "twin weather writes a file only with -o or --csv: leave them out"),
    ],
)
def test_no_output_of_another_command_is_said_so(command, instead, capsys):
    """``twin sweep … --no-output`` was answered "did you mean --output?" (the option that
    writes a file, the opposite of what was asked); it is an option of run and compare."""
    with pytest.raises(SystemExit):
        cli.main([command, "--site", "karamay", "--no-output"])
    err = capsys.readouterr().err
    assert "unrecognized arguments: --no-output (--no-output is an option of run and compare; " in err
    assert instead in err and "did you mean" not in err


@pytest.mark.parametrize(
    ("argv", "hint"),
    [
        (["run", "--seeds", "3"], "(did you mean --seed?)"),
        (
            ["run", "--storage-mwh", "5"],
            "(--storage-mwh is an option of size; twin run sets it with --set green.storage.energy_mwh=…)",
        ),
        (["compare", "--storage-mw", "5"], "(--storage-mw is an option of size; twin compare sets it with --set "),
        (["run", "--pv-max-mw", "5"], "(--pv-max-mw is an option of size)"),
    ],
)
def test_a_typo_keeps_its_close_option_and_a_rating_names_its_set_key(argv, hint, capsys):
    """``twin run --seeds 3`` was told "--seeds is an option of ensemble and weather-validate"
    (the close --seed of run itself was no longer said), and ``--storage-mwh`` named only size."""
    with pytest.raises(SystemExit) as exit_:
        cli.main(argv)
    assert exit_.value.code == 2
    assert f"unrecognized arguments: {argv[1]} {hint}" in capsys.readouterr().err


def test_an_idle_store_is_said_as_the_green_page_says_it(capsys):
    """200 MWh at 0 MW with no PV or wind ran silently and was paid for (CNY/MWh compute +27 %);
    the Green page said so. One ``twin: warning:`` line per distinct idle store, from the same
    function (:func:`twin.money.economics.idle_storage`), and none for a store that works."""
    from dashboards import views
    from twin import Scenario

    quick = ["run", "--site", "karamay", "--cooling", "free_air", "--no-output"]
    assert cli.main([*quick, "--set", "green.storage.energy_mwh=200"]) == 0
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("twin: warning: Storage of 200 MWh at 0 MW can neither")
    case = Scenario.from_dict(
        {"sites": ["karamay"], "designs": ["free_air"], "green": {"storage": {"energy_mwh": 200}}}
    ).cases()[0]
    note = views.idle_storage_note(case.storage, case.economics).children
    chart = views.no_green_text(case.storage, case.economics).removesuffix(
        " Add PV or wind on the Scenario page or with the sliders."
    )
    assert lines[0] == f"twin: warning: {note} {chart}" and "its cost is counted" in note
    assert cli.main([*quick, "--set", "green.storage.energy_mwh=200", "--set", "green.storage.power_mw=100"]) == 0
    assert capsys.readouterr().err == (
        "twin: warning: No green power flows in this case: it has no PV or wind, so its storage of 200 MWh "
        "at 100 MW is idle (nothing charges it).\n"
    )
    working = ["--set", "green.pv.capacity_mw=20", "--set", "green.storage.power_mw=5"]
    assert cli.main([*quick, *working, "--set", "green.storage.energy_mwh=20"]) == 0
    assert "warning" not in capsys.readouterr().err


def test_sweep_and_ensemble_warn_of_an_idle_store_as_run_does(capsys, tmp_path):
    """``twin sweep`` and ``twin ensemble`` ran a paid idle store without a word, where ``twin run``
    warns (one function for all three: :func:`twin.engine.simulate.idle_storage_warnings`);
    a swept store warns once for the values that idle it, and not for those that work."""
    quick = ["--site", "karamay", "--cooling", "free_air", "--set", "green.storage.energy_mwh=200"]
    assert cli.main(["run", *quick, "--no-output"]) == 0
    said = [line for line in capsys.readouterr().err.splitlines() if "Storage of 200 MWh" in line]
    assert len(said) == 1
    grid = ["--grid", "facility.utilisation=0.5,0.6"]
    assert cli.main(["sweep", *quick, *grid, "-o", str(tmp_path / "s.nc")]) == 0
    assert [line for line in capsys.readouterr().err.splitlines() if "warning" in line] == said
    assert cli.main(["ensemble", *quick, "--seeds", "2", "-o", str(tmp_path / "e.nc")]) == 0
    assert [line for line in capsys.readouterr().err.splitlines() if "warning" in line] == said
    pv = ["--set", "green.pv.capacity_mw=20", "--grid", "green.storage.power_mw=0,5"]
    assert cli.main(["sweep", *quick, *pv, "-o", str(tmp_path / "p.nc")]) == 0
    warned = [line for line in capsys.readouterr().err.splitlines() if "warning" in line]
    assert len(warned) == 1 and warned[0].startswith("twin: warning: Storage of 200 MWh at 0 MW can neither")
    (tmp_path / "cases.csv").write_text("green.storage.power_mw\n5\n0\n")
    assert (
        cli.main(
            [
                "sweep",
                *quick,
                "--set",
                "green.pv.capacity_mw=20",
                "--list",
                str(tmp_path / "cases.csv"),
                "-o",
                str(tmp_path / "l.nc"),
            ]
        )
        == 0
    )
    assert [line for line in capsys.readouterr().err.splitlines() if "warning" in line] == warned


def test_a_whole_number_option_given_a_fraction_names_its_range(capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["size", "--site", "karamay", "--cooling", "spray", "--target", "hourly:0.8", "--rep-days", "0.5"])
    assert exit_.value.code == 2
    assert "argument --rep-days: '0.5' is not a whole number; allowed 0 … 366" in capsys.readouterr().err


def test_warnings_from_many_threads_are_each_said_once(capsys):
    """The dashboard's request threads warn at once: a message is said once, none is lost."""
    import threading

    said = cli._Warnings()
    said.say(from_now=True)
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:

        def warn(k: int) -> None:
            for i in range(2000):
                said.show(f"thread {k} message {i}", UserWarning, "", 0)
                said.show(f"shared message {i}", UserWarning, "", 0)

        threads = [threading.Thread(target=warn, args=(k,)) for k in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(old)
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == len(set(lines)) == 8 * 2000 + 2000


def test_a_run_on_a_file_with_bad_records_says_so_in_one_warning_line(capsys):
    """The record checks' flags were listed by ``twin weather --file`` but a run on the same file
    said nothing: Xifeng's 39 h of dew point above the dry bulb now come as one warning line."""
    epw = epw_path("qingyang")
    assert cli.main(["run", "--site", "qingyang", "--cooling", "spray", "--weather", str(epw), "--no-output"]) == 0
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith(f"twin: warning: {epw}: flagged records (dew point above the dry bulb")
    assert "--bad-records refuse refuses the file" in err[0]


@pytest.mark.parametrize(
    ("argv", "files", "message"),
    [
        (
            [
                "sweep",
                "--site",
                "karamay",
                "karamay",
                "--cooling",
                "free_air",
                "--grid",
                "facility.utilisation=0.5,0.6",
            ],
            {},
            "sites = karamay, karamay: 'karamay' is repeated; give each site once",
        ),
        (
            ["compare", "--site", "karamay", "--cooling", "free_air", "free_air", "--no-output"],
            {},
            "designs = free_air, free_air: 'free_air' is repeated; give each design once",
        ),
        (
            ["run", "s.toml", "--no-output"],
            {"s.toml": 'sites = ["karamay", "karamay"]\ndesign = "free_air"\n'},
            "s.toml: sites = karamay, karamay: 'karamay' is repeated; give each site once",
        ),
        (
            ["sweep", "s.toml", "-o", "s.nc"],
            {"s.toml": 'site = "karamay"\ndesign = "free_air"\n[sweep]\n"facility.utilisation" = [0.5, 0.5]\n'},
            "s.toml: sweep.facility.utilisation: a value is repeated (0.5); give each value once",
        ),
        (
            ["sweep", "--site", "yinchuan", "Minning", "--cooling", "free_air", "--grid", "facility.utilisation=0.5"],
            {},
            "sites = yinchuan, Minning: 'yinchuan' and 'Minning' are the same site (yinchuan); give each site once",
        ),
        (
            ["compare", "--site", "Minning", "yinchuan", "--cooling", "free_air", "--no-output"],
            {},
            "sites = Minning, yinchuan: 'Minning' and 'yinchuan' are the same site (yinchuan); give each site once",
        ),
        (
            ["ensemble", "--site", "yinchuan", "Minning", "--cooling", "free_air", "--seeds", "2"],
            {},
            "sites = yinchuan, Minning: 'yinchuan' and 'Minning' are the same site (yinchuan); give each site once",
        ),
    ],
)
def test_a_repeated_site_design_or_swept_value_is_one_line(argv, files, message, tmp_path, monkeypatch, capsys):
    """A site, design or swept value given twice (also a site by key and by alias) ran with
    duplicate rows and NetCDF coordinates, exit 0; --grid refused it already: one check for all."""
    monkeypatch.chdir(tmp_path)
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    assert cli.main(argv) == 2
    assert capsys.readouterr().err == f"twin: error: {message}\n"
    assert not list(tmp_path.glob("*.nc*"))


@pytest.mark.parametrize("option", ["-o", "--csv", "--save"])
def test_an_output_ending_in_a_slash_names_a_folder(option, tmp_path, monkeypatch, capsys):
    """`twin run … -o newdir/` (no such folder) exited 0 and wrote a FILE named newdir."""
    from twin.core.io import check_output

    monkeypatch.chdir(tmp_path)
    argv = ["run", "--site", "karamay", "--cooling", "free_air", option, "newdir/"]
    assert cli.main([*argv, *([] if option == "-o" else ["--no-output"])]) == 2
    assert capsys.readouterr().err == (
        f"twin: error: {option} newdir/: a path ending in '/' names a folder; give a file name\n"
    )
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(OutputError, match=r"^newdir/: a path ending in '/' names a folder; give a file name$"):
        atomic_write("newdir/", lambda p: p.write_text("x"), force=True)
    (tmp_path / "newdir").mkdir()
    with pytest.raises(OutputError, match="names a folder"):
        check_output(str(tmp_path / "newdir") + "/", force=True)


SCENARIO_TOML = 'name = "k"\nsite = "karamay"\ndesign = "free_air"\n'


@pytest.mark.parametrize(
    ("argv", "names"),
    [
        (["run", "k.toml", "-o", "k.toml"], ("-o and the scenario file", "k.toml")),
        (["run", "k.toml", "-o", "./k.toml"], ("-o and the scenario file", "./k.toml")),
        (["run", "k.toml", "--save", "k.toml", "--no-output"], ("--save and the scenario file", "k.toml")),
        (["run", "k.toml", "--csv", "link.toml", "--no-output"], ("--csv and the scenario file", "link.toml")),
        (
            ["run", "--site", "qingyang", "--cooling", "free_air", "--weather", "q.epw", "--csv", "q.epw"],
            ("--csv and --weather", "q.epw"),
        ),
        (["run", "w.toml", "-o", "q.epw"], ("-o and weather.source", "q.epw")),
        (["compare", "--site", "qingyang", "--weather", "q.epw", "-o", "q.epw"], ("-o and --weather", "q.epw")),
        (["report", "k.toml", "-o", "k.toml"], ("-o and the scenario file", "k.toml")),
        (["weather", "--file", "q.epw", "--csv", "q.epw"], ("--csv and --file", "q.epw")),
        (["sweep", "k.toml", "-o", "k.toml"], ("-o and the scenario file", "k.toml")),
        (["sweep", "k.toml", "--list", "l.csv", "-o", "l.csv"], ("-o and --list", "l.csv")),
        (["ensemble", "k.toml", "--seeds", "1", "-o", "k.toml"], ("-o and the scenario file", "k.toml")),
        (["size", "k.toml", "--target", "hourly:0.5", "--save", "k.toml"], ("--save and the scenario file", "k.toml")),
        (["sweep", "s.nc.checkpoint/k.toml", "-o", "s.nc"], ("the scenario file", "s.nc.checkpoint", "-o s.nc")),
        (
            ["--site-dir", "my", "run", "--site", "mysite", "--cooling", "free_air", "--save", "my/mysite.toml"],
            ("--save and the site file of mysite", "my/mysite.toml"),
        ),
    ],
)
@pytest.mark.parametrize("force", [False, True])
def test_no_output_is_a_file_the_command_reads(argv, names, force, tmp_path, monkeypatch, capsys):
    """``--force`` replaced the scenario with NetCDF bytes, the weather file with CSV, the scenario
    with HTML (exit 0): an output that is an input is refused, with --force or without, before
    anything is written."""
    monkeypatch.chdir(tmp_path)
    for name in ("k.toml", "s.nc.checkpoint/k.toml"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text(SCENARIO_TOML)
    (tmp_path / "link.toml").symlink_to(tmp_path / "k.toml")
    shutil.copy(epw_path("qingyang"), tmp_path / "q.epw")
    (tmp_path / "w.toml").write_text(
        'name = "w"\nsite = "qingyang"\ndesign = "free_air"\n[weather]\nsource = "q.epw"\n'
    )
    (tmp_path / "l.csv").write_text("facility.utilisation\n0.5\n")
    (tmp_path / "my").mkdir()
    site = (Path(cli.__file__).parents[1] / "sites" / "data" / "qingyang.toml").read_text(encoding="utf-8")
    site = site.replace('key = "qingyang"', 'key = "mysite"').replace(
        'aliases = ["xifeng", "xifengzhen"]', "aliases = []"
    )
    (tmp_path / "my" / "mysite.toml").write_text(site, encoding="utf-8")
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    assert cli.main([*argv, *(["--force"] if force else [])]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("twin: error:"), err
    for word in names:
        assert word in err, err
    assert {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()} == before
    assert not (tmp_path / "out").exists() and not (tmp_path / "s.nc").exists()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--seed", "3", "--set", "weather.seed=4"], "--seed 3 and --set weather.seed=4 both set weather.seed"),
        (["--preset", "legacy", "--set", "preset=best_practice"], "--preset legacy and --set preset=best_practice"),
        (["--set", "preset=legacy", "--preset", "best_practice"], "--preset best_practice and --set preset=legacy"),
        (["--set", "site=guian"], "--site karamay and --set site=guian both set site"),
        (["--set", "designs=['spray']"], "--cooling free_air and --set designs=['spray'] both set designs"),
        (["--weather", "q.epw", "--set", "weather.source=typical"], "--weather q.epw and --set weather.source=typical"),
        (
            ["--weather", "q.epw", "--weather-format", "epw", "--set", "weather.format=csv"],
            "--weather-format epw and --set weather.format=csv",
        ),
        (
            ["--weather", "q.epw", "--bad-records", "refuse", "--set", "weather.bad_records=repair"],
            "--bad-records refuse and --set weather.bad_records=repair",
        ),
    ],
)
def test_an_option_and_a_set_of_the_same_key_with_other_values_are_refused(
    argv, message, tmp_path, monkeypatch, capsys
):
    """``--seed 3 --set weather.seed=4`` ran seed 4 and dropped --seed (exit 0); the preset of one
    of ``--preset`` and ``--set preset=`` was dropped too."""
    monkeypatch.chdir(tmp_path)
    shutil.copy(epw_path("karamay"), tmp_path / "q.epw")
    assert cli.main(["run", "--site", "karamay", "--cooling", "free_air", "--no-output", *argv]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("twin: error:") and message in err, err
    assert "give one of them (or the same value in both)" in err


@pytest.mark.parametrize(
    "argv",
    [
        ["run", "--site", "karamay", "--cooling", "free_air", "--seed", "3", "--set", "weather.seed=3"],
        ["run", "--site", "karamay", "--cooling", "free_air", "--preset", "legacy", "--set", "preset=legacy"],
        ["run", "--site", "karamay", "--cooling", "free_air", "--set", "sites=['karamay']", "--set", "design=free_air"],
        ["compare", "--site", "karamay", "--set", "design=spray"],  # --cooling not given: every design by default
    ],
)
def test_an_option_and_a_set_of_the_same_value_run(argv, capsys):
    assert cli.main([*argv, "--no-output"]) == 0, capsys.readouterr().err


def test_compare_and_sweep_refuse_an_option_and_a_set_of_the_same_key(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    argv = ["compare", "--site", "karamay", "--cooling", "free_air", "--no-output", "--set", "site=guian"]
    assert cli.main(argv) == 2
    assert "--site karamay and --set site=guian both set site" in capsys.readouterr().err
    argv = ["sweep", "--site", "karamay", "--cooling", "free_air", "--seed", "1", "--set", "weather.seed=2"]
    assert cli.main(argv) == 2
    assert "--seed 1 and --set weather.seed=2 both set weather.seed" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_the_table_aligns_wide_characters_by_their_display_width(capsys):
    """``twin sites``: a name with Chinese characters (two columns each in a terminal) pushed the
    columns after it out of line."""
    import unicodedata

    def width(text: str) -> int:
        return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)

    assert cli.main(["sites"]) == 0
    lines = capsys.readouterr().out.splitlines()[:-1]
    assert any(width(line) != len(line) for line in lines)  # the test sees wide characters
    assert len({width(line) for line in lines}) == 1
    assert cli._table([["北京", "1"], ["x", "22"]], ["名", "n"]).splitlines() == [
        "名     n",
        "----  --",
        "北京   1",
        "x     22",
    ]


def test_a_run_without_o_says_where_it_wrote(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert cli.main(["run", "--site", "karamay", "--cooling", "free_air"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == f"wrote {Path('out', 'karamay-free_air.nc')}"


# ----------------------------------------------------------------------------- fix14c: small CLI points
@pytest.mark.parametrize(
    "args",
    [
        ["run", "--site", "karamay", "--cooling", "free_air", "--csv", "-"],
        ["run", "--site", "karamay", "--cooling", "free_air", "-o", "-"],
        ["run", "--site", "karamay", "--cooling", "free_air", "--no-output", "--save", "-"],
        ["weather", "--site", "karamay", "--csv", "-"],
    ],
)
def test_a_dash_is_standard_output_which_takes_no_file(args, tmp_path, capsys, monkeypatch):
    """``-`` reads as standard output: refused in one line naming the option, never a file named '-'."""
    monkeypatch.chdir(tmp_path)
    assert cli.main([*args, "--markdown"] if args[0] == "run" else args) == 2
    err = capsys.readouterr().err
    option = args[args.index("-") - 1]
    assert err.count("\n") == 1 and f"{option} '-' (standard output) is not written to" in err
    assert "./-" in err and not (tmp_path / "-").exists()


@pytest.mark.parametrize(
    "args",
    [
        ["run", "--site", "", "--cooling", "free_air"],
        ["compare", "--site", "karamay", " ", "--cooling", "free_air"],
        ["sweep", "--site", "", "--cooling", "free_air"],
        ["size", "--site", "", "--cooling", "free_air", "--target", "hourly:0.8"],
        ["weather", "--site", ""],
    ],
)
def test_an_empty_site_is_named(args):
    r = run(*args)
    value = next(a for a in args if not a.strip())
    assert r.returncode == 2 and r.stderr.count("\n") == 1, r.stderr
    assert f"{value!r} is an empty site name; give a site key or name" in r.stderr


@pytest.mark.parametrize(
    ("line", "said"),
    [
        ('site = ""', "site = '': '' is an empty site name; give a site key or name (twin sites lists them)"),
        ('sites = ["karamay", " "]', "sites = ['karamay', ' ']: ' ' is an empty site name; give a site key"),
        ('design = ""', "design = '': '' is an empty design name; give one of free_air, chilled_water"),
    ],
)
def test_an_empty_site_or_design_in_a_scenario_file_is_named_with_the_file(tmp_path, line, said):
    """``site = ""`` said ``unknown site ''; known sites: …``, naming neither the file nor the field."""
    (tmp_path / "s.toml").write_text(line + "\n")
    r = run("run", str(tmp_path / "s.toml"), "--no-output")
    assert r.returncode == 2 and r.stderr.count("\n") == 1, r.stderr
    assert r.stderr == f"twin: error: {tmp_path / 's.toml'}: {said}" + r.stderr.partition(said)[2]


@pytest.mark.parametrize(
    ("target", "said"),
    [
        ("hourly:nan", "target hourly:nan: nan is not a finite number; give a share 0 … 1"),
        ("days:-inf", "target days:-inf: -inf is not a finite number; give a number of days 0 … 366"),
        (
            "cfe:1e400",
            "target cfe:1e400: 1e400 (beyond ±1.8e308, the largest number) is not a finite number; give a share 0 … 1",
        ),
    ],
)
def test_a_target_that_is_not_finite_says_so(target, said, capsys):
    assert cli.main(["size", "--site", "qingyang", "--cooling", "free_air", "--target", target]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and said in err


HEADS = ("CNY/MWh compute", "CNY/MWh IT")


def test_the_run_table_ranks_designs_by_cost_per_unit_of_compute(capsys):
    """Karamay, free air against spray with the Minning green base: per MWh IT spray looks dearer,
    per unit of compute it is cheaper, as its total cost is; both columns are printed, with a note
    saying which one ranks designs."""
    args = ["compare", "--site", "karamay", "--cooling", "free_air", "spray", "--no-output", "--markdown"]
    green = ["--set", "green.pv.capacity_mw=150", "--set", "green.wind.capacity_mw=100"]
    assert cli.main([*args, *green, "--set", "green.storage.preset=minning"]) == 0
    out = capsys.readouterr().out
    rows = [[c.strip() for c in line.strip("|").split("|")] for line in out.splitlines() if line.startswith("|")]
    assert [r[1] for r in rows[2:]] == ["free_air", "spray"]
    per_compute, per_it = ([float(r[rows[0].index(h)].replace(",", "")) for r in rows[2:]] for h in HEADS)
    assert per_compute[1] < per_compute[0] and per_it[1] > per_it[0]
    assert "CNY/MWh compute = energy cost incl. green plant per nominal-server MWh of work: rank designs by it" in out


@pytest.mark.parametrize(
    "argv",
    [
        ["run", "--site", "nowhere", "--cooling", "free_air"],
        ["run", "--site", "qingyang", "--cooling", "spray", "--weather", "bad.epw"],
        ["compare", "--site", "qingyang", "--cooling", "spray", "--weather", "bad.epw"],
        ["sweep", "--site", "qingyang", "--cooling", "spray", "--grid", "facility.utilisation=0.5,2"],
        [
            "sweep",
            "--site",
            "qingyang",
            "--cooling",
            "spray",
            "--grid",
            "facility.utilisation=0.5,0.6",
            "--set",
            'weather.source="bad.epw"',
        ],
        ["run", "--site", "nowhere", "--cooling", "free_air", "--out-dir", "a/b"],
    ],
)
def test_a_refused_command_creates_no_output_folder(argv, tmp_path, monkeypatch, capsys):
    """The default out/ (or a new --out-dir) is made by the write, not before the command is accepted."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bad.epw").write_text("garbage\n")
    assert cli.main(argv) == 2
    assert capsys.readouterr().err.count("\n") == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.epw"]


def test_an_out_dir_that_cannot_be_made_is_refused_before_the_run(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "f").write_text("mine")
    for folder, why in (("f/x", "Not a directory"), ("f", "File exists")):
        assert cli.main(["run", "--site", "qingyang", "--cooling", "spray", "--out-dir", folder]) == 2
        assert capsys.readouterr().err == (
            f"twin: error: --out-dir {folder}: cannot create the output folder ({why}); pass -o FILE or another --out-dir\n"
        )
    assert (tmp_path / "f").read_text() == "mine" and sorted(p.name for p in tmp_path.iterdir()) == ["f"]


_QUICK = ["--site", "qingyang", "--cooling", "spray"]
_SIZE = ["size", "--site", "qingyang", "--target", "hourly:0.5"]


@pytest.mark.parametrize(
    ("argv", "named"),
    [
        (["run", *_QUICK, "--no-output", "--set", "facility.utilisation=1e400"], "facility.utilisation"),
        (["run", *_QUICK, "--no-output", "--set", "facility.utilisation=-1e400"], "facility.utilisation"),
        (["run", *_QUICK, "--no-output", "--set", "weather.seed=1e400"], "weather.seed"),
        (["run", "big.toml", "--no-output"], "big.toml: facility.utilisation"),
        (["sweep", *_QUICK, "--grid", "facility.utilisation=0.5,1e400"], "facility.utilisation"),
        (["sweep", *_QUICK, "--grid", "facility.utilisation=0.5:1e400:0.1"], "--grid"),
        (["sweep", *_QUICK, "--list", "cases.csv"], "--list cases.csv:3: "),
        (["ensemble", *_QUICK, "--seeds", "1", "--warming", "0,1e400"], "--warming"),
        (["size", "--site", "qingyang", "--target", "hourly:1e400"], "--target"),
        ([*_SIZE, "--pareto", "0.5:1e400:0.1"], "--pareto"),
        ([*_SIZE, "--pareto", "0.5:0.9:1e400"], "--pareto"),
        ([*_SIZE, "--pv-max-mw", "1e400"], "--pv-max-mw"),
        ([*_SIZE, "--clean-share", "1e400"], "--clean-share"),
        ([*_SIZE, "--time-limit", "-1e400"], "--time-limit"),
    ],
)
def test_a_number_beyond_the_largest_float_is_named_as_typed(argv, named, tmp_path, monkeypatch, capsys):
    """1e400 reads as inf; every option, --set, grid, list and file says 1e400 (and why), never inf."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "big.toml").write_text('site = "qingyang"\ndesign = "spray"\n[facility]\nutilisation = 1e400\n')
    (tmp_path / "cases.csv").write_text("facility.utilisation\n0.5\n1e400\n")
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("twin: error: ") and err.count("\n") == 1, err
    assert named in err and "1e400 (beyond ±1.8e308, the largest number)" in err, err
    assert "inf" not in err.replace("finite", ""), err


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        ([*_SIZE, "--clean-share", "0.00001"], "twin: error: --clean-share 0.00001 applies to a cfe target"),
        ([*_SIZE, "--export-cap-mw", "0.00001"], "twin: error: --export-cap-mw 0.00001 applies to exports"),
        ([*_SIZE, "--pv-max-mw", "-0.00001"], "twin: error: --pv-max-mw (size.pv_max_mw) = -0.00001 is out of range"),
        ([*_SIZE, "--time-limit", "0.00001"], "twin: error: --time-limit (size.time_limit_s) = 0.00001 is out of"),
        ([*_SIZE, "--grid-cap-mw", "-1e25"], "twin: error: --grid-cap-mw (size.grid_cap_mw) = -1e25 is out of range"),
        (["size", "--site", "qingyang", "--target", "hourly:-0.00001"], "target hourly:-0.00001 is out of range"),
        ([*_SIZE, "--pareto", "-0.00001:0.5:0.1"], "--pareto -0.00001:0.5:0.1: the targets start at -0.00001;"),
        (
            [*_SIZE, "--pareto", "-0.00000000001:1:0.1"],
            "--pareto -0.00000000001:1:0.1: the targets start at -0.00000000001;",
        ),
        (
            [*_SIZE, "--pareto", "0.9:1.00000000001:0.1"],
            "--pareto 0.9:1.00000000001:0.1: the targets reach 1.00000000001;",
        ),
    ],
)
def test_twin_size_repeats_a_refused_value_as_typed(argv, said, capsys):
    """A refused option value was said as Python writes the float (``--clean-share 1e-05``)."""
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and said in err, err
    assert "e-05" not in err and "e+25" not in err, err


def test_run_refuses_a_set_of_a_key_the_scenario_sweeps(tmp_path, capsys):
    """The scenario's [sweep] replaced the --set value without a word (storage 200 and 400 MWh, not 1,600)."""
    f = tmp_path / "s.toml"
    f.write_text('site = "qingyang"\ndesign = "spray"\n[sweep]\n"facility.utilisation" = [0.5, 0.6]\n')
    argv = ["run", str(f), "--no-output", "--set", "facility.utilisation=0.9"]
    assert cli.main(argv) == 2
    assert capsys.readouterr().err == (
        "twin: error: --set facility.utilisation=0.9: facility.utilisation is also swept (the scenario's [sweep]); "
        "give it once\n"
    )


def _allocating_in(module: str):
    """A command whose frame is of ``module`` and asks numpy for 1 EiB (as Dask did, reading an
    SSH banner as a frame length)."""
    ns: dict = {"__name__": module}
    exec("import numpy\ndef cmd(args):\n    numpy.empty(2**60, dtype=numpy.uint8)\n", ns)
    return ns["cmd"]


def test_out_of_memory_is_said_only_for_the_twins_own_arrays(monkeypatch, capsys):
    """Any MemoryError said "out of memory; use fewer cases", also Dask's reading of another
    server's bytes: advice about the study's size is given only where the twin's code allocated."""
    monkeypatch.delenv("TWIN_DEBUG", raising=False)
    monkeypatch.setattr(cli, "cmd_sites", _allocating_in("twin.studies.sweep"))
    assert cli.main(["sites"]) == 2
    assert capsys.readouterr().err == (
        "twin: error: out of memory; use fewer cases, or twin.annual_kpis for a large sweep\n"
    )
    monkeypatch.setattr(cli, "cmd_sites", _allocating_in("distributed.protocol.core"))
    assert cli.main(["sites"]) == 70
    err = capsys.readouterr().err
    assert err.startswith("twin: internal error: MemoryError: Unable to allocate 1.00 EiB") and err.count("\n") == 1


def test_sweep_says_its_case_count_grouped(monkeypatch, tmp_path, capsys):
    """``twin sweep`` printed "200000 cases; every KPI in …": the count by the project's formatter
    (200,000). The sweep's own count is stood in for a 200,000-case study."""
    from twin.studies import sweep

    real = sweep.run_sweep
    monkeypatch.setattr(sweep, "run_sweep", lambda *a, **kw: real(*a, **kw).assign_attrs(cases=200_000))
    out = tmp_path / "s.nc"
    args = ["sweep", "--site", "karamay", "--cooling", "free_air", "--grid", "facility.utilisation=0.5", "-o", str(out)]
    assert cli.main(args) == 0
    assert capsys.readouterr().out.splitlines()[-1] == f"200,000 cases; every KPI in {out}"


def test_sweep_of_one_case_says_case(tmp_path, capsys):
    """One case is "1 case", not "1 cases"."""
    out = tmp_path / "one.nc"
    args = ["sweep", "--site", "karamay", "--cooling", "free_air", "--grid", "facility.utilisation=0.5", "-o", str(out)]
    assert cli.main(args) == 0
    assert capsys.readouterr().out.splitlines()[-1] == f"1 case; every KPI in {out}"


def _sigint_default() -> None:
    """In a child before it runs: SIGINT acts again (as at a terminal), whatever this process has."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.slow
def test_ctrl_c_under_a_local_cluster_is_one_line_and_keeps_the_finished_blocks(tmp_path):
    """SIGINT to the process group, as a terminal's Ctrl-C sends it, once a block is written: each
    Dask worker died of its own KeyboardInterrupt and printed its traceback (≈ 99 lines). Now the
    workers ignore it and the study's process says one line, exit 130, the blocks kept."""
    pytest.importorskip("dask.distributed")
    exe = shutil.which("twin", path=str(Path(sys.executable).parent))
    cmd = [exe] if exe else [sys.executable, "-m", "twin.cli"]
    grid = "facility.utilisation=0.2:1:0.0005"  # 1,601 one-case blocks: still running when one is written
    out, ckpt = tmp_path / "ck.nc", tmp_path / "ck.nc.checkpoint"
    study = [
        "sweep",
        "--site",
        "qingyang",
        "--cooling",
        "free_air",
        "--grid",
        grid,
        "--block",
        "1",
        "--kernel",
        "reference",
    ]
    p = subprocess.Popen(
        [*cmd, *study, "--workers", "2", "-o", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as a terminal gives it
        preexec_fn=_sigint_default,  # a suite run in the background ignores SIGINT, and a child inherits that
    )
    try:
        while p.poll() is None and not any(ckpt.glob("block-*.npz")):
            time.sleep(0.05)
        os.killpg(p.pid, signal.SIGINT)
        _, err = p.communicate(timeout=300)
    finally:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
    kept = len(list(ckpt.glob("block-*.npz")))
    assert p.returncode == 130 and not out.exists()
    assert err == f"twin: interrupted; {kept} of 1601 blocks kept in {ckpt}; run the same command to resume\n"
    assert kept >= 1


_SIGTERM_AS_BLOCK_2_IS_SAVED = """
import os, signal, sys
from twin import cli
from twin.studies import study

save = study.Checkpoint.save


def save_then_sigterm(self, i, result):
    save(self, i, result)
    if i == 1:  # block 2's file is committed: the signal comes before save returns
        os.kill(os.getpid(), signal.SIGTERM)


study.Checkpoint.save = save_then_sigterm
sys.exit(cli.main(sys.argv[1:]))
"""


def test_the_blocks_kept_after_an_interrupt_are_those_on_disk(tmp_path):
    """SIGTERM while a block was committed: the line said "12 of 109 blocks kept" with 13 on disk,
    and the next run resumed 13. The count is now what a run of the same study resumes from."""
    out, ckpt = tmp_path / "k.nc", tmp_path / "k.nc.checkpoint"
    study = ["sweep", "--site", "qingyang", "--cooling", "free_air", "--grid", "facility.utilisation=0.2:0.8:0.2"]
    study += ["--block", "1", "--kernel", "reference", "-o", str(out)]
    r = subprocess.run(
        [sys.executable, "-c", _SIGTERM_AS_BLOCK_2_IS_SAVED, *study],
        capture_output=True,
        text=True,
        timeout=300,
        preexec_fn=_sigint_default,
    )
    kept = len(list(ckpt.glob("block-*.npz")))
    assert (r.returncode, kept) == (130, 2), r.stderr
    assert r.stderr == f"twin: interrupted; 2 of 4 blocks kept in {ckpt}; run the same command to resume\n"
    again = run(*study)
    assert again.returncode == 0, again.stderr
    assert again.stderr.startswith(f"resuming from {ckpt}: 2 of 4 blocks done, 2 to run")


@pytest.mark.parametrize("command", [["ensemble", "--site", "karamay", "--cooling", "free_air"], ["weather-validate"]])
@pytest.mark.parametrize(
    ("seeds", "said"),
    [
        ("0", "argument --seeds: 0 is outside 1 … 1,000"),
        ("1001", "argument --seeds: 1001 is outside 1 … 1,000"),
        ("1.5", "argument --seeds: '1.5' is not a whole number; allowed 1 … 1,000"),
        ("1e400", "argument --seeds: '1e400' is not a whole number; allowed 1 … 1,000"),
        ("2e3", "argument --seeds: 2e3 is outside 1 … 1,000"),
    ],
)
def test_seeds_name_their_whole_range_alike(command, seeds, said, capsys):
    """``--seeds 0`` said ``0 is not ≥ 1`` (twin ensemble) and ``0 is outside 1 … 1000`` (twin
    weather-validate): both name the whole range, 1,000 grouped as the ensemble's own limit says it."""
    with pytest.raises(SystemExit) as exit_:
        cli.main([*command, "--seeds", seeds])
    assert exit_.value.code == 2 and said in capsys.readouterr().err


def test_a_whole_number_option_reads_a_whole_value_in_any_spelling():
    """``--seeds 1e3`` was "not a whole number" while ``--set …=1e9`` reads 1e9 for a float field: a
    whole-number option reads a whole value in any spelling of a number."""
    parse = cli._int_in(1, 1000)
    assert parse("1e3") == 1000 and type(parse("1e3")) is int and parse("20.0") == 20 and parse("7") == 7
