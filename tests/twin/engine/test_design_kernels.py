"""The chilled-water (EIR and cycle chillers) and indirect-evaporative kernels (twin.engine.kernels)
against the numpy reference, to 1e-12.

Random blocks (hypothesis), designed days through every mode, generated years at a dry and a
humid site, and a real EPW year: every KPI of ``annual_kpis(kernel="numba")`` equals the
reference's to 1e-12 (relative), and blocks the kernel cannot do exactly go to the reference.
The cycle kernel's COP interpolation equals the reference's cycle table exactly.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from tests.twin.engine.test_engine_kernels import (
    _compare,
    _fused_and_reference,
    _random_hall,
    _site_with_hourly_grid,
)
from twin import Scenario
from twin.building.cooling.chilled_water import ChilledWaterParams
from twin.building.cooling.components import ENVELOPES
from twin.building.cooling.curves import CHILLERS
from twin.building.cooling.indirect_evap import IndirectEvapParams, indirect_evap_state
from twin.building.electrical import ElectricalParams
from twin.building.facility import derive_psychrometrics, facility_block, stack_columns
from twin.building.fluids import cycle_cop, cycle_table
from twin.building.it_load import ITParams
from twin.core.jit import compiled
from twin.core.params import ConfigError
from twin.engine.config import WeatherSource
from twin.engine.simulate import annual_kpis, prepare_weather

ROOT = Path(__file__).resolve().parents[3]


def _chilled_water(rng: np.random.Generator) -> ChilledWaterParams:
    env = str(rng.choice(["A1", "A2", "A3"]))
    lo, hi = ENVELOPES[env][:2]
    t_air = float(rng.uniform(max(lo, 15.0), min(hi, 32.0)))
    return ChilledWaterParams(
        envelope=env,
        t_supply_air=t_air,
        coil_approach=float(rng.uniform(1.0, 8.0)),
        delta_t_it=float(rng.uniform(6.0, 20.0)),
        crah_fan_pressure_pa=float(rng.uniform(100.0, 1500.0)),
        fan_efficiency=float(rng.uniform(0.3, 0.9)),
        t_chw_supply=float(rng.uniform(6.0, 16.0)),
        delta_t_chw=float(rng.uniform(3.0, 8.0)),
        pump_control=str(rng.choice(["vsd", "constant"])),
        pump_min_flow=float(rng.uniform(0.0, 0.6)),
        chiller=str(rng.choice(list(CHILLERS))),
        chiller_count=int(rng.integers(1, 8)),
        t_cond_water_min=float(rng.uniform(8.0, 20.0)),
        tower_approach=float(rng.uniform(3.0, 6.0)),
        tower_range=float(rng.uniform(4.0, 8.0)),
        tower_min_air_flow=float(rng.uniform(0.1, 0.6)),
        tower_min_water=float(rng.uniform(2.0, 12.0)),
        basin_heater_w_per_k=float(rng.uniform(0.0, 2.0)),
        basin_heater_setpoint=float(rng.uniform(0.0, 8.0)),
        tower_fan_kw_per_kw=float(rng.uniform(0.0, 0.03)),
        tower_latent_fraction=float(rng.uniform(0.6, 1.0)),
        cycles_of_concentration=float(rng.uniform(2.0, 10.0)),
        economiser=bool(rng.random() < 0.8),
        economiser_approach=float(rng.uniform(1.0, 5.0)),
        fan_units=int(rng.integers(1, 20)),
        fan_redundant_units=int(rng.integers(0, 3)),
        fan_min_flow=float(rng.uniform(0.0, 0.5)),
        fan_control=str(rng.choice(["vsd", "constant"])),
    )


def _indirect_evap(rng: np.random.Generator) -> IndirectEvapParams:
    env = str(rng.choice(["A1", "A2", "A3", "recommended"]))
    lo, hi = ENVELOPES[env][:2]
    return IndirectEvapParams(
        envelope=env,
        t_supply_setpoint=float(rng.uniform(max(lo, 10.0), min(hi, 35.0))),
        delta_t_it=float(rng.uniform(5.0, 20.0)),
        effectiveness_wet=float(rng.uniform(0.3, 0.95)),
        effectiveness_dry=float(rng.uniform(0.3, 0.9)),
        primary_pressure_pa=float(rng.uniform(100.0, 1500.0)),
        secondary_pressure_pa=float(rng.uniform(100.0, 1500.0)),
        secondary_flow_ratio=float(rng.uniform(0.3, 3.0)),
        fan_efficiency=float(rng.uniform(0.3, 0.9)),
        trim_capacity=float(rng.choice([0.0, 0.1, 1.0, 2.0])),
        evaporator_approach=float(rng.uniform(2.0, 15.0)),
        condenser_approach=float(rng.uniform(5.0, 20.0)),
        cycles_of_concentration=float(rng.uniform(1.5, 10.0)),
        fan_units=int(rng.integers(1, 20)),
        fan_redundant_units=int(rng.integers(0, 3)),
        fan_min_flow=float(rng.uniform(0.0, 0.5)),
        fan_control=str(rng.choice(["vsd", "constant"])),
    )


def _chilled_water_cycle(rng: np.random.Generator) -> ChilledWaterParams:
    return dataclasses.replace(
        _chilled_water(rng),
        chiller_model="cycle",
        refrigerant=str(rng.choice(["R134a", "R1234ze(E)"])),
        eta_isentropic=float(rng.uniform(0.4, 0.95)),
        eta_motor=float(rng.uniform(0.7, 1.0)),
        evaporator_approach=float(rng.uniform(0.5, 8.0)),
        condenser_approach=float(rng.uniform(0.5, 10.0)),
    )


COOLING = {
    "chilled_water": _chilled_water,
    "chilled_water_cycle": _chilled_water_cycle,
    "indirect_evap": _indirect_evap,
}
"""Random cooling parameters per kernel: chilled water with EIR and with cycle chillers, indirect evaporative."""
DESIGN = {"chilled_water_cycle": "chilled_water"}
"""The design of a :data:`COOLING` key that is not a design's name (its chiller model is in :data:`SWEEPS`)."""


