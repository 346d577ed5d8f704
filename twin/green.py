"""The green-power base for all cases at once: PV and wind supply, storage dispatch, prices.

Hourly balance (kW), closed by construction and checked by the tests::

    load      = green_direct + discharge + grid_import − grid_charge
    green     = green_direct + charge_from_green + surplus     (surplus: exported or curtailed)
"""

from __future__ import annotations

import dataclasses
import threading
from typing import Any

import numpy as np
import pandas as pd

from twin.config import Case, DispatchParams
from twin.economics import capital_recovery_factor, hourly_price
from twin.io import read_hourly_csv
from twin.pv import pv_profile
from twin.storage import dispatch_green_first, dispatch_lp
from twin.wind import wind_unit_profile
from weather.dataset import hour_of_day, solar_position

__all__ = ["green_power"]


def _key(p: Any) -> tuple:
    """Parameters that shape a unit profile (everything but the capacity)."""
    return tuple((f.name, getattr(p, f.name)) for f in dataclasses.fields(p) if f.name != "capacity_mw")


_PROFILES_LOCK = threading.Lock()


def _scaled_profiles(
    cases: list[Case], site_keys: list[str], kind: str, unit, zeros: np.ndarray, profiles: dict
) -> np.ndarray:
    """Hourly output (kW) of each case's PV or wind plant: its unit profile × its capacity.

    A unit profile is computed once per site and set of non-capacity parameters (kept in
    ``profiles``, which callers may share between calls); with no plant in any case the
    result is ``zeros`` itself (no memory).
    """
    cap = np.array([getattr(c, kind).capacity_mw for c in cases]) * 1000.0
    if not np.any(cap > 0):
        return zeros
    order: dict[tuple, int] = {}
    which = np.zeros(len(cases), dtype=int)
    for i, (c, key) in enumerate(zip(cases, site_keys, strict=True)):
        if cap[i] > 0:
            k = (kind, key, _key(getattr(c, kind)))
            with _PROFILES_LOCK:  # blocks may run on several threads: compute each profile once
                if k not in profiles:
                    profiles[k] = unit(c, key)
            which[i] = order.setdefault(k, len(order))
    return np.stack([profiles[k] for k in order])[which] * cap[:, None]


