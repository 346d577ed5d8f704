"""Benchmarks (`make bench`): speed goals are measured here, never asserted in tests.

Every figure is CPU time (``time.process_time``: this process and all its threads, so
core-seconds), warm (first call excluded), as a median and range over repeated runs; every
comparison times both sides interleaved in one run (pairs, the order alternating), so that the
shared machine's drift falls on both. The machine (CPU model, cores, load) is printed first.

``python bench/run.py [machine] [engine] [designs] [overhead] [pysam] [micro] [storage] [sizing] [kernel-cost]``
(default: all).
"""

from __future__ import annotations

import gc
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np

PAIRS = 9
"""Interleaved pairs (or runs) per figure."""

HERE = Path(__file__).resolve().parent


def machine() -> str:
    """CPU model, cores and load average of this machine."""
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    return f"{model}, {os.cpu_count()} cores (load average {load}), Python {sys.version.split()[0]}"


def cpu(fn) -> float:
    """CPU seconds of one call of ``fn``."""
    t = time.process_time()
    fn()
    return time.process_time() - t


def interleaved(fns: dict, n: int = PAIRS) -> dict[str, np.ndarray]:
    """CPU seconds of each function over ``n`` rounds, run in turn (order alternating), after one warm call.

    After the warm calls, one full collection of Python's cyclic garbage collector: what the
    first calls leave alive for good (compiled code loaded, caches filled) is otherwise still in
    the young generations, and the first collection to move it lands in one timed round of
    whichever side allocates then (≈ 50 ms of a ≈ 110 ms call, measured with ``gc.callbacks``).
    """
    for f in fns.values():
        f()
    gc.collect()
    out: dict[str, list[float]] = {k: [] for k in fns}
    names = list(fns)
    for r in range(n):
        for k in names if r % 2 == 0 else names[::-1]:
            out[k].append(cpu(fns[k]))
    return {k: np.asarray(v) for k, v in out.items()}


def runs(fn, n: int = PAIRS) -> np.ndarray:
    return interleaved({"x": fn}, n)["x"]


def stats(a: np.ndarray, scale: float = 1.0, fmt: str = ".2f") -> str:
    """``median (min–max)`` of ``a × scale``."""
    a = np.sort(np.asarray(a) * scale)
    return f"{np.median(a):{fmt}} ({a[0]:{fmt}}–{a[-1]:{fmt}})"


def row(name: str, value: str) -> None:
    print(f"  {name:<72} {value}")


def uncached(fn):
    """``fn()`` computed, not served by a cache: the solar positions cleared, the disk cache off."""
    from twin.core.diskcache import CACHE_ENV
    from weather import dataset as weather_dataset

    weather_dataset._solar_position_cached.cache_clear()
    saved = os.environ.get(CACHE_ENV)
    os.environ[CACHE_ENV] = "off"
    try:
        return fn()
    finally:
        if saved is None:
            del os.environ[CACHE_ENV]
        else:
            os.environ[CACHE_ENV] = saved


def bench_micro() -> None:
    import sites
    import weather
    from twin import site_weather
    from weather import psychrometrics as psy

    print("micro (CPU ms per call, median (range) of 9):")
    rng = np.random.default_rng(0)
    n = 8760
    t, rh, p = rng.uniform(-30, 45, n), rng.uniform(5, 100, n), rng.uniform(6e4, 1.013e5, n)
    row("psychrometrics: wet bulb, one year (8760 h)", stats(runs(lambda: psy.wet_bulb(t, rh, p)), 1e3))
    row(
        "psychrometrics: humidity ratio + enthalpy, one year",
        stats(runs(lambda: psy.enthalpy(t, psy.humidity_ratio(t, rh, p))), 1e3),
    )
    site = sites.load("qingyang")
    row(
        "generator: one typical year (Qingyang), computed (no cache)",
        stats(runs(lambda: uncached(lambda: site_weather(site, seed=1))), 1e3, ".0f"),
    )
    epw = HERE.parents[1] / "shared" / "weather" / "CHN_Gansu.Xifengzhen.539230_CSWD.epw"
    if epw.is_file():
        row("reader: EPW year (Xifeng CSWD)", stats(runs(lambda: weather.read_epw(epw)), 1e3, ".0f"))