def _random_block(design: str, seed: int, m: int, nt: int, per_case_cooling: bool) -> bool:
    rng = np.random.default_rng(seed)
    wx, facs, eles = _random_hall(rng, m, nt)
    try:
        coos = [COOLING[design](rng) for _ in range(m if per_case_cooling else 1)]
        text = ("envelope", "pump_control", "chiller", "fan_control", "chiller_model", "refrigerant")
        first = {k: getattr(coos[0], k) for k in text if hasattr(coos[0], k)}
        coos = [dataclasses.replace(c, **first) for c in coos]  # text fields: one per block
    except ConfigError:
        assume(False)  # a combination the parameter classes refuse
    return _compare(wx, facs, eles, coos, m)


@pytest.mark.parametrize("design", list(COOLING))
def test_kernel_equals_reference_on_random_blocks(design):
    """Random weather hours from −30 to 42 °C, random IT, electrical and cooling parameters; the
    kernel takes most blocks (a kernel handing every block back would pass every comparison)."""
    handled: list[bool] = []

    @settings(max_examples=30, deadline=None)
    @given(seed=st.integers(0, 2**32 - 1), m=st.integers(1, 5), nt=st.sampled_from([24, 96, 240]))
    def check(seed, m, nt):
        handled.append(_random_block(design, seed, m, nt, per_case_cooling=False))

    check()
    assert sum(handled) >= 0.5 * len(handled), f"the kernel took {sum(handled)} of {len(handled)} blocks"


@pytest.mark.parametrize("design", list(COOLING))
def test_kernel_equals_reference_with_cooling_varying_per_case(design):
    """A packed block: every case its own cooling parameters (the state is per case and hour)."""
    handled: list[bool] = []

    @settings(max_examples=15, deadline=None)
    @given(seed=st.integers(0, 2**32 - 1), m=st.integers(2, 4))
    def check(seed, m):
        handled.append(_random_block(design, seed, m, 96, per_case_cooling=True))

    check()
    assert sum(handled) >= 0.5 * len(handled), f"the kernel took {sum(handled)} of {len(handled)} blocks"


def _designed_day(t: list[float], rh: list[float], p_air: float = 85_000.0) -> dict[str, np.ndarray]:
    t_db, r = np.array(t), np.array(rh)
    p = np.full(t_db.size, p_air)
    wx = {"t_db": t_db[None, :], "rh": r[None, :], "p_air": p[None, :]}
    wx.update({k: np.atleast_2d(v) for k, v in derive_psychrometrics(t_db, r, p).items()})
    return wx


