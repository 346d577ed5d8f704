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
from twin.studies.study import Checkpoint, Progress, run_blocks
from twin.studies.sweep import assemble, kernel_summary, kpi_block, layout
from weather import psychrometrics as psy

__all__ = [
    "ENSEMBLE_KPIS",
    "QUANTILES",
    "SEED_SPREAD",
    "WARMING_RANGE_K",
    "check_warming",
    "member_block",
    "percentiles",
    "run_ensemble",
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


def member_block(
    scenario: Scenario, site: sites.Site, cases: list, seed: int, warming_k: float, kernel: str = "auto"
) -> dict:
    """Annual KPIs of the cases at one site on one generated, warmed year (a Dask task);
    ``kernel`` as :func:`~twin.studies.sweep.kpi_block`'s."""
    warm = warmed_normals(site, warming_k)
    ds, meta = site_weather(warm, seed=seed, year=scenario.weather.year)
    return kpi_block(scenario, {site.key: (with_psychrometrics(ds), meta, warm)}, cases, kernel)


def percentiles(ds: xr.Dataset, names: Sequence[str] = ENSEMBLE_KPIS) -> xr.Dataset:
    """P10/P50/P90 over ``seed`` of the named KPIs: a ``quantile`` dimension, labels kept."""
    q = ds[[n for n in names if n in ds]].quantile(list(QUANTILES), dim="seed")
    for n in q.data_vars:
        q[n].attrs = dict(ds[n].attrs)
    q["quantile"].attrs.update(
        units="1", long_name="quantile over generated years (P10, P50, P90)", comment=SEED_SPREAD
    )
    return q


SEED_SPREAD = (
    "the spread over seeds is the sampling of the day-to-day weather within the site's fixed monthly normals: "
    "every generated year has the normals' monthly mean dry bulb (exactly) and dew point, so it is not the "
    "year-to-year variability of the site's climate; a warmer or cooler year is a --warming"
)
"""What P10/P50/P90 over seeds are and are not: the table's note and the NetCDF's ``seed_spread``
attribute (:func:`weather.generator.typical_year` holds each month's means at the normals)."""


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
            seed_spread=SEED_SPREAD,
        )
        for text in idle_storage_warnings(scenario.case_columns(), green_flows(members)):
            warnings.warn(text, stacklevel=2)
        q = percentiles(members)
        if out is not None and ckpt is not None:
            both = members.merge(q.rename({n: f"{n}_quantile" for n in q.data_vars}))
            write_netcdf(both, out, force=force)
            ckpt.remove()
    finally:
        if ckpt is not None:
            ckpt.close()
    return members, q