def pvwatts_data(ds) -> dict:
    """The SSC weather table for PySAM from a weather Dataset (plain Python lists)."""
    import pandas as pd

    t = pd.DatetimeIndex(ds["time"].to_numpy())
    return {
        "lat": float(ds.attrs["latitude"]),
        "lon": float(ds.attrs["longitude"]),
        "tz": float(ds.attrs["utc_offset_h"]),
        "elev": float(ds.attrs["elevation"]),
        "year": t.year.tolist(),
        "month": t.month.tolist(),
        "day": t.day.tolist(),
        "hour": t.hour.tolist(),
        "minute": [30] * len(t),
        "dn": ds["dni"].to_numpy().tolist(),
        "df": ds["dhi"].to_numpy().tolist(),
        "gh": ds["ghi"].to_numpy().tolist(),
        "tdry": ds["t_db"].to_numpy().tolist(),
        "wspd": ds["wind_speed"].to_numpy().tolist(),
    }


def pvwatts_run(data: dict, tracking: bool = False, tilt: float = 30.0, dc_ac_ratio: float = 1.2) -> object:
    """A PySAM Pvwattsv8 PV-only year on prepared weather, with twin.supply.pv's default settings."""
    import PySAM.Pvwattsv8 as pvwatts

    m = pvwatts.default("PVWattsNone")
    m.SolarResource.solar_resource_data = data
    m.SystemDesign.system_capacity = 1000.0
    m.SystemDesign.array_type = 3 if tracking else 0  # 1-axis backtracked / fixed open rack
    m.SystemDesign.tilt = 0.0 if tracking else tilt
    m.SystemDesign.azimuth = 180.0
    m.SystemDesign.gcr = 0.35
    m.SystemDesign.dc_ac_ratio = dc_ac_ratio
    m.SystemDesign.inv_eff = 96.0
    m.SystemDesign.losses = 14.08
    m.execute(0)
    return m


def pvwatts_year(ds, tracking: bool = False, tilt: float = 30.0, dc_ac_ratio: float = 1.2) -> object:
    """A PySAM Pvwattsv8 PV-only year on the same weather and settings as twin.supply.pv's defaults."""
    return pvwatts_run(pvwatts_data(ds), tracking, tilt, dc_ac_ratio)


def bench_storage() -> None:
    """A year of green-first dispatch for 1,000 storage sizes at once, and one LP year."""
    from twin import Scenario
    from twin.engine.simulate import prepare_weather
    from twin.supply.pv import PVParams, pv_profile
    from twin.supply.storage import StorageParams, dispatch_green_first, dispatch_lp

    print("storage (CPU s, median (range)):")
    ds, _, site = prepare_weather(Scenario(sites=("qingyang",), designs=("free_air",)))["qingyang"]
    green = 80_000.0 * pv_profile(ds, PVParams())
    load = np.full(green.size, 30_000.0)
    sizes = np.linspace(1.0, 400.0, 1000)
    p = StorageParams().to_dict() | {"power_mw": sizes / 2.0, "energy_mwh": sizes}
    row(
        "green-first year, 1,000 sizes at once (compiled)",
        stats(runs(lambda: dispatch_green_first(green[None, :], load[None, :], p), 5)),
    )
    lp = StorageParams(power_mw=50.0, energy_mwh=100.0)
    row("one LP year (HiGHS, 8760 h)", stats(runs(lambda: dispatch_lp(green, load, lp), 3)))
    # The site's time-of-use price and grid charging, without and with its monthly demand charge.
    from twin.engine.metrics import calendar_starts
    from twin.money.economics import EconomicsParams, hourly_price
    from twin.supply.green import site_tariff
    from weather.dataset import hour_of_day

    tariff = site_tariff(site)
    price = hourly_price(hour_of_day(ds.time), EconomicsParams(), tariff)
    kw = {"price": price, "grid_charging": True, "month_starts": calendar_starts(ds.time, "month")}
    t = interleaved(
        {
            "energy only": lambda: dispatch_lp(green, load, lp, **kw),
            "demand": lambda: dispatch_lp(green, load, lp, demand_charge=tariff.demand_charge_cny_per_kw_month, **kw),
        },
        5,
    )
    row("one LP year, time of use, grid charging, energy only (interleaved)", stats(t["energy only"]))
    row(
        f"same with the demand charge ({tariff.demand_charge_cny_per_kw_month:g} CNY/kW/month, 12 peaks)",
        stats(t["demand"]),
    )


