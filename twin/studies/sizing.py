"""Sizing the green-power base: the cheapest PV, wind and storage for a green target (``twin size``).

The load is the engine's hourly facility power (:func:`twin.simulate`: IT + cooling + electrical
losses of the chosen cooling design, so a design with a lower PUE needs a smaller base); the PV
and wind unit profiles (MW per MW installed) and the hourly grid price come from the same engine
run. A linear programme (a MILP for a days target), built with linopy and solved by HiGHS,
chooses PV MW (fixed or tracking), wind MW, storage MW and MWh and the hourly dispatch
(charge, discharge, state of charge, grid import, surplus exported or curtailed) that minimise the
annualised cost subject to a green target and optional bounds.

Definitions (all energies hourly, kWh = kW × 1 h; ``L`` load, ``imp`` grid import):

* **physical hourly green share** = Σ_t min(L_t, green delivered to the load at t, storage
  discharge included) / Σ_t L_t. The storage charges from green surplus only (no grid charging
  in a sized base), so every discharged kWh is green and the share is 1 − Σ imp / Σ L.
  Google's 24/7 CFE methodology (Google, "24/7 Carbon-Free Energy: Methodologies and Metrics",
  2021) and the PyPSA 24/7 CFE study (Riepin & Brown, "Means, costs and system-level impacts of
  24/7 carbon-free energy procurement", Energy Strategy Reviews 54, 2024) define the hourly
  score so;
* **24/7 CFE score** = the same, with grid imports credited with the grid's clean share ``c_t``:
  (Σ (L − imp) + Σ c_t imp_t) / Σ L (Google 2021; Riepin & Brown 2024); ``c_t`` is the site's
  ``[grid] clean_share`` of the hour's month, as the engine's score credits it, unless
  ``grid_clean_share`` gives one share;
* **annual matching** = (green consumed + green exported under a declared export or certificate
  contract) / Σ L; without such a contract it equals the physical hourly share. Curtailed energy
  never counts (it is neither consumed nor sold);
* **24-hour green day**: a calendar day without any grid import (Karamay2025: Minning's "24-hour green power");
* storage: ``soc[t] = soc_min E + (soc[t−1] − soc_min E)(1 − σ) + η c_t − d_t / η`` as in
  :mod:`twin.supply.storage` (η = √round-trip efficiency, E the energy rating × the capacity fade at the
  storage's duty), the year cyclic (the state before the first hour is the state after the last,
  as the engine's dispatch), discharge per calendar day ≤ ``max_cycles_per_day`` × (soc_max −
  soc_min) × E, the engine's cycle limit;
* cost per year (CNY), booked by :mod:`twin.money.economics` as :func:`twin.engine.metrics.annual_figures`
  books it for owned plant (:func:`annual_cost`): capex × (capital recovery factor + O&M share)
  for PV, wind, storage energy and storage power plus the annuity of the storage's replacements within the
  project life, grid energy × the engine's hourly (site time-of-use) price, each month's peak
  import × the site's demand charge, minus surplus × export price under an export contract only,
  minus the green subsidy (that share of the cost × the hourly green share). The site's demand
  charge and subsidy are the engine's resolution of them (:func:`sizing_inputs`). The LP
  minimises the cost before the subsidy (the subsidy multiplies the cost by the share the
  target row holds).

The LP dispatches with perfect foresight against the time-of-use price and the monthly peak;
the engine's green-first rule imports the same energy (both minimise import) but not at the
same hours, so with a time-of-use tariff or a demand charge the engine's cost of the same base is
higher than the LP's objective (measured in the README); the engine's cost is the one reported.

Speed (the reduced model): a full hourly year has about 44,000 columns and takes HiGHS 16–29 s
here. :func:`size_base` solves instead on **representative days** — the calendar days clustered
by k-means on their hourly load, PV and wind profiles, each cluster represented by its medoid
(a real day) weighted by the number of days it stands for, the storage chained through the
calendar (each calendar day's state carried into the next through its representative's net change,
Kotzur et al. 2018; :class:`SizingLP`'s Notes) or, with ``size.storage_link = "cyclic"``, cyclic
within each day — then checks the answer on the full year with the engine's own dispatch and corrects the LP's target
until the engine's share lands within :func:`band` above the target (:func:`size_design`; the rounds
are ``iterations`` in the result). The error this costs against the full-year LP is measured in the
README and tested on a short toy year.
"""

from __future__ import annotations

import contextlib
import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import xarray as xr
from numpy.typing import ArrayLike

from twin.core.fmt import number, read_typed, span
from twin.core.params import ConfigError, Params, param
from twin.money.economics import (
    EconomicsParams,
    capital_recovery_factor,
    demand_cost,
    replacement_annuity,
    storage_capex,
)
from twin.money.economics import annual_cost as economics_annual_cost
from twin.supply.storage import StorageParams, fade_factor, years_to_end_of_life

__all__ = [
    "LAST_SPAN",
    "MARGINAL_TEXT",
    "OUTCOMES",
    "TARGET_KINDS",
    "InfeasibleError",
    "Profiles",
    "SizingParams",
    "Stopped",
    "Target",
    "TimeLimitError",
    "UnboundedError",
    "annual_cost",
    "check_export_price",
    "check_generation",
    "clean_credit",
    "green_shares",
    "grid_clean",
    "marginal_lines",
    "outage_survival",
    "parse_target",
    "representative_days",
    "solve_lp",
    "step_cost",
    "sunk_cost",
    "sunk_note",
    "unsized_points",
]

TARGET_KINDS = ("hourly", "cfe", "annual", "days")
"""Green targets: physical hourly share, 24/7 CFE score, annual matching (shares 0…1), or a number of 24-hour green days."""


class InfeasibleError(ConfigError):
    """No base within the bounds meets the target; the message names the constraint."""


class TimeLimitError(InfeasibleError):
    """The solver stopped on its time limit (``size.time_limit_s``) before it found any base: the
    target may be feasible. An :class:`InfeasibleError` for the callers that refuse both alike; the
    frontier (:func:`pareto`) tells them apart."""


class Stopped(Exception):
    """The caller's ``should_stop`` asked :func:`pareto` to stop between two frontier points (its
    answer is no longer wanted: a newer request, another scenario). Not a user error: nothing was
    wrong with the input. ``done`` of ``total`` points were sized before it stopped."""

    def __init__(self, done: int, total: int) -> None:
        super().__init__(f"the frontier was stopped after {done} of {total} points: its answer was no longer wanted")
        self.done = done
        self.total = total


class UnboundedError(ConfigError):
    """No base is cheapest: a paid export earns more per kWh than some technology without a bound
    costs, so more of it always lowers the cost (:func:`check_export_price`). Not an
    :class:`InfeasibleError`: every target of the frontier fails alike, for the same reason."""


OUTCOMES = ("sized", "infeasible", "time_limit_reached")
"""What a frontier point's sizing came to (the ``outcome`` flags of :func:`pareto`'s Dataset, CF
``flag_values`` 0, 1, 2): a base, no base within the bounds, or the solver's time limit reached
before it found a base."""


@dataclass(frozen=True)
class Target:
    """A green target: ``kind`` in :data:`TARGET_KINDS` and its value (a share 0…1, or days)."""

    kind: str
    value: float

    def __post_init__(self) -> None:
        if self.kind not in TARGET_KINDS:
            raise ConfigError(f"target kind {self.kind!r} is unknown; use one of {', '.join(TARGET_KINDS)}")
        top = 366.0 if self.kind == "days" else 1.0
        what = _target_range(self.kind)
        if not np.isfinite(self.value):
            raise ConfigError(f"target {self.kind}:{self.value}: {self.value} is not a finite number; give {what}")
        if not 0.0 <= self.value <= top:
            raise ConfigError(f"target {self.kind}:{number(self.value, grouped=False)} is out of range; give {what}")
        object.__setattr__(self, "value", float(self.value))  # a typed number's text was for the message

    def __str__(self) -> str:
        return f"{number(self.value)} days" if self.kind == "days" else f"{self.kind} ≥ {100 * self.value:.1f} %"


def parse_target(text: str) -> Target:
    """``'hourly:0.8'``, ``'cfe:0.9'``, ``'annual:1'`` or ``'days:100'`` → :class:`Target`."""
    kind, sep, value = str(text).partition(":")
    try:
        v: float | None = read_typed(value)
    except ValueError:
        v = None
    if not sep or v is None:
        raise ConfigError(
            f"target {text!r} is not KIND:VALUE; use hourly:0.8, cfe:0.9, annual:1.0 or days:100 "
            f"(kinds: {', '.join(TARGET_KINDS)})"
        )
    if not np.isfinite(v) and kind.strip() in TARGET_KINDS:  # named as typed: 1e400, not inf
        raise ConfigError(f"target {text}: {v!r} is not a finite number; give {_target_range(kind.strip())}")
    return Target(kind.strip(), v)


def _target_range(kind: str) -> str:
    """What a target of ``kind`` allows, for a message."""
    return "a number of days 0 … 366" if kind == "days" else "a share 0 … 1 (e.g. 0.8)"


NO_BOUND = -1.0
"""A sizing bound's value that means no bound."""

SUNK = ("pv", "wind", "storage")
"""Plant whose built rating (the minimum) can be sunk (:attr:`SizingParams.sunk`)."""


def _bound_check(hi: float, units: str) -> Callable[[float], str | None]:
    """The check of a bound field: :data:`NO_BOUND` or ``0 … hi`` (a value between −1 and 0 is
    neither, and was read as no bound)."""

    def check(value: float) -> str | None:
        if value == NO_BOUND or 0.0 <= value <= hi:
            return None
        return f"allowed -1 (no bound) or {span(0.0, hi, units)}"

    return check


def _bound_param(hi: float, units: str, source: str) -> Any:
    """A sizing bound: −1 (the default) for none, else ``0 … hi``."""
    return param(NO_BOUND, NO_BOUND, hi, units=units, source=source, check=_bound_check(hi, units))


STORAGE_LINKS = ("chained", "cyclic")
"""How :class:`SizingLP` links the storage of its representative days (``size.storage_link``)."""


@dataclass(frozen=True)
class SizingParams(Params):
    """What the optimiser may choose and within which bounds (−1 = no bound)."""

    section = "size"

    pv_type: str | None = param(
        None,
        choices=("fixed", "tracking", "none"),
        source="PV plant: fixed tilt, tracking, none",
        inherit="the scenario's green.pv.tracking (tracking or fixed)",
    )
    wind: bool = param(True, source="may the base include wind")
    pv_max_mw: float = _bound_param(1e5, "MW", "input: land bound on PV; −1 = none")
    wind_max_mw: float = _bound_param(1e5, "MW", "input; −1 = none")
    storage_max_mw: float = _bound_param(1e5, "MW", "input; −1 = none")
    storage_max_mwh: float = _bound_param(1e6, "MWh", "input; −1 = none")
    pv_min_mw: float = param(0.0, 0.0, 1e5, units="MW", source="input: PV already built (a lower bound); 0 = none")
    wind_min_mw: float = param(0.0, 0.0, 1e5, units="MW", source="input: wind already built (a lower bound); 0 = none")
    storage_min_mw: float = param(
        0.0, 0.0, 1e5, units="MW", source="input: storage power already built (a lower bound); 0 = none"
    )
    storage_min_mwh: float = param(
        0.0, 0.0, 1e6, units="MWh", source="input: storage energy already built (a lower bound); 0 = none"
    )
    sunk: str = param(
        "",
        source="input: plant already built and paid for (pv, wind, storage; comma-separated): the capital "
        "recovery of its minimum rating is left out of the cost; its O&M and the storage's replacements stay in",
        check=lambda v: None if set(v.split(",")) <= set(SUNK) else f"allowed {', '.join(SUNK)}, comma-separated",
    )
    grid_cap_mw: float = _bound_param(1e5, "MW", "input: grid connection (import) cap; −1 = none")
    export_cap_mw: float = _bound_param(1e5, "MW", "input: grid export cap; −1 = none")
    export_credit: bool = param(
        False, source="annual matching counts exported green energy (a declared export or certificate contract)"
    )
    grid_clean_share: float | None = param(
        None,
        0.0,
        1.0,
        source="input: clean share of grid imports credited in the 24/7 CFE score (Google 2021); 0 = none",
        inherit="the site's [grid] clean_share by month, as the engine's 24/7 CFE score credits it",
    )
    representative_days: int = param(
        36, 0, 366, units="d", source="days the LP solves on (k-means medoids); 0 = the full hourly year"
    )
    storage_link: str = param(
        "chained",
        choices=STORAGE_LINKS,
        source="how the representative days' storage links the days: chained through the calendar (Kotzur et al. "
        "2018) or cyclic within each day (each day ends as it starts); the full year has one state throughout",
    )
    check_dispatch: str = param(
        "green_first",
        choices=("green_first", "lp"),
        source="the engine's dispatch that checks the answer on the full year (twin.supply.storage)",
    )
    time_limit_s: float = param(120.0, 1.0, 86400.0, units="s", source="solver time limit per solve")

    def __post_init__(self) -> None:
        super().__post_init__()
        for low, high in _MIN_MAX:
            lo, hi = getattr(self, low), getattr(self, high)
            if hi != NO_BOUND and lo > hi:
                raise ConfigError(
                    f"size.{low} = {number(lo, grouped=False)} is above size.{high} = {number(hi, grouped=False)}; "
                    f"allowed a minimum ≤ the maximum (fix a rating with both equal)"
                )
        for plant in self.sunk_plant:
            if not any(getattr(self, f"{plant}_min_{u}", 0.0) > 0 for u in ("mw", "mwh")):
                raise ConfigError(
                    f"size.sunk = '{plant}' names no {plant} already built; give its rating "
                    f"(size.{plant}_min_mw{', size.storage_min_mwh' if plant == 'storage' else ''})"
                )
        for low, off in (("pv_min_mw", self.pv_type == "none"), ("wind_min_mw", not self.wind)):
            if off and getattr(self, low) > 0:
                what = "size.pv_type = 'none'" if low == "pv_min_mw" else "size.wind = false"
                raise ConfigError(
                    f"size.{low} = {number(getattr(self, low), grouped=False)} asks for plant that {what} "
                    "leaves out; give one of them"
                )

    @property
    def sunk_plant(self) -> tuple[str, ...]:
        """The plant named in ``sunk``, in :data:`SUNK`'s order."""
        named = set(self.sunk.split(",")) if self.sunk else set()
        return tuple(p for p in SUNK if p in named)


