"""The fused kernels (twin.engine.kernels) against the numpy reference, to 1e-12."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import twin.engine.kernels
import twin.engine.simulate
import twin.studies.sweep
from twin import Scenario
from twin.building.cooling import get_design
from twin.building.cooling.components import ENVELOPES
from twin.building.cooling.free_air import FreeAirParams, free_air_state
from twin.building.electrical import ElectricalParams
from twin.building.facility import derive_psychrometrics, facility_chain, stack_columns
from twin.building.it_load import ITParams, utilisation_profile
from twin.core.jit import AUTO_MIN_CASE_YEARS, use_compiled
from twin.core.memo import clear_array_memos
from twin.core.params import ConfigError
from twin.engine.kernel_parts import GridYear
from twin.engine.kernels import SUMS, facility_year, kernel_for
from twin.engine.simulate import annual_kpis, prepare_weather
from twin.studies.sweep import run_sweep

ROOT = Path(__file__).resolve().parents[3]
RTOL = 1e-12


def _weather(rng: np.random.Generator, nt: int) -> dict[str, np.ndarray]:
    """Hours from −30 to 42 °C, 5–100 % RH at 60–101 kPa: every economiser mode and both edges."""
    t_db = rng.uniform(-30.0, 42.0, nt)
    rh = rng.uniform(5.0, 100.0, nt)
    p_air = np.full(nt, rng.uniform(60_000.0, 101_325.0))
    wx = {"t_db": t_db[None, :], "rh": rh[None, :], "p_air": p_air[None, :]}
    wx.update(derive_psychrometrics(t_db, rh, p_air))
    return {k: np.atleast_2d(v) for k, v in wx.items()}


def _cooling(rng: np.random.Generator) -> FreeAirParams:
    env = str(rng.choice(["A1", "A2", "A3", "recommended"]))
    lo, hi = ENVELOPES[env][:2]
    ts = float(rng.uniform(lo, hi))
    return FreeAirParams(
        envelope=env,
        t_supply_setpoint=ts,
        t_supply_max=float(rng.uniform(ts, hi)),
        delta_t_it=float(rng.uniform(5.0, 20.0)),
        evaporative=bool(rng.random() < 0.8),
        evap_effectiveness=float(rng.uniform(0.0, 1.0)),
        trim_capacity=float(rng.choice([0.3, 1.0, 2.0])),
        closed_outdoor_air=float(rng.uniform(0.0, 0.3)),
        humidifier=bool(rng.random() < 0.8),
        fan_pressure_pa=float(rng.uniform(100.0, 1500.0)),
        fan_efficiency=float(rng.uniform(0.3, 0.9)),
        fan_units=int(rng.integers(1, 20)),
        fan_redundant_units=int(rng.integers(0, 3)),
        fan_min_flow=float(rng.uniform(0.0, 0.5)),
        fan_control=str(rng.choice(["vsd", "constant"])),
        evaporator_approach=float(rng.uniform(2.0, 15.0)),
        condenser_approach=float(rng.uniform(5.0, 20.0)),
    )


def _facility(rng: np.random.Generator) -> ITParams:
    return ITParams(
        it_capacity_kw=float(rng.uniform(100.0, 50_000.0)),
        utilisation=float(rng.uniform(0.05, 1.0)),
        idle_fraction=float(rng.uniform(0.1, 0.6)),
        fan_share=float(rng.uniform(0.0, 0.2)),
        fan_speed_per_k=float(rng.uniform(0.0, 0.05)),
        leakage_per_k=float(rng.uniform(0.0, 0.01)),
        leakage_share=float(rng.uniform(0.0, 0.5)),
        performance_factor=float(rng.uniform(0.5, 3.0)),
        occupancy=float(rng.uniform(0.2, 1.0)),
        profile=str(rng.choice(["flat", "diurnal"])),
        kw_per_rack=float(rng.uniform(2.0, 30.0)),
    )


def _electrical(rng: np.random.Generator) -> ElectricalParams:
    return ElectricalParams(
        ups_redundancy=float(rng.uniform(1.0, 3.0)),
        ups_loss_no_load=float(rng.uniform(0.0, 0.02)),
        ups_loss_linear=float(rng.uniform(0.0, 0.03)),
        ups_loss_square=float(rng.uniform(0.0, 0.03)),
        distribution_loss=float(rng.uniform(0.0, 0.05)),
        transformer_rating_factor=float(rng.uniform(1.0, 3.0)),
        lighting_misc=float(rng.uniform(0.0, 0.05)),
    )


def _random_hall(rng: np.random.Generator, m: int, nt: int) -> tuple[dict, list[ITParams], list[ElectricalParams]]:
    """Random weather hours and ``m`` random facilities and electrical chains; the facility's text
    fields (profile, overclock law, containment) one per block, as the engine's blocks have them."""
    wx = _weather(rng, nt)
    profile = str(rng.choice(["flat", "diurnal"]))
    law = str(rng.choice(["linear", "fV2"]))
    hall = str(rng.choice(["none", "cold_aisle", "hot_aisle", "chimney"]))
    facs = [dataclasses.replace(_facility(rng), profile=profile, overclock_law=law, containment=hall) for _ in range(m)]
    eles = [_electrical(rng) for _ in range(m)]
    return wx, facs, eles


def _reference_sums(r: dict) -> dict[str, np.ndarray]:
    """What annual_figures sums from the reference's hourly arrays."""
    m, nt = np.broadcast_shapes(np.shape(r["p_facility"]), np.shape(r["p_it"]))
    h = {k: np.broadcast_to(np.asarray(r[k], dtype=float), (m, nt)) for k in SUMS if k != "out_of_envelope"}
    out = {k: h[k].sum(axis=-1) for k in h}
    out["out_of_envelope"] = np.broadcast_to(r["out_of_envelope"], (m, nt)).sum(axis=-1)
    out["pue"] = h["pue"].max(axis=-1)
    return out


