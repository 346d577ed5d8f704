"""The variable registry: one place for the name, units, long name and meaning of every output.

It labels the simulated Dataset (``units`` and ``long_name`` on every variable), the KPI
tables and the dashboard's axes.
"""

from __future__ import annotations

from dataclasses import dataclass

import xarray as xr

from weather.dataset import VARIABLES as WEATHER_VARIABLES

__all__ = ["REGISTRY", "Variable", "annotate", "attrs"]


@dataclass(frozen=True)
class Variable:
    """A registered variable."""

    name: str
    units: str
    long_name: str
    description: str = ""


_V = [
    # facility power, kW (hourly mean power = energy in kWh per hour)
    Variable(
        "p_facility", "kW", "facility power", "everything the site draws: IT + cooling + electrical losses + misc"
    ),
    Variable("p_it", "kW", "IT power", "servers including their fans (what PUE divides by)"),
    Variable("p_server_fans", "kW", "server fan power", "part of IT power; zero for liquid designs"),
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
    Variable("fluid_loss", "kg h-1", "dielectric fluid loss", "two-phase immersion vapour loss"),
    Variable("mode", "1", "operating mode", "index into the design's mode names (attrs['modes'])"),
    Variable("t_supply", "degC", "supply temperature", "air to servers, or liquid coolant supply"),
    Variable(
        "w_supply",
        "kg kg-1",
        "supply humidity ratio (dew point: weather.psychrometrics.dew_point_from_humidity_ratio)",
        "free air only",
    ),
    Variable("rh_supply", "%", "supply relative humidity", "free air only"),
    Variable("cop_mech", "1", "mechanical cooling COP", "chiller or DX, when running"),
    Variable("out_of_envelope", "1", "out of envelope", "true when the design cannot hold its supply limits"),
    Variable("economiser_fraction", "1", "water-side economiser share", "chilled water only"),
    Variable("t_water", "degC", "water loop supply temperature", "liquid designs"),
    Variable("t_wb", "degC", "outdoor wet-bulb temperature", ""),
    # green-power base
    Variable("p_pv", "kW", "PV output", "AC, after losses and degradation"),
    Variable("p_wind", "kW", "wind-farm output", "after park losses"),
    Variable("p_green", "kW", "green supply", "PV + wind"),
    Variable("p_green_direct", "kW", "green power used directly", ""),
    Variable("p_charge", "kW", "storage charging", "from green surplus (and from the grid with LP grid charging)"),
    Variable("p_grid_charge", "kW", "storage charging from the grid", "LP with grid charging only"),
    Variable("p_discharge", "kW", "storage discharging", ""),
    Variable("soc", "MWh", "storage state of charge", "at the end of the hour"),
    Variable("p_grid_import", "kW", "grid import", "load not met by green power and storage (plus grid charging)"),
    Variable(
        "p_surplus",
        "kW",
        "green surplus",
        "exported under an export contract (economics.export_contract), else curtailed",
    ),
    Variable("price", "CNY kWh-1", "grid electricity price", ""),
    Variable(
        "grid_clean_share", "1", "grid carbon-free share", "site's provincial figure by month ([grid] clean_share)"
    ),
    # per-case economics
    Variable("capex", "CNY", "green-power capital cost", "PV + wind + storage"),
    Variable("capex_annual", "CNY yr-1", "annualised green capex and O&M", "capital recovery factor × capex + O&M"),
    Variable("ppa_price", "CNY kWh-1", "green PPA / direct-supply price", "0 when the green plant is owned"),
    Variable("export_price", "CNY kWh-1", "export price", ""),
    Variable("demand_charge", "CNY kW-1 month-1", "demand (capacity) charge", ""),
    Variable(
        "green_subsidy_pct", "%", "green-power subsidy", "share of the green electricity cost refunded (Karamay 15 %)"
    ),
    Variable("grid_co2", "kg kWh-1", "grid emission factor", "site's provincial factor"),
    Variable("other_spend", "CNY yr-1", "other annual spend", "for electricity's share of spend"),
    Variable("storage_energy_mwh", "MWh", "storage energy rating", ""),
    Variable("storage_replacement_annual", "CNY yr-1", "annualised storage replacement", "part of capex_annual"),
    Variable("storage_life_years", "yr", "years until storage capacity falls to 80 %", "fade model, twin.storage"),
    Variable("storage_capacity_share", "1", "remaining storage capacity at the simulated age", ""),
    Variable("storage_deficit", "MWh", "energy the cyclic year ends short of its start", "bought from the grid"),
    Variable("export_contract", "1", "surplus exported under a contract (1) or curtailed (0)", ""),
    Variable("pv_capacity_mw", "MW", "PV capacity (DC)", ""),
    Variable("wind_capacity_mw", "MW", "wind-farm capacity", ""),
]
REGISTRY: dict[str, Variable] = {v.name: v for v in _V}
for _name, (_units, _long, _) in WEATHER_VARIABLES.items():
    REGISTRY.setdefault(_name, Variable(_name, _units, f"outdoor {_long}"))


def attrs(name: str) -> dict[str, str]:
    """``units``, ``long_name`` (and ``description``) of a registered variable (KeyError if not).

    A new dict each call, so that a caller editing a variable's attrs changes nothing else.
    """
    return dict(_ATTRS[name])


_ATTRS = {
    v.name: {"units": v.units, "long_name": v.long_name, **({"description": v.description} if v.description else {})}
    for v in REGISTRY.values()
}


def annotate(ds: xr.Dataset) -> xr.Dataset:
    """Set ``units`` and ``long_name`` on every data variable from the registry (KeyError if missing)."""
    for name in ds.data_vars:
        ds[name].attrs.update(attrs(str(name)))
    return ds
