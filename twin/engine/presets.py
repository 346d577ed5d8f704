"""Named facility baselines a scenario can start from: ``preset = "legacy"`` or ``"best_practice"``.

A preset is a set of parameter tables (``facility``, ``electrical``, ``cooling.DESIGN``) laid
under the scenario's own: a value the scenario gives wins. ``best_practice`` is the engine's
defaults (an elevated-temperature plant with economisers, VSD fans and pumps, a modern UPS);
``legacy`` is the "typical facility" older surveys and the seeds compare against.

Sources of the legacy figures: 7 °C chilled water, no economiser and constant-speed fans and
pumps are the pre-2010 practice that ASHRAE 90.1 Appendix G's older baselines describe; the
DOE-2 default centrifugal chiller is EnergyPlus's; the UPS efficiency (≈ 0.90 at 40 % load)
sits in the range LBNL/Ecos (2005) measured for double-conversion units (0.86–0.92 at 20–40 %);
the open hall's supply and return approach (8.3 K, −6.7 K) are openstudio-standards' "fully open"
data-centre prototype values; the other air-management figures (24 °C at the server inlet, so
15.7 °C supply air; 8 K across older servers) and the transformer and distribution losses are
assumptions.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from twin.core.params import ConfigError

__all__ = ["BASELINES", "apply_preset"]

_LEGACY_CRAH = {
    "t_supply_air": 24.0,  # inlets at 24 °C: with an open hall's 8.3 K recirculation, 15.7 °C supply air (assumption)
    "delta_t_it": 8.0,  # older servers move more air per kW (assumption)
    "crah_fan_pressure_pa": 500.0,
    "fan_efficiency": 0.5,  # belt-driven centrifugal fans (assumption)
    "fan_control": "constant",
}

BASELINES: dict[str, dict[str, dict[str, Any]]] = {
    "best_practice": {},
    "legacy": {
        "cooling.chilled_water": {
            **_LEGACY_CRAH,
            "t_chw_supply": 7.0,
            "delta_t_chw": 5.6,
            "economiser": False,
            "chiller": "doe2_centrifugal",
            "pump_control": "constant",
            "t_cond_water_min": 24.0,  # fixed condenser-water setpoint (assumption)
        },
        "facility": {"containment": "none"},  # open hot and cold aisles (bypass and recirculation)
        "electrical": {
            "ups_loss_no_load": 0.025,
            "ups_loss_linear": 0.03,
            "ups_loss_square": 0.02,
            "distribution_loss": 0.02,
            "transformer_no_load": 0.003,
            "transformer_load_loss": 0.012,
            "lighting_misc": 0.02,
        },
    },
}
"""The presets: section → field → value (``cooling.DESIGN`` for a design's table)."""


def apply_preset(data: Mapping[str, Any], where: str = "scenario") -> dict[str, Any]:
    """The scenario mapping with its ``preset`` (if any) laid under its own tables."""
    out = dict(data)
    name = out.pop("preset", None)
    if name is None:
        return out
    if name not in BASELINES:
        raise ConfigError(f"{where}: preset = {name!r} is unknown; choose one of {', '.join(BASELINES)}")
    for section, table in BASELINES[name].items():
        if section.startswith("cooling."):
            design = section.split(".", 1)[1]
            cooling = dict(out.get("cooling", {}) or {})
            cooling[design] = {**table, **dict(cooling.get(design, {}) or {})}
            out["cooling"] = cooling
        else:
            out[section] = {**table, **dict(out.get(section, {}) or {})}
    return out
