"""Tariffs, annualised capital cost, subsidies: the money side of the green-power base.

Prices in CNY. The hourly grid price is built here (flat or time-of-use) so that the annual
cost in :func:`twin.kpis` is a plain sum over the hourly Dataset.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from twin.params import Params, param

__all__ = ["EconomicsParams", "capital_recovery_factor", "hourly_price"]


@dataclass(frozen=True)
class EconomicsParams(Params):
    """Electricity prices and capital costs (the site's tariff unless overridden)."""

    section = "economics"

    tariff_cny_per_kwh: float | None = param(
        None, 0.0, 10.0, units="kW-1 h-1", currency="CNY", source="input", inherit="site.tariff.price_cny_per_kwh"
    )
    tariff: str = param("flat", choices=("flat", "tou"))
    tou_peak_factor: float = param(
        1.6, 1.0, 5.0, source="assumption: peak/flat price (NDRC 2021 asks peak/valley ≥ 3:1 or 4:1)"
    )
    tou_valley_factor: float = param(0.4, 0.05, 1.0, source="assumption: valley/flat price")
    demand_charge_cny_per_kw_month: float = param(
        0.0,
        0.0,
        200.0,
        units="kW-1 month-1",
        currency="CNY",
        source="input (capacity charge on the month's peak import)",
    )
    green_procurement: str = param("owned", choices=("owned", "ppa"))
    ppa_cny_per_kwh: float = param(
        0.398, 0.0, 10.0, units="kW-1 h-1", currency="CNY", source="Qingyang2025a/b: Qingyang green direct supply 0.398"
    )
    export_cny_per_kwh: float = param(
        0.0, 0.0, 10.0, units="kW-1 h-1", currency="CNY", source="input; 0 = surplus is curtailed unpaid"
    )
    pv_capex_cny_per_w: float = param(
        3.0, 0.0, 20.0, units="W-1", currency="CNY", source="assumption (no verified source: Brief2025)"
    )
    wind_capex_cny_per_w: float = param(
        4.5, 0.0, 20.0, units="W-1", currency="CNY", source="assumption (no verified source: Brief2025)"
    )
    storage_capex_cny_per_wh: float = param(
        0.465, 0.0, 10.0, units="W-1 h-1", currency="CNY", source="CEEC2025: 2 h systems average 0.465 CNY/Wh"
    )
    opex_pct_of_capex: float = param(1.5, 0.0, 10.0, units="% year-1", source="assumption")
    lifetime_years: float = param(20.0, 1.0, 50.0, units="year", source="assumption")
    discount_rate: float = param(0.06, 0.0, 0.3, source="assumption: real discount rate")
    green_subsidy_pct: float | None = param(
        None,
        0.0,
        100.0,
        units="%",
        source="input (Karamay 15 %, Karamay2025)",
        inherit="site.reported.green_power_subsidy",
    )
    other_spend_cny_per_year: float = param(
        0.0,
        0.0,
        1e12,
        units="year-1",
        currency="CNY",
        source="input: non-electricity spend, for electricity's share of spend",
    )


def capital_recovery_factor(rate: float, years: float) -> float:
    """CRF = r (1 + r)^n / ((1 + r)^n − 1); 1/n when r = 0."""
    if rate == 0:
        return 1.0 / years
    f = (1.0 + rate) ** years
    return rate * f / (f - 1.0)


# Time-of-use periods (assumption: a common Chinese pattern; make it data when a province's is known)
PEAK_HOURS = (8, 9, 10, 18, 19, 20, 21, 22)
VALLEY_HOURS = (23, 0, 1, 2, 3, 4, 5, 6)


def hourly_price(hour: np.ndarray, flat: float, e: EconomicsParams) -> np.ndarray:
    """Grid price per hour, CNY/kWh: flat, or time-of-use peak/flat/valley."""
    if e.tariff == "flat":
        return np.full(hour.shape, flat)
    factor = np.where(
        np.isin(hour, PEAK_HOURS), e.tou_peak_factor, np.where(np.isin(hour, VALLEY_HOURS), e.tou_valley_factor, 1.0)
    )
    return flat * factor