_MIN_MAX = (
    ("pv_min_mw", "pv_max_mw"),
    ("wind_min_mw", "wind_max_mw"),
    ("storage_min_mw", "storage_max_mw"),
    ("storage_min_mwh", "storage_max_mwh"),
)
"""The sizing's lower bounds (plant already built) and the upper bounds they must not exceed."""


@dataclass(frozen=True)
class Profiles:
    """Inputs of one sizing: hourly (whole days) load MW, unit profiles MW/MW, price CNY/kWh, month 0…11.

    ``demand_charge`` (CNY/kW/month, on each month's peak grid import) and ``subsidy_pct`` (%)
    are the site's values as the engine resolves them (:func:`sizing_inputs` takes them from
    :func:`twin.supply.green.green_power`); a hand-built profile without a site has neither.
    """

    load: np.ndarray
    pv: np.ndarray
    wind: np.ndarray
    price: np.ndarray
    month: np.ndarray
    demand_charge: float = 0.0
    subsidy_pct: float = 0.0
    clean: np.ndarray | None = None
    """The grid's clean share of every hour (0…1) as the engine credits it in the 24/7 CFE score
    (the site's ``[grid] clean_share`` by month); ``None``: the grid is not credited."""

    def __post_init__(self) -> None:
        n = np.size(self.load)
        if n % 24 or n == 0:
            raise ConfigError(f"sizing needs whole days of hourly data; got {n} hours")
        for name in ("pv", "wind", "price", "month", *(("clean",) if self.clean is not None else ())):
            if np.size(getattr(self, name)) != n:
                raise ConfigError(f"sizing profile {name!r} has {np.size(getattr(self, name))} hours, the load {n}")


def grid_clean(prof: Profiles, sp: SizingParams) -> np.ndarray:
    """The clean share of the grid's imports credited in every hour of ``prof`` (0…1): ``sp.grid_clean_share``
    where given, else the site's as the engine credits it (:attr:`Profiles.clean`; none: 0)."""
    if sp.grid_clean_share is not None:
        return np.full(prof.load.size, float(sp.grid_clean_share))
    return np.zeros(prof.load.size) if prof.clean is None else np.asarray(prof.clean, dtype=float)


def clean_credit(prof: Profiles, sp: SizingParams, given_as: str = "size.grid_clean_share") -> str:
    """How the 24/7 CFE score credits the grid, for a table: ``'grid at size.grid_clean_share 0.3'`` or
    ``"grid at the site's clean share 45 %"`` (``'… 20–45 % by month'`` where the months differ)."""
    if sp.grid_clean_share is not None:
        return f"grid at {given_as} {number(sp.grid_clean_share, grouped=False)}"
    c = grid_clean(prof, sp)
    lo, hi = 100 * float(np.min(c)), 100 * float(np.max(c))
    return (
        f"grid at the site's clean share {lo:.0f} %"
        if hi - lo < 0.05
        else (f"grid at the site's clean share {lo:.0f}–{hi:.0f} % by month")
    )


def days_clean(prof: Profiles, sp: SizingParams, idx: np.ndarray, members: np.ndarray | None) -> np.ndarray:
    """The clean share credited in each hour of the LP's days (day × hour, 0…1).

    A representative day stands for the calendar days of its cluster, which may lie in other
    months: its hour ``h`` is credited the mean of their shares at ``h``,
    ``c̄_{k,h} = mean_{i: r(i)=k} c_{i,h}``, so that ``w_k Σ_h (1 − c̄_{k,h}) imp_{k,h}`` is what
    the calendar days' credit comes to for the representative's import. Without ``members``
    (the full year, or no clustering given) each day is credited its own hours' share.
    """
    c = grid_clean(prof, sp)
    if members is None:
        return c[idx]
    by_day = c.reshape(-1, 24)
    return np.stack([by_day[members == k].mean(axis=0) for k in range(idx.shape[0])])


# ----------------------------------------------------------------------------------------------
# Cost: the engine's bookkeeping (twin.money.economics) for the LP objective and the engine's results
# ----------------------------------------------------------------------------------------------
def unit_costs(e: EconomicsParams, storage: StorageParams) -> dict[str, float]:
    """Annual cost per MW (PV, wind, storage power) and per MWh (storage energy) of owned plant, CNY/yr.

    Capex (CNY/W → CNY/MW; storage by :func:`twin.money.economics.storage_capex`, priced per Wh of
    energy and per W of power) × (capital recovery factor + O&M share), and for storage the
    annuity of its replacements within the project life at the storage's duty (the whole system,
    power included: :func:`twin.money.economics.capital_recovery_factor`,
    :func:`twin.money.economics.replacement_annuity`, :func:`twin.supply.storage.years_to_end_of_life`),
    as :func:`twin.supply.green.green_power` books it; each is linear in the size, so the LP's
    cost coefficients are these values.
    """
    k = capital_recovery_factor(e.discount_rate, e.lifetime_years) + e.opex_pct_of_capex / 100.0
    life = years_to_end_of_life(storage.duty_cycles_per_day)

    def storage_annual(energy_mwh: float, power_mw: float) -> float:
        capex = float(storage_capex(energy_mwh, power_mw, e))
        return capex * k + replacement_annuity(capex, e.discount_rate, e.lifetime_years, life)

    return {
        "pv": e.pv_capex_cny_per_w * 1e6 * k,
        "wind": e.wind_capex_cny_per_w * 1e6 * k,
        "storage_mwh": storage_annual(1.0, 0.0),
        "storage_mw": storage_annual(0.0, 1.0),
    }


def sunk_cost(sp: SizingParams, e: EconomicsParams) -> dict[str, float]:
    """The capital recovery of the plant already built and paid for (``sp.sunk``), CNY/yr per plant.

    The minimum rating of each sunk plant × its capex (:func:`twin.money.economics.storage_capex`
    for storage) × the capital recovery factor: a constant the cost leaves out, so it changes every
    point's cost alike and neither the base nor a marginal cost. Its O&M share and the storage's
    replacements are future spending and stay in.
    """
    crf = capital_recovery_factor(e.discount_rate, e.lifetime_years)
    capex = {
        "pv": sp.pv_min_mw * e.pv_capex_cny_per_w * 1e6,
        "wind": sp.wind_min_mw * e.wind_capex_cny_per_w * 1e6,
        "storage": float(storage_capex(sp.storage_min_mwh, sp.storage_min_mw, e)),
    }
    return {p: capex[p] * crf for p in sp.sunk_plant}


def sunk_note(sp: SizingParams, e: EconomicsParams) -> str:
    """What the cost leaves out as sunk, for a table's note ("" if nothing)."""
    sunk = sunk_cost(sp, e)
    if not sunk:
        return ""
    rating = {
        "pv": f"PV {number(sp.pv_min_mw)} MW",
        "wind": f"wind {number(sp.wind_min_mw)} MW",
        "storage": f"storage {number(sp.storage_min_mw)} MW / {number(sp.storage_min_mwh)} MWh",
    }
    said = ", ".join(f"{rating[p]} ({v / 1e6:,.2f} M CNY/yr)" for p, v in sunk.items())
    return (
        f"sunk: the capital recovery of {said} is left out of every cost (already built and paid for); "
        "its O&M and the storage's replacements stay in, and a marginal cost does not change (where a green "
        "subsidy applies, but for the subsidy the sunk capital would have drawn)"
    )


def export_price(e: EconomicsParams) -> float:
    """CNY/kWh paid for surplus green energy: the export price under an export contract, else 0 (curtailed)."""
    return float(e.export_cny_per_kwh) if e.export_contract else 0.0


def _a(x: float) -> np.ndarray:
    """A number as the 0-d array the economics functions take."""
    return np.asarray(x, dtype=float)


def annual_cost(
    base: dict[str, float],
    e: EconomicsParams,
    storage: StorageParams,
    *,
    energy_cost: float,
    peaks_mw: np.ndarray,
    demand_charge: float,
    export_mwh: float,
    green_share: float,
    subsidy_pct: float,
) -> dict[str, float]:
    """The annual cost of a base and its operation, term by term (CNY/yr).

    Parameters
    ----------
    base : dict
        ``pv_mw``, ``wind_mw``, ``storage_mw``, ``storage_mwh``.
    e : EconomicsParams
        Capital costs, export contract and price.
    storage : StorageParams
        The battery's duty (its replacement interval).
    energy_cost : float
        Σ grid import × hourly price, CNY.
    peaks_mw : numpy.ndarray
        Peak import of each month, MW.
    demand_charge : float
        The site's demand charge as the engine resolves it, CNY/kW/month (:attr:`Profiles.demand_charge`).
    export_mwh : float
        Surplus green energy offered for export, MWh (paid only under an export contract).
    green_share : float
        The hourly green share the subsidy multiplies (0…1).
    subsidy_pct : float
        Green subsidy as the engine resolves it, % (:attr:`Profiles.subsidy_pct`).

    Returns
    -------
    dict
        ``capex_annual``, ``energy``, ``demand``, ``export_revenue``, ``subsidy``, ``total``.

    Notes
    -----
    The terms are put together by :func:`twin.money.economics.annual_cost` (no PPA: the base is
    owned) with :func:`twin.money.economics.demand_cost` on the monthly peaks and :func:`unit_costs`
    for the capital, as :func:`twin.engine.metrics.annual_figures` does on the engine's hourly results.
    """
    u = unit_costs(e, storage)
    capex = (
        base["pv_mw"] * u["pv"]
        + base["wind_mw"] * u["wind"]
        + base["storage_mw"] * u["storage_mw"]
        + base["storage_mwh"] * u["storage_mwh"]
    )
    peaks_kw = np.asarray(peaks_mw, dtype=float).reshape(-1) * 1000.0
    demand = float(demand_cost(peaks_kw, np.arange(peaks_kw.size), _a(demand_charge))) if peaks_kw.size else 0.0
    money = economics_annual_cost(
        energy_cost=_a(energy_cost),
        demand=_a(demand),
        green_taken_kwh=_a(0.0),
        ppa_price=_a(0.0),
        capex_annual=_a(capex),
        exported_kwh=_a(export_mwh * 1000.0 if e.export_contract else 0.0),
        export_price=_a(export_price(e)),
        green_share=_a(green_share),
        subsidy_pct=_a(subsidy_pct),
    )
    return {
        "capex_annual": capex,
        "energy": float(energy_cost),
        "demand": demand,
        "export_revenue": float(money["export_revenue"]),
        "subsidy": float(money["green_subsidy"]),
        "total": float(money["cost_total"]),
    }


def green_shares(
    load: np.ndarray,
    grid_import: np.ndarray,
    surplus: np.ndarray,
    day: np.ndarray,
    *,
    clean_share: float | np.ndarray = 0.0,
    export_credit: bool = False,
    export_cap: float = -1.0,
) -> dict[str, float]:
    """The green targets' measures of one hourly result (MW or kW, one unit throughout).

    ``hourly`` = 1 − Σ imp / Σ L; ``cfe`` = hourly + Σ c imp / Σ L (``clean_share`` c: one share, or
    one per hour); ``annual`` = hourly + exported
    surplus (≤ the export cap each hour) / Σ L when exports are credited, capped at 1; ``days`` =
    calendar days (``day`` index per hour) without grid import (≤ 10⁻⁶ of the load, as the engine).
    """
    total = float(np.sum(load))
    e_imp = float(np.sum(grid_import))
    hourly = 1.0 - e_imp / total
    exported = np.minimum(surplus, export_cap) if export_cap >= 0 else surplus
    annual = min(1.0, hourly + float(np.sum(exported)) / total) if export_credit else hourly
    no_import = grid_import <= 1e-6 * load
    green_days = int(np.sum(np.minimum.reduceat(no_import, np.flatnonzero(np.r_[True, day[1:] != day[:-1]]))))
    cfe = hourly + float(np.sum(np.asarray(clean_share, dtype=float) * grid_import)) / total
    return {"hourly": hourly, "cfe": cfe, "annual": annual, "days": float(green_days)}


