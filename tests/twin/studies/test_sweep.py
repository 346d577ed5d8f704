"""twin sweep: grids and lists of cases in blocks, one labelled NetCDF, resumable after an interruption."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
import xarray as xr

from twin import Scenario, annual_kpis, cli
from twin.core.io import OutputError
from twin.core.params import ConfigError
from twin.studies.sweep import parse_grid, read_case_list, run_sweep

BASE = Scenario(sites=("karamay", "guian"), designs=("free_air", "spray"))
GRID = (("facility.utilisation", (0.3, 0.6, 0.9)), ("cooling.free_air.evap_effectiveness", (0.7, 0.9)))


@pytest.fixture(scope="module")
def grid_result():
    return run_sweep(BASE, GRID, block=5, progress=False)


def test_parse_grid_list_and_inclusive_range():
    assert parse_grid("facility.utilisation=0.3,0.5") == ("facility.utilisation", (0.3, 0.5))
    key, values = parse_grid("facility.utilisation=0.3:0.9:0.1")
    assert key == "facility.utilisation"
    assert values == (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)  # stop included, no 0.30000000000000004
    assert parse_grid("cooling.chilled_water.refrigerant=R134a,R1234ze(E)")[1] == ("R134a", "R1234ze(E)")
    assert parse_grid("green.storage.enabled=true,false")[1] == (True, False)


@pytest.mark.parametrize("spec", ["facility.utilisation", "=1,2", "k=1:2", "k=2:1:0.5", "k=0:1:0", "k=1,1", "k=a:b:c"])
def test_parse_grid_rejects_malformed(spec):
    with pytest.raises(ConfigError, match="--grid"):
        parse_grid(spec)


def test_a_huge_count_is_written_in_scientific_form():
    """A step of 1e-300 spelled out a 300-digit count (a 491-character line)."""
    with pytest.raises(ConfigError) as err:
        parse_grid("facility.utilisation=0.3:0.9:1e-300")
    assert str(err.value) == "--grid 'facility.utilisation=0.3:0.9:1e-300': 6e+299 values; at most 100,000 per key"
    with pytest.raises(ConfigError, match=r"asks for 1e\+300 points; at most 200$"):
        cli._pareto_values("0:1:1e-300", "hourly")
    from twin.core.runtime import check_cases

    with pytest.raises(ValueError) as err:
        check_cases(10**30)
    assert "expands to 1e+30 cases" in str(err.value) and "about 1e+24 GB" in str(err.value)
    assert len(str(err.value)) < 300


def test_grid_equals_one_engine_call_with_the_same_sweep(grid_result):
    ref = annual_kpis(Scenario(sites=BASE.sites, designs=BASE.designs, sweep=GRID))
    ds = grid_result
    assert ds["pue"].dims == ("site", "design", "facility.utilisation", "cooling.free_air.evap_effectiveness")
    assert ds["pue"].shape == (2, 2, 3, 2)
    for name in ref.data_vars:  # same physics, same order; blocks of 5 do not change a bit
        np.testing.assert_array_equal(ds[name].to_numpy().ravel(), ref[name].to_numpy())
    assert list(ds["facility.utilisation"].values) == [0.3, 0.6, 0.9]
    # the swept utilisation moves PUE (fixed losses spread over more IT energy)
    pue = ds["pue"].sel(site="karamay", design="free_air")
    assert float(pue.sel({"facility.utilisation": 0.9}).max()) < float(pue.sel({"facility.utilisation": 0.3}).min())


def test_every_variable_and_coordinate_is_labelled(grid_result):
    for name, v in {**grid_result.data_vars, **grid_result.coords}.items():
        assert v.attrs.get("long_name"), name
        if name not in ("site", "design"):
            assert "units" in v.attrs, name
    assert grid_result["facility.utilisation"].attrs["units"] == "1"  # UDUNITS: dimensionless
    assert grid_result["pue"].attrs["units"] == "1"


def test_case_list_rows(tmp_path):
    f = tmp_path / "cases.csv"
    f.write_text("facility.utilisation,facility.it_capacity_kw\n0.5,5000\n0.8,20000\n0.5,20000\n")
    keys, rows = read_case_list(f)
    assert keys == ("facility.utilisation", "facility.it_capacity_kw") and rows[1] == (0.8, 20000)
    base = Scenario(sites=("karamay",), designs=("free_air", "spray"))
    ds = run_sweep(base, case_list=(keys, rows), block=2, progress=False)
    assert ds["pue"].dims == ("site", "design", "row")
    assert list(ds["facility.it_capacity_kw"].values) == [5000, 20000, 20000]
    for r, row in enumerate(rows):
        one = annual_kpis(
            Scenario(
                sites=base.sites, designs=base.designs, sweep=tuple((k, (v,)) for k, v in zip(keys, row, strict=True))
            )
        )
        np.testing.assert_array_equal(ds["pue"].isel(row=r).to_numpy().ravel(), one["pue"].to_numpy())


def test_case_list_errors_name_the_line(tmp_path):
    f = tmp_path / "bad.csv"
    f.write_text("facility.utilisation\n0.5\n1.5\n")
    with pytest.raises(ConfigError, match=r"^--list .*bad\.csv:3: .*utilisation = 1\.5"):
        run_sweep(BASE, case_list=read_case_list(f), progress=False)
    f.write_text("facility.utilisation,facility.idle_fraction\n0.5\n")
    with pytest.raises(ConfigError, match=r"bad\.csv:2: 1 value, the header \(line 1\) 2$"):
        read_case_list(f)
    f.write_text("x,y\n1,2\n")  # a key's error is in the header, line 1 (it said "line 2")
    with pytest.raises(ConfigError, match=r"^--list .*bad\.csv:1 \(the header\): sweep key 'x' is not a parameter"):
        read_case_list(f)


def test_a_case_list_error_names_the_file_and_its_real_line(tmp_path):
    """A row's refusal said "--list line 3" (no file) and counted only the non-blank lines: it
    says FILE:LINE of the line the row is on, blank lines and lines of empty cells counted."""
    f = tmp_path / "gaps.csv"
    f.write_text("\nfacility.utilisation,facility.it_capacity_kw\n\n0.5,5000\n , \n\n1.5,5000\n")
    with pytest.raises(ConfigError) as caught:
        run_sweep(BASE, case_list=read_case_list(f), progress=False)
    assert str(caught.value) == (
        f"--list {f}:7: sweep facility.utilisation, facility.it_capacity_kw: facility.utilisation = 1.5 is out of "
        "range; allowed 0 … 1"
    )
    assert caught.value.kind == "out_of_range"  # its parts kept: the dashboard's Chinese says it
    f.write_text('facility.utilisation,facility.idle_fraction\n\n0.5,"0.1\n"\n0.6\n')  # a cell over two lines
    with pytest.raises(ConfigError, match=rf"^--list {re.escape(str(f))}:5: 1 value, the header \(line 1\) 2$"):
        read_case_list(f)
    f.write_text("\n\nx\n0.5\n")
    with pytest.raises(ConfigError, match=r"gaps\.csv:3 \(the header\): sweep key 'x' is not a parameter"):
        read_case_list(f)
    with pytest.raises(ConfigError, match=r"^the case list, row 2: sweep facility\.utilisation: .* = 1\.5 is out"):
        run_sweep(BASE, case_list=(("facility.utilisation",), [(0.5,), (1.5,)]), progress=False)


CASES_WITH_GAPS = "facility.utilisation,facility.it_capacity_kw\n\n0.5,5000\n , \n0.8,20000\r\n\n0.65,1e4\n"
MAINS_LIST_PART = "749e71fdb312b2179746666ac598e29ddc248809c0917d28ca4dcb6e713fd008"
"""The checkpoint fingerprint's ``list`` part of :data:`CASES_WITH_GAPS` as main's code (session
15, a plain ``(keys, rows)`` from ``read_case_list``) wrote it into ``study.json``."""


def test_a_checkpoint_of_a_case_list_written_before_line_numbers_resumes(tmp_path, capsys):
    """The case list is part of a checkpoint's fingerprint: the list read with its lines (a
    CaseList) is the same study as the plain (keys, rows) main wrote, so its checkpoint resumes."""
    f = tmp_path / "cases.csv"
    f.write_bytes(CASES_WITH_GAPS.encode())
    case_list = read_case_list(f)
    assert case_list.lines == (3, 5, 7)
    base = Scenario(sites=("karamay",), designs=("free_air",))
    out = tmp_path / "l.nc"

    def interrupt(i):
        if i == 1:
            raise Stop

    old = (tuple(case_list[0]), list(case_list[1]))  # what main's read_case_list returned
    with pytest.raises(Stop):
        run_sweep(base, case_list=old, output=out, block=1, progress=False, on_block=interrupt)
    saved = json.loads((tmp_path / "l.nc.checkpoint" / "study.json").read_text())
    assert saved["parts"]["list"] == MAINS_LIST_PART
    computed = []
    ds = run_sweep(base, case_list=case_list, output=out, block=1, progress=False, on_block=computed.append)
    assert computed == [2]  # rows 0 and 1 loaded from main's checkpoint
    assert "resuming from" in capsys.readouterr().err
    assert list(ds["facility.it_capacity_kw"].values) == [5000, 20000, 10000.0]


def test_a_case_list_saved_with_a_byte_order_mark_reads_as_without(tmp_path):
    """A spreadsheet's "CSV UTF-8" starts with a BOM: its first key was refused as
    '\\ufefffacility.utilisation' (review 16a, finding 5). Read as the file without it (so the
    same checkpoint fingerprint, :data:`MAINS_LIST_PART` for the file without it)."""
    plain, bom = tmp_path / "plain.csv", tmp_path / "bom.csv"
    plain.write_bytes(CASES_WITH_GAPS.encode())
    bom.write_bytes(b"\xef\xbb\xbf" + CASES_WITH_GAPS.encode())
    a, b = read_case_list(plain), read_case_list(bom)
    assert (a[0], a[1], a.lines) == (b[0], b[1], b.lines) and b[0][0] == "facility.utilisation"


def test_a_case_list_not_utf8_or_semicolon_separated_is_one_line(tmp_path):
    """A Latin-1 case list was an internal error (UnicodeDecodeError's text); a ';'-separated one
    said "line 2 has 2 values, the header 1"."""
    f = tmp_path / "cases.csv"
    f.write_bytes("facility.utilisation\n0.5 \u00e9\n".encode("latin-1"))
    with pytest.raises(
        ConfigError, match=r"^--list .*cases\.csv: not UTF-8 text \(byte 25\); save the CSV file as UTF-8$"
    ):
        read_case_list(f)
    f.write_text("facility.utilisation,facility.utilisation\n0.5,0.6\n")
    with pytest.raises(
        ConfigError,
        match=r"cases\.csv:1 \(the header\): key 'facility\.utilisation' is repeated; give each key once$",
    ):
        read_case_list(f)
    f.write_text("facility.utilisation,\n0.5,0.6\n")
    with pytest.raises(ConfigError, match=r"cases\.csv:1 \(the header\): column 2 is empty; give each key once$"):
        read_case_list(f)
    f.write_text("facility.utilisation;facility.idle_fraction\n0,5;0,2\n")
    with pytest.raises(
        ConfigError, match=r"header 'facility\.utilisation;facility\.idle_fraction' is separated by ';'"
    ):
        read_case_list(f)


def test_a_design_key_needs_its_design():
    with pytest.raises(ConfigError, match="design this study does not run; designs: spray"):
        run_sweep(Scenario(designs=("spray",)), (("cooling.free_air.evap_effectiveness", (0.7, 0.8)),), progress=False)


class Stop(Exception):
    pass


def test_interrupted_sweep_resumes_without_recomputing(tmp_path, grid_result, capsys):
    out = tmp_path / "s.nc"
    k = 2

    def interrupt(i):
        if i == k - 1:
            raise Stop

    with pytest.raises(Stop):
        run_sweep(BASE, GRID, output=out, block=5, progress=False, on_block=interrupt)
    ckpt = tmp_path / "s.nc.checkpoint"
    assert not out.exists() and len(list(ckpt.glob("block-*.npz"))) == k
    computed = []
    capsys.readouterr()
    ds = run_sweep(BASE, GRID, output=out, block=5, progress=False, on_block=computed.append)
    assert computed == list(range(k, 5))  # 24 cases in blocks of 5: blocks 0 and 1 loaded, not run
    assert capsys.readouterr().err == f"resuming from {ckpt}: 2 of 5 blocks done, 3 to run\n"
    xr.testing.assert_identical(ds, grid_result.assign_attrs(ds.attrs))
    back = xr.load_dataset(out, engine="h5netcdf")  # CF layout: swept keys renamed, their key kept
    back = back.rename({n: back[n].attrs["parameter"] for n in back.coords if "parameter" in back[n].attrs})
    assert back["pue"].dims == ds["pue"].dims and list(back["site"].values) == list(ds["site"].values)
    for name in ds.data_vars:
        np.testing.assert_array_equal(back[name].values, ds[name].values, err_msg=name)
    assert not ckpt.exists()  # removed once the file is written


def test_output_and_foreign_checkpoint_are_never_replaced_silently(tmp_path):
    out = tmp_path / "s.nc"
    out.write_text("mine")
    with pytest.raises(OutputError, match="exists"):
        run_sweep(BASE, GRID, output=out, progress=False)
    assert out.read_text() == "mine"
    other = tmp_path / "t.nc"
    with pytest.raises(Stop):
        run_sweep(BASE, GRID, output=other, block=5, progress=False, on_block=lambda i: (_ for _ in ()).throw(Stop))
    changed = (("facility.utilisation", (0.4, 0.6)),)
    with pytest.raises(
        OutputError,
        match=r"checkpoint of another study \(the scenario \(its sites, designs, grid or fields\) differs\)",
    ):
        run_sweep(BASE, changed, output=other, block=5, progress=False)
    with pytest.raises(OutputError, match=r"checkpoint of another study \(--kernel differs\)"):  # ran on numpy
        run_sweep(BASE, GRID, output=other, block=5, progress=False, kernel="numba")
    with pytest.raises(OutputError, match=r"checkpoint of another study \(--block differs\)"):
        run_sweep(BASE, GRID, output=other, block=4, progress=False)
    with pytest.raises(OutputError, match=r"checkpoint of another study \(the scenario .*, --block differ\)"):
        run_sweep(BASE, changed, output=other, block=4, progress=False)
    ds = run_sweep(BASE, changed, output=other, block=5, progress=False, force=True)
    from twin.engine.kernels import kernel_for, kernel_mark

    assert kernel_mark(8, kernel_for(8)) == {}  # auto's choice is not recorded: older checkpoints resume
    assert kernel_mark(8, "numba") == {"kernel": "numba"} and kernel_for(8) == "reference"
    assert ds["pue"].shape == (2, 2, 2)


def test_cli_sweep(tmp_path, capsys):
    out = tmp_path / "c.nc"
    args = ["sweep", "--site", "karamay", "--cooling", "free_air", "--grid", "facility.utilisation=0.4:0.8:0.2"]
    assert cli.main([*args, "-o", str(out)]) == 0
    text = capsys.readouterr().out
    ds = xr.load_dataset(out, engine="h5netcdf")
    assert ds["pue"].shape == (1, 1, 3)
    best = float(ds["facility__utilisation"][int(np.argmin(ds["pue"].data))])  # CF name of the swept key
    assert f"facility.utilisation={best:g}" in text and "3 cases" in text
    assert cli.main([*args, "-o", str(out)]) == 2
    assert "exists" in capsys.readouterr().err
    assert cli.main([*args[:-1], "facility.utilisatio=0.5", "-o", str(tmp_path / "d.nc")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("twin: error:") and "utilisatio" in err and err.count("\n") == 1


def test_cli_sweep_over_a_text_parameter(tmp_path, capsys):
    """A swept text value (containment, a fluid) is named as it is in the summary (it crashed)."""
    out = tmp_path / "t.nc"
    grid = ["--grid", "facility.containment=none,hot_aisle", "--grid", "cooling.free_air.evap_effectiveness=0.7,0.9"]
    assert cli.main(["sweep", "--site", "qingyang", "--cooling", "free_air", *grid, "-o", str(out)]) == 0
    text = capsys.readouterr().out
    ds = xr.load_dataset(out, engine="h5netcdf")
    i = np.unravel_index(int(np.argmin(ds["pue"].data)), ds["pue"].shape)
    best = str(ds["pue"].isel(dict(zip(ds["pue"].dims, i, strict=True)))["facility__containment"].values)
    assert best in {"none", "hot_aisle"} and f"facility.containment={best}" in text


def test_cli_sweep_set_applies_to_every_case_as_run_does(tmp_path, capsys):
    """``--set`` on a sweep is ``twin run``'s: every case gets it, the same messages and warning."""
    grid = ["--grid", "facility.utilisation=0.5,0.8"]
    args = ["sweep", "--site", "qingyang", "--cooling", "free_air", "spray", *grid]
    assert cli.main([*args, "-o", str(tmp_path / "a.nc")]) == 0
    capsys.readouterr()
    setting = ["--set", "facility.it_capacity_kw=50000", "--set", "cooling.chilled_water.t_chw_supply=10"]
    assert cli.main([*args, *setting, "-o", str(tmp_path / "b.nc")]) == 0
    err = capsys.readouterr().err
    assert err.count("twin: warning: --set cooling.chilled_water.t_chw_supply=10: chilled_water is not among") == 1
    a, b = (xr.load_dataset(tmp_path / f, engine="h5netcdf") for f in ("a.nc", "b.nc"))
    ratio = b["energy_it"] / a["energy_it"]
    assert ratio.shape == (1, 2, 2) and np.allclose(ratio, 50000 / Scenario().cases()[0].facility.it_capacity_kw)
    ref = annual_kpis(
        Scenario(
            sites=("qingyang",), designs=("free_air", "spray"), sweep=(("facility.utilisation", (0.5, 0.8)),)
        ).with_overrides(["facility.it_capacity_kw=50000"])
    )
    np.testing.assert_allclose(b["pue"].values.ravel(), ref["pue"].values, rtol=1e-12)
    run = ["run", "--site", "qingyang", "--cooling", "spray", "--no-output"]
    for bad in ("facility.nope=1", "green.pv.capacity_mw=-1", "nosuch.x=1", "facility.utilisation"):
        assert cli.main([*run, "--set", bad]) == 2
        want = capsys.readouterr().err
        assert cli.main([*args, "--set", bad, "-o", str(tmp_path / "c.nc")]) == 2
        assert capsys.readouterr().err == want  # the same one line as twin run's
    assert cli.main([*args, "--set", "facility.utilisation=0.3", "-o", str(tmp_path / "d.nc")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "facility.utilisation is also swept" in err


def test_cli_sweep_says_which_kernel_ran(tmp_path, capsys):
    grid = ["--grid", "facility.utilisation=0.5,0.8"]
    args = ["sweep", "--site", "qingyang", "--cooling", "free_air", "spray", *grid, "-o", str(tmp_path / "k.nc")]
    assert cli.main(args) == 0
    err = capsys.readouterr().err
    assert (  # 4 case-years: below kernel="auto"'s threshold, and the line says so
        "kernel: reference (free_air, spray); this sweep is 4 case-years, --kernel auto compiles from 1,000 "
        "(--kernel numba compiles it, results agree to 1e-12)\n"
    ) in err
    assert xr.load_dataset(tmp_path / "k.nc", engine="h5netcdf").attrs["kernel"] == "reference (free_air, spray)"


@pytest.mark.parametrize("command", ["sweep", "ensemble"])
def test_cli_kernel_option_chooses_the_implementation(tmp_path, capsys, command):
    """--kernel numba runs a 2-case study compiled (auto would take the reference), with the
    same KPIs as --kernel reference (a checkpoint of one is not resumed by the other: see
    test_output_and_foreign_checkpoint_are_never_replaced_silently)."""
    from twin.core.jit import AUTO_MIN_CASE_YEARS

    base = [command, "--site", "qingyang", "--cooling", "spray", "--grid", "facility.utilisation=0.5,0.8"]
    if command == "ensemble":
        base += ["--seeds", "1"]
    files = {}
    for kernel in ("numba", "reference"):
        files[kernel] = tmp_path / f"{kernel}.nc"
        assert cli.main([*base, "--kernel", kernel, "-o", str(files[kernel])]) == 0
        assert f"kernel: {kernel} (spray)\n" in capsys.readouterr().err
    numba, ref = (xr.load_dataset(files[k], engine="h5netcdf") for k in ("numba", "reference"))
    assert numba.attrs["kernel"] == "numba (spray)" and ref.attrs["kernel"] == "reference (spray)"
    for name in ("pue", "wue", "overhead_share", "energy_facility"):
        np.testing.assert_allclose(numba[name].to_numpy(), ref[name].to_numpy(), rtol=1e-12)
    with pytest.raises(SystemExit) as exit_:
        cli.main([*base, "--kernel", "fast", "-o", str(tmp_path / "f.nc")])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--kernel: invalid choice: 'fast' (choose from 'auto', 'numba', 'reference')" in err
    with pytest.raises(SystemExit):
        cli.main([command, "--help"])
    assert f"{AUTO_MIN_CASE_YEARS:,} case-years" in " ".join(capsys.readouterr().out.split())


def test_kernel_summary_names_each_designs_implementation(monkeypatch):
    from twin.studies import sweep

    monkeypatch.setattr(sweep, "COMPILED_DESIGNS", {"free_air": None, "chilled_water": None})
    assert sweep.kernel_summary("numba", ["free_air", "spray", "chilled_water"]) == (
        "numba (free_air, chilled_water), reference (spray)"
    )
    assert sweep.kernel_summary("reference", ["free_air", "spray"]) == "reference (free_air, spray)"
    assert sweep.kernel_summary("numba", ["free_air"]) == "numba (free_air)"


@pytest.fixture(scope="module")
def three_blocks(tmp_path_factory):
    """A checkpoint of BASE × GRID in blocks of 5 with blocks 0, 1 and 2 finished."""
    out = tmp_path_factory.mktemp("ck") / "s.nc"

    def interrupt(i):
        if i == 2:
            raise Stop

    with pytest.raises(Stop):
        run_sweep(BASE, GRID, output=out, block=5, progress=False, on_block=interrupt)
    return out.with_name("s.nc.checkpoint")


def _block(ckpt, i):
    (p,) = ckpt.glob(f"block-{i:06d}*.npz")
    return p


def _rewrite(p, **changes):
    with np.load(p) as z:
        data = {k: z[k] for k in z.files}
    data.update(changes)
    with p.open("wb") as fh:
        np.savez(fh, **data)


DAMAGE = {
    "cut-in-half": lambda c: _block(c, 1).write_bytes(_block(c, 1).read_bytes()[:2000]),
    "empty": lambda c: _block(c, 1).write_bytes(b""),
    "garbage": lambda c: _block(c, 1).write_bytes(b"\x93NUMPY" + bytes(range(256)) * 40),
    "pue-edited": lambda c: _rewrite(_block(c, 1), pue=np.full(5, 0.5)),
    "array-cut-short": lambda c: _rewrite(_block(c, 1), pue=np.full(3, 1.2)),
    "block-0-copied-over-1": lambda c: _block(c, 1).write_bytes(_block(c, 0).read_bytes()),
    "block-0-copied-with-its-name": lambda c: (
        _block(c, 1).unlink(),
        (c / _block(c, 0).name.replace("block-000000", "block-000001")).write_bytes(_block(c, 0).read_bytes()),
    ),
}


def _undigested(c, beside):
    """Block 1 edited (PUE 0.5) and saved under the name without a digest, beside its good file or alone."""
    good = _block(c, 1)
    with np.load(good) as z:
        data = {k: z[k] for k in z.files}
    if not beside:
        good.unlink()
    np.savez(c / "block-000001.npz", **{**data, "pue": np.full(5, 0.5)})


UNDIGESTED = {"undigested-edit-alone": False, "undigested-edit-beside-the-good-file": True}


@pytest.mark.parametrize("damage", list(UNDIGESTED))
def test_an_edited_block_named_without_a_digest_is_not_used(damage, three_blocks, grid_result, tmp_path):
    """A block file named as before digests (``block-000001.npz``) in a checkpoint whose blocks all
    have one was used unchecked: PUE 0.500 printed, exit 0 (re-check of the newcomer's case)."""
    import shutil
    import warnings

    ckpt = tmp_path / "s.nc.checkpoint"
    shutil.copytree(three_blocks, ckpt)
    _undigested(ckpt, UNDIGESTED[damage])
    computed = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ds = run_sweep(BASE, GRID, output=tmp_path / "s.nc", block=5, progress=False, on_block=computed.append)
    said = [str(w.message) for w in caught if "block" in str(w.message)]
    if UNDIGESTED[damage]:  # the good file is read first and used
        assert computed == [3, 4] and not said
    else:
        assert computed == [1, 3, 4]
        assert said == [
            f"{ckpt}/block-000001.npz: has no digest in its name, which every block of this study has "
            "(put there by hand?); not used, the block is computed again"
        ]
    xr.testing.assert_identical(ds, grid_result.assign_attrs(ds.attrs))


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_a_damaged_or_edited_block_is_computed_again_with_one_warning(damage, three_blocks, grid_result, tmp_path):
    """A block cut short, emptied, garbage, edited (PUE 0.5) or copied from another block was an
    internal error, or a silently wrong result (the newcomer's PUE 0.500): it is not used."""
    import shutil
    import warnings

    ckpt = tmp_path / "s.nc.checkpoint"
    shutil.copytree(three_blocks, ckpt)
    DAMAGE[damage](ckpt)
    bad = _block(ckpt, 1)
    computed = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ds = run_sweep(BASE, GRID, output=tmp_path / "s.nc", block=5, progress=False, on_block=computed.append)
    assert computed == [1, 3, 4]
    (w,) = (str(w.message) for w in caught if "block" in str(w.message))
    assert w.startswith(f"{bad}: ") and w.endswith("; not used, the block is computed again")
    xr.testing.assert_identical(ds, grid_result.assign_attrs(ds.attrs))


@pytest.mark.parametrize(
    ("change", "said"),
    [
        (
            {"pue": np.full(3, 1.2)},
            "variable pue has shape (3,) and type float64; it needs 5 values, one per case of the block",
        ),
        ({"pue": None}, "lacks pue"),
    ],
)
def test_a_block_of_an_older_checkpoint_is_used_if_it_reads_with_the_right_shape(
    change, said, three_blocks, grid_result, tmp_path
):
    """Session 11's blocks (``block-NNNNNN.npz``, no digest) resume; one that is unreadable, holds
    pickled objects or arrays of the wrong length, or lacks a variable, is computed again."""
    import shutil
    import warnings

    ckpt = tmp_path / "s.nc.checkpoint"
    shutil.copytree(three_blocks, ckpt)
    for i in range(3):
        _block(ckpt, i).rename(ckpt / f"block-{i:06d}.npz")
    meta = json.loads((ckpt / "study.json").read_text())
    del meta["blocks"]  # session 11's study.json: no word of digests
    (ckpt / "study.json").write_text(json.dumps(meta))
    with np.load(ckpt / "block-000001.npz") as z:
        data = {k: z[k] for k in z.files}
    np.savez(ckpt / "block-000001.npz", **{**data, "pue": np.array([object()] * 5, dtype=object)})
    data.update(change)
    np.savez(ckpt / "block-000002.npz", **{k: v for k, v in data.items() if v is not None})
    (ckpt / "block-x.npz").write_text("not a block")  # other names are not blocks
    computed = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ds = run_sweep(BASE, GRID, output=tmp_path / "s.nc", block=5, progress=False, on_block=computed.append)
    assert sorted(computed) == [1, 2, 3, 4]  # block 0 loaded: the older format is read
    first, second = sorted(str(w.message) for w in caught if "block" in str(w.message))
    assert first.startswith(f"{ckpt}/block-000001.npz: not a readable block (")
    assert first.endswith(
        "(it holds pickled Python objects, which are never loaded); not used, the block is computed again"
    )
    assert second == f"{ckpt}/block-000002.npz: {said}; not used, the block is computed again"
    xr.testing.assert_identical(ds, grid_result.assign_attrs(ds.attrs))


def test_cli_says_a_damaged_block_in_one_warning_line(three_blocks, tmp_path, capsys, monkeypatch):
    import shutil

    monkeypatch.chdir(tmp_path)
    shutil.copytree(three_blocks, tmp_path / "s.nc.checkpoint")
    DAMAGE["empty"](tmp_path / "s.nc.checkpoint")
    bad = _block(tmp_path / "s.nc.checkpoint", 1)
    argv = ["sweep", "--site", "karamay", "guian", "--cooling", "free_air", "spray", "--block", "5", "-o", "s.nc"]
    argv += ["--grid", "facility.utilisation=0.3,0.6,0.9", "--grid", "cooling.free_air.evap_effectiveness=0.7,0.9"]
    assert cli.main(argv) == 0
    err = capsys.readouterr().err.splitlines()
    assert f"twin: warning: {bad.relative_to(tmp_path)}: not a readable block (" in "\n".join(err)
    assert next(line for line in err if "warning" in line).endswith("not used, the block is computed again")
    assert err[0] == "resuming from s.nc.checkpoint: 2 of 5 blocks done, 3 to run"  # block 1 is not done


def test_a_case_list_beyond_the_bound_of_cases_is_refused_before_its_rows_become_cases(tmp_path, monkeypatch, capsys):
    """A 300,000-row --list was never refused (still building cases after 300 s): rows × sites ×
    designs are counted while the file is read and held to the grid's bound, MAX_CASES."""
    from twin.core.runtime import ResourceError
    from twin.studies import sweep

    monkeypatch.setattr(sweep, "MAX_CASES", 10)
    f = tmp_path / "cases.csv"
    f.write_text("facility.utilisation\n" + "".join(f"0.{i}\n\n" for i in range(1, 7)))  # 6 rows, blank lines
    assert len(read_case_list(f, 1)[1]) == 6
    bound = r"at most 10 per study, as for a grid: split the list into several files$"
    with pytest.raises(ResourceError, match=rf"^--list {f}: 6 rows make 12 cases \(2 per row: .*{bound}"):
        read_case_list(f, 2)
    with pytest.raises(ResourceError, match=rf"^the case list: 6 rows make 12 cases \(2 per row: .*{bound}"):
        run_sweep(Scenario(sites=("karamay", "guian")), case_list=read_case_list(f), progress=False)
    monkeypatch.chdir(tmp_path)
    argv = ["sweep", "--site", "karamay", "guian", "--cooling", "free_air", "--list", "cases.csv", "-o", "s.nc"]
    assert cli.main(argv) == 2
    assert capsys.readouterr().err == (
        "twin: error: --list cases.csv: 6 rows make 12 cases (2 per row: one per site and design); at most 10 per "
        "study, as for a grid: split the list into several files\n"
    )


def test_a_grid_or_list_value_is_refused_as_typed(capsys, tmp_path):
    """``--grid heat_reuse.demand_base_kw=1e9`` was refused as ``= 1000000000``; the values are the
    numbers they were (a study's cases and fingerprint unchanged), their text kept for messages."""
    from twin.core.fmt import number

    _, values = parse_grid("heat_reuse.demand_base_kw=1e9,1_000,5,0.5")
    assert values == (1e9, 1000, 5, 0.5) and type(values[2]) is int
    assert [number(v, grouped=False) for v in values] == ["1e9", "1_000", "5", "0.5"]
    study = ["sweep", "--site", "karamay", "--cooling", "free_air", "-o", str(tmp_path / "s.nc")]
    assert cli.main([*study, "--grid", "heat_reuse.demand_base_kw=2e7,5"]) == 2
    assert "heat_reuse.demand_base_kw = 2e7 is out of range; allowed 0 … 10,000,000 kW\n" in capsys.readouterr().err
    (tmp_path / "c.csv").write_text("heat_reuse.demand_base_kw\n5\n-1e3\n")
    assert cli.main([*study, "--list", str(tmp_path / "c.csv")]) == 2
    assert "c.csv:3: sweep heat_reuse.demand_base_kw: heat_reuse.demand_base_kw = -1e3 is out of range" in (
        capsys.readouterr().err
    )
