"""Cooling designs, chosen by name from :data:`DESIGNS`.

Each design is a parameter class (frozen, validated, every default with its source) and a
vectorised model following :class:`twin.building.cooling.contract.CoolingModel`:
``simulate(wx, params, it_fn, heat_other, q_design)`` returns the outputs declared in
:class:`~twin.building.cooling.contract.CoolingResult` (component powers in kW, water in L/h, operating
mode, supply conditions, out-of-envelope flags) for all cases of a block at once. A costly
diagnostic may be returned as a function of no arguments; :func:`twin.simulate` calls it only
when the variable is kept.

A new design is one module (its parameter class and model) and one entry in :data:`DESIGNS`.
"""

from __future__ import annotations

from dataclasses import dataclass

from twin.building.cooling import chilled_water, free_air, indirect_evap, liquid
from twin.building.cooling.contract import CoolingModel
from twin.core.params import ConfigError, Params

__all__ = ["DESIGNS", "Design", "get_design"]


@dataclass(frozen=True)
class Design:
    """A cooling design: its parameter class, simulate function, mode names and a label."""

    name: str
    label: str
    params: type[Params]
    simulate: CoolingModel
    modes: tuple[str, ...]


DESIGNS: dict[str, Design] = {
    "free_air": Design(
        "free_air",
        "free air (economiser + evaporative + DX trim)",
        free_air.FreeAirParams,
        free_air.simulate_free_air,
        free_air.MODES,
    ),
    "chilled_water": Design(
        "chilled_water",
        "chilled water (chiller + tower + economiser)",
        chilled_water.ChilledWaterParams,
        chilled_water.simulate_chilled_water,
        chilled_water.MODES,
    ),
    "indirect_evap": Design(
        "indirect_evap",
        "indirect evaporative (air-to-air HX, dry / wet / DX trim)",
        indirect_evap.IndirectEvapParams,
        indirect_evap.simulate_indirect_evap,
        indirect_evap.MODES,
    ),
    "spray": Design("spray", "spray liquid cooling", liquid.SprayParams, liquid.simulate_spray, liquid.MODES),
    "cold_plate": Design(
        "cold_plate",
        "direct-to-chip cold plates (liquid + air for the rest)",
        liquid.ColdPlateParams,
        liquid.simulate_cold_plate,
        liquid.MODES,
    ),
    "immersion_1p": Design(
        "immersion_1p",
        "single-phase immersion",
        liquid.Immersion1pParams,
        liquid.simulate_immersion_1p,
        liquid.MODES,
    ),
    "immersion_2p": Design(
        "immersion_2p",
        "two-phase immersion",
        liquid.Immersion2pParams,
        liquid.simulate_immersion_2p,
        liquid.MODES,
    ),
}


def get_design(name: str) -> Design:
    """The design called ``name``; an unknown name lists the valid ones."""
    try:
        return DESIGNS[name]
    except KeyError:
        raise ConfigError(f"unknown cooling design {name!r}; choose one of {', '.join(DESIGNS)}") from None