# ----------------------------------------------------------------------------------------------
# Representative days
# ----------------------------------------------------------------------------------------------
def representative_days(prof: Profiles, k: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Cluster the calendar days and return (day indices of the medoids, weights = days represented).

    Features: each day's 24 hourly values of load / peak load, PV and wind unit output (k-means,
    scipy's ``kmeans2`` with k-means++ seeding and a fixed seed); each cluster is represented by
    the real day nearest its centre, weighted by the cluster's size (Σ weights = days in the year).
    ``k ≥`` the number of days returns every day with weight 1.
    """
    days, weights, _ = day_clusters(prof, k, seed)
    return days, weights


def day_clusters(prof: Profiles, k: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`representative_days` and the calendar: for every calendar day, in order, the position
    (0 … number of medoids − 1) of the medoid that represents it (what chains the days' storage,
    :class:`SizingLP`'s ``sequence``)."""
    from scipy.cluster.vq import kmeans2

    nd = prof.load.size // 24
    if k <= 0 or k >= nd:
        return np.arange(nd), np.ones(nd), np.arange(nd)
    feats = np.hstack(
        [
            (prof.load / max(float(np.max(prof.load)), 1e-12)).reshape(nd, 24),
            prof.pv.reshape(nd, 24),
            prof.wind.reshape(nd, 24),
        ]
    )
    centres, label = kmeans2(feats, k, seed=seed, minit="++")
    days, weights, clusters = [], [], []
    for c in range(k):
        members = np.flatnonzero(label == c)
        if members.size == 0:
            continue
        d2 = np.sum((feats[members] - centres[c]) ** 2, axis=1)
        days.append(members[np.argmin(d2)])
        weights.append(members.size)
        clusters.append(c)
    order = np.argsort(days)
    position = np.empty(k, dtype=int)
    position[np.asarray(clusters)[order]] = np.arange(order.size)
    return np.asarray(days)[order], np.asarray(weights, dtype=float)[order], position[label]


# ----------------------------------------------------------------------------------------------
# The LP / MILP
# ----------------------------------------------------------------------------------------------
@dataclass
class LPResult:
    """The optimiser's answer on the days it solved (MW, MWh, CNY/yr)."""

    base: dict[str, float]
    objective: float
    cost: dict[str, float]
    hourly: dict[str, np.ndarray]
    status: str
    note: str = ""
    bound: float = float("nan")
    seconds: float = 0.0
    columns: int = 0
    target_slack: float = float("nan")
    """How far the LP's own share lies above its target row; 0 where the row binds. NaN for the days
    MILP, whose weighted green days can exceed the row's bound while it still binds."""
    representative: bool = False
    """Solved on representative days, not the full year."""
    storage_link: str = ""
    """How the representative days' storage links the days (:data:`STORAGE_LINKS`); "" on the full year."""


def _bound(v: float) -> float:
    return float("inf") if v == NO_BOUND else float(v)


def check_generation(target: Target, sp: SizingParams, prof: Profiles | None = None) -> None:
    """Refuse, before any solver runs, a target that no base within ``sp`` can reach because the
    bounds allow no green generation: no PV (``pv_type = "none"`` or ``pv_max_mw = 0``) and no
    wind (``wind = false`` or ``wind_max_mw = 0``). Then only a target of 0 is reachable (0 days;
    for ``cfe`` the credited clean share of the grid over the load, :func:`grid_clean`: without
    ``prof`` a site's share is not known yet, and a ``cfe`` target is left to the call with it).

    The LP of such a base has every import fixed by the load; HiGHS's dual simplex does not prove
    its target row infeasible but stops with an error (excessive dual values, model status "Not
    Set"), which said nothing of the bounds.

    Raises
    ------
    InfeasibleError
        Naming the bounds, the target and the most they allow.
    """
    pv = "size.pv_type = 'none'" if sp.pv_type == "none" else "size.pv_max_mw = 0" if sp.pv_max_mw == 0 else None
    wind = "size.wind = false" if not sp.wind else "size.wind_max_mw = 0" if sp.wind_max_mw == 0 else None
    if pv is None or wind is None:
        return
    reach = 0.0
    if target.kind == "cfe":
        if prof is not None:
            reach = float(np.sum(grid_clean(prof, sp) * prof.load)) / float(np.sum(prof.load))
        elif sp.grid_clean_share is not None:
            reach = float(sp.grid_clean_share)
        else:
            return
    if target.value <= reach:
        return
    most = "0 days" if target.kind == "days" else f"{100 * reach:.1f} %"
    raise InfeasibleError(
        f"infeasible: target {target} cannot be met with {pv} and {wind}: a base without PV or wind generates "
        f"nothing green, so the most it reaches is {most}; allow PV or wind (a bound above 0, or -1 for none)"
    )


def check_export_price(
    prof: Profiles,
    sp: SizingParams,
    econ: EconomicsParams,
    storage: StorageParams,
    weights: np.ndarray | None = None,
    idx: np.ndarray | None = None,
) -> None:
    """Refuse, before the solver runs, a paid export that makes every base dearer than a bigger one.

    Under an export contract each exported kWh earns ``export_cny_per_kwh``; a technology without
    an upper bound whose unit profile (MW per MW) earns more by export than its annual cost
    (:func:`unit_costs`) lowers the cost the more of it is built, so the LP is unbounded (HiGHS:
    "Unbounded", and the frontier's every point failed). With an export cap
    (``export_cap_mw``) the paid export is bounded and no check is needed.

    The levelised cost per kWh compared is the technology's annual cost over its unit output on
    the LP's days (``idx``: day × hour indices, ``weights`` the days each stands for; default
    the whole profile).

    Raises
    ------
    UnboundedError
        Naming the price, the cheapest such technology's cost per kWh and the fixes.
    """
    paid = export_price(econ)
    if paid <= 0 or sp.export_cap_mw >= 0:
        return
    idx = np.arange(prof.load.size).reshape(-1, 24) if idx is None else idx
    w = np.ones(idx.shape[0]) if weights is None else np.asarray(weights, dtype=float)
    u = unit_costs(econ, storage)
    free = {
        "PV": sp.pv_type != "none" and sp.pv_max_mw == NO_BOUND,
        "wind": sp.wind and sp.wind_max_mw == NO_BOUND,
    }
    lcoe = {}
    for name, key, unit in (("PV", "pv", prof.pv), ("wind", "wind", prof.wind)):
        kwh = float(np.sum(unit[idx] * w[:, None])) * 1000.0  # kWh per MW over the LP's days
        if free[name] and kwh > 0:
            lcoe[name] = u[key] / kwh
    cheap = {k: v for k, v in lcoe.items() if v < paid}
    if not cheap:
        return
    name = min(cheap, key=cheap.__getitem__)
    raise UnboundedError(
        f"no base is cheapest: economics.export_cny_per_kwh = {number(paid, grouped=False)} under "
        f"economics.export_contract pays more for an exported kWh than {name} costs "
        f"({cheap[name]:.3f} CNY/kWh levelised over its unit output), so more {name} always lowers the cost; "
        "cap the paid export with size.export_cap_mw, bound PV and wind with size.pv_max_mw and "
        "size.wind_max_mw, or lower economics.export_cny_per_kwh"
    )


_HIGHS_BANNER = [True]  # HiGHS prints a banner on stdout when the process makes its first instance


@contextlib.contextmanager
def _quiet_stdout():
    """Silence C-level writes to stdout while the first HiGHS instance is made (its banner), once."""
    import os
    import sys

    if not _HIGHS_BANNER[0]:
        yield
        return
    _HIGHS_BANNER[0] = False
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
            yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)


