"""The output registry: name, units, label, display format and kind of every output, in one place.

Hourly variables of :func:`twin.simulate`, per-case inputs it echoes, annual KPIs of
:func:`twin.kpis` and the outdoor weather are all registered here. The Dataset attributes
(``units``, ``long_name``, ``description``, ``currency``), the CLI's KPI tables, the NetCDF
files (CF conventions, :mod:`twin.core.io`) and the dashboard render from this registry.

Public names, kept stable for the renderers: :class:`Variable`, :data:`REGISTRY`, :data:`KINDS`,
:func:`attrs`, :func:`annotate`, :func:`label`, :func:`format_value`, :func:`of_kind`.

Units are UDUNITS-2 strings as CF asks (``kW``, ``MW h``, ``degC``, ``L kW-1 h-1``, ``1`` for a
ratio or a count). Money is not a unit: a price per kWh has units ``kW-1 h-1`` and the
attribute ``currency = "CNY"``; an amount of money has units ``1`` and the same attribute.
``display_units`` is what a table header shows (``CNY/kWh``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from twin.core.memo import LRU, of_axis
from twin.core.params import display_units
from weather.dataset import VARIABLES as WEATHER_VARIABLES

if TYPE_CHECKING:
    import xarray as xr


__all__ = [
    "KINDS",
    "REGISTRY",
    "Variable",
    "annotate",
    "attrs",
    "build_dataset",
    "format_value",
    "label",
    "of_kind",
]

KINDS = ("hourly", "case", "kpi", "weather")
"""``hourly``: (case, time) results; ``case``: per-case inputs echoed in the Dataset; ``kpi``:
annual figures of :func:`twin.kpis`; ``weather``: outdoor conditions."""

CNY = "CNY"


@dataclass(frozen=True)
class Variable:
    """A registered output.

    Attributes
    ----------
    name : str
        Variable name in the Datasets.
    units : str
        UDUNITS-2 units (CF); ``"1"`` for ratios and counts.
    long_name : str
        Descriptive name (CF ``long_name``).
    description : str
        What it includes or how it is defined.
    kind : str
        One of :data:`KINDS`.
    label : str
        Short table header (default: the name).
    fmt : str
        ``str.format`` pattern of a displayed value.
    display_units : str
        Units as a table shows them (default: ``units``).
    currency : str or None
        Currency of a money variable (its ``units`` then exclude the money).
    """

    name: str
    units: str
    long_name: str
    description: str = ""
    kind: str = "hourly"
    label: str = ""
    fmt: str = "{:.4g}"
    display_units: str = ""
    currency: str | None = None


def _money(name: str, per: str, long_name: str, description: str = "", **kw: Any) -> Variable:
    """A money variable: ``per`` is the UDUNITS part besides the currency ("" for an amount)."""
    shown = display_units(per, CNY)
    return Variable(name, per or "1", f"{long_name} in {CNY}", description, currency=CNY, display_units=shown, **kw)


_V = [
    # facility power, kW (hourly mean power = energy in kWh per hour)
    Variable(
        "p_facility", "kW", "facility power", "everything the site draws: IT + cooling + electrical losses + misc"
    ),
    Variable("p_it", "kW", "IT power", "servers including their fans (what PUE divides by)"),
    Variable(
        "p_server_fans",
        "kW",
        "server fan power",
        "part of IT power; liquid designs keep the fans of the heat still in air, none when immersed",
    ),
    Variable("p_leakage", "kW", "chip leakage change", "part of IT power, against a 67 °C reference chip"),
    Variable("p_cooling", "kW", "cooling power", "fans + pumps + compressors + heat rejection + humidification"),
    Variable("p_cooling_fans", "kW", "cooling air fans", "AHU/CRAH fans"),
    Variable("p_pumps", "kW", "pumps", "chilled-water, condenser-water, coolant and water-loop pumps"),
    Variable("p_compressor", "kW", "compressors", "chiller or DX trim"),
    Variable("p_heat_rejection", "kW", "heat rejection fans", "cooling tower or dry cooler fans"),
    Variable("p_humidification", "kW", "humidification", ""),
    Variable("p_ups_loss", "kW", "UPS losses", ""),
    Variable("p_dist_loss", "kW", "distribution losses", "PDU and cabling"),
    Variable("p_transformer_loss", "kW", "transformer losses", ""),
    Variable("p_misc", "kW", "lighting and miscellaneous", ""),
    Variable("q_cooling", "kW", "heat removed", "IT heat plus electrical losses and lighting inside"),
    Variable("compute", "kW", "compute delivered", "nominal-server kW of work done (performance factor applied)"),
    Variable("utilisation", "1", "IT utilisation", ""),
    Variable("ups_load_fraction", "1", "UPS load fraction", ""),
    Variable("pue", "1", "hourly PUE", "p_facility / p_it"),
    Variable("water", "L h-1", "site water use", "evaporation, tower blowdown, humidification"),
    Variable(
        "fluid_loss",
        "kg h-1",
        "immersion fluid lost",
        "vapour or drag-out, the yearly loss rate of the charge spread over the hours; 0 without immersion fluid",
    ),
    Variable("fluid_co2e", "kg h-1", "CO2-equivalent of the immersion fluid lost", "fluid_loss × the fluid's GWP100"),
    _money("fluid_cost", "h-1", "make-up cost of the immersion fluid lost", "fluid_loss × make-up price"),
    Variable(
        "t_return", "degC", "water temperature leaving the CDU or condenser", "liquid designs: what heat reuse can take"
    ),
    Variable("q_recoverable", "kW", "heat carried by the water loop", "liquid designs; 0 for the air designs"),
    Variable("q_heat_demand", "kW", "heat customer's demand", "heat_reuse: base + per K below t_balance"),
    Variable("q_reused", "kW", "heat reused", "min(q_recoverable, q_heat_demand) when t_return ≥ t_return_min"),
    Variable("mode", "1", "operating mode", "code of the design's mode (flag_values / flag_meanings)"),
    Variable("t_supply", "degC", "supply temperature", "air to servers, or liquid coolant supply"),
    Variable(
        "w_supply",
        "kg kg-1",
        "supply humidity ratio (dew point: weather.psychrometrics.dew_point_from_humidity_ratio)",
        "free air only",
    ),
    Variable(
        "rh_supply", "%", "supply relative humidity", "free air only; at the server inlet (supply + supply approach)"
    ),
    Variable("cop_mech", "1", "mechanical cooling COP", "chiller or DX, when running"),
    Variable("out_of_envelope", "1", "out of envelope", "true when the design cannot hold its supply limits"),
    Variable("economiser_fraction", "1", "water-side economiser share", "chilled water only"),
    Variable("t_water", "degC", "water loop supply temperature", "liquid designs"),
    Variable("t_wb", "degC", "outdoor wet-bulb temperature", "", kind="weather"),
    # green-power base
    Variable("p_pv", "kW", "PV output", "AC, after losses and degradation"),
    Variable("p_wind", "kW", "wind-farm output", "after park losses"),
    Variable("p_green", "kW", "green supply", "PV + wind"),
    Variable("p_green_direct", "kW", "green power used directly", ""),
    Variable("p_charge", "kW", "storage charging", "from green surplus (and from the grid with LP grid charging)"),
    Variable("p_grid_charge", "kW", "storage charging from the grid", "LP with grid charging only"),
    Variable("p_discharge", "kW", "storage discharging", ""),
    Variable("soc", "MW h", "storage state of charge", "at the end of the hour"),
    Variable("p_grid_import", "kW", "grid import", "load not met by green power and storage (plus grid charging)"),
    Variable(
        "p_surplus",
        "kW",
        "green surplus",
        "exported under an export contract (economics.export_contract), else curtailed",
    ),
    _money("price", "kW-1 h-1", "grid electricity price"),
    Variable(
        "grid_clean_share", "1", "grid carbon-free share", "site's provincial figure by month ([grid] clean_share)"
    ),
    # per-case economics
    _money("capex", "", "green-power capital cost", "PV + wind + storage", kind="case"),
    _money(
        "capex_annual",
        "year-1",
        "annualised green capex and O&M",
        "capital recovery factor × capex + O&M",
        kind="case",
    ),
    _money(
        "server_capex_annual",
        "year-1",
        "annualised server capex",
        "twin.money.economics.server_capex_annual; the KPI cost_servers",
        kind="case",
    ),
    _money("ppa_price", "kW-1 h-1", "green PPA / direct-supply price", "0 when the green plant is owned", kind="case"),
    _money("export_price", "kW-1 h-1", "export price", kind="case"),
    _money("demand_charge", "kW-1 month-1", "demand (capacity) charge", kind="case"),
    Variable(
        "green_subsidy_pct",
        "%",
        "green-power subsidy",
        "share of the green electricity cost refunded (Karamay 15 %)",
        kind="case",
    ),
    Variable("grid_co2", "kg kW-1 h-1", "grid emission factor", "site's provincial factor", kind="case"),
    _money("other_spend", "year-1", "other annual spend", "for electricity's share of spend", kind="case"),
    Variable("storage_energy_mwh", "MW h", "storage energy rating", "", kind="case"),
    _money(
        "storage_replacement_annual", "year-1", "annualised storage replacement", "part of capex_annual", kind="case"
    ),
    Variable(
        "storage_life_years",
        "year",
        "years until storage capacity falls to 80 %",
        "fade model, twin.supply.storage",
        kind="case",
    ),
    Variable("storage_capacity_share", "1", "remaining storage capacity at the simulated age", kind="case"),
    Variable(
        "storage_deficit", "MW h", "energy the cyclic year ends short of its start", "bought from the grid", kind="case"
    ),
    Variable("export_contract", "1", "surplus exported under a contract (1) or curtailed (0)", kind="case"),
    Variable("pv_capacity_mw", "MW", "PV capacity (DC)", kind="case"),
    Variable("wind_capacity_mw", "MW", "wind-farm capacity", kind="case"),
    # annual KPIs (twin.engine.metrics.annual_figures)
    Variable("energy_facility", "MW h", "annual facility energy", kind="kpi", label="facility MWh", fmt="{:,.0f}"),
    Variable("energy_it", "MW h", "annual IT energy", kind="kpi", label="IT MWh", fmt="{:,.0f}"),
    Variable("energy_cooling", "MW h", "annual cooling energy", kind="kpi", label="cooling MWh", fmt="{:,.0f}"),
    Variable("energy_electrical_losses", "MW h", "annual electrical-chain losses", kind="kpi", fmt="{:,.0f}"),
    Variable("compute_delivered", "MW h", "annual compute delivered (nominal-server MWh)", kind="kpi", fmt="{:,.0f}"),
    Variable("pue", "1", "annual PUE (energy-weighted)", kind="kpi", label="PUE", fmt="{:.3f}"),
    Variable(
        "overhead_share", "1", "non-IT share of facility energy, 1 − 1/PUE", kind="kpi", label="non-IT %", fmt="{:.1%}"
    ),
    Variable("ppue_cooling", "1", "partial PUE of cooling", kind="kpi", label="pPUE cool", fmt="{:.3f}"),
    Variable("mlc", "1", "ASHRAE 90.4 mechanical load component", kind="kpi", fmt="{:.3f}"),
    Variable("elc", "1", "ASHRAE 90.4 electrical loss component", kind="kpi", fmt="{:.3f}"),
    Variable(
        "wue",
        "L kW-1 h-1",
        "water usage effectiveness (site water per IT kWh)",
        kind="kpi",
        label="WUE L/kWh",
        fmt="{:.2f}",
        display_units="L/kWh",
    ),
    Variable("water_m3", "m3", "annual site water", kind="kpi", fmt="{:,.0f}"),
    Variable(
        "hours_out_of_envelope", "h", "hours outside the design's envelope", kind="kpi", label="h out", fmt="{:.0f}"
    ),
    Variable("pue_max_hourly", "1", "highest hourly PUE", kind="kpi", fmt="{:.3f}"),
    Variable("energy_per_compute", "1", "facility energy per unit of compute delivered", kind="kpi", fmt="{:.3f}"),
    Variable("energy_heat_recoverable", "MW h", "annual heat carried by the water loop", kind="kpi", fmt="{:,.0f}"),
    Variable("energy_heat_demand", "MW h", "annual heat demand of the heat customer", kind="kpi", fmt="{:,.0f}"),
    Variable("energy_reused", "MW h", "annual heat reused", kind="kpi", label="reused MWh", fmt="{:,.0f}"),
    Variable(
        "erf",
        "1",
        "energy reuse factor, ISO/IEC 30134-6 (heat reused / facility energy)",
        kind="kpi",
        label="ERF",
        fmt="{:.3f}",
    ),
    Variable("fluid_lost_kg", "kg", "annual immersion fluid lost", kind="kpi", label="fluid lost kg", fmt="{:,.0f}"),
    Variable(
        "co2e_fluid_t",
        "t",
        "annual CO2e of the immersion fluid lost (GWP100 × kg; not in co2 or CUE)",
        kind="kpi",
        label="fluid CO2e t",
        fmt="{:,.1f}",
    ),
    _money(
        "cost_fluid_makeup",
        "",
        "annual make-up cost of the immersion fluid lost (not in cost_total)",
        kind="kpi",
        label="fluid CNY/yr",
        fmt="{:,.0f}",
    ),
    Variable("energy_green", "MW h", "annual green generation", kind="kpi", fmt="{:,.0f}"),
    Variable("energy_grid_import", "MW h", "annual grid import", kind="kpi", fmt="{:,.0f}"),
    Variable(
        "energy_green_used",
        "MW h",
        "annual green energy consumed (directly and through storage)",
        kind="kpi",
        fmt="{:,.0f}",
    ),
    Variable("energy_surplus", "MW h", "annual green surplus (exported or curtailed)", kind="kpi", fmt="{:,.0f}"),
    Variable("energy_exported", "MW h", "annual green energy exported under a contract", kind="kpi", fmt="{:,.0f}"),
    Variable(
        "energy_curtailed",
        "MW h",
        "annual green energy curtailed (never counted as green)",
        kind="kpi",
        label="curtailed MWh",
        fmt="{:,.0f}",
    ),
    Variable(
        "energy_storage_deficit",
        "MW h",
        "storage energy the year ends short of its start, bought from the grid",
        kind="kpi",
        fmt="{:,.0f}",
    ),
    Variable(
        "green_share_annual",
        "1",
        "green share, annual matching (consumed + contracted export)",
        kind="kpi",
        label="green annual",
        fmt="{:.1%}",
    ),
    Variable(
        "green_share_hourly",
        "1",
        "green share, physical hourly (consumed in the hour, incl. storage)",
        kind="kpi",
        label="green hourly",
        fmt="{:.1%}",
    ),
    Variable(
        "cfe_score",
        "1",
        "24/7 carbon-free energy score (grid imports at the grid's clean share)",
        kind="kpi",
        label="24/7 CFE",
        fmt="{:.1%}",
    ),
    Variable(
        "pv_capacity_factor",
        "1",
        "PV capacity factor (AC energy / DC nameplate × hours)",
        kind="kpi",
        label="PV CF",
        fmt="{:.1%}",
    ),
    Variable("wind_capacity_factor", "1", "wind-farm capacity factor", kind="kpi", label="wind CF", fmt="{:.1%}"),
    Variable("islanded_hours", "h", "hours without grid import", kind="kpi", label="islanded h", fmt="{:,.0f}"),
    Variable("green_days_24h", "d", "days with 24-hour green supply", kind="kpi", label="24h-green d", fmt="{:.0f}"),
    Variable("storage_cycles_per_day", "1", "equivalent full storage cycles per day", kind="kpi", fmt="{:.2f}"),
    _money(
        "cost_total",
        "",
        "annual energy cost incl. green plant",
        "per year: grid energy + demand charge + PPA + the green plant's annuity and O&M (PV, wind, storage) "
        "− export revenue − subsidy; more green plant can cost more a year while it buys less grid energy",
        kind="kpi",
        fmt="{:,.0f}",
    ),
    _money(
        "cost_servers",
        "",
        "annual server capex: servers bought (design IT kW / server kW / performance_factor) × price × "
        "capital recovery factor over the server life (not in cost_total)",
        kind="kpi",
        label="servers CNY/yr",
        fmt="{:,.0f}",
    ),
    _money("cost_grid_energy", "", "grid energy cost", kind="kpi", fmt="{:,.0f}"),
    _money("cost_demand", "", "demand (capacity) charges", kind="kpi", fmt="{:,.0f}"),
    _money("cost_ppa", "", "green PPA / direct-supply cost", kind="kpi", fmt="{:,.0f}"),
    _money("export_revenue", "", "revenue from contracted export", kind="kpi", fmt="{:,.0f}"),
    _money(
        "cost_per_compute",
        "MW-1 h-1",
        "energy cost incl. green plant per nominal-server MWh of compute delivered",
        "cost_total / compute_delivered: the figure to rank designs by (the same work, whatever IT energy it takes); "
        "NaN when no compute is delivered (utilisation 0)",
        kind="kpi",
        label="CNY/MWh compute",
        fmt="{:,.0f}",
    ),
    _money(
        "cost_per_mwh_it",
        "MW-1 h-1",
        "energy cost incl. green plant per MWh of IT energy",
        "cost_total / energy_it; IT energy counts the server fans, which liquid designs remove, so the same "
        "compute takes less IT energy there: not a ranking of designs (cost_per_compute is)",
        kind="kpi",
        label="CNY/MWh IT",
        fmt="{:,.0f}",
    ),
    _money("green_subsidy", "", "green-power subsidy", kind="kpi", fmt="{:,.0f}"),
    Variable("electricity_share_of_spend", "1", "electricity's share of total spend", kind="kpi", fmt="{:.1%}"),
    Variable("co2", "t", "annual CO2 from grid electricity", kind="kpi", label="CO2 t", fmt="{:,.0f}"),
    Variable(
        "cue",
        "kg kW-1 h-1",
        "carbon usage effectiveness, ISO/IEC 30134-8 (kg CO2 of grid electricity per IT kWh; "
        "excludes the immersion fluid's CO2e, co2e_fluid_t)",
        kind="kpi",
        fmt="{:.3f}",
        display_units="kg/kWh",
    ),
    Variable(
        "gb40879_grade",
        "1",
        "GB 40879 grade (1 best; 0 fails grade 3; thresholds unverified)",
        kind="kpi",
        label="GB40879",
        fmt="{:.0f}",
    ),
    Variable("policy_pue_limit", "1", "the site's policy PUE limit", kind="kpi", label="limit", fmt="{:.2f}"),
    Variable("meets_policy", "1", "annual PUE within the site's policy limit", kind="kpi", fmt="{:.0f}"),
]

_HOURLY: dict[str, Variable] = {}
_KPI: dict[str, Variable] = {}
for _v in _V:
    (_KPI if _v.kind == "kpi" else _HOURLY)[_v.name] = _v
for _name, (_units, _long, _) in WEATHER_VARIABLES.items():
    _HOURLY.setdefault(_name, Variable(_name, _units, f"outdoor {_long}", kind="weather"))

REGISTRY: Mapping[str, Variable] = MappingProxyType(_HOURLY)
"""Variables of the hourly Dataset (kinds hourly, case, weather) by name."""

KPI_REGISTRY: Mapping[str, Variable] = MappingProxyType(_KPI)
"""Annual KPIs by name (``pue`` is both an hourly variable and a KPI, so they are two tables)."""


def of_kind(kind: str) -> tuple[Variable, ...]:
    """The registered variables of one kind, in registry order."""
    if kind not in KINDS:
        raise KeyError(f"kind {kind!r}; kinds are {', '.join(KINDS)}")
    table = KPI_REGISTRY if kind == "kpi" else REGISTRY
    return tuple(v for v in table.values() if v.kind == kind)


def _lookup(name: str, kpi: bool) -> Variable:
    return (KPI_REGISTRY if kpi else REGISTRY)[name]


def _attrs(v: Variable) -> dict[str, str]:
    out = {"units": v.units, "long_name": v.long_name}
    if v.description:
        out["description"] = v.description
    if v.currency:
        out["currency"] = v.currency
    return out


_ATTRS = {v.name: _attrs(v) for v in REGISTRY.values()}
_KPI_ATTRS = {v.name: _attrs(v) for v in KPI_REGISTRY.values()}


def attrs(name: str, *, kpi: bool = False) -> dict[str, str]:
    """``units``, ``long_name`` (``description``, ``currency``) of a registered variable (KeyError if not).

    A new dict each call, so that a caller editing a variable's attrs changes nothing else.
    """
    return dict((_KPI_ATTRS if kpi else _ATTRS)[name])


def annotate(ds: xr.Dataset, *, kpi: bool = False) -> xr.Dataset:
    """Set the registry's attributes on every data variable (KeyError if one is missing)."""
    for name in ds.data_vars:
        ds[name].attrs.update(attrs(str(name), kpi=kpi))
    return ds


