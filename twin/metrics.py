"""Annual KPIs as a function of the hourly Dataset, so they can never disagree with it.

Definitions (reference-facts.md):

* PUE (ISO/IEC 30134-2) = annual facility energy / annual IT energy — energy-weighted, never
  the mean of hourly PUE; overhead share = 1 − 1/PUE (7.4 % at PUE 1.08).
* pPUE of cooling = (IT + cooling energy) / IT energy.
* WUE (ISO/IEC 30134-9) = site water (L) / IT energy (kWh).
* ASHRAE 90.4: MLC = cooling energy / IT energy; ELC = electrical-chain losses / IT energy.
* GB 40879-2021 grades by PUE: 1 ≤ 1.20, 2 ≤ 1.30, 3 ≤ 1.50 (thresholds commonly cited,
  unverified against the standard text; data in :data:`GB40879_THRESHOLDS`).
"""

from __future__ import annotations

import numpy as np
import xarray as xr

import sites

__all__ = ["GB40879_THRESHOLDS", "gb40879_grade", "kpis"]

GB40879_THRESHOLDS = ((1, 1.20), (2, 1.30), (3, 1.50))
"""(grade, maximum PUE); status: commonly cited, unverified against GB 40879-2021's text."""

UPTIME_GLOBAL_PUE_2024 = 1.56
"""Uptime Institute global average PUE, 2024 survey (reference-facts.md)."""


def _label(ds: xr.Dataset, units: dict[str, tuple[str, str]]) -> None:
    """Set ``units`` and ``long_name`` of KPI variables."""
    for k, (u, ln) in units.items():
        ds[k].attrs.update(units=u, long_name=ln)


def _annual(da: xr.DataArray) -> xr.DataArray:
    """Sum over time. NaN propagates: an hourly NaN is a defect to show, not a value to skip."""
    return da.sum("time", skipna=False)


def _calendar_reduce(da: xr.DataArray, period: str, op: np.ufunc) -> xr.DataArray:
    """``op``-reduce each calendar day or month of an hourly (…, time) array: (…, period).

    ``numpy.ufunc.reduceat`` at the period starts: one pass, no resampling machinery.
    """
    t = da["time"].to_numpy()
    key = t.astype("datetime64[D]" if period == "day" else "datetime64[M]")
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    da = da.transpose(..., "time")
    coords = {k: v for k, v in da.coords.items() if "time" not in v.dims}
    return xr.DataArray(op.reduceat(np.asarray(da.data), starts, axis=-1), dims=(*da.dims[:-1], period), coords=coords)


def gb40879_grade(pue: np.ndarray) -> np.ndarray:
    """GB 40879 energy-efficiency grade for a PUE (1 best, 3 the limit; 0 = fails grade 3)."""
    pue = np.asarray(pue, dtype=float)
    grade = np.zeros(pue.shape, dtype=int)
    for g, limit in reversed(GB40879_THRESHOLDS):
        grade = np.where(pue <= limit, g, grade)
    return grade