class SizingLP:
    """The sizing LP (a MILP for a days target), built once with linopy and solved by HiGHS.

    The target's right-hand side is a row bound of the HiGHS model: :meth:`solve` changes it and
    re-solves from the previous basis (the correction loop and the Pareto frontier).

    Parameters
    ----------
    prof : Profiles
        Load (MW), PV and wind unit output (MW/MW), price (CNY/kWh), month of every hour.
    kind : str
        Target kind (:data:`TARGET_KINDS`).
    sp : SizingParams
        Choices and bounds.
    storage : StorageParams
        Efficiency, SOC window, self-discharge, cycle limit, age (its sizes are decided here).
    econ : EconomicsParams
        Prices and capital costs.
    days, weights : numpy.ndarray, optional
        Days to solve on and how many days each stands for. Default: the full year,
        chronological, one storage state chained through it; given: representative days.
    sequence : numpy.ndarray, optional
        With ``days``: for every calendar day in order, the position in ``days`` of the day that
        represents it (:func:`day_clusters`); the storage is then chained through the calendar
        (below). Without it each representative day's storage is cyclic (ends as it starts).
    members : numpy.ndarray, optional
        With ``days``: the same positions, for what a representative stands for whatever links its
        storage (default ``sequence``): a ``cfe`` target credits each representative hour the mean
        clean share of the calendar days it represents (:func:`days_clean`).
    subsidy_pct : float, optional
        Green subsidy, % (default the profile's, :attr:`Profiles.subsidy_pct`); subtracted from the
        reported cost as the engine does, not part of the minimised objective (it multiplies the
        cost by the green share, which the target row holds).
    objective : str
        ``"cost"``; ``"share"`` maximises the target's measure within the bounds (diagnosis of an
        infeasible target).

    Notes
    -----
    The storage in energy above its floor, ``x = soc − soc_min·E`` (E the faded energy rating,
    ``u = soc_max − soc_min``, ``k = 1 − σ`` the hourly retention), follows
    ``x_t = k·x_{t−1} + η·c_t − d_t/η`` with ``0 ≤ x_t ≤ u·E`` — the recursion of
    :mod:`twin.supply.storage`, whose self-discharge acts on the energy above the floor.

    *Full year*: one state through all 8,760 hours, the first hour following the last.

    *Cyclic representative days*: each day's hour 0 follows its own hour 23. No energy passes from
    one day to the next, so a calm week is served by nothing the windy days before it stored.

    *Chained representative days* (Kotzur, Markewitz, Robinius & Stolten, "Time series aggregation
    for energy system design: Modeling seasonal storage", Applied Energy 213, 2018, 123–135,
    eqs. 11–14): the state of calendar day ``i`` at hour ``h`` is split into an inter-day state
    ``X_i`` (the state before the day's first hour, one per calendar day) and the intra-day state
    ``y`` of the day ``r(i)`` that represents it (one profile per representative, starting from 0,
    free in sign)::

        x_{i,h} = k^{h+1}·X_i + y_{r(i),h},     y_{p,h} = k·y_{p,h−1} + η·c_{p,h} − d_{p,h}/η,  y_{p,−1} = 0
        X_{i+1} = k^24·X_i + y_{r(i),23}         (i = 0 … D−1; X_D = X_0: the year is cyclic)
        k·X_i + max_h y_{r(i),h} ≤ u·E,           k^24·X_i + min_h y_{r(i),h} ≥ 0,   X_i ≥ 0

    The day's maximum and minimum are variables bounding ``y`` from above and below. With
    ``X_i ≥ 0`` and ``k^{h+1}`` between ``k^24`` and ``k`` the two bounds imply ``0 ≤ x_{i,h} ≤ u·E`` at
    every hour of every calendar day (exactly so without self-discharge, σ = 0); energy moves from
    day to day through ``X`` as in the real year. What remains approximate is that every day of a
    cluster takes its representative's hours: its load, PV and wind, and the LP's dispatch.
    """

    def __init__(
        self,
        prof: Profiles,
        kind: str,
        sp: SizingParams,
        storage: StorageParams,
        econ: EconomicsParams,
        *,
        days: np.ndarray | None = None,
        weights: np.ndarray | None = None,
        sequence: np.ndarray | None = None,
        members: np.ndarray | None = None,
        subsidy_pct: float | None = None,
        objective: str = "cost",
    ) -> None:
        import linopy
        import pandas as pd

        t0 = time.perf_counter()
        self.prof, self.kind, self.sp, self.storage, self.econ = prof, kind, sp, storage, econ
        self.subsidy_pct = prof.subsidy_pct if subsidy_pct is None else float(subsidy_pct)
        nd = prof.load.size // 24
        self.chain = days is None
        self.days = np.arange(nd) if days is None else np.asarray(days)
        self.w = np.ones(self.days.size) if weights is None else np.asarray(weights, dtype=float)
        self.sequence = None if self.chain or sequence is None else np.asarray(sequence, dtype=int)
        if self.sequence is not None and (self.sequence.size != nd or np.any(self.sequence >= self.days.size)):
            raise ValueError(f"sequence: one position 0 … {self.days.size - 1} per calendar day ({nd}) expected")
        self.link = "" if self.chain else "chained" if self.sequence is not None else "cyclic"
        idx = self.days[:, None] * 24 + np.arange(24)[None, :]
        self.idx = idx
        self.members = self.sequence if members is None or self.chain else np.asarray(members, dtype=int)
        self.clean = days_clean(prof, sp, idx, self.members)
        if objective == "cost":
            check_export_price(prof, sp, econ, storage, self.w, idx)
        dims = ("period", "hour")
        coords = {"period": pd.RangeIndex(self.days.size, name="period"), "hour": pd.RangeIndex(24, name="hour")}

        def da(a: np.ndarray) -> xr.DataArray:
            return xr.DataArray(np.asarray(a, dtype=float), coords=coords, dims=dims)

        wd = xr.DataArray(self.w, coords={"period": coords["period"]}, dims=("period",))
        load, u_pv, u_wind, price = da(prof.load[idx]), da(prof.pv[idx]), da(prof.wind[idx]), da(prof.price[idx])
        fade = float(fade_factor(storage.age_years, storage.duty_cycles_per_day))
        eta = float(np.sqrt(storage.round_trip_efficiency))
        keep = 1.0 - storage.self_discharge_per_h

        m = linopy.Model()
        pv_hi = 0.0 if sp.pv_type == "none" else _bound(sp.pv_max_mw)
        wind_hi = _bound(sp.wind_max_mw) if sp.wind else 0.0
        v = {
            "pv_mw": m.add_variables(lower=sp.pv_min_mw, upper=pv_hi, name="pv_mw"),
            "wind_mw": m.add_variables(lower=sp.wind_min_mw, upper=wind_hi, name="wind_mw"),
            "storage_mw": m.add_variables(lower=sp.storage_min_mw, upper=_bound(sp.storage_max_mw), name="storage_mw"),
            "storage_mwh": m.add_variables(
                lower=sp.storage_min_mwh, upper=_bound(sp.storage_max_mwh), name="storage_mwh"
            ),
        }
        # chained days: soc is the intra-day state y (free sign), else the state of charge itself
        free_soc = -np.inf if self.sequence is not None else 0.0
        for name in ("charge", "discharge", "soc", "spill"):
            v[name] = m.add_variables(lower=free_soc if name == "soc" else 0.0, coords=coords, name=name)
        v["imp"] = m.add_variables(
            lower=0.0, upper=xr.full_like(load, _bound(sp.grid_cap_mw)), coords=coords, name="imp"
        )
        pv, wind, s_mw, s_mwh = v["pv_mw"], v["wind_mw"], v["storage_mw"], v["storage_mwh"]
        charge, dis, soc, imp, spill = v["charge"], v["discharge"], v["soc"], v["imp"], v["spill"]
        green = pv * u_pv + wind * u_wind
        m.add_constraints(green - charge - spill + dis + imp == load, name="balance")
        m.add_constraints(charge + spill - green <= 0.0, name="green_split")
        m.add_constraints(charge - s_mw <= 0.0, name="charge_power")
        m.add_constraints(dis - s_mw <= 0.0, name="discharge_power")
        self.keep, self.floor = keep, storage.soc_min * fade
        usable_e = (storage.soc_max - storage.soc_min) * fade
        later = xr.DataArray(np.arange(24) > 0, coords={"hour": coords["hour"]}, dims=("hour",))
        if self.sequence is not None:
            self._chain_days(m, v, self.sequence, (eta, usable_e), later)
        else:
            m.add_constraints(soc - storage.soc_max * fade * s_mwh <= 0.0, name="soc_max")
            m.add_constraints(soc - storage.soc_min * fade * s_mwh >= 0.0, name="soc_min")
            step = soc - eta * charge + dis / eta - (1.0 - keep) * self.floor * s_mwh
            m.add_constraints(step - keep * soc.roll(hour=1) == 0.0, name="soc_step", mask=later)
            first = step.sel(hour=0, drop=True)
            last = soc.sel(hour=23, drop=True)
            if self.chain:
                # hour 0 follows the previous day's hour 23, the first day the last (the cyclic year of twin.supply.storage)
                m.add_constraints(first - keep * last.roll(period=1) == 0.0, name="soc_day_start")
            else:
                m.add_constraints(first - keep * last == 0.0, name="soc_cyclic")
        if storage.max_cycles_per_day is not None:  # None: no limit
            usable = storage.max_cycles_per_day * (storage.soc_max - storage.soc_min) * fade
            m.add_constraints(dis.sum("hour") - usable * s_mwh <= 0.0, name="cycles_per_day")
        paid = export_price(econ)
        if sp.export_credit or paid > 0:
            v["exp"] = m.add_variables(
                lower=0.0, upper=xr.full_like(load, _bound(sp.export_cap_mw)), coords=coords, name="exp"
            )
            m.add_constraints(v["exp"] - spill <= 0.0, name="export_from_surplus")
        self.e_load = float((load * wd).sum())
        # The target row: measure ≥ rhs (a share of the load, or days); its bound changes per solve.
        if kind in ("hourly", "cfe") or (kind == "annual" and not sp.export_credit):
            c = da(self.clean) if kind == "cfe" else 0.0
            measure = -((1.0 - c) * imp * wd).sum()
        elif kind == "annual":
            measure = -(imp * wd).sum() + (v["exp"] * wd).sum()
        else:
            v["green_day"] = m.add_variables(binary=True, coords={"period": coords["period"]}, name="green_day")
            m.add_constraints(imp + load * v["green_day"] <= load, name="green_day_no_import")
            measure = (v["green_day"] * wd).sum()
        self.objective_kind = objective
        if objective == "cost":
            m.add_constraints(measure >= 0.0, name="target")
        # Demand charge: the monthly peak import. On representative days the months are not
        # whole: one peak, charged for every month (an approximation the engine's full-year
        # check replaces).
        n_month = 1.0
        if prof.demand_charge > 0:
            months = prof.month[idx[:, 0]] if self.chain else np.zeros(self.days.size, dtype=int)
            mlist = np.unique(months)
            v["peak"] = m.add_variables(lower=0.0, coords={"month": pd.Index(mlist, name="month")}, name="peak")
            for mo in mlist:
                sel = xr.DataArray(months == mo, coords={"period": coords["period"]}, dims=("period",))
                m.add_constraints(imp - v["peak"].sel(month=mo) <= 0.0, name=f"peak_{mo}", mask=sel)
            n_month = 1.0 if self.chain else float(np.unique(prof.month).size)
        u = unit_costs(econ, storage)
        cost = pv * u["pv"] + wind * u["wind"] + s_mwh * u["storage_mwh"] + s_mw * u["storage_mw"]
        cost = cost + (imp * price * wd).sum() * 1000.0
        if "peak" in v:
            cost = cost + v["peak"].sum() * (1000.0 * prof.demand_charge * n_month)
        if "exp" in v and paid > 0:
            cost = cost - (v["exp"] * wd).sum() * (1000.0 * paid)
        # A tiny price on throughput removes simultaneous charge and discharge from the optimum.
        cost = cost + ((charge + dis) * wd).sum() * 1e-3
        if objective == "share":
            m.add_objective(measure, sense="max")
        else:
            m.add_objective(cost)
        from linopy.solvers import Highs

        mat = m.matrices
        with _quiet_stdout():
            self.h = Highs._build_solver_model(m, set_names=False)
        for key, val in {
            "output_flag": False,
            "time_limit": float(sp.time_limit_s),
            "mip_rel_gap": 1e-4,
            "threads": 1,
        }.items():
            self.h.setOptionValue(key, val)
        inv = np.full(int(max(mat.vlabels.max(), 0)) + 1, -1)
        inv[mat.vlabels] = np.arange(mat.vlabels.size)
        self.cols = {k: inv[np.asarray(var.labels.values)] for k, var in v.items()}
        self.columns = int(mat.vlabels.size)
        self.row = None
        if objective == "cost":
            cinv = {int(lab): i for i, lab in enumerate(mat.clabels)}
            self.row = cinv[int(m.constraints["target"].labels.values)]
        self.build_seconds = time.perf_counter() - t0

    def _chain_days(
        self, m: Any, v: dict[str, Any], sequence: np.ndarray, storage: tuple[float, float], later: xr.DataArray
    ) -> None:
        """The chained representative days' storage (class Notes; Kotzur et al. 2018, eqs. 11–14):
        the intra-day recursion from 0, each day's extremes, the inter-day state of every calendar day.
        ``storage`` is (η, usable share of the energy rating × fade)."""
        import pandas as pd

        (eta, usable_e), keep, y = storage, self.keep, v["soc"]
        step = y - eta * v["charge"] + v["discharge"] / eta
        m.add_constraints(step - keep * y.roll(hour=1) == 0.0, name="soc_step", mask=later)
        m.add_constraints(step.sel(hour=0, drop=True) == 0.0, name="soc_intra_start")
        period = {"period": y.indexes["period"]}
        v["intra_max"] = m.add_variables(coords=period, name="intra_max")
        v["intra_min"] = m.add_variables(coords=period, name="intra_min")
        m.add_constraints(y - v["intra_max"] <= 0.0, name="intra_below_max")
        m.add_constraints(y - v["intra_min"] >= 0.0, name="intra_above_min")
        day = pd.RangeIndex(sequence.size, name="day")
        v["soc_inter"] = inter = m.add_variables(lower=0.0, coords={"day": day}, name="soc_inter")
        rep = xr.DataArray(sequence, coords={"day": day}, dims=("day",))
        gain = y.sel(hour=23, drop=True).isel(period=rep)
        day_24 = keep**24
        m.add_constraints(inter.roll(day=-1) - day_24 * inter - gain == 0.0, name="soc_inter_step")
        e = v["storage_mwh"]
        m.add_constraints(keep * inter + v["intra_max"].isel(period=rep) - usable_e * e <= 0.0, name="soc_inter_max")
        m.add_constraints(day_24 * inter + v["intra_min"].isel(period=rep) >= 0.0, name="soc_inter_min")

    def rhs(self, target: Target) -> float:
        """The target row's lower bound for a target value (measure ≥ rhs)."""
        if self.kind == "days":
            return float(target.value)
        if self.kind == "annual" and self.sp.export_credit:
            return (target.value - 1.0) * self.e_load  # −Σ imp + Σ exp ≥ (X − 1) Σ L
        return -(1.0 - target.value) * self.e_load

    def solve(self, target: Target) -> LPResult:
        """Solve for one target value (re-using the last basis); raises :class:`InfeasibleError`."""
        import highspy

        t0 = time.perf_counter()
        if self.row is not None:
            self.h.changeRowBounds(self.row, self.rhs(target), highspy.kHighsInf)
        # HiGHS 1.x compares time_limit with the object's run time summed over every run (ERGO-Code/HiGHS#1477):
        # the limit is per solve, so it counts from this run's start.
        self.h.setOptionValue("time_limit", self.h.getRunTime() + float(self.sp.time_limit_s))
        self.h.run()
        status = self.h.getModelStatus()
        seconds = time.perf_counter() - t0
        ms = highspy.HighsModelStatus
        info = self.h.getInfo()
        note, bound = "", float("nan")
        if status in (ms.kInfeasible, ms.kUnboundedOrInfeasible):
            if self.objective_kind == "share":
                raise InfeasibleError(_grid_cap_message(self.prof, self.sp))
            raise InfeasibleError(self._target_message(target))
        if status == ms.kTimeLimit:
            if info.primal_solution_status != 2:
                raise TimeLimitError(
                    f"time limit: no feasible base found within size.time_limit_s = {number(self.sp.time_limit_s)} s; "
                    "raise it (--time-limit) or solve on fewer representative days (--rep-days)"
                )
            bound = float(info.mip_dual_bound) if self.kind == "days" else float("nan")
            note = (
                f"solver time limit ({number(self.sp.time_limit_s)} s) reached: best base found, not proven optimal"
                + (f"; the optimum costs at least {bound / 1e6:,.2f} M CNY/yr" if np.isfinite(bound) else "")
            )
        elif status == ms.kUnbounded:  # check_export_price names the cause the LP has; a safety net
            raise UnboundedError(
                f"no base is cheapest: the cost falls without limit as plant is added, with "
                f"{_describe_bounds(self.sp)}; bound PV and wind (size.pv_max_mw, size.wind_max_mw) or the paid "
                "export (size.export_cap_mw)"
            )
        elif status != ms.kOptimal:
            raise InfeasibleError(
                f"solver stopped ({self.h.modelStatusToString(status)}) on target {target} with "
                f"{_describe_bounds(self.sp)}: no base found; try other bounds or --rep-days"
            )
        sol = self.h.getSolution()
        x = np.asarray(sol.col_value)
        val = {k: x[c] for k, c in self.cols.items()}
        slack = float("nan")
        if self.row is not None and self.kind != "days":
            slack = (float(sol.row_value[self.row]) - self.rhs(target)) / self.e_load
        base = {k: max(float(val[k]), 0.0) for k in ("pv_mw", "wind_mw", "storage_mw", "storage_mwh")}
        if self.sequence is not None:  # the state of charge on the representative (real) days themselves
            start = val["soc_inter"][self.days][:, None] * self.keep ** np.arange(1, 25)[None, :]
            val["soc"] = self.floor * base["storage_mwh"] + start + val["soc"]
        hourly = {k: np.maximum(val[k], 0.0) for k in ("charge", "discharge", "soc", "imp", "spill")}
        return LPResult(
            base=base,
            objective=self._cost(base, hourly, val.get("exp"))["total"],
            cost=self._cost(base, hourly, val.get("exp")),
            hourly=hourly,
            status=self.h.modelStatusToString(status),
            note=note,
            bound=bound,
            seconds=seconds,
            columns=self.columns,
            target_slack=slack,
            representative=not self.chain,
            storage_link=self.link,
        )

    def _cost(self, base: dict[str, float], hourly: dict[str, np.ndarray], exp: np.ndarray | None) -> dict[str, float]:
        """The annual cost of the solution by :func:`annual_cost` (the days weighted)."""
        prof, idx = self.prof, self.idx
        wh = self.w[:, None]
        imp = hourly["imp"]
        energy = float(np.sum(imp * prof.price[idx] * wh)) * 1000.0
        months = np.unique(prof.month)
        if self.chain:
            day_month = prof.month[idx[:, 0]]
            peaks = np.array([imp[day_month == mo].max() for mo in months])
        else:
            peaks = np.full(months.size, imp.max())
        export = float(np.sum(exp * wh)) if exp is not None and export_price(self.econ) > 0 else 0.0
        share = 1.0 - float(np.sum(imp * wh)) / self.e_load
        cost = annual_cost(
            base,
            self.econ,
            self.storage,
            energy_cost=energy,
            peaks_mw=peaks,
            demand_charge=self.prof.demand_charge,
            export_mwh=export,
            green_share=share,
            subsidy_pct=self.subsidy_pct,
        )
        # the subsidy is a share of the cost it was paid on, the sunk capital recovery included
        cost["sunk"] = sum(sunk_cost(self.sp, self.econ).values()) * (1.0 - share * self.subsidy_pct / 100.0)
        cost["total"] -= cost["sunk"]
        return cost

    def _target_message(self, target: Target) -> str:
        """Why a target is infeasible: the most the bounds allow (or the grid cap alone fails)."""
        said = f"infeasible: target {target} cannot be met with {_describe_bounds(self.sp)}"
        try:
            best = SizingLP(
                self.prof,
                self.kind,
                self.sp,
                self.storage,
                self.econ,
                days=None if self.chain else self.days,
                weights=None if self.chain else self.w,
                sequence=self.sequence,
                members=self.members,
                objective="share",
            ).solve(target)
        except TimeLimitError:  # the target is infeasible; what the bounds allow was not found in time
            return f"{said}; the most these bounds allow was not found within size.time_limit_s"
        imp = best.hourly["imp"]
        wh = self.w[:, None]
        hourly = 1.0 - float(np.sum(imp * wh)) / self.e_load
        if self.kind == "days":
            no_imp = np.all(imp <= 1e-6 * self.prof.load[self.idx], axis=1)
            reach = f"{float(np.sum(self.w * no_imp)):.0f} days"
        elif self.kind == "cfe":
            credited = float(np.sum(self.clean * imp * wh)) / self.e_load
            reach = f"{100 * (hourly + credited):.1f} %"
        else:
            reach = f"{100 * hourly:.1f} %"
        where = "" if self.chain else " (on the representative days)"
        return f"{said}; the most these bounds allow is {reach}{where}"