def label(name: str, *, kpi: bool = True) -> str:
    """Short table header of a variable (its name if it has no label)."""
    return _lookup(name, kpi).label or name


def format_value(name: str, value: float, *, kpi: bool = True) -> str:
    """A value as a table shows it, by the registry's format; ``-`` for NaN."""
    value = float(value)
    if math.isnan(value):
        return "-"
    return _lookup(name, kpi).fmt.format(value)


def _coordinates(coords: Mapping[str, Any]) -> tuple[dict[Any, xr.Variable], dict[Any, Any]] | None:
    """The coordinate variables and default indexes xarray would build, or None for a kind not handled here.

    Handled: a ``pandas.Index`` (unnamed or named as its key, not a ``MultiIndex``) or a 1-D
    array named by its own dimension (an indexed dimension coordinate, as xarray's default
    ``PandasIndex``), ``(dims, values)`` and a plain scalar.
    """
    import numpy as np
    import pandas as pd
    import xarray as xr
    from xarray.core.indexes import PandasIndex

    variables: dict[Any, xr.Variable] = {}
    indexes: dict[Any, Any] = {}
    for name, value in coords.items():
        if any(isinstance(v, pd.MultiIndex) for v in (value, *(value if isinstance(value, tuple) else ()))):
            return None  # xarray's PandasMultiIndex and its level coordinates
        if isinstance(value, pd.Index) and value.name is not None and value.name != name:
            return None  # xarray names the dimension after the index (another coordinate)
        if isinstance(value, tuple) and len(value) == 2 and _plain_dimension(name, *value):
            # an indexed dimension coordinate of plain numbers or datetimes: the index from_variables
            # would build from it, and its variable, without converting the array to a Variable first
            index = _index(name, value[1])
            indexes[name] = index
            variables[name] = index.create_variables()[name]
            continue
        if isinstance(value, tuple):
            var = xr.Variable(*value)
        elif isinstance(value, (pd.Index, np.ndarray)) and np.ndim(value) == 1:
            var = xr.Variable((name,), value)
        elif isinstance(value, (str, int, float, np.generic)):
            var = xr.Variable((), value)
        else:
            return None
        if var.dims == (name,):
            index = PandasIndex.from_variables({name: var}, options={})
            indexes[name] = index
            var = index.create_variables({name: var})[name]
        variables[name] = var
    return variables, indexes