def bench_sizing() -> None:
    """twin size: one sizing of a site-year, a 10-point frontier, the resilience curve (CPU time)."""
    from twin import Scenario
    from twin.engine.simulate import prepare_weather
    from twin.studies.sizing import SizingParams, Target, build_lp, pareto, resilience, size_design, sizing_inputs
    from twin.supply.storage import MINNING
    from twin.supply.wind import WindParams

    print("sizing (CPU s, median (range)):")
    sc = Scenario(sites=("qingyang",), designs=("free_air",), wind=WindParams(hub_mean_speed_ms=7.0), storage=MINNING)
    sp = SizingParams()
    wx = prepare_weather(sc)
    target = Target("hourly", 0.8)

    def one():
        inp = sizing_inputs(sc, sp, weather=wx)
        return inp, size_design(inp, 0, target, sp)

    inp, res = one()
    row("one site-year, engine run + LP + check (hourly ≥ 80 %) (goal ≤ 5 s)", stats(runs(one, 5)))
    row("  of which the linopy build of the LP", stats(runs(lambda: build_lp(inp, 0, "hourly", sp), 5)))
    values = np.round(np.linspace(0.5, 0.95, 10), 4)
    row("10-point frontier 50…95 % hourly (goal ≤ 30 s)", stats(runs(lambda: pareto(inp, "hourly", values, sp), 3)))
    row(
        "outage ride-through from all 8760 start hours",
        stats(runs(lambda: resilience(inp, res, 0), 5), 1e3, ".0f") + " ms",
    )


SWEEP_U = np.linspace(0.3, 1.0, 100).round(4)
SWEEP_EFF = (0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95)


def bench_engine() -> None:
    """The 1,000-case free-air sweep: the twin (compiled and numpy) against the fused reference loop."""
    sys.path.insert(0, str(HERE))
    import fused

    from twin import Scenario
    from twin.core.memo import clear_array_memos
    from twin.engine.simulate import annual_kpis, prepare_weather

    sweep = Scenario(
        sites=("qingyang",),
        designs=("free_air",),
        sweep=(("facility.utilisation", tuple(SWEEP_U)), ("cooling.free_air.evap_effectiveness", SWEEP_EFF)),
    )

    def first_at_site():
        # the weather-only states (saturation at the hourly pressure, free air's batch states)
        # computed from the weather, not served by their memos: a first sweep at the site
        clear_array_memos()
        return annual_kpis(sweep, weather=wxa, kernel="numba")

    n = 1000
    wxa = prepare_weather(sweep)
    wx = fused.prepare(wxa, "qingyang")
    worst = fused.check(annual_kpis(sweep, weather=wxa), fused.sweep(wx, SWEEP_U, np.array(SWEEP_EFF)))
    t = interleaved(
        {
            "twin": lambda: annual_kpis(sweep, weather=wxa, kernel="numba"),
            "fused": lambda: fused.sweep(wx, SWEEP_U, np.array(SWEEP_EFF)),
            "first": first_at_site,
            "reference": lambda: annual_kpis(sweep, weather=wxa, kernel="reference"),
        }
    )
    print("engine: 1,000 free-air cases (100 utilisations × 10 evaporative effectivenesses, Qingyang) → annual KPIs")
    print(
        f"  (case-years per core-second, median (range) of {PAIRS} interleaved rounds; fused loop = twin to {worst:.1e})"
    )
    row("twin, annual_kpis(kernel='numba') (what 'auto' runs at 1,000 cases)", stats(n / t["twin"], 1.0, ",.0f"))
    row("  the same, memos cleared before each call (a first sweep at the site)", stats(n / t["first"], 1.0, ",.0f"))
    row("twin, annual_kpis(kernel='reference') (numpy)", stats(n / t["reference"], 1.0, ",.0f"))
    row("fused reference loop (bench/fused.py)", stats(n / t["fused"], 1.0, ",.0f"))
    ratio = t["twin"] / t["fused"]
    row("fused loop / twin, per round (goal ≤ 2×)", stats(ratio, 1.0, ".1f") + "×")
    row("fused loop / twin with its memos cleared, per round", stats(t["first"] / t["fused"], 1.0, ".1f") + "×")
    row("twin / goal of 16,000 case-years per core-second", stats(n / t["twin"] / 16_000.0, 1.0, ".2f"))


