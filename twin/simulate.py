"""The orchestrator: a scenario in, an hourly ``xarray.Dataset`` out.

Work that does not depend on the design (weather, psychrometrics) is done once per site.
Cases are grouped by design (and by the text parameters that pick tables, e.g. the
refrigerant); each group is one vectorised call on ``(case, time)`` arrays, parameters as
``(case, 1)`` columns; large groups run in blocks of :data:`CASE_BLOCK` cases to stay in
cache. The only loop over time is the storage recursion (:mod:`twin.storage`), over all cases.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

import sites
from twin.config import Case, Scenario
from twin.cooling import get_design
from twin.electrical import electrical_losses
from twin.green import green_power
from twin.it_load import it_power, utilisation_profile
from twin.params import ConfigError
from twin.variables import attrs
from twin.weather_source import site_weather
from weather import psychrometrics as psy

__all__ = ["KPI_VARIABLES", "prepare_weather", "simulate"]

POWER_PARTS = ("p_it", "p_cooling", "p_ups_loss", "p_dist_loss", "p_transformer_loss", "p_misc")
COOLING_PARTS = ("p_cooling_fans", "p_pumps", "p_compressor", "p_heat_rejection", "p_humidification")


def prepare_weather(scenario: Scenario) -> dict[str, tuple[xr.Dataset, dict[str, Any], sites.Site]]:
    """Weather and derived psychrometrics per site, once: ``{site_key: (ds, meta, site)}``."""
    out = {}
    for name in scenario.sites:
        site = sites.load(name)
        w = scenario.weather
        ds, meta = site_weather(site, seed=w.seed, year=w.year, file=w.source if w.is_file else None)
        p = ds["p_air"].to_numpy()
        ds["w"] = ("time", psy.humidity_ratio(ds["t_db"].to_numpy(), ds["rh"].to_numpy(), p))
        ds["t_wb"] = ("time", psy.wet_bulb_from_humidity_ratio(ds["t_db"].to_numpy(), ds["w"].to_numpy(), p))
        ds["x_sat"] = ("time", psy.vapor_mole_fraction(ds["t_db"].to_numpy(), 100.0, p))
        out[site.key] = (ds, meta, site)
    lengths = {k: v[0].sizes["time"] for k, v in out.items()}
    if len(set(lengths.values())) > 1:
        raise ConfigError(f"sites have weather years of different lengths {lengths}; use one calendar year")
    return out


def _stack(objs: list[Any]) -> dict[str, Any]:
    """Stack the fields of parameter objects into (n, 1) columns; text fields must agree.

    A field with one value in every case becomes a (1, 1) array instead: broadcasting then
    computes whatever depends only on such fields (and the weather) once per hour, not once
    per case and hour — a sweep pays for the parameters it varies, not for the others.
    """
    out: dict[str, Any] = {}
    for f in dataclasses.fields(objs[0]):
        vals = [getattr(o, f.name) for o in objs]
        if isinstance(vals[0], str):
            out[f.name] = vals[0]
        else:
            col = np.asarray(vals, dtype=float if not isinstance(vals[0], bool) else bool)[:, None]
            out[f.name] = col[:1] if np.all(col == col[0]) else col
    return out


def _group_key(c: Case) -> tuple:
    texts = tuple(
        (f.name, getattr(c.cooling, f.name))
        for f in dataclasses.fields(c.cooling)
        if isinstance(getattr(c.cooling, f.name), str)
    )
    return (c.design, c.facility.profile, texts)


CASE_BLOCK = 32
"""Cases per vectorised block (see :func:`simulate`); results do not depend on it."""

KPI_VARIABLES = (
    *POWER_PARTS,
    "p_facility",
    "compute",
    "water",
    "out_of_envelope",
    "pue",
    "p_green",
    "p_green_direct",
    "p_discharge",
    "p_grid_charge",
    "p_grid_import",
    "p_surplus",
    "price",
)
"""The hourly variables :func:`twin.kpis` needs: ``simulate(..., keep=KPI_VARIABLES)`` for big sweeps."""


def simulate(scenario: Scenario, weather: dict | None = None, keep: tuple[str, ...] | None = None) -> xr.Dataset:
    """Run every case of a scenario for every hour of the weather year.

    Parameters
    ----------
    scenario : Scenario
        Sites, designs, parameters and sweep.
    weather : dict, optional
        The result of :func:`prepare_weather` (to reuse it across calls).
    keep : tuple of str, optional
        Hourly variables to keep (default: all). ``KPI_VARIABLES`` keeps what the annual KPIs
        need — a 1000-case sweep then holds 11 instead of ~30 arrays of case × 8760.

    Returns
    -------
    xarray.Dataset
        Dimensions ``case`` and ``time`` (``case`` dropped when there is one case); hourly power
        by component (kW), water (L/h), modes, supply conditions, out-of-envelope flags, hourly
        PUE; coordinates ``site``, ``design`` and one per swept parameter. Every variable has
        ``units`` and ``long_name``. Annual figures: :func:`twin.kpis`.
    """
    wx_all = weather if weather is not None else prepare_weather(scenario)
    cases = scenario.cases()
    keys = list(wx_all)
    first = wx_all[keys[0]][0]
    time = first["time"].to_numpy()
    n, nt = len(cases), time.size
    hour = pd.DatetimeIndex(time).hour.to_numpy()[None, :]
    wvars = ("t_db", "t_dp", "rh", "p_air", "w", "t_wb", "x_sat", "ghi", "wind_speed")
    wstack = {v: np.stack([wx_all[k][0][v].to_numpy() for k in keys]) for v in wvars if v in first}
    key_of = {name: sites.load(name).key for name in {c.site for c in cases}}
    site_index = np.array([keys.index(key_of[c.site]) for c in cases])

    results: dict[str, np.ndarray] = {}
    groups: dict[tuple, list[int]] = defaultdict(list)
    for i, c in enumerate(cases):
        groups[_group_key(c)].append(i)
    # Large groups run in blocks of CASE_BLOCK cases: every block is one vectorised call on
    # (block, time) arrays small enough to stay in the CPU cache, instead of streaming each of
    # ~100 intermediate (1000, 8760) arrays through memory.
    # Cases are ordered by site and cooling parameters first, so that a block mostly shares
    # them: those become (1, 1) columns (see _stack) and the cooling state is computed once
    # per hour for the block; only what depends on the varying parameters is per case.
    def order(i: int) -> tuple:
        c = cases[i]
        return (site_index[i], tuple(repr(getattr(c.cooling, f.name)) for f in dataclasses.fields(c.cooling)))

    groups = {key: sorted(idx, key=order) for key, idx in groups.items()}
    blocks = [(key, idx[s : s + CASE_BLOCK]) for key, idx in groups.items() for s in range(0, len(idx), CASE_BLOCK)]
    for key, idx in blocks:
        design = get_design(key[0])
        g = [cases[i] for i in idx]
        si = site_index[idx]
        same_site = bool(np.all(si == si[0]))
        wx = {v: (a[si[0] : si[0] + 1] if same_site else a[si]) for v, a in wstack.items()}
        fac = _stack([c.facility for c in g])
        ele = _stack([c.electrical for c in g])
        coo = _stack([c.cooling for c in g])
        design_kw = np.asarray([c.facility.design_kw for c in g], dtype=float)[:, None]
        design_kw = design_kw[:1] if np.all(design_kw == design_kw[0]) else design_kw
        u = utilisation_profile(hour, fac["utilisation"], key[1], fac["diurnal_amplitude"])

        def it_fn(t_inlet, t_chip, has_fans, fac=fac, u=u, design_kw=design_kw):
            return {
                **it_power(
                    design_kw,
                    u,
                    t_inlet,
                    t_chip,
                    idle_fraction=fac["idle_fraction"],
                    fan_share=fac["fan_share"],
                    fan_speed_per_k=fac["fan_speed_per_k"],
                    leakage_per_k=fac["leakage_per_k"],
                    performance_factor=fac["performance_factor"],
                    overclock_power_factor=fac["overclock_power_factor"],
                    has_server_fans=has_fans,
                ),
                "utilisation": u,
            }

        def heat_other(p_it, ele=ele, design_kw=design_kw):
            """UPS and distribution losses and lighting (indoors) from the hour's IT power, kW."""
            loss = electrical_losses(p_it, 0.0, design_kw, ele)
            return loss["p_dist_loss"] + loss["p_ups_loss"] + loss["p_misc"]

        # Design heat (sizes trim and dry coolers): design IT power plus its indoor losses.
        q_design = design_kw + heat_other(design_kw)
        r = design.simulate(wx, coo, it_fn, heat_other, q_design)
        r["p_cooling"] = sum(r[k] for k in COOLING_PARTS)
        r.update(electrical_losses(r["p_it"], r["p_cooling"], design_kw, ele))
        r["p_facility"] = sum(r[k] for k in POWER_PARTS)
        r["pue"] = r["p_facility"] / r["p_it"]
        for name, arr in r.items():
            if keep is not None and name not in keep and name != "p_facility":
                continue
            if callable(arr):  # a diagnostic the design computes only on demand
                arr = arr()
            arr = np.broadcast_to(np.asarray(arr), (len(idx), nt))
            if name not in results:
                dtype = bool if arr.dtype == bool else (np.int16 if name == "mode" else float)
                results[name] = np.full(
                    (n, nt), False if dtype is bool else (-1 if dtype is np.int16 else np.nan), dtype=dtype
                )
            results[name][idx] = arr
    hourly, per_case = green_power(
        cases, [key_of[c.site] for c in cases], wx_all, results["p_facility"], scenario.dispatch
    )
    for name, arr in hourly.items():
        if keep is None or name in keep:
            results[name] = arr
    for v in ("t_db", "t_wb", "rh", "ghi", "wind_speed"):
        if v in wstack and (keep is None or v in keep):
            results[v] = wstack[v][site_index] if len(keys) > 1 else np.broadcast_to(wstack[v], (n, nt))
    coords = {
        "time": time,
        "case": np.arange(n),
        "site": ("case", [key_of[c.site] for c in cases]),
        "design": ("case", [c.design for c in cases]),
    }
    for k, _ in scenario.sweep:
        coords[k] = ("case", [dict(c.swept).get(k, np.nan) for c in cases])
    if n == 1:  # one case: no case dimension (built directly; squeezing a Dataset is slow)
        data = {k: (("time",), np.asarray(v)[0], attrs(k)) for k, v in results.items()}
        data.update({k: ((), np.asarray(v)[0], attrs(k)) for k, v in per_case.items()})
        coords = {k: (v[1][0] if isinstance(v, tuple) else (v[0] if k == "case" else v)) for k, v in coords.items()}
    else:
        data = {k: (("case", "time"), v, attrs(k)) for k, v in results.items()}
        data.update({k: (("case",), v, attrs(k)) for k, v in per_case.items()})
    ds = xr.Dataset(data, coords=coords)
    ds.attrs.update(
        scenario=scenario.name,
        weather_source=scenario.weather.source,
        weather_seed=scenario.weather.seed,
        modes="; ".join(f"{d}: {', '.join(get_design(d).modes)}" for d in scenario.designs),
        conventions="hourly mean power in kW (= kWh per hour); time is local standard time, interval start",
    )
    for key, (_, meta, _) in wx_all.items():
        ds.attrs[f"weather_{key}"] = "; ".join(meta.get("notes", []))[:500]
    return ds
