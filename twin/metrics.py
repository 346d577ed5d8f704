"""Annual KPIs as a function of the hourly Dataset, so they can never disagree with it.

Definitions (keys of docs/references.md: ISO30134, ASHRAE904, GB40879, GoogleCFE2021):

* PUE (ISO/IEC 30134-2) = annual facility energy / annual IT energy — energy-weighted, never
  the mean of hourly PUE; overhead share = 1 − 1/PUE (7.4 % at PUE 1.08).
* pPUE of cooling = (IT + cooling energy) / IT energy.
* WUE (ISO/IEC 30134-9) = site water (L) / IT energy (kWh).
* ASHRAE 90.4: MLC = cooling energy / IT energy; ELC = electrical-chain losses / IT energy.
* GB 40879-2021 grades by PUE: 1 ≤ 1.20, 2 ≤ 1.30, 3 ≤ 1.50 (thresholds commonly cited,
  unverified against the standard text; data in :data:`GB40879_THRESHOLDS`).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import xarray as xr

import sites
from twin.variables import annotate

__all__ = ["GB40879_THRESHOLDS", "gb40879_grade", "kpis"]

GB40879_THRESHOLDS = ((1, 1.20), (2, 1.30), (3, 1.50))
"""(grade, maximum PUE); status: commonly cited, unverified against GB 40879-2021's text."""

UPTIME_GLOBAL_PUE_2024 = 1.56
"""Uptime Institute global average PUE, 2024 survey (Uptime2024)."""


def _constant(a: np.ndarray) -> bool:
    """True for an array that is a broadcast view of a single value (all strides 0)."""
    return isinstance(a, np.ndarray) and a.ndim > 0 and a.size > 0 and not any(a.strides)


def _calendar_starts(time: np.ndarray, period: str) -> np.ndarray:
    """Indices where each calendar day or month of an hourly time axis starts."""
    key = np.asarray(time).astype("datetime64[D]" if period == "day" else "datetime64[M]")
    return np.flatnonzero(np.r_[True, key[1:] != key[:-1]])


def gb40879_grade(pue: np.ndarray) -> np.ndarray:
    """GB 40879 energy-efficiency grade for a PUE (1 best, 3 the limit; 0 = fails grade 3)."""
    pue = np.asarray(pue, dtype=float)
    grade = np.zeros(pue.shape, dtype=int)
    for g, limit in reversed(GB40879_THRESHOLDS):
        grade = np.where(pue <= limit, g, grade)
    return grade


