"""Annual KPIs as a function of the hourly Dataset, so they can never disagree with it.

Definitions (keys of docs/references.md: ISO30134, ASHRAE904, GB40879, GoogleCFE2021):

* PUE (ISO/IEC 30134-2) = annual facility energy / annual IT energy — energy-weighted, never
  the mean of hourly PUE; overhead share = annual non-IT energy (cooling + electrical-chain
  losses + miscellaneous) / annual facility energy, which equals 1 − 1/PUE (7.4 % at PUE 1.08)
  but is computed from the non-IT sums themselves: 1 − 1/PUE would amplify the rounding of
  the facility and IT sums by 1/(PUE − 1).
* pPUE of cooling = (IT + cooling energy) / IT energy.
* WUE (ISO/IEC 30134-9) = site water (L) / IT energy (kWh).
* ASHRAE 90.4: MLC = cooling energy / IT energy; ELC = electrical-chain losses / IT energy.
* ERF (ISO/IEC 30134-6) = heat reused / annual facility energy (:mod:`twin.building.heat_reuse`).
* Fluid loss: kg of immersion fluid lost, its CO2e (GWP100 × kg, t) and make-up cost (CNY) —
  reported apart from the grid's CO2 and from CUE (ISO/IEC 30134-8 counts the energy's CO2 only).
* Cost per unit of compute = annual electricity cost (``cost_total``: grid, PPA, green-plant
  annuity) / compute delivered (nominal-server MWh): the figure to rank designs by. Cost per
  MWh IT divides by IT energy instead, and IT energy counts the servers' own fans and chip
  leakage (PUE's IT energy is what the IT equipment draws, its fans included: TheGreenGrid2012;
  fans are IT-side overhead in ITUE, Patterson2013), so a liquid design that removes the fans
  and cools the chips delivers the same compute from less IT energy and spreads the fixed
  green-plant annuity over fewer IT MWh: its cost per MWh IT can be higher while its total
  cost is lower.
* GB 40879-2021 grades by PUE: 1 ≤ 1.20, 2 ≤ 1.30, 3 ≤ 1.50 (thresholds commonly cited,
  unverified against the standard text; data in :data:`GB40879_THRESHOLDS`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np

from twin.core.io import local_time
from twin.core.variables import attrs, build_dataset
from twin.money.economics import annual_cost, demand_cost, emissions_t
from weather.dataset import calendar_starts

if TYPE_CHECKING:
    import xarray as xr


__all__ = [
    "FACILITY_PER_CASE_NEEDS",
    "GB40879_THRESHOLDS",
    "HEAT_NEEDS",
    "annual_sum",
    "calendar_starts",
    "gb40879_grade",
    "green_fraction_stored",
    "kpi_figures",
    "kpis",
]

GB40879_THRESHOLDS = ((1, 1.20), (2, 1.30), (3, 1.50))
"""(grade, maximum PUE); status: commonly cited, unverified against GB 40879-2021's text."""

UPTIME_GLOBAL_PUE_2024 = 1.56
"""Uptime Institute global average PUE, 2024 survey (Uptime2024)."""


def _constant(a: np.ndarray) -> bool:
    """True for an array that is a broadcast view of a single value (all strides 0)."""
    return isinstance(a, np.ndarray) and a.ndim > 0 and a.size > 0 and not any(a.strides)


def _one_row(a: np.ndarray) -> np.ndarray:
    """A (case, time) array's first row alone when every case has the same row (a broadcast
    view: stride 0 along the cases), else the array: what is reduced per case is then reduced
    once and broadcast, bit for bit the same."""
    if isinstance(a, np.ndarray) and a.ndim == 2 and a.shape[0] > 1 and a.strides[0] == 0:
        return a[:1]
    return a


def gb40879_grade(pue: np.ndarray) -> np.ndarray:
    """GB 40879 energy-efficiency grade for a PUE (1 best, 3 the limit; 0 = fails grade 3)."""
    pue = np.asarray(pue, dtype=float)
    grade = np.zeros(pue.shape, dtype=int)
    for g, limit in reversed(GB40879_THRESHOLDS):
        grade = np.where(pue <= limit, g, grade)
    return grade