_INDEXES = LRU(8)
"""The indexes of dimension coordinates built last (a run's time axis: the same year, call after call)."""


def _index(name: Any, values: Any) -> Any:
    """xarray's ``PandasIndex`` of a 1-D array on the dimension ``name``.

    An index is immutable (its array a private, read-only copy: also through
    ``Dataset.indexes[...].asi8`` or ``numpy.asarray`` of the index), so one
    built for equal values is shared: a run's time axis is indexed once per process, not once
    per Dataset (pandas' conversion of 8,760 datetimes costs more than a free-air year's
    supply step). Equal means equal (:func:`twin.core.memo.of_axis`: the whole array is compared).
    """
    return of_axis(_INDEXES, lambda: _new_index(name, values), values, name)


def _new_index(name: Any, values: Any) -> Any:
    """:func:`_index` computed: the pandas index of a private copy of ``values`` (datetimes or
    8-byte numbers, :func:`_plain_dimension`), named ``name``, as xarray's ``PandasIndex`` holds it.

    Datetimes are wrapped by pandas' ``DatetimeIndex._simple_new`` when that gives the public
    constructor's index (checked once: its class, values, dtype, name and frequency), which
    validates what :func:`_plain_dimension` has checked already; else the constructor.
    """
    import pandas as pd
    from xarray.core.indexes import PandasIndex

    own = values.copy()
    own.flags.writeable = False  # shared by every later Dataset of equal values: never written through
    if own.dtype.kind != "M":
        index = pd.Index(own, name=name, copy=False)
    else:
        if not _SIMPLE_INDEX:
            _SIMPLE_INDEX.append(_simple_index_works(pd))
        index = _simple_index(pd, own, name) if _SIMPLE_INDEX[0] else pd.DatetimeIndex(own, name=name, copy=False)
    return PandasIndex(index, name, coord_dtype=values.dtype)


