"""The NetCDF writer without xarray (twin.core.io.write_netcdf on a run's arrays) against the file
xarray's ``to_netcdf`` wrote for the same Dataset before it: identical after decoding and raw."""

from __future__ import annotations

import datetime
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from twin import kpis
from twin.core import diskcache
from twin.core.io import CF_VERSION, COORD_ATTRS, _utc_offset_text, write_netcdf
from twin.core.version import __version__
from twin.engine.config import Scenario, load_scenario
from twin.engine.simulate import run_content, run_dataset, simulate_arrays
from twin.studies.ensemble import run_ensemble
from twin.studies.sweep import run_sweep

from .test_diskcache import ROOT, _imports_after

EXAMPLES = ROOT / "examples"


def xarray_file(ds: xr.Dataset, path: Path, engine: str = "netcdf4") -> Path:
    """The reference: the CF layout of the Dataset as xarray built it, written by ``to_netcdf``
    (the writer of twin.core.io before it wrote with netCDF4 itself)."""
    out = ds.copy(deep=False)
    out.attrs = dict(ds.attrs)
    for coord, extra in COORD_ATTRS.items():
        if coord in out.variables:
            out[coord].attrs.update(extra)
    for name in list(out.variables):
        if out[name].dtype.kind in "OU":
            out[name] = out[name].astype(str)
            out[name].encoding["dtype"] = "S1"
    renames = {}
    for name in out.coords:
        if name not in COORD_ATTRS and name != "time":
            out[name].attrs.setdefault("long_name", f"swept parameter {name}")
            out[name].attrs["parameter"] = str(name)
            renames[name] = str(name).replace(".", "__")
    out = out.rename({k: v for k, v in renames.items() if k != v})
    if "time" in out.indexes:
        t = out.indexes["time"]
        hours = np.asarray((t - t[0]) / pd.Timedelta(hours=1), dtype=float)
        offset = ds.attrs.get("utc_offset_h")
        units = f"hours since {t[0]:%Y-%m-%d %H:%M:%S}"
        attrs = {"standard_name": "time", "long_name": "time, local standard time, start of the hour"}
        attrs.update(calendar="standard", axis="T")
        if offset is not None and np.isfinite(offset):
            units += f" {_utc_offset_text(float(offset))}"
        else:
            attrs["comment"] = "local standard time of each case's site (the sites have different UTC offsets)"
        out = out.assign_coords(time=("time", hours, {"units": units, **attrs}))
    for name in out.coords:
        if out[name].dtype.kind in "fiu":
            out[name].encoding["_FillValue"] = None
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    out.attrs.update(
        Conventions=CF_VERSION,
        title=f"PUE twin: {ds.attrs.get('scenario', 'hourly data')}",
        institution="pue-twin, an open-source data-centre energy twin",
        source=f"pue-twin {__version__}: hourly data-centre energy, PUE and green-power model",
        history=f"{stamp} written by twin {__version__}",
        references="docs/references.md of the pue-twin repository (keys in each parameter's source)",
    )
    out.to_netcdf(path, engine=engine)
    return path


def assert_same_file(mine: Path, ref: Path) -> None:
    for decode in (True, False):
        a, b = (xr.load_dataset(p, decode_cf=decode, engine="netcdf4") for p in (mine, ref))
        for x in (a, b):
            assert x.attrs.pop("history").endswith(f"written by twin {__version__}")
        xr.testing.assert_identical(a, b)
        assert list(a.variables) == list(b.variables) or set(a.variables) == set(b.variables)
        for k in a.variables:
            assert a[k].dtype == b[k].dtype, k
            assert a[k].encoding.get("dtype") == b[k].encoding.get("dtype"), k


SCENARIOS = {
    "one_case": lambda: Scenario(sites=("qingyang",), designs=("free_air",)),
    "many_cases": lambda: Scenario(sites=("karamay", "us_dulles"), designs=("free_air", "immersion_2p")),
    "green": lambda: load_scenario(EXAMPLES / "qingyang_green_ppa.toml"),
    "heat_reuse": lambda: load_scenario(EXAMPLES / "qingyang_heat_reuse.toml"),
    "swept": lambda: load_scenario(EXAMPLES / "qingyang_evap_sweep.toml"),
}


@pytest.mark.parametrize("kind", sorted(SCENARIOS))
def test_run_file_is_the_file_xarray_wrote(kind, tmp_path):
    run = simulate_arrays(SCENARIOS[kind]())
    ds = run_dataset(run)
    ref = xarray_file(ds, tmp_path / "xarray.nc")
    assert_same_file(write_netcdf(run_content(run), tmp_path / "run.nc"), ref)  # twin run's file
    assert_same_file(write_netcdf(ds, tmp_path / "dataset.nc"), ref)  # a Dataset's file
    back = kpis(xr.load_dataset(tmp_path / "run.nc"))
    want = run.figures()
    for k in back.data_vars:
        np.testing.assert_allclose(
            np.asarray(back[k], dtype=float), np.asarray(want[str(k)], dtype=float), rtol=1e-12, equal_nan=True
        )