FACILITY_SUMS = (
    "p_facility",
    "p_it",
    "p_cooling",
    "p_ups_loss",
    "p_dist_loss",
    "p_transformer_loss",
    "p_misc",
    "compute",
    "water",
    "out_of_envelope",
    "pue",
)
"""What a compiled kernel sums over the year (:mod:`twin.engine.kernels`): annual kWh, L of
water, hours out of envelope and, for ``pue``, the highest hourly PUE."""
GRID_SUMS = ("import_price", "load_clean", "islanded_hours", "green_days_24h")
"""What a compiled kernel sums for a block without green supply (the grid import is then the
facility power): Σ p·price (CNY), Σ p·clean share (kWh), hours with no grid import, days
without any; with them ``peaks`` (case, month), each month's highest facility power (kW)."""
HEAT_NEEDS = ("q_recoverable", "q_heat_demand", "q_reused", "fluid_loss", "fluid_co2e", "fluid_cost")
"""Heat reuse and the immersion fluid's loss: hourly kW (kg/h, kg CO2e/h, CNY/h for the fluid)."""
HOURLY_NEEDS = (*FACILITY_SUMS, *HEAT_NEEDS)
GREEN_HOURLY_NEEDS = (
    "p_pv",
    "p_wind",
    "p_green",
    "p_green_direct",
    "p_charge",
    "p_discharge",
    "p_grid_charge",
    "p_grid_import",
    "p_surplus",
    "price",
    "grid_clean_share",
)
FACILITY_PER_CASE_NEEDS = ("server_capex_annual",)
"""(case,) figures of the facility itself (:func:`twin.engine.simulate.server_capex`): the KPI
``cost_servers`` is added when ``per_case`` holds them."""
GREEN_PER_CASE_NEEDS = (
    "capex_annual",
    "ppa_price",
    "export_contract",
    "export_price",
    "demand_charge",
    "green_subsidy_pct",
    "grid_co2",
    "other_spend",
    "storage_energy_mwh",
    "storage_deficit",
    "pv_capacity_mw",
    "wind_capacity_mw",
)


def annual_sum(a: np.ndarray, dt_h: float = 1.0) -> np.ndarray:
    """The year's sum of hourly values along the last axis (one value per case), times the step ``dt_h`` h.

    numpy's pairwise sum; a broadcast view of one value (e.g. no green plant) needs no pass.
    """
    if _constant(a):
        return np.full(np.shape(a)[:-1], a.flat[0] * np.shape(a)[-1] * dt_h)
    return np.broadcast_to(np.sum(_one_row(a), axis=-1) * dt_h, np.shape(a)[:-1]).copy()


def green_fraction_stored(charged_kwh, grid_charged_kwh, deficit_kwh) -> np.ndarray:
    """The green fraction of the energy a store discharges over a cyclic year, 0…1.

    Parameters
    ----------
    charged_kwh, grid_charged_kwh : array_like
        The year's energy put into the store, all of it and the part from the grid, kWh.
    deficit_kwh : array_like
        What the store ends the year below its start, bought from the grid (``storage_deficit``), kWh.

    Notes
    -----
    ``f_g = (Σ charge − Σ grid charge) / (Σ charge + deficit)``: the year is cyclic, so every kWh
    discharged was charged in the same year, and the stored energy is a mix of its sources
    (no tracking of which kWh leaves when). 0 for a store that takes in nothing.
    """
    into_store = np.asarray(charged_kwh, dtype=float) + deficit_kwh
    has_store = into_store > 0
    f = np.where(has_store, (np.asarray(charged_kwh) - grid_charged_kwh) / np.where(has_store, into_store, 1.0), 0.0)
    return np.clip(f, 0.0, 1.0)