_SIMPLE_INDEX: list[bool] = []  # whether _simple_index gives the constructor's index (decided on first use)


def _simple_index(pd: Any, values: Any, name: Any) -> Any:
    """``pandas.DatetimeIndex(values, name=name)`` of datetime64 ``values`` (s, ms, us or ns), wrapped without checks."""
    from pandas.core.arrays import DatetimeArray

    return pd.DatetimeIndex._simple_new(DatetimeArray._simple_new(values, dtype=values.dtype), name=name)


def _simple_index_works(pd: Any) -> bool:
    """Whether :func:`_simple_index` gives what the public constructor gives (:func:`_new_index`)."""
    import numpy as np

    try:
        for unit in ("s", "ms", "us", "ns"):
            t = np.datetime64("2021-01-01T00", unit) + np.arange(5).astype("timedelta64[h]").astype(
                f"timedelta64[{unit}]"
            )
            a, b = _simple_index(pd, t.copy(), "time"), pd.DatetimeIndex(t.copy(), name="time", copy=False)
            if not (
                type(a) is type(b)
                and a.equals(b)
                and a.dtype == b.dtype
                and a.name == b.name
                and a.freq == b.freq
                and np.array_equal(a.asi8, b.asi8)
                and a.get_loc(t[3]) == b.get_loc(t[3]) == 3
            ):
                return False
        return True
    except Exception:  # any failure: the public constructor
        return False