def test_sweep_file_is_the_file_xarray_wrote(tmp_path):
    base = Scenario(sites=("qingyang", "karamay"), designs=("free_air",))
    ds = run_sweep(
        base, [("cooling.free_air.evap_effectiveness", (0.5, 0.9))], output=tmp_path / "s.nc", progress=False
    )
    assert_same_file(tmp_path / "s.nc", xarray_file(ds, tmp_path / "ref.nc"))


def test_ensemble_file_is_the_file_xarray_wrote(tmp_path):
    base = Scenario(sites=("qingyang",), designs=("free_air", "spray"))
    members, q = run_ensemble(base, (1, 2), (0.0, 1.5), output=tmp_path / "e.nc", progress=False)
    both = members.merge(q.rename({n: f"{n}_quantile" for n in q.data_vars}))
    assert_same_file(tmp_path / "e.nc", xarray_file(both, tmp_path / "ref.nc"))


def test_dataset_of_every_kind_of_variable_is_the_file_xarray_wrote(tmp_path):
    """Text as a dimension's coordinate (a sizing file's ``design``) and as data, booleans,
    integers, floats with NaN, a 0-d variable, attributes of several types."""
    ds = xr.Dataset(
        {
            "cost": ("design", [1.5, np.nan, 3.0], {"units": "1", "currency": "CNY"}),
            "feasible": ("design", [True, False, True]),
            "note": ("design", ["ok", "", "ünïcode"]),
            "count": (("design", "target"), np.arange(6).reshape(3, 2)),
            "total": ((), 2.5),
        },
        coords={"design": ["free_air", "spray", "immersion_2p"], "target": ("target", [0.5, 0.9])},
        attrs={"target": "0.9", "seeds": np.array([1, 2]), "limit": float("nan"), "cases": 3},
    )
    assert_same_file(write_netcdf(ds, tmp_path / "d.nc"), xarray_file(ds, tmp_path / "ref.nc"))


def test_warm_run_writing_its_file_imports_neither_pandas_nor_xarray(tmp_path):
    env = {**os.environ, diskcache.CACHE_ENV: str(tmp_path / "cache")}
    out = tmp_path / "run.nc"
    run = (
        "from twin.cli import main\n"
        f"main(['run', '--site', 'qingyang', '--cooling', 'free_air', '-o', {str(out)!r}, '--force'])"
    )
    _imports_after(run, env)  # fills the cache
    assert _imports_after(run, env, ("pandas", "xarray")) == set()
    assert out.is_file()
    assert xr.load_dataset(out).attrs["scenario"]


def test_outputs_committed_together_say_which_are_in_place_when_a_later_commit_fails(tmp_path, monkeypatch):
    """A commit after an earlier one failed (a rename refused): the message said "nothing was
    written, an existing file is unchanged" though the first output was already replaced (final
    review 18 d #9). It names the outputs already in place."""
    from twin.core import io as tio

    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    real = tio._commit

    def commit(tmp, dest, force):
        if dest == b:
            raise OSError(28, "No space left on device")
        real(tmp, dest, force)

    monkeypatch.setattr(tio, "_commit", commit)
    with pytest.raises(tio.OutputError) as err, tio.committed_together():
        tio.atomic_write(a, lambda p: p.write_text("A"))
        tio.atomic_write(b, lambda p: p.write_text("B"))
    assert (
        str(err.value) == f"{b}: cannot write (No space left on device); it is unchanged, but {a} was already written"
    )
    assert a.read_text() == "A" and not b.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]  # no temporary file left


@pytest.mark.parametrize("at", ["a", "b"])
def test_outputs_committed_together_interrupted_between_commits_keep_the_new_file_named(tmp_path, monkeypatch, at):
    """Ctrl-C at the commit of ``at``: before the first commit nothing changes and nothing is
    left; after it the first output is new, the second old, and the second's new file is kept,
    whole, as ``b.txt.twin-PID.uncommitted`` (it was removed: a half state with no trace)."""
    from twin.core import io as tio

    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text("old A")
    b.write_text("old B")
    real = tio._commit

    def commit(tmp, dest, force):
        if dest == tmp_path / f"{at}.txt":
            raise KeyboardInterrupt
        real(tmp, dest, force)

    monkeypatch.setattr(tio, "_commit", commit)
    with pytest.raises(KeyboardInterrupt), tio.committed_together():
        tio.atomic_write(a, lambda p: p.write_text("A"), force=True)
        tio.atomic_write(b, lambda p: p.write_text("B"), force=True)
    kept = tio.uncommitted_name(b)
    if at == "a":
        assert (a.read_text(), b.read_text()) == ("old A", "old B")
        assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt", "b.txt"]
    else:
        assert (a.read_text(), b.read_text(), kept.read_text()) == ("A", "old B", "B")
        assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt", "b.txt", kept.name]
