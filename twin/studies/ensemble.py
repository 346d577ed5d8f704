"""Weather ensembles: many generated years (seeds) and warmer normals → P10/P50/P90 of the KPIs.

Each member is one generated year of every site (:func:`weather.generator.typical_year` with
a seed) from the site's monthly normals, optionally warmed by ΔT. One block is one member at
one site: all the scenario's cases there (designs × sweep) in one
:func:`twin.engine.simulate.annual_kpis` call on that year. :mod:`twin.studies.study` runs the blocks (checkpointed, optionally on Dask).

Warming (:func:`warmed_normals`): the monthly mean, mean daily maximum and mean daily minimum
dry bulb all rise by ΔT (the diurnal range is kept); the monthly mean dew point rises so the
relative humidity of the monthly mean pair (T, T_dew) stays the same — constant relative
humidity, the behaviour of the lower troposphere under warming in climate models (Held &
Soden 2006, J. Climate 19, 5686), about +6 to 7 % water vapour per K. Irradiation, wind and the
day-to-day variability statistics are unchanged. This is a uniform sensitivity shift, not a
downscaled climate projection.

Year-to-year variability (the scenario's ``[ensemble]`` table, ``twin ensemble --year-to-year``):
each member's site then has its own monthly normals, drawn from the member's seed by
:func:`twin.engine.year_to_year.perturbed_site` after the warming (:func:`member_block`), so the
spread over seeds holds warm and cool summers, dull and bright, calm and windy years as well as
the day-to-day weather. Off (the default), every member is generated from the normals as they are.
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

import sites
from twin.core.fmt import number, span
from twin.core.io import OutputError, write_netcdf
from twin.core.params import ConfigError
from twin.core.runtime import MAX_SEEDS
from twin.engine.config import Scenario
from twin.engine.kernels import kernel_for, kernel_mark
from twin.engine.simulate import green_flows, idle_storage_warnings, load_sites, with_psychrometrics
from twin.engine.weather_source import site_weather
from twin.engine.year_to_year import member_normals, perturbed_site
from twin.studies.study import Checkpoint, Progress, run_blocks
from twin.studies.sweep import assemble, kernel_summary, kpi_block, layout
from weather import psychrometrics as psy

__all__ = [
    "ENSEMBLE_KPIS",
    "QUANTILES",
    "SEED_SPREAD",
    "WARMING_RANGE_K",
    "YEAR_SPREAD",
    "anomalies",
    "check_warming",
    "member_block",
    "member_weather",
    "percentiles",
    "run_ensemble",
    "spread_note",
    "warmed_normals",
]

QUANTILES = (0.1, 0.5, 0.9)
"""P10, P50, P90: linear interpolation between order statistics (numpy's default, Hyndman &
Fan type 7). With N seeds, P10 and P90 rest on the two lowest and highest members: N ≥ 20 gives
tails worth quoting, N = 5 only a spread."""

ENSEMBLE_KPIS = (
    "pue",
    "wue",
    "green_share_annual",
    "green_share_hourly",
    "cost_per_compute",
    "cost_per_mwh_it",
    "cost_total",
    "co2",
)
"""The KPIs whose percentiles are tabulated (all KPIs are kept per member in the NetCDF)."""


def warmed_normals(site: sites.Site, warming_k: float) -> sites.Site:
    """The site with its monthly normals warmed by ``warming_k`` at constant relative humidity.

    Dry-bulb normals (mean, mean daily max and min) + ΔT; dew point such that the relative
    humidity of (monthly mean T, monthly mean T_dew) at the site's standard pressure is kept;
    ``rh_mean_pct``, irradiation, wind and variability unchanged (see the module docs).
    """
    if warming_k == 0:
        return site
    n = site.normals
    p = float(psy.pressure_from_elevation(site.location.elevation_m))
    t = np.asarray(n.t_mean_c, dtype=float)
    rh = psy.relative_humidity_from_dew_point(t, np.asarray(n.t_dew_mean_c, dtype=float), p)
    dew = psy.dew_point(t + warming_k, rh, p)
    warmed = dataclasses.replace(
        n,
        t_mean_c=tuple(float(x) for x in t + warming_k),
        t_max_daily_mean_c=tuple(float(x) + warming_k for x in n.t_max_daily_mean_c),
        t_min_daily_mean_c=tuple(float(x) + warming_k for x in n.t_min_daily_mean_c),
        t_dew_mean_c=tuple(float(x) for x in dew),
        source=f"{n.source}; warmed by {warming_k:+g} K at constant relative humidity (twin.studies.ensemble)",
    )
    return dataclasses.replace(site, normals=warmed)


def member_weather(
    scenario: Scenario, site: sites.Site, seed: int, warming_k: float
) -> tuple[xr.Dataset, dict, sites.Site]:
    """One member's generated year: the weather Dataset, its metadata and the site it was
    generated for (the normals warmed by ``warming_k``, then, when the scenario's
    ``ensemble.year_to_year`` is on, moved by the seed's anomalies)."""
    warm = perturbed_site(warmed_normals(site, warming_k), scenario.ensemble, seed, scenario.weather.year)
    ds, meta = site_weather(warm, seed=seed, year=scenario.weather.year)
    return ds, meta, warm


def member_block(
    scenario: Scenario, site: sites.Site, cases: list, seed: int, warming_k: float, kernel: str = "auto"
) -> dict:
    """Annual KPIs of the cases at one site on one generated, warmed year (a Dask task,
    :func:`member_weather`); ``kernel`` as :func:`~twin.studies.sweep.kpi_block`'s."""
    ds, meta, warm = member_weather(scenario, site, seed, warming_k)
    return kpi_block(scenario, {site.key: (with_psychrometrics(ds), meta, warm)}, cases, kernel)


def percentiles(ds: xr.Dataset, names: Sequence[str] = ENSEMBLE_KPIS) -> xr.Dataset:
    """P10/P50/P90 over ``seed`` of the named KPIs: a ``quantile`` dimension, labels kept."""
    q = ds[[n for n in names if n in ds]].quantile(list(QUANTILES), dim="seed")
    for n in q.data_vars:
        q[n].attrs = dict(ds[n].attrs)
    q["quantile"].attrs.update(
        units="1",
        long_name="quantile over generated years (P10, P50, P90)",
        comment=ds.attrs.get("seed_spread", SEED_SPREAD),
    )
    return q


SEED_SPREAD = (
    "the spread over seeds is the sampling of the day-to-day weather within the site's fixed monthly normals: "
    "every generated year has the normals' monthly mean dry bulb (exactly) and dew point, so it is not the "
    "year-to-year variability of the site's climate; a warmer or cooler year is a --warming"
)
"""What P10/P50/P90 over seeds are and are not: the table's note and the NetCDF's ``seed_spread``
attribute (:func:`weather.generator.typical_year` holds each month's means at the normals)."""

YEAR_SPREAD = (
    "the spread over seeds is the day-to-day weather and the year-to-year variability of {what}: each generated "
    "year draws its own monthly means ({sds}); anomalies independent between months, quantities and sites; "
    "the applied anomalies are the yty_* variables"
)
""":data:`SEED_SPREAD` with year-to-year variability on, formatted by :func:`spread_note`."""

NO_TEMPERATURE = (
    "no temperature anomalies drawn (ensemble.t_sd_k and t_dew_sd_k 0: no sourced SD; give --t-sd/--dew-sd), "
    "so the PUE and WUE spread is the day-to-day weather only"
)
"""What :func:`spread_note` adds when year-to-year variability moves no temperature."""

NO_GREEN = "no case has PV or wind modelled from the weather, so the GHI and wind anomalies change nothing"
"""What :func:`spread_note` adds when no case's green supply sees the GHI and wind anomalies."""


def _modelled_green(cases: Sequence[Any]) -> bool:
    """Whether a case has PV or wind whose output is modelled from the weather (not a measured profile)."""
    return any(g.capacity_mw > 0 and not g.profile_csv for c in cases for g in (c.pv, c.wind))


def spread_note(scenario: Scenario) -> str:
    """What the spread over seeds of this scenario's ensemble is: :data:`SEED_SPREAD`, or
    :data:`YEAR_SPREAD` naming the quantities whose monthly means vary and their SDs, and, when
    they do not reach the KPIs, :data:`NO_TEMPERATURE` and :data:`NO_GREEN`."""
    p = scenario.ensemble
    if not p.year_to_year:
        return SEED_SPREAD
    what, sds = [], []
    if p.t_sd_k > 0:
        what.append("the monthly mean dry bulb")
        sds.append(f"dry bulb SD {p.t_sd_k:g} K")
    if p.t_dew_sd_k > 0:
        what.append("the monthly mean dew point")
        sds.append(f"dew point SD {p.t_dew_sd_k:g} K")
    if p.t_sd_k > 0 and p.t_dew_sd_k > 0:
        sds.append(f"their correlation {p.t_dew_corr:g}")
    if p.ghi_sd_pct > 0 or p.ghi_month_sd_pct > 0:
        what.append("the monthly GHI")
        sds.append(f"GHI year SD {p.ghi_sd_pct:g} %, month SD {p.ghi_month_sd_pct:g} %")
    if p.wind_sd_pct > 0 or p.wind_month_sd_pct > 0:
        what.append("the monthly mean wind speed")
        sds.append(f"wind year SD {p.wind_sd_pct:g} %, month SD {p.wind_month_sd_pct:g} %")
    if not what:
        return f"{SEED_SPREAD} (ensemble.year_to_year = true, but every SD is 0: nothing drawn)"
    note = YEAR_SPREAD.format(what=", ".join(what), sds="; ".join(sds))
    if p.t_sd_k == p.t_dew_sd_k == 0:
        note += "; " + NO_TEMPERATURE
    if (p.ghi_sd_pct or p.ghi_month_sd_pct or p.wind_sd_pct or p.wind_month_sd_pct) and not _modelled_green(
        scenario.cases()
    ):
        note += "; " + NO_GREEN
    return note


_ANOMALY_VARS = {
    "t_k": ("yty_t_anomaly", "K", "applied anomaly of the monthly mean dry bulb (year-to-year variability)"),
    "t_dew_k": (
        "yty_t_dew_anomaly",
        "K",
        "applied anomaly of the monthly mean dew point (year-to-year variability, after the cap at the normals' "
        "smallest mean depression below the new mean dry bulb)",
    ),
    "ghi_ratio": (
        "yty_ghi_ratio",
        "1",
        "applied factor on the monthly GHI (year-to-year variability, after the cap at the clear-sky irradiation)",
    ),
    "wind_ratio": ("yty_wind_ratio", "1", "applied factor on the monthly mean wind speed (year-to-year variability)"),
}


def anomalies(
    scenario: Scenario, seeds: Sequence[int], site_objs: Sequence[sites.Site], warming: Sequence[float] = (0.0,)
) -> xr.Dataset:
    """The members' applied monthly anomalies (:func:`twin.engine.year_to_year.member_normals`,
    after its caps, relative to the warmed normals) as ``yty_*`` variables with dimensions
    ``warming, seed, site, month`` (sites labelled as the scenario names them, drawn by their keys
    as :func:`member_block` draws them)."""
    year = scenario.weather.year
    applied = [
        [member_normals(warmed_normals(s, w), scenario.ensemble, seeds, year)[1] for s in site_objs] for w in warming
    ]
    dims = ("warming", "seed", "site", "month")
    data = {
        name: (
            dims,
            np.stack([np.stack([a[k] for a in per_w], axis=1) for per_w in applied]),
            {"units": u, "long_name": ln},
        )
        for k, (name, u, ln) in _ANOMALY_VARS.items()
    }
    coords = {
        "warming": ("warming", list(warming)),
        "seed": ("seed", list(seeds)),
        "site": ("site", list(scenario.sites)),
        "month": ("month", np.arange(1, 13), {"long_name": "month of the year", "units": "1"}),
    }
    return xr.Dataset(data, coords=coords)


MAX_MEMBERS = 2_000_000
"""Most case-years of one ensemble (cases × seeds × warmings; assumption: the national study of
issue 14, 4 hubs × 7 designs × 1,000 sizes × 50 years = 1.4 M, fits; its KPIs hold ≈ 0.4 kB each)."""


WARMING_RANGE_K = (-10.0, 10.0)
"""Warmings an ensemble takes, K (assumption: the constant-RH shift of :func:`warmed_normals` is a
sensitivity study, not a projection; ±10 K is beyond every scenario's 2100 mean for these regions)."""


def check_warming(warming: Sequence[Any], name: str = "warming") -> list[float]:
    """The warmings as floats, each finite and within :data:`WARMING_RANGE_K`, none repeated;
    else ``ConfigError`` naming the first value that is not (as given, after ``name`` when one is
    given) and what is allowed."""
    allowed = f"allowed {span(*WARMING_RANGE_K)} K"
    name = f"{name} " if name else ""
    if not len(warming):
        raise ConfigError(f"{name.rstrip() or 'warming'}: no value given; {allowed}")
    out = []
    for w in warming:
        try:
            v = float(w)
        except (TypeError, ValueError):
            raise ConfigError(f"{name}{w!r} is not a number; {allowed}") from None
        if not math.isfinite(v):
            raise ConfigError(f"{name}{w!r} is not a finite number; {allowed}")
        if not WARMING_RANGE_K[0] <= v <= WARMING_RANGE_K[1]:
            raise ConfigError(f"{name}{number(v, grouped=False)} K is outside {span(*WARMING_RANGE_K)} K")
        if v in out:
            raise ConfigError(f"{name}{number(v, grouped=False)} K is repeated; give each warming once")
        out.append(v)
    return out


def _warn_year_to_year(scenario: Scenario, cases: Sequence[Any]) -> None:
    """Warn where year-to-year anomalies do not reach the results: SDs kept while
    ``ensemble.year_to_year`` is off; a correlation without both temperature SDs; a measured PV or
    wind profile (``profile_csv``), which the weather does not move; a wind farm scaled to a fixed
    annual mean (``green.wind.hub_mean_speed_ms`` or ``target_capacity_factor``), which takes the
    year's wind anomaly out again (only the months' shares of it remain)."""
    p = scenario.ensemble
    if p.unused():
        shown = ", ".join(f"ensemble.{k} = {getattr(p, k):g}" for k in p.unused())
        warnings.warn(f"{shown} given, but ensemble.year_to_year = false: nothing is drawn", stacklevel=3)
        return
    if not p.year_to_year:
        return
    if p.t_dew_corr != 0 and (p.t_sd_k == 0 or p.t_dew_sd_k == 0):
        warnings.warn(
            f"ensemble.t_dew_corr = {p.t_dew_corr:g} changes nothing while t_sd_k = {p.t_sd_k:g} K and "
            f"t_dew_sd_k = {p.t_dew_sd_k:g} K (it correlates two non-zero anomalies)",
            stacklevel=3,
        )
    said = set()
    for c in cases:
        for kind, g, sd in (
            ("pv", c.pv, p.ghi_sd_pct + p.ghi_month_sd_pct),
            ("wind", c.wind, p.wind_sd_pct + p.wind_month_sd_pct),
        ):
            if g.capacity_mw > 0 and g.profile_csv and sd > 0 and kind not in said:
                said.add(kind)
                warnings.warn(
                    f"green.{kind}.profile_csv = {g.profile_csv!r} is a measured profile: the year-to-year "
                    f"{'GHI' if kind == 'pv' else 'wind'} anomalies do not reach it (the same output every year)",
                    stacklevel=3,
                )
    if p.wind_sd_pct == 0:
        return
    for c in cases:
        w = c.wind
        fixed = "hub_mean_speed_ms" if w.hub_mean_speed_ms is not None else None
        fixed = fixed or ("target_capacity_factor" if w.target_capacity_factor is not None else None)
        if w.capacity_mw > 0 and fixed and not w.profile_csv:
            warnings.warn(
                f"green.wind.{fixed} = {getattr(w, fixed):g} scales every year's wind to one annual mean, so "
                f"ensemble.wind_sd_pct = {p.wind_sd_pct:g} % does not reach the wind farm's annual yield "
                "(drop the key to scale to the site's [wind] resource, which the year's anomaly moves)",
                stacklevel=3,
            )
            return


def _seed_range(seeds: Sequence[int]) -> str:
    """``0…9`` for consecutive seeds, else the list."""
    if list(seeds) == list(range(seeds[0], seeds[0] + len(seeds))):
        return f"{seeds[0]}…{seeds[-1]}" if len(seeds) > 1 else str(seeds[0])
    return ", ".join(map(str, seeds))


def run_ensemble(
    scenario: Scenario,
    seeds: Sequence[int],
    warming: Sequence[float] = (0.0,),
    *,
    output: str | Path | None = None,
    force: bool = False,
    client: Any = None,
    progress: bool = True,
    on_block: Callable[[int], None] | None = None,
    kernel: str = "auto",
) -> tuple[xr.Dataset, xr.Dataset]:
    """Run every case on ``len(seeds) × len(warming)`` generated years.

    The members' seeds replace the scenario's own ``weather.seed``; a warning says so when that
    is not 0 (the default), so a seed of a scenario file or of ``--set weather.seed`` is never
    dropped silently. ``kernel`` is :func:`~twin.studies.sweep.run_sweep`'s, decided once for
    the ensemble's case-years (cases × seeds × warmings).

    Returns
    -------
    (members, percentiles) : (xarray.Dataset, xarray.Dataset)
        Every KPI with dimensions ``warming, seed, site, design, *swept keys``; and
        :func:`percentiles` of :data:`ENSEMBLE_KPIS` over ``seed``. With ``output``, both go to
        one NetCDF (the percentiles as ``NAME_quantile``); a checkpoint ``OUTPUT.checkpoint``
        keeps finished members until it is written.
    """
    if scenario.weather.is_file:
        raise ConfigError(f"weather.source = {scenario.weather.source!r}: an ensemble needs generated years (typical)")
    if len(seeds) > MAX_SEEDS:
        raise ConfigError(f"--seeds: {len(seeds):,} seeds; at most {MAX_SEEDS:,} generated years per site and warming")
    n_cases = scenario.case_count
    if n_cases * len(seeds) * len(warming) > MAX_MEMBERS:
        raise ConfigError(
            f"the ensemble has {n_cases:,} cases × {len(seeds):,} seeds × {len(warming):,} warmings = "
            f"{n_cases * len(seeds) * len(warming):,} case-years; at most {MAX_MEMBERS:,}: "
            "use fewer seeds, warmings or swept values, or split the study"
        )
    seeds = [int(s) for s in seeds]
    warming = check_warming(warming)
    if not seeds or len(set(seeds)) != len(seeds) or min(seeds) < 0:
        raise ConfigError(f"--seeds: need distinct seeds ≥ 0, got {seeds}")
    if scenario.weather.seed != 0:  # a file's [weather] seed, or --set weather.seed: the members' seeds replace it
        warnings.warn(
            f"weather.seed = {scenario.weather.seed} of scenario {scenario.name!r} is not used: the ensemble "
            f"runs one generated year per seed {_seed_range(seeds)}",
            stacklevel=2,
        )
    out = Path(output) if output is not None else None
    if out is not None and out.exists() and not force:
        raise OutputError(f"{out} exists; choose another name or pass --force to replace it")
    site_objs = tuple(load_sites(scenario))
    cases = scenario.cases()
    _warn_year_to_year(scenario, cases)
    m = len(cases) // len(site_objs)  # cases() runs sites × designs × sweep: one slice per site
    per_site = [(site, cases[j * m : (j + 1) * m]) for j, site in enumerate(site_objs)]
    kernel = kernel_for(len(cases) * len(seeds) * len(warming), kernel)  # one choice for the ensemble's case-years
    blocks = [(site, c, s, w, kernel) for w in warming for s in seeds for site, c in per_site]
    ckpt = None
    if out is not None:
        spec = {
            "kind": "ensemble",
            "scenario": scenario.to_dict(),
            "seeds": seeds,
            "warming": warming,
            **kernel_mark(len(cases) * len(seeds) * len(warming), kernel),
        }
        ckpt = Checkpoint(out.with_name(out.name + ".checkpoint"), spec, force=force)
    try:
        label = f"ensemble {len(seeds) * len(warming)} years × {len(cases)} cases"
        bar = Progress(len(blocks), label) if progress else None
        results = run_blocks(
            member_block,
            blocks,
            shared=(scenario,),
            checkpoint=ckpt,
            client=client,
            progress=bar,
            on_block=on_block,
            sizes=[len(b[1]) for b in blocks],
        )
        case_lay = layout(scenario)
        lay = dataclasses.replace(
            case_lay,
            dims=("warming", "seed", *case_lay.dims),
            shape=(len(warming), len(seeds), *case_lay.shape),
            coords={
                "warming": ("warming", warming, {"units": "K", "long_name": "warming of the monthly dry-bulb normals"}),
                "seed": ("seed", seeds, {"long_name": "seed of the generated year"}),
                **case_lay.coords,
            },
        )
        members = assemble(results, lay)
        members.attrs.update(
            scenario=scenario.name,
            weather_year=scenario.weather.year,
            warming="dry-bulb normals + ΔT; dew point at constant RH of the monthly means (twin.studies.ensemble)",
            kernel=kernel_summary(kernel, scenario.designs),
            seed_spread=spread_note(scenario),
        )
        for text in idle_storage_warnings(scenario.case_columns(), green_flows(members)):
            warnings.warn(text, stacklevel=2)
        if scenario.ensemble.year_to_year:
            members = members.merge(anomalies(scenario, seeds, site_objs, warming))
        q = percentiles(members)
        if out is not None and ckpt is not None:
            both = members.merge(q.rename({n: f"{n}_quantile" for n in q.data_vars}))
            write_netcdf(both, out, force=force)
            ckpt.remove()
    finally:
        if ckpt is not None:
            ckpt.close()
    return members, q