def _compare(wx, facs, eles, coos, m):
    """Kernel against reference on one block; returns whether the kernel handled it."""
    d = get_design(coos[0].section.split(".")[1])
    fac, ele, coo = stack_columns(facs), stack_columns(eles), stack_columns(coos)
    kw = np.asarray([f.design_kw for f in facs], dtype=float)[:, None]
    nt = wx["t_db"].shape[-1]
    hour = (np.arange(nt) % 24)[None, :]
    u = utilisation_profile(hour, fac["utilisation"], facs[0].profile, fac["diurnal_amplitude"])
    # the grid year: an hourly price per case, a clean share per hour, months and days cut short
    rng = np.random.default_rng(nt + m)
    price = rng.uniform(0.2, 1.2, (m, nt))
    clean = rng.uniform(0.0, 1.0, (1, nt))
    months, days = np.array([0, nt // 3, nt // 2]), np.arange(0, nt, 24)
    grid = GridYear.of(price, clean, months, days, m)
    got = facility_year(d, wx, fac, ele, coo, kw, u, m)
    got_grid = facility_year(d, wx, fac, ele, coo, kw, u, m, grid, want_hourly=False)
    try:
        ref = facility_chain(d, wx, fac, ele, coo, kw, u)
    except ConfigError:
        assert got is None and got_grid is None  # the reference refuses (bounds, no convergence): handed back
        return False
    if got is None:
        assert got_grid is None
        return False
    want = _reference_sums(ref)
    p = np.broadcast_to(ref["p_facility"], (m, nt))
    np.testing.assert_allclose(got["p_facility"], p, rtol=RTOL)
    assert "p_facility" not in got_grid and "peaks" not in got
    for k in SUMS:
        np.testing.assert_allclose(got["sums"][k], want[k], rtol=RTOL, err_msg=k)
        np.testing.assert_allclose(got_grid["sums"][k], want[k], rtol=RTOL, err_msg=k)
    no_import = p <= 1e-6 * p
    g = got_grid["sums"]
    np.testing.assert_allclose(g["import_price"], np.sum(p * price, axis=-1), rtol=RTOL)
    np.testing.assert_allclose(g["load_clean"], np.sum(p * clean, axis=-1), rtol=RTOL)
    np.testing.assert_allclose(got_grid["peaks"], np.maximum.reduceat(p, months, axis=-1), rtol=RTOL)
    np.testing.assert_array_equal(g["islanded_hours"], no_import.sum(axis=-1))
    np.testing.assert_array_equal(g["green_days_24h"], np.minimum.reduceat(no_import, days, axis=-1).sum(axis=-1))
    return True


def _mostly_handled(handled: list[bool], share: float) -> None:
    """The kernel took at least ``share`` of the random blocks: a kernel handing every block back
    to the reference would pass every comparison of :func:`_compare`. The blocks are drawn
    derandomized (hypothesis's fixed examples): the share taken is a property of the drawn set, and
    hypothesis's draws are not independent (boundary seeds repeat), so a random set failed the
    share now and then (6 of 40 seen) though no code changed."""
    assert sum(handled) >= share * len(handled), f"the kernel took {sum(handled)} of {len(handled)} blocks"


def test_kernel_equals_reference_on_random_blocks():
    """Random weather hours and parameters, one cooling parameter set per block, cases varying."""
    handled: list[bool] = []

    @settings(max_examples=40, deadline=None, derandomize=True)
    @given(seed=st.integers(0, 2**32 - 1), m=st.integers(1, 5), nt=st.sampled_from([24, 96, 240]))
    def check(seed, m, nt):
        rng = np.random.default_rng(seed)
        wx, facs, eles = _random_hall(rng, m, nt)
        handled.append(_compare(wx, facs, eles, [_cooling(rng)], m))

    check()
    # A trim of 0.3 × the design heat cannot hold the setpoint in the hottest random hours: such
    # blocks go to the reference by design (status 1); about 40 % are taken (17 of 40 seen).
    _mostly_handled(handled, 0.2)


def test_kernel_equals_reference_with_cooling_varying_per_case():
    """A packed block: every case its own cooling parameters (the state is per case and hour)."""
    handled: list[bool] = []

    @settings(max_examples=15, deadline=None, derandomize=True)
    @given(seed=st.integers(0, 2**32 - 1), m=st.integers(2, 4))
    def check(seed, m):
        handled.append(_packed_block(seed, m))

    check()
    _mostly_handled(handled, 0.5)


def _packed_block(seed: int, m: int) -> bool:
    rng = np.random.default_rng(seed)
    wx = _weather(rng, 96)
    coos = [_cooling(rng) for _ in range(m)]
    env, fc = coos[0].envelope, coos[0].fan_control
    coos = [
        dataclasses.replace(
            c,
            envelope=env,
            fan_control=fc,
            t_supply_setpoint=ENVELOPES[env][0],
            t_supply_max=ENVELOPES[env][1],
            # twice the design heat of trim and no outdoor air when closed: the trim holds the
            # setpoint in every random hour, so the kernel takes the packed block (19 of 20 seen)
            trim_capacity=2.0,
            closed_outdoor_air=0.0,
        )
        for c in coos
    ]
    return _compare(wx, [ITParams()] * m, [ElectricalParams()] * m, coos, m)


def test_runs_of_cases_with_equal_temperature_parameters_share_hour_factors():
    """Free air's kernel computes a month's hour factors (leakage, server-fan speed, fans, the
    per-kW loads) once for a run of cases with equal supply approach, fan and leakage parameters
    and again where a case differs: cases A, A, B, A (utilisations differing) against the reference."""
    rng = np.random.default_rng(7)
    wx = _weather(rng, 240)
    a = ITParams(utilisation=0.4, fan_speed_per_k=0.04, leakage_per_k=0.008, leakage_share=0.1)
    b = dataclasses.replace(a, fan_speed_per_k=0.01, leakage_per_k=0.002)
    facs = [a, dataclasses.replace(a, utilisation=0.9), b, dataclasses.replace(a, utilisation=0.6)]
    coo = FreeAirParams(trim_capacity=2.0, closed_outdoor_air=0.0)
    assert _compare(wx, facs, [ElectricalParams()] * 4, [coo], 4)


def test_every_mode_and_edge_is_covered_and_equal():
    """A designed day: mix, outdoor, evaporative, evaporative + trim, outdoor + trim, closed, out of envelope."""
    t = np.array([-20.0, 5.0, 18.0, 24.0, 29.0, 33.0, 38.0, 42.0, 30.0, 35.0, 26.0, 15.0] * 2)
    rh = np.array([20.0, 60.0, 40.0, 50.0, 30.0, 20.0, 15.0, 10.0, 95.0, 80.0, 100.0, 3.0] * 2)
    p_air = np.full(t.size, 85_000.0)
    wx = {"t_db": t[None, :], "rh": rh[None, :], "p_air": p_air[None, :]}
    wx.update({k: np.atleast_2d(v) for k, v in derive_psychrometrics(t, rh, p_air).items()})
    wet, dry = (
        FreeAirParams(evap_effectiveness=0.6),
        FreeAirParams(evaporative=False, humidifier=False),
    )  # outdoor + trim, too dry
    states = [free_air_state(wx, stack_columns([c])) for c in (wet, dry)]
    assert set(np.unique(np.concatenate([s["mode"].ravel() for s in states]))) == {0, 1, 2, 3, 4, 5}
    assert states[1]["out_of_envelope"].any()
    facs = [ITParams(utilisation=u) for u in (0.1, 0.3, 0.5)]  # more: 42 °C with no evaporation outruns the trim
    for coo in (wet, dry):
        assert _compare(wx, facs, [ElectricalParams()] * 3, [coo], 3)
    # too little trim: the kernel hands the block to the reference (fixed point on the supply)
    assert not _compare(wx, facs, [ElectricalParams()] * 3, [dataclasses.replace(wet, trim_capacity=0.05)], 3)


def _assert_kpis_equal(a, b) -> None:
    assert set(a.data_vars) == set(b.data_vars)
    for k in b.data_vars:
        x, y = np.asarray(a[k], dtype=float), np.asarray(b[k], dtype=float)
        np.testing.assert_array_equal(np.isnan(x), np.isnan(y), err_msg=k)
        np.testing.assert_allclose(x, y, rtol=RTOL, err_msg=k)
        assert a[k].dtype == b[k].dtype, k


def _count_kernel_blocks(mp: pytest.MonkeyPatch) -> list[bool]:
    """Record, per block the compiled path is asked for, whether the kernel took it (True) or
    handed it back to the reference (False)."""
    handled: list[bool] = []
    real = twin.engine.kernels.facility_year  # annual_kpis imports it from there at each call

    def counting(*args, **kw):
        r = real(*args, **kw)
        if isinstance(r, list):  # a batch of blocks in one entry: one result per block
            handled.extend(x is not None for x in r)
        else:
            handled.append(r is not None)
        return r

    mp.setattr(twin.engine.kernels, "facility_year", counting)
    return handled


def _fused_and_reference(sc) -> list[bool]:
    """annual_kpis with the kernel against the reference; returns which blocks the kernel took."""
    wx = prepare_weather(sc)
    with pytest.MonkeyPatch.context() as mp:
        handled = _count_kernel_blocks(mp)
        fused = annual_kpis(sc, weather=wx, kernel="numba")
    _assert_kpis_equal(fused, annual_kpis(sc, weather=wx, kernel="reference"))
    return handled


@pytest.mark.parametrize("site", ["qingyang", "guiyang"])
def test_annual_kpis_numba_equals_reference_on_a_generated_year(site):
    """A generated year, a sweep over facility, cooling and heat demand (diurnal profile, occupancy ramp)."""
    grid = (
        ("facility.utilisation", (0.2, 0.6, 0.8)),
        ("facility.profile", ("flat", "diurnal")),
        ("facility.occupancy_ramp", (False, True)),
        ("cooling.free_air.evap_effectiveness", (0.0, 0.85)),
        ("heat_reuse.demand_kw_per_k", (0.0, 250.0)),  # a heat customer: free air reuses nothing
    )
    handled = _fused_and_reference(Scenario(sites=(site,), designs=("free_air",), sweep=grid))
    if site == "qingyang":  # dry: the trim always holds, the kernel takes every block
        assert handled and all(handled)
    # too little trim in some cases: their block goes to the reference, results unchanged
    short = (*grid, ("cooling.free_air.trim_capacity", (0.02, 1.0)))
    assert not all(_fused_and_reference(Scenario(sites=(site,), designs=("free_air",), sweep=short)))


def test_server_capex_is_the_same_on_both_kernel_paths():
    sc = Scenario(sites=("qingyang",), designs=("free_air",), sweep=(("facility.performance_factor", (1.0, 5 / 3)),))
    assert all(_fused_and_reference(sc))  # the kernel took every block, and every KPI agrees
    cost = annual_kpis(sc, kernel="numba")["cost_servers"].to_numpy()
    assert cost[1] == pytest.approx(cost[0] * 3 / 5, rel=1e-12)


def test_annual_kpis_numba_equals_reference_on_a_real_year():
    epw = ROOT.parent / "shared" / "weather"
    files = sorted(epw.glob("*.epw")) if epw.is_dir() else []
    if not files:
        pytest.skip("no real weather files in ../shared/weather")
    from twin.engine.config import WeatherSource

    sc = Scenario(
        sites=("qingyang",),
        designs=("free_air", "chilled_water"),
        weather=WeatherSource(source=str(files[0])),
        sweep=(("facility.utilisation", (0.3, 0.7, 1.0)),),
    )
    wx = prepare_weather(sc)
    _assert_kpis_equal(annual_kpis(sc, weather=wx, kernel="numba"), annual_kpis(sc, weather=wx, kernel="reference"))


def test_kernel_switch():
    assert use_compiled("numba", 1) and not use_compiled("reference", 10**6)
    with pytest.raises(ConfigError, match="kernel = 'fast'"):
        use_compiled("fast", 1)
    code = (
        "import sys; from twin.core.jit import use_compiled, AUTO_MIN_CASE_YEARS as n\n"
        "print(use_compiled('auto', n - 1), use_compiled('auto', n), 'numba' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "True", "False"]  # a fresh small run does not import numba
    assert AUTO_MIN_CASE_YEARS >= 1


def test_free_air_kernel_is_cached_on_disk(tmp_path):
    """A second process loads the fused kernel from NUMBA_CACHE_DIR instead of compiling it."""
    code = (
        "import numpy as np; from twin import Scenario; from twin.engine.simulate import annual_kpis\n"
        "from twin.engine.kernel_parts import compiled_kernel; from twin.engine.kernels import free_air_loop\n"
        "annual_kpis(Scenario(sites=('qingyang',), designs=('free_air',)), kernel='numba')\n"
        "f = compiled_kernel(free_air_loop); print(sum(f.stats.cache_hits.values()), sum(f.stats.cache_misses.values()))\n"
    )
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path)}

    def run() -> list[int]:
        out = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True)
        assert out.returncode == 0, out.stderr
        return [int(x) for x in out.stdout.split()]

    assert run() == [0, 1]
    assert run() == [1, 0]