def kpis(ds: xr.Dataset) -> xr.Dataset:
    """Annual figures per case from an hourly Dataset of :func:`twin.simulate`.

    Returns
    -------
    xarray.Dataset
        Per case: energies (MWh), ``pue`` (energy-weighted), ``overhead_share``,
        ``ppue_cooling``, ``wue`` (L/kWh), ``mlc``, ``elc``, ``hours_out_of_envelope``,
        ``water_m3``, ``pue_max_hourly``, ``gb40879_grade``, ``policy_pue_limit`` and
        ``meets_policy``.
    """
    dt_h = 1.0
    e = {
        k: _annual(ds[k]) * dt_h / 1000.0
        for k in (
            "p_facility",
            "p_it",
            "p_cooling",
            "p_ups_loss",
            "p_dist_loss",
            "p_transformer_loss",
            "p_misc",
            "compute",
        )
    }
    pue = e["p_facility"] / e["p_it"]
    out = xr.Dataset(
        {
            "energy_facility": e["p_facility"],
            "energy_it": e["p_it"],
            "energy_cooling": e["p_cooling"],
            "energy_electrical_losses": e["p_ups_loss"] + e["p_dist_loss"] + e["p_transformer_loss"],
            "compute_delivered": e["compute"],
            "pue": pue,
            "overhead_share": 1.0 - 1.0 / pue,
            "ppue_cooling": (e["p_it"] + e["p_cooling"]) / e["p_it"],
            "mlc": e["p_cooling"] / e["p_it"],
            "elc": (e["p_ups_loss"] + e["p_dist_loss"] + e["p_transformer_loss"]) / e["p_it"],
            "wue": _annual(ds["water"]) * dt_h / (e["p_it"] * 1000.0),
            "water_m3": _annual(ds["water"]) * dt_h / 1000.0,
            "hours_out_of_envelope": _annual(ds["out_of_envelope"]),
            "pue_max_hourly": ds["pue"].max("time", skipna=False),
            "energy_per_compute": e["p_facility"] / e["compute"],
        }
    )
    if "p_grid_import" in ds:
        out = out.merge(_green_kpis(ds, e["p_facility"], e["p_it"]))
    out["gb40879_grade"] = xr.apply_ufunc(gb40879_grade, out["pue"])
    limit_of = {str(s): sites.load(str(s)).policy.pue_limit for s in np.unique(ds["site"].values)}
    limits = [limit_of[str(s)] for s in np.atleast_1d(ds["site"].values)]
    lim = np.array([np.nan if x is None else x for x in limits])
    out["policy_pue_limit"] = out["pue"].copy(data=lim.reshape(out["pue"].shape))
    out["meets_policy"] = (out["pue"] <= out["policy_pue_limit"]) | np.isnan(out["policy_pue_limit"])
    units = {
        "energy_facility": ("MWh", "annual facility energy"),
        "energy_it": ("MWh", "annual IT energy"),
        "energy_cooling": ("MWh", "annual cooling energy"),
        "energy_electrical_losses": ("MWh", "annual electrical-chain losses"),
        "compute_delivered": ("MWh", "annual compute delivered (nominal-server MWh)"),
        "pue": ("1", "annual PUE (energy-weighted)"),
        "overhead_share": ("1", "non-IT share of facility energy, 1 − 1/PUE"),
        "ppue_cooling": ("1", "partial PUE of cooling"),
        "mlc": ("1", "ASHRAE 90.4 mechanical load component"),
        "elc": ("1", "ASHRAE 90.4 electrical loss component"),
        "wue": ("L kWh-1", "water usage effectiveness (site water per IT kWh)"),
        "water_m3": ("m3", "annual site water"),
        "hours_out_of_envelope": ("h", "hours outside the design's envelope"),
        "pue_max_hourly": ("1", "highest hourly PUE"),
        "energy_per_compute": ("1", "facility energy per unit of compute delivered"),
        "gb40879_grade": ("1", "GB 40879 grade (1 best; 0 fails grade 3; thresholds unverified)"),
        "policy_pue_limit": ("1", "the site's policy PUE limit"),
        "meets_policy": ("1", "annual PUE within the site's policy limit"),
    }
    _label(out, units)
    return out