HOURLY_NEEDS = (
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
GREEN_HOURLY_NEEDS = (
    "p_green",
    "p_green_direct",
    "p_discharge",
    "p_grid_charge",
    "p_grid_import",
    "p_surplus",
    "price",
)
GREEN_PER_CASE_NEEDS = (
    "capex_annual",
    "ppa_price",
    "export_price",
    "demand_charge",
    "green_subsidy_pct",
    "grid_co2",
    "other_spend",
    "storage_energy_mwh",
)


def annual_figures(
    hourly: dict[str, np.ndarray], per_case: dict[str, np.ndarray], time: np.ndarray
) -> dict[str, np.ndarray]:
    """The annual KPIs of every case from its hourly arrays: the one place they are defined.

    Parameters
    ----------
    hourly : dict
        (case, time) arrays, kW (or L/h, flags), at least :data:`HOURLY_NEEDS`; with
        :data:`GREEN_HOURLY_NEEDS` too, the green-power KPIs are added.
    per_case : dict
        (case,) arrays of :data:`GREEN_PER_CASE_NEEDS` (with the green KPIs).
    time : numpy.ndarray
        The hourly time axis (day and month boundaries).

    Returns
    -------
    dict of (case,) arrays
        See :func:`kpis` for the names, units and definitions.

    Notes
    -----
    Sums run over the full year and propagate NaN: an hourly NaN is a defect to show, not a
    value to skip.
    """
    dt_h = 1.0

    def annual(a: np.ndarray) -> np.ndarray:
        if _constant(a):  # a broadcast view of one value (e.g. no green plant): no pass needed
            return np.full(np.shape(a)[:-1], a.flat[0] * np.shape(a)[-1] * dt_h)
        return np.sum(a, axis=-1) * dt_h

    e = {k: annual(hourly[k]) / 1000.0 for k in HOURLY_NEEDS[:8]}
    losses = e["p_ups_loss"] + e["p_dist_loss"] + e["p_transformer_loss"]
    water = annual(hourly["water"])
    pue = e["p_facility"] / e["p_it"]
    out = {
        "energy_facility": e["p_facility"],
        "energy_it": e["p_it"],
        "energy_cooling": e["p_cooling"],
        "energy_electrical_losses": losses,
        "compute_delivered": e["compute"],
        "pue": pue,
        "overhead_share": 1.0 - 1.0 / pue,
        "ppue_cooling": (e["p_it"] + e["p_cooling"]) / e["p_it"],
        "mlc": e["p_cooling"] / e["p_it"],
        "elc": losses / e["p_it"],
        "wue": water / (e["p_it"] * 1000.0),
        "water_m3": water / 1000.0,
        "hours_out_of_envelope": np.sum(hourly["out_of_envelope"], axis=-1),
        "pue_max_hourly": np.max(hourly["pue"], axis=-1),
        "energy_per_compute": e["p_facility"] / e["compute"],
    }
    if all(k in hourly for k in GREEN_HOURLY_NEEDS):
        out.update(_green_figures(hourly, per_case, time, e["p_facility"], e["p_it"], annual))
    return out


def _green_figures(h, pc, time, e_load, e_it, annual) -> dict[str, np.ndarray]:
    """Green share both ways, islanding, cost and carbon (energies in MWh, money in CNY).

    * annual matching (REF-style): min(Σ green, Σ load) / Σ load;
    * hourly carbon-free-energy score: Σ_t min(clean supply_t, load_t) / Σ load, with clean
      supply = green used directly + storage discharge charged from green (grid-charged
      energy is not clean). Always ≤ the annual matching;
    * islanded hours: no grid import (grid-forming operation on green + storage);
      24-hour-green days: days without any grid import;
    * cost: Σ import × price + monthly peak import × demand charge + green PPA energy × PPA price
      + annualised green capex/O&M − surplus × export price − subsidy; the subsidy (Karamay's
      15 %, Karamay2025) is read as that share of the electricity cost of the green-powered part of
      the load (interpretation; stated in the README);
    * CO2: grid import × the site's grid factor; CUE = kg CO2 per IT kWh.
    """
    load, imp, price = h["p_facility"], h["p_grid_import"], h["price"]
    e_discharge = annual(h["p_discharge"])
    share = 1.0 - annual(h["p_grid_charge"]) / np.maximum(e_discharge, 1e-9) * (e_discharge > 0)
    if _constant(h["p_green_direct"]) and _constant(h["p_discharge"]):  # no green supply: no pass
        clean = np.broadcast_to(h["p_green_direct"].flat[0] + h["p_discharge"].flat[0], np.shape(load))
    else:
        clean = h["p_green_direct"] + h["p_discharge"] * np.clip(share, 0.0, 1.0)[..., None]
    e_green = annual(h["p_green"]) / 1000.0
    cfe = (annual(clean) if _constant(clean) and clean.flat[0] == 0.0 else annual(np.minimum(clean, load))) / 1000.0
    cfe = cfe / e_load
    no_import = imp <= 1e-6 * load
    e_import = annual(imp) / 1000.0
    energy_cost = annual(imp) * price.flat[0] if _constant(price) else annual(imp * price)
    months, days = _calendar_starts(time, "month"), _calendar_starts(time, "day")
    demand = np.maximum.reduceat(imp, months, axis=-1).sum(axis=-1) * pc["demand_charge"]
    ppa = annual(clean) * pc["ppa_price"]
    e_surplus = annual(h["p_surplus"])
    before = energy_cost + demand + ppa + pc["capex_annual"] - e_surplus * pc["export_price"]
    subsidy = before * cfe * pc["green_subsidy_pct"] / 100.0
    cost = before - subsidy
    co2 = e_import * pc["grid_co2"]  # t
    with np.errstate(invalid="ignore", divide="ignore"):
        spend_share = np.where(pc["other_spend"] > 0, cost / (cost + pc["other_spend"]), np.nan)
    return {
        "energy_green": e_green,
        "energy_grid_import": e_import,
        "energy_surplus": e_surplus / 1000.0,
        "green_share_annual": np.minimum(e_green, e_load) / e_load,
        "green_share_hourly": cfe,
        "islanded_hours": np.sum(no_import, axis=-1),
        "green_days_24h": np.minimum.reduceat(no_import, days, axis=-1).sum(axis=-1),
        "storage_cycles_per_day": e_discharge
        / 1000.0
        / np.maximum(pc["storage_energy_mwh"], 1e-9)
        / (np.shape(load)[-1] / 24.0),
        "cost_total": cost,
        "cost_per_mwh_it": cost / e_it,
        "green_subsidy": subsidy,
        "electricity_share_of_spend": spend_share,
        "co2": co2,
        "cue": co2 * 1000.0 / (e_it * 1000.0),
    }


POLICY_ATTR = "policy_pue_limit_"
"""Prefix of the hourly Dataset's attributes holding each site's policy PUE limit (NaN: none)."""


def kpi_dataset(
    figures: dict[str, np.ndarray],
    coords: dict,
    site_keys: list[str],
    dims: tuple[str, ...],
    limits: Mapping[str, float | None] | None = None,
) -> xr.Dataset:
    """The KPI Dataset from :func:`annual_figures`: policy grade and limits added, every variable labelled.

    ``limits`` maps each site key to its policy PUE limit (``None``: no limit); a site missing
    from it is looked up in the built-in library.
    """
    out = dict(figures)
    out["gb40879_grade"] = gb40879_grade(out["pue"])
    limits = dict(limits or {})
    limit_of = {k: limits[k] if k in limits else sites.load(k).policy.pue_limit for k in set(site_keys)}
    lim = np.array([np.nan if limit_of[k] is None else limit_of[k] for k in site_keys]).reshape(np.shape(out["pue"]))
    out["policy_pue_limit"] = lim
    out["meets_policy"] = (out["pue"] <= lim) | np.isnan(lim)
    ds = xr.Dataset({k: (dims, np.asarray(v)) for k, v in out.items()}, coords=coords)
    return annotate(ds, kpi=True)


def kpis(ds: xr.Dataset) -> xr.Dataset:
    """Annual figures per case from an hourly Dataset of :func:`twin.simulate`.

    Returns
    -------
    xarray.Dataset
        Per case: energies (MWh), ``pue`` (energy-weighted), ``overhead_share``,
        ``ppue_cooling``, ``wue`` (L/kWh), ``mlc``, ``elc``, ``hours_out_of_envelope``,
        ``water_m3``, ``pue_max_hourly``, ``gb40879_grade``, ``policy_pue_limit`` and
        ``meets_policy``; with the green-power base also the green shares, islanded hours,
        24-hour-green days, storage cycles, cost, CO2 and CUE (units and names:
        :data:`twin.variables.KPI_REGISTRY`).
        Formulas: :func:`annual_figures`.
    """
    green = all(k in ds for k in GREEN_HOURLY_NEEDS + GREEN_PER_CASE_NEEDS)
    names = HOURLY_NEEDS + (GREEN_HOURLY_NEEDS if green else ())
    hourly = {k: np.asarray(ds[k].transpose(..., "time").data) for k in names}
    per_case = {k: np.asarray(ds[k].data) for k in GREEN_PER_CASE_NEEDS} if green else {}
    figures = annual_figures(hourly, per_case, ds["time"].to_numpy())
    dims = tuple(str(d) for d in ds["p_facility"].dims if d != "time")
    coords = {k: v for k, v in ds.coords.items() if "time" not in v.dims}
    limits = {
        k[len(POLICY_ATTR) :]: (None if np.isnan(v) else float(v))
        for k, v in ds.attrs.items()
        if k.startswith(POLICY_ATTR)
    }
    return kpi_dataset(figures, coords, [str(s) for s in np.atleast_1d(ds["site"].values)], dims, limits)
