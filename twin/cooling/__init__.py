"""Cooling designs, chosen by name from :data:`DESIGNS`.

Each design is a parameter class (frozen, validated, every default with its source) and a
vectorised ``simulate(wx, params, it_fn, heat_other, q_design)`` that returns hourly component
powers (kW), water (L/h), operating mode, supply conditions and out-of-envelope flags for all
cases of that design at once. A costly diagnostic may be returned as a function of no
arguments; :func:`twin.simulate` calls it only when the variable is kept.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from twin.cooling import chilled_water, free_air, liquid
from twin.params import ConfigError, Params

__all__ = ["DESIGNS", "Design", "get_design"]


@dataclass(frozen=True)
class Design:
    """A cooling design: its parameter class, simulate function, mode names and a label."""

    name: str
    label: str
    params: type[Params]
    simulate: Callable[..., dict[str, Any]]
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
    "spray": Design(
        "spray", "spray liquid cooling", liquid.SprayParams, partial(liquid.simulate_liquid, "spray"), liquid.MODES
    ),
    "immersion_1p": Design(
        "immersion_1p",
        "single-phase immersion",
        liquid.Immersion1pParams,
        partial(liquid.simulate_liquid, "immersion_1p"),
        liquid.MODES,
    ),
    "immersion_2p": Design(
        "immersion_2p",
        "two-phase immersion",
        liquid.Immersion2pParams,
        partial(liquid.simulate_liquid, "immersion_2p"),
        liquid.MODES,
    ),
}


def get_design(name: str) -> Design:
    """The design called ``name``; an unknown name lists the valid ones."""
    try:
        return DESIGNS[name]
    except KeyError:
        raise ConfigError(f"unknown cooling design {name!r}; choose one of {', '.join(DESIGNS)}") from None