def _plain_dimension(name: Any, dims: Any, data: Any) -> bool:
    """``(dims, data)`` is a 1-D numpy array of 8-byte numbers or of datetimes in a unit pandas keeps,
    on the dimension ``name``: xarray's Variable takes it unconverted."""
    import numpy as np

    if (dims if isinstance(dims, tuple) else (dims,)) != (name,) or not isinstance(data, np.ndarray) or data.ndim != 1:
        return False
    if data.dtype.kind == "M":
        return np.datetime_data(data.dtype) in (("s", 1), ("ms", 1), ("us", 1), ("ns", 1))
    return data.dtype.kind in "iuf" and data.dtype.itemsize == 8


_SLOTS = ("_attrs", "_data", "_dims", "_encoding")
_DIRECT: list[bool] = []  # whether new_variable may fill xarray's slots (decided on first use)


def new_variable(dims: tuple[str, ...], data: Any, attrs: dict[str, Any]) -> xr.Variable:
    """``xr.Variable(dims, data, attrs, fastpath=True)`` for a numpy array of ``len(dims)`` axes
    (a result of :func:`twin.simulate`), its slots filled directly.

    The public constructor's checks (a dimension per axis, no repeated name, the data's type)
    cost ≈ 5× the Variable itself, ~60 times per run; here they hold by construction. Used when
    ``xr.Variable`` has exactly the slots ``_attrs``, ``_data``, ``_dims``, ``_encoding`` and a
    Variable so built is identical to the constructor's (checked once); else the constructor.
    ``attrs`` is taken as it is (not copied).
    """
    import xarray as xr

    if not _DIRECT:
        _DIRECT.append(_direct_works(xr))
    if not _DIRECT[0]:
        return xr.Variable(dims, data, attrs, fastpath=True)
    v = object.__new__(xr.Variable)
    v._dims, v._data, v._attrs, v._encoding = dims, data, attrs, None
    return v