def sweep_scenario(n_u: int, n_eff: int = 10):
    """The bench sweep with ``n_u`` utilisations × ``n_eff`` evaporative effectivenesses (Qingyang, free air)."""
    from twin import Scenario

    u = tuple(np.linspace(0.3, 1.0, n_u).round(6))
    eff = tuple(np.linspace(0.5, 0.95, n_eff).round(6))
    return Scenario(
        sites=("qingyang",),
        designs=("free_air",),
        sweep=(("facility.utilisation", u), ("cooling.free_air.evap_effectiveness", eff)),
    )


def engine_overhead(scenario, weather, names: list[str], block: int | None = None) -> None:
    """The engine's Python work around the physics for every case of ``scenario``, as
    ``annual_kpis(kernel="numba")`` does it for blocks without a green plant.

    Per call (one for all cases, or one per ``block`` cases as ``twin sweep`` makes them: a
    slice of the grid), from the grid's columns: the block plan and its batches (``_batches``),
    per batch the parameter columns stacked once and each block's cut and inputs, server capex and the supply
    parameters, the case coordinates, and the KPI Dataset of the KPIs ``names``: everything of
    ``annual_kpis`` but the facility physics (the kernel), the green step and the annual
    reduction. It calls the engine's own steps in the engine's order; a change of that order in
    ``annual_kpis`` is to be followed here.
    """
    from twin.engine import simulate as sim
    from twin.engine.metrics import kpi_dataset

    n = len(scenario.case_columns())
    step = block or n
    for s in range(0, n, step):
        plan = sim._plan(scenario, weather, slice(s, min(s + step, n)) if block else None)
        hourly, batches = sim._batches(plan, True)
        for key, idx in hourly:  # a block on hourly arrays
            sim._inputs(plan, key, idx)
            sim.server_capex(plan.table, idx)
            sim._supply_params(plan.table, idx)
        for key, parts in batches:
            idx = [i for p in parts for i in p]
            columns = sim._columns(plan, idx)
            starts = np.cumsum([0, *map(len, parts)])
            for j, p in enumerate(parts):
                c = sim._part_columns(columns, starts[j], starts[j + 1]) if len(parts) > 1 else columns
                sim._inputs(plan, key, p, c)
            sim.server_capex(plan.table, idx)
            sim._supply_params(plan.table, idx)
        figures = {k: np.zeros(len(plan.table)) for k in names}
        kpi_dataset(figures, sim._case_coords(scenario, plan), plan.site_keys, ("case",), sim._limits(plan))


def kpi_names(weather) -> list[str]:
    """The KPIs annual_kpis returns, without the three kpi_dataset adds (grade and policy)."""
    from twin.engine.simulate import annual_kpis

    ds = annual_kpis(sweep_scenario(2), weather=weather, kernel="reference")
    return [str(k) for k in ds.data_vars if k not in ("gb40879_grade", "policy_pue_limit", "meets_policy")]