def test_a_study_chooses_the_kernel_once_for_all_its_blocks(monkeypatch):
    """twin sweep runs blocks of 256 cases: the study's size picks the kernel, and every block,
    in this process or a Dask worker's, runs that one (results never depend on a process's past)."""
    assert kernel_for(AUTO_MIN_CASE_YEARS - 1) == "reference"
    assert kernel_for(AUTO_MIN_CASE_YEARS) == "numba"
    assert not use_compiled("auto", 256)  # a block alone would not compile, whatever ran before
    seen = []
    real = twin.studies.sweep.annual_kpis

    def spy(*args, kernel="auto", **kw):
        seen.append(kernel)
        return real(*args, kernel=kernel, **kw)

    monkeypatch.setattr(twin.studies.sweep, "annual_kpis", spy)
    monkeypatch.setattr(twin.studies.sweep, "kernel_for", lambda n, kernel="auto": "numba")
    base = Scenario(sites=("qingyang",), designs=("free_air",))
    run_sweep(base, (("facility.utilisation", (0.3, 0.5, 0.7)),), block=1, progress=False)
    assert seen == ["numba"] * 3


def test_kernel_hands_a_non_finite_hour_back_to_the_reference():
    """A NaN in the weather: the reference refuses the block, the kernel returns None (it never raises)."""
    rng = np.random.default_rng(7)
    wx = _weather(rng, 48)
    wx = {k: v.copy() for k, v in wx.items()}
    for k in ("t_db", "t_wb", "w", "x_sat"):
        wx[k][0, 20] = np.nan
    assert not _compare(wx, [ITParams()] * 2, [ElectricalParams()] * 2, [FreeAirParams()], 2)


