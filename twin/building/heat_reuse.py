"""Heat reuse: the warm water of the liquid designs against a user's heat demand (ERF, ISO/IEC 30134-6).

A liquid design's water loop carries the heat its coolant took (``q_recoverable``, kW) and
leaves the CDU or condenser at ``t_return`` (°C). In every hour that water is warm enough for
the heat customer (``t_return ≥ t_return_min``), the heat reused is what the customer asks for,
at most what the loop carries; the rest goes to the dry cooler as before (the dry cooler's fans
are not credited with the smaller load: conservative). Air designs and chilled water carry no
water warm enough (their return air or condenser water is at 30–40 °C): they would need a heat
pump, which is not modelled.

The demand is a degree-hour model on the site's weather, ``base + per_k · max(t_balance − T_db,
0)`` kW: a constant part (hot water, an industrial user) and space heating proportional to how
far the outdoor air is below the balance temperature. Zero by default: a planner states the
customer.

ERF (ISO/IEC 30134-6) = energy reused / total data-centre energy, 0 … 1.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from twin.core.params import Params, param

__all__ = ["HeatReuseParams", "heat_demand", "reused_heat"]


@dataclass(frozen=True)
class HeatReuseParams(Params):
    """The heat customer: its demand and the lowest water temperature it takes."""

    section = "heat_reuse"

    demand_base_kw: float = param(
        0.0, 0.0, 1e7, units="kW", source="input: constant heat demand (hot water, an industrial user); 0: none"
    )
    demand_kw_per_k: float = param(
        0.0,
        0.0,
        1e6,
        units="kW K-1",
        source="input: space-heating demand per K of outdoor air below t_balance (degree-hour model); 0: none",
    )
    t_balance: float = param(
        18.0,
        0.0,
        25.0,
        units="degC",
        source="assumption: 18 °C, the base of heating degree-days (HDD18) used for Chinese building climate zones",
    )
    t_return_min: float = param(
        45.0,
        20.0,
        90.0,
        units="degC",
        source="assumption: the lowest water temperature a low-temperature heating network takes without a heat pump "
        "(floor heating runs at 35–45 °C)",
    )


T_TOLERANCE = 1e-6
"""K: water at the customer's temperature to rounding (37 + 8 computed as 44.999999999999986) counts as warm."""


def heat_demand(t_db: np.ndarray, base_kw: np.ndarray, kw_per_k: np.ndarray, t_balance: np.ndarray) -> np.ndarray:
    """Hourly heat demand, kW: ``base + per_k · max(t_balance − T_db, 0)``.

    Parameters
    ----------
    t_db : numpy.ndarray
        Outdoor dry bulb, °C.
    base_kw : array_like
        Constant demand, kW.
    kw_per_k : array_like
        Space-heating demand per K below the balance temperature, kW/K.
    t_balance : array_like
        Balance (degree-hour base) temperature, °C.
    """
    return base_kw + kw_per_k * np.maximum(t_balance - t_db, 0.0)


def reused_heat(
    q_recoverable: np.ndarray, t_return: np.ndarray, demand: np.ndarray, t_return_min: np.ndarray
) -> np.ndarray:
    """Heat reused each hour, kW: ``min(q_recoverable, demand)`` when ``t_return ≥ t_return_min``, else 0.

    Parameters
    ----------
    q_recoverable : numpy.ndarray
        Heat the water loop carries, kW.
    t_return : numpy.ndarray
        Water temperature leaving the CDU or condenser, °C (NaN: no water loop).
    demand : numpy.ndarray
        The customer's heat demand, kW.
    t_return_min : array_like
        Lowest water temperature the customer takes, °C.

    Notes
    -----
    ``0 ≤ reused ≤ min(q_recoverable, demand)``, so with the recoverable heat at most the IT
    power, ERF = Σ reused / Σ facility energy stays within 0 … 1.
    """
    warm = np.nan_to_num(t_return, nan=-np.inf) >= t_return_min - T_TOLERANCE
    return np.where(warm, np.minimum(q_recoverable, demand), 0.0)