def _direct_works(xr: Any) -> bool:
    """Whether a Variable with its slots filled directly is the constructor's (:func:`new_variable`)."""
    import numpy as np

    classes = [c for c in xr.Variable.__mro__ if c is not object]
    if not all("__slots__" in vars(c) for c in classes):  # a class without slots: attributes set elsewhere
        return False
    declared = [vars(c)["__slots__"] for c in classes]
    if {s for d in declared for s in ((d,) if isinstance(d, str) else d)} != set(_SLOTS):
        return False
    try:
        a = np.arange(6.0).reshape(2, 3)
        v = object.__new__(xr.Variable)
        v._dims, v._data, v._attrs, v._encoding = ("case", "time"), a, {"units": "1"}, None
        ref = xr.Variable(("case", "time"), a, {"units": "1"}, fastpath=True)
        return bool(v.identical(ref) and v.data is ref.data and v.encoding == ref.encoding and v.sizes == ref.sizes)
    except Exception:  # any failure: the public constructor
        return False


def build_dataset(data: Mapping[str, xr.Variable], coords: Mapping[str, Any]) -> xr.Dataset:
    """``xr.Dataset(data, coords=coords)`` for data variables already built on the coordinates' dimensions.

    The coordinate variables and their indexes are built as xarray's constructor builds them
    (:func:`_coordinates`) and the data variables (about 60 hourly results of
    :func:`twin.simulate`, 50 KPIs) added without xarray's merge, which would copy and align each
    of them again: most of the Dataset's cost for one case or one block. Anything unexpected (a
    coordinate of another kind, dimensions of different sizes, a dimension the coordinates do not
    size, a name taken by a coordinate, an xarray without the constructor) takes the public
    constructor.
    """
    import xarray as xr

    built = _coordinates(coords)
    construct = getattr(xr.Dataset, "_construct_direct", None)
    if built is None or construct is None or set(data) & set(built[0]):
        return xr.Dataset(dict(data), coords=dict(coords))
    coord_vars, indexes = built
    sizes: dict[Any, int] = {}
    for v in coord_vars.values():
        for d, n in zip(v.dims, v.shape, strict=True):
            if sizes.setdefault(d, n) != n:
                return xr.Dataset(dict(data), coords=dict(coords))
    layouts = {(v.dims, v.shape) for v in data.values()}  # a few distinct ones among ~60 variables
    if not all(sizes.get(d) == n for dims, shape in layouts for d, n in zip(dims, shape, strict=True)):
        return xr.Dataset(dict(data), coords=dict(coords))
    try:
        return construct({**data, **coord_vars}, set(coord_vars), sizes, indexes=indexes)
    except (TypeError, ValueError):  # the private constructor's signature changed
        return xr.Dataset(dict(data), coords=dict(coords))
