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


def _scaled_profiles(cases: list[Case], site_keys: list[str], kind: str, unit, zeros: np.ndarray) -> np.ndarray:
    """Hourly output (kW) of each case's PV or wind plant: its unit profile × its capacity.

    A unit profile is computed once per site and set of non-capacity parameters; with no
    plant in any case the result is ``zeros`` itself (no memory).
    """
    cap = np.array([getattr(c, kind).capacity_mw for c in cases]) * 1000.0
    if not np.any(cap > 0):
        return zeros
    profiles: dict[tuple, int] = {}
    units: list[np.ndarray] = []
    which = np.zeros(len(cases), dtype=int)
    for i, (c, key) in enumerate(zip(cases, site_keys, strict=True)):
        if cap[i] > 0:
            k = (key, _key(getattr(c, kind)))
            if k not in profiles:
                profiles[k] = len(units)
                units.append(unit(c, key))
            which[i] = profiles[k]
    return np.stack(units)[which] * cap[:, None]


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
    zeros = np.broadcast_to(0.0, (n, nt))  # one read-only zero array for every empty part
    sun: dict[str, pd.DataFrame] = {}

    def pv_unit(c: Case, key: str) -> np.ndarray:
        ds, meta, _ = weather[key]
        if c.pv.profile_csv:
            return read_profile(c.pv.profile_csv, nt, "green.pv")
        if key not in sun:  # solar position once per site
            t = pd.DatetimeIndex(ds["time"].to_numpy())
            sun[key] = solar_position(t, meta["latitude"], meta["longitude"], meta["utc_offset_h"])
        return pv_profile(ds, c.pv, sun[key])

    def wind_unit(c: Case, key: str) -> np.ndarray:
        ds = weather[key][0]
        if c.wind.profile_csv:
            return read_profile(c.wind.profile_csv, nt, "green.wind")
        return wind_unit_profile(
            ds["wind_speed"].to_numpy(),
            ds["t_db"].to_numpy(),
            ds["p_air"].to_numpy(),
            c.wind,
            float(ds["wind_speed"].attrs.get("height_m", 10.0)),
        )

    p_pv = _scaled_profiles(cases, site_keys, "pv", pv_unit, zeros)
    p_wind = _scaled_profiles(cases, site_keys, "wind", wind_unit, zeros)
    green = p_pv if p_wind is zeros else (p_wind if p_pv is zeros else p_pv + p_wind)
    hour = pd.DatetimeIndex(next(iter(weather.values()))[0]["time"].to_numpy()).hour.to_numpy()
    site_objs = {k: sites.load(k) for k in set(site_keys)}
    # One price row per distinct tariff, indexed per case (a broadcast view when all agree).
    tariff: dict[tuple, tuple[float, Any]] = {}
    which = np.empty(n, dtype=int)
    for i, (c, key) in enumerate(zip(cases, site_keys, strict=True)):
        flat = c.economics.tariff_cny_per_kwh or site_objs[key].tariff.price_cny_per_kwh
        k = (flat, _key(c.economics))
        tariff.setdefault(k, (flat, c.economics))
        which[i] = list(tariff).index(k)
    table = np.stack([hourly_price(hour, flat, e) for flat, e in tariff.values()])
    price = np.broadcast_to(table[0], (n, nt)) if len(tariff) == 1 else table[which]
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