def test_indirect_evap_every_mode_and_edge():
    """Dry (scavenger slowed), wet, wet + trim, trim shortfall (supply warmer, out of envelope)."""
    wx = _designed_day(
        [-25.0, 0.0, 10.0, 18.0, 22.0, 26.0, 30.0, 34.0, 38.0, 42.0, 28.0, 33.0],
        [30.0, 50.0, 60.0, 40.0, 30.0, 20.0, 15.0, 25.0, 30.0, 10.0, 95.0, 90.0],
    )
    base = IndirectEvapParams()
    modes = indirect_evap_state(wx, stack_columns([base]))["mode"]
    assert set(np.unique(modes)) == {0, 1, 2}
    facs = [ITParams(utilisation=u) for u in (0.1, 0.5, 1.0)]
    eles = [ElectricalParams()] * 3
    for coo in (base, dataclasses.replace(base, fan_control="constant", secondary_flow_ratio=2.0)):
        assert _compare(wx, facs, eles, [coo], 3)
    short = dataclasses.replace(base, trim_capacity=0.05)  # the trim cannot hold the setpoint
    r = facility_block(wx, "indirect_evap", facility=facs, cooling=short)
    assert r["out_of_envelope"].any()
    assert _compare(wx, facs, eles, [short], 3)


def test_chilled_water_every_mode_and_edge():
    """Free cooling, partial economiser, chillers alone; basin heaters (cold, cells idle), the
    tower's fans at their minimum and at full speed, chillers short of capacity (out of
    envelope), constant-flow pumps, no economiser."""
    wx = _designed_day(
        [-30.0, -10.0, -2.0, 3.0, 8.0, 12.0, 16.0, 20.0, 25.0, 30.0, 35.0, 42.0],
        [60.0, 50.0, 70.0, 80.0, 60.0, 50.0, 70.0, 60.0, 70.0, 60.0, 50.0, 30.0],
    )
    base = ChilledWaterParams()
    facs = [ITParams(utilisation=u) for u in (0.05, 0.4, 1.0)]
    eles = [ElectricalParams()] * 3
    r = facility_block(wx, "chilled_water", facility=facs, cooling=base)
    assert set(np.unique(r["mode"])) == {0, 1, 2}
    assert (r["p_heat_rejection"] > 0).all()
    variants = (
        base,
        dataclasses.replace(base, pump_control="constant"),
        dataclasses.replace(base, economiser=False, chiller="doe2_centrifugal"),
        dataclasses.replace(base, chiller_count=1, basin_heater_w_per_k=2.0, basin_heater_setpoint=5.0),
        dataclasses.replace(base, tower_min_air_flow=0.6, fan_control="constant"),
    )
    for coo in variants:
        assert _compare(wx, facs, eles, [coo], 3), coo
    # chillers short of capacity: a hall over its design heat (IT 30 % over, hot day)
    hot = [dataclasses.replace(f, performance_factor=0.7) for f in facs]
    assert facility_block(wx, "chilled_water", facility=hot, cooling=base)["out_of_envelope"].any()
    assert _compare(wx, hot, eles, [base], 3)


def _cycle_cops(tab: np.ndarray, te: np.ndarray, tc: np.ndarray) -> np.ndarray:
    out = np.empty(te.size)
    for k in range(te.size):
        out[k] = cycle_cop(tab, te[k], tc[k])
    return out


@pytest.mark.parametrize("refrigerant", ["R134a", "R1234ze(E)"])
def test_cycle_cop_is_the_cycle_table(refrigerant):
    """The cycle table's interpolation (one function, :func:`cycle_cop`) gives the same COP bit for
    bit compiled on scalars (the kernel) and on numpy arrays (the reference): inside the grid, on
    its nodes and ends, outside it (clipped), below the minimum lift; on the nodes it is the
    table's own COP."""
    table = cycle_table(refrigerant, 1.0)
    rng = np.random.default_rng(7)
    te = np.concatenate(
        [rng.uniform(-25.0, 35.0, 3000), np.repeat(table.t_evap, table.t_cond[::20].size), [-15.0, 25.0, 24.9999999]]
    )
    tc = np.concatenate(
        [rng.uniform(0.0, 80.0, 3000), np.tile(table.t_cond[::20], table.t_evap.size), [10.0, 70.0, 69.99999]]
    )
    low_lift = rng.uniform(-15.0, 25.0, 500)
    te, tc = np.r_[te, low_lift], np.r_[tc, low_lift + rng.uniform(-10.0, 6.0, 500)]
    want = table(te, tc)
    tab = table.flat
    np.testing.assert_array_equal(compiled(_cycle_cops)(tab, te, tc), want)
    te_n, tc_n = table.t_evap[:-1, None], table.t_cond[None, :-1]  # the last nodes clip to just inside
    lift = tc_n >= te_n + 5.0  # above the minimum lift
    np.testing.assert_allclose(table(te_n, tc_n)[lift], table.cop[:-1, :-1][lift], rtol=1e-12)
    np.testing.assert_array_equal(_cycle_cops(tab, te[::10], tc[::10]), want[::10])