def _site_with_hourly_grid(tmp_path: Path) -> Path:
    """Qingyang as a site file of its own with a clean share that changes every month."""
    text = (ROOT / "sites" / "data" / "qingyang.toml").read_text()
    shares = ", ".join(f"{0.3 + 0.04 * k:.2f}" for k in range(12))
    text = text.replace('key = "qingyang"', 'key = "qingyang_grid"').replace(
        'name = "Qingyang"', 'name = "QingyangGrid"'
    )
    text = text.replace('aliases = ["xifeng", "xifengzhen"]', "aliases = []")
    lines = [f"clean_share = [{shares}]" if line.startswith("clean_share = ") else line for line in text.splitlines()]
    (tmp_path / "qingyang_grid.toml").write_text("\n".join(lines) + "\n")
    return tmp_path


def test_grid_sums_equal_the_reference(tmp_path):
    """Time-of-use price, a monthly clean share and a demand charge; blocks with and without
    green supply (the kernel's grid sums against the reference's hourly KPIs); per-case design
    IT, diurnal and flat profiles, an occupancy ramp; every KPI (cost, CFE, islanded hours, green days)."""
    d = _site_with_hourly_grid(tmp_path)
    grid = (
        ("facility.utilisation", (0.3, 0.8)),
        ("facility.profile", ("flat", "diurnal")),
        ("facility.occupancy_ramp", (False, True)),
        ("facility.it_capacity_kw", (2_000.0, 10_000.0)),
        ("green.pv.capacity_mw", (0.0, 4.0)),
    )
    sc = Scenario(sites=("qingyang_grid",), designs=("free_air",), site_dirs=(str(d),), sweep=grid)
    handled = _fused_and_reference(sc)
    assert handled and all(handled)
    ds = annual_kpis(sc, kernel="numba")
    plantless = ds["green.pv.capacity_mw"].to_numpy() == 0.0
    assert plantless.any() and np.all(ds["cost_demand"].to_numpy()[plantless] > 0)
    cfe = ds["cfe_score"].to_numpy()[plantless]
    assert np.all((cfe > 0.3) & (cfe < 0.75)) and np.ptp(cfe) > 0  # the monthly shares, weighted by load


def test_grid_sums_with_a_csv_utilisation(tmp_path):
    """An hourly utilisation series (per hour, shared by the cases) on the fused path."""
    f = tmp_path / "u.csv"
    u = np.where(np.arange(8760) % 24 < 8, 0.2, 0.9)
    f.write_text("utilisation\n" + "\n".join(f"{x:g}" for x in u) + "\n")
    sc = Scenario(
        sites=("qingyang",),
        designs=("free_air",),
        facility=ITParams(profile="csv", profile_csv=str(f)),
        sweep=(("electrical.ups_redundancy", (1.0, 2.0)), ("facility.it_capacity_kw", (1_000.0, 5_000.0))),
    )
    handled = _fused_and_reference(sc)
    assert handled and all(handled)


