"""The green-power base for all cases at once: PV and wind supply, storage dispatch, prices.

Hourly balance (kW), closed by construction and checked by the tests::

    load      = green_direct + discharge + grid_import − grid_charge
    green     = green_direct + charge_from_green + surplus     (surplus: exported or curtailed)
    green_direct = min(green, load);  grid_import ≥ grid_charge  (both dispatch rules)

The supply step receives its parameters as the cooling designs do: one parameter object per
case and section (``pv``, ``wind``, ``storage``, ``economics``), stacked into columns here; it
never reads the scenario. What it needs of a site (tariff table, grid factor and clean share,
wind resource) comes with the weather mapping.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import itertools
import operator
import os
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypedDict

import numpy as np

from twin.core.diskcache import cached
from twin.core.io import read_hourly_csv
from twin.core.memo import LRU
from twin.money.economics import (
    PRICE_FIELDS,
    EconomicsParams,
    SiteTariff,
    capital_recovery_factor,
    hourly_price,
    replacement_annuity,
    storage_capex,
)
from twin.supply import pv as pv_model
from twin.supply import wind as wind_model
from twin.supply.pv import PVParams, pv_profile
from twin.supply.storage import StorageParams, dispatch_green_first, dispatch_lp, fade_factor, years_to_end_of_life
from twin.supply.wind import WindParams, wind_unit_profile
from weather import dataset as weather_dataset
from weather import psychrometrics
from weather.dataset import calendar_starts, hour_of_day, month_of_year, solar_position
from weather.year import as_year

if TYPE_CHECKING:
    import pandas as pd


__all__ = ["SupplyParams", "green_power", "site_tariff"]


class SupplyParams(TypedDict):
    """The supply step's parameters: one object per case and section, in case order."""

    pv: Sequence[PVParams]
    wind: Sequence[WindParams]
    storage: Sequence[StorageParams]
    economics: Sequence[EconomicsParams]


def _key(p: Any) -> tuple:
    """Parameters that shape a unit profile (everything but the capacity)."""
    return tuple((f.name, getattr(p, f.name)) for f in dataclasses.fields(p) if f.name != "capacity_mw")


_PROFILES_LOCK = threading.Lock()

UNIT_PROFILES = LRU(32)
"""PV and wind unit profiles kept between calls (a Dash slider that moves only MW ratings
reuses them): at most 32, 70 kB each for a year of hours."""


def weather_identity(ds: Any, meta: dict[str, Any], site: Any) -> str:
    """A fingerprint of what a site's unit profiles depend on besides the plant's parameters.

    Every numeric weather variable and the time axis (bytes), the location, the wind
    measurement height and the site's wind resource. ``ds``: a weather Dataset or
    :class:`weather.year.WeatherYear` (the same fingerprint).
    """
    year = as_year(ds)
    h = hashlib.blake2b(digest_size=16)
    h.update(np.ascontiguousarray(year.time).tobytes())
    for name in sorted(year.data_vars):
        a = year[name]
        if a.dtype.kind in "biuf":
            h.update(name.encode())
            h.update(np.ascontiguousarray(a).tobytes())
    where = tuple(meta.get(k) for k in ("latitude", "longitude", "utc_offset_h"))
    height = year.var_attrs("wind_speed").get("height_m") if "wind_speed" in year else None
    h.update(repr((where, height, getattr(site, "wind", None))).encode())
    return h.hexdigest()


def _file_stamp(path: str) -> tuple:
    """Size and modification time of a profile file (a changed file is a new profile)."""
    try:
        st = os.stat(path)
    except OSError:
        return (path,)
    return (path, st.st_size, st.st_mtime_ns)


def _scaled_profiles(
    plants: Sequence[Any],
    site_keys: list[str],
    kind: str,
    unit,
    zeros: np.ndarray,
    profiles: dict,
    ident: Callable[[str], str],
) -> np.ndarray:
    """Hourly output (kW) of each case's PV or wind plant: its unit profile × its capacity.

    A unit profile is computed once per site weather (``ident(site_key)``: :func:`weather_identity`) and
    set of non-capacity parameters, kept in ``profiles`` (which callers may share between
    calls) and in :data:`UNIT_PROFILES` (between all calls of the process); with no plant in
    any case the result is ``zeros`` itself (no memory).
    """
    cap = np.array([p.capacity_mw for p in plants]) * 1000.0
    if not np.any(cap > 0):
        return zeros
    order: dict[tuple, int] = {}
    which = np.zeros(len(plants), dtype=int)
    for i, (p, key) in enumerate(zip(plants, site_keys, strict=True)):
        if cap[i] > 0:
            csv = _file_stamp(p.profile_csv) if p.profile_csv else ()
            k = (kind, key, ident(key), _key(p), csv)
            with _PROFILES_LOCK:  # blocks may run on several threads: compute each profile once
                if k not in profiles:
                    disk = None if csv else {"kind": kind, "weather": k[2], "plant": repr(k[3])}
                    profiles[k] = UNIT_PROFILES.get(k, functools.partial(_profile_of, unit, p, key, disk))
            which[i] = order.setdefault(k, len(order))
    return np.stack([profiles[k] for k in order])[which] * cap[:, None]