def test_chilled_water_cycle_every_mode_and_edge():
    """CoolProp cycle chillers through free cooling, partial economiser and chillers alone; two
    refrigerants, a wide condenser approach and a poor compressor; water so warm and a tower so
    cold that the lift falls below the table's 5 K minimum and its grid (chillers alone, no
    economiser); every efficiency and approach per case in one block."""
    wx = _designed_day(
        [-30.0, -10.0, -2.0, 3.0, 8.0, 12.0, 16.0, 20.0, 25.0, 30.0, 35.0, 42.0],
        [60.0, 50.0, 70.0, 80.0, 60.0, 50.0, 70.0, 60.0, 70.0, 60.0, 50.0, 30.0],
    )
    base = ChilledWaterParams(chiller_model="cycle")
    facs = [ITParams(utilisation=u) for u in (0.05, 0.4, 1.0)]
    eles = [ElectricalParams()] * 3
    r = facility_block(wx, "chilled_water", facility=facs, cooling=base)
    assert set(np.unique(r["mode"])) == {0, 1, 2}
    low_lift = dataclasses.replace(
        base,
        t_supply_air=32.0,
        t_chw_supply=20.0,
        coil_approach=1.0,
        evaporator_approach=0.5,
        condenser_approach=0.5,
        t_cond_water_min=5.0,
        tower_range=3.0,
        tower_approach=8.0,
        economiser=False,
    )
    variants = (
        base,
        dataclasses.replace(base, refrigerant="R1234ze(E)", pump_control="constant"),
        dataclasses.replace(base, condenser_approach=10.0, eta_isentropic=0.4, eta_motor=0.7, chiller_count=1),
        low_lift,
    )
    for coo in variants:
        assert _compare(wx, facs, eles, [coo], 3), coo
    # the cold hours: tower water at t_cond_water_min, condenser 8.5 °C, below the grid and the lift
    cop = facility_block(wx, "chilled_water", facility=facs, cooling=low_lift)["cop_mech"]
    assert np.all(cop[:, :2] == cycle_table("R134a", 1.0)(19.5, 10.0) * 0.75 * 0.93)
    per_case = [
        dataclasses.replace(base, condenser_approach=a, t_chw_supply=t, eta_isentropic=e, evaporator_approach=v)
        for a, t, e, v in ((1.0, 8.0, 0.6, 1.0), (5.0, 12.0, 0.75, 3.0), (9.0, 16.0, 0.9, 6.0))
    ]
    assert _compare(wx, facs, eles, per_case, 3)


SWEEPS = {
    "chilled_water": (
        ("cooling.chilled_water.t_chw_supply", (10.0, 14.0)),
        ("cooling.chilled_water.pump_control", ("vsd", "constant")),
    ),
    "chilled_water_cycle": (
        ("cooling.chilled_water.chiller_model", ("cycle",)),
        ("cooling.chilled_water.condenser_approach", (2.0, 8.0)),
        ("cooling.chilled_water.t_chw_supply", (10.0, 16.0)),
    ),
    "indirect_evap": (
        ("cooling.indirect_evap.effectiveness_wet", (0.5, 0.8)),
        ("cooling.indirect_evap.trim_capacity", (0.1, 1.0)),
    ),
}


@pytest.mark.parametrize("design", list(COOLING))
@pytest.mark.parametrize("site", ["qingyang", "guiyang"])
def test_annual_kpis_numba_equals_reference_on_a_generated_year(design, site):
    """A generated year at a dry and a humid site: utilisation, profile, occupancy ramp, per-case design kW."""
    grid = (
        ("facility.utilisation", (0.2, 0.9)),
        ("facility.profile", ("flat", "diurnal")),
        ("facility.occupancy_ramp", (False, True)),
        ("facility.it_capacity_kw", (2_000.0, 10_000.0)),
        *SWEEPS[design],
    )
    handled = _fused_and_reference(Scenario(sites=(site,), designs=(DESIGN.get(design, design),), sweep=grid))
    assert handled and all(handled)


