"""The disk cache of derived tables (twin.core.diskcache) and what the cold path imports."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import sites
from twin.building import fluids
from twin.core import diskcache
from twin.engine import weather_source
from weather.generator import typical_year

ROOT = Path(__file__).resolve().parents[3]


def _uncached(fn):
    """The table builder under its thread lock and in-process memo: every call reaches the disk cache."""
    return fn.__wrapped__.__wrapped__


def _same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


@pytest.fixture
def cache(tmp_path, monkeypatch):
    folder = tmp_path / "cache" / "nested"  # not there yet: the first store creates it
    monkeypatch.setenv(diskcache.CACHE_ENV, str(folder))
    return folder


def _entries(folder: Path, kind: str) -> list[Path]:
    return sorted(folder.glob(f"{kind}-*.npz")) if folder.is_dir() else []


def test_cycle_table_hit_equals_computed_bit_for_bit(cache, monkeypatch):
    build = _uncached(fluids.cycle_table)
    fresh = fluids._cycle_table("R134a", 0.7, 2.0)
    first = build("R134a", 0.7, 2.0)  # a miss: computed and stored
    assert len(_entries(cache, "cycle")) == 1

    def fail(*args):
        raise AssertionError("computed again: the entry was not read")

    monkeypatch.setattr(fluids, "_cycle_table", fail)
    hit = build("R134a", 0.7, 2.0)
    for name in ("t_evap", "t_cond", "cop", "flat"):
        assert _same_bits(getattr(hit, name), getattr(fresh, name))
        assert _same_bits(getattr(first, name), getattr(fresh, name))
    assert hit.refrigerant == "R134a" and hit.eta_isentropic == 0.7
    # Another input is another entry.
    monkeypatch.undo()
    monkeypatch.setenv(diskcache.CACHE_ENV, str(cache))
    build("R134a", 0.75, 2.0)
    assert len(_entries(cache, "cycle")) == 2


def test_liquid_saturation_and_fluid_names_round_trip(cache):
    for _ in range(2):  # miss, then hit
        tab = _uncached(fluids.liquid_table)("INCOMP::MPG-25%", 5.0, 80.0)
        sat = _uncached(fluids.saturation)("Novec649", 85_000.0)
        names = fluids._fluid_names.__wrapped__()
        ref = fluids._liquid_table("INCOMP::MPG-25%", 5.0, 80.0)
        assert _same_bits(tab.rho, ref.rho) and _same_bits(tab.cp, ref.cp) and _same_bits(tab.t, ref.t)
        assert sat == fluids._saturation("Novec649", 85_000.0)
        assert names == fluids._coolprop_names()
    assert {p.name.split("-")[0] for p in cache.iterdir()} >= {"liquid", "saturation", "fluid"}


@pytest.mark.parametrize("damage", ["garbage", "truncated", "empty", "other_key"])
def test_damaged_entry_is_recomputed_and_replaced(cache, damage):
    build = _uncached(fluids.liquid_table)
    ref = build("INCOMP::PNF2", 20.0, 60.0)
    (path,) = _entries(cache, "liquid")
    whole = path.read_bytes()
    if damage == "garbage":
        path.write_bytes(b"\x00not a zip file" * 100)
    elif damage == "truncated":
        path.write_bytes(whole[: len(whole) // 2])
    elif damage == "empty":
        path.write_bytes(b"")
    else:  # a whole entry of another key under this name (e.g. a hash collision)
        np.savez(path, **{diskcache._KEY: np.array("{}")}, t=np.zeros(3), rho=np.zeros(3), cp=np.zeros(3))
    again = build("INCOMP::PNF2", 20.0, 60.0)
    assert _same_bits(again.rho, ref.rho) and _same_bits(again.cp, ref.cp)
    assert path.read_bytes() == whole  # rewritten whole
    assert not list(cache.glob("*.part"))


def test_unusable_folder_means_computing(tmp_path, monkeypatch):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    monkeypatch.setenv(diskcache.CACHE_ENV, str(blocker / "cache"))  # cannot be created (root or not)
    tab = _uncached(fluids.liquid_table)("INCOMP::PNF2", 20.0, 60.0)
    ref = fluids._liquid_table("INCOMP::PNF2", 20.0, 60.0)
    assert _same_bits(tab.rho, ref.rho)


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root writes into a read-only folder")
def test_read_only_folder_means_computing(tmp_path, monkeypatch):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    monkeypatch.setenv(diskcache.CACHE_ENV, str(folder))
    try:
        tab = _uncached(fluids.liquid_table)("INCOMP::PNF2", 20.0, 60.0)
        assert _same_bits(tab.rho, fluids._liquid_table("INCOMP::PNF2", 20.0, 60.0).rho)
        assert not list(folder.iterdir())
    finally:
        folder.chmod(0o755)


def test_off_never_touches_the_disk(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(diskcache.CACHE_ENV, "off")
    assert diskcache.cache_dir() is None
    calls = []
    for _ in range(2):
        diskcache.cached("t", {}, lambda: calls.append(1) or 1.0, lambda v: {"v": np.array(v)}, lambda a: float(a["v"]))
    assert len(calls) == 2 and not list(tmp_path.iterdir())


def test_default_folder_follows_xdg(monkeypatch, tmp_path):
    monkeypatch.delenv(diskcache.CACHE_ENV, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert diskcache.cache_dir() == tmp_path / "pue-twin"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/path")  # invalid by the XDG spec: ignored
    assert diskcache.cache_dir() == Path.home() / ".cache" / "pue-twin"


def test_version_or_source_change_invalidates(cache, monkeypatch, tmp_path):
    src = tmp_path / "model.py"
    src.write_text("A = 1\n")
    calls = []

    def run() -> float:
        diskcache.source_digest.cache_clear()
        return diskcache.cached(
            "t",
            {"x": 1.5},
            lambda: calls.append(1) or 2.5,
            lambda v: {"v": np.array(v)},
            lambda a: float(a["v"]),
            libraries=("CoolProp",),
            sources=(str(src),),
        )

    assert run() == 2.5 and run() == 2.5
    assert len(calls) == 1
    real = diskcache.package_version
    monkeypatch.setattr(diskcache, "package_version", lambda name: real(name) + ".post1")
    run()
    assert len(calls) == 2  # a new CoolProp: computed again
    src.write_text("A = 2\n")
    run()
    assert len(calls) == 3  # the computing code changed: computed again
    assert len(_entries(cache, "t")) == 3


def test_input_json_cannot_spell_is_not_cached(cache):
    calls = []
    for _ in range(2):
        diskcache.cached("t", {"x": float("nan")}, lambda: calls.append(1) or 1.0, lambda v: {}, lambda a: 0.0)
    assert len(calls) == 2 and not _entries(cache, "t")


def test_generated_year_from_cache_is_the_generated_year(cache, monkeypatch):
    site = sites.load("guian")
    loc = site.location
    fresh, fresh_meta = typical_year(
        site.normals,
        latitude=loc.latitude_deg,
        longitude=loc.longitude_deg,
        elevation=loc.elevation_m,
        utc_offset_h=loc.utc_offset_h,
        seed=3,
        variability=site.variability,
        name=site.key,
    )
    weather_source.generated_year(site, seed=3)
    assert len(_entries(cache, "year")) == 1

    def fail(*args, **kwargs):
        raise AssertionError("generated again: the entry was not read")

    monkeypatch.setattr(weather_source, "typical_year", fail)
    ds, meta = weather_source.generated_year(site, seed=3)
    assert ds.identical(fresh)
    assert repr(ds.attrs) == repr(fresh.attrs) and repr(meta) == repr(fresh_meta)
    for name in fresh.variables:
        assert _same_bits(ds[name].values, fresh[name].values), name
        assert ds[name].attrs == fresh[name].attrs
    year, year_meta = weather_source.generated_year_arrays(site, seed=3)  # the arrays the engine reads
    assert year.to_dataset().identical(fresh) and repr(year_meta) == repr(fresh_meta)
    assert set(year.data_vars) == set(fresh.data_vars) and _same_bits(year.time, fresh["time"].values)
    for name in fresh.data_vars:
        assert _same_bits(year[str(name)], fresh[name].values), name
    with pytest.raises(AssertionError, match="generated again"):  # another seed is another year
        weather_source.generated_year(site, seed=4)
    other = dataclasses.replace(site, normals=dataclasses.replace(site.normals, rh_min_daily_mean_pct=(20.0,) * 12))
    with pytest.raises(AssertionError, match="generated again"):  # an optional normal is part of the key
        weather_source.generated_year(other, seed=3)


def test_a_generated_year_with_a_record_flag_is_cached_too(cache, monkeypatch):
    """Guangzhou's seed 1 has one 10.2 K hourly jump of the dry bulb (a record flag in its metadata):
    the flag was not JSON, so the year was never stored and was generated again every run."""
    site = sites.load("guangzhou")
    fresh, fresh_meta = weather_source.generated_year_arrays(site, seed=1)
    assert [f.kind for f in fresh_meta["flags"]] == ["dry_bulb_jump"]
    assert len(_entries(cache, "year")) == 1

    def fail(*args, **kwargs):
        raise AssertionError("generated again: the entry was not read")

    monkeypatch.setattr(weather_source, "typical_year", fail)
    year, meta = weather_source.generated_year_arrays(site, seed=1)
    assert repr(meta) == repr(fresh_meta) and meta["flags"] == fresh_meta["flags"]
    assert year.to_dataset().identical(fresh.to_dataset())


HEAVY = ("dash", "plotly", "scipy", "CoolProp", "pvlib", "numba", "windpowerlib", "linopy", "h5py")


def _imports_after(
    code: str, env: dict[str, str], watched: tuple[str, ...] = HEAVY, *, hide_dask: bool = True
) -> set[str]:
    probe = f"import sys\n{code}\nprint('imported:', *(m for m in {watched!r} if sys.modules.get(m) is not None))"
    # dask hidden as in an install without the [dask] extra (hide_dask): what the twin imports itself.
    hide = "import sys; sys.modules['dask'] = None\n" if hide_dask else ""
    out = subprocess.run(
        [sys.executable, "-c", hide + probe],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        check=True,
    )
    return set(out.stdout.splitlines()[-1].split()[1:])


def test_cli_import_and_warm_run_import_no_heavy_module(tmp_path):
    env = {**os.environ, diskcache.CACHE_ENV: str(tmp_path / "cache")}
    # twin --help / --version: the parser is built without the engine, numpy, pandas or xarray.
    parser = "import twin.cli\ntwin.cli.build_parser().format_help()"
    assert _imports_after(parser, env, (*HEAVY, "numpy", "pandas", "xarray", "twin.engine.simulate")) == set()
    run = "from twin.cli import main\nmain(['run', '--site', 'qingyang', '--cooling', 'free_air', '--no-output'])"
    first = _imports_after(run, env)  # fills the cache
    assert {"CoolProp", "scipy"} <= first
    assert _imports_after(run, env, (*HEAVY, "pandas", "xarray", "netCDF4")) == set()  # a table: numpy only
    frost = "from twin.cli import main\nmain(['run', '--site', 'qingyang', '--cooling', 'spray', '--no-output'])"
    _imports_after(frost, env)  # a liquid design at a site that freezes: glycol properties cached too
    assert "CoolProp" not in _imports_after(frost, env)
    green = f"from twin.cli import main\nmain(['run', {str(ROOT / 'examples' / 'qingyang_green_ppa.toml')!r}, '--no-output'])"
    _imports_after(green, env)
    warm = _imports_after(green, env)  # pvlib and windpowerlib profiles cached; numba (and the scipy
    assert warm <= {"numba", "scipy"}  # numba imports to check its version) runs the storage kernel
    assert "scipy" not in warm or "numba" in warm


def test_warm_run_with_dask_installed_imports_neither_dask_nor_scipy(tmp_path):
    """With dask installed (the dev and [dask] extras) xarray would import dask.array and scipy at
    its first Variable and dask.distributed at the NetCDF write; the CLI defers that
    (twin.core.runtime.defer_dask_in_xarray), so a warm run, table only or writing its file, imports
    neither."""
    pytest.importorskip("dask.array", reason="dask is not installed: the run cannot import it anyway")
    env = {**os.environ, diskcache.CACHE_ENV: str(tmp_path / "cache")}
    watched = ("dask", "dask.array", "distributed", "scipy", "scipy.sparse", "CoolProp", "numba")
    run = ["run", "--site", "qingyang", "--cooling", "free_air"]
    table = f"from twin.cli import main\nmain({[*run, '--no-output']!r})"
    _imports_after(table, env, watched, hide_dask=False)  # the first run on the machine fills the cache
    assert _imports_after(table, env, watched, hide_dask=False) == set()
    out = tmp_path / "q.nc"
    written = f"from twin.cli import main\nmain({[*run, '-o', str(out)]!r})"
    assert _imports_after(written, env, watched, hide_dask=False) == set()
    assert out.stat().st_size > 0


# ----------------------------------------------------------------------------- bounded size, LRU pruning
def _put(name: str, n: int = 1000) -> np.ndarray:
    """A cached table of ``n`` float64 values (≈ 8 kB for 1,000), keyed by ``name``."""
    value = np.arange(n, dtype=float) + len(name)
    return diskcache.cached("t", {"name": name, "n": n}, lambda: value, lambda v: {"v": v}, lambda a: a["v"])


def _age(folder: Path, seconds: float) -> None:
    """Make every entry look last used ``seconds`` ago (older than ``IN_USE_S``)."""
    for i, p in enumerate(sorted(folder.glob("*.npz"), key=lambda p: p.stat().st_mtime)):
        t = p.stat().st_mtime - seconds + i  # keep their order
        os.utime(p, (t, t))


def test_a_tiny_limit_keeps_the_cache_small_and_drops_the_least_recently_used(cache, monkeypatch):
    monkeypatch.setenv(diskcache.MAX_ENV, "0.03")  # 30 kB: three 8 kB entries fit
    for name in ("a", "b", "c"):
        _put(name)
        _age(cache, 600)
    _put("a")  # a read: 'a' becomes the most recently used
    _age(cache, 600)
    _put("d")  # a new entry: over the limit, the oldest unused ('b') goes
    names = {str(np.load(p)["__key__"]).split('"name": "')[1][0] for p in cache.glob("t-*.npz")}
    assert names == {"a", "c", "d"}
    assert sum(p.stat().st_size for p in cache.glob("*.npz")) <= 30_000
    for entry in cache.glob("*.npz"):
        os.utime(entry)  # every entry used within IN_USE_S: nothing is pruned, another process may read it
    _put("e")
    assert len(list(cache.glob("t-*.npz"))) == 4


def test_pruning_keeps_writers_files_and_entries_in_use(cache, monkeypatch):
    monkeypatch.setenv(diskcache.MAX_ENV, "0.001")
    _put("a")
    part = cache / f".t-{'1' * 32}-k2j_9x0a.part"
    part.write_bytes(b"\0" * 50_000)  # another process is writing this entry
    dead = cache / f".t-{'2' * 32}-z8y7x6w5.part"
    dead.write_bytes(b"\0" * 10)
    os.utime(dead, (0, 0))  # a writer that died long ago
    assert diskcache.prune(cache, 1) == 0  # 'a' was used just now
    assert part.exists() and not dead.exists()
    with np.load(next(cache.glob("t-*.npz"))) as z:  # a reader holding the entry open
        _age(cache, 600)
        assert diskcache.prune(cache, 1) > 0 and not list(cache.glob("t-*.npz"))
        assert z["v"][3] == 4.0  # POSIX: the open file is still read whole
    assert part.exists()


def test_pruning_and_clearing_touch_only_the_caches_own_files(cache, monkeypatch):
    """A user's files in the folder (TWIN_CACHE_DIR pointing at their own folder) are never removed."""
    monkeypatch.setenv(diskcache.MAX_ENV, "0.001")
    _put("a")
    (entry,) = cache.glob("t-*.npz")
    assert diskcache._ENTRY.fullmatch(entry.name)
    foreign = [cache / "results.npz", cache / "T-0123.npz", cache / f"x-{'a' * 32}.npz.bak", cache / "a-b.npz"]
    for f in foreign:
        with open(f, "wb") as fh:
            np.savez(fh, big=np.zeros(20_000))  # older and bigger than the bound
    parts = [cache / ".x.part", cache / ".my-notes.part", cache / f".t-{'0' * 32}.part"]
    for f in parts:
        f.write_bytes(b"mine")
    for f in (*foreign, *parts):
        os.utime(f, (0, 0))
    _age(cache, 600)
    size = entry.stat().st_size
    assert diskcache.prune(cache, 1) == size and not entry.exists()
    assert diskcache.cache_info(cache)["entries"] == 0
    _put("b")
    assert diskcache.clear(cache)[:2] == (1, size)
    assert all(f.exists() for f in (*foreign, *parts))
    with pytest.raises(ValueError, match="cache kind"):
        diskcache.cached("Bad Kind", {}, lambda: 1.0, lambda v: {"v": np.array(v)}, lambda a: float(a["v"]))