def annual_figures(
    hourly: dict[str, np.ndarray],
    per_case: dict[str, np.ndarray],
    time: np.ndarray,
    sums: dict[str, np.ndarray] | None = None,
) -> dict[str, np.ndarray]:
    """The annual KPIs of every case from its hourly arrays: the one place they are defined.

    Parameters
    ----------
    hourly : dict
        (case, time) arrays, kW (or L/h, flags), at least :data:`HOURLY_NEEDS`; with
        :data:`GREEN_HOURLY_NEEDS` too, the green-power KPIs are added.
    per_case : dict
        (case,) arrays of :data:`GREEN_PER_CASE_NEEDS` (with the green KPIs) and of
        :data:`FACILITY_PER_CASE_NEEDS` (with ``cost_servers``).
    time : numpy.ndarray
        The hourly time axis (day and month boundaries).
    sums : dict, optional
        The year's sums of :data:`FACILITY_SUMS` (kWh; L of water; hours out of envelope; the
        highest hourly PUE under ``pue``) when a compiled kernel has already taken them
        (:mod:`twin.engine.kernels`); ``hourly`` then needs only what the green KPIs read. Any
        of :data:`HEAT_NEEDS` given here as its :func:`annual_sum` is read from here instead
        of ``hourly``.

    Returns
    -------
    dict of (case,) arrays
        See :func:`kpis` for the names, units and definitions.

    Notes
    -----
    Sums run over the full year and propagate NaN: an hourly NaN is a defect to show, not a
    value to skip. ``overhead_share`` = (E_cooling + E_losses + E_misc) / E_facility, the
    non-IT share of the facility energy (= 1 − 1/PUE by the energy balance, better
    conditioned: the same formula whether the sums come from numpy or from a kernel).
    """
    dt_h = 1.0

    def annual(a: np.ndarray) -> np.ndarray:
        return annual_sum(a, dt_h)

    if sums is None:
        sums = {k: annual(hourly[k]) for k in (*HOURLY_NEEDS[:8], "water")}
        sums["out_of_envelope"] = np.sum(hourly["out_of_envelope"], axis=-1)
        sums["pue"] = np.max(hourly["pue"], axis=-1)
    e = {k: sums[k] / 1000.0 for k in HOURLY_NEEDS[:8]}
    heat = {k: sums[k] if k in sums else annual(hourly[k]) for k in HEAT_NEEDS}
    losses = e["p_ups_loss"] + e["p_dist_loss"] + e["p_transformer_loss"]
    non_it = e["p_cooling"] + losses + e["p_misc"]
    water = sums["water"]
    pue = e["p_facility"] / e["p_it"]
    out = {
        "energy_facility": e["p_facility"],
        "energy_it": e["p_it"],
        "energy_cooling": e["p_cooling"],
        "energy_electrical_losses": losses,
        "compute_delivered": e["compute"],
        "pue": pue,
        "overhead_share": non_it / e["p_facility"],
        "ppue_cooling": (e["p_it"] + e["p_cooling"]) / e["p_it"],
        "mlc": e["p_cooling"] / e["p_it"],
        "elc": losses / e["p_it"],
        "wue": water / (e["p_it"] * 1000.0),
        "water_m3": water / 1000.0,
        "hours_out_of_envelope": np.asarray(sums["out_of_envelope"]).astype(np.int64),
        "pue_max_hourly": sums["pue"],
        "energy_per_compute": _per_unit(e["p_facility"], e["compute"]),
        "energy_heat_recoverable": heat["q_recoverable"] / 1000.0,
        "energy_heat_demand": heat["q_heat_demand"] / 1000.0,
        "energy_reused": heat["q_reused"] / 1000.0,
        "erf": heat["q_reused"] / 1000.0 / e["p_facility"],
        "fluid_lost_kg": heat["fluid_loss"],
        "co2e_fluid_t": heat["fluid_co2e"] / 1000.0,
        "cost_fluid_makeup": heat["fluid_cost"],
    }
    if "server_capex_annual" in per_case:
        out["cost_servers"] = np.asarray(per_case["server_capex_annual"], dtype=float)
    if all(k in hourly for k in GREEN_HOURLY_NEEDS):
        grid = sums if "import_price" in sums else None
        out.update(_green_figures(hourly, per_case, time, e["p_facility"], e["p_it"], e["compute"], annual, grid))
    return out


def _per_unit(value: np.ndarray, units: np.ndarray) -> np.ndarray:
    """``value / units``, NaN where ``units`` is 0 (a cost per unit of compute with no compute
    delivered, utilisation 0, is undefined: not infinite, and ranks nothing)."""
    some = np.asarray(units) > 0
    return np.where(some, value / np.where(some, units, 1.0), np.nan)


