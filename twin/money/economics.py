"""Money in one place: tariffs, annualised capital cost, storage replacement, subsidy, CO2.

Prices in CNY, energy in kWh, power in kW. Each function is a plain formula with a value test
(``tests/twin/money/test_economics.py``); :func:`annual_cost` is the one place the annual
electricity cost of a case is put together, and :func:`twin.engine.metrics.annual_figures` calls it.

Where the defaults come from: the site's tariff table (``sites/data/*.toml``: flat price,
time-of-use hours and factors, demand charge, green subsidy, each with its source) unless the
scenario's ``[economics]`` overrides it; capital costs are parameters here.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from twin.core.fmt import number
from twin.core.params import ConfigError, Params, param

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

__all__ = [
    "EconomicsParams",
    "SiteTariff",
    "annual_cost",
    "capital_recovery_factor",
    "demand_cost",
    "emissions_t",
    "fluid_makeup_cost",
    "hourly_price",
    "idle_storage",
    "idle_storage_text",
    "replacement_annuity",
    "server_capex_annual",
    "storage_capex",
    "subsidy",
    "tou_price",
]


@dataclass(frozen=True)
class EconomicsParams(Params):
    """Electricity prices and capital costs (the site's tariff table unless overridden)."""

    section = "economics"

    tariff_cny_per_kwh: float | None = param(
        None,
        0.0,
        10.0,
        units="kW-1 h-1",
        currency="CNY",
        source="input: one flat price (0 = free)",
        inherit="site.tariff.price_cny_per_kwh",
    )
    tariff: str = param(
        "site",
        choices=("site", "flat", "tou"),
        source="site: the site's tariff table (time-of-use where it gives hours, else flat); flat: one price; "
        "tou: the site's time-of-use hours with the factors below",
    )
    tou_peak_factor: float = param(1.5, 1.0, 5.0, source="tariff = 'tou' only: peak/flat price (assumption)")
    tou_valley_factor: float = param(
        0.5, 0.05, 1.0, source="tariff = 'tou' only: valley/flat price (assumption; NDRC2021 asks peak/valley ≥ 3:1)"
    )
    demand_charge_cny_per_kw_month: float | None = param(
        None,
        0.0,
        500.0,
        units="kW-1 month-1",
        currency="CNY",
        source="input: charge on each month's peak grid import (two-part tariff)",
        inherit="site.tariff.demand_charge_cny_per_kw_month",
    )
    green_procurement: str = param("owned", choices=("owned", "ppa"))
    ppa_cny_per_kwh: float = param(
        0.398, 0.0, 10.0, units="kW-1 h-1", currency="CNY", source="Qingyang2025a/b: Qingyang green direct supply 0.398"
    )
    export_contract: bool = param(
        False,
        source="true: surplus green energy is exported under a contract (or certificates), paid at "
        "export_cny_per_kwh and counted in the annual-matching share; false: it is curtailed",
    )
    export_cny_per_kwh: float = param(
        0.0, 0.0, 10.0, units="kW-1 h-1", currency="CNY", source="input; paid only with export_contract = true"
    )
    pv_capex_cny_per_w: float = param(
        3.0, 0.0, 20.0, units="W-1", currency="CNY", source="assumption (no verified source: Brief2025)"
    )
    wind_capex_cny_per_w: float = param(
        4.5, 0.0, 20.0, units="W-1", currency="CNY", source="assumption (no verified source: Brief2025)"
    )
    storage_capex_cny_per_wh: float | None = param(
        None,
        0.0,
        10.0,
        units="W-1 h-1",
        currency="CNY",
        source="CEEC2025 (2 h systems 0.465, 4 h 0.425 CNY/Wh) with the assumption that the cost is linear in "
        "energy and power: 0.385 CNY/Wh of energy plus storage_power_capex_cny_per_w (storage_prices)",
        inherit="0.385 with storage_power_capex_cny_per_w; set alone, an all-in price per Wh (storage power free)",
    )
    storage_power_capex_cny_per_w: float | None = param(
        None,
        0.0,
        10.0,
        units="W-1",
        currency="CNY",
        source="CEEC2025 fit with storage_capex_cny_per_wh (assumption: linear in energy and power): 0.16 CNY/W "
        "of power (converter, PCS)",
        inherit="0.16, or 0 when storage_capex_cny_per_wh is set alone (an all-in price per Wh)",
    )
    opex_pct_of_capex: float = param(1.5, 0.0, 10.0, units="% year-1", source="assumption")
    lifetime_years: float = param(20.0, 1.0, 50.0, units="year", source="assumption: project life")
    discount_rate: float = param(0.06, 0.0, 0.3, source="assumption: real discount rate")
    green_subsidy_pct: float | None = param(
        None,
        0.0,
        100.0,
        units="%",
        source="input (Karamay 15 %, Karamay2025): share of the electricity cost of the green-powered load refunded",
        inherit="site.tariff.green_subsidy_pct",
    )
    server_price_cny: float = param(
        60000.0,
        0.0,
        1e7,
        currency="CNY",
        source="assumption: one dual-socket x86 server (AI servers cost 10–50× more: set it)",
    )
    server_kw: float = param(
        0.5,
        0.05,
        20.0,
        units="kW",
        source="assumption: nominal power of one server at full load (AI servers 5–10 kW: set it); "
        "servers bought = facility design IT kW / server_kw / facility.performance_factor",
    )
    server_life_years: float = param(5.0, 1.0, 20.0, units="year", source="assumption: server refresh cycle")
    other_spend_cny_per_year: float = param(
        0.0,
        0.0,
        1e12,
        units="year-1",
        currency="CNY",
        source="input: non-electricity spend, for electricity's share of spend",
    )

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.storage_capex_cny_per_wh is not None and self.storage_power_capex_cny_per_w is None:
            warnings.warn(
                f"economics.storage_capex_cny_per_wh = {number(self.storage_capex_cny_per_wh, grouped=False)} is set "
                "without economics.storage_power_capex_cny_per_w: it is read as an all-in price per Wh and storage "
                "power (MW) costs nothing; set storage_power_capex_cny_per_w to price power (CEEC2025 fit: "
                "0.385 CNY/Wh with 0.16 CNY/W)",
                UserWarning,
                stacklevel=3,
            )
        if self.export_cny_per_kwh > 0 and not self.export_contract:
            raise ConfigError(
                f"economics.export_cny_per_kwh = {number(self.export_cny_per_kwh, grouped=False)} needs economics.export_contract = true "
                "(without a contract the surplus is curtailed, unpaid)"
            )

    def storage_prices(self) -> tuple[float, float]:
        """The storage's capital prices: (CNY per Wh of energy, CNY per W of power).

        Notes
        -----
        CEEC2025's tender averages are all-in prices per Wh of systems of two durations ``D``:
        ``p(2 h) = 0.465`` and ``p(4 h) = 0.425`` CNY/Wh. With a cost linear in energy ``E`` and
        power ``P`` (an assumption), ``C = c_E E + c_P P`` and ``p(D) = C / E = c_E + c_P / D``, so
        ``c_P = (p(2) − p(4)) / (1/2 − 1/4) = 0.04 / 0.25 = 0.16`` CNY/W and
        ``c_E = p(4) − c_P / 4 = 0.385`` CNY/Wh: a 2 h store costs 0.385 + 0.16 / 2 = 0.465 CNY/Wh,
        as the single price per Wh did. A scenario that sets ``storage_capex_cny_per_wh`` alone
        (e.g. one saved with the former default 0.465) keeps its meaning, an all-in price per Wh
        with power free, and a warning says so; one that sets the power price alone takes the
        energy price 0.385.
        """
        if self.storage_capex_cny_per_wh is None:
            per_w = STORAGE_PER_W if self.storage_power_capex_cny_per_w is None else self.storage_power_capex_cny_per_w
            return STORAGE_PER_WH, per_w
        return self.storage_capex_cny_per_wh, self.storage_power_capex_cny_per_w or 0.0


STORAGE_PER_WH = 0.385
"""CNY per Wh of storage energy (CEEC2025 fit, :meth:`EconomicsParams.storage_prices`)."""

STORAGE_PER_W = 0.16
"""CNY per W of storage power (CEEC2025 fit, :meth:`EconomicsParams.storage_prices`)."""


def storage_capex(energy_mwh: ArrayLike, power_mw: ArrayLike, e: EconomicsParams) -> np.ndarray:
    """Capital cost of a store of ``energy_mwh`` MWh and ``power_mw`` MW, CNY: ``(c_E E + c_P P) · 10⁶``.

    The one place storage is priced: the engine's capex (:func:`twin.supply.green.green_power`)
    and the sizing LP's cost coefficients (:func:`twin.studies.sizing.unit_costs`) both call it.
    ``c_E``, ``c_P`` from :meth:`EconomicsParams.storage_prices` (CNY/Wh, CNY/W; CEEC2025 fit,
    assumption: linear in energy and power). A replacement at the cells' end of life is assumed
    to replace the whole system, power included, at today's price (:func:`replacement_annuity`).
    """
    per_wh, per_w = e.storage_prices()
    return (np.asarray(energy_mwh, dtype=float) * per_wh + np.asarray(power_mw, dtype=float) * per_w) * 1e6


IDLE_STORAGE = {
    "idle_storage_paid": "Storage of {mwh} MWh at {mw} MW can neither charge nor discharge: it is idle (holds no "
    "energy). Storage is priced per Wh of energy ({price} CNY/Wh) and per W of power ({power_price} CNY/W), "
    "so its cost is counted.",
    "idle_storage_free": "Storage of {mwh} MWh at {mw} MW can neither charge nor discharge: it is idle (holds no "
    "energy). Storage is priced per Wh of energy ({price} CNY/Wh) and per W of power ({power_price} CNY/W), "
    "so it costs nothing.",
    "no_green_idle_storage": "No green power flows in this case: it has no PV or wind, so its storage of {mwh} MWh "
    "at {mw} MW is idle (nothing charges it).",
}
"""What :func:`idle_storage` says, in English, by key (the dashboard's catalog takes these as its
English texts and gives the Chinese beside them; the CLI prints them as a warning)."""


def idle_storage(
    power_mw: float, energy_mwh: float, e: EconomicsParams, *, green: bool = True
) -> list[tuple[str, dict[str, str]]]:
    """Why a case's store is idle, and what it costs, as ``(key of IDLE_STORAGE, its fields)``.

    Parameters
    ----------
    power_mw, energy_mwh : float
        The store's power (MW) and energy (MWh).
    e : EconomicsParams
        The case's prices (what the idle store costs: :func:`storage_capex`).
    green : bool
        Whether green power flows in the case (PV or wind output, or storage discharge).

    Returns
    -------
    list of (str, dict)
        Empty for a store that can work. A store with energy but no power (or power but no
        energy) can neither charge nor discharge, and is paid for unless both its priced parts
        are zero (``idle_storage_paid`` / ``idle_storage_free``); a store with no green power to
        take is idle (``no_green_idle_storage``). Fields ``mw``, ``mwh`` (``1,600``) and, for the
        price, ``price`` (CNY/Wh) and ``power_price`` (CNY/W).
    """
    amounts = {
        "mw": number(power_mw, quantity=True, places=0),
        "mwh": number(energy_mwh, quantity=True, places=0),
    }
    said: list[tuple[str, dict[str, str]]] = []
    if (power_mw > 0) != (energy_mwh > 0):
        per_wh, per_w = e.storage_prices()
        key = "idle_storage_paid" if float(storage_capex(energy_mwh, power_mw, e)) > 0 else "idle_storage_free"
        said.append((key, {**amounts, "price": number(per_wh), "power_price": number(per_w)}))
    if not green and (power_mw > 0 or energy_mwh > 0):
        said.append(("no_green_idle_storage", amounts))
    return said


def idle_storage_text(power_mw: float, energy_mwh: float, e: EconomicsParams, *, green: bool = True) -> str:
    """:func:`idle_storage` as one line of English ("" for a store that can work)."""
    return " ".join(
        IDLE_STORAGE[key].format(**fields) for key, fields in idle_storage(power_mw, energy_mwh, e, green=green)
    )


@dataclass(frozen=True)
class SiteTariff:
    """What the money side needs of a site's tariff table (built from ``sites.Tariff``)."""

    price_cny_per_kwh: float
    tou_hours: tuple[str, ...] | None = None
    tou_factors: Mapping[str, float] | None = None
    demand_charge_cny_per_kw_month: float = 0.0
    green_subsidy_pct: float = 0.0


def capital_recovery_factor(rate: float, years: float) -> float:
    """CRF = r (1 + r)^n / ((1 + r)^n − 1); 1/n when r = 0.

    The annuity that repays a capital of 1 over ``years`` at ``rate`` (e.g. 0.08718 at 6 %
    over 20 years).

    Notes
    -----
    (1 + r)^n − 1 is computed as ``expm1(n · log1p(r))``, accurate to rounding at any rate:
    the plain difference loses digits as r → 0 (a relative error of about 1e-16 / r: 1e-4 at
    r = 1e-12) and is 0 below r ≈ 1e-17, where the formula divided by zero (a discount rate of
    ``1e-320`` was an internal error). Where n · ln(1 + r) is below 1e-16 the annuity is its
    limit 1/n to double precision (CRF = (1/n)(1 + r (n + 1)/2 + O(r²))).
    """
    x = years * math.log1p(rate)
    if abs(x) < 1e-16:
        return 1.0 / years
    return rate * math.exp(x) / math.expm1(x)


def replacement_annuity(capex: float, rate: float, life_years: float, replace_every_years: float) -> float:
    """Annualised cost of replacing a part every ``replace_every_years`` within the project life, CNY/yr.

    Each replacement at year ``k · T < life`` costs ``capex`` (today's price: an assumption)
    discounted to today; the sum is spread over the life by :func:`capital_recovery_factor`.
    """
    if replace_every_years <= 0 or replace_every_years >= life_years:
        return 0.0
    years = np.arange(replace_every_years, life_years, replace_every_years)
    present = float(np.sum(capex / (1.0 + rate) ** years))
    return present * capital_recovery_factor(rate, life_years)


def server_capex_annual(
    design_kw: ArrayLike,
    server_kw: ArrayLike,
    performance_factor: ArrayLike,
    price_cny: ArrayLike,
    rate: float,
    life_years: float,
) -> np.ndarray:
    """Annualised capital cost of the servers a hall buys, CNY/yr.

    Parameters
    ----------
    design_kw : array_like
        The facility's design IT power, kW (the hall filled with nominal servers).
    server_kw : array_like
        Nominal power of one server, kW.
    performance_factor : array_like
        Compute per server relative to nominal (``facility.performance_factor``, k).
    price_cny : array_like
        Price of one server, CNY.
    rate, life_years : float
        Discount rate and server life, years (:func:`capital_recovery_factor`).

    Notes
    -----
    ``servers = design_kw / server_kw / k``: the same work on servers k times faster needs 1/k
    as many (as :func:`twin.building.it_load.it_power` divides load and idle power by k), so
    ``capex = servers × price × CRF(rate, life)``. Reported apart from the electricity cost.
    """
    servers = np.asarray(design_kw, dtype=float) / np.asarray(server_kw) / np.asarray(performance_factor)
    return servers * np.asarray(price_cny) * capital_recovery_factor(rate, life_years)


def tou_price(hour: np.ndarray, flat: float, periods: Sequence[str], factors: Mapping[str, float]) -> np.ndarray:
    """Time-of-use price of each hour, CNY/kWh: ``flat × factors[periods[hour]]``."""
    table = np.array([flat * factors[p] for p in periods])
    return table[np.asarray(hour, dtype=int)]


PRICE_FIELDS = ("tariff", "tariff_cny_per_kwh", "tou_peak_factor", "tou_valley_factor")
"""The fields of :class:`EconomicsParams` :func:`hourly_price` reads (cases equal in these and
the site share one price row)."""


def hourly_price(hour: np.ndarray, e: EconomicsParams, site: SiteTariff) -> np.ndarray:
    """Grid price per hour, CNY/kWh, as ``e.tariff`` says (site table, flat or time-of-use)."""
    flat = site.price_cny_per_kwh if e.tariff_cny_per_kwh is None else e.tariff_cny_per_kwh
    if e.tariff == "flat" or (e.tariff == "site" and site.tou_hours is None):
        return np.full(np.shape(hour), flat)
    if site.tou_hours is None:
        raise ConfigError("economics.tariff = 'tou' needs time-of-use hours in the site's tariff table (tou_hours)")
    if e.tariff == "tou":
        factors = {"peak": e.tou_peak_factor, "sharp": e.tou_peak_factor, "flat": 1.0, "valley": e.tou_valley_factor}
    else:
        factors = dict(site.tou_factors or {})
    return tou_price(hour, flat, site.tou_hours, factors)


def demand_cost(import_kw: np.ndarray, month_starts: np.ndarray, charge: np.ndarray) -> np.ndarray:
    """Demand (capacity) charge of a year, CNY: Σ over months of the month's peak import × charge.

    Parameters
    ----------
    import_kw : numpy.ndarray, shape (..., time)
        Hourly grid import, kW.
    month_starts : numpy.ndarray
        Index of the first hour of each month.
    charge : numpy.ndarray, shape (...)
        CNY per kW of the month's peak, per month.
    """
    return np.maximum.reduceat(import_kw, month_starts, axis=-1).sum(axis=-1) * charge


def emissions_t(grid_energy_mwh: np.ndarray, factor_kg_per_kwh: np.ndarray) -> np.ndarray:
    """CO2 of grid electricity, t: MWh × kg/kWh (the site's provincial factor; t per MWh = kg per kWh)."""
    return grid_energy_mwh * factor_kg_per_kwh


def fluid_makeup_cost(fluid_lost_kg: np.ndarray, price_cny_per_kg: np.ndarray) -> np.ndarray:
    """Cost of topping up the immersion fluid that was lost, CNY: kg lost × make-up price (CNY/kg).

    The charge bought with the tanks is capital; what escapes (vapour, drag-out) is bought again
    each year — an operating cost beside the electricity, not part of :func:`annual_cost`.
    """
    return np.asarray(fluid_lost_kg, dtype=float) * price_cny_per_kg


def subsidy(cost_before: np.ndarray, green_share: np.ndarray, pct: np.ndarray) -> np.ndarray:
    """Green subsidy, CNY: ``pct`` % of the electricity cost of the green-powered share of the load.

    Karamay's "15 % tax incentive and subsidy for servers powered by green energy" (Karamay2025)
    read as that share of the cost times the physical hourly green share (an interpretation).
    """
    return cost_before * green_share * pct / 100.0


def annual_cost(
    *,
    energy_cost: np.ndarray,
    demand: np.ndarray,
    green_taken_kwh: np.ndarray,
    ppa_price: np.ndarray,
    capex_annual: np.ndarray,
    exported_kwh: np.ndarray,
    export_price: np.ndarray,
    green_share: np.ndarray,
    subsidy_pct: np.ndarray,
) -> dict[str, np.ndarray]:
    """The annual electricity cost of each case, CNY, and its parts.

    ``cost = grid energy + demand charge + PPA energy + capex annuity and O&M − export revenue − subsidy``;
    the PPA is paid on the green energy taken from the plant (used directly or stored; the
    storage losses are the buyer's), never on curtailed energy (as-available, not take-or-pay: an assumption).
    """
    ppa = green_taken_kwh * ppa_price
    revenue = exported_kwh * export_price
    before = energy_cost + demand + ppa + capex_annual - revenue
    sub = subsidy(before, green_share, subsidy_pct)
    return {
        "cost_total": before - sub,
        "cost_grid_energy": energy_cost,
        "cost_demand": demand,
        "cost_ppa": ppa,
        "export_revenue": revenue,
        "green_subsidy": sub,
    }