@pytest.mark.skipif(os.name != "posix", reason="flock and file modes are POSIX")
def test_prune_lock_is_usable_by_other_users(cache, monkeypatch):
    cache.mkdir(parents=True)
    with diskcache._prune_lock(cache) as mine:
        assert mine
    umask = os.umask(0)
    os.umask(umask)
    assert (cache / diskcache._LOCK).stat().st_mode & 0o777 == 0o666 & ~umask
    real = os.open

    def not_writable(path, flags, *args):  # another user's 0644 lock file (root could write it anyway)
        if flags & (os.O_RDWR | os.O_WRONLY):
            raise PermissionError(13, "Permission denied", str(path))
        return real(path, flags, *args)

    monkeypatch.setattr(os, "open", not_writable)
    with diskcache._prune_lock(cache) as mine:
        assert mine
        with diskcache._prune_lock(cache) as other:  # a second opener is still excluded
            assert not other


def test_cache_size_setting_is_checked(cache, monkeypatch, capsys):
    from twin import cli

    for bad in ("abc", "0", "-5", "nan", "inf", "1e303"):
        monkeypatch.setenv(diskcache.MAX_ENV, bad)
        assert cli.main(["cache", "info"]) == 2
        err = capsys.readouterr().err
        assert (
            err.count("\n") == 1 and f"TWIN_CACHE_MAX_MB = '{bad}': " in err and "allowed: a number of megabytes" in err
        )
    monkeypatch.setenv(diskcache.MAX_ENV, "2.5")
    assert diskcache.max_bytes() == 2_500_000
    monkeypatch.delenv(diskcache.MAX_ENV)
    assert diskcache.max_bytes() == diskcache.DEFAULT_MAX_MB * 1e6


