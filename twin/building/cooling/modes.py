"""The operating modes of each cooling design, in the order of their codes.

A design's hourly ``mode`` is an index into its tuple here (what each mode is: the design's module). They are declared apart from the
physics so that the registry (:data:`twin.building.cooling.DESIGNS`) and a run's mode code
table (:func:`twin.engine.simulate.mode_codes`, written to every results file) name every
design's modes without importing every design.
"""

from __future__ import annotations

__all__ = ["CHILLED_WATER", "FREE_AIR", "INDIRECT_EVAP", "LIQUID"]

FREE_AIR = ("mix", "outdoor", "evaporative", "evaporative+trim", "outdoor+trim", "closed")
CHILLED_WATER = ("free cooling", "partial economiser", "chiller")
INDIRECT_EVAP = ("dry", "wet", "wet+trim")
LIQUID = ("dry", "adiabatic", "short")