def bench_overhead() -> None:
    """The engine's Python overhead per case (CPU µs), the cost of building a swept Scenario and its cases."""
    import tracemalloc

    from twin.engine.simulate import prepare_weather

    print(f"engine overhead, free-air sweep (Qingyang), CPU µs per case, median (range) of {PAIRS} rounds:")
    wx = prepare_weather(sweep_scenario(1))
    names = kpi_names(wx)
    for n_u, block in ((100, None), (1000, None), (1000, 256)):
        sc = sweep_scenario(n_u)
        n = len(sc.cases())
        t = interleaved(
            {
                "overhead": lambda sc=sc, block=block: engine_overhead(sc, wx, names, block),
                "build": lambda n_u=n_u: sweep_scenario(n_u),
            }
        )
        how = "one call" if block is None else f"calls of {block} (twin sweep)"
        row(
            f"{n:,} cases, {how}: cases, plan, inputs, capex, KPI Dataset (goal ≤ 20 µs)",
            stats(t["overhead"], 1e6 / n, ".1f"),
        )
        if block is None:
            row(
                f"{n:,} cases: building the swept Scenario (each value validated once)",
                stats(t["build"], 1e6 / n, ".1f"),
            )
    sc = sweep_scenario(1000, 100)
    n = len(sc.cases())
    t = runs(sc.cases, 5)
    row(f"{n:,} cases: Scenario.cases()", stats(t, 1e6 / n, ".2f") + " µs")
    tracemalloc.start()
    cases = sc.cases()
    held = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    row(f"{n:,} cases: memory the Case list holds (tracemalloc)", f"{held / n:.0f} B per case")
    del cases


def _ten(lo: float, hi: float) -> tuple[float, ...]:
    """Ten evenly spaced values from ``lo`` to ``hi``."""
    return tuple(float(x) for x in np.linspace(lo, hi, 10).round(3))


DESIGN_SWEEPS = {
    "chilled_water": ("cooling.chilled_water.t_chw_supply", _ten(8.0, 17.0)),
    "chilled_water cycle": ("cooling.chilled_water.t_chw_supply", _ten(8.0, 17.0)),
    "indirect_evap": ("cooling.indirect_evap.effectiveness_wet", SWEEP_EFF),
    "spray": ("cooling.spray.capture", _ten(0.5, 0.95)),
    "cold_plate": ("cooling.cold_plate.t_coolant_supply_max", _ten(30.0, 48.0)),
    "immersion_1p": ("cooling.immersion_1p.t_coolant_supply_max", _ten(30.0, 48.0)),
    "immersion_2p": ("cooling.immersion_2p.condenser_approach", _ten(3.0, 12.0)),
}
"""One cooling parameter per design, 10 values, swept against :data:`SWEEP_U` (1,000 cases); a
second word in the key is chilled water's ``chiller_model`` (the first, EIR, by default)."""


def bench_designs() -> None:
    """1,000-case sweeps of the other designs with a kernel: numba against the numpy reference."""
    from twin import Scenario
    from twin.engine.simulate import annual_kpis, prepare_weather

    print("designs: 1,000 cases (100 utilisations × 10 values of one cooling parameter, Qingyang) → annual KPIs")
    print(f"  (case-years per core-second, median (range) of {PAIRS} interleaved rounds)")
    for label, (name, values) in DESIGN_SWEEPS.items():
        design, *model = label.split()
        fixed = ((f"cooling.{design}.chiller_model", tuple(model)),) if model else ()
        sweep = Scenario(
            sites=("qingyang",),
            designs=(design,),
            sweep=(("facility.utilisation", tuple(SWEEP_U)), (name, values), *fixed),
        )
        n = len(SWEEP_U) * len(values)
        wxa = prepare_weather(sweep)
        a, b = annual_kpis(sweep, weather=wxa, kernel="numba"), annual_kpis(sweep, weather=wxa, kernel="reference")
        kpis = ("pue", "wue", "energy_facility", "energy_heat_recoverable")
        worst = max(float(np.max(np.abs(a[k] - b[k]) / np.maximum(np.abs(b[k]), 1e-300))) for k in kpis)
        t = interleaved(
            {
                "numba": lambda sc=sweep, w=wxa: annual_kpis(sc, weather=w, kernel="numba"),
                "reference": lambda sc=sweep, w=wxa: annual_kpis(sc, weather=w, kernel="reference"),
            }
        )
        row(f"{label} ({name.split('.')[-1]}), annual_kpis(kernel='numba')", stats(n / t["numba"], 1.0, ",.0f"))
        row(f"{label}, annual_kpis(kernel='reference') (numpy)", stats(n / t["reference"], 1.0, ",.0f"))
        row(
            f"{label}, reference / numba, per round (KPIs agree to {worst:.1e})",
            stats(t["reference"] / t["numba"], 1.0, ".1f") + "×",
        )