def solve_lp(
    prof: Profiles,
    target: Target,
    sp: SizingParams,
    storage: StorageParams,
    econ: EconomicsParams,
    **kwargs: Any,
) -> LPResult:
    """Build and solve :class:`SizingLP` once (keyword arguments as its constructor)."""
    return SizingLP(prof, target.kind, sp, storage, econ, **kwargs).solve(target)


def _describe_bounds(sp: SizingParams) -> str:
    parts = []
    for name, label, unit in (
        ("pv_min_mw", "PV", "MW"),
        ("wind_min_mw", "wind", "MW"),
        ("storage_min_mw", "storage", "MW"),
        ("storage_min_mwh", "storage", "MWh"),
    ):
        v = getattr(sp, name)
        if v > 0:
            parts.append(f"{label} ≥ {number(v)} {unit}")
    for name, label, unit in (
        ("pv_max_mw", "PV", "MW"),
        ("wind_max_mw", "wind", "MW"),
        ("storage_max_mw", "storage", "MW"),
        ("storage_max_mwh", "storage", "MWh"),
        ("grid_cap_mw", "grid import", "MW"),
        ("export_cap_mw", "export", "MW"),
    ):
        v = getattr(sp, name)
        if v >= 0:
            parts.append(f"{label} ≤ {number(v)} {unit}")
    if sp.pv_type == "none":
        parts.append("no PV")
    if not sp.wind:
        parts.append("no wind")
    return ", ".join(parts) or "no bounds"


def _grid_cap_message(prof: Profiles, sp: SizingParams) -> str:
    return (
        f"infeasible: grid connection cap {number(sp.grid_cap_mw)} MW: the load (peak {float(np.max(prof.load)):,.1f} MW) "
        f"cannot be met within the other bounds ({_describe_bounds(sp)})"
    )


# ----------------------------------------------------------------------------------------------
# The engine around the LP: inputs, the full-year check, the correction loop
# ----------------------------------------------------------------------------------------------
@dataclass
class SizingInputs:
    """What every sizing of one scenario shares: the engine's unit run and the weather."""

    scenario: Any
    weather: dict
    unit: xr.Dataset
    cases: list
    site_key: str
    profiles: list[Profiles]
    hour: np.ndarray
    day: np.ndarray
    time: np.ndarray
    cache: dict = field(default_factory=dict)


def _tracking(scenario: Any, sp: SizingParams) -> bool:
    """Whether the sized PV tracks: ``pv_type`` if given, else the scenario's own PV."""
    return scenario.pv.tracking if sp.pv_type is None else sp.pv_type == "tracking"


def unit_scenario(scenario: Any, sp: SizingParams) -> Any:
    """The scenario :func:`sizing_inputs` runs: 1 MW of PV (none with ``pv_type = "none"``) and 1 MW
    of wind (none without wind), no storage rating, the plant owned; everything else the scenario's.
    A sizing depends on the scenario through this alone, so its ratings (the Green page's sliders)
    do not change a frontier."""
    pv = dataclasses.replace(
        scenario.pv, capacity_mw=0.0 if sp.pv_type == "none" else 1.0, tracking=_tracking(scenario, sp)
    )
    wind = dataclasses.replace(scenario.wind, capacity_mw=1.0 if sp.wind else 0.0)
    storage = dataclasses.replace(scenario.storage, power_mw=0.0, energy_mwh=0.0)
    econ = dataclasses.replace(scenario.economics, green_procurement="owned")
    return dataclasses.replace(scenario, pv=pv, wind=wind, storage=storage, economics=econ)


def sizing_inputs(scenario: Any, sp: SizingParams, weather: dict | None = None) -> SizingInputs:
    """Run the engine once with 1 MW of PV and 1 MW of wind per design: load, unit profiles, price.

    Parameters
    ----------
    scenario : twin.Scenario
        One site, one or more designs, no sweep; its PV/wind/storage/economics parameters are
        used apart from the sizes (the plant is owned: the optimiser decides what to build).
    sp : SizingParams
        The PV type and whether wind may be built.
    weather : dict, optional
        :func:`twin.engine.simulate.prepare_weather` of the scenario, to reuse.
    """
    from twin.engine.config import DispatchParams
    from twin.engine.simulate import prepare_weather, simulate
    from twin.supply.green import green_power

    if len(scenario.sites) != 1:
        raise ConfigError(f"twin size sizes one site at a time; the scenario has {len(scenario.sites)}")
    if scenario.sweep:
        raise ConfigError("twin size takes one facility; remove the scenario's [sweep] (the optimiser sizes the base)")
    unit_sc = unit_scenario(scenario, sp)
    wx = weather if weather is not None else prepare_weather(unit_sc)
    ds = simulate(unit_sc, weather=wx)
    if "case" not in ds.dims:
        ds = ds.expand_dims("case")
    t = ds.indexes["time"]
    nt = t.size
    if nt % 24:
        raise ConfigError(f"sizing needs whole days of hourly weather; the year has {nt} hours")
    month = np.asarray(t.month) - 1
    key = next(iter(wx))
    cases = unit_sc.cases()
    cache: dict = {}
    # The site's demand charge, subsidy and grid clean share as the engine resolves them.
    unit_hourly, money = green_power(
        _supply(cases),
        [key] * len(cases),
        wx,
        ds["p_facility"].to_numpy(),
        DispatchParams(),
        profiles=cache,
        hour=np.asarray(t.hour),
    )
    profiles = []
    for i in range(ds.sizes["case"]):
        c = ds.isel(case=i)
        profiles.append(
            Profiles(
                load=c["p_facility"].to_numpy() / 1000.0,
                pv=c["p_pv"].to_numpy() / 1000.0,
                wind=c["p_wind"].to_numpy() / 1000.0,
                price=np.broadcast_to(c["price"].to_numpy(), (nt,)).copy(),
                month=month,
                demand_charge=float(money["demand_charge"][i]),
                subsidy_pct=float(money["green_subsidy_pct"][i]),
                clean=np.broadcast_to(np.asarray(unit_hourly["grid_clean_share"])[i], (nt,)).copy(),
            )
        )
    tv = t.values
    return SizingInputs(
        scenario=unit_sc,
        weather=wx,
        unit=ds,
        cases=cases,
        site_key=key,
        profiles=profiles,
        hour=np.asarray(t.hour),
        day=tv.astype("datetime64[D]").astype(np.int64),
        time=tv,
        cache=cache,
    )


def _supply(cases: list) -> Any:
    """The engine's supply parameters (:class:`twin.supply.green.SupplyParams`) of some cases."""
    from twin.supply.green import SupplyParams

    return SupplyParams(
        pv=[c.pv for c in cases],
        wind=[c.wind for c in cases],
        storage=[c.storage for c in cases],
        economics=[c.economics for c in cases],
    )


def _case_with(case: Any, base: dict[str, float]) -> Any:
    """The engine's case with a sized base (sizes below 1 W/1 Wh are none)."""
    b = {k: (v if v > 1e-6 else 0.0) for k, v in base.items()}
    return dataclasses.replace(
        case,
        pv=dataclasses.replace(case.pv, capacity_mw=b["pv_mw"]),
        wind=dataclasses.replace(case.wind, capacity_mw=b["wind_mw"]),
        storage=dataclasses.replace(case.storage, power_mw=b["storage_mw"], energy_mwh=b["storage_mwh"]),
    )


def engine_check(
    inp: SizingInputs, i: int, base: dict[str, float], sp: SizingParams, dispatch: LPResult | None = None
) -> dict[str, Any]:
    """The base of design ``i`` run by the engine on the full year: shares, cost, hourly dispatch.

    Uses :func:`twin.supply.green.green_power` (the engine's supply, dispatch and prices) and
    :func:`twin.engine.metrics.annual_figures` (its KPIs and cost) on the facility load of the unit run.

    Parameters
    ----------
    dispatch : LPResult, optional
        A full-year LP answer whose own hourly dispatch the engine books instead of dispatching
        the base itself (the LP's perfect-foresight dispatch against ``check_dispatch``).
    """
    from twin.engine.config import DispatchParams
    from twin.engine.metrics import HOURLY_NEEDS, annual_figures
    from twin.supply.green import green_power

    case = _case_with(inp.cases[i], base)
    load_kw = inp.unit["p_facility"].isel(case=i).to_numpy()[None, :]
    hourly, per_case = green_power(
        _supply([case]),
        [inp.site_key],
        inp.weather,
        load_kw,
        DispatchParams(strategy=sp.check_dispatch),
        profiles=inp.cache,
        hour=inp.hour,
    )
    if dispatch is not None:
        if dispatch.hourly["imp"].size != load_kw.size:
            raise ValueError("engine_check books an LP dispatch of the full hourly year only")
        lp = {k: dispatch.hourly[k].reshape(1, -1) * 1000.0 for k in ("charge", "discharge", "soc", "imp", "spill")}
        hourly = {
            **hourly,
            "p_green_direct": hourly["p_green"] - lp["charge"] - lp["spill"],
            "p_charge": lp["charge"],
            "p_grid_charge": np.zeros_like(lp["imp"]),
            "p_discharge": lp["discharge"],
            "soc": lp["soc"] / 1000.0,
            "p_grid_import": load_kw - (hourly["p_green"] - lp["charge"] - lp["spill"]) - lp["discharge"],
            "p_surplus": lp["spill"],
        }
        per_case = {**per_case, "storage_deficit": np.zeros(1)}
    fac = {k: inp.unit[k].isel(case=i).to_numpy()[None, :] for k in HOURLY_NEEDS}
    figs = annual_figures({**fac, **hourly}, per_case, inp.time)
    shares = green_shares(
        load_kw[0],
        np.asarray(hourly["p_grid_import"])[0],
        np.asarray(hourly["p_surplus"])[0],
        inp.day,
        clean_share=grid_clean(inp.profiles[i], sp),
        export_credit=sp.export_credit,
        export_cap=sp.export_cap_mw * 1000.0 if sp.export_cap_mw >= 0 else -1.0,
    )
    figures = {k: float(np.asarray(v)[0]) for k, v in figs.items()}
    sunk = sum(sunk_cost(sp, case.economics).values())
    before = figures["cost_total"] + figures["green_subsidy"]
    if sunk and before:
        sunk *= figures["cost_total"] / before  # the subsidy was paid on it too, as on every cost
    if sunk and figures["cost_total"]:
        scale = (figures["cost_total"] - sunk) / figures["cost_total"]
        for k in ("cost_total", "cost_per_compute", "cost_per_mwh_it"):
            figures[k] *= scale
    return {
        "shares": shares,
        "cost": figures["cost_total"],
        "figures": figures,
        "hourly": {k: np.asarray(v)[0] for k, v in hourly.items()},
    }


@dataclass
class SizingResult:
    """A sized base for one design, checked by the engine on the full year."""

    design: str
    target: Target
    base: dict[str, float]
    achieved: float
    shares: dict[str, float]
    cost: float
    figures: dict[str, float]
    lp: LPResult
    lp_target: float
    iterations: list[tuple[float, float, float]]
    seconds: float
    note: str = ""
    hourly: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    base_target: float = float("nan")
    """The target value whose search sized the base: ``target.value`` unless a frontier point reuses
    a cheaper base sized for another target (:func:`pareto`)."""

    @property
    def lp_error(self) -> float:
        """The reduced LP's cost estimate against the engine's full-year cost, relative."""
        return self.lp.objective / self.cost - 1.0


def _measure(shares: dict[str, float], kind: str) -> float:
    return shares[kind]


MAX_ROUNDS = 10
"""Rounds (LP solve + the engine's full-year check) of one sizing's search for a share target."""

MAX_ROUNDS_DAYS = 6
"""Rounds of the search for a days target: each solves the MILP (seconds to minutes, not 0.1 s)."""

MEETS = 1e-6
"""A base meets a target the engine finds short by at most this (the LP solver's feasibility tolerance)."""


def band(kind: str) -> float:
    """How far above the target the engine's measure should land: 0.2 points of share, or one day."""
    return 1.0 if kind == "days" else 0.002


@dataclass
class Checked:
    """One round of a sizing: the LP's target ``x``, its answer, and the engine's full-year check of that base."""

    x: float
    lp: LPResult
    check: dict[str, Any]
    got: float
    note: str = ""
    sized_for: Target | None = None
    """The target whose search ran this round (a frontier pools the rounds of all its targets)."""

    def meets(self, target: Target) -> bool:
        return self.got >= target.value - MEETS


def cheapest(pool: list[Checked], target: Target) -> Checked | None:
    """The cheapest base of ``pool`` (by the engine's cost) that meets ``target``; None if none does.

    Of equal costs (the cost-optimal base, returned by every search it meets) the target's own round."""
    ok = [c for c in pool if c.meets(target)]
    return min(ok, key=lambda c: (c.check["cost"], c.sized_for not in (None, target))) if ok else None


def _next_lp_target(tried: list[Checked], target: Target, top: float) -> float | None:
    """The LP's target for the next round, or None when it would repeat a round.

    A share target aims a quarter into the band (0.05 points above the target: close, so the base
    stays cheap; above, so a round landing a little below its aim still meets the target). The LP's
    target moves by the engine's distance from that aim over the slope of the last two rounds (1
    after the first); once one round falls short and another meets the target it stays inside the
    bracket of the highest short round and the lowest meeting round above it, taking the midpoint
    where that step leaves the bracket or the last three rounds fell on one side of it. So the
    search crosses into the band rather than creeping up to the target from below. A days target
    moves by whole days: up by the shortfall, down by half an overshoot.
    """
    last = tried[-1]
    if target.kind == "days":
        step = target.value - last.got
        nx = last.x + (float(np.ceil(step)) if step > 0 else float(np.floor(step / 2)))
    else:
        aim = target.value + band(target.kind) / 4
        slope = 1.0
        if len(tried) > 1 and tried[-2].x != last.x:
            slope = float(np.clip((last.got - tried[-2].got) / (last.x - tried[-2].x), 0.1, 10.0))
        nx = last.x + (aim - last.got) / slope
        short = [c for c in tried if not c.meets(target)]
        met = [c for c in tried if c.meets(target)]
        if short and met:
            lo = max(short, key=lambda c: c.x)
            hi = min((c for c in met if c.x > lo.x), key=lambda c: c.x, default=None)
            if hi is not None:
                sides = {c.meets(target) for c in tried[-3:]}
                stalled = len(tried) > 2 and len(sides) == 1
                if stalled or not lo.x + 1e-6 < nx < hi.x - 1e-6:
                    nx = 0.5 * (lo.x + hi.x)
    nx = float(np.clip(nx, 0.0, top))
    return None if any(abs(nx - c.x) < 1e-9 for c in tried) else nx