@pytest.mark.parametrize("design", list(COOLING))
def test_grid_sums_and_green_supply_equal_the_reference(design, tmp_path):
    """Time-of-use price, monthly clean shares and a demand charge; blocks without green supply
    (the kernel's grid sums) and with PV (its hourly facility power): every KPI."""
    d = _site_with_hourly_grid(tmp_path)
    grid = (
        ("facility.utilisation", (0.3, 0.8)),
        ("facility.profile", ("flat", "diurnal")),
        ("green.pv.capacity_mw", (0.0, 4.0)),
        SWEEPS[design][0],
    )
    sc = Scenario(sites=("qingyang_grid",), designs=(DESIGN.get(design, design),), site_dirs=(str(d),), sweep=grid)
    handled = _fused_and_reference(sc)
    assert handled and all(handled)


def test_annual_kpis_numba_equals_reference_with_an_hourly_utilisation_csv(tmp_path):
    n = 8760
    series = 0.5 + 0.4 * np.sin(np.arange(n) * 2 * np.pi / 24.0)
    path = tmp_path / "u.csv"
    path.write_text("utilisation\n" + "\n".join(f"{x:.6f}" for x in series) + "\n")
    for design in COOLING:
        sc = Scenario(
            sites=("qingyang",),
            designs=(DESIGN.get(design, design),),
            facility=ITParams(profile="csv", profile_csv=str(path)),
            sweep=SWEEPS[design][:1],
        )
        assert all(_fused_and_reference(sc))


@pytest.mark.parametrize(("site", "station"), [("qingyang", "Xifengzhen"), ("guiyang", "Guiyang")])
def test_annual_kpis_numba_equals_reference_on_a_real_year(site, station):
    """A real EPW year (CSWD) at a dry and a humid site, both designs (chilled water with EIR and cycle chillers)."""
    epw = ROOT.parent / "shared" / "weather"
    files = sorted(epw.glob(f"*{station}*.epw")) if epw.is_dir() else []
    if not files:
        pytest.skip(f"no real {station} weather file in ../shared/weather")
    sc = Scenario(
        sites=(site,),
        designs=("chilled_water", "indirect_evap"),
        weather=WeatherSource(source=str(files[0])),
        sweep=(
            ("facility.utilisation", (0.3, 0.7, 1.0)),
            ("facility.profile", ("flat", "diurnal")),
            ("cooling.chilled_water.chiller_model", ("eir", "cycle")),
        ),
    )
    assert all(_fused_and_reference(sc))


def test_the_kernel_is_what_auto_runs_for_a_big_study():
    """annual_kpis(kernel="auto") at 1,000 case-years runs the kernels, equal to the reference."""
    sc = Scenario(
        sites=("qingyang",),
        designs=("chilled_water",),
        sweep=(("facility.utilisation", tuple(np.linspace(0.1, 1.0, 1000))),),
    )
    wx = prepare_weather(sc)
    a, b = annual_kpis(sc, weather=wx), annual_kpis(sc, weather=wx, kernel="reference")
    np.testing.assert_allclose(a["pue"], b["pue"], rtol=1e-12)
    np.testing.assert_allclose(a["wue"], b["wue"], rtol=1e-12)


def test_design_kernels_are_cached_on_disk(tmp_path):
    """A second process loads the three kernels from NUMBA_CACHE_DIR instead of compiling them."""
    code = (
        "from twin import Scenario; from twin.engine.simulate import annual_kpis\n"
        "from twin.engine.kernel_parts import compiled_kernel; from twin.engine import design_kernels as k\n"
        "sw = (('cooling.chilled_water.chiller_model', ('eir', 'cycle')),)\n"
        "annual_kpis(Scenario(sites=('qingyang',), designs=('chilled_water', 'indirect_evap'), sweep=sw), kernel='numba')\n"
        "for f in (k.chilled_water_loop, k.chilled_water_cycle_loop, k.indirect_evap_loop):\n"
        "    f = compiled_kernel(f); print(sum(f.stats.cache_hits.values()), sum(f.stats.cache_misses.values()))\n"
    )
    first, second = _two_processes(code, tmp_path)
    assert first == [0, 1, 0, 1, 0, 1]  # (hits, misses) of each kernel: compiled and written
    assert second == [1, 0, 1, 0, 1, 0]  # loaded


def _two_processes(code: str, cache_dir: Path) -> list[list[int]]:
    """The whole numbers ``code`` prints in each of two processes sharing ``NUMBA_CACHE_DIR``."""
    env = {**os.environ, "NUMBA_CACHE_DIR": str(cache_dir)}
    runs = [
        subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True) for _ in "12"
    ]
    assert [r.returncode for r in runs] == [0, 0], runs[-1].stderr
    return [[int(x) for x in r.stdout.split()] for r in runs]