def test_bad_size_setting_never_fails_a_library_run(cache, monkeypatch):
    """The CLI refuses a bad TWIN_CACHE_MAX_MB (above); a library run warns once and uses the default."""
    monkeypatch.setenv(diskcache.MAX_ENV, "abc")
    monkeypatch.setattr(diskcache, "_SEEN", {})
    monkeypatch.setattr(diskcache, "_WARNED", set(), raising=False)
    with pytest.warns(UserWarning, match="TWIN_CACHE_MAX_MB = 'abc': not a number.*default 500 MB") as caught:
        assert _put("a")[3] == 4.0
        assert _put("b")[3] == 4.0
    assert len([w for w in caught if "TWIN_CACHE_MAX_MB" in str(w.message)]) == 1
    assert len(list(cache.glob("t-*.npz"))) == 2


def test_cli_cache_info_and_clear(cache, capsys, monkeypatch):
    from twin import cli

    _put("a")
    _put("b", 2000)
    part = cache / ".t-z.part"
    part.write_bytes(b"x")
    assert cli.main(["cache", "info", "--markdown"]) == 0
    out = capsys.readouterr().out
    assert str(cache) in out and "in 2 entries" in out and "limit 500 MB" in out and "| t " in out
    assert cli.main(["cache", "clear"]) == 0
    assert f"removed 2 entries (0.0 MB) from {cache}" in capsys.readouterr().out
    assert not list(cache.glob("*.npz")) and part.exists()
    assert cli.main(["cache", "info"]) == 0
    assert f"folder: {cache} (TWIN_CACHE_DIR)" in capsys.readouterr().out
    monkeypatch.delenv(diskcache.CACHE_ENV)
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    assert cli.main(["cache", "info"]) == 0
    assert f"folder: {cache / 'pue-twin'} (the default: TWIN_CACHE_DIR is unset or empty)" in capsys.readouterr().out
    monkeypatch.setenv(diskcache.CACHE_ENV, "off")
    assert cli.main(["cache", "clear"]) == 0 and "off" in capsys.readouterr().out