_PROFILE_SOURCES = (__file__, *(str(m.__file__) for m in (pv_model, wind_model, weather_dataset, psychrometrics)))
_PROFILE_LIBRARIES = ("numpy", "pandas", "scipy", "pvlib", "windpowerlib")


def _profile_of(unit: Any, p: Any, key: str, disk: dict[str, str] | None) -> np.ndarray:
    """A unit profile computed once and made read-only (what the cache holds).

    With ``disk`` (the plant's kind, the :func:`weather_identity` of its site and its
    non-capacity parameters) the profile is also kept in the disk cache
    (:mod:`twin.core.diskcache`, keyed as well by the versions of pvlib and windpowerlib and
    the source of the models), so a new process runs a green scenario without them.
    """
    if disk is None:
        return _read_only(unit(p, key))
    return _read_only(
        cached(
            "unit-profile",
            disk,
            lambda: np.asarray(unit(p, key), dtype=float),
            lambda a: {"profile": a},
            lambda a: a["profile"],
            libraries=_PROFILE_LIBRARIES,
            sources=_PROFILE_SOURCES,
        )
    )


def _read_only(a: np.ndarray) -> np.ndarray:
    a = np.asarray(a, dtype=float)
    a.flags.writeable = False  # shared between calls: nobody writes into a cached profile
    return a


def site_tariff(site: Any) -> SiteTariff:
    """The money side's view of a site's tariff table."""
    t = site.tariff
    return SiteTariff(
        price_cny_per_kwh=t.price_cny_per_kwh,
        tou_hours=t.tou_hours,
        tou_factors=t.tou_factors,
        demand_charge_cny_per_kw_month=t.demand_charge_cny_per_kw_month,
        green_subsidy_pct=t.green_subsidy_pct,
    )


class _Distinct:
    """The distinct parameter objects among a block's cases, per named per-case column.

    Objects are compared by identity (the cases of a sweep share their parameter objects), so
    what depends only on them is computed once per distinct object or combination of objects.
    """

    def __init__(self, **columns: Sequence[Any]) -> None:
        self.columns = columns
        self._memo: dict[tuple[str, ...], tuple[np.ndarray, np.ndarray]] = {}

    def __call__(self, *names: str) -> tuple[np.ndarray, np.ndarray]:
        """The first case of each distinct combination of the columns ``names`` and each case's combination."""
        if names not in self._memo:
            if len(names) == 1:
                col = self.columns[names[0]]
                if all(map(operator.is_, col, itertools.repeat(col[0]))):  # a sweep's block: one object
                    picks, which = np.zeros(1, dtype=np.intp), np.zeros(len(col), dtype=np.intp)
                else:
                    first: dict[int, int] = {}
                    which = np.array([first.setdefault(id(o), len(first)) for o in col], dtype=np.intp)
                    picks = np.unique(which, return_index=True)[1]  # codes numbered in order of first case
            else:
                parts = [self(name) for name in names]
                if all(len(p) == 1 for p, _ in parts):
                    picks, which = parts[0]
                else:
                    code = np.zeros(len(parts[0][1]), dtype=np.intp)
                    for p, w in parts:  # one integer per combination of codes
                        code = code * len(p) + w
                    _, picks, which = np.unique(code, return_index=True, return_inverse=True)
            self._memo[names] = (picks, which.reshape(-1))
        return self._memo[names]

    def each(self, make: Callable[..., Any], *names: str, dtype: type = float) -> np.ndarray:
        """``make(*objects)`` of every case (an array of ``dtype``), computed once per distinct combination."""
        picks, which = self(*names)
        cols = [self.columns[name] for name in names]
        if len(picks) == 1:  # one distinct combination (one case, or a sweep of other sections)
            out: np.ndarray = np.empty(len(which), dtype=dtype)
            out.fill(make(*(c[picks[0]] for c in cols)))  # (np.full's work, without its Python layer)
            return out
        return np.array([make(*(c[i] for c in cols)) for i in picks], dtype=dtype)[which]

    def field(self, name: str, attr: str) -> np.ndarray:
        """A field of every case's object in column ``name`` as floats (``None``: NaN)."""
        return self.each(lambda o: np.nan if (v := getattr(o, attr)) is None else v, name)

    def rows(
        self, make: Callable[..., np.ndarray], nt: int, *names: str, key: Callable[..., Any] | None = None
    ) -> np.ndarray:
        """(case, time) array of the rows ``make(*objects)``: a broadcast view when all cases' rows are one.

        ``make`` runs once per distinct combination of equal objects (hashed once per distinct
        object), or of equal ``key(*objects)`` when given: what ``make`` reads of them, so that
        objects differing in anything else share a row.
        """
        picks, which = self(*names)
        cols = [self.columns[name] for name in names]
        row_of: dict[Any, int] = {}
        rows: list[np.ndarray] = []
        of_pick = np.empty(len(picks), dtype=np.intp)
        for j, i in enumerate(picks):
            objs = tuple(c[i] for c in cols)
            k = objs if key is None else key(*objs)
            if k not in row_of:
                row_of[k] = len(rows)
                rows.append(make(*objs))
            of_pick[j] = row_of[k]
        return np.broadcast_to(rows[0], (len(which), nt)) if len(rows) == 1 else np.stack(rows)[of_pick[which]]