def test_a_batch_holds_blocks_of_the_same_sites(monkeypatch):
    """Batches never mix blocks of different sites, whose supply step would hold the price and
    clean share as full (case, time) arrays for the whole batch instead of one row per site."""
    sim = twin.engine.simulate
    sc = Scenario(
        sites=("karamay", "qingyang", "guiyang"),
        designs=("free_air",),
        sweep=(("facility.utilisation", tuple(np.linspace(0.2, 1.0, 40))),),
    )
    monkeypatch.setattr(sim, "CASE_BLOCK", 16)
    plan = sim._plan(sc, prepare_weather(sc))
    hourly, batches = sim._batches(plan, True)
    assert not hourly and len(batches) == 3
    for _, parts in batches:
        assert len({int(plan.site_index[i]) for p in parts for i in p}) == 1


@pytest.mark.parametrize("capacities", [(0.0,), (0.0, 4.0), (4.0,)])
def test_blocks_with_a_plant_run_on_hourly_arrays_and_the_others_in_batches(monkeypatch, capacities):
    """The plan's blocks split by whether one of their cases has a green plant (the supply step
    then needs the hourly facility power), whether the run has such cases or not, for one site
    and two."""
    sim = twin.engine.simulate
    monkeypatch.setattr(sim, "CASE_BLOCK", 4)
    for sites in (("qingyang",), ("karamay", "qingyang")):
        sc = Scenario(
            sites=sites,
            designs=("free_air",),
            sweep=(("green.pv.capacity_mw", capacities), ("facility.utilisation", (0.3, 0.5, 0.7, 0.9))),
        )
        plan = sim._plan(sc, prepare_weather(sc))
        plant = np.asarray(sc.case_columns().coordinate("green.pv.capacity_mw")) > 0
        hourly, batches = sim._batches(plan, True)
        batched = [p for _, parts in batches for p in parts]
        assert all(plant[idx].any() for _, idx in hourly) and not any(plant[p].any() for p in batched)
        assert sorted([i for _, idx in hourly for i in idx] + [i for p in batched for i in p]) == list(
            range(plant.size)
        )
        assert len(hourly) == sum(plant[idx].any() for _, idx in plan.blocks) and (len(hourly) > 0) == plant.any()
        assert len(batches) == (len(sites) if not plant.all() else 0)


@pytest.mark.parametrize("design", ["free_air", "immersion_1p"])
def test_batches_of_blocks_give_the_same_kpis(monkeypatch, design):
    """Blocks without a green plant share one supply step and one KPI reduction (a batch): the
    KPIs are bit for bit those of batches of one block, on one thread or two, and a block the
    kernel hands back inside a batch (too little trim) gets the reference's KPIs while the
    others keep the kernel's."""
    sim = twin.engine.simulate
    grid = (("facility.utilisation", (0.3, 0.55, 0.8, 1.0)), ("economics.tariff", ("flat", "tou")))
    if design == "free_air":
        grid = (
            *grid,
            ("cooling.free_air.trim_capacity", (0.02, 1.0)),
            ("cooling.free_air.evap_effectiveness", (0.0, 0.85)),
        )
    else:
        grid = (
            *grid,
            ("cooling.immersion_1p.t_coolant_supply_max", (35.0, 45.0)),
            ("economics.demand_charge_cny_per_kw_month", (0.0, 40.0)),
        )
    sc = Scenario(sites=("guiyang",), designs=(design,), sweep=grid)
    wx = prepare_weather(sc)
    monkeypatch.setattr(sim, "CASE_BLOCK", 4)  # many blocks in a batch
    handled = _count_kernel_blocks(monkeypatch)
    runs = {}
    for batch, threads in ((1024, "2"), (1, "2"), (5, "1")):
        monkeypatch.setattr(sim, "KERNEL_BATCH", batch)
        monkeypatch.setenv("TWIN_THREADS", threads)
        runs[batch] = annual_kpis(sc, weather=wx, kernel="numba")
    if design == "free_air":  # some blocks handed back, some not
        assert any(handled) and not all(handled)
    for k in runs[1024].data_vars:
        for other in (runs[1], runs[5]):
            np.testing.assert_array_equal(runs[1024][k].values, other[k].values, err_msg=k)
    _assert_kpis_equal(runs[1024], annual_kpis(sc, weather=wx, kernel="reference"))


def test_a_batch_in_one_kernel_entry_equals_its_blocks_one_by_one(monkeypatch):
    """Free air takes a batch of blocks in one kernel entry (the per-case columns computed once,
    each block's hourly state from its own cooling columns): bit for bit the KPIs of the blocks
    one by one, with facility columns that differ inside a block (supply approach and rack
    density: the hall's air per case) and cooling sets that differ between blocks; a value a
    check refuses gives the error the blocks one by one give."""
    import twin.engine.kernel_parts as kp

    sim = twin.engine.simulate
    sweep = (
        ("facility.utilisation", (0.3, 0.7, 1.0)),
        ("facility.supply_approach", (0.5, 3.0)),
        ("facility.kw_per_rack", (8.0, 25.0)),
        ("cooling.free_air.evap_effectiveness", (0.0, 0.6, 0.9)),
    )
    sc = Scenario(sites=("qingyang",), designs=("free_air",), sweep=sweep)
    wx = prepare_weather(sc)
    monkeypatch.setattr(sim, "CASE_BLOCK", 8)  # 3 cooling sets of 12 cases: blocks of 8 and 4
    handled = _count_kernel_blocks(monkeypatch)
    batches: list[int] = []
    real = kp.run_kernel_parts

    def counting(kernel, P, parts, *args, **kw):
        batches.append(len(parts))
        return real(kernel, P, parts, *args, **kw)

    monkeypatch.setattr(twin.engine.kernels, "run_kernel_parts", counting)
    runs = {}
    for batch in (1024, 1):
        monkeypatch.setattr(sim, "KERNEL_BATCH", batch)
        runs[batch] = annual_kpis(sc, weather=wx, kernel="numba")
    assert batches == [6] + [1] * 6 and len(handled) == 12
    for k in runs[1024].data_vars:
        np.testing.assert_array_equal(runs[1024][k].values, runs[1][k].values, err_msg=k)
    _assert_kpis_equal(runs[1024], annual_kpis(sc, weather=wx, kernel="reference"))

    dense = Scenario(
        sites=("qingyang",), designs=("free_air",), sweep=(*sweep[:2], ("facility.kw_per_rack", (8.0, 45.0)))
    )
    errors = []
    for batch in (1024, 1):
        monkeypatch.setattr(sim, "KERNEL_BATCH", batch)
        with pytest.raises(ConfigError) as err:
            annual_kpis(dense, weather=wx, kernel="numba")
        errors.append(str(err.value))
    assert errors[0] == errors[1] and "kw_per_rack" in errors[0]


