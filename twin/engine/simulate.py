"""The orchestrator: a scenario in, an hourly ``xarray.Dataset`` (or its annual KPIs) out.

Work that does not depend on the design (weather, psychrometrics) is done once per site.
Cases are grouped by design (and by the text parameters that pick tables, e.g. the
refrigerant) and run in blocks of up to :data:`CASE_BLOCK` cases of one site and equal cooling
parameters: one vectorised call per block on ``(case, time)`` arrays, varying parameters as
``(case, 1)`` columns and shared ones as ``(1, 1)``, so what depends only on the weather and the
shared parameters is computed per hour, not per case and hour. Blocks run on a thread pool.
The only loop over time is the storage recursion (:mod:`twin.supply.storage`), over all cases.
:func:`simulate` assembles the hourly Dataset; :func:`annual_kpis` reduces each block to its
annual figures instead.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import gc
import os
import threading
from collections import defaultdict
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

import sites
from twin.building.cooling import DESIGNS, get_design
from twin.building.cooling.free_air import ConvergenceError
from twin.building.facility import (
    COOLING_PARTS,
    POWER_PARTS,
    derive_psychrometrics,
    facility_chain,
    field_names,
    stack_columns,
)
from twin.building.heat_reuse import heat_demand, reused_heat
from twin.building.it_load import utilisation_profile
from twin.core.environment import env
from twin.core.io import NcContent, NcVariable, read_hourly_csv
from twin.core.jit import use_compiled
from twin.core.memo import LRU, of_axis
from twin.core.params import ConfigError, text_fields
from twin.core.runtime import HOURLY_VARIABLES, check_memory
from twin.core.variables import attrs, build_dataset, new_variable
from twin.engine.config import Case, CaseColumns, Scenario
from twin.engine.metrics import (
    GREEN_HOURLY_NEEDS,
    HEAT_NEEDS,
    HOURLY_NEEDS,
    annual_figures,
    annual_sum,
    calendar_starts,
    kpi_dataset,
    kpi_figures,
    policy_attrs,
)
from twin.engine.weather_source import site_year
from twin.money.economics import idle_storage_text, server_capex_annual
from twin.supply.green import SupplyParams, green_power
from weather.dataset import hour_and_month
from weather.year import WeatherYear, as_year

if TYPE_CHECKING:
    import xarray as xr

__all__ = [
    "COOLING_PARTS",
    "KPI_VARIABLES",
    "POWER_PARTS",
    "HourlyRun",
    "annual_kpis",
    "green_flows",
    "idle_storage_warnings",
    "load_sites",
    "prepare_weather",
    "prepare_years",
    "server_capex",
    "simulate",
    "simulate_arrays",
    "with_psychrometrics",
]


def load_sites(scenario: Scenario) -> list[sites.Site]:
    """The scenario's sites, loaded (by key, name or alias), in its order.

    Raises
    ------
    ConfigError
        Two entries name one site (``yinchuan`` and its alias ``Minning``): its cases would run
        twice, with duplicate coordinates.
    """
    loaded: dict[str, str] = {}
    out = []
    for name in scenario.sites:
        site = sites.load(name, scenario.site_dirs)
        if site.key in loaded:
            raise ConfigError(
                f"sites = {', '.join(scenario.sites)}: {loaded[site.key]!r} and {name!r} are the same site "
                f"({site.key}); give each site once"
            )
        loaded[site.key] = name
        out.append(site)
    return out


def idle_storage_warnings(table: CaseColumns, green: Any) -> list[str]:
    """What a run or study says of its idle stores: one line per distinct idle store, prices and
    flow of its cases, in case order (``twin run``, ``twin sweep`` and ``twin ensemble`` alike).

    Parameters
    ----------
    table : CaseColumns
        The cases (:meth:`Scenario.case_columns <twin.engine.config.Scenario.case_columns>`).
    green : array_like of bool
        Whether green power flows in each case (PV or wind output, or storage discharge), one per
        case (:func:`green_flows` of a study's KPIs), or one for all.

    Returns
    -------
    list of str
        :func:`twin.money.economics.idle_storage_text` of each distinct ``(storage, economics,
        green)`` of the cases that is not "" (a store with energy but no power, or power but no
        energy; a store with no green power to take), each once. Each distinct triple is judged
        once: a sweep of 200,000 cases judges a few.
    """
    stores, s = table.column("storage")
    prices, e = table.column("economics")
    flows = np.broadcast_to(np.asarray(green, dtype=bool).reshape(-1), s.shape)
    said: dict[str, None] = {}
    for i, j, g in dict.fromkeys(zip(s.tolist(), e.tolist(), flows.tolist(), strict=True)):
        text = idle_storage_text(stores[i].power_mw, stores[i].energy_mwh, prices[j], green=g)
        if text:
            said[text] = None
    return list(said)


def green_flows(kpis: xr.Dataset) -> np.ndarray:
    """Whether green power flows in each case of a study's annual KPIs (green generation or
    storage discharge above 0 in the year; an ensemble's case: in any of its members), flat in
    the order of the cases (dimensions ``site, design, …`` as :func:`twin.studies.sweep.layout`)."""
    flows = (kpis["energy_green"] > 0) | (kpis["storage_cycles_per_day"] > 0)
    members = [d for d in ("warming", "seed") if d in flows.dims]
    return np.asarray((flows.any(members) if members else flows).to_numpy()).reshape(-1)


def prepare_weather(scenario: Scenario) -> dict[str, tuple[xr.Dataset, dict[str, Any], sites.Site]]:
    """Weather and derived psychrometrics per site, once: ``{site_key: (ds, meta, site)}``."""
    return {k: (year.to_dataset(), meta, site) for k, (year, meta, site) in prepare_years(scenario).items()}


def prepare_years(scenario: Scenario) -> dict[str, tuple[WeatherYear, dict[str, Any], sites.Site]]:
    """:func:`prepare_weather` as named arrays (:class:`weather.year.WeatherYear`), without xarray."""
    out = {}
    for site in load_sites(scenario):
        w = scenario.weather
        year, meta = site_year(
            site,
            seed=w.seed,
            year=w.year,
            file=w.source if w.is_file else None,
            format=w.format,
            bad_records=w.bad_records,  # a reader option: used with a file only
        )
        for k, a in derive_psychrometrics(year["t_db"], year["rh"], year["p_air"]).items():
            year.assign(k, a)
        out[site.key] = (year, meta, site)
    lengths = {k: v[0].time.size for k, v in out.items()}
    if len(set(lengths.values())) > 1:
        raise ConfigError(f"sites have weather years of different lengths {lengths}; use one calendar year")
    return out


def _texts(p: Any) -> tuple:
    """The text fields of a parameter object (they pick tables and laws: one value per block)."""
    return tuple((n, v) for n in text_fields(type(p)) if isinstance(v := getattr(p, n), str))


def with_psychrometrics(ds: xr.Dataset) -> xr.Dataset:
    """Add what the physics needs from a weather Dataset: humidity ratio, wet bulb, saturation mole fraction."""
    derived = derive_psychrometrics(
        ds["t_db"].to_numpy(), ds["rh"].to_numpy(), ds["p_air"].to_numpy()
    )  # as prepare_years
    for k, a in derived.items():
        ds[k] = ("time", a)
    return ds


def _group_key(design: str, facility: Any, cooling: Any, texts: Callable[[Any], tuple] = _texts) -> tuple:
    """What the cases of one block share: design, utilisation profile and the text fields
    (``texts``: :func:`_texts`, or a memo of it)."""
    return (design, facility.profile, texts(cooling), facility.profile_csv, texts(facility))


CASE_BLOCK = 128
"""Cases per vectorised block (see :func:`simulate`); results do not depend on it. Measured on
the CI machine, 1,000-case free-air sweep (``make bench``): 8 → 1.1 s, 32 → 0.5 s,
128 → 0.36 s, 256 → 0.75 s (Python overhead per block against arrays leaving the cache)."""


def mode_codes() -> tuple[dict[str, int], tuple[str, ...]]:
    """The one ``mode`` code table over the registered designs (:data:`twin.building.cooling.DESIGNS`).

    Returns each design's first code and the CF flag meaning of every code (``free_air_mix`` …):
    the hourly ``mode`` is ``offset[design] + index into the design's modes``, so a Dataset of
    several designs can carry CF ``flag_values`` / ``flag_meanings`` (free air's codes are its
    indices 0–5). Read at each run, so a design registered later gets codes too.
    """
    designs = tuple((name, tuple(DESIGNS.modes(name))) for name in DESIGNS)  # without importing them
    offset, meanings = _mode_codes(designs)
    return dict(offset), meanings


@functools.lru_cache(maxsize=8)
def _mode_codes(
    designs: tuple[tuple[str, tuple[str, ...]], ...],
) -> tuple[tuple[tuple[str, int], ...], tuple[str, ...]]:
    """:func:`mode_codes` of the designs' names and modes."""
    offset: list[tuple[str, int]] = []
    meanings: list[str] = []
    for name, modes in designs:
        offset.append((name, len(meanings)))
        meanings += [f"{name}_{m}".replace("+", "_and_").replace(" ", "_") for m in modes]
    return tuple(offset), tuple(meanings)


KPI_VARIABLES = (*HOURLY_NEEDS, *GREEN_HOURLY_NEEDS)
"""The hourly variables :func:`twin.kpis` needs: ``simulate(..., keep=KPI_VARIABLES)`` for big sweeps."""


@dataclasses.dataclass
class _Plan:
    """What every block of a run shares: the cases (as columns), weather stacked per site, the blocks."""

    wx_all: dict
    table: CaseColumns
    keys: list[str]
    time: np.ndarray
    hour: np.ndarray
    month: np.ndarray
    """Month of the year (0–11) of each time step (:func:`calendar`)."""
    wstack: dict[str, np.ndarray]
    key_of: dict[str, str]
    site_index: np.ndarray
    blocks: list[tuple[tuple, list[int]]]

    @functools.cached_property
    def cases(self) -> list[Case]:
        """The :class:`Case` objects (made on first use: the engine reads :attr:`table`)."""
        return self.table.cases()

    @functools.cached_property
    def site_keys(self) -> list[str]:
        """Each case's site key."""
        return self.table.values("site", fn=self.key_of.__getitem__)


_CALENDAR = LRU(8)
"""The hour of day and month of the time axes run last (a run's year, call after call)."""


def calendar(time: np.ndarray, kind: str) -> np.ndarray:
    """The hour of day (``kind="hour"``) or month (``"month"``, 0–11) of each time stamp, read-only:
    :func:`weather.dataset.hour_of_day` / :func:`~weather.dataset.month_of_year`, both computed
    together (:func:`~weather.dataset.hour_and_month`: a run reads both) and memoised by the time
    stamps' values (:func:`twin.core.memo.of_axis`: a year's calendar is every site's)."""
    hour, month = _calendar(time)
    return hour if kind == "hour" else month


def _calendar(time: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`calendar`'s hour of day and month, one memo entry."""
    return of_axis(_CALENDAR, lambda: hour_and_month(time), time)


def _read_only(a: np.ndarray) -> np.ndarray:
    a.flags.writeable = False  # the physics must never write into the shared weather
    return a


def _plan(scenario: Scenario, weather: dict | None, cases: list[Case] | slice | None = None) -> _Plan:
    wx_all = weather if weather is not None else prepare_years(scenario)
    wx_all = {k: (as_year(year), meta, site) for k, (year, meta, site) in wx_all.items()}  # Datasets: views
    if cases is None or isinstance(cases, slice):
        table = scenario.case_columns(cases)
    else:
        table = CaseColumns.of_cases(cases)
    keys = list(wx_all)
    first = wx_all[keys[0]][0]
    time = first.time
    hour, month = _calendar(time)
    hour = hour[None, :]
    wvars = ("t_db", "t_dp", "rh", "p_air", "w", "t_wb", "x_sat", "ghi", "wind_speed")
    if len(keys) == 1:  # one site: read-only (1, time) views of its arrays, no copies
        wstack = {v: _read_only(first[v][None, :]) for v in wvars if v in first}
    else:
        wstack = {v: np.stack([wx_all[k][0][v] for k in keys]) for v in wvars if v in first}
    # The weather was loaded per site: map each case's site name to its key without reloading.
    known = {k: k for k in keys} | {site.name: k for k, (_, _, site) in wx_all.items()}
    site_names, site_codes = table.column("site")
    key_of = {name: known.get(name) or sites.load(name, scenario.site_dirs).key for name in dict.fromkeys(site_names)}
    site_index = np.array([keys.index(key_of[name]) for name in site_names], dtype=int)[site_codes]
    # Large groups run in blocks of CASE_BLOCK cases: every block is one vectorised call on
    # (block, time) arrays, instead of streaming each of ~50 intermediate (1000, 8760) arrays
    # through memory.
    # A block holds cases of one site with the same cooling parameters: those become (1, 1)
    # columns (see twin.building.facility.stack_columns) and the cooling state is computed once
    # per hour for the block; only what depends on the varying parameters (load, electrical
    # chain) is per case. The keys are computed once per distinct design, facility and cooling
    # object (the table's columns), interned as small ids and taken per case by index.
    interned: dict[tuple, int] = {}
    text_of: dict[int, tuple] = {}  # id(parameter object) -> its text fields

    def texts(o: Any) -> tuple:
        t = text_of.get(id(o))
        if t is None:
            t = text_of[id(o)] = _texts(o)
        return t

    if len(table) == 1:  # one case: one block (what the grouping below gives it)
        d, f, c = (values[codes[0]] for values, codes in map(table.column, ("design", "facility", "cooling")))
        return _Plan(
            wx_all, table, keys, time, hour, month, wstack, key_of, site_index, [(_group_key(d, f, c, texts), [0])]
        )

    def ids(name: str, key: Callable[[Any], tuple]) -> np.ndarray:
        """Each case's interned id of ``key`` of its value of the column ``name``."""
        values, codes = table.column(name)
        return np.array([interned.setdefault(key(v), len(interned)) for v in values], dtype=np.intp)[codes]

    design = ids("design", lambda d: ("design", d))
    facility = ids("facility", lambda f: ("facility", f.profile, f.profile_csv, texts(f)))
    cooling_texts = ids("cooling", lambda o: ("cooling", texts(o)))
    cooling_fields = ids(
        "cooling", lambda o: ("fields", tuple(map(repr, map(o.__getattribute__, field_names(type(o))))))
    )
    # group (design, facility, cooling texts) -> runs of cases sharing site and cooling
    # parameters, each in order of its first case
    _, group_first, group = np.unique(
        _combined(design, facility, cooling_texts), return_index=True, return_inverse=True
    )
    group = group.reshape(-1)
    _, run_first, run_of = np.unique(
        _combined(group, site_index, cooling_fields), return_index=True, return_inverse=True
    )
    order = np.lexsort((run_first, group_first[group[run_first]]))
    members = np.split(np.argsort(run_of, kind="stable"), np.cumsum(np.bincount(run_of))[:-1])
    values = {name: table.column(name)[0] for name in ("design", "facility", "cooling")}
    codes = {name: table.column(name)[1] for name in ("design", "facility", "cooling")}
    group_key: dict[int, tuple] = {}
    for g, i in enumerate(group_first.tolist()):
        d, f, c = (values[k][codes[k][i]] for k in ("design", "facility", "cooling"))
        group_key[g] = _group_key(d, f, c, texts)

    # Runs of at least half a block get blocks of their own; shorter ones (a sweep of a cooling
    # parameter) are packed together, so a block is never left with a handful of cases.
    blocks: list[tuple[tuple, list[int]]] = []
    packed: dict[tuple, list[int]] = defaultdict(list)
    for r in order.tolist():
        key, idx = group_key[int(group[run_first[r]])], members[r].tolist()
        if len(idx) >= CASE_BLOCK // 2:
            blocks += [(key, idx[s : s + CASE_BLOCK]) for s in range(0, len(idx), CASE_BLOCK)]
        else:
            packed[key] += idx
    blocks += [(key, idx[s : s + CASE_BLOCK]) for key, idx in packed.items() for s in range(0, len(idx), CASE_BLOCK)]
    return _Plan(wx_all, table, keys, time, hour, month, wstack, key_of, site_index, blocks)


def _combined(*keys: np.ndarray) -> np.ndarray:
    """One integer per distinct combination of the non-negative integer arrays ``keys``."""
    code, span = np.zeros(len(keys[0]), dtype=np.int64), 1
    for k in keys:
        m = int(k.max(initial=0)) + 1
        if span * m >= 2**62:  # renumber densely before the product could overflow
            code = np.unique(code, return_inverse=True)[1].reshape(-1)
            span = int(code.max(initial=0)) + 1
        code, span = code * m + k, span * m
    return code


def _inputs_weather(plan: _Plan, idx: list[int]) -> dict[str, np.ndarray]:
    """The weather of a block of cases: one row when they share a site, else one per case."""
    si = plan.site_index[idx]
    if bool(np.all(si == si[0])):
        return {v: a[si[0] : si[0] + 1] for v, a in plan.wstack.items()}
    return {v: a[si] for v, a in plan.wstack.items()}


def _columns(plan: _Plan, idx: list[int]) -> dict[str, Any]:
    """The parameter columns of a block of cases (:func:`~twin.building.facility.stack_columns`
    of the facility, electrical, cooling and heat-reuse sections) and its design IT power, kW:
    (case, 1) where the cases differ, else (1, 1)."""
    table = plan.table
    design_kw = table.each("facility", lambda f: f.design_kw, idx)[:, None]
    return {
        **{name: stack_columns(*table.of(name, idx)) for name in ("facility", "electrical", "cooling", "heat_reuse")},
        "design_kw": design_kw[:1] if np.all(design_kw == design_kw[0]) else design_kw,
    }


def _part_columns(columns: dict[str, Any], start: int, stop: int) -> dict[str, Any]:
    """:func:`_columns` of the cases ``start:stop`` of the block ``columns`` were made for: the
    same arrays as :func:`_columns` of those cases alone (a column equal in all of them (1, 1))."""
    from twin.engine.kernel_parts import column_cut

    return {
        k: {f: column_cut(a, start, stop) for f, a in v.items()} if isinstance(v, dict) else column_cut(v, start, stop)
        for k, v in columns.items()
    }


def _inputs(
    plan: _Plan, key: tuple, idx: list[int], columns: dict[str, Any] | None = None
) -> tuple[Any, Any, Any, Any, Any, Any, Any]:
    """The arguments of :func:`~twin.building.facility.facility_chain` for one block of cases
    (``columns``: its :func:`_columns`, when the caller has them)."""
    c = columns or _columns(plan, idx)
    fac = c["facility"]
    series = None
    if key[1] == "csv":
        series = read_hourly_csv(key[3], plan.time.size, "facility.profile_csv", "utilisation", 1.0)
    u = utilisation_profile(plan.hour, fac["utilisation"], key[1], fac["diurnal_amplitude"], series)
    return get_design(key[0]), _inputs_weather(plan, idx), fac, c["electrical"], c["cooling"], c["design_kw"], u


def _heat_reuse(
    r: dict[str, Any], plan: _Plan, idx: list[int], t_db: np.ndarray, hr: dict[str, Any] | None = None
) -> None:
    """Add the heat customer's demand and the heat reused to a block's results, in place.

    ``t_db`` is the block's dry bulb (from :func:`_inputs`); ``hr`` its heat-reuse columns
    (:func:`_columns`), when the caller has them. Designs that recover no heat or lose no fluid
    get zeros for those variables.
    """
    for name in ("q_recoverable", "fluid_loss", "fluid_co2e", "fluid_cost"):
        r.setdefault(name, np.zeros((1, 1)))
    hr = hr or stack_columns(*plan.table.of("heat_reuse", idx))
    if not (np.any(hr["demand_base_kw"]) or np.any(hr["demand_kw_per_k"])):
        r["q_heat_demand"] = r["q_reused"] = np.zeros((1, 1))  # no heat customer: none demanded, none reused
        return
    r["q_heat_demand"] = heat_demand(t_db, hr["demand_base_kw"], hr["demand_kw_per_k"], hr["t_balance"])
    r["q_reused"] = reused_heat(
        r["q_recoverable"], r.get("t_return", np.full((1, 1), np.nan)), r["q_heat_demand"], hr["t_return_min"]
    )


def _block(
    plan: _Plan, key: tuple, idx: list[int], keep: tuple[str, ...] | None, inputs: tuple | None = None
) -> dict[str, Any]:
    """Facility physics of one block of cases: arrays broadcastable to (len(idx), time).

    ``inputs``: the block's :func:`_inputs`, when the caller has them already."""
    hr = None
    try:
        if inputs is None:
            columns = _columns(plan, idx)
            inputs, hr = _inputs(plan, key, idx, columns), columns["heat_reuse"]
        r = facility_chain(*inputs)
    except ConvergenceError as exc:
        g = [plan.cases[i] for i in idx]  # only to name them: a grid's plan makes its Case objects on demand
        cases = [g[i] if len(g) > 1 else g[0] for i in exc.rows] or g
        named = "; ".join(f"{c.site} {c.design} {dict(c.swept) or ''}".rstrip() for c in cases[:5])
        raise ConfigError(f"{exc} (cases: {named})") from None
    _heat_reuse(r, plan, idx, inputs[1]["t_db"], hr)
    out = {}
    for name, arr in r.items():
        if keep is not None and name not in keep and name != "p_facility":
            continue
        out[name] = arr() if callable(arr) else arr  # a diagnostic computed only on demand
    return out


def threads() -> int:
    """Threads a run may use: ``$TWIN_THREADS`` if set (e.g. 1 in a busy web server), else all cores."""
    value = env("TWIN_THREADS")
    return (os.cpu_count() or 1) if value is None else int(value)


def _run_blocks(blocks: list[tuple[Any, Any]], fn: Callable[[Any, Any], None]) -> None:
    """``fn(key, idx)`` for every block ``(key, idx)``; on :func:`threads` threads (numpy and the
    compiled kernels release the GIL in their loops).

    An error or interrupt (Ctrl-C, SIGTERM) stops the blocks not yet started and waits for those
    running (at most :func:`threads`) to end: a block cannot be stopped from another thread. That
    is well under a second as a rule, but a compiled kernel's first call for a new type
    signature compiles it (numba: several seconds, which cannot be interrupted), so the first study of a
    kind after an install can take that long to stop."""
    workers = min(len(blocks), threads()) if len(blocks) > 1 else len(blocks)
    if workers <= 1:
        for key, idx in blocks:
            fn(key, idx)
        return
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(fn, key, idx) for key, idx in blocks]
        try:
            for f in futures:
                f.result()  # re-raises a block's error here
        except BaseException:
            for f in futures:  # the first failed block stops the run: no block that has not started starts
                f.cancel()
            raise


def _rows(idx: list[int]) -> slice | list[int]:
    """``idx`` as a slice when the cases are consecutive: rows copied by a slice, not a fancy index (~4× faster)."""
    if len(idx) == 0:
        return idx
    first, last = int(idx[0]), int(idx[-1])
    if last - first == len(idx) - 1 and list(idx) == list(range(first, last + 1)):
        return slice(first, last + 1)
    return idx


def _case_coords(scenario: Scenario, plan: _Plan) -> dict[str, Any]:
    coords: dict[str, Any] = {
        "case": np.arange(len(plan.table)),
        "site": ("case", plan.site_keys),
        "design": ("case", plan.table.values("design")),
    }
    for k, _ in scenario.sweep:
        coords[k] = ("case", plan.table.coordinate(k))
    return coords


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
        need. For the annual figures alone, :func:`annual_kpis` does not hold hourly arrays.

    Returns
    -------
    xarray.Dataset
        Dimensions ``case`` and ``time`` (``case`` dropped when there is one case); hourly power
        by component (kW), water (L/h), modes, supply conditions, out-of-envelope flags, hourly
        PUE; coordinates ``site``, ``design`` and one per swept parameter. Every variable has
        ``units`` and ``long_name``. Annual figures: :func:`twin.kpis`. The hourly arrays are
        read-only (a result that is the same in every hour, or the weather, is one shared row
        broadcast, not a copy): ``ds.copy(deep=True)`` gives arrays to edit.
    """
    return run_dataset(simulate_arrays(scenario, weather, keep))


@dataclasses.dataclass
class HourlyRun:
    """A run's hourly results as numpy arrays, before they become :func:`simulate`'s Dataset.

    ``results``: (case, time) arrays by variable name; ``per_case``: (case,) arrays. What a
    caller that hands no Dataset to its user reads (:meth:`figures`: the table of ``twin run``).
    """

    scenario: Scenario
    plan: _Plan
    results: dict[str, np.ndarray]
    per_case: dict[str, np.ndarray]

    @property
    def one(self) -> bool:
        """One case: the Dataset has no ``case`` dimension."""
        return len(self.plan.table) == 1

    def case_coords(self) -> dict[str, np.ndarray]:
        """The case coordinates (``site``, ``design``, swept parameters) as numpy arrays, 0-d for one case."""
        coords = _case_coords(self.scenario, self.plan)
        return {k: np.asarray(v[1][0] if self.one else v[1]) for k, v in coords.items() if isinstance(v, tuple)}

    def figures(self) -> dict[str, np.ndarray]:
        """The annual KPIs, as :func:`twin.kpis` of the Dataset computes them (the same arrays in,
        the same :func:`~twin.engine.metrics.annual_figures`), with the policy grade and limit."""
        pick = (lambda v: np.asarray(v)[0, ...]) if self.one else np.asarray
        hourly = {k: pick(v) for k, v in self.results.items() if k in KPI_VARIABLES}
        per_case = {k: pick(v) for k, v in self.per_case.items()}
        figures = annual_figures(hourly, per_case, self.plan.time)
        return kpi_figures(figures, self.plan.site_keys, _limits(self.plan))


def simulate_arrays(scenario: Scenario, weather: dict | None = None, keep: tuple[str, ...] | None = None) -> HourlyRun:
    """:func:`simulate`'s hourly results as numpy arrays (:class:`HourlyRun`), without xarray.

    ``weather``: the result of :func:`prepare_weather` or :func:`prepare_years` (default: the
    latter, computed here).
    """
    plan = _plan(scenario, weather)
    mode_offset, _ = mode_codes()
    time, wstack = plan.time, plan.wstack
    n, nt = len(plan.table), time.size
    check_memory(n, nt, len(keep) if keep is not None else HOURLY_VARIABLES)
    results: dict[str, np.ndarray] = {}
    written: dict[str, np.ndarray] = {}
    lock = threading.Lock()

    def run_block(key: tuple, idx: list[int]) -> None:
        whole = len(plan.blocks) == 1 and list(idx) == list(range(n))  # one block, all cases in order
        rows = _rows(idx)
        kept: set[int] = set()  # arrays already stored (two variables never share memory)
        for name, arr in _block(plan, key, idx, keep).items():
            arr = np.asarray(arr)
            # (the one block writes every case: no record of the rows written)
            if whole and name != "mode" and arr.shape == (n, nt) and arr.flags.owndata and id(arr) not in kept:
                results[name] = arr  # already the full result: keep it, no copy
                kept.add(id(arr))
                continue
            if whole and name != "mode" and arr.dtype in (np.float64, np.bool_) and arr.size < n * nt:
                # the same in every hour or case (no pumps, chilled water's IT power): a read-only
                # broadcast view, as the weather's and an empty supply's variables are
                results[name] = np.broadcast_to(arr, (n, nt))
                continue
            arr = np.broadcast_to(arr, (len(idx), nt))
            with lock:
                if name not in results:
                    dtype = bool if arr.dtype == bool else (np.int16 if name == "mode" else float)
                    results[name] = np.empty((n, nt), dtype=dtype)
                    written[name] = np.zeros(n, dtype=bool)
            results[name][rows] = np.add(arr, mode_offset[key[0]], dtype=np.int16) if name == "mode" else arr
            written[name][rows] = True

    _run_blocks(plan.blocks, run_block)
    for name, rows in written.items():  # a variable some designs do not have: missing, not garbage
        if not rows.all():
            a = results[name]
            a[~rows] = False if a.dtype == bool else (-1 if a.dtype == np.int16 else np.nan)
    hourly, per_case = green_power(
        _supply_params(plan.table),
        plan.site_keys,
        plan.wx_all,
        results["p_facility"],
        scenario.dispatch,
        hour=plan.hour[0],
        month=plan.month,
    )
    per_case = {**per_case, "server_capex_annual": server_capex(plan.table)}
    for name, arr in hourly.items():
        if keep is None or name in keep:
            results[name] = arr
    for v in ("t_db", "t_wb", "rh", "ghi", "wind_speed"):
        if v in wstack and (keep is None or v in keep):
            if len(plan.keys) > 1:
                results[v] = wstack[v][plan.site_index]
            else:  # read-only (1, time) views already
                results[v] = wstack[v] if wstack[v].shape == (n, nt) else np.broadcast_to(wstack[v], (n, nt))
    return HourlyRun(scenario, plan, results, per_case)


def run_content(run: HourlyRun) -> NcContent:
    """:func:`simulate`'s variables, coordinates and attributes as numpy arrays (what its file holds), without xarray."""
    return NcContent(*_run_parts(run, NcVariable))


def _run_parts(
    run: HourlyRun, variable: Callable[[tuple[str, ...], np.ndarray, dict], Any]
) -> tuple[dict[str, Any], dict[str, NcVariable], dict[str, Any]]:
    """:func:`run_content`'s data variables (each ``variable(dims, data, attrs)``), coordinates and attributes."""
    scenario, plan, results, per_case = run.scenario, run.plan, run.results, run.per_case
    _, mode_meanings = mode_codes()
    # one case has no case dimension (built so: squeezing a Dataset is slow)
    one = run.one
    hourly_dims, case_dims = (("time",), ()) if one else (("case", "time"), ("case",))
    pick = (lambda v: np.asarray(v)[0, ...]) if one else np.asarray
    data = {k: variable(hourly_dims, pick(v), attrs(k)) for k, v in results.items()}
    data.update({k: variable(case_dims, pick(v), attrs(k)) for k, v in per_case.items()})
    if "mode" in data:
        data["mode"].attrs.update(
            flag_values=np.arange(len(mode_meanings), dtype=np.int16), flag_meanings=" ".join(mode_meanings)
        )
    coords = {"time": NcVariable(("time",), np.asarray(plan.time), {})}
    for k, v in _case_coords(scenario, plan).items():
        values = np.asarray(v[1] if isinstance(v, tuple) else v)
        coords[k] = NcVariable(case_dims, np.asarray(values[0]) if one else values, {})
    offsets = {round(float(meta.get("utc_offset_h", np.nan)), 6) for _, meta, _ in plan.wx_all.values()}
    gattrs: dict[str, Any] = {
        "scenario": scenario.name,
        **scenario.weather.attrs(),
        "modes": "; ".join(f"{d}: {', '.join(get_design(d).modes)}" for d in scenario.designs),
        "comment": "hourly mean power in kW (= kWh per hour); time is local standard time, interval start",
    }
    if len(offsets) == 1 and not np.isnan(next(iter(offsets))):
        gattrs["utc_offset_h"] = next(iter(offsets))
    for key, (_, meta, _) in plan.wx_all.items():
        gattrs[f"weather_{key}"] = "; ".join(meta.get("notes", []))[:500]
    gattrs.update(policy_attrs(_limits(plan)))
    return data, coords, gattrs


def run_dataset(run: HourlyRun) -> xr.Dataset:
    """:func:`simulate`'s Dataset from a run's arrays (:func:`simulate_arrays`, :func:`run_content`)."""

    def variable(dims: tuple[str, ...], data: np.ndarray, attrs: dict) -> xr.Variable:
        if "time" in dims:  # every hourly result read-only, views of shared arrays or not
            data.flags.writeable = False
        return new_variable(dims, data, attrs)  # built directly from the numpy array: no conversion or checks

    data, coords, gattrs = _run_parts(run, variable)
    ds = build_dataset(data, {k: (v.dims, v.data) for k, v in coords.items()})
    ds.attrs.update(gattrs)
    return ds


def annual_kpis(
    scenario: Scenario, weather: dict | None = None, cases: list[Case] | slice | None = None, kernel: str = "auto"
) -> xr.Dataset:
    """The annual KPIs of every case, block by block, without holding hourly arrays.

    Equal to ``kpis(simulate(scenario))`` (the same physics and the same
    :func:`twin.engine.metrics.annual_figures`, tested to rounding), but each block's hourly results
    are reduced as soon as they exist: memory stays at a batch's size (below) whatever the
    number of cases, which is what large sweeps need. On the compiled path the blocks without a green
    plant of one group key run in batches of up to :data:`KERNEL_BATCH` cases: one supply step
    (prices, clean share, per-case money figures), one :class:`~twin.engine.kernel_parts.GridYear`,
    one stacking of the parameters and one :func:`~twin.engine.metrics.annual_figures` call
    serve the batch, while each block's kernel (its own hourly state) runs on the threads and
    takes the grid's sums; the KPIs are bit for bit those of block-by-block runs (tested). Free
    air's batch of one site enters its kernel once (:data:`~twin.engine.kernels.BATCHED_DESIGNS`:
    the per-case columns, the hall's air and the kernel's parameter matrix computed once for the
    batch, each block's hourly state from its own cooling columns).
    Blocks of equal weather and cooling parameters share one hourly state
    (:class:`~twin.engine.kernel_parts.StateMemo`, for this call only); free air's blocks of
    a batch whose cooling differs in the evaporative parameters alone compute their states
    together (:func:`~twin.engine.design_kernels.air_states`), kept between calls by the
    weather's and the columns' values (:func:`~twin.engine.design_kernels.weather_air_states`:
    a hit is the computed value, bit for bit). Called from the main
    thread, it pauses Python's cyclic garbage collector for the run and restores it after
    (:func:`_cyclic_gc_paused`).

    Parameters
    ----------
    scenario : Scenario
        Sites, designs, parameters and sweep.
    weather : dict, optional
        The result of :func:`prepare_weather` (to reuse it across calls).
    cases : list of Case or slice, optional
        Run these cases instead of ``scenario.cases()``, or the slice ``cases`` of them (a block
        of :mod:`twin.studies.sweep`'s grid, read from the grid's columns); their sites must be
        in ``weather``.
    kernel : {"auto", "numba", "reference"}
        ``"numba"``: the fused compiled kernels of :mod:`twin.engine.kernels` for the designs
        that have one (free air, chilled water (EIR or cycle chillers), indirect evaporative, spray,
        cold plates, single- and two-phase immersion), the numpy reference for the others and
        for blocks the kernel hands back (trim shortfall, a value out of bounds); ``"reference"``:
        numpy only;
        ``"auto"``: compiled for runs of at least :data:`twin.core.jit.AUTO_MIN_CASE_YEARS`
        case-years, by the run's size alone (:func:`twin.core.jit.use_compiled`).
        Results agree to 1e-12 (tested).

    Returns
    -------
    xarray.Dataset
        As :func:`twin.kpis`: one value per case (no ``case`` dimension for a single case).
    """
    with _cyclic_gc_paused():
        return _annual_kpis(scenario, weather, cases, kernel)


_GC_LOCK = threading.Lock()
_GC_HOLDS = [0, True]  # calls holding the collector paused; whether it was enabled before the first


@contextlib.contextmanager
def _cyclic_gc_paused(any_thread: bool = False) -> Iterator[None]:
    """Python's cyclic garbage collector paused for the duration of a call in the main thread
    (reference counting still frees everything that dies); restored as it was when the last of
    nested calls ends. A call in another thread (a Dash server's request, a Dask worker's task)
    leaves it alone: overlapping requests could otherwise hold it off for the whole process;
    ``any_thread=True`` pauses it from any thread, for a process that runs one task at a time
    (a worker of :func:`twin.studies.study.cluster`'s local cluster).

    :func:`annual_kpis` makes a few Python objects per case (the cases, their coordinates) that
    live for the call and die by reference count, in no cycle. Collections during the call
    found nothing to free, but moved those objects into the oldest generation, whose growth set
    off a full collection of every object of the process (≈ 90 ms with numba and xarray loaded,
    about one call in 20 of 1,000 cases): paused, they die young and that never happens.
    """
    if not any_thread and threading.current_thread() is not threading.main_thread():
        yield
        return
    with _GC_LOCK:
        if _GC_HOLDS[0] == 0:
            _GC_HOLDS[1] = gc.isenabled()
            gc.disable()
        _GC_HOLDS[0] += 1
    try:
        yield
    finally:
        with _GC_LOCK:
            _GC_HOLDS[0] -= 1
            if _GC_HOLDS[0] == 0 and _GC_HOLDS[1]:
                gc.enable()


def _annual_kpis(scenario: Scenario, weather: dict | None, cases: list[Case] | slice | None, kernel: str) -> xr.Dataset:
    """:func:`annual_kpis`' work."""
    from twin.engine.kernel_parts import (
        GridYear,
        StateMemo,
        column_cut,
    )  # the compiled kernels: not for simulate_arrays
    from twin.engine.kernels import BATCHED_DESIGNS, facility_year

    plan = _plan(scenario, weather, cases)
    n, nt = len(plan.table), plan.time.size
    keys = plan.site_keys
    figures: dict[str, np.ndarray] = {}
    lock = threading.Lock()
    profiles: dict = {}  # PV and wind unit profiles, shared by the blocks
    fused = use_compiled(kernel, n * nt / 8760.0)
    hour = plan.hour[0]
    months, days = calendar_starts(plan.time, "month"), calendar_starts(plan.time, "day")
    states = StateMemo()  # the hourly states of this call, shared by blocks of equal weather and cooling

    def weather_key(idx: list[int]) -> tuple:
        """The block's weather rows, as :func:`_inputs_weather` takes them: its sites in the run."""
        si = plan.site_index[idx]
        return (int(si[0]),) if bool(np.all(si == si[0])) else tuple(si.tolist())

    def store(idx: list[int], f: dict[str, Any]) -> None:
        rows: Any = _rows(idx)
        rows = np.asarray(rows) if isinstance(rows, list) else rows  # a list converted once, not per KPI
        with lock:
            for k, v in f.items():
                if k not in figures:
                    figures[k] = np.empty(n, dtype=np.asarray(v).dtype)
                figures[k][rows] = v

    def supply_step(idx: list[int], load: np.ndarray) -> tuple[dict[str, Any], dict[str, Any]]:
        green, per_case = green_power(
            _supply_params(plan.table, idx),
            [keys[i] for i in idx],
            plan.wx_all,
            load,
            scenario.dispatch,
            profiles,
            hour,
            plan.month,
        )
        return green, {**per_case, "server_capex_annual": server_capex(plan.table, idx)}

    def hourly_block(key: tuple, idx: list[int], compiled: bool = fused) -> None:
        """A block through the supply step on hourly arrays: one with a green plant (the kernel gives
        the hourly facility power), the numpy reference, or a block a kernel handed back."""
        m = len(idx)
        inputs = _inputs(plan, key, idx)
        r = facility_year(*inputs, m, None, True, weather_key(idx), states) if compiled else None
        sums = None
        if r is not None:
            sums = r["sums"]
            hourly = {**r.get("hourly", {}), "p_facility": r["p_facility"]}
            _heat_reuse(hourly, plan, idx, inputs[1]["t_db"])
        else:
            hourly = {
                k: np.broadcast_to(np.asarray(v), (m, nt))
                for k, v in _block(plan, key, idx, KPI_VARIABLES, inputs).items()
            }
        green, per_case = supply_step(idx, np.ascontiguousarray(hourly["p_facility"]))
        store(idx, annual_figures({**hourly, **green}, per_case, plan.time, sums))

    def grid_batch(key: tuple, parts: list[list[int]]) -> None:
        """Blocks without a green plant, one supply step and one KPI reduction for all of them: the
        kernel of each block (on the threads) takes the grid's sums too, no (case, time) array is formed."""
        idx = [i for p in parts for i in p]
        green, per_case = supply_step(idx, np.broadcast_to(0.0, (len(idx), nt)))
        grid = GridYear.of(green["price"], green["grid_clean_share"], months, days, len(idx))
        starts = np.cumsum([0, *map(len, parts)])
        columns = _columns(plan, idx)  # the parameters stacked once, each block's cut from them
        done: list[dict[str, Any] | None] = [None] * len(parts)

        def take(j: int, p: list[int], r: dict[str, Any] | None, t_db: Any, hr: Any) -> None:
            """Block ``j``'s kernel result ``r`` into ``done`` with its heat reuse, or its reference run."""
            if r is None:  # the reference's result (or error) for this block
                hourly_block(key, p, compiled=False)
                return
            hourly = dict(r.get("hourly", {}))
            _heat_reuse(hourly, plan, p, t_db, hr)
            heat = {k: np.broadcast_to(annual_sum(hourly[k]), (len(p),)) for k in HEAT_NEEDS}
            done[j] = {**r["sums"], **heat, "peaks": r["peaks"]}

        def part(j: int, p: list[int]) -> None:
            c = _part_columns(columns, starts[j], starts[j + 1]) if len(parts) > 1 else columns
            inputs = _inputs(plan, key, p, c)
            r = facility_year(*inputs, len(p), grid.cases(starts[j], starts[j + 1]), False, weather_key(p), states)
            take(j, p, r, inputs[1]["t_db"], c["heat_reuse"])

        batched = batch_kernel(key, idx, parts, columns, grid) if len(parts) > 1 else None
        if batched is None:
            _run_blocks(list(enumerate(parts)), part)
        else:
            t_db, hr = batched.pop()
            for j, r in enumerate(batched):
                take(j, parts[j], r, t_db, {k: column_cut(v, starts[j], starts[j + 1]) for k, v in hr.items()})
        kept = [(parts[j], d) for j, d in enumerate(done) if d is not None]
        if not kept:
            return
        if len(kept) < len(parts):  # some blocks ran the reference: the supply step of the others
            idx = [i for p, _ in kept for i in p]
            green, per_case = supply_step(idx, np.broadcast_to(0.0, (len(idx), nt)))
        sums = {k: np.concatenate([d[k] for _, d in kept]) for k in kept[0][1]}
        store(idx, annual_figures(green, per_case, plan.time, sums))

    def batch_kernel(
        key: tuple, idx: list[int], parts: list[list[int]], columns: dict[str, Any], grid: GridYear
    ) -> list[Any] | None:
        """A batch of one site's blocks in one kernel entry (:data:`~twin.engine.kernels.BATCHED_DESIGNS`):
        each block's result, then the batch's dry bulb and heat-reuse columns; None when the design
        takes no batch, the cases have several sites, the utilisation or the installed IT may vary
        by hour and case (a diurnal profile, an occupancy ramp: (case, time) arrays as large as the
        batch, where blocks one by one hold a block's), or a check refuses a value (the blocks then
        run one by one and raise their own errors)."""
        fac = columns["facility"]
        if key[0] not in BATCHED_DESIGNS or len(weather_key(idx)) != 1 or key[1] == "diurnal":
            return None
        if np.any(fac["occupancy_ramp"]):
            return None
        starts = np.cumsum([0, *map(len, parts)]).tolist()
        bounds = tuple((starts[j], starts[j + 1]) for j in range(len(parts)))
        try:
            inputs = _inputs(plan, key, idx, columns)
            out = facility_year(*inputs, len(idx), grid, False, weather_key(idx), states, bounds, _run_blocks)
        except ConfigError:
            return None
        return None if out is None else [*out, (inputs[1]["t_db"], columns["heat_reuse"])]

    hourly_blocks, batches = _batches(plan, fused)
    _run_blocks(hourly_blocks, hourly_block)
    for key, parts in batches:
        grid_batch(key, parts)
    coords = _case_coords(scenario, plan)
    if n == 1:
        coords = {k: (v[1][0] if isinstance(v, tuple) else v[0]) for k, v in coords.items()}
        return kpi_dataset({k: v[0] for k, v in figures.items()}, coords, keys, (), _limits(plan))
    return kpi_dataset(figures, coords, keys, ("case",), _limits(plan))


KERNEL_BATCH = 1024
"""Most cases in one batch of :func:`annual_kpis`' compiled blocks without a green plant: one
supply step and one KPI reduction serve the batch, each block's kernel takes the grid's sums
(no (case, time) array); the blocks themselves stay the plan's (:data:`CASE_BLOCK`)."""


def _batches(plan: _Plan, fused: bool) -> tuple[list[tuple[tuple, list[int]]], list[tuple[tuple, list[list[int]]]]]:
    """:func:`annual_kpis`' blocks: those run on hourly arrays (a green plant, the numpy
    reference, a design without a kernel), and the others in batches of blocks of one group
    key and the same sites, at most :data:`KERNEL_BATCH` cases each (a block is never split):
    the batch's supply step holds its hourly price and clean share per case, which for cases of
    one site and tariff are one row broadcast, for several sites full (case, time) arrays."""
    if not fused:
        return plan.blocks, []
    from twin.engine.kernels import COMPILED_DESIGNS

    hourly: list[tuple[tuple, list[int]]] = []
    by_key: dict[tuple, list[list[int]]] = {}
    for key, idx in plan.blocks:
        if key[0] in COMPILED_DESIGNS and not _has_green_supply(plan.table, idx):
            sites = tuple(np.unique(np.asarray(plan.site_index)[idx]))
            by_key.setdefault((key, sites), []).append(idx)
        else:
            hourly.append((key, idx))
    batches: list[tuple[tuple, list[list[int]]]] = []
    for (key, _), parts in by_key.items():
        batch: list[list[int]] = []
        for idx in parts:
            if batch and sum(map(len, batch)) + len(idx) > KERNEL_BATCH:
                batches.append((key, batch))
                batch = []
            batch.append(idx)
        batches.append((key, batch))
    return hourly, batches


def _installed_share(f: Any) -> float:
    """Share of the design IT installed by the end of the simulated year (:func:`server_capex`)."""
    if not f.occupancy_ramp:
        return float(f.occupancy)
    return float(f.occupancy + (f.occupancy_end - f.occupancy) * min(f.operating_year / f.ramp_years, 1.0))


def server_capex(cases: list[Case] | CaseColumns, idx: Any = None) -> np.ndarray:
    """Annualised server capex of each case (of ``idx`` among ``cases``, all by default), CNY/yr
    (:func:`twin.money.economics.server_capex_annual`).

    The hall's installed IT kW over ``economics.server_kw`` nominal servers, divided by
    ``facility.performance_factor`` (servers that each do k times the work: 1/k as many). The
    installed IT is the design IT times ``facility.occupancy``, or with an occupancy ramp the
    share installed by the end of the simulated year (the servers bought by then).
    """
    table = cases if isinstance(cases, CaseColumns) else CaseColumns.of_cases(cases)
    installed = table.each("facility", lambda f: f.design_kw * _installed_share(f), idx)
    performance = table.each("facility", lambda f: f.performance_factor, idx)
    economics, rows = table.of("economics", idx)
    server_kw = np.array([e.server_kw for e in economics], dtype=float)[rows]
    price = np.array([e.server_price_cny for e in economics], dtype=float)[rows]
    out = np.empty(len(rows))
    by_annuity: dict[tuple[float, float], list[int]] = {}  # one call per discount rate and server life
    for j, e in enumerate(economics):
        by_annuity.setdefault((e.discount_rate, e.server_life_years), []).append(j)
    for (rate, life), js in by_annuity.items():
        i = np.flatnonzero(np.isin(rows, js)) if len(by_annuity) > 1 else slice(None)
        out[i] = server_capex_annual(installed[i], server_kw[i], performance[i], price[i], rate, life)
    return out


def _has_green_supply(table: CaseColumns, idx: Any = None) -> bool:
    """Whether any case (of ``idx``) has a PV or wind plant or storage (:func:`twin.supply.green.green_power` dispatches)."""
    return any(
        any(test(o) for o in table.of(name, idx)[0])
        for name, test in (
            ("pv", lambda p: p.capacity_mw > 0),
            ("wind", lambda w: w.capacity_mw > 0),
            ("storage", lambda s: s.energy_mwh > 0),
        )
    )


def _supply_params(table: CaseColumns, idx: Any = None) -> SupplyParams:
    """The supply step's parameters of the cases ``idx`` (all by default): one object per case and section."""
    return SupplyParams(
        pv=table.values("pv", idx),
        wind=table.values("wind", idx),
        storage=table.values("storage", idx),
        economics=table.values("economics", idx),
    )


def _limits(plan: _Plan) -> dict[str, float | None]:
    """Policy PUE limit of each site of the run (from the sites already loaded)."""
    return {k: site.policy.pue_limit for k, (_, _, site) in plan.wx_all.items()}