def green_power(
    cases: list[Case],
    site_keys: list[str],
    weather: dict[str, Any],
    load_kw: np.ndarray,
    dispatch: DispatchParams,
    profiles: dict | None = None,
    hour: np.ndarray | None = None,
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Supply, dispatch and prices for every case.

    Parameters
    ----------
    cases : list of Case
        The cases, in order.
    site_keys : list of str
        The site key of each case.
    weather : dict
        ``{site_key: (ds, meta, site)}`` from :func:`twin.simulate.prepare_weather`.
    load_kw : numpy.ndarray, shape (case, time)
        Facility power, kW.
    dispatch : DispatchParams
        Strategy (green-first or LP) and grid charging.
    profiles : dict, optional
        Cache of PV and wind unit profiles to share between calls (block-wise runs).
    hour : numpy.ndarray, optional
        Hour of the day of each time step, if the caller has it.

    Returns
    -------
    (hourly, per_case)
        Hourly (case, time) arrays and per-case scalars (capex annuity, CO2 factor, ...).
    """
    n, nt = load_kw.shape
    zeros = np.broadcast_to(0.0, (n, nt))  # one read-only zero array for every empty part
    sun: dict[str, pd.DataFrame] = {}

    def pv_unit(c: Case, key: str) -> np.ndarray:
        ds, meta, _ = weather[key]
        if c.pv.profile_csv:
            return read_hourly_csv(c.pv.profile_csv, nt, "green.pv.profile_csv", "cf", 1.5)
        if key not in sun:  # solar position once per site
            t = pd.DatetimeIndex(ds["time"].to_numpy())
            sun[key] = solar_position(t, meta["latitude"], meta["longitude"], meta["utc_offset_h"])
        return pv_profile(ds, c.pv, sun[key])

    def wind_unit(c: Case, key: str) -> np.ndarray:
        ds = weather[key][0]
        if c.wind.profile_csv:
            return read_hourly_csv(c.wind.profile_csv, nt, "green.wind.profile_csv", "cf", 1.5)
        return wind_unit_profile(
            ds["wind_speed"].to_numpy(),
            ds["t_db"].to_numpy(),
            ds["p_air"].to_numpy(),
            c.wind,
            float(ds["wind_speed"].attrs.get("height_m", 10.0)),
        )

    profiles = {} if profiles is None else profiles
    p_pv = _scaled_profiles(cases, site_keys, "pv", pv_unit, zeros, profiles)
    p_wind = _scaled_profiles(cases, site_keys, "wind", wind_unit, zeros, profiles)
    green = p_pv if p_wind is zeros else (p_wind if p_pv is zeros else p_pv + p_wind)
    if hour is None:
        hour = hour_of_day(next(iter(weather.values()))[0].indexes["time"].values)
    site_objs = {k: weather[k][2] for k in set(site_keys)}
    # One price row per distinct tariff, indexed per case (a broadcast view when all agree).
    row_of: dict[tuple, int] = {}
    rows: list[np.ndarray] = []
    which = np.empty(n, dtype=int)
    for i, (c, key) in enumerate(zip(cases, site_keys, strict=True)):
        e = c.economics
        flat = e.resolved("tariff_cny_per_kwh", site_objs[key])
        k = (flat, e.tariff, e.tou_peak_factor, e.tou_valley_factor)  # what hourly_price reads
        if k not in row_of:
            row_of[k] = len(rows)
            rows.append(hourly_price(hour, flat, e))
        which[i] = row_of[k]
    price = np.broadcast_to(rows[0], (n, nt)) if len(rows) == 1 else np.stack(rows)[which]
    st = {
        f.name: np.array([getattr(c.storage, f.name) for c in cases], dtype=float)
        for f in dataclasses.fields(cases[0].storage)
    }
    if green is zeros and not np.any(st["energy_mwh"] > 0):
        # Nothing to dispatch: every kWh comes from the grid.
        d = {k: zeros for k in ("charge", "grid_charge", "discharge", "soc", "green_direct", "surplus")}
        d["grid_import"] = load_kw
    elif dispatch.strategy == "green_first":
        d = dispatch_green_first(green, load_kw, st)
        d["grid_charge"] = zeros
    else:
        parts = [
            dispatch_lp(green[i], load_kw[i], c.storage, price=price[i], grid_charging=dispatch.grid_charging)
            for i, c in enumerate(cases)
        ]
        d = {
            k: np.stack([p[k] for p in parts])
            for k in ("charge", "grid_charge", "discharge", "soc", "green_direct", "grid_import", "surplus")
        }
    hourly = {
        "p_pv": p_pv,
        "p_wind": p_wind,
        "p_green": green,
        "p_green_direct": d["green_direct"],
        "p_charge": d["charge"],
        "p_grid_charge": d["grid_charge"],
        "p_discharge": d["discharge"],
        "soc": zeros if d["soc"] is zeros else d["soc"] / 1000.0,
        "p_grid_import": d["grid_import"],
        "p_surplus": d["surplus"],
        "price": price,
    }
    owned = np.array([c.economics.green_procurement == "owned" for c in cases])
    gen_capex = np.array(
        [
            (c.pv.capacity_mw * c.economics.pv_capex_cny_per_w + c.wind.capacity_mw * c.economics.wind_capex_cny_per_w)
            * 1e6
            for c in cases
        ]
    )
    sto_capex = np.array([c.storage.energy_mwh * c.economics.storage_capex_cny_per_wh * 1e6 for c in cases])
    # With a PPA the generators are someone else's; the storage is the site's own either way.
    capex = np.where(owned, gen_capex, 0.0) + sto_capex
    crf = np.array([capital_recovery_factor(c.economics.discount_rate, c.economics.lifetime_years) for c in cases])
    opex = np.array([c.economics.opex_pct_of_capex for c in cases]) / 100.0
    subsidy = []
    for c, key in zip(cases, site_keys, strict=True):
        subsidy.append(c.economics.resolved("green_subsidy_pct", site_objs[key]) or 0.0)
    per_case = {
        "capex": capex,
        "capex_annual": capex * (crf + opex),
        "ppa_price": np.where(owned, 0.0, np.array([c.economics.ppa_cny_per_kwh for c in cases])),
        "export_price": np.array([c.economics.export_cny_per_kwh for c in cases]),
        "demand_charge": np.array([c.economics.demand_charge_cny_per_kw_month for c in cases]),
        "green_subsidy_pct": np.array(subsidy, dtype=float),
        "grid_co2": np.array([site_objs[k].grid.co2_kg_per_kwh for k in site_keys]),
        "other_spend": np.array([c.economics.other_spend_cny_per_year for c in cases]),
        "storage_energy_mwh": np.array([c.storage.energy_mwh for c in cases]),
    }
    return hourly, per_case
