"""Money: every formula of twin.money.economics against a hand figure."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import sites
from twin import ConfigError
from twin.money.economics import (
    EconomicsParams,
    SiteTariff,
    annual_cost,
    capital_recovery_factor,
    demand_cost,
    emissions_t,
    fluid_makeup_cost,
    hourly_price,
    replacement_annuity,
    server_capex_annual,
    storage_capex,
    subsidy,
)
from twin.supply.green import site_tariff
from twin.supply.storage import END_OF_LIFE_RETENTION, fade_factor, years_to_end_of_life


def test_annuity_against_a_hand_figure():
    # 0.06 × 1.06^20 / (1.06^20 − 1) = 0.06 × 3.207135 / 2.207135
    assert capital_recovery_factor(0.06, 20) == pytest.approx(0.0871846, rel=1e-6)
    assert capital_recovery_factor(0.0, 20) == 0.05


@given(st.floats(0.0, 0.3), st.floats(1.0, 60.0))
def test_the_annuity_is_finite_and_between_its_limits_at_any_allowed_rate(rate, years):
    """A discount rate of 1e-320 divided by zero ((1 + r)^n − 1 = 0): an internal error. The
    annuity lies between 1/n (r = 0) and r + 1/n (its upper bound for r ≥ 0)."""
    crf = capital_recovery_factor(rate, years)
    assert 1.0 / years * (1 - 1e-12) <= crf <= (rate + 1.0 / years) * (1 + 1e-12)


def test_the_annuity_at_a_tiny_rate_follows_its_series():
    """CRF = (1/n)(1 + r (n + 1)/2 + O(r²)); the plain (1 + r)^n − 1 was off by 1e-4 at r = 1e-12."""
    for r in (1e-320, 1e-17, 1e-12, 1e-9):
        assert capital_recovery_factor(r, 20) == pytest.approx((1 + r * 21 / 2) / 20, rel=1e-14)


def test_time_of_use_price_of_a_known_hour_from_the_site_table():
    t = site_tariff(sites.load("yinchuan"))
    price = hourly_price(np.array([3, 7, 9, 19, 23]), EconomicsParams(), t)
    assert price == pytest.approx([0.18, 0.36, 0.54, 0.54, 0.18])  # valley 0.5×, flat, peak 1.5× of 0.36
    flat = hourly_price(np.array([9]), EconomicsParams(tariff="flat"), t)
    assert flat == pytest.approx([0.36])
    mine = hourly_price(np.array([9, 3]), EconomicsParams(tariff="tou", tou_peak_factor=2.0, tou_valley_factor=0.25), t)
    assert mine == pytest.approx([0.72, 0.09])


def test_tou_without_site_hours_is_refused_and_site_choice_falls_back_to_flat():
    t = SiteTariff(price_cny_per_kwh=0.63)
    assert hourly_price(np.array([9]), EconomicsParams(), t) == pytest.approx([0.63])
    with pytest.raises(ConfigError, match="tou_hours"):
        hourly_price(np.array([9]), EconomicsParams(tariff="tou"), t)


def test_demand_charge_of_a_known_month():
    imp = np.array([[1.0, 5.0, 2.0, 7.0, 3.0]])  # month 1: hours 0–2 (peak 5), month 2: hours 3–4 (peak 7)
    assert demand_cost(imp, np.array([0, 3]), np.array([30.0])) == pytest.approx([360.0])


def test_export_revenue_and_subsidy_rule():
    m = annual_cost(
        energy_cost=np.array([800.0]),
        demand=np.array([100.0]),
        green_taken_kwh=np.array([1000.0]),
        ppa_price=np.array([0.1]),
        capex_annual=np.array([200.0]),
        exported_kwh=np.array([1000.0]),
        export_price=np.array([0.2]),
        green_share=np.array([0.5]),
        subsidy_pct=np.array([15.0]),
    )
    assert m["export_revenue"] == pytest.approx([200.0])
    before = 800 + 100 + 100 + 200 - 200
    assert m["green_subsidy"] == pytest.approx([before * 0.5 * 0.15])
    assert m["cost_total"] == pytest.approx([before * (1 - 0.075)])
    assert subsidy(np.array([1000.0]), np.array([0.5]), np.array([15.0])) == pytest.approx([75.0])


def test_karamay_subsidy_comes_from_its_tariff_table_not_its_reported_facts():
    k = sites.load("karamay")
    assert site_tariff(k).green_subsidy_pct == 15.0
    assert site_tariff(sites.load("qingyang")).green_subsidy_pct == 0.0


def test_export_price_without_a_contract_is_refused():
    with pytest.raises(ConfigError, match=r"export_cny_per_kwh = 0\.3 needs economics\.export_contract = true"):
        EconomicsParams(export_cny_per_kwh=0.3)


def test_replacement_annuity_by_hand():
    # rate 0: replacements at 8 and 16 years of a 20-year life, 100 each, spread over 20 years
    assert replacement_annuity(100.0, 0.0, 20.0, 8.0) == pytest.approx(10.0)
    assert replacement_annuity(100.0, 0.0, 20.0, 25.0) == 0.0
    # rate 6 %: one replacement at year 10 of 20: 100 / 1.06^10 × CRF
    assert replacement_annuity(100.0, 0.06, 20.0, 10.0) == pytest.approx(100 / 1.06**10 * 0.0871846, rel=1e-6)


def test_capacity_fade_reproduces_blast_lite_and_continues_with_throughput():
    assert fade_factor(1.0) == pytest.approx(0.976, abs=5e-4)
    assert fade_factor(5.0) == pytest.approx(0.925, abs=3e-3)
    assert fade_factor(10.0) == pytest.approx(0.876, abs=5e-4)
    assert fade_factor(15.0) < fade_factor(10.0) - 0.03  # fade does not stop at year 10
    assert fade_factor(10.0, 2.0) < fade_factor(10.0, 1.0)  # more throughput, more fade
    life = years_to_end_of_life(1.0)
    assert fade_factor(life) == pytest.approx(END_OF_LIFE_RETENTION, abs=1e-9)
    assert 15.0 < life < 20.0


def test_emissions_by_hand():
    assert emissions_t(np.array([1000.0]), np.array([0.6187])) == pytest.approx([618.7])  # 1 GWh in Ningxia


def test_server_capex_by_hand():
    # 10 MW of 0.5 kW servers = 20,000 servers at 60,000 CNY; CRF(6 %, 5 yr) = 0.06 × 1.06^5 / (1.06^5 − 1)
    # = 0.0802935 / 0.3382256 = 0.2373964; 1.2e9 CNY × 0.2373964 = 284.88 M CNY/yr
    k = np.array([1.0, 5.0 / 3.0])
    capex = server_capex_annual(10_000.0, 0.5, k, 60_000.0, 0.06, 5.0)
    assert capex == pytest.approx([284_875_680.0, 170_925_408.0], rel=1e-8)  # 5 servers → 3: 12,000 servers
    assert server_capex_annual(1000.0, 0.5, 1.0, 1000.0, 0.0, 4.0) == pytest.approx(2000 * 1000.0 / 4.0)


def test_fluid_makeup_cost_by_hand():
    # 10 MW two-phase hall: 6 kg/kW × 10,500 kW design heat = 63 t of Novec 649; 2 %/yr lost = 1,260 kg
    lost_kg = 6.0 * 10_500.0 * 0.02
    assert lost_kg == pytest.approx(1260.0)
    assert fluid_makeup_cost(np.array([lost_kg]), 450.0) == pytest.approx([567_000.0])
    assert fluid_makeup_cost(np.array([0.0, 100.0]), np.array([450.0, 20.0])) == pytest.approx([0.0, 2000.0])


def test_storage_replacement_enters_the_annual_cost_only_within_the_project_life():
    from twin import Scenario, simulate
    from twin.building.it_load import ITParams
    from twin.supply.storage import MINNING

    sc = Scenario(
        sites=("karamay",),
        designs=("free_air",),
        facility=ITParams(it_capacity_kw=1000.0),
        storage=MINNING,
        sweep=(("economics.lifetime_years", (10.0, 30.0)),),
    )
    ds = simulate(sc)
    capex = 200.0 * 0.385 * 1e6 + 100.0 * 0.16 * 1e6  # 200 MWh at 0.385 CNY/Wh, 100 MW at 0.16 CNY/W
    life = years_to_end_of_life(1.0)  # one cycle a day (the Minning limit)
    rep = ds["storage_replacement_annual"].values
    assert rep[0] == 0.0  # 10-year project: the battery outlives it
    assert rep[1] == pytest.approx(capex / 1.06**life * capital_recovery_factor(0.06, 30.0), rel=1e-9)
    crf = np.array([capital_recovery_factor(0.06, 10.0), capital_recovery_factor(0.06, 30.0)])
    assert ds["capex_annual"].values == pytest.approx(capex * (crf + 0.015) + rep, rel=1e-12)


def test_storage_prices_reproduce_both_ceec2025_tender_averages():
    """c_E + c_P / D: 0.465 CNY/Wh for a 2 h system and 0.425 for a 4 h one (CEEC2025), to rounding."""
    e = EconomicsParams()
    assert e.storage_prices() == (0.385, 0.16)
    for hours, per_wh in ((2.0, 0.465), (4.0, 0.425)):
        assert float(storage_capex(100.0 * hours, 100.0, e)) / (100.0 * hours * 1e6) == pytest.approx(per_wh, rel=1e-12)


def test_the_minning_store_costs_what_it_did_and_power_is_priced():
    """Minning's 100 MW / 200 MWh (2 h) store costs 200 MWh × 0.465 CNY/Wh, as with the former per-Wh price;
    the same energy at 1,000 MW costs 900 MW × 0.16 CNY/W more."""
    e = EconomicsParams()
    assert float(storage_capex(200.0, 100.0, e)) == pytest.approx(200.0 * 0.465e6, rel=1e-12)
    assert float(storage_capex(200.0, 1000.0, e)) - float(storage_capex(200.0, 100.0, e)) == pytest.approx(900 * 0.16e6)


def test_an_energy_price_set_alone_is_all_in_and_warns():
    """A scenario saved with only storage_capex_cny_per_wh keeps its result (power free) and is told so."""
    with pytest.warns(UserWarning, match="all-in price per Wh"):
        old = EconomicsParams(storage_capex_cny_per_wh=0.465)
    assert old.storage_prices() == (0.465, 0.0)
    assert float(storage_capex(200.0, 1000.0, old)) == pytest.approx(200.0 * 0.465e6, rel=1e-12)
    assert EconomicsParams(storage_power_capex_cny_per_w=0.2).storage_prices() == (0.385, 0.2)
    both = EconomicsParams(storage_capex_cny_per_wh=0.3, storage_power_capex_cny_per_w=0.1)
    assert float(storage_capex(10.0, 5.0, both)) == pytest.approx((10 * 0.3 + 5 * 0.1) * 1e6)
    with pytest.raises(ConfigError, match="storage_power_capex_cny_per_w"):
        EconomicsParams(storage_power_capex_cny_per_w=-0.1)