def _green_kpis(ds: xr.Dataset, e_load: xr.DataArray, e_it: xr.DataArray) -> xr.Dataset:
    """Green share both ways, islanding, cost and carbon (energies in MWh, money in CNY).

    * annual matching (REF-style): min(Σ green, Σ load) / Σ load;
    * hourly carbon-free-energy score: Σ_t min(clean supply_t, load_t) / Σ load, with clean
      supply = green used directly + storage discharge charged from green (grid-charged
      energy is not clean). Always ≤ the annual matching;
    * islanded hours: no grid import (grid-forming operation on green + storage);
      24-hour-green days: days without any grid import;
    * cost: Σ import × price + monthly peak import × demand charge + green PPA energy × PPA price
      + annualised green capex/O&M − surplus × export price − subsidy; the subsidy (Karamay's
      15 %, seed 000) is read as that share of the electricity cost of the green-powered part of
      the load (interpretation; stated in the README);
    * CO2: grid import × the site's grid factor; CUE = kg CO2 per IT kWh.
    """
    load = ds["p_facility"]
    grid_charge = ds["p_grid_charge"] if "p_grid_charge" in ds else 0.0 * load
    e_discharge = _annual(ds["p_discharge"])
    green_share_of_charge = 1.0 - _annual(grid_charge) / np.maximum(e_discharge, 1e-9) * (e_discharge > 0)
    clean = ds["p_green_direct"] + ds["p_discharge"] * green_share_of_charge.clip(0.0, 1.0)
    e_green = _annual(ds["p_green"]) / 1000.0
    cfe = _annual(np.minimum(clean, load)) / 1000.0 / e_load
    annual = np.minimum(e_green, e_load) / e_load
    imp = ds["p_grid_import"]
    no_import = imp <= 1e-6 * load
    e_import = _annual(imp) / 1000.0
    energy_cost = _annual(imp * ds["price"])
    demand = _calendar_reduce(imp, "month", np.maximum).sum("month") * ds["demand_charge"]
    green_used = _annual(clean)
    ppa = green_used * ds["ppa_price"]
    export = _annual(ds["p_surplus"]) * ds["export_price"]
    before = energy_cost + demand + ppa + ds["capex_annual"] - export
    subsidy = before * cfe * ds["green_subsidy_pct"] / 100.0
    cost = before - subsidy
    co2 = e_import * ds["grid_co2"]  # t
    out = xr.Dataset(
        {
            "energy_green": e_green,
            "energy_grid_import": e_import,
            "energy_surplus": _annual(ds["p_surplus"]) / 1000.0,
            "green_share_annual": annual,
            "green_share_hourly": cfe,
            "islanded_hours": _annual(no_import),
            "green_days_24h": _calendar_reduce(no_import, "day", np.minimum).sum("day"),
            "storage_cycles_per_day": e_discharge
            / 1000.0
            / np.maximum(ds["storage_energy_mwh"], 1e-9)
            / (ds.sizes["time"] / 24.0),
            "cost_total": cost,
            "cost_per_mwh_it": cost / e_it,
            "green_subsidy": subsidy,
            "electricity_share_of_spend": xr.where(ds["other_spend"] > 0, cost / (cost + ds["other_spend"]), np.nan),
            "co2": co2,
            "cue": co2 * 1000.0 / (e_it * 1000.0),
        }
    )
    units = {
        "energy_green": ("MWh", "annual green generation"),
        "energy_grid_import": ("MWh", "annual grid import"),
        "energy_surplus": ("MWh", "annual green surplus (exported or curtailed)"),
        "green_share_annual": ("1", "green share, annual matching (REF-style)"),
        "green_share_hourly": ("1", "green share, hourly matching (24/7 CFE score)"),
        "islanded_hours": ("h", "hours without grid import"),
        "green_days_24h": ("d", "days with 24-hour green supply"),
        "storage_cycles_per_day": ("1", "equivalent full storage cycles per day"),
        "cost_total": ("CNY", "annual electricity cost incl. green capex annuity"),
        "cost_per_mwh_it": ("CNY MWh-1", "electricity cost per MWh of IT energy"),
        "green_subsidy": ("CNY", "green-power subsidy"),
        "electricity_share_of_spend": ("1", "electricity's share of total spend"),
        "co2": ("t", "annual CO2 from grid electricity"),
        "cue": ("kg kWh-1", "carbon usage effectiveness (kg CO2 per IT kWh)"),
    }
    _label(out, units)
    return out
