"""NetCDF output follows the CF conventions: checked by the CF checker offline, and rule by rule.

The checker (``cfchecker``, newest release 4.1.0) knows CF versions up to 1.8, so the file it
checks is a copy whose ``Conventions`` says CF-1.8; its standard-name, area-type and region
tables are the small local files in tests/data/cf (no network). The rules the files rely on
that are new in 1.9/1.10 are none; the rule-by-rule test below runs without the checker.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from twin import Scenario, load_scenario, simulate
from twin.core.io import write_netcdf
from twin.core.variables import REGISTRY

CF_TABLES = Path(__file__).parents[1] / "data" / "cf"
EXAMPLE = Path(__file__).parents[2] / "examples" / "qingyang_green_ppa.toml"
NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("cf")
    one = write_netcdf(simulate(load_scenario(EXAMPLE)), d / "ppa.nc")
    two = write_netcdf(simulate(Scenario(sites=("karamay", "us_dulles"), designs=("free_air", "spray"))), d / "two.nc")
    return one, two


def _checker() -> str:
    exe = shutil.which("cfchecks", path=str(Path(sys.executable).parent))
    if exe is None:
        pytest.skip("cfchecker is not installed (pip install cfchecker)")
    try:
        import cfunits  # noqa: F401  (needs the UDUNITS-2 C library)
    except Exception as exc:  # the library is missing: cfunits raises on import
        pytest.skip(f"cfchecker cannot run: UDUNITS-2 missing ({exc}); apt-get install libudunits2-0")
    return exe


def test_cf_checker_finds_no_errors(files, tmp_path):
    exe = _checker()
    for f in files:
        ds = xr.open_dataset(f, engine="h5netcdf", decode_times=False).load()
        assert ds.attrs["Conventions"] == "CF-1.10"
        ds.attrs["Conventions"] = "CF-1.8"
        copy = tmp_path / f.name
        ds.to_netcdf(copy, engine="h5netcdf")
        tables = [
            "-s",
            str(CF_TABLES / "cf-standard-name-table.xml"),
            "-a",
            str(CF_TABLES / "area-type-table.xml"),
            "-r",
            str(CF_TABLES / "standardized-region-list.xml"),
        ]
        r = subprocess.run([exe, *tables, "-v", "1.8", str(copy)], capture_output=True, text=True, timeout=300)
        errors = [line for line in r.stdout.splitlines() if line.startswith("ERROR")]
        assert "ERRORS detected: 0" in r.stdout, "\n".join(errors) or r.stdout[-2000:] + r.stderr[-2000:]


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
    one, two = (xr.open_dataset(f, engine="h5netcdf", decode_times=False) for f in files)
    assert one["time"].attrs["units"] == "hours since 2021-01-01 00:00:00 +08:00"
    assert "+" not in two["time"].attrs["units"] and "different UTC offsets" in two["time"].attrs["comment"]
    decoded = xr.open_dataset(files[0], engine="h5netcdf")
    assert decoded["time"].values[0] == np.datetime64("2020-12-31T16:00")  # 00:00 at UTC+8, as UTC
    assert decoded["site"].values[0] == "qingyang"