def _green_figures(h, pc, time, e_load, e_it, e_compute, annual, grid=None) -> dict[str, np.ndarray]:
    """Green shares, islanding, cost and carbon (energies in MWh, money in CNY).

    Storage: the year is cyclic (:mod:`twin.supply.storage`), so every kWh discharged was charged
    in the same year; what a battery still ends below its start (``storage_deficit``) is
    bought from the grid. The stored energy's green fraction is ``f_g = Σ charge from green /
    (Σ charge + deficit)``, its clean fraction ``f_c`` counts grid charging (and the deficit)
    at the grid's clean share.

    * **physical hourly green share** (the headline): ``Σ_t min(green_direct_t + f_g
      discharge_t, load_t) / Σ load`` — green energy consumed in the hour it is generated or
      through storage. Curtailed and exported energy never count.
    * **annual matching**: ``min(green consumed + exported, Σ load) / Σ load`` where exported
      energy counts only under an export or certificate contract (``economics.export_contract``);
      without one it equals the hourly share, with one it is ≥ it. (Not the REF of ISO/IEC
      30134-3, which counts all renewable energy bought, wherever it goes.)
    * **24/7 CFE score** (GoogleCFE2021;
      Riepin & Brown, PyPSA 24/7 CFE study, 2022/2024): ``Σ_t min(green_direct_t + f_c
      discharge_t + s_t (grid_import_t − grid_charge_t), load_t) / Σ load`` with ``s_t`` the
      grid's clean share in that hour (``[grid] clean_share`` of the site); 100 % with a fully
      clean grid.
    * curtailed energy = surplus not exported; reported, never green.
    * islanded hours: no grid import (grid-forming operation on green + storage);
      24-hour-green days: days without any grid import.
    * cost: :func:`twin.money.economics.annual_cost`; CO2 = (grid import + deficit) × the site's grid
      factor; CUE = kg CO2 per IT kWh (ISO/IEC 30134-8: the energy's CO2; the immersion fluid's
      CO2e is ``co2e_fluid_t``, not in CUE).
    """
    imp, price, s = h["p_grid_import"], h["price"], h["grid_clean_share"]
    nt = np.size(time)
    e_charge = annual(h["p_charge"])
    e_grid_charge = annual(h["p_grid_charge"])
    deficit = pc["storage_deficit"] * 1000.0  # kWh
    into_store = e_charge + deficit
    has_store = into_store > 0
    safe = np.where(has_store, into_store, 1.0)
    if _constant(h["p_grid_charge"]) and h["p_grid_charge"].flat[0] == 0.0:
        grid_charge_clean = np.zeros_like(e_charge)
    else:
        grid_charge_clean = annual(h["p_grid_charge"] * s)
    deficit_clean = deficit * _mean_last_axis(s)
    f_clean = np.where(has_store, (e_charge - e_grid_charge + grid_charge_clean + deficit_clean) / safe, 0.0)
    f_green, f_clean = green_fraction_stored(e_charge, e_grid_charge, deficit), np.clip(f_clean, 0.0, 1.0)
    no_supply = _constant(h["p_green_direct"]) and _constant(h["p_discharge"])
    no_supply = no_supply and h["p_green_direct"].flat[0] == 0.0 and h["p_discharge"].flat[0] == 0.0
    # The grid's figures: sums over the hours, from the hourly import or (no green supply: the
    # import is the facility power) as a compiled kernel took them (GRID_SUMS).
    months, days = calendar_starts(time, "month"), calendar_starts(time, "day")
    if grid is not None:
        if not no_supply:
            raise ValueError("annual_figures: grid sums are the import's only without green supply")
        e_imp, load_clean = grid["p_facility"], grid["load_clean"]
        imp_price = e_imp * price.flat[0] if _constant(price) else grid["import_price"]
        peaks = grid["peaks"]
        demand = demand_cost(peaks, np.arange(np.shape(peaks)[-1]), pc["demand_charge"])
        islanded = np.asarray(grid["islanded_hours"]).astype(np.int64)
        green_days = np.asarray(grid["green_days_24h"]).astype(np.int64)
    else:
        load = h["p_facility"]
        e_imp = annual(imp)
        imp_price = e_imp * price.flat[0] if _constant(price) else annual(imp * price)
        load_clean = None if _constant(s) or not no_supply else annual(load * s)
        demand = demand_cost(imp, months, pc["demand_charge"])
        no_import = imp <= 1e-6 * load
        islanded = np.sum(no_import, axis=-1)
        green_days = np.minimum.reduceat(no_import, days, axis=-1).sum(axis=-1)
    if no_supply:  # all from the grid (no pass over the hours where the clean share is one number)
        green_used = np.zeros(np.shape(e_load))
        cfe = np.full(np.shape(e_load), s.flat[0]) if _constant(s) else load_clean / 1000.0 / e_load
    else:
        green_used = annual(np.minimum(h["p_green_direct"] + h["p_discharge"] * f_green[..., None], load))
        from_grid = imp - h["p_grid_charge"]
        cfe_supply = h["p_green_direct"] + h["p_discharge"] * f_clean[..., None] + from_grid * s
        cfe = annual(np.minimum(cfe_supply, load)) / 1000.0 / e_load
    hourly_share = green_used / 1000.0 / e_load
    e_surplus = annual(h["p_surplus"])
    exported = e_surplus * (pc["export_contract"] > 0)
    annual_share = np.minimum(green_used + exported, e_load * 1000.0) / 1000.0 / e_load
    e_import = (e_imp + deficit) / 1000.0
    energy_cost = imp_price + deficit * _mean_last_axis(price)
    money = annual_cost(
        energy_cost=energy_cost,
        demand=demand,
        green_taken_kwh=annual(h["p_green_direct"]) + e_charge - e_grid_charge,
        ppa_price=pc["ppa_price"],
        capex_annual=pc["capex_annual"],
        exported_kwh=exported,
        export_price=pc["export_price"],
        green_share=hourly_share,
        subsidy_pct=pc["green_subsidy_pct"],
    )
    cost = money["cost_total"]
    co2 = emissions_t(e_import, pc["grid_co2"])
    with np.errstate(invalid="ignore", divide="ignore"):
        spend_share = np.where(pc["other_spend"] > 0, cost / (cost + pc["other_spend"]), np.nan)
        cf_pv = np.where(pc["pv_capacity_mw"] > 0, annual(h["p_pv"]) / (pc["pv_capacity_mw"] * 1000.0 * nt), np.nan)
        cf_wind = np.where(
            pc["wind_capacity_mw"] > 0, annual(h["p_wind"]) / (pc["wind_capacity_mw"] * 1000.0 * nt), np.nan
        )
    return {
        "energy_green": annual(h["p_green"]) / 1000.0,
        "energy_green_used": green_used / 1000.0,
        "energy_grid_import": e_import,
        "energy_surplus": e_surplus / 1000.0,
        "energy_exported": exported / 1000.0,
        "energy_curtailed": (e_surplus - exported) / 1000.0,
        "energy_storage_deficit": deficit / 1000.0,
        "green_share_annual": annual_share,
        "green_share_hourly": hourly_share,
        "cfe_score": cfe,
        "pv_capacity_factor": cf_pv,
        "wind_capacity_factor": cf_wind,
        "islanded_hours": islanded,
        "green_days_24h": green_days,
        "storage_cycles_per_day": annual(h["p_discharge"])
        / 1000.0
        / np.maximum(pc["storage_energy_mwh"], 1e-9)
        / (nt / 24.0),
        **money,
        "cost_per_mwh_it": cost / e_it,
        "cost_per_compute": _per_unit(cost, e_compute),
        "electricity_share_of_spend": spend_share,
        "co2": co2,
        "cue": co2 * 1000.0 / (e_it * 1000.0),
    }


