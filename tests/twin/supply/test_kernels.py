"""The compiled storage kernel against its numpy reference, and the unit-profile cache."""

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

import twin.supply.storage
from twin.supply import kernels
from twin.supply.storage import CYCLIC_PASSES, StorageParams, dispatch_green_first

ROOT = Path(__file__).resolve().parents[3]


def _random_case(rng: np.random.Generator, m: int, days: int) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """Green supply and load (kW) for ``m`` cases over ``days`` days and a battery per case."""
    nt = 24 * days
    hours = np.arange(nt) % 24
    sun = np.clip(np.sin((hours - 6) / 12 * np.pi), 0.0, None)
    green = rng.uniform(0, 3000, (m, 1)) * sun * rng.uniform(0.3, 1.0, (m, nt)) + rng.uniform(0, 800, (m, nt))
    load = rng.uniform(500, 1500, (m, 1)) * rng.uniform(0.8, 1.2, (m, nt))
    soc_min = rng.uniform(0.0, 0.3, m)
    soc_max = rng.uniform(0.7, 1.0, m)
    p = {
        "power_mw": rng.uniform(0.1, 2.0, m),
        "energy_mwh": np.where(rng.random(m) < 0.15, 0.0, rng.uniform(0.2, 8.0, m)),  # some without a battery
        "round_trip_efficiency": rng.uniform(0.5, 1.0, m),
        "soc_min": soc_min,
        "soc_max": soc_max,
        "soc_initial": soc_min + rng.random(m) * (soc_max - soc_min),
        "self_discharge_per_h": rng.choice([0.0, 3e-5, 1e-3, 0.01], m),
        "max_cycles_per_day": rng.choice([0.0, 0.5, 1.0, 2.0], m),
        "age_years": rng.uniform(0.0, 15.0, m),
    }
    return green, load, p