def green_power(
    params: SupplyParams,
    site_keys: list[str],
    weather: dict[str, Any],
    load_kw: np.ndarray,
    dispatch: Any,
    profiles: dict | None = None,
    hour: np.ndarray | None = None,
    month: np.ndarray | None = None,
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Supply, dispatch and prices for every case.

    Parameters
    ----------
    params : SupplyParams
        ``{"pv": [...], "wind": [...], "storage": [...], "economics": [...]}``: one
        :class:`~twin.supply.pv.PVParams`, :class:`~twin.supply.wind.WindParams`,
        :class:`~twin.supply.storage.StorageParams` and :class:`~twin.money.economics.EconomicsParams` per case.
    site_keys : list of str
        The site key of each case.
    weather : dict
        ``{site_key: (ds, meta, site)}`` from :func:`twin.engine.simulate.prepare_weather` (or
        :func:`~twin.engine.simulate.prepare_years`: a :class:`weather.year.WeatherYear` for ``ds``).
    load_kw : numpy.ndarray, shape (case, time)
        Facility power, kW.
    dispatch : DispatchParams
        Strategy (green-first or LP) and grid charging.
    profiles : dict, optional
        Cache of PV and wind unit profiles to share between calls (block-wise runs).
    hour : numpy.ndarray, optional
        Hour of the day of each time step, if the caller has it.
    month : numpy.ndarray, optional
        Month of the year (0–11) of each time step, if the caller has it.

    Returns
    -------
    (hourly, per_case)
        Hourly (case, time) arrays and per-case scalars (capex annuity, CO2 factor, ...).
    """
    weather = {k: (as_year(year), meta, site) for k, (year, meta, site) in weather.items()}
    pvs, winds, stores, econ = params["pv"], params["wind"], params["storage"], params["economics"]
    of = _Distinct(pv=pvs, wind=winds, storage=stores, economics=econ, site=site_keys)
    n, nt = load_kw.shape
    zeros = np.broadcast_to(0.0, (n, nt))  # one read-only zero array for every empty part
    sun: dict[str, pd.DataFrame] = {}

    def pv_unit(p: Any, key: str) -> np.ndarray:
        ds, meta, _ = weather[key]
        if p.profile_csv:
            return read_hourly_csv(p.profile_csv, nt, "green.pv.profile_csv", "cf", 1.5)
        if key not in sun:  # solar position once per site
            import pandas as pd

            t = pd.DatetimeIndex(ds.time)
            sun[key] = solar_position(t, meta["latitude"], meta["longitude"], meta["utc_offset_h"])
        return pv_profile(ds, p, sun[key])

    def wind_unit(p: Any, key: str) -> np.ndarray:
        ds, _, site = weather[key]
        if p.profile_csv:
            return read_hourly_csv(p.profile_csv, nt, "green.wind.profile_csv", "cf", 1.5)
        return wind_unit_profile(
            ds["wind_speed"],
            ds["t_db"],
            ds["p_air"],
            p,
            float(ds.var_attrs("wind_speed").get("height_m", 10.0)),
            ghi=ds["ghi"] if "ghi" in ds else None,
            resource=getattr(site, "wind", None),
        )

    profiles = {} if profiles is None else profiles
    ids: dict[str, str] = {}

    def ident(key: str) -> str:
        if key not in ids:  # hashed only when a plant at the site needs its profile
            ids[key] = weather_identity(*weather[key])
        return ids[key]

    p_pv = _scaled_profiles(pvs, site_keys, "pv", pv_unit, zeros, profiles, ident)
    p_wind = _scaled_profiles(winds, site_keys, "wind", wind_unit, zeros, profiles, ident)
    green = p_pv if p_wind is zeros else (p_wind if p_pv is zeros else p_pv + p_wind)
    time = next(iter(weather.values()))[0].time
    if hour is None:
        hour = hour_of_day(time)
    site_objs = {k: weather[k][2] for k in set(site_keys)}
    tariffs = {k: site_tariff(s) for k, s in site_objs.items()}
    # One price row per distinct (tariff choice, site table), indexed per case.
    price = of.rows(
        lambda e, key: hourly_price(hour, e, tariffs[key]),
        nt,
        "economics",
        "site",
        key=lambda e, key: (*(getattr(e, f) for f in PRICE_FIELDS), key),
    )

    def clean_row(key: str) -> np.ndarray:
        share = site_objs[key].grid.clean_share
        if share is None:
            return np.zeros(nt)
        return np.asarray(share, dtype=float)[month_of_year(time) if month is None else month]

    clean = of.rows(clean_row, nt, "site")

    def from_site(name: str) -> np.ndarray:
        return of.each(lambda e, k: e.resolved(name, site_objs[k]), "economics", "site")

    demand = from_site("demand_charge_cny_per_kw_month")
    sto_mwh = of.field("storage", "energy_mwh")
    if green is zeros and not np.any(sto_mwh > 0):
        # Nothing to dispatch: every kWh comes from the grid.
        d = {k: zeros for k in ("charge", "grid_charge", "discharge", "soc", "green_direct", "surplus")}
        d["grid_import"] = load_kw
        d["deficit"] = np.zeros(n)
    elif dispatch.strategy == "green_first":
        # Stacked per case; a None field (max_cycles_per_day: no limit) is NaN.
        d = dispatch_green_first(
            green, load_kw, {f.name: of.field("storage", f.name) for f in dataclasses.fields(stores[0])}
        )
        d["grid_charge"] = zeros
    else:
        # The LP minimises the bill the engine books: energy and each calendar month's peak import.
        starts = calendar_starts(time, "month")  # the months the engine bills (metrics.annual_figures)
        parts = [
            dispatch_lp(
                green[i],
                load_kw[i],
                s,
                price=price[i],
                grid_charging=dispatch.grid_charging,
                demand_charge=float(demand[i]),
                month_starts=starts,
            )
            for i, s in enumerate(stores)
        ]
        d = {
            k: np.stack([p[k] for p in parts])
            for k in ("charge", "grid_charge", "discharge", "soc", "green_direct", "grid_import", "surplus", "deficit")
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
        "grid_clean_share": clean,
    }
    # Per-case figures, each computed once per distinct parameter object (or pair of objects).
    owned = of.each(lambda e: e.green_procurement == "owned", "economics", dtype=bool)
    pv_mw, wind_mw = of.field("pv", "capacity_mw"), of.field("wind", "capacity_mw")
    gen_capex = (
        pv_mw * of.field("economics", "pv_capex_cny_per_w") + wind_mw * of.field("economics", "wind_capex_cny_per_w")
    ) * 1e6
    sto_capex = of.each(lambda s, e: float(storage_capex(s.energy_mwh, s.power_mw, e)), "storage", "economics")
    # With a PPA the generators are someone else's; the storage is the site's own either way.
    capex = np.where(owned, gen_capex, 0.0) + sto_capex
    crf = of.each(lambda e: capital_recovery_factor(e.discount_rate, e.lifetime_years), "economics")
    opex = of.field("economics", "opex_pct_of_capex") / 100.0
    life = of.each(lambda s: years_to_end_of_life(s.duty_cycles_per_day), "storage")
    replace = of.each(
        lambda s, e: replacement_annuity(
            float(storage_capex(s.energy_mwh, s.power_mw, e)),
            e.discount_rate,
            e.lifetime_years,
            years_to_end_of_life(s.duty_cycles_per_day),
        ),
        "storage",
        "economics",
    )

    per_case = {
        "capex": capex,
        "capex_annual": capex * (crf + opex) + replace,
        "storage_replacement_annual": replace,
        "storage_life_years": life,
        "storage_capacity_share": of.each(lambda s: fade_factor(s.age_years, s.duty_cycles_per_day), "storage"),
        "storage_deficit": np.asarray(d["deficit"], dtype=float) / 1000.0,
        "ppa_price": np.where(owned, 0.0, of.field("economics", "ppa_cny_per_kwh")),
        "export_contract": of.field("economics", "export_contract"),
        "export_price": of.field("economics", "export_cny_per_kwh"),
        "demand_charge": demand,
        "green_subsidy_pct": from_site("green_subsidy_pct"),
        "grid_co2": of.each(lambda k: site_objs[k].grid.co2_kg_per_kwh, "site"),
        "other_spend": of.field("economics", "other_spend_cny_per_year"),
        "storage_energy_mwh": sto_mwh,
        "pv_capacity_mw": pv_mw,
        "wind_capacity_mw": wind_mw,
    }
    return hourly, per_case