def test_cli_cache_clear_reports_what_it_could_not_remove(cache, capsys, monkeypatch):
    from twin import cli

    for name in ("a", "b", "c"):
        _put(name)
    stuck = sorted(cache.glob("t-*.npz"))[1]
    real = Path.unlink

    def unlink(self, *args, **kwargs):  # e.g. another user's entry in a sticky folder
        if self == stuck:
            raise PermissionError(13, "Permission denied", str(self))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Path, "unlink", unlink)
    assert cli.main(["cache", "clear"]) == 1
    out, err = capsys.readouterr()
    assert "removed 2 entries" in out
    assert err == f"twin: error: 1 entry could not be removed (first: {stuck}: Permission denied)\n"
    assert list(cache.glob("t-*.npz")) == [stuck]


def test_cli_cache_on_a_missing_folder_or_a_file(cache, capsys, monkeypatch):
    from twin import cli

    for action in ("info", "clear"):
        assert cli.main(["cache", action]) == 0
        assert f"folder: {cache} (TWIN_CACHE_DIR) does not exist yet: nothing is cached" in capsys.readouterr().out
    cache.parent.mkdir(parents=True)
    cache.write_text("a file")
    for action in ("info", "clear"):
        assert cli.main(["cache", action]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and f"TWIN_CACHE_DIR = '{cache}': {cache} is a file, not a folder" in err


_WORKER = """
import os, sys, numpy as np
from twin.core import diskcache
seed = int(sys.argv[1])
rng = np.random.default_rng(seed)
for i in range(200):
    name = str(int(rng.integers(0, 400)))
    n = 500 + int(name)
    want = np.arange(n, dtype=float) * int(name)
    got = diskcache.cached("c", {"name": name}, lambda: want, lambda v: {"v": v}, lambda a: a["v"])
    assert got.tobytes() == want.tobytes(), (name, i)
    if i % 20 == 0:  # entries age: most are no longer in use, pruning has work to do
        for p in diskcache.cache_dir().glob("*.npz"):
            try:
                os.utime(p, (p.stat().st_mtime - 120,) * 2)
            except OSError:
                pass
print("ok")
"""


def test_two_processes_share_a_tiny_cache(cache):
    """Two processes reading, writing and pruning one folder with a 40 kB bound: every value read
    is the computed one, nothing fails, and the folder ends within the bound plus the entries used
    in the last minute."""
    env = {**os.environ, diskcache.CACHE_ENV: str(cache), diskcache.MAX_ENV: "0.04"}
    procs = [
        subprocess.Popen([sys.executable, "-c", _WORKER, str(s)], env=env, stdout=subprocess.PIPE, text=True)
        for s in (1, 2)
    ]
    outs = [p.communicate(timeout=300)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0] and outs == ["ok\n", "ok\n"]
    held = sum(p.stat().st_size for p in cache.glob("*.npz"))
    assert 0 < held <= 40_000 + 40 * 8_000  # unpruned, the ≈ 300 distinct entries would hold ≈ 1.8 MB
    assert not list(cache.glob(".*.part"))
    _age(cache, 600)
    diskcache.prune(cache, 40_000)
    assert 0 < sum(p.stat().st_size for p in cache.glob("*.npz")) <= 40_000


def test_the_generated_years_key_covers_every_weather_module_the_generator_runs():
    """A cached year is keyed by the digest of every ``weather`` module a generation imports."""
    import subprocess
    import sys

    code = (
        "import sys, sites\n"
        "from weather.generator import typical_year, as_variability\n"
        "from twin.engine import weather_source as w\n"
        "site = sites.load('qingyang')\n"
        "typical_year(site.normals, variability=as_variability(site.variability), latitude=36.0, longitude=107.6,"
        " elevation=1421.0, utc_offset_h=8.0, seed=0)\n"
        "used = {m.__file__ for n, m in sys.modules.items() if n.startswith('weather.') and getattr(m, '__file__', None)}\n"
        "print(sorted(used - set(w._GENERATOR_FILES)))\n"
        "print(len(used))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split("\n")
    assert out[0] == "[]"
    assert int(out[1]) >= 4  # generator, dataset, psychrometrics, solar at least


def test_a_cache_folder_under_a_file_is_refused_in_one_line(tmp_path, monkeypatch, capsys):
    """``TWIN_CACHE_DIR=afile/cache`` can never be made a folder: it was taken and the run went on
    silently without a cache (``afile`` itself was refused)."""
    from twin import cli

    (tmp_path / "afile").write_text("a file")
    cache = tmp_path / "afile" / "deeper" / "cache"
    monkeypatch.setenv("TWIN_CACHE_DIR", str(cache))
    assert cli.main(["cache", "info"]) == 2
    err = capsys.readouterr().err
    want = f"TWIN_CACHE_DIR = '{cache}': {tmp_path / 'afile'} is a file, so {cache} cannot be made a folder; allowed"
    assert err.count("\n") == 1 and err.startswith(f"twin: error: {want}")
