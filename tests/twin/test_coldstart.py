"""What a fresh ``twin run`` pays for beyond Python and numpy: structure, never time (bench/coldstart.py)."""

from __future__ import annotations

import os

import pytest

from tests.twin.core.test_diskcache import _imports_after
from twin import cli
from twin.building.cooling import DESIGNS, modes
from twin.core import diskcache

NOT_IN_A_WARM_RUN = (
    # heavy libraries: the disk cache, numpy arrays and netCDF4 stand in for them
    *("pandas", "xarray", "scipy", "numba", "dask", "distributed", "CoolProp", "pvlib", "windpowerlib"),
    *("plotly", "dash", "linopy", "highspy", "h5py", "h5netcdf"),
    # the twin's modules a free-air run does not use: the other designs, the compiled kernels,
    # the generator (its year is cached), studies and the dashboard
    *("twin.building.cooling.chilled_water", "twin.building.cooling.indirect_evap", "twin.building.cooling.liquid"),
    *("twin.engine.kernels", "twin.engine.kernel_parts", "twin.engine.design_kernels", "twin.engine.liquid_kernels"),
    *("weather.generator", "twin.studies", "dashboards"),
    # standard modules only some paths need: distribution metadata (email, zipfile, csv…), the
    # thread pool of a many-block run, ctypes.util (it runs ldconfig), importlib.abc
    # (importlib.resources, tempfile), scenario saving
    *("importlib.metadata", "email", "concurrent.futures", "ctypes.util", "importlib.abc", "tomli_w"),
)
"""Modules a warm ``twin run --site X --cooling free_air`` (table or file) must not import."""


@pytest.mark.parametrize("output", [["--no-output"], ["-o", "run.nc", "--force"]], ids=["table", "file"])
def test_a_warm_run_imports_only_what_it_uses(tmp_path, output):
    env = {**os.environ, diskcache.CACHE_ENV: str(tmp_path / "cache")}
    argv = ["run", "--site", "qingyang", "--cooling", "free_air", *output]
    argv = [str(tmp_path / a) if a == "run.nc" else a for a in argv]
    run = f"from twin.cli import main\nmain({argv!r})"
    _imports_after(run, env, hide_dask=False)  # the first run on the machine fills the cache
    assert _imports_after(run, env, NOT_IN_A_WARM_RUN, hide_dask=False) == set()
    assert (tmp_path / "run.nc").exists() == ("-o" in output)


def test_the_probe_sees_a_lazy_module_imported(tmp_path):
    """The test above can fail: a run of another design imports that design (and a study, the kernels)."""
    env = {**os.environ, diskcache.CACHE_ENV: str(tmp_path / "cache")}
    run = "from twin.cli import main\nmain(['run', '--site', 'qingyang', '--cooling', 'chilled_water', '--no-output'])"
    assert "twin.building.cooling.chilled_water" in _imports_after(run, env, NOT_IN_A_WARM_RUN, hide_dask=False)
    kernels = "import twin.engine.simulate, twin.engine.kernels"
    assert "twin.engine.kernels" in _imports_after(kernels, env, NOT_IN_A_WARM_RUN, hide_dask=False)


def test_designs_are_listed_without_importing_them(tmp_path):
    env = {**os.environ, diskcache.CACHE_ENV: str(tmp_path / "cache")}
    code = (
        "from twin.building.cooling import DESIGNS\n"
        "from twin.engine.simulate import mode_codes\n"
        "assert 'spray' in DESIGNS and len(list(DESIGNS)) == 7\n"
        "mode_codes()"
    )
    _imports_after(code, env, hide_dask=False)  # fills the cache (fluid names: CoolProp)
    assert _imports_after(code, env, NOT_IN_A_WARM_RUN, hide_dask=False) == set()


def test_registry_modes_are_the_designs_modes():
    """``DESIGNS.modes`` (read without importing a design) is what the loaded design carries."""
    assert [DESIGNS.modes(name) for name in DESIGNS] == [DESIGNS[name].modes for name in DESIGNS]
    assert DESIGNS.modes("free_air") == modes.FREE_AIR and DESIGNS.modes("cold_plate") == modes.LIQUID


COMMANDS = ("sites", "weather", "run", "compare", "dash", "report", "size", "sweep", "ensemble", "cache")


@pytest.mark.parametrize("command", [*COMMANDS, "weather-validate"])
def test_the_parser_of_the_command_run_is_the_whole_parser(command):
    """``build_parser(command)`` (what ``twin COMMAND`` builds) gives that command its whole parser."""
    full, only = cli.build_parser(), cli.build_parser(command)
    assert only.format_help() == full.format_help()  # twin --help lists every command still
    sub = {p.prog: p for p in _subparsers(full)}, {p.prog: p for p in _subparsers(only)}
    assert sub[1][f"twin {command}"].format_help() == sub[0][f"twin {command}"].format_help()
    others = [prog for prog in sub[1] if prog != f"twin {command}"]
    assert all(sub[1][prog].format_help() != sub[0][prog].format_help() for prog in others)  # left out