def bench_pysam() -> None:
    """One facility-year and one green year (PV + wind + storage) against PySAM's PV-only year."""
    import dataclasses

    import pandas as pd
    import pvlib

    import sites
    import twin.supply.green as green_mod
    from twin import Scenario, simulate, site_weather
    from twin.core.memo import LRU, clear_array_memos
    from twin.engine.config import load_scenario
    from twin.engine.simulate import prepare_weather
    from weather.solar import spa_regular

    try:
        import PySAM.Pvwattsv8  # noqa: F401
    except ImportError:
        print("PySAM not installed (pip install nrel-pysam): no PV reference")
        return
    sc = Scenario(sites=("qingyang",), designs=("free_air",))
    cw = Scenario(sites=("qingyang",), designs=("chilled_water",))
    wx = prepare_weather(sc)
    green = load_scenario(HERE.parent / "examples" / "yinchuan_minning_green.toml")
    green = dataclasses.replace(green, designs=green.designs[:1], sweep=())
    gwx = prepare_weather(green)
    ds, _ = site_weather(sites.load("qingyang"))
    data = pvwatts_data(ds)  # both sides run on weather prepared beforehand

    def green_computed():
        # PV (solar position included) and wind computed from the weather, as PySAM computes its
        # PV: the in-memory profiles cleared, and no cache of any kind (uncached).
        green_mod.UNIT_PROFILES = LRU(32)
        return uncached(lambda: simulate(green, weather=gwx))

    def facility_computed():
        # a first year at the site: the weather-only hourly state computed from the weather, not
        # served by its memos (a re-run at the site is "facility"); the year's calendar and time
        # index, every site's of that year, kept (twin.core.memo.of_axis)
        clear_array_memos()
        return simulate(sc, weather=wx)

    def facility_first_axis():
        # the same with the calendar and time index computed too: the first year of a process
        clear_array_memos(axes=True)
        return simulate(sc, weather=wx)

    t = interleaved(
        {
            "facility": lambda: simulate(sc, weather=wx),
            "facility_computed": facility_computed,
            "facility_first_axis": facility_first_axis,
            "chilled": lambda: simulate(cw, weather=wx),
            "green": lambda: simulate(green, weather=gwx),
            "green_computed": green_computed,
            "pysam": lambda: pvwatts_run(data),
        }
    )
    print(f"one year against PySAM Pvwattsv8's PV-only year (CPU ms, median (range) of {PAIRS} interleaved rounds):")
    row("twin: one facility-year, free air (Qingyang), full hourly Dataset", stats(t["facility"], 1e3, ".1f"))
    row(
        "  the same, weather-only state computed (memos cleared: a first year at the site)",
        stats(t["facility_computed"], 1e3, ".1f"),
    )
    row(
        "  the same, the year's calendar and time index computed too (a process's first year)",
        stats(t["facility_first_axis"], 1e3, ".1f"),
    )
    row("twin: one facility-year, chilled water (Qingyang), full hourly Dataset", stats(t["chilled"], 1e3, ".1f"))
    row(
        "twin: one green year (Yinchuan Minning: PV + wind + storage), PV/wind profiles computed",
        stats(t["green_computed"], 1e3, ".1f"),
    )
    row("  the same, PV/wind unit profiles cached (a re-run: dashboard slider, sweep)", stats(t["green"], 1e3, ".1f"))
    row("PySAM Pvwattsv8: one PV-only year (same weather, prepared)", stats(t["pysam"], 1e3, ".1f"))
    row("PV year / facility-year, per round (goal ≥ 15×)", stats(t["pysam"] / t["facility"], 1.0, ".1f") + "×")
    row(
        "PV year / facility-year with its memos cleared, per round",
        stats(t["pysam"] / t["facility_computed"], 1.0, ".1f") + "×",
    )
    row(
        "PV year / facility-year with its calendar and index computed too, per round",
        stats(t["pysam"] / t["facility_first_axis"], 1.0, ".1f") + "×",
    )
    row("PV year / chilled-water facility-year, per round", stats(t["pysam"] / t["chilled"], 1.0, ".1f") + "×")
    row(
        "PV year / green year (profiles computed), per round (goal > 1×)",
        stats(t["pysam"] / t["green_computed"], 1.0, ".2f") + "×",
    )
    row("PV year / green year (profiles cached), per round", stats(t["pysam"] / t["green"], 1.0, ".2f") + "×")
    mid = pd.date_range("2021-01-01 00:30", periods=8760, freq="h", tz="UTC")
    sun = interleaved(
        {
            "fast": lambda: spa_regular(mid, 38.47, 106.27),
            "pvlib": lambda: pvlib.solarposition.spa_python(mid, 38.47, 106.27),
        }
    )
    row("solar position, one site-year: weather.solar (SPA, series by blocks)", stats(sun["fast"], 1e3, ".1f"))
    row("  the same with pvlib's spa_python (numpy)", stats(sun["pvlib"], 1e3, ".1f"))


