"""The green-power base for all cases at once: PV and wind supply, storage dispatch, prices.

Hourly balance (kW), closed by construction and checked by the tests::

    load      = green_direct + discharge + grid_import − grid_charge
    green     = green_direct + charge_from_green + surplus     (surplus: exported or curtailed)
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pandas as pd

import sites
from twin.config import Case, DispatchParams
from twin.economics import capital_recovery_factor, hourly_price
from twin.pv import pv_profile
from twin.storage import dispatch_green_first, dispatch_lp
from twin.wind import wind_unit_profile
from weather.dataset import solar_position

__all__ = ["green_power", "read_profile"]


def read_profile(path: str, n_hours: int, what: str) -> np.ndarray:
    """A measured hourly profile, kW per kW installed (capacity-factor series), from a CSV.

    The file has a header row and a column named ``cf`` (or a single numeric column); its
    length must equal the weather year's. Errors name the file, the rows found and expected.
    """
    from twin.params import ConfigError

    try:
        df = pd.read_csv(path)
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{what}.profile_csv = {path!r}: cannot read ({exc})") from None
    col = "cf" if "cf" in df.columns else (df.columns[0] if df.shape[1] == 1 else None)
    if col is None:
        raise ConfigError(
            f"{path}: needs a column 'cf' (kW per kW installed); columns are {', '.join(map(str, df.columns))}"
        )
    values = pd.to_numeric(df[col], errors="coerce").to_numpy(dtype=float)
    if values.size != n_hours:
        raise ConfigError(f"{path}: {values.size} hourly rows, the weather year has {n_hours}; give one value per hour")
    bad = np.flatnonzero(~np.isfinite(values) | (values < 0) | (values > 1.5))
    if bad.size:
        raise ConfigError(
            f"{path}: line {bad[0] + 2}: {col} = {df[col].iloc[bad[0]]!r} is not a capacity factor in 0 … 1.5"
        )
    return values


def _key(p: Any) -> tuple:
    """Parameters that shape a unit profile (everything but the capacity)."""
    return tuple((f.name, getattr(p, f.name)) for f in dataclasses.fields(p) if f.name != "capacity_mw")


def green_power(
    cases: list[Case], site_keys: list[str], weather: dict[str, Any], load_kw: np.ndarray, dispatch: DispatchParams
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

    Returns
    -------
    (hourly, per_case)
        Hourly (case, time) arrays and per-case scalars (capex annuity, CO2 factor, ...).
    """
    n, nt = load_kw.shape
    pv_cache: dict[tuple, np.ndarray] = {}
    wind_cache: dict[tuple, np.ndarray] = {}
    sun: dict[str, pd.DataFrame] = {}
    green = np.zeros((n, nt))
    p_pv = np.zeros((n, nt))
    p_wind = np.zeros((n, nt))
    for i, (c, key) in enumerate(zip(cases, site_keys, strict=True)):
        ds, meta, _ = weather[key]
        if c.pv.capacity_mw > 0:
            k = (key, _key(c.pv))
            if k not in pv_cache and c.pv.profile_csv:
                pv_cache[k] = read_profile(c.pv.profile_csv, nt, "green.pv")
            if k not in pv_cache:
                if key not in sun:  # solar position once per site
                    t = pd.DatetimeIndex(ds["time"].to_numpy())
                    sun[key] = solar_position(t, meta["latitude"], meta["longitude"], meta["utc_offset_h"])
                pv_cache[k] = pv_profile(ds, c.pv, sun[key])
            p_pv[i] = pv_cache[k] * c.pv.capacity_mw * 1000.0
        if c.wind.capacity_mw > 0:
            k = (key, _key(c.wind))
            if k not in wind_cache and c.wind.profile_csv:
                wind_cache[k] = read_profile(c.wind.profile_csv, nt, "green.wind")
            if k not in wind_cache:
                wind_cache[k] = wind_unit_profile(
                    ds["wind_speed"].to_numpy(),
                    ds["t_db"].to_numpy(),
                    ds["p_air"].to_numpy(),
                    c.wind,
                    float(ds["wind_speed"].attrs.get("height_m", 10.0)),
                )
            p_wind[i] = wind_cache[k] * c.wind.capacity_mw * 1000.0
    green = p_pv + p_wind
    hour = pd.DatetimeIndex(next(iter(weather.values()))[0]["time"].to_numpy()).hour.to_numpy()
    site_objs = {k: sites.load(k) for k in set(site_keys)}
    price = np.empty((n, nt))
    for i, (c, key) in enumerate(zip(cases, site_keys, strict=True)):
        flat = c.economics.tariff_cny_per_kwh or site_objs[key].tariff.price_cny_per_kwh
        price[i] = hourly_price(hour, flat, c.economics)
    st = {
        f.name: np.array([getattr(c.storage, f.name) for c in cases], dtype=float)
        for f in dataclasses.fields(cases[0].storage)
    }
    if dispatch.strategy == "green_first":
        d = dispatch_green_first(green, load_kw, st)
        d["grid_charge"] = np.zeros((n, nt))
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
        "soc": d["soc"] / 1000.0,
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
        pct = c.economics.green_subsidy_pct
        if pct < 0:
            pct = site_objs[key].reported_value("green_power_subsidy") or 0.0
        subsidy.append(pct)
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
