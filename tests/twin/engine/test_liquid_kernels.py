"""The liquid designs' kernels (twin.engine.liquid_kernels) against the numpy reference, to 1e-12.

Spray, cold plates, single- and two-phase immersion: random blocks (hypothesis) with shared
and per-case cooling parameters, designed days through every mode (dry cooler dry, on its pads
and short of its target; the auxiliary air system with and without its trim, closed to humid
air; saturated hours with the pads running), generated years at a dry and a humid site, a real EPW year; every KPI of
``annual_kpis(kernel="numba")`` (heat reuse, water and fluid loss included) equals the
reference's to 1e-12 (relative), and the kernel takes a stated share of the blocks.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from tests.twin.engine.test_design_kernels import _designed_day, _two_processes
from tests.twin.engine.test_engine_kernels import (
    RTOL,
    _compare,
    _fused_and_reference,
    _random_hall,
    _site_with_hourly_grid,
)
from twin import Scenario
from twin.building.cooling import get_design
from twin.building.cooling.liquid import (
    ColdPlateParams,
    Immersion1pParams,
    Immersion2pParams,
    LiquidParams,
    SprayParams,
)
from twin.building.electrical import ElectricalParams
from twin.building.facility import PhysicalBoundsError, facility_block, facility_chain, stack_columns
from twin.building.it_load import ITParams, utilisation_profile
from twin.core.params import ConfigError
from twin.engine import liquid_kernels
from twin.engine.config import WeatherSource
from twin.engine.kernels import COMPILED_DESIGNS, facility_year
from twin.engine.liquid_kernels import LIQUID_DESIGNS

ROOT = Path(__file__).resolve().parents[3]

PARAMS = {
    "spray": SprayParams,
    "cold_plate": ColdPlateParams,
    "immersion_1p": Immersion1pParams,
    "immersion_2p": Immersion2pParams,
}


def _liquid(design: str, rng: np.random.Generator) -> LiquidParams:
    cls = PARAMS[design]
    low_capture = 0.3 if design == "cold_plate" else 0.5
    kw: dict = {
        "t_coolant_supply_max": float(rng.uniform(20.0, 60.0)),
        "delta_t_coolant": float(rng.uniform(3.0, 20.0)),
        "dt_chip": float(rng.uniform(5.0, 30.0)),
        "capture": float(rng.choice([1.0, rng.uniform(low_capture, 1.0)])),
        "hx_approach": float(rng.uniform(1.0, 8.0)),
        "delta_t_water": float(rng.uniform(3.0, 15.0)),
        "drycooler_approach": float(rng.uniform(3.0, 15.0)),
        "drycooler_fan_kw_per_kw": float(rng.uniform(0.0, 0.05)),
        "adiabatic": bool(rng.random() < 0.7),
        "adiabatic_effectiveness": float(rng.uniform(0.3, 0.95)),
        "coolant_pump_head_pa": float(rng.uniform(0.0, 400_000.0)),
        "water_pump_head_pa": float(rng.uniform(50_000.0, 300_000.0)),
        "pump_efficiency": float(rng.uniform(0.3, 0.9)),
        "pump_control": str(rng.choice(["vsd", "constant"])),
        "pump_min_flow": float(rng.uniform(0.0, 0.6)),
        "condenser_approach": float(rng.uniform(3.0, 15.0)),
        "glycol_margin": float(rng.choice([0.0, 5.0])),
    }
    if design in ("immersion_1p", "immersion_2p"):
        kw["capture"] = 1.0 if rng.random() < 0.7 else float(rng.uniform(0.5, 1.0))
        kw["fluid_charge_kg_per_kw"] = float(rng.uniform(1.0, 20.0))
        kw["fluid_loss_pct_per_year"] = float(rng.uniform(0.0, 10.0)) if rng.random() < 0.5 else None
        kw["fluid_price_cny_per_kg"] = float(rng.uniform(10.0, 500.0)) if rng.random() < 0.5 else None
    if design == "immersion_2p":
        kw["vapour_recovery_kw_per_kw"] = float(rng.uniform(0.0, 0.05))
    return cls(**kw)


def _reference_hourly(wx, facs, eles, coos, m):
    """The reference's facility chain of a block and the kernel's result (or None)."""
    d = get_design(coos[0].section.split(".")[1])
    fac, ele, coo = stack_columns(facs), stack_columns(eles), stack_columns(coos)
    kw = np.asarray([f.design_kw for f in facs], dtype=float)[:, None]
    nt = wx["t_db"].shape[-1]
    u = utilisation_profile(
        (np.arange(nt) % 24)[None, :], fac["utilisation"], facs[0].profile, fac["diurnal_amplitude"]
    )
    got = facility_year(d, wx, fac, ele, coo, kw, u, m)
    return facility_chain(d, wx, fac, ele, coo, kw, u), got


def _compare_liquid(wx, facs, eles, coos, m) -> bool:
    """The annual sums (:func:`_compare`) and the hourly heat-reuse and fluid-loss arrays."""
    if not _compare(wx, facs, eles, coos, m):
        return False
    ref, got = _reference_hourly(wx, facs, eles, coos, m)
    nt = wx["t_db"].shape[-1]
    for k in ("q_recoverable", "t_return", "fluid_loss", "fluid_co2e", "fluid_cost"):
        atol = 1e-10 if k == "t_return" else 0.0  # °C: a temperature near 0 °C has no relative scale
        np.testing.assert_allclose(got["hourly"][k], np.broadcast_to(ref[k], (m, nt)), rtol=RTOL, atol=atol, err_msg=k)
    return True


def _random_block(design: str, seed: int, m: int, nt: int, per_case_cooling: bool) -> bool:
    rng = np.random.default_rng(seed)
    wx, facs, eles = _random_hall(rng, m, nt)
    try:
        coos = [_liquid(design, rng) for _ in range(m if per_case_cooling else 1)]
        first = {k: getattr(coos[0], k) for k in ("fluid", "pump_control", "freeze_protection")}
        coos = [dataclasses.replace(c, **first) for c in coos]  # text fields: one per block
    except ConfigError:
        assume(False)
    return _compare_liquid(wx, facs, eles, coos, m)


def test_every_liquid_design_has_a_kernel():
    assert set(LIQUID_DESIGNS) <= set(COMPILED_DESIGNS)


@pytest.mark.parametrize("design", LIQUID_DESIGNS)
def test_kernel_equals_reference_on_random_blocks(design):
    """Random weather hours from −30 to 42 °C, random IT, electrical and cooling parameters (one
    cooling set per block); the kernel takes at least half the blocks."""
    handled: list[bool] = []

    @settings(max_examples=20, deadline=None)
    @given(seed=st.integers(0, 2**32 - 1), m=st.integers(1, 5), nt=st.sampled_from([24, 96, 240]))
    def check(seed, m, nt):
        handled.append(_random_block(design, seed, m, nt, per_case_cooling=False))

    check()
    assert sum(handled) >= 0.5 * len(handled), f"the kernel took {sum(handled)} of {len(handled)} blocks"


@pytest.mark.parametrize("design", LIQUID_DESIGNS)
def test_kernel_equals_reference_with_cooling_varying_per_case(design):
    """A packed block: every case its own cooling parameters (the state per case and hour)."""
    handled: list[bool] = []

    @settings(max_examples=8, deadline=None)
    @given(seed=st.integers(0, 2**32 - 1), m=st.integers(2, 4))
    def check(seed, m):
        handled.append(_random_block(design, seed, m, 96, per_case_cooling=True))

    check()
    assert sum(handled) >= 0.5 * len(handled), f"the kernel took {sum(handled)} of {len(handled)} blocks"


DAY = (
    [-28.0, -12.0, -2.0, 5.0, 12.0, 18.0, 24.0, 29.0, 33.0, 37.0, 41.0, 30.0, 26.0, 38.0],
    [40.0, 50.0, 70.0, 60.0, 50.0, 40.0, 30.0, 25.0, 20.0, 15.0, 10.0, 90.0, 95.0, 75.0],
)


@pytest.mark.parametrize("design", LIQUID_DESIGNS)
def test_every_mode_on_a_designed_day(design):
    """Dry cooler dry, on its pads and short of its target (out of envelope); glycol in the cold;
    the auxiliary air system closed to humid air with its trim running; pads off; constant-flow
    pumps; a hall over its design heat."""
    wx = _designed_day(*DAY)
    base = PARAMS[design]()
    facs = [ITParams(utilisation=u) for u in (0.05, 0.5, 1.0)]
    eles = [ElectricalParams()] * 3
    r = facility_block(wx, design, facility=facs, cooling=base)
    assert set(np.unique(r["mode"])) == {0, 1, 2}  # dry, pads, short
    assert r["out_of_envelope"].any() and not r["out_of_envelope"].all()
    assert (r["p_compressor"] > 0).any()  # the auxiliary trim runs (humid hours closed)
    variants = (
        base,
        dataclasses.replace(base, adiabatic=False),
        dataclasses.replace(base, pump_control="constant"),
        dataclasses.replace(base, freeze_protection="off", capture=0.8 if design != "cold_plate" else 0.5),
    )
    for coo in variants:
        assert _compare_liquid(wx, facs, eles, [coo], 3), coo
    hot = [dataclasses.replace(f, performance_factor=0.7) for f in facs]  # IT 30 % over its design
    assert _compare_liquid(wx, hot, eles, [base], 3)


def test_hours_the_air_systems_trim_falls_short_come_from_the_reference():
    """Humid hours at the residual heat's peak: the air system's trim (sized for that peak) falls
    short of its setpoint; those hours are the reference's air system, the rest the kernel's."""
    wx = _designed_day(*DAY)
    facs = [ITParams(utilisation=u) for u in (0.3, 1.0)]
    eles = [ElectricalParams()] * 2
    given: list[int] = []
    real = liquid_kernels._trim_short

    def counting(*args):
        out = real(*args)
        given.append(int(out[0]))
        return out

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(liquid_kernels, "_trim_short", counting)
        assert _compare_liquid(wx, facs, eles, [SprayParams()], 2)
    assert given and given[0] > 0


SATURATED = [15.45, 16.05, 18.1, 19.75, 21.4, 22.4, 22.55, 22.7, 25.0, 30.0]
"""Dry bulbs °C at which the wet-bulb solver, at RH 100 % and 85 kPa, returns a wet bulb an ulp
or two above the dry bulb (the pads' water then comes out a few 1e-12 L/h below 0)."""


@pytest.mark.parametrize("design", LIQUID_DESIGNS)
def test_saturated_hours_with_the_pads_running_stay_in_the_kernel(design):
    """Saturated hours (fog, drizzle: RH 100 %) warm enough for the dry cooler's pads: the pads'
    water is ``m c_p ε (t_db − t_wb) / h_fg`` with t_wb an ulp above t_db, about −1e-11 L/h in the
    reference, which its bounds allow (−1e-9 × the block's largest IT power); the kernel takes
    the block with the reference's values. A wet bulb truly above the dry bulb is refused by the
    reference and handed back by the kernel."""
    wx = _designed_day(SATURATED, [100.0] * len(SATURATED))
    assert (wx["t_wb"] > wx["t_db"]).any()
    coo = PARAMS[design](t_coolant_supply_max=30.0)
    facs = [ITParams(utilisation=u) for u in (0.5, 1.0)]
    eles = [ElectricalParams()] * 2
    r = facility_block(wx, design, facility=facs, cooling=coo)
    assert -1e-10 < r["water"].min() < 0.0  # the case the kernel once handed back
    assert _compare_liquid(wx, facs, eles, [coo], 2)
    odd = {**wx, "t_wb": np.where(wx["t_wb"] > wx["t_db"], wx["t_db"] + 2.0, wx["t_wb"])}
    with pytest.raises(PhysicalBoundsError, match="water is negative"):
        facility_block(odd, design, facility=facs, cooling=coo)
    assert not _compare_liquid(odd, facs, eles, [coo], 2)


SWEEP = {
    "spray": ("cooling.spray.capture", (0.8, 0.95)),
    "cold_plate": ("cooling.cold_plate.t_coolant_supply_max", (32.0, 45.0)),
    "immersion_1p": ("cooling.immersion_1p.fluid_charge_kg_per_kw", (6.0, 12.0)),
    "immersion_2p": ("cooling.immersion_2p.condenser_approach", (5.0, 10.0)),
}


@pytest.mark.parametrize("design", LIQUID_DESIGNS)
@pytest.mark.parametrize("site", ["qingyang", "guiyang"])
def test_annual_kpis_numba_equals_reference_on_a_generated_year(design, site):
    """A generated year at a dry and a humid site: utilisation, profile, occupancy ramp, per-case
    design kW, a heat customer (heat reuse from the hourly return water), one cooling parameter."""
    grid = (
        ("facility.utilisation", (0.3, 0.9)),
        ("facility.profile", ("flat", "diurnal")),
        ("facility.occupancy_ramp", (False, True)),
        ("facility.it_capacity_kw", (2_000.0, 10_000.0)),
        ("heat_reuse.demand_kw_per_k", (0.0, 250.0)),
        ("heat_reuse.t_return_min", (35.0, 45.0)),
        SWEEP[design],
    )
    handled = _fused_and_reference(Scenario(sites=(site,), designs=(design,), sweep=grid))
    assert handled and sum(handled) >= 0.5 * len(handled), handled


@pytest.mark.parametrize("design", LIQUID_DESIGNS)
def test_grid_sums_and_green_supply_equal_the_reference(design, tmp_path):
    """Time-of-use price, monthly clean shares, a demand charge; blocks without green supply (the
    kernel's grid sums) and with PV (its hourly facility power): every KPI."""
    d = _site_with_hourly_grid(tmp_path)
    grid = (
        ("facility.utilisation", (0.3, 0.8)),
        ("facility.profile", ("diurnal",)),  # flat: see test_a_constant_it_power_year_sums_as_numpy
        ("green.pv.capacity_mw", (0.0, 4.0)),
        ("heat_reuse.demand_base_kw", (0.0, 500.0)),
        SWEEP[design],
    )
    sc = Scenario(sites=("qingyang_grid",), designs=(design,), site_dirs=(str(d),), sweep=grid)
    handled = _fused_and_reference(sc)
    assert handled and all(handled)


@pytest.mark.parametrize(("site", "station"), [("qingyang", "Xifengzhen"), ("guiyang", "Guiyang")])
def test_annual_kpis_numba_equals_reference_on_a_real_year(site, station):
    """A real EPW year (CSWD) at a dry and a humid site, every liquid design, a heat customer."""
    epw = ROOT.parent / "shared" / "weather"
    files = sorted(epw.glob(f"*{station}*.epw")) if epw.is_dir() else []
    if not files:
        pytest.skip(f"no real {station} weather file in ../shared/weather")
    sc = Scenario(
        sites=(site,),
        designs=LIQUID_DESIGNS,
        weather=WeatherSource(source=str(files[0])),
        sweep=(
            ("facility.utilisation", (0.3, 0.7, 1.0)),
            ("facility.profile", ("flat", "diurnal")),
            ("heat_reuse.demand_kw_per_k", (0.0, 200.0)),
        ),
    )
    handled = _fused_and_reference(sc)
    assert handled and sum(handled) >= 0.5 * len(handled), handled


def test_a_constant_it_power_year_sums_as_numpy(tmp_path):
    """Two-phase immersion at a flat utilisation: an IT power constant over the year (no weather
    in it), which the kernels sum hour after hour within chunks of 128 hours and numpy pairwise
    (a drift of up to 1e-13). overhead_share is the non-IT energy over the facility energy, so
    that drift stays 1e-13 (as 1 - 1/PUE it became 1.2e-12)."""
    d = _site_with_hourly_grid(tmp_path)
    grid = (("facility.utilisation", (0.3, 0.8)), ("cooling.immersion_2p.condenser_approach", (5.0, 10.0)))
    sc = Scenario(sites=("qingyang_grid",), designs=("immersion_2p",), site_dirs=(str(d),), sweep=grid)
    assert all(_fused_and_reference(sc))


def test_liquid_kernels_are_cached_on_disk(tmp_path):
    """A second process loads both passes from NUMBA_CACHE_DIR instead of compiling them."""
    code = (
        "from twin import Scenario; from twin.engine.simulate import annual_kpis\n"
        "from twin.engine.kernel_parts import compiled_kernel; from twin.engine import liquid_kernels as k\n"
        "annual_kpis(Scenario(sites=('qingyang',), designs=('cold_plate',)), kernel='numba')\n"
        "for f in (compiled_kernel(k.liquid_peak_loop), compiled_kernel(k.liquid_loop)):\n"
        "    print(sum(f.stats.cache_hits.values()), sum(f.stats.cache_misses.values()))\n"
    )
    first, second = _two_processes(code, tmp_path)
    assert first == [0, 1, 0, 1]  # (hits, misses) of each pass: compiled and written
    assert second == [1, 0, 1, 0]  # loaded
