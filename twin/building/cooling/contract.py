"""The contract between the orchestrator and a cooling design.

A design is a function of the weather, its parameter columns and two callbacks — the IT load
at a given inlet and chip temperature, and the heat other than IT that the cooling removes —
returning the hourly results declared in :class:`CoolingResult`. Everything a design needs
comes in through these arguments and everything it gives back goes out through its return
value: no state is shared with the orchestrator.

Shapes: every array broadcasts to ``(case, time)``; parameters are ``(case, 1)`` or ``(1, 1)``
columns (text parameters, which pick tables, are plain strings shared by the block).
"""

from collections.abc import Callable, Mapping
from typing import Any, NotRequired, Protocol, TypedDict

import numpy as np

__all__ = [
    "OPTIONAL_OUTPUTS",
    "REQUIRED_OUTPUTS",
    "Columns",
    "CoolingModel",
    "CoolingResult",
    "DesignContractError",
    "HeatOther",
    "ITFunction",
    "ITResult",
    "Weather",
    "check_outputs",
]

Weather = Mapping[str, np.ndarray]
"""Hourly weather: ``t_db``, ``t_wb`` (°C), ``w`` (kg/kg), ``p_air`` (Pa), optionally ``x_sat``."""

Columns = Mapping[str, Any]
"""Parameter columns of a block: a parameter class's fields as (case, 1) or (1, 1) arrays, text as str."""


class ITResult(TypedDict):
    """What the IT callback returns, kW (``utilisation`` 0–1)."""

    p_it: np.ndarray
    p_server_fans: NotRequired[np.ndarray]
    p_leakage: NotRequired[np.ndarray]
    compute: NotRequired[np.ndarray]
    utilisation: NotRequired[np.ndarray]


class ITFunction(Protocol):
    """IT power at a server inlet and chip temperature (°C), with the server fans (True), without
    them (False) or with a share of them (a number 0–1, broadcastable to (case, 1))."""

    def __call__(self, t_inlet: np.ndarray, t_chip: np.ndarray, has_server_fans: bool | np.ndarray, /) -> ITResult: ...


class HeatOther(Protocol):
    """Heat other than IT that the cooling removes (UPS and distribution losses, lighting), kW,
    from the hour's IT power (kW)."""

    def __call__(self, p_it: np.ndarray, /) -> np.ndarray: ...


class CoolingResult(ITResult):
    """The hourly outputs of a cooling design (the IT callback's results passed through).

    Powers kW, water L/h, temperatures °C. A design without pumps or heat-rejection fans (free
    air) returns 0.0 for them. A costly diagnostic (``cop_mech``) may be a function of no
    arguments, evaluated only when the variable is kept.
    """

    q_cooling: np.ndarray
    p_cooling_fans: np.ndarray
    p_pumps: np.ndarray | float
    p_compressor: np.ndarray
    p_heat_rejection: np.ndarray | float
    p_humidification: np.ndarray
    water: np.ndarray
    mode: np.ndarray
    t_supply: np.ndarray
    out_of_envelope: np.ndarray
    cop_mech: NotRequired[np.ndarray | Callable[[], np.ndarray]]
    w_supply: NotRequired[np.ndarray]
    rh_supply: NotRequired[np.ndarray]
    economiser_fraction: NotRequired[np.ndarray]
    t_water: NotRequired[np.ndarray]
    t_return: NotRequired[np.ndarray]
    q_recoverable: NotRequired[np.ndarray]
    fluid_loss: NotRequired[np.ndarray]
    fluid_co2e: NotRequired[np.ndarray]
    fluid_cost: NotRequired[np.ndarray]


class CoolingModel(Protocol):
    """A design's hourly model: all cases of one block at once."""

    def __call__(
        self, wx: Weather, p: Columns, it_fn: ITFunction, heat_other: HeatOther, q_design: np.ndarray, /
    ) -> CoolingResult: ...


REQUIRED_OUTPUTS: frozenset[str] = CoolingResult.__required_keys__
"""Outputs every design must return."""
OPTIONAL_OUTPUTS: frozenset[str] = CoolingResult.__optional_keys__
"""Outputs a design may return (declared here, so that an unknown name is caught)."""


class DesignContractError(TypeError):
    """A cooling design broke its contract (a required output missing, an undeclared one given)."""


def check_outputs(design: str, result: Mapping[str, Any]) -> None:
    """Raise :class:`DesignContractError` naming any missing required or undeclared output."""
    missing = sorted(REQUIRED_OUTPUTS - set(result))
    if missing:
        raise DesignContractError(f"cooling design {design!r} did not return {', '.join(missing)}")
    extra = sorted(set(result) - REQUIRED_OUTPUTS - OPTIONAL_OUTPUTS)
    if extra:
        raise DesignContractError(
            f"cooling design {design!r} returned {', '.join(extra)}, not declared in twin.building.cooling.contract.CoolingResult"
        )