def _search(evaluate: Callable[[float], Checked], target: Target, top: float) -> list[Checked]:
    """The rounds of one sizing, ``evaluate`` (LP target → checked round) from the target itself on,
    until the engine's measure lands in the band, at most :data:`MAX_ROUNDS` (:data:`MAX_ROUNDS_DAYS`).

    Also stops when the LP's own target row does not bind and the engine overshoots: the base is
    then the cost optimum, and a lower target would return it again.
    """
    tried: list[Checked] = []
    x: float | None = target.value
    limit = MAX_ROUNDS_DAYS if target.kind == "days" else MAX_ROUNDS
    while x is not None and len(tried) < limit:
        c = evaluate(x)
        tried.append(c)
        if c.meets(target) and (c.got - target.value <= band(target.kind) or c.lp.target_slack > MEETS):
            break
        x = _next_lp_target(tried, target, top)
    return tried


def _result(
    design: str, target: Target, chosen: Checked, iterations: list[tuple[float, float, float]], seconds: float
) -> SizingResult:
    """The :class:`SizingResult` of the chosen round, with a note where its measure lies beyond the band."""
    note = chosen.note
    if chosen.got - target.value > band(target.kind) + MEETS:
        reach = fmt_measure(target.kind, chosen.got)
        if chosen.lp.target_slack > MEETS:
            extra = f"the cost-optimal base already reaches {reach}"
        else:
            extra = (
                f"the engine's measure lands at {reach}, beyond the band above the target the search aims for; "
                "no base found closer to the target costs less"
            )
        note = "; ".join(n for n in (note, extra) if n)
    note = "; ".join(n for n in (note, _overrated(chosen), chosen.lp.note) if n)
    return SizingResult(
        design=design,
        target=target,
        base={k: (v if v > 1e-6 else 0.0) for k, v in chosen.lp.base.items()},
        achieved=chosen.got,
        shares=chosen.check["shares"],
        cost=chosen.check["cost"],
        figures=chosen.check["figures"],
        lp=chosen.lp,
        lp_target=chosen.x,
        iterations=iterations,
        seconds=seconds,
        note=note,
        hourly=chosen.check["hourly"],
        base_target=(chosen.sized_for or target).value,
    )


OVERRATED = 0.002
"""The representative days' share of a base above the engine's full-year share by more than this
(0.2 points) is said in the answer's note (:func:`_overrated`)."""


def _overrated(chosen: Checked) -> str:
    """A note where the representative days rate the chosen base above the engine's year, else "".

    Where the reduced LP's target row binds its own share is its target ``x``. When the engine's
    share of the base falls short of it, the representative days miss what the year needs: cyclic
    days miss the storage between days (multi-day lulls), and the reduced LP then pushes every share
    point dearer than the full-year LP does (README: +14.9 % at 95 % on the Qingyang example; on the
    Minning example with tracking PV the reduced 98 % base cost more than the full-year 99 % one).
    Chained days carry the storage between days; what they can still miss is the days themselves
    (every day of a cluster takes its representative's load, PV and wind).
    """
    lp = chosen.lp
    if not lp.representative or not abs(lp.target_slack) <= MEETS:
        return ""
    gap = chosen.x - chosen.got
    if gap <= OVERRATED:
        return ""
    why = (
        "cyclic days carry no energy from one day to the next"
        if lp.storage_link == "cyclic"
        else "every day of a cluster takes its representative day's load, PV and wind"
    )
    return (
        f"the representative days rate this base {100 * gap:.1f} points above the engine's year ({why}), so a "
        "high target's base from them can cost much more than the full-year LP's: check it with --rep-days 0 "
        "before quoting it"
    )


def size_design(
    inp: SizingInputs,
    i: int,
    target: Target,
    sp: SizingParams,
    lp: SizingLP | None = None,
    pool: list[Checked] | None = None,
) -> SizingResult:
    """Size the base of design ``i`` for a target: reduced LP, engine check, target correction.

    The LP solves on :attr:`SizingParams.representative_days`; the engine then runs the base
    on the full year with its own dispatch (``check_dispatch``) and the LP's target is corrected
    (:func:`_next_lp_target`) until the engine's measure lands within :func:`band` above the
    target (0.2 points, or one day), at most :data:`MAX_ROUNDS` rounds (:data:`MAX_ROUNDS_DAYS`).
    The answer is the cheapest base the engine confirmed among the rounds and ``pool`` (rounds of
    other targets of the same design and kind, e.g. the frontier's; this sizing's rounds are
    added to it). If none is
    confirmed — typically when the LP already asks for the most it can (100 %, or every day) and
    the engine still falls short, because the representative days differ from the real ones (and,
    with cyclic days, carry no energy from one day into the next) — the full-year LP is solved
    instead (slow, exact).
    """
    t0 = time.perf_counter()
    prof = inp.profiles[i]
    check_generation(target, sp, prof)
    case = inp.cases[i]
    pool = [] if pool is None else pool
    if lp is None:
        lp = build_lp(inp, i, target.kind, sp)
    top = float(np.sum(lp.w)) if target.kind == "days" else 1.0

    def evaluate(x: float) -> Checked:
        r = lp.solve(Target(target.kind, x))
        chk = engine_check(inp, i, r.base, sp)
        return Checked(x, r, chk, _measure(chk["shares"], target.kind), sized_for=target)

    tried = _search(evaluate, target, top)
    pool.extend(tried)
    chosen = cheapest(pool, target)
    if chosen is None and lp.chain:
        raise InfeasibleError(
            f"infeasible: the engine's {sp.check_dispatch} dispatch of the optimal base reaches "
            f"{fmt_measure(target.kind, tried[-1].got)}, short of {target} (the LP assumes perfect foresight; "
            "try --check-dispatch lp)"
        )
    if chosen is None:
        full = SizingLP(prof, target.kind, sp, case.storage, case.economics).solve(target)
        chk = engine_check(inp, i, full.base, sp)
        note = "the representative days could not reach the target; solved on the full hourly year"
        chosen = Checked(target.value, full, chk, _measure(chk["shares"], target.kind), note, target)
        tried.append(chosen)
        pool.append(chosen)
    iterations = [(c.x, c.got, c.check["cost"]) for c in tried]
    return _result(case.design, target, chosen, iterations, time.perf_counter() - t0)


def _cheapest_result(design: str, target: Target, r: SizingResult | None, pool: list[Checked]) -> SizingResult | None:
    """``r`` (a sizing for ``target``, None if it failed), or the cheaper base of ``pool`` that meets the target too.

    A base from another target's round keeps this target's own search: its ``lp_target`` (NaN if
    the search failed), ``iterations`` and ``seconds``; its note says which target's round sized
    the base (and that round's own note, e.g. a full-year solve, in brackets).
    """
    c = cheapest(pool, target)
    if c is None or (r is not None and c.check["cost"] >= r.cost):
        return r
    pooled = _result(
        design, target, dataclasses.replace(c, note=""), r.iterations if r else [], r.seconds if r else 0.0
    )
    search = f"the search for {c.sized_for}" if c.sized_for is not None else "another target's search"
    origin = f"its base is a cheaper one sized in {search} (LP target {c.x:.4g})"
    origin += f" ({c.note})" if c.note else ""
    return dataclasses.replace(
        pooled,
        lp_target=r.lp_target if r is not None else float("nan"),
        note="; ".join(n for n in (origin, pooled.note) if n),
    )


def build_lp(inp: SizingInputs, i: int, kind: str, sp: SizingParams) -> SizingLP:
    """The reduced sizing LP of design ``i`` on its representative days (their storage linked as
    ``sp.storage_link`` says)."""
    prof = inp.profiles[i]
    days, weights, sequence = day_clusters(prof, sp.representative_days)
    chain = days.size == prof.load.size // 24
    return SizingLP(
        prof,
        kind,
        sp,
        inp.cases[i].storage,
        inp.cases[i].economics,
        days=None if chain else days,
        weights=None if chain else weights,
        sequence=sequence if sp.storage_link == "chained" else None,
        members=None if chain else sequence,
    )


def size_base(
    scenario: Any, target: Target, sp: SizingParams | None = None, weather: dict | None = None
) -> list[SizingResult]:
    """The cheapest base for a target, for every design of a one-site scenario (see module docs).

    Returns
    -------
    list of SizingResult
        One per design, in the scenario's order; ``cost`` and ``shares`` are the engine's on the
        full year.
    """
    sp = sp or SizingParams()
    inp = sizing_inputs(scenario, sp, weather)
    return [size_design(inp, i, target, sp) for i in range(len(inp.cases))]


def sized_scenario(scenario: Any, result: SizingResult, sp: SizingParams) -> Any:
    """The scenario with the sized base and the checking dispatch, one design: run it with ``twin run``."""
    from twin.engine.config import DispatchParams

    base = result.base
    return dataclasses.replace(
        scenario,
        name=f"{scenario.name}-sized",
        designs=(result.design,),
        pv=dataclasses.replace(scenario.pv, capacity_mw=base["pv_mw"], tracking=_tracking(scenario, sp)),
        wind=dataclasses.replace(scenario.wind, capacity_mw=base["wind_mw"]),
        storage=dataclasses.replace(scenario.storage, power_mw=base["storage_mw"], energy_mwh=base["storage_mwh"]),
        dispatch=DispatchParams(strategy=sp.check_dispatch),
        economics=dataclasses.replace(scenario.economics, green_procurement="owned"),
    )


# ----------------------------------------------------------------------------------------------
# Tables and Datasets
# ----------------------------------------------------------------------------------------------
def describe_base(base: dict[str, float]) -> str:
    """``'31 MW PV + 15 MW wind + 22 MW / 93 MWh storage'``."""
    return (
        f"{base['pv_mw']:,.1f} MW PV + {base['wind_mw']:,.1f} MW wind + "
        f"{base['storage_mw']:,.1f} MW / {base['storage_mwh']:,.1f} MWh storage"
    )


def fmt_measure(kind: str, v: float) -> str:
    return f"{v:.0f} d" if kind == "days" else f"{100 * v:.1f} %"


def results_rows(results: list[SizingResult], credit: str = "") -> tuple[list[list[str]], list[str], str]:
    """(rows, header, note) of a table, one row per design: the base, the engine's measure and cost, the LP's estimate.

    The physical hourly green share has its own column unless it is the target's measure (then
    the two columns would be the same). ``credit`` (:func:`clean_credit`) names in the measure's
    header how a ``cfe`` target credited the grid."""
    rows = []
    both = any(r.target.kind != "hourly" for r in results)
    for r in results:
        f = r.figures
        rows.append(
            [
                r.design,
                f"{f['pue']:.3f}",
                f"{r.base['pv_mw']:,.1f}",
                f"{r.base['wind_mw']:,.1f}",
                f"{r.base['storage_mw']:,.1f}",
                f"{r.base['storage_mwh']:,.1f}",
                fmt_measure(r.target.kind, r.achieved),
                *([f"{100 * r.shares['hourly']:.1f} %"] if both else []),
                f"{100 * f['energy_surplus'] / max(f['energy_green'], 1e-9):.1f} %",
                f"{r.cost / 1e6:,.2f}",
                f"{f['cost_per_compute']:,.0f}",
                f"{f['cost_per_mwh_it']:,.0f}",
                f"{100 * r.lp_error:+.2f} %",
                f"{r.seconds:.1f}",
            ]
        )
    header = [
        "design",
        "PUE",
        "PV MW",
        "wind MW",
        "storage MW",
        "storage MWh",
        f"{r.target.kind} (engine{'; ' + credit if credit else ''})",
        *(["hourly green"] if both else []),
        "surplus",
        "M CNY/yr",
        "CNY/MWh compute",
        "CNY/MWh IT",
        "LP vs engine",
        "s",
    ]
    note = (
        f"target {results[0].target}; measured by the engine on the full year; surplus = share of green "
        "generation exported or curtailed (never counted green); LP vs engine = the reduced LP's cost estimate "
        "against the engine's full-year cost"
    )
    return rows, header, note


_RESULT_VARS = {
    "pv_mw": ("MW", "sized PV capacity (DC)"),
    "wind_mw": ("MW", "sized wind capacity"),
    "storage_mw": ("MW", "sized storage power"),
    "storage_mwh": ("MWh", "sized storage energy"),
    "achieved": ("1", "the target's measure, engine on the full year (share 0-1, or days)"),
    "green_share_hourly": ("1", "physical hourly green share, engine"),
    "cost": ("CNY yr-1", "annual cost of the sized base and grid energy, engine"),
    "cost_per_compute": ("CNY MWh-1", "annual cost per nominal-server MWh of compute delivered, engine"),
    "cost_per_mwh_it": ("CNY MWh-1", "annual cost per MWh of IT energy, engine"),
    "cost_lp": ("CNY yr-1", "the reduced LP's estimate of the annual cost"),
    "lp_target": ("1", "target value the point's search gave the LP after the engine's correction"),
    "base_target": ("1", "target whose search sized the base (share 0-1, or days); another when a cheaper base met it"),
    "pue": ("1", "annual PUE of the design"),
    "energy_surplus": ("MWh", "green energy exported or curtailed, engine"),
    "energy_grid_import": ("MWh", "grid import, engine"),
    "energy_green_used": ("MWh", "green energy used by the facility (directly or through storage), engine"),
    "seconds": ("s", "wall time of the sizing"),
}