def _hours(a: np.ndarray) -> int:
    return int(np.shape(a)[-1])


def _mean_last_axis(a: np.ndarray) -> np.ndarray:
    if _constant(a):
        return np.full(np.shape(a)[:-1], a.flat[0])
    return np.broadcast_to(np.mean(_one_row(a), axis=-1), np.shape(a)[:-1]).copy()


POLICY_ATTR = "policy_pue_limit_"
"""Prefix of the Dataset attributes that carry each site's policy PUE limit (NaN: none)."""


def policy_attrs(limits: Mapping[str, float | None]) -> dict[str, float]:
    """Dataset attributes holding the policy PUE limit of each site key."""
    return {f"{POLICY_ATTR}{k}": float("nan") if v is None else float(v) for k, v in limits.items()}


def kpi_figures(
    figures: dict[str, np.ndarray], site_keys: list[str], limits: Mapping[str, float | None] | None = None
) -> dict[str, np.ndarray]:
    """:func:`annual_figures` with the policy grade and limits added: the KPIs as numpy arrays.

    ``limits`` maps each site key to its policy PUE limit (None or absent: no limit).
    """
    out = dict(figures)
    out["gb40879_grade"] = gb40879_grade(out["pue"])
    limit_of = dict(limits or {})
    lim = np.array([np.nan if limit_of.get(k) is None else limit_of[k] for k in site_keys]).reshape(
        np.shape(out["pue"])
    )
    out["policy_pue_limit"] = lim
    out["meets_policy"] = (out["pue"] <= lim) | np.isnan(lim)
    return {k: np.asarray(v) for k, v in out.items()}