@pytest.mark.parametrize(
    ("design", "fixed"),
    [
        ("free_air", ()),
        ("chilled_water", ()),
        ("chilled_water", (("cooling.chilled_water.chiller_model", ("cycle",)),)),
        ("indirect_evap", ()),
        ("spray", ()),
        ("cold_plate", ()),
        ("immersion_1p", ()),
        ("immersion_2p", ()),
    ],
)
def test_blocks_of_one_cooling_set_share_one_hourly_state_per_call(design, fixed):
    """300 utilisations of one cooling set are three blocks: their hourly state is computed once
    per annual_kpis call (a second call computes it again: nothing outlives the call), and the
    KPIs are bit for bit those of every block computing its own."""
    import twin.engine.kernel_parts as kp

    sc = Scenario(
        sites=("qingyang",),
        designs=(design,),
        sweep=(("facility.utilisation", tuple(np.linspace(0.3, 1.0, 300).round(6))), *fixed),
    )
    wx = prepare_weather(sc)
    computed: list[object] = []
    real = kp.StateMemo.get

    def counting(self, key, fn):
        def compute():
            computed.append(key)
            return fn()

        return real(self, key, compute)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(kp.StateMemo, "get", counting)
        handled = _count_kernel_blocks(mp)
        shared = annual_kpis(sc, weather=wx, kernel="numba")
        assert len(handled) == 3 and all(handled)
        assert len(computed) == 1
        annual_kpis(sc, weather=wx, kernel="numba")
        assert len(computed) == 2
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(kp.StateMemo, "get", lambda self, key, fn: fn())  # each block its own state
        alone = annual_kpis(sc, weather=wx, kernel="numba")
    for k in alone.data_vars:
        np.testing.assert_array_equal(shared[k].to_numpy(), alone[k].to_numpy(), err_msg=k)


def test_annual_kpis_leaves_the_garbage_collector_as_it_found_it():
    """annual_kpis pauses the cyclic collector for its run and restores it, on success and on
    error, enabled or not before; overlapping holds restore it only when the last ends."""
    import gc

    from twin.engine.simulate import _cyclic_gc_paused

    sc = Scenario(sites=("qingyang",), designs=("free_air",))
    wx = prepare_weather(sc)
    was = gc.isenabled()
    try:
        for enabled in (True, False):
            (gc.enable if enabled else gc.disable)()
            annual_kpis(sc, weather=wx)
            assert gc.isenabled() is enabled
            with pytest.raises(ConfigError, match="kernel"):
                annual_kpis(sc, weather=wx, kernel="fast")
            assert gc.isenabled() is enabled
        gc.enable()
        with _cyclic_gc_paused():
            with _cyclic_gc_paused():
                assert not gc.isenabled()
            assert not gc.isenabled()
        assert gc.isenabled()
        seen: list[bool] = []

        def in_a_thread() -> None:
            with _cyclic_gc_paused():
                seen.append(gc.isenabled())

        import threading

        t = threading.Thread(target=in_a_thread)
        t.start()
        t.join()
        assert seen == [True]  # another thread (a server's request) leaves the collector alone
    finally:
        (gc.enable if was else gc.disable)()


def test_the_state_memo_holds_a_few_states_and_not_a_block_whose_state_differs_per_case():
    """The memo keeps its ``limit`` latest states (memory stays at a few states whatever the run's
    size), and a packed block of several cooling sets (a state per case, as large as the block)
    computes its own without storing it."""
    import twin.engine.kernel_parts as kp

    memo = kp.StateMemo(limit=2)
    calls: list[str] = []

    def state(name: str):
        return lambda: calls.append(name) or name

    assert [memo.get(k, state(k)) for k in ("a", "b", "a", "c", "a")] == ["a", "b", "a", "c", "a"]
    assert calls == ["a", "b", "c"]  # "a" still among the two latest when asked again
    memo.get("b", state("b"))
    assert calls == ["a", "b", "c", "b"]  # "b" was dropped when "c" came
    sc = Scenario(
        sites=("qingyang",),
        designs=("free_air",),
        sweep=(
            ("facility.utilisation", (0.4, 0.8)),
            ("cooling.free_air.evap_effectiveness", tuple(np.linspace(0.5, 0.95, 20).round(4))),
        ),
    )
    wx = prepare_weather(sc)
    asked: list[object] = []
    real = kp.StateMemo.get
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(kp.StateMemo, "get", lambda self, key, fn: asked.append(key) or real(self, key, fn))
        handled = _count_kernel_blocks(mp)
        fused = annual_kpis(sc, weather=wx, kernel="numba")
    assert handled == [True] and asked == []  # one packed block of 40 cases, 20 states
    _assert_kpis_equal(fused, annual_kpis(sc, weather=wx, kernel="reference"))