def _result_values(r: SizingResult) -> dict[str, float]:
    return {
        **r.base,
        "achieved": r.achieved,
        "green_share_hourly": r.shares["hourly"],
        "cost": r.cost,
        "cost_per_compute": r.figures["cost_per_compute"],
        "cost_per_mwh_it": r.figures["cost_per_mwh_it"],
        "cost_lp": r.lp.objective,
        "lp_target": r.lp_target,
        "base_target": r.base_target,
        "pue": r.figures["pue"],
        "energy_surplus": r.figures["energy_surplus"],
        "energy_grid_import": r.figures["energy_grid_import"],
        "energy_green_used": r.figures["energy_green_used"],
        "seconds": r.seconds,
    }


def _label(ds: xr.Dataset, table: dict[str, tuple[str, str]]) -> xr.Dataset:
    for k, (u, ln) in table.items():
        if k in ds:
            ds[k].attrs.update(units=u, long_name=ln)
    return ds


def _choices_attrs(prof: Profiles, kind: str, sp: SizingParams) -> dict[str, str]:
    """What a file's costs and measures rest on besides its target: the bounds, the plant left out
    as sunk (its costs are without that capital recovery) and, for a ``cfe`` target, how the grid
    was credited."""
    out = {"bounds": _describe_bounds(sp), "sunk": sp.sunk or "none"}
    return {**out, "grid_credit": clean_credit(prof, sp)} if kind == "cfe" else out


def results_dataset(
    results: list[SizingResult], inp: SizingInputs | None = None, sp: SizingParams | None = None
) -> xr.Dataset:
    """The sized bases of several designs as a Dataset (dimension ``design``); with ``inp`` and
    ``sp``, the choices they rest on as attributes (:func:`_choices_attrs`)."""
    vals = [_result_values(r) for r in results]
    ds = xr.Dataset(
        {k: ("design", [v[k] for v in vals]) for k in _RESULT_VARS},
        coords={"design": [r.design for r in results]},
    )
    ds.attrs.update(target=str(results[0].target), target_kind=results[0].target.kind)
    if inp is not None and sp is not None:
        ds.attrs.update(_choices_attrs(inp.profiles[0], results[0].target.kind, sp))
    return _label(ds, _RESULT_VARS)


# ----------------------------------------------------------------------------------------------
# Pareto frontier
# ----------------------------------------------------------------------------------------------
LAST_SPAN = 5
"""Points (days) of the frontier's steadier companion of its last point's cost: the average cost
per point over the last five points of the highest target (:func:`pareto`)."""


def step_cost(
    cost_from: ArrayLike, cost_to: ArrayLike, green_from: ArrayLike, green_to: ArrayLike, units: ArrayLike
) -> tuple[np.ndarray, np.ndarray]:
    """The annual cost of a step of a frontier, per unit of its target and per kWh of green energy it adds.

    Parameters
    ----------
    cost_from, cost_to : array_like
        Annual costs of the bases at the step's two ends, CNY/yr.
    green_from, green_to : array_like
        Green energy the facility uses at the two ends (directly or through storage), MWh/yr.
    units : array_like
        Length of the step in percentage points of the target (days for a days target).

    Returns
    -------
    per_unit, per_kwh : numpy.ndarray
        ``(cost_to − cost_from) / units`` in CNY/yr per point (per day): over a step of several
        points the average per point, not the last point's; and ``(cost_to − cost_from) /
        (green_to − green_from)`` in CNY per kWh of green energy used that the step adds, NaN
        where the step adds none: the annual cost nets the grid bill the added green energy
        saves, so this is what an added green kWh costs above the grid energy it displaces.

    Notes
    -----
    Every marginal figure of the frontier is this one function: the steps between its targets,
    the last point and the last :data:`LAST_SPAN` points (:func:`pareto`), as ``twin size --pareto``
    and the Green page show them (:func:`marginal_lines`).
    """
    dc = np.asarray(cost_to, dtype=float) - np.asarray(cost_from, dtype=float)
    dg = (np.asarray(green_to, dtype=float) - np.asarray(green_from, dtype=float)) * 1000.0
    with np.errstate(invalid="ignore", divide="ignore"):
        per_kwh = np.where(dg > 0.0, dc / dg, np.nan)
    return dc / np.asarray(units, dtype=float), per_kwh


def pareto(
    inp: SizingInputs,
    kind: str,
    values: np.ndarray,
    sp: SizingParams,
    should_stop: Callable[[], bool] | None = None,
) -> xr.Dataset:
    """Cost against the green target for every design of ``inp``: the Pareto frontier.

    One LP per design is built once; each target value re-solves it from the previous basis and
    is checked and corrected by the engine (:func:`size_design`). Every point is then the cheapest
    base the engine confirmed for that target among all the rounds of the design's frontier, so
    the cost never falls as the target rises. The marginal cost is the cost difference to the
    previous point per percentage point (per day for a days target); the cost of the last percent
    (day) is solved as its own point one percent (day) below the top, and the steadier average
    over the last :data:`LAST_SPAN` from the point that many below it (sized besides when it is
    not one of ``values``). Each has its cost per kWh of green energy added (:func:`step_cost`).

    The marginal cost need not rise from point to point (:func:`falling_marginal` lists where it
    falls; the table's note says so). The least cost of a linear programme is convex in its
    target's right-hand side, and the reduced LP's is (its cost rises convexly in its own target),
    but each point here is the engine's full-year cost of the LP's base at the LP target the
    correction chose: the gap between the engine's share of a base and the LP's share on the
    representative days (on the Qingyang example with cyclic days about 2 points at 80–90 %, 0 at
    95–96 %: cyclic days cannot carry energy from one day into the next, which matters more the
    higher the target; chained days carry it, but every day of a cluster takes its representative's
    weather) and the engine's cost against the LP's estimate (2.3–5.0 % above it there: the timing of the
    imports) change from base to base, and each point lands anywhere in the band above its target. With ``representative_days = 0``,
    a flat price and no demand charge the engine reproduces the LP, and the marginal cost does not
    fall (tested).

    ``should_stop``, when given, is asked before each point (and the last percent's point) is
    sized; when it answers True the frontier raises :class:`Stopped` (with the number of points
    done) and sizes no more: a caller whose answer is no longer wanted (the dashboard, when the
    user asks for another frontier) frees the CPU within one point's sizing.

    Returns
    -------
    xarray.Dataset
        Dimensions ``design`` × ``target``; every variable has ``units`` and ``long_name``.
        A point without a base is NaN, and its ``outcome`` (:data:`OUTCOMES`) says why: no base
        within the bounds meets the target, or the solver's time limit (the ``time_limit_s``
        attribute) was reached before it found one, which says nothing of the target.
        ``base_target`` is the target whose search sized a point's base
        (:func:`frontier_rows` marks a point where it is another's).
    """
    values = np.asarray(values, dtype=float)
    unit = 1.0 if kind == "days" else 0.01
    rows: list[list[dict[str, float]]] = []
    outcomes: list[list[int]] = []
    ends: list[list[tuple[float, float]]] = []
    below = float(values[-1]) - unit
    five = float(values[-1]) - LAST_SPAN * unit
    points = [float(v) for v in values] + ([below] if below >= 0 else [])
    known = np.flatnonzero(np.isclose(values, five, rtol=0.0, atol=1e-9 * unit))
    at_below, at_five = (values.size if below >= 0 else -1), (int(known[0]) if known.size else -1)
    if five >= 0 and not known.size:
        points.append(five)
        at_five = len(points) - 1
    total, done = len(points) * len(inp.cases), 0
    for i in range(len(inp.cases)):
        lp = build_lp(inp, i, kind, sp)
        pool: list[Checked] = []
        found: list[SizingResult | None] = []
        failed: list[str] = []
        for v in points:
            if should_stop is not None and should_stop():
                raise Stopped(done, total)
            try:
                found.append(size_design(inp, i, Target(kind, v), sp, lp, pool))
                failed.append("sized")
            except InfeasibleError as exc:
                found.append(None)
                failed.append("time_limit_reached" if isinstance(exc, TimeLimitError) else "infeasible")
            done += 1
        design = inp.cases[i].design
        best = [_cheapest_result(design, Target(kind, v), r, pool) for v, r in zip(points, found, strict=True)]
        rows.append([_result_values(r) if r else dict.fromkeys(_RESULT_VARS, np.nan) for r in best[: values.size]])
        outcomes.append(
            [OUTCOMES.index("sized" if r else why) for r, why in zip(best, failed, strict=True)][: values.size]
        )
        ends.append([_cost_green(best[j] if j >= 0 else None) for j in (values.size - 1, at_below, at_five)])
    ds = xr.Dataset(
        {k: (("design", "target"), np.array([[p[k] for p in row] for row in rows])) for k in _RESULT_VARS},
        coords={"design": [c.design for c in inp.cases], "target": values},
    )
    cost, green = ds["cost"].values, ds["energy_green_used"].values
    marginal = np.full((2, *cost.shape), np.nan)
    marginal[:, :, 1:] = step_cost(cost[:, :-1], cost[:, 1:], green[:, :-1], green[:, 1:], np.diff(values) / unit)
    ds["marginal_cost"] = (("design", "target"), marginal[0])
    ds["marginal_cost_per_kwh"] = (("design", "target"), marginal[1])
    e = np.asarray(ends, dtype=float).reshape(len(inp.cases), 3, 2)
    for name, j, n in (("last_unit_cost", 1, 1.0), ("last_span_cost", 2, float(LAST_SPAN))):
        per_unit, per_kwh = step_cost(e[:, j, 0], e[:, 0, 0], e[:, j, 1], e[:, 0, 1], n)
        ds[name] = ("design", per_unit)
        ds[f"{name}_per_kwh"] = ("design", per_kwh)
    ds["outcome"] = (("design", "target"), np.asarray(outcomes, dtype=np.int8))
    per = "day" if kind == "days" else "percentage point"
    span = f"{LAST_SPAN} {per}s"
    added = "per kWh of green energy used that it adds"
    table = {
        **_RESULT_VARS,
        "outcome": ("1", "what the point's sizing came to: a base, none within the bounds, the solver's time limit"),
        "marginal_cost": (
            "CNY yr-1",
            f"average annual cost per {per} over the step from the previous target (its cost / its {per}s)",
        ),
        "marginal_cost_per_kwh": ("CNY kWh-1", f"annual cost of the step from the previous target {added}"),
        "last_unit_cost": (
            "CNY yr-1",
            f"marginal annual cost of the last {per} of the highest target (from one {per} below it)",
        ),
        "last_unit_cost_per_kwh": ("CNY kWh-1", f"annual cost of the last {per} of the highest target {added}"),
        "last_span_cost": (
            "CNY yr-1",
            f"average annual cost per {per} over the last {span} of the highest target (from {span} below it)",
        ),
        "last_span_cost_per_kwh": ("CNY kWh-1", f"annual cost of the last {span} of the highest target {added}"),
    }
    ds["target"].attrs.update(
        units="d" if kind == "days" else "1",
        long_name={"hourly": "physical hourly green share target", "cfe": "24/7 CFE score target"}.get(
            kind, "annual matching target" if kind == "annual" else "24-hour green days target"
        ),
    )
    ds["design"].attrs.update(units="1", long_name="cooling design")
    ds.attrs.update(
        target_kind=kind,
        site=inp.site_key,
        check_dispatch=sp.check_dispatch,
        representative_days=sp.representative_days,
        storage_link=sp.storage_link,
        time_limit_s=float(sp.time_limit_s),
        **_choices_attrs(inp.profiles[0], kind, sp),
    )
    ds = _label(ds, table)
    ds["outcome"].attrs.update(flag_values=np.arange(len(OUTCOMES), dtype=np.int8), flag_meanings=" ".join(OUTCOMES))
    ds["marginal_cost"].attrs["comment"] = (
        "difference of the engine's full-year costs of two sized bases; with the LP on representative days it "
        "can fall from one point to the next, unlike a linear programme's marginal cost (falling_marginal)"
    )
    return ds


MARGINAL_TEXT = {
    "marginal_per_point": "point",
    "marginal_per_day": "day",
    "marginal_units_point": "points",
    "marginal_units_day": "days",
    "marginal_step": "average cost per {per} over the step",
    "marginal_step_kwh": "cost per kWh of green energy added over the step",
    "marginal_last": "marginal cost of the last {per} of the highest target ({step}): {figures}",
    "marginal_span": "average over its last {n} {units} ({step}), steadier: {figures}",
    "marginal_figure": "{design}: {cost} M CNY/yr per {per}, {kwh} CNY/kWh of green energy added",
    "marginal_noisy": (
        "one {per}'s cost is noisy: each point is a base of its own that lands anywhere in a band above its "
        "target, and the sizing on representative days is not convex"
    ),
    "marginal_said": (
        "average cost per {per} over the step = the annual cost of the step from the previous target / its {units} "
        "(over a step of several {units} their average, not the last {per}'s); CNY/kWh = that cost / the green "
        "energy used it adds: what an added green kWh costs above the grid energy it displaces (the annual cost "
        "already nets the grid bill it saves)"
    ),
}
"""The words of the frontier's marginal figures (:func:`marginal_lines`): ``twin size --pareto``'s
and the Green page's in English (the page's Chinese has the same keys)."""