def kpi_dataset(
    figures: dict[str, np.ndarray],
    coords: dict,
    site_keys: list[str],
    dims: tuple[str, ...],
    limits: Mapping[str, float | None] | None = None,
) -> xr.Dataset:
    """The KPI Dataset of :func:`kpi_figures`, every variable labelled."""
    import xarray as xr

    arrays = kpi_figures(figures, site_keys, limits)
    # plain numbers need none of xarray's conversions (fastpath); anything else gets them
    return build_dataset(
        {k: xr.Variable(dims, a, attrs(k, kpi=True), fastpath=a.dtype.kind in "biuf") for k, a in arrays.items()},
        coords,
    )


def kpis(ds: xr.Dataset) -> xr.Dataset:
    """Annual figures per case from an hourly Dataset of :func:`twin.simulate`, or of its
    NetCDF file read back (its time is put back in local standard time: :func:`twin.core.io.local_time`).

    Returns
    -------
    xarray.Dataset
        Per case: energies (MWh), ``pue`` (energy-weighted), ``overhead_share``,
        ``ppue_cooling``, ``wue`` (L/kWh), ``mlc``, ``elc``, ``hours_out_of_envelope``,
        ``water_m3``, ``pue_max_hourly``, ``gb40879_grade``, ``policy_pue_limit`` and
        ``meets_policy``; with the green-power base also the green shares, islanded hours,
        24-hour-green days, storage cycles, cost, CO2 and CUE (units and names:
        :data:`twin.core.variables.KPI_REGISTRY`).
        Formulas: :func:`annual_figures`.
    """
    ds = local_time(ds)
    green = all(k in ds for k in GREEN_HOURLY_NEEDS + GREEN_PER_CASE_NEEDS)
    names = HOURLY_NEEDS + (GREEN_HOURLY_NEEDS if green else ())
    hourly = {k: np.asarray(ds[k].transpose(..., "time").data) for k in names}
    per_case = {k: np.asarray(ds[k].data) for k in GREEN_PER_CASE_NEEDS} if green else {}
    per_case.update({k: np.asarray(ds[k].data) for k in FACILITY_PER_CASE_NEEDS if k in ds})
    figures = annual_figures(hourly, per_case, ds["time"].to_numpy())
    dims = tuple(str(d) for d in ds["p_facility"].dims if d != "time")
    coords = {k: v for k, v in ds.coords.items() if "time" not in v.dims}
    limits = {k[len(POLICY_ATTR) :]: v for k, v in ds.attrs.items() if k.startswith(POLICY_ATTR)}
    limits = {k: None if np.isnan(v) else float(v) for k, v in limits.items()}
    return kpi_dataset(figures, coords, [str(s) for s in np.atleast_1d(ds["site"].values)], dims, limits)