def reference(*args, **kw) -> dict[str, np.ndarray]:
    """``dispatch_green_first`` running the numpy reference instead of the compiled kernel."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(twin.supply.storage, "green_first", kernels.green_first_reference)
        return dispatch_green_first(*args, **kw)


def _assert_close(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for k in a:
        np.testing.assert_allclose(a[k], b[k], rtol=1e-12, atol=1e-12 * max(1.0, float(np.max(np.abs(b[k])))))


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), m=st.integers(1, 6), days=st.integers(1, 20), dt=st.sampled_from([1.0, 0.5]))
def test_kernel_equals_reference_on_random_cases(seed, m, days, dt):
    rng = np.random.default_rng(seed)
    green, load, p = _random_case(rng, m, days)
    _assert_close(dispatch_green_first(green, load, p, dt_h=dt), reference(green, load, p, dt_h=dt))


@pytest.mark.parametrize("passes", [1, 2, CYCLIC_PASSES])
def test_kernel_equals_reference_raw(passes):
    """The kernels themselves, several cases at once, each stopping rule of the cyclic year."""
    rng = np.random.default_rng(7)
    m, nt = 5, 24 * 30
    net = rng.normal(0, 1000, (m, nt)) + 400 * np.sin(np.arange(nt) / 24 * 2 * np.pi)
    e = rng.uniform(500, 5000, m)
    args = (
        net,
        rng.uniform(200, 1500, m),  # power
        np.sqrt(rng.uniform(0.6, 0.95, m)),  # one-way efficiency
        0.05 * e,
        0.95 * e,
        1.0 - rng.choice([0.0, 1e-4, 1e-2], m),
        np.where(rng.random(m) < 0.5, np.inf, 0.9 * e),
        rng.uniform(0.05, 0.95, m) * e,
        1e-9 * 0.9 * e,
        24,
        1.0,
        passes,
    )
    got = kernels.green_first(*args)
    want = kernels.green_first_reference(*args)
    for g, w in zip(got, want, strict=True):
        np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-9)


def test_cyclic_year_and_cycle_limit_hold_in_the_kernel():
    """The compiled dispatch keeps the conventions: end state = start state, daily limit, window."""
    rng = np.random.default_rng(3)
    green, load, p = _random_case(rng, 4, 60)
    p["energy_mwh"] = np.full(4, 4.0)
    p["max_cycles_per_day"] = np.array([np.nan, 1.0, 0.5, 2.0])  # NaN: a None field, no limit
    d = dispatch_green_first(green, load, p)
    s = {i: StorageParams(**{f: None if np.isnan(v[i]) else float(v[i]) for f, v in p.items()}) for i in range(4)}
    for i, sp in s.items():
        e = sp.energy_mwh * 1000.0 * twin.supply.storage.fade_factor(sp.age_years, sp.duty_cycles_per_day)
        lo, hi = sp.soc_min * e, sp.soc_max * e
        assert np.all(d["soc"][i] >= lo - 1e-6) and np.all(d["soc"][i] <= hi + 1e-6)
        if sp.max_cycles_per_day is not None:
            daily = d["discharge"][i].reshape(-1, 24).sum(axis=1)
            assert np.all(daily <= sp.max_cycles_per_day * (hi - lo) * (1 + 1e-12))
    balance = d["green_direct"] + d["discharge"] + d["grid_import"] - load
    np.testing.assert_allclose(balance, 0.0, atol=1e-9)


def test_compiled_code_is_cached_on_disk_for_a_read_only_package(tmp_path):
    """A second process loads the kernel from NUMBA_CACHE_DIR instead of compiling it."""
    code = (
        "import numpy as np, numba; from twin.supply import kernels\n"
        "z = np.zeros(2); e = np.full(2, 100.0)\n"
        "kernels.green_first(np.ones((2, 48)), e, np.ones(2), z, e, np.ones(2), np.full(2, np.inf), z, z, 24, 1.0, 2)\n"
        "f = kernels._compiled(); print(sum(f.stats.cache_hits.values()), sum(f.stats.cache_misses.values()))\n"
    )
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path)}

    def run() -> list[int]:
        out = subprocess.run(
            [sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, check=True
        )
        return [int(x) for x in out.stdout.split()]

    assert run() == [0, 1]  # compiled and written
    assert any(tmp_path.rglob("*.nbi"))
    assert run() == [1, 0]  # loaded from disk


def test_unit_profiles_are_reused_between_calls_and_missed_on_a_shape_change():
    from twin import Scenario, simulate
    from twin.engine.simulate import prepare_weather
    from twin.supply.green import UNIT_PROFILES
    from twin.supply.pv import PVParams
    from twin.supply.wind import WindParams

    sc = Scenario(
        sites=("yinchuan",),
        designs=("free_air",),
        pv=PVParams(capacity_mw=50.0),
        wind=WindParams(capacity_mw=20.0),
        storage=StorageParams(power_mw=10.0, energy_mwh=20.0),
    )
    wx = prepare_weather(sc)
    first = simulate(sc, weather=wx)
    before = len(UNIT_PROFILES)
    calls = []
    import twin.supply.green

    real_pv = twin.supply.green.pv_profile

    def counting(*a, **kw):
        calls.append(1)
        return real_pv(*a, **kw)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(twin.supply.green, "pv_profile", counting)
        again = simulate(sc, weather=wx)  # same everything: from the cache
        assert calls == []
        for v in ("p_pv", "p_wind", "p_grid_import", "soc"):
            np.testing.assert_array_equal(again[v].values, first[v].values)
        bigger = dataclasses.replace(sc, pv=dataclasses.replace(sc.pv, capacity_mw=100.0))
        b = simulate(bigger, weather=wx)  # only the rating moved: still cached, output scales
        assert calls == []
        np.testing.assert_allclose(b["p_pv"].values, 2 * first["p_pv"].values, rtol=1e-15)
        assert len(UNIT_PROFILES) == before
        tilted = dataclasses.replace(sc, pv=dataclasses.replace(sc.pv, tilt_deg=sc.pv.tilt_deg + 10.0))
        t = simulate(tilted, weather=wx)  # a shape parameter: a new profile
        assert calls == [1]
        assert not np.array_equal(t["p_pv"].values, first["p_pv"].values)


def test_a_lossless_store_drawn_every_hour_is_cyclic_only_when_empty():
    """A store never charged and drawn every hour: the only cyclic year is an empty store all year,
    so it gives nothing and bills nothing (the first passes alone end 4,669 kWh short)."""
    nt = 8760
    green, load = np.full((1, nt), 100.0), np.full((1, nt), 100.5)  # 0.5 kW short every hour
    p = StorageParams(power_mw=1.0, energy_mwh=100000.0, soc_min=0.0, soc_max=1.0, self_discharge_per_h=0.0)
    for d in (dispatch_green_first(green, load, p.to_dict()), reference(green, load, p.to_dict())):
        assert float(d["deficit"][0]) == 0.0
        assert not d["soc"].any() and not d["discharge"].any()
        np.testing.assert_array_equal(d["grid_import"], load - green)


def _sunny_year(nt: int = 8760) -> tuple[np.ndarray, np.ndarray]:
    hours = np.arange(nt) % 24
    green = 90_000.0 * np.clip(np.sin((hours - 6) / 12 * np.pi), 0.0, None)[None]
    return green, np.full((1, nt), 40_000.0)


@pytest.mark.parametrize("power", [1e-9, 1e-6, 1e-3, 0.05])
def test_a_tiny_power_on_a_large_store_bills_no_phantom_leak(power):
    """1,600 MWh charged and discharged at a tiny power: a time constant of years. The cyclic year
    holds what the power can put in, and the store lowers the grid import or leaves it; the first
    passes alone billed ≈ 26 MWh of the starting charge's leak as deficit."""
    green, load = _sunny_year()
    p = StorageParams(power_mw=power, energy_mwh=1600.0)
    idle = np.maximum(load - green, 0.0).sum()
    calls = []
    real = twin.supply.storage.green_first

    def counted(*args):
        calls.append(args[-1])
        return real(*args)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(twin.supply.storage, "green_first", counted)
        d = dispatch_green_first(green, load, p.to_dict())
    tol = 1e-9 * 0.9 * 1.6e6
    assert 0.0 <= float(d["deficit"][0]) <= tol
    assert d["grid_import"].sum() + float(d["deficit"][0]) <= idle + tol
    assert d["discharge"].sum() > 0.0
    assert len(calls) <= 1 + 6  # the first passes, then a few of the solve
    start = d["soc"][0, -1]  # cyclic: the state before the first hour is the state after the last
    eta = np.sqrt(p.round_trip_efficiency)
    s0 = p.soc_min * 1.6e6 + (start - p.soc_min * 1.6e6) * (1 - p.self_discharge_per_h)
    assert d["soc"][0, 0] == pytest.approx(s0 + eta * d["charge"][0, 0] - d["discharge"][0, 0] / eta, abs=tol)