def bench_kernel_cost() -> None:
    """What a fresh process pays for the compiled kernel: importing numba and loading the cached kernel."""
    import subprocess

    code = (
        "import time, warnings; warnings.simplefilter('ignore')\n"
        "from twin import Scenario; from twin.engine.simulate import annual_kpis, prepare_weather\n"
        "sc = Scenario(sites=('qingyang',), designs=('free_air',)); wx = prepare_weather(sc)\n"
        "c = time.process_time(); import numba; a = time.process_time() - c\n"
        "c = time.process_time(); annual_kpis(sc, weather=wx, kernel='numba'); b = time.process_time() - c\n"
        "c = time.process_time(); annual_kpis(sc, weather=wx, kernel='numba'); d = time.process_time() - c\n"
        "print(a, b - d)\n"
    )
    out = []
    for _ in range(4):
        r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=HERE.parent)
        out.append([float(x) for x in r.stdout.split()])
    a = np.array(out[1:])  # the first run may compile (and write the cache)
    print("fresh process, compiled kernel (CPU s, median (range) of 3 processes after a first that fills the cache):")
    row("import numba", stats(a[:, 0]))
    row("load the cached free-air kernel (first call minus a second call)", stats(a[:, 1]))


def pvwatts_reference_cli() -> None:
    """``python bench/run.py --pvwatts SITE TRACKING``: PySAM annual kWh per kWdc (own process)."""
    import sys

    import sites
    from twin import site_weather

    key, tracking = sys.argv[2], sys.argv[3] == "1"
    ds, _ = site_weather(sites.load(key))
    # Keep the model referenced while reading its outputs: a temporary is freed first
    # and its outputs with it (PySAM then reports them "not assigned" or crashes).
    model = pvwatts_year(ds, tracking=tracking)
    print(model.Outputs.ac_annual / 1000.0)


BENCHES = {
    "engine": bench_engine,
    "overhead": bench_overhead,
    "designs": bench_designs,
    "pysam": bench_pysam,
    "micro": bench_micro,
    "storage": bench_storage,
    "sizing": bench_sizing,
    "kernel-cost": bench_kernel_cost,
}


def main(which: list[str]) -> None:
    from twin.core.runtime import keep_freed_memory

    keep_freed_memory()  # as the twin CLI does: reuse freed arrays (see twin/core/runtime.py)
    warnings.simplefilter("ignore")
    unknown = [name for name in which if name not in BENCHES and name != "machine"]
    if unknown:
        raise SystemExit(f"bench/run.py: unknown benchmark {unknown[0]!r}; allowed: machine, {', '.join(BENCHES)}")
    print("machine:", machine(), "— shared with other jobs: read medians and ranges, not single runs")
    for name in which or list(BENCHES):
        if name != "machine":
            BENCHES[name]()
        print()


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--pvwatts":
        pvwatts_reference_cli()
    else:
        main(sys.argv[1:])
