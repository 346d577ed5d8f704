"""Process-level tuning of twin.core.runtime: xarray asks about dask without importing it."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]

pytest.importorskip("dask.array", reason="dask is not installed (the [dask] extra): nothing to defer")


def _run(code: str) -> str:
    """``code`` in a fresh process (the deferral changes process state); its last printed line."""
    out = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ},
        check=True,
    )
    return out.stdout.strip().splitlines()[-1]


@pytest.mark.parametrize("xarray_first", [False, True], ids=["before-xarray", "after-xarray"])
def test_numpy_datasets_and_netcdf_import_no_dask(xarray_first):
    first = "import xarray" if xarray_first else "pass"
    code = f"""
        import io, sys
        {first}
        from twin.core.runtime import defer_dask_in_xarray
        defer_dask_in_xarray()
        defer_dask_in_xarray()  # twice is once
        import numpy as np, xarray as xr
        ds = xr.Dataset({{"a": ("t", np.arange(4.0))}}, coords={{"t": np.arange(4)}})
        ds.to_netcdf(io.BytesIO(), engine="h5netcdf")
        print(sorted(m for m in ("dask", "dask.array", "distributed", "scipy") if m in sys.modules))
    """
    assert _run(code) == "[]"


def test_dask_arrays_are_still_dask_arrays(tmp_path):
    """Once the process uses dask, xarray sees dask arrays as before: chunked, lazy, computed,
    written to NetCDF (xarray's dask scheduler lookup and lock)."""
    path = tmp_path / "chunked.nc"
    code = f"""
        from twin.core.runtime import defer_dask_in_xarray
        defer_dask_in_xarray()
        import numpy as np, xarray as xr
        plain = xr.DataArray(np.arange(6.0), dims="t")  # before dask: no dask type yet
        import dask.array as da
        from xarray.namedarray.pycompat import array_type, is_chunked_array, mod_version
        lazy = xr.DataArray(da.arange(6.0, chunks=3), dims="t")
        chunked = plain.chunk(2)
        assert array_type("dask") == (da.Array,) and str(mod_version("dask")) > "0"
        assert isinstance(lazy.data, da.Array) and lazy.chunks == ((3, 3),) and is_chunked_array(lazy.data)
        assert isinstance(chunked.data, da.Array) and chunked.chunks == ((2, 2, 2),)
        assert float((lazy * 2).sum().compute()) == 30.0 and not isinstance(plain.data, da.Array)
        xr.Dataset({{"x": lazy}}).to_netcdf({str(path)!r}, engine="h5netcdf")
        back = xr.load_dataset({str(path)!r}, engine="h5netcdf")
        print(back["x"].values.tolist())
    """
    assert _run(code) == "[0.0, 1.0, 2.0, 3.0, 4.0, 5.0]"


def test_without_the_private_helpers_it_does_nothing():
    """Another xarray without the helpers the deferral wraps: nothing is changed, nothing fails."""
    code = """
        import sys, types
        from twin.core import runtime
        sys.modules["xarray"] = types.ModuleType("xarray")
        for name in ("xarray.namedarray.pycompat", "xarray.namedarray.utils", "xarray.backends.locks"):
            sys.modules[name] = types.ModuleType(name)
        runtime.defer_dask_in_xarray()
        print(all(len(vars(sys.modules[m])) == len(vars(types.ModuleType(m))) for m in sys.modules if m.startswith("xarray")))
    """
    assert _run(code) == "True"


def test_a_spec_asked_for_before_the_import_leaves_the_hook():
    """Something asks whether xarray is installed (importlib.util.find_spec) before importing it:
    the deferral still applies at the import."""
    code = """
        import importlib.util, sys
        from twin.core.runtime import defer_dask_in_xarray
        defer_dask_in_xarray()
        assert importlib.util.find_spec("xarray") is not None and "xarray" not in sys.modules
        import numpy as np, xarray as xr
        xr.Dataset({"a": ("t", np.arange(3.0))}, coords={"t": np.arange(3)})
        hooked = any(type(f).__name__ == "_AfterImport" for f in sys.meta_path)
        print(sorted(m for m in ("dask", "dask.array", "scipy") if m in sys.modules), hooked)
    """
    assert _run(code) == "[] False"  # no dask, and the hook stepped aside once xarray was imported


@pytest.mark.parametrize(
    ("given", "seen"), [(None, "1"), (("OPENBLAS_NUM_THREADS", "3"), "3"), (("OMP_NUM_THREADS", "2"), "unset")]
)
def test_the_cli_starts_openblas_on_one_thread_unless_told(given, seen):
    """``twin`` sets ``OPENBLAS_NUM_THREADS=1`` before numpy's first import; a value the user set
    wins; once numpy is imported the function changes nothing."""
    code = textwrap.dedent(
        """
        import os, sys
        from twin import cli
        from twin.core.runtime import one_blas_thread
        assert "numpy" not in sys.modules
        assert cli.main(["sites"]) == 0
        assert "numpy" in sys.modules
        print("SEEN", os.environ.get("OPENBLAS_NUM_THREADS", "unset"), one_blas_thread())
        """
    )
    chosen = ("OPENBLAS_NUM_THREADS", "GOTO_NUM_THREADS", "OMP_NUM_THREADS")
    env = {k: v for k, v in os.environ.items() if k not in chosen}
    if given is not None:
        env[given[0]] = given[1]
    env["PYTHONPATH"] = str(ROOT)
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    assert f"SEEN {seen} False" in r.stdout


def test_an_openmp_thread_list_does_not_break_a_command_that_imports_numexpr():
    """``OMP_NUM_THREADS="2,1"`` is valid OpenMP; numexpr, imported through pandas, parsed it with
    int() and failed the command (exit 70) unless ``NUMEXPR_NUM_THREADS`` is set, which the CLI does."""
    pytest.importorskip("numexpr")
    code = "from twin import cli\ncli.main(['sites'])\nimport numexpr\nprint('SEEN', numexpr.nthreads)"
    env = {**os.environ, "OMP_NUM_THREADS": "2,1", "PYTHONPATH": str(ROOT)}
    env.pop("NUMEXPR_NUM_THREADS", None)
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120, cwd=ROOT)
    assert r.returncode == 0 and "SEEN 1" in r.stdout, r.stderr


@pytest.mark.parametrize(("gb", "have"), [("0.01", "10.0 MB"), ("0.2", "200 MB"), ("0.08", "80.0 MB")])
def test_the_memory_refusal_names_sizes_in_units_that_show_them(monkeypatch, gb, have):
    """``TWIN_MEMORY_GB=0.000001`` said ``need about 0.0 GB; 0.0 GB are available``."""
    from twin.core.runtime import ResourceError, check_memory

    monkeypatch.setenv("TWIN_MEMORY_GB", gb)
    with pytest.raises(ResourceError) as err:
        check_memory(100, 8760, 30)
    assert str(err.value).startswith(
        f"100 cases × 8,760 h × 30 hourly variables need about 210 MB; {have} are available "
        f"(TWIN_MEMORY_GB = '{gb}', 80 % of it usable: raise it if the machine has more): use twin.annual_kpis"
    )
