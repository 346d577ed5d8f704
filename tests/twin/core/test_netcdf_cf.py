"""NetCDF output follows the CF conventions: checked by a CF-1.10 checker offline, and rule by rule.

The checker is the IOOS ``compliance-checker`` (suite ``cf:1.10``, strict criteria: warnings
count too); its standard-name table is the small local file in tests/data/cf (no network). The
NCAS ``cfchecker`` is not used: its newest release (4.1.0) knows CF versions up to 1.8. The
rule-by-rule test below runs without any checker.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import sites
from twin import Scenario, kpis, load_scenario, simulate, site_weather
from twin.core.io import local_time, write_netcdf
from twin.core.variables import REGISTRY

from .test_ncwrite import xarray_file

CF_TABLES = Path(__file__).parents[2] / "data" / "cf"
EXAMPLE = Path(__file__).parents[3] / "examples" / "qingyang_green_ppa.toml"
NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("cf")
    one = write_netcdf(simulate(load_scenario(EXAMPLE)), d / "ppa.nc")
    two = write_netcdf(simulate(Scenario(sites=("karamay", "us_dulles"), designs=("free_air", "spray"))), d / "two.nc")
    return one, two


@pytest.fixture(scope="module")
def weather_file(tmp_path_factory):
    """What ``twin weather --site qingyang -o FILE`` writes."""
    ds, _ = site_weather(sites.load("qingyang"))
    return write_netcdf(ds, tmp_path_factory.mktemp("cfw") / "wx.nc")


@pytest.fixture(scope="module")
def study_files(tmp_path_factory):
    """What ``twin sweep`` and ``twin ensemble`` write (small studies)."""
    from twin.studies.ensemble import run_ensemble
    from twin.studies.sweep import run_sweep

    d = tmp_path_factory.mktemp("cfs")
    sc = Scenario(sites=("qingyang",), designs=("free_air", "spray"))
    run_sweep(sc, (("facility.utilisation", (0.5, 0.8)),), output=d / "sweep.nc", progress=False)
    run_ensemble(sc, seeds=(0, 1), warming=(0.0, 1.0), output=d / "ens.nc", progress=False)
    return d / "sweep.nc", d / "ens.nc"


def test_one_conventions_attribute_in_every_file(files, weather_file, study_files):
    """CF's ``Conventions`` names the conventions; no other attribute spelt alike (a free-text
    lowercase ``conventions`` sat beside it in the sweep file)."""
    for f in (*files, weather_file, *study_files):
        attrs = xr.open_dataset(f, engine="h5netcdf").attrs
        assert [k for k in attrs if k.lower() == "conventions"] == ["Conventions"], f
    assert "swept parameters are coordinates" in xr.open_dataset(study_files[0], engine="h5netcdf").attrs["comment"]


def test_cf_checker_passes_the_study_files(study_files):
    exe = _checker()
    env = {**os.environ, "CF_STANDARD_NAME_TABLE": str(CF_TABLES / "cf-standard-name-table.xml")}
    for f in study_files:
        r = subprocess.run(
            [exe, "--test", "cf:1.10", "--criteria", "strict", "--format", "text", str(f)],
            capture_output=True,
            text=True,
            timeout=300,
            env=env,
        )
        assert r.returncode == 0 and "All tests passed!" in r.stdout, r.stdout[-3000:] + r.stderr[-2000:]


def _checker() -> str:
    exe = shutil.which("cchecker.py", path=str(Path(sys.executable).parent))
    if exe is None:
        pytest.skip("compliance-checker is not installed (pip install compliance-checker)")
    return exe


def test_cf_checker_finds_nothing(files, weather_file):
    exe = _checker()
    version = "1.10"
    env = {**os.environ, "CF_STANDARD_NAME_TABLE": str(CF_TABLES / "cf-standard-name-table.xml")}
    for f in (*files, weather_file):
        assert xr.open_dataset(f, engine="h5netcdf").attrs["Conventions"] == f"CF-{version}"
        r = subprocess.run(
            [exe, "--test", f"cf:{version}", "--criteria", "strict", "--format", "text", str(f)],
            capture_output=True,
            text=True,
            timeout=300,
            env=env,
        )
        assert r.returncode == 0 and "All tests passed!" in r.stdout, r.stdout[-3000:] + r.stderr[-2000:]


def test_cf_rules_without_the_checker(files):
    for f in files:
        ds = xr.open_dataset(f, engine="h5netcdf", decode_cf=False)  # the variables as stored
        for key in ("Conventions", "title", "institution", "source", "history", "references"):
            assert ds.attrs.get(key), key
        assert ds.attrs["Conventions"] == "CF-1.10"
        for name, v in ds.variables.items():
            assert NAME.match(str(name)), name
            assert v.dtype.kind != "O", f"{name}: variable-length strings are not CF"
            if name in REGISTRY:
                assert v.attrs["units"] == REGISTRY[name].units and v.attrs["long_name"]
                assert not re.search(r"CNY|MWh|kWh", v.attrs["units"]), (name, v.attrs["units"])
        assert ds["mode"].attrs["flag_values"].size == len(ds["mode"].attrs["flag_meanings"].split())
        assert ds["site"].attrs["long_name"] and ds["design"].attrs["long_name"]
        for name in ds.coords:
            assert "_FillValue" not in ds[name].attrs, f"{name}: a coordinate has no missing values (CF 2.5.1)"
    one, two = (xr.open_dataset(f, engine="h5netcdf", decode_times=False) for f in files)
    assert one["time"].attrs["units"] == "hours since 2021-01-01 00:00:00 +08:00"
    assert "+" not in two["time"].attrs["units"] and "different UTC offsets" in two["time"].attrs["comment"]
    decoded = xr.open_dataset(files[0], engine="h5netcdf")
    assert decoded["time"].values[0] == np.datetime64("2020-12-31T16:00")  # 00:00 at UTC+8, as UTC
    assert decoded["site"].values[0] == "qingyang"


def test_kpis_of_a_file_read_back_equal_the_run(files):
    """CF readers decode the offset time units to UTC; kpis puts the site's local time back, so
    days, months and time-of-use hours (24-hour-green days, demand charge) are the run's."""
    ppa, two = files
    for path, scenario in ((ppa, load_scenario(EXAMPLE)), (two, None)):
        back = xr.load_dataset(path, engine="h5netcdf")
        if scenario is None:  # two sites with different UTC offsets: local per case, as written
            assert "comment" in back["time"].attrs
            continue
        run = kpis(simulate(scenario))
        assert back.indexes["time"][0] == pd.Timestamp("2020-12-31 16:00")  # UTC, as CF decodes it
        got = kpis(back)
        for k in run.data_vars:
            x, y = np.asarray(got[k], dtype=float), np.asarray(run[k], dtype=float)
            np.testing.assert_allclose(x, y, rtol=1e-12, equal_nan=True, err_msg=k)
        local = local_time(back)
        assert local.indexes["time"][0] == pd.Timestamp("2021-01-01 00:00")
        assert local_time(local) is local  # no offset left to undo


def test_file_reads_back_as_the_h5netcdf_file(tmp_path):
    """write_netcdf uses netCDF-C (the netcdf4 engine, for speed); its file reads back identical,
    decoded or not, to the same CF Dataset written by h5netcdf (a pure-Python HDF5 writer)."""
    ds = simulate(Scenario(sites=("karamay", "us_dulles"), designs=("free_air", "immersion_2p")))
    mine = write_netcdf(ds, tmp_path / "c.nc")
    other = tmp_path / "h5.nc"
    xarray_file(ds, other, engine="h5netcdf")
    for decode in (False, True):
        a = xr.load_dataset(mine, engine="h5netcdf", decode_times=decode)
        b = xr.load_dataset(other, engine="h5netcdf", decode_times=decode)
        for x in (a, b):
            x.attrs.pop("history")  # the time of writing
        assert a.identical(b)
        assert {k: a[k].encoding.get("dtype") for k in a.variables} == {
            k: b[k].encoding.get("dtype") for k in b.variables
        }
