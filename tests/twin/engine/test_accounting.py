"""Green accounting: the three shares against hand figures, curtailment, storage that ends where it began."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from twin import Scenario, annual_kpis
from twin.building.it_load import ITParams
from twin.engine.metrics import GREEN_HOURLY_NEEDS, HOURLY_NEEDS, annual_figures
from twin.supply.storage import MINNING, StorageParams, dispatch_green_first, dispatch_lp

NT = 48
TIME = np.arange("2021-01-01T00", "2021-01-03T00", dtype="datetime64[h]")


def _case(
    green_kw,
    load_kw=10.0,
    *,
    contract=False,
    clean=0.0,
    charge=None,
    discharge=None,
    grid_charge=None,
    it_kw=None,
    compute_kw=None,
    capex=0.0,
):
    """Hourly arrays of one case for annual_figures: load, green, and a storage flow if given;
    IT power and compute 0.9 of the load unless given; a green-plant annuity ``capex`` (CNY)."""
    load = np.full((1, NT), load_kw)
    green = np.asarray(green_kw, dtype=float).reshape(1, NT)
    charge = np.zeros((1, NT)) if charge is None else np.asarray(charge, dtype=float).reshape(1, NT)
    dis = np.zeros((1, NT)) if discharge is None else np.asarray(discharge, dtype=float).reshape(1, NT)
    gch = np.zeros((1, NT)) if grid_charge is None else np.asarray(grid_charge, dtype=float).reshape(1, NT)
    direct = np.minimum(green, load)
    h = {k: np.zeros((1, NT)) for k in HOURLY_NEEDS}
    it = load * 0.9 if it_kw is None else np.full((1, NT), it_kw)
    compute = load * 0.9 if compute_kw is None else np.full((1, NT), compute_kw)
    h.update(p_facility=load, p_it=it, compute=compute, pue=load / it)
    h.update(
        p_pv=green,
        p_wind=np.zeros((1, NT)),
        p_green=green,
        p_green_direct=direct,
        p_charge=charge,
        p_discharge=dis,
        p_grid_charge=gch,
        p_grid_import=load - direct - dis + gch,
        p_surplus=green - direct - (charge - gch),
        price=np.full((1, NT), 0.5),
        grid_clean_share=np.full((1, NT), clean),
    )
    assert set(GREEN_HOURLY_NEEDS) <= set(h)
    pc = {
        "capex_annual": np.array([capex]),
        "ppa_price": np.zeros(1),
        "export_contract": np.array([1.0 if contract else 0.0]),
        "export_price": np.array([0.3 if contract else 0.0]),
        "demand_charge": np.zeros(1),
        "green_subsidy_pct": np.zeros(1),
        "grid_co2": np.array([0.6]),
        "other_spend": np.zeros(1),
        "storage_energy_mwh": np.zeros(1),
        "storage_deficit": np.zeros(1),
        "pv_capacity_mw": np.array([0.02]),
        "wind_capacity_mw": np.zeros(1),
    }
    return annual_figures(h, pc, TIME)


# Load 10 kW every hour; 20 kW of green in the first 24 hours, none in the next 24.
DAY_ONLY = np.r_[np.full(24, 20.0), np.zeros(24)]


def test_curtailed_energy_is_reported_and_never_green():
    f = _case(DAY_ONLY)
    assert float(f["green_share_hourly"][0]) == pytest.approx(240 / 480, rel=1e-12)
    assert float(f["green_share_annual"][0]) == pytest.approx(0.5, rel=1e-12)  # no contract: = hourly
    assert float(f["energy_curtailed"][0]) == pytest.approx(0.240, rel=1e-12)  # MWh
    assert float(f["energy_exported"][0]) == 0.0


def test_annual_matching_counts_contracted_export_only_and_stays_above_hourly():
    f = _case(DAY_ONLY, contract=True)
    assert float(f["green_share_hourly"][0]) == pytest.approx(0.5, rel=1e-12)
    assert float(f["green_share_annual"][0]) == pytest.approx(1.0, rel=1e-12)  # (240 used + 240 exported) / 480
    assert float(f["energy_curtailed"][0]) == 0.0
    assert float(f["export_revenue"][0]) == pytest.approx(240 * 0.3, rel=1e-12)


@pytest.mark.parametrize(("clean", "expected"), [(1.0, 1.0), (0.5, (240 + 0.5 * 240) / 480), (0.0, 0.5)])
def test_cfe_score_credits_grid_imports_at_the_grid_clean_share(clean, expected):
    f = _case(DAY_ONLY, clean=clean)
    assert float(f["cfe_score"][0]) == pytest.approx(expected, rel=1e-12)


def test_cfe_with_a_fully_clean_grid_is_100_percent_even_with_grid_charged_storage():
    charge = np.r_[np.full(4, 5.0), np.zeros(44)]  # grid charging, 20 kWh in
    dis = np.r_[np.zeros(30), np.full(4, 4.4), np.zeros(14)]  # 17.6 kWh out (η = 0.88)
    f = _case(np.zeros(NT), charge=charge, discharge=dis, grid_charge=charge, clean=1.0)
    assert float(f["cfe_score"][0]) == pytest.approx(1.0, rel=1e-12)
    assert float(f["green_share_hourly"][0]) == 0.0  # grid-charged energy is not green


def test_storage_alone_gives_no_green_energy_and_ends_where_it_began():
    green = np.zeros((1, 24 * 30))
    load = np.full((1, 24 * 30), 1000.0)
    d = dispatch_green_first(green, load, MINNING.to_dict())
    assert d["discharge"].sum() == 0.0  # nothing charged in the year, nothing discharged
    assert float(d["deficit"][0]) == 0.0
    lp = dispatch_lp(green[0], load[0], MINNING)
    assert lp["discharge"].sum() < 1e-6


def test_storage_alone_scenario_has_zero_green_shares():
    sc = Scenario(sites=("yinchuan",), designs=("free_air",), facility=ITParams(it_capacity_kw=5000.0), storage=MINNING)
    k = annual_kpis(sc)
    assert float(k["green_share_hourly"]) == 0.0
    assert float(k["green_share_hourly"]) <= float(k["green_share_annual"])
    assert float(k["energy_storage_deficit"]) == 0.0


def test_cyclic_green_first_ends_at_its_start_state():
    rng = np.random.default_rng(1)
    nt = 24 * 60
    green = np.clip(rng.normal(8000, 6000, (3, nt)), 0, None)
    load = np.full((1, nt), 8000.0)
    p = StorageParams(power_mw=4.0, energy_mwh=16.0).to_dict()
    p["energy_mwh"] = np.array([8.0, 16.0, 32.0])
    d = dispatch_green_first(green, load, p)
    # Start state of the final pass = end state (the pass before ends where this one starts).
    assert np.all(d["deficit"] == 0.0)
    again = dispatch_green_first(green, load, {**p, "soc_initial": np.full(3, 0.95)})
    assert np.allclose(again["discharge"].sum(axis=1), d["discharge"].sum(axis=1), rtol=1e-9)


def _two_days():
    """Load 10 MW; 30 MW of green 10–15 h each day; battery 10 MW / 10 MWh, lossless, full window."""
    hour = np.arange(48) % 24
    green = np.where((hour >= 10) & (hour < 15), 30_000.0, 0.0)
    load = np.full(48, 10_000.0)
    p = StorageParams(
        power_mw=10.0,
        energy_mwh=10.0,
        round_trip_efficiency=1.0,
        soc_min=0.0,
        soc_max=1.0,
        self_discharge_per_h=0.0,
        max_cycles_per_day=0.5,
    )
    return green, load, p


def test_lp_honours_the_cycle_limit_against_a_hand_built_case():
    green, load, p = _two_days()
    lp = dispatch_lp(green, load, p)
    daily = lp["discharge"].reshape(2, 24).sum(axis=1) / 1000.0  # MWh
    assert np.all(daily <= 5.0 + 1e-6)
    # By hand: 480 MWh load − 2 × 50 MWh used directly − 2 × 5 MWh from storage = 370 MWh.
    assert lp["grid_import"].sum() / 1000.0 == pytest.approx(370.0, rel=1e-6)
    gf = dispatch_green_first(green[None], load[None], p.to_dict())
    assert gf["grid_import"].sum() / 1000.0 == pytest.approx(370.0, rel=1e-9)
    free = dispatch_lp(green, load, StorageParams(**{**p.to_dict(), "max_cycles_per_day": None}))
    assert free["grid_import"].sum() / 1000.0 == pytest.approx(360.0, rel=1e-6)  # 10 MWh a day without limit


def test_lp_state_of_charge_is_cyclic():
    green, load, p = _two_days()
    lp = dispatch_lp(green, load, StorageParams(**{**p.to_dict(), "round_trip_efficiency": 0.9}))
    eta = np.sqrt(0.9)
    start = lp["soc"][-1]  # the state before the first hour is the state after the last
    first = start + eta * lp["charge"][0] - lp["discharge"][0] / eta
    assert lp["soc"][0] == pytest.approx(first, abs=1e-3)


def test_kpis_take_the_policy_limit_from_the_dataset_not_the_site_library(monkeypatch):
    import sites
    from twin import kpis, simulate

    ds = simulate(Scenario(sites=("karamay",), designs=("free_air",), facility=ITParams(it_capacity_kw=1000.0)))
    assert ds.attrs["policy_pue_limit_karamay"] == 1.3

    def no_library(*_args, **_kw):
        raise AssertionError("kpis reloaded the site library")

    monkeypatch.setattr(sites, "load", no_library)
    assert float(kpis(ds)["policy_pue_limit"]) == 1.3


@settings(max_examples=25, deadline=None)
@given(
    pv=st.floats(0, 300),
    hours=st.floats(0, 8),
    contract=st.booleans(),
    clean=st.floats(0, 1),
    rte=st.floats(0.6, 1.0),
)
def test_share_invariants_over_random_bases(pv, hours, contract, clean, rte):
    day = np.arange(NT) % 24
    sun = np.clip(np.sin((day - 6) / 12 * np.pi), 0, None)
    green = pv * sun
    p = StorageParams(power_mw=0.01, energy_mwh=0.01 * hours, round_trip_efficiency=rte).to_dict()
    d = dispatch_green_first(green[None], np.full((1, NT), 100.0), p)
    f = _case(green, 100.0, contract=contract, clean=clean, charge=d["charge"], discharge=d["discharge"])
    hourly, annual, cfe = (float(f[k][0]) for k in ("green_share_hourly", "green_share_annual", "cfe_score"))
    assert 0.0 <= hourly <= annual + 1e-12 <= 1.0 + 1e-12
    assert hourly <= cfe + 1e-12 <= 1.0 + 1e-12
    assert float(f["energy_curtailed"][0]) >= -1e-12
    if not contract:
        assert annual == pytest.approx(hourly, abs=1e-12)


def test_cfe_without_green_supply_is_the_grid_clean_share():
    f = _case(np.zeros(NT), clean=0.45)
    assert float(f["cfe_score"][0]) == pytest.approx(0.45, rel=1e-12)
    assert float(f["green_share_hourly"][0]) == 0.0


def test_monthly_clean_share_of_the_site_file_reaches_each_hour(tmp_path, monkeypatch):
    import re

    from sites.library import BUILTIN_DIR
    from twin import simulate

    text = (BUILTIN_DIR / "yinchuan.toml").read_text(encoding="utf-8")
    months = [round(0.05 * (m + 1), 2) for m in range(12)]
    text = re.sub(r"clean_share = \[[^\]]*\]", f"clean_share = {months}", text)
    text = text.replace('key = "yinchuan"', 'key = "cleantest"').replace(
        'aliases = ["minning", "ningxia", "yinchuan_minning"]', ""
    )
    (tmp_path / "cleantest.toml").write_text(text, encoding="utf-8")
    monkeypatch.setenv("TWIN_SITE_PATH", str(tmp_path))
    ds = simulate(Scenario(sites=("cleantest",), designs=("free_air",), facility=ITParams(it_capacity_kw=1000.0)))
    s = ds["grid_clean_share"]
    assert float(s.sel(time="2021-01-15T12").squeeze()) == 0.05
    assert float(s.sel(time="2021-07-15T12").squeeze()) == 0.35
    assert float(s.sel(time="2021-12-31T23").squeeze()) == 0.6


def test_cost_per_compute_ranks_designs_where_cost_per_mwh_it_does_not():
    """An air design and a liquid one doing the same work (8 kW of nominal compute every hour),
    each with a 100 CNY green-plant annuity and no green energy; the air design's IT power includes
    2 kW of server fans, the liquid design's none. By hand over 48 h at 0.5 CNY/kWh: air 528 kWh ×
    0.5 + 100 = 364 CNY for 480 kWh IT; liquid 408 × 0.5 + 100 = 304 CNY for 384 kWh IT; both
    deliver 384 nominal-server kWh. Per MWh IT the liquid design looks dearer (791.7 against
    758.3), though it costs less for the same work (791.7 against 947.9)."""
    air = _case(np.zeros(NT), 11.0, it_kw=10.0, compute_kw=8.0, capex=100.0)
    liquid = _case(np.zeros(NT), 8.5, it_kw=8.0, compute_kw=8.0, capex=100.0)
    assert (float(air["cost_total"][0]), float(liquid["cost_total"][0])) == pytest.approx((364.0, 304.0), rel=1e-12)
    assert float(air["cost_per_mwh_it"][0]) == pytest.approx(364.0 / 0.48, rel=1e-12)
    assert float(liquid["cost_per_mwh_it"][0]) == pytest.approx(304.0 / 0.384, rel=1e-12)
    assert float(air["cost_per_compute"][0]) == pytest.approx(364.0 / 0.384, rel=1e-12)
    assert float(liquid["cost_per_compute"][0]) == pytest.approx(304.0 / 0.384, rel=1e-12)
    assert liquid["cost_per_mwh_it"][0] > air["cost_per_mwh_it"][0]  # the misleading order
    assert liquid["cost_per_compute"][0] < air["cost_per_compute"][0]  # the order of the bills


@pytest.mark.parametrize("kernel", ["reference", "numba"])
def test_cost_per_compute_is_undefined_without_compute(kernel):
    """At utilisation 0 no compute is delivered: the cost per unit of compute was ``inf`` in the
    CLI's tables (and "rank designs by it"), ``nan`` in the ensemble's; it is NaN everywhere."""
    k = annual_kpis(
        Scenario(sites=("karamay",), designs=("free_air", "spray"), facility=ITParams(utilisation=0.0)), kernel=kernel
    )
    assert (k["compute_delivered"].values == 0).all()
    assert np.isnan(k["cost_per_compute"].values).all() and np.isnan(k["energy_per_compute"].values).all()
    assert np.isfinite(k["cost_per_mwh_it"].values).all() and (k["cost_total"].values > 0).all()