def _free_air_call(monkeypatch) -> tuple:
    """The free-air kernel's arguments for a small block (3 cases, 48 mild hours) as the engine
    passes them, and the compiled kernel."""
    import twin.engine.kernel_parts as kp

    calls = []
    real = kp.compiled_kernel

    def spy(kernel):
        f = real(kernel)
        calls.append(f)
        return lambda *a: calls.append(a) or f(*a)

    monkeypatch.setattr(kp, "compiled_kernel", spy)
    nt, m = 48, 3
    t_db, rh, p_air = np.full(nt, 18.0), np.full(nt, 50.0), np.full(nt, 101_325.0)
    wx = {"t_db": t_db[None, :], "rh": rh[None, :], "p_air": p_air[None, :]}
    wx.update({k: np.atleast_2d(v) for k, v in derive_psychrometrics(t_db, rh, p_air).items()})
    facs = [ITParams(utilisation=u) for u in (0.3, 0.6, 0.9)]
    fac, ele, coo = stack_columns(facs), stack_columns([ElectricalParams()]), stack_columns([FreeAirParams()])
    kw = np.asarray([f.design_kw for f in facs], dtype=float)[:, None]
    assert facility_year(get_design("free_air"), wx, fac, ele, coo, kw, fac["utilisation"], m) is not None
    return calls[0], calls[1]


@pytest.mark.parametrize(
    "change",
    [*(("P", row, 1) for row in range(7, 15)), ("P", 16, 1), ("P", 14, 2), ("S", 4, 0), ("S", 5, 0), ("S", 7, 0)],
)
def test_free_air_kernel_hands_back_a_block_whose_signs_imply_no_bounds(monkeypatch, change):
    """The free-air kernel checks five bounds per case-hour and takes the others as implied by signs
    it checks once per call (the electrical rows of ``P``, air per kW) and per hour (humidifier kW,
    water, 1/COP): a value just below zero there (or NaN) hands the block back (status 2), even
    where the hour's parts would still come out ≥ 0."""
    f, args = _free_air_call(monkeypatch)
    where, row, case = change
    P, S = args[0].copy(), args[1].copy()
    value = np.nan if (where, row) == ("P", 14) else -1e-300
    if where == "P":
        P[row, case] = value
    else:
        S[row, 20] = value

    def run(P, S):
        out = [a.copy() if isinstance(a, np.ndarray) else tuple(x.copy() for x in a) for a in args[2:]]
        return f(P, S, *out)

    assert run(args[0].copy(), args[1].copy()) == 0
    assert run(P, S) == 2


@pytest.mark.parametrize(("no_cop", "mech", "status"), [(1.0, 1.0, 2), (1.0, 0.0, 0), (0.0, 1.0, 0)])
def test_free_air_kernel_refuses_a_mechanical_load_without_a_cop(monkeypatch, no_cop, mech, status):
    """An hour without a finite COP (state row ``no_cop``) is out of bounds only where the hour
    has a mechanical load (kJ/kg ``mech`` > 0)."""
    f, args = _free_air_call(monkeypatch)
    S = args[1].copy()
    S[1, 20], S[2, 20], S[8, 20] = 0.0, mech, no_cop  # not too humid; trim + closed outdoor air; no COP
    out = [a.copy() if isinstance(a, np.ndarray) else tuple(x.copy() for x in a) for a in args[2:]]
    assert f(args[0].copy(), S, *out) == status


@pytest.mark.parametrize("design", sorted(twin.engine.kernels.COMPILED_DESIGNS))
@pytest.mark.parametrize("nt", [1, 8761])
def test_a_kernel_given_hours_that_are_not_a_year_computes_them(design, nt):
    """``facility_year`` takes :func:`facility_chain`'s arguments, any number of hours. Free air's
    kernel took a one-row ``p_out`` for "hourly power not kept" and left a one-hour block's hourly
    facility power uninitialised (10,492 kW for three cases of 6,250 … 10,111 kW); an hour count
    that is not a year (8,761) is computed as any other."""
    rng = np.random.default_rng(nt)
    t_db, rh, p_air = rng.uniform(5.0, 30.0, nt), rng.uniform(20.0, 80.0, nt), np.full(nt, 101_325.0)
    wx = {"t_db": t_db[None, :], "rh": rh[None, :], "p_air": p_air[None, :]}
    wx.update({k: np.atleast_2d(v) for k, v in derive_psychrometrics(t_db, rh, p_air).items()})
    d = get_design(design)
    facs = [ITParams(utilisation=u) for u in (0.3, 0.6, 0.9)]
    fac, ele, coo = stack_columns(facs), stack_columns([ElectricalParams()]), stack_columns([d.params()])
    kw = np.asarray([f.design_kw for f in facs], dtype=float)[:, None]
    u = utilisation_profile(
        (np.arange(nt) % 24)[None, :], fac["utilisation"], facs[0].profile, fac["diurnal_amplitude"]
    )
    got = facility_year(d, wx, fac, ele, coo, kw, u, len(facs))
    assert got is not None, "the kernel handed the block back"
    ref = facility_chain(d, wx, fac, ele, coo, kw, u)
    p = np.broadcast_to(ref["p_facility"], (len(facs), nt))
    np.testing.assert_allclose(got["p_facility"], p, rtol=RTOL)
    np.testing.assert_allclose(got["sums"]["p_facility"], p.sum(axis=-1), rtol=RTOL)