def marginal_lines(ds: xr.Dataset, text: dict[str, str] | None = None, name: Callable[[str], str] = str) -> list[str]:
    """What a frontier's (:func:`pareto`) marginal figures are, in the words of ``text``
    (:data:`MARGINAL_TEXT`, or a page's translation of it), designs named by ``name``.

    The last point's cost per point and per kWh of green energy added, then the average over
    the last :data:`LAST_SPAN` points (steadier), why one point's is noisy, and what the
    per-step figures (the table's columns, the page's bars) are. A figure a frontier does not
    keep (one written before the average over the last points was kept) is left out, and a
    figure without a value is ``-``.
    """
    w = MARGINAL_TEXT if text is None else text
    kind = ds.attrs.get("target_kind", "hourly")
    unit = 1.0 if kind == "days" else 0.01
    per, units = (w[f"marginal_{k}_{'day' if kind == 'days' else 'point'}"] for k in ("per", "units"))
    top = float(ds["target"].values[-1])

    def said(cost: str, kwh: str) -> str:
        def one(v: float, places: int) -> str:
            return number(v, quantity=True, places=places) if np.isfinite(v) else "-"

        per_kwh = ds[kwh].values if kwh in ds else np.full(ds["design"].size, np.nan)
        return "; ".join(
            w["marginal_figure"].format(design=name(str(d)), cost=one(c / 1e6, 3), per=per, kwh=one(k, 2))
            for d, c, k in zip(ds["design"].values, ds[cost].values, per_kwh, strict=True)
        )

    def step(n: int) -> str:
        return f"{fmt_measure(kind, top - n * unit)} → {fmt_measure(kind, top)}"

    lines = []
    if "last_unit_cost" in ds:
        figures = said("last_unit_cost", "last_unit_cost_per_kwh")
        lines.append(w["marginal_last"].format(per=per, step=step(1), figures=figures))
    if "last_span_cost" in ds:
        figures = said("last_span_cost", "last_span_cost_per_kwh")
        lines.append(w["marginal_span"].format(n=LAST_SPAN, units=units, step=step(LAST_SPAN), figures=figures))
    lines += [w["marginal_noisy"].format(per=per), w["marginal_said"].format(per=per, units=units)]
    return lines


def _cost_green(r: SizingResult | None) -> tuple[float, float]:
    """A base's annual cost (CNY/yr) and the green energy it uses (MWh/yr); NaN for none."""
    return (r.cost, r.figures["energy_green_used"]) if r is not None else (np.nan, np.nan)


def frontier_rows(ds: xr.Dataset, credit: str = "") -> tuple[list[list[str]], list[str], str]:
    """(rows, header, note) of the frontier table: one row per design and target; ``credit``
    (:func:`clean_credit`) names in the engine's column how a ``cfe`` target credited the grid."""
    kind = ds.attrs.get("target_kind", "hourly")
    unsized = unsized_points(ds)
    rows = []
    for d in ds["design"].values:
        p = ds.sel(design=d)
        for j, t in enumerate(p["target"].values):
            q = p.isel(target=j)
            if not np.isfinite(float(q["cost"])):
                rows.append([str(d), fmt_measure(kind, float(t)), unsized[str(d)][float(t)], *["-"] * 8])
                continue
            mc = float(q["marginal_cost"])
            kwh = float(q["marginal_cost_per_kwh"]) if "marginal_cost_per_kwh" in q else np.nan
            engine = fmt_measure(kind, float(q["achieved"]))
            if "base_target" in q and _reused(float(t), float(q["base_target"])):
                engine += f" (base from the {fmt_measure(kind, float(q['base_target']))} search)"
            rows.append(
                [
                    str(d),
                    fmt_measure(kind, float(t)),
                    f"{float(q['pv_mw']):,.1f}",
                    f"{float(q['wind_mw']):,.1f}",
                    f"{float(q['storage_mw']):,.1f} / {float(q['storage_mwh']):,.1f}",
                    engine,
                    f"{float(q['cost']) / 1e6:,.2f}",
                    f"{float(q['cost_per_compute']):,.0f}",
                    f"{float(q['cost_per_mwh_it']):,.0f}",
                    "-" if not np.isfinite(mc) else f"{mc / 1e6:,.3f}",
                    "-" if not np.isfinite(kwh) else f"{kwh:,.2f}",
                ]
            )
    per = MARGINAL_TEXT["marginal_per_day" if kind == "days" else "marginal_per_point"]
    engine_col = f"engine ({credit})" if credit else "engine"
    header = ["design", "target", "PV MW", "wind MW", "storage MW / MWh", engine_col, "M CNY/yr", "CNY/MWh compute"]
    header.append("CNY/MWh IT")
    header.append(f"{MARGINAL_TEXT['marginal_step'].format(per=per)}, M CNY/yr")
    header.append(f"{MARGINAL_TEXT['marginal_step_kwh']}, CNY/kWh")
    note = "\n".join(marginal_lines(ds))
    if any(why != "infeasible" for points in unsized.values() for why in points.values()):
        note += (
            "\nwhere the solver's time limit was reached it found no base in time, which says nothing of the "
            "target: raise --time-limit or solve on fewer representative days (--rep-days)"
        )
    beyond = _beyond_band(ds)
    if beyond:
        where = "; ".join(
            f"{d} at {', '.join(f'{fmt_measure(kind, t)} ({fmt_measure(kind, a)})' for t, a in ts)}"
            for d, ts in beyond.items()
        )
        note += (
            f"\nbeyond the band ({fmt_measure(kind, band(kind)).replace(' %', ' points')}) above the target ({where}): "
            "the cost-optimal base already reaches more, or (marked 'base from') a base sized in another target's "
            "search meets this one for less than any its own search found"
        )
    falls = falling_marginal(ds)
    shared = {d: [t for t in ts if _shares_previous(ds, d, t)] for d, ts in falls.items()}
    shared = {d: ts for d, ts in shared.items() if ts}
    if shared:
        where = "; ".join(f"{d} at {', '.join(fmt_measure(kind, t) for t in ts)}" for d, ts in shared.items())
        note += (
            f"\nthe marginal cost falls to 0 ({where}): the point has the previous point's base, sized in another "
            "target's search, because no search found a cheaper one that meets the lower target"
        )
    falls = {d: [t for t in ts if not _shares_previous(ds, d, t)] for d, ts in falls.items()}
    falls = {d: ts for d, ts in falls.items() if ts}
    if falls:
        where = "; ".join(f"{d} at {', '.join(fmt_measure(kind, t) for t in ts)}" for d, ts in falls.items())
        if ds.attrs.get("representative_days", 0):
            why = (
                "each point is the engine's full-year cost of a base the LP sized on representative days, and how "
                "far the engine's share and cost of a base lie from the LP's varies from base to base (the LP's "
                "own cost is convex in its target); --rep-days 0 sizes on the full year"
            )
        else:
            why = (
                "each point is the engine's cost of the LP's base, and the engine's dispatch times the imports "
                "differently from the LP's (the LP's own cost is convex in its target); each point also lands "
                "anywhere in the band above its target"
            )
        note += f"\nthe marginal cost falls ({where}): {why}"
    return rows, header, note


def unsized_points(ds: xr.Dataset) -> dict[str, dict[float, str]]:
    """Why each point of a frontier (:func:`pareto`) has no base, by design and target:
    ``"infeasible"``, or ``"time limit (120 s) reached"`` (its ``outcome``; a frontier written
    before it had one says ``"infeasible"``, as it did then)."""
    said = {
        "infeasible": "infeasible",
        "time_limit_reached": f"time limit ({number(ds.attrs.get('time_limit_s', float('nan')))} s) reached",
    }
    out: dict[str, dict[float, str]] = {}
    for d in ds["design"].values:
        p = ds.sel(design=d)
        flags = p["outcome"].values if "outcome" in p else np.ones(p["target"].size, dtype=np.int8)
        out[str(d)] = {
            float(t): said.get(OUTCOMES[int(f)], "infeasible")
            for t, c, f in zip(p["target"].values, p["cost"].values, flags, strict=True)
            if not np.isfinite(c)
        }
    return out


def _reused(target: float, base_target: float) -> bool:
    """Whether a point's base was sized for another target (NaN: not known)."""
    return bool(np.isfinite(base_target) and abs(base_target - target) > 1e-9)


def _beyond_band(ds: xr.Dataset) -> dict[str, list[tuple[float, float]]]:
    """(target, engine's measure) of the frontier's points that land beyond :func:`band` above their target, by design."""
    kind = ds.attrs.get("target_kind", "hourly")
    out: dict[str, list[tuple[float, float]]] = {}
    for d in ds["design"].values:
        got = ds["achieved"].sel(design=d).values
        t = ds["target"].values
        over = np.isfinite(got) & (got - t > band(kind) + MEETS)
        if np.any(over):
            out[str(d)] = [(float(a), float(b)) for a, b in zip(t[over], got[over], strict=True)]
    return out


def _shares_previous(ds: xr.Dataset, design: Any, target: float) -> bool:
    """Whether the frontier's point at ``target`` has the previous point's base (one of them sized in another's search)."""
    p = ds.sel(design=design)
    j = int(np.flatnonzero(p["target"].values == target)[0])
    sizes = ("pv_mw", "wind_mw", "storage_mw", "storage_mwh", "cost")
    return j > 0 and all(float(p[k].values[j]) == float(p[k].values[j - 1]) for k in sizes)


def falling_marginal(ds: xr.Dataset) -> dict[str, list[float]]:
    """The targets of a frontier (:func:`pareto`) where the marginal cost is below the previous point's, by design.

    A linear programme's least cost is convex in its target, so its marginal cost never falls; the
    frontier's costs are the engine's full-year costs of bases the LP sized on representative days
    (:func:`size_design`), and they need not be (measured in the README). Differences within
    10⁻⁶ of the marginal cost are not counted.
    """
    out: dict[str, list[float]] = {}
    for d in ds["design"].values:
        mc = ds["marginal_cost"].sel(design=d).values
        t = ds["target"].values
        ok = np.isfinite(mc[1:]) & np.isfinite(mc[:-1])
        down = ok & (mc[1:] < mc[:-1] - 1e-6 * np.abs(mc[:-1]))
        if np.any(down):
            out[str(d)] = [float(v) for v in t[1:][down]]
    return out


# ----------------------------------------------------------------------------------------------
# Resilience: outage ride-through
# ----------------------------------------------------------------------------------------------
def outage_survival(
    green_kw: np.ndarray,
    load_kw: np.ndarray,
    soc_kwh: np.ndarray,
    storage: StorageParams,
    max_hours: int = 336,
) -> np.ndarray:
    """Hours the load rides through a grid outage starting at each hour, on renewables and storage alone.

    Parameters
    ----------
    green_kw, load_kw : numpy.ndarray, shape (time,)
        Green supply and facility load (IT + cooling + losses), kW.
    soc_kwh : numpy.ndarray, shape (time,)
        Stored energy at the end of each hour in normal operation (the engine's dispatch); an
        outage starting at hour ``s`` starts from ``soc[s − 1]`` (the last hour's for ``s = 0``:
        the engine's year is cyclic).
    storage : StorageParams
        The battery (its ``power_mw`` and ``energy_mwh`` sized).
    max_hours : int
        Longest outage followed, h.

    Returns
    -------
    numpy.ndarray of int, shape (time,)
        Hours fully supplied from each start hour (``max_hours`` = at least that long).

    Notes
    -----
    All start hours are followed at once, one step per elapsed hour (REopt's outage simulator
    question, NREL REopt documentation). During the outage the storage charges from any surplus
    and discharges whatever the deficit needs within its power and the SOC window; the daily
    cycle limit is waived (an emergency); the year wraps around. A deficit it cannot cover ends
    the ride-through (no load shedding).
    """
    nt = load_kw.size
    e = storage.energy_mwh * 1000.0 * float(fade_factor(storage.age_years, storage.duty_cycles_per_day))
    lo, hi = storage.soc_min * e, storage.soc_max * e
    p = storage.power_mw * 1000.0
    eta = float(np.sqrt(storage.round_trip_efficiency))
    keep = 1.0 - storage.self_discharge_per_h
    start = np.arange(nt)
    soc = np.roll(np.asarray(soc_kwh, dtype=float), 1)
    alive = np.ones(nt, dtype=bool)
    hours = np.zeros(nt, dtype=int)
    for k in range(max_hours):
        t = (start + k) % nt
        net = green_kw[t] - load_kw[t]
        s = lo + (soc - lo) * keep
        c = np.clip(np.minimum(np.minimum(net, p), (hi - s) / eta), 0.0, None)
        need = np.clip(-net, 0.0, None)
        ok = need <= np.minimum(p, (s - lo) * eta) * (1.0 + 1e-9) + 1e-9
        alive &= ok
        hours += alive
        soc = np.where(alive, s + eta * c - need / eta, soc)
        if not alive.any():
            break
    return hours


def resilience(inp: SizingInputs, r: SizingResult, i: int, max_hours: int = 336) -> np.ndarray:
    """:func:`outage_survival` of a sized base with the engine's hourly dispatch."""
    case = _case_with(inp.cases[i], r.base)
    h = r.hourly
    load = inp.unit["p_facility"].isel(case=i).to_numpy()
    return outage_survival(np.asarray(h["p_green"]), load, np.asarray(h["soc"]) * 1000.0, case.storage, max_hours)


def resilience_rows(
    inp: SizingInputs, results: list[SizingResult], max_hours: int = 336
) -> tuple[list[list[str]], list[str], str]:
    """(rows, header, note): ride-through statistics of each sized base over all start hours."""
    rows = []
    for i, r in enumerate(results):
        h = resilience(inp, r, i, max_hours)
        rows.append(
            [
                r.design,
                f"{np.min(h)}",
                f"{np.median(h):.0f}",
                f"{np.mean(h):.1f}",
                *(f"{np.mean(h >= d):.0%}" for d in (4, 12, 24, 72)),
            ]
        )
    header = ["design", "min h", "median h", "mean h", "≥ 4 h", "≥ 12 h", "≥ 24 h", "≥ 72 h"]
    note = (
        f"grid outage starting at each of the {inp.time.size} hours: hours the facility (IT + cooling) runs on "
        f"renewables and storage alone (followed up to {max_hours} h; share of start hours that last at least …)"
    )
    return rows, header, note