def _subparsers(parser):
    action = next(a for a in parser._actions if a.dest == "command")
    return list(action.choices.values())


@pytest.mark.parametrize(
    ("argv", "command"),
    [
        (["run", "--site", "x"], "run"),
        (["--site-dir", "run", "sites"], "sites"),  # the value of --site-dir is not the command
        (["--site-d", "d", "run"], "run"),  # an abbreviation of --site-dir takes its value too
        (["--site-dir=d", "compare"], "compare"),
        (["--version"], None),
        (["--", "run"], None),
        ([], None),
    ],
)
def test_the_command_is_found_before_parsing(argv, command):
    assert cli._command_of(argv) == command


def test_a_run_through_the_command_line_is_unchanged(capsys):
    """The same table whether the parser was built whole or for the command alone."""
    argv = ["run", "--site", "qingyang", "--cooling", "free_air", "--no-output", "--seed", "0"]
    assert cli.main(argv) == 0
    once = capsys.readouterr().out
    args = cli.build_parser().parse_args(argv)
    assert int(args.func(args)) == 0
    assert capsys.readouterr().out == once and "qingyang" in once


@pytest.mark.parametrize("name", ["numpy", "CoolProp", "coolprop", "windpowerlib", "pvlib", "typing_extensions"])
def test_package_version_is_the_metadata_version(name):
    """Read from the ``.dist-info`` folder's name and METADATA, as :mod:`importlib.metadata` gives it."""
    from importlib.metadata import version

    diskcache.package_version.cache_clear()
    assert diskcache.package_version(name) == version(name)


def test_package_version_of_a_missing_distribution_is_absent():
    diskcache.package_version.cache_clear()
    assert diskcache._metadata_version("no-such-distribution-of-the-twin") is None
    assert diskcache.package_version("no-such-distribution-of-the-twin") == "absent"


@pytest.mark.parametrize("layout", ["develop folder", "egg folder", "egg-info file"])
def test_package_version_reads_an_egg_info(tmp_path, monkeypatch, layout):
    """An egg or ``setup.py develop`` install has ``NAME.egg-info/PKG-INFO`` (or an ``.egg-info``
    file that is the PKG-INFO), no ``.dist-info``: read without importlib.metadata, as it reads it."""
    from importlib.metadata import version

    pkg_info = "Metadata-Version: 1.1\nName: twin-egg-probe\nVersion: 3.1.4\nSummary: x\n\nbody\nVersion: 9\n"
    if layout == "egg-info file":
        (tmp_path / "twin_egg_probe-3.1.4-py3.11.egg-info").write_text(pkg_info)
    else:
        folder = tmp_path / (
            "twin_egg_probe.egg-info" if layout == "develop folder" else "twin_egg_probe-3.1.4-py3.11.egg-info"
        )
        folder.mkdir()
        (folder / "PKG-INFO").write_text(pkg_info)
    monkeypatch.syspath_prepend(str(tmp_path))
    diskcache.package_version.cache_clear()
    assert diskcache._metadata_version("twin-egg-probe") == "3.1.4"  # the fast path, not importlib.metadata
    assert diskcache.package_version("Twin.Egg_Probe") == "3.1.4" == version("twin-egg-probe")


def test_the_command_leaves_its_objects_to_the_exit_uncollected(tmp_path):
    """``twin`` freezes the collector's objects at exit (:func:`twin.core.runtime.freeze_at_exit`):
    a handler registered before the command runs after the command's and sees them frozen; a
    process that only imports the twin does not."""
    import subprocess
    import sys
    import textwrap

    probe = """
        import atexit, gc
        atexit.register(lambda: print("frozen" if gc.get_freeze_count() else "collected"))  # runs last
        from twin.cli import main
        {call}
    """
    env = {**os.environ, diskcache.CACHE_ENV: str(tmp_path / "cache")}
    seen = {}
    for name, call in (("cli", "main(['--version'])"), ("library", "import twin.core.runtime")):
        out = subprocess.run(
            [sys.executable, "-c", textwrap.dedent(probe.format(call=call))],
            capture_output=True,
            text=True,
            env=env,
            check=True,
        )
        seen[name] = out.stdout.split()[-1]
    assert seen == {"cli": "frozen", "library": "collected"}


def test_the_exit_handler_is_registered_once():
    from twin.core import runtime

    runtime.freeze_at_exit()  # registered (here or by an earlier main() in this process)
    assert runtime.freeze_at_exit() is False