def test_states_that_differ_in_the_evaporative_parameters_alone_equal_their_own():
    """air_states (one year's state and the warm hours of the others, stacked) gives bit for bit
    each set's own air_state, on random hours with every mode, sets differing in evaporative
    effectiveness and in whether evaporation runs at all (the first set's value among them)."""
    from twin.building.cooling.free_air import EVAPORATIVE, warm_hours
    from twin.engine.design_kernels import air_state, air_states

    @settings(max_examples=25, deadline=None, derandomize=True)
    @given(seed=st.integers(0, 2**32 - 1), k=st.integers(2, 5))
    def check(seed, k):
        rng = np.random.default_rng(seed)
        wx = _weather(rng, 240)
        base = _cooling(rng)
        values = [(bool(rng.random() < 0.7), float(rng.choice([0.0, rng.uniform(0.0, 1.0)]))) for _ in range(k - 1)]
        sets = [stack_columns([base])] + [
            stack_columns([dataclasses.replace(base, **dict(zip(EVAPORATIVE, v, strict=True)))]) for v in values
        ]
        assert warm_hours(free_air_state(wx, sets[0])).size > 0
        for got, s in zip(air_states(wx, sets), sets, strict=True):
            want = air_state(wx, s)[0]
            assert got.shape == (len(want), 240)
            for g, w in zip(got, want, strict=True):
                np.testing.assert_array_equal(g, np.broadcast_to(w, (1, 240))[0].astype(float))

    check()


def test_a_batch_state_is_memoised_by_the_weather_and_the_columns_values(monkeypatch):
    """weather_air_states: a second call with equal weather and columns computes nothing and gives
    the same read-only arrays, equal to air_states'; other evaporative values, or weather that
    differs in one hour (its first and last hours equal), are computed, never served another's."""
    import twin.engine.design_kernels as dk

    rng = np.random.default_rng(7)
    wx = _weather(rng, 240)
    base = FreeAirParams(evaporative=True)
    sets = [stack_columns([dataclasses.replace(base, evap_effectiveness=e)]) for e in (0.1, 0.5, 0.9)]
    other = [stack_columns([dataclasses.replace(base, evap_effectiveness=e)]) for e in (0.1, 0.5, 0.3)]
    calls: list[int] = []
    real = dk.air_states
    monkeypatch.setattr(dk, "air_states", lambda w, s: calls.append(len(s)) or real(w, s))
    clear_array_memos()
    first = dk.weather_air_states(wx, sets)
    again = dk.weather_air_states(wx, sets)
    assert calls == [3] and all(a is b and not a.flags.writeable for a, b in zip(first, again, strict=True))
    for got, want in zip(first, real(wx, sets), strict=True):
        np.testing.assert_array_equal(got, want)
    assert not np.array_equal(first[-1], real(wx, other)[-1])  # 0.9 and 0.3 differ in some warm hour
    for got, want in zip(dk.weather_air_states(wx, other), real(wx, other), strict=True):
        np.testing.assert_array_equal(got, want)
    moved = {**wx, "t_db": wx["t_db"].copy()}
    moved["t_db"][0, 120] += 3.0
    for got, want in zip(dk.weather_air_states(moved, sets), real(moved, sets), strict=True):
        np.testing.assert_array_equal(got, want)
    assert calls == [3, 3, 3]
    clear_array_memos()
    dk.weather_air_states(wx, sets)
    assert calls == [3, 3, 3, 3]


def test_every_kernel_receives_its_state_read_only(monkeypatch):
    """The state matrix S reaches every kernel call read-only, whether computed for the block
    (a single block, copied rows) or shared from the memo (a batch): one compiled type of S."""
    import twin.engine.kernel_parts as kp

    seen: list[bool] = []
    real = kp.compiled_kernel

    def recording(kernel):
        f = real(kernel)

        def call(P, S, *rest):
            seen.append(S.flags.writeable)
            return f(P, S, *rest)

        return call

    monkeypatch.setattr(kp, "compiled_kernel", recording)
    one = Scenario(sites=("qingyang",), designs=("free_air",))
    batch = Scenario(
        sites=("qingyang",),
        designs=("free_air",),
        sweep=(
            ("cooling.free_air.evap_effectiveness", (0.55, 0.9)),
            ("facility.utilisation", tuple(np.linspace(0.3, 1.0, 64).round(6))),
        ),
    )
    for sc in (one, batch):
        annual_kpis(sc, weather=prepare_weather(sc), kernel="numba")
    assert len(seen) >= 3 and not any(seen)


def test_blocks_that_differ_in_the_evaporative_parameters_share_one_state_computation(monkeypatch):
    """A batch of blocks whose cooling differs in evaporative effectiveness and whether evaporation
    runs (and, between two groups, in the band's top): each group's states computed together
    (one year's state and the others' warm hours, two calls of free_air_state per group), the
    KPIs bit for bit those of every block computing its own state and equal to the reference."""
    import twin.building.cooling.free_air as fa
    import twin.engine.design_kernels as dk

    sc = Scenario(
        sites=("qingyang",),
        designs=("free_air",),
        sweep=(
            ("cooling.free_air.t_supply_max", (25.0, 27.0)),
            ("cooling.free_air.evaporative", (True, False)),
            ("cooling.free_air.evap_effectiveness", (0.55, 0.9)),
            ("facility.utilisation", tuple(np.linspace(0.3, 1.0, 64).round(6))),
        ),
    )
    wx = prepare_weather(sc)
    calls: list[int] = []
    real = fa.free_air_state
    monkeypatch.setattr(dk, "free_air_state", lambda w, p: calls.append(np.shape(w["t_db"])[-1]) or real(w, p))
    handled = _count_kernel_blocks(monkeypatch)
    clear_array_memos()  # the states computed here, not found in the memo of an earlier test's run
    shared = annual_kpis(sc, weather=wx, kernel="numba")
    assert len(handled) == 8 and all(handled)
    nt = wx["qingyang"][0].sizes["time"]
    assert sorted(calls)[-2:] == [nt, nt] and len(calls) == 4 and max(sorted(calls)[:2]) < nt / 10
    with monkeypatch.context() as mp:
        mp.setattr(twin.engine.kernels, "air_part_states", lambda block, sets: [None] * len(sets))  # each its own
        alone = annual_kpis(sc, weather=wx, kernel="numba")
    for k in alone.data_vars:
        np.testing.assert_array_equal(shared[k].to_numpy(), alone[k].to_numpy(), err_msg=k)
    _assert_kpis_equal(shared, annual_kpis(sc, weather=wx, kernel="reference"))
