"""Cooling designs, chosen by name from :data:`DESIGNS`.

Each design is a parameter class (frozen, validated, every default with its source) and a
vectorised model following :class:`twin.building.cooling.contract.CoolingModel`:
``simulate(wx, params, it_fn, heat_other, q_design)`` returns the outputs declared in
:class:`~twin.building.cooling.contract.CoolingResult` (component powers in kW, water in L/h, operating
mode, supply conditions, out-of-envelope flags) for all cases of a block at once. A costly
diagnostic may be returned as a function of no arguments; :func:`twin.simulate` calls it only
when the variable is kept.

A new design is one module (its parameter class and model), its modes in
:mod:`twin.building.cooling.modes` and one entry in :data:`DESIGNS`.
A design's module is imported when its entry is first read (``DESIGNS[name]``), not when the
names are listed or checked (``list(DESIGNS)``, ``name in DESIGNS``): a run imports the
designs it uses.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, MutableMapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

from twin.building.cooling import modes
from twin.core.params import ConfigError

if TYPE_CHECKING:
    from twin.building.cooling.contract import CoolingModel
    from twin.core.params import Params

__all__ = ["DESIGNS", "Design", "get_design"]


@dataclass(frozen=True)
class Design:
    """A cooling design: its parameter class, simulate function, mode names and a label."""

    name: str
    label: str
    params: type[Params]
    simulate: CoolingModel
    modes: tuple[str, ...]


class _Declared(NamedTuple):
    """A design not imported yet: its label, where its parts live (module, parameter class,
    model) and its modes (:mod:`twin.building.cooling.modes`)."""

    label: str
    module: str
    params: str
    simulate: str
    modes: tuple[str, ...]

    def load(self, name: str) -> Design:
        module = importlib.import_module(f"twin.building.cooling.{self.module}")
        return Design(name, self.label, getattr(module, self.params), getattr(module, self.simulate), self.modes)


class _Designs(MutableMapping[str, Design]):
    """The registry: names in declaration order, each design imported at its first lookup."""

    def __init__(self, declared: dict[str, Design | _Declared]) -> None:
        self._entries: dict[str, Design | _Declared] = dict(declared)

    def __getitem__(self, name: str) -> Design:
        entry = self._entries[name]
        if isinstance(entry, _Declared):
            entry = self._entries[name] = entry.load(name)
        return entry

    def __setitem__(self, name: str, design: Design) -> None:
        self._entries[name] = design

    def __delitem__(self, name: str) -> None:
        del self._entries[name]

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return f"DESIGNS({', '.join(self._entries)})"

    def modes(self, name: str) -> tuple[str, ...]:
        """The modes of design ``name``, without importing it."""
        return self._entries[name].modes


def _liquid(label: str, params: str, simulate: str) -> _Declared:
    return _Declared(label, "liquid", params, simulate, modes.LIQUID)


DESIGNS = _Designs(
    {
        "free_air": _Declared(
            "free air (economiser + evaporative + DX trim)",
            "free_air",
            "FreeAirParams",
            "simulate_free_air",
            modes.FREE_AIR,
        ),
        "chilled_water": _Declared(
            "chilled water (chiller + tower + economiser)",
            "chilled_water",
            "ChilledWaterParams",
            "simulate_chilled_water",
            modes.CHILLED_WATER,
        ),
        "indirect_evap": _Declared(
            "indirect evaporative (air-to-air HX, dry / wet / DX trim)",
            "indirect_evap",
            "IndirectEvapParams",
            "simulate_indirect_evap",
            modes.INDIRECT_EVAP,
        ),
        "spray": _liquid("spray liquid cooling", "SprayParams", "simulate_spray"),
        "cold_plate": _liquid(
            "direct-to-chip cold plates (liquid + air for the rest)", "ColdPlateParams", "simulate_cold_plate"
        ),
        "immersion_1p": _liquid("single-phase immersion", "Immersion1pParams", "simulate_immersion_1p"),
        "immersion_2p": _liquid("two-phase immersion", "Immersion2pParams", "simulate_immersion_2p"),
    }
)


def get_design(name: str) -> Design:
    """The design called ``name``; an unknown name lists the valid ones."""
    try:
        return DESIGNS[name]
    except KeyError:
        raise ConfigError(f"unknown cooling design {name!r}; choose one of {', '.join(DESIGNS)}").explained(
            "unknown_design", value=repr(name), allowed=", ".join(DESIGNS)
        ) from None
