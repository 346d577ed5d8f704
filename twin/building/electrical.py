"""Electrical chain: transformer, UPS (part-load curve), distribution, lighting and misc.

Power in kW. The facility power is the sum of its parts by construction, so the energy
balance closes to rounding:

``P_facility = P_it + P_cooling + P_ups_loss + P_dist_loss + P_transformer_loss + P_misc``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from twin.core.arrays import total
from twin.core.params import Params, param

__all__ = ["ElectricalParams", "electrical_losses", "indoor_losses", "ups_efficiency"]


@dataclass(frozen=True)
class ElectricalParams(Params):
    """Electrical chain of the facility."""

    section = "electrical"

    ups_redundancy: float = param(
        2.0, 1.0, 4.0, source="2N: UPS rated at twice the design IT load (LBNL2005: 2N runs at 20–40 %)"
    )
    ups_loss_no_load: float = param(
        0.006, 0.0, 0.1, source="assumption: modern double-conversion UPS, losses as a share of rating"
    )
    ups_loss_linear: float = param(
        0.012, 0.0, 0.1, source="assumption (η 0.958 at 20 %, 0.972 at 50 % load, vendor-curve shape)"
    )
    ups_loss_square: float = param(0.010, 0.0, 0.1, source="assumption")
    distribution_loss: float = param(0.01, 0.0, 0.1, source="assumption: PDU and cabling, share of IT power")
    transformer_rating_factor: float = param(1.5, 1.0, 5.0, source="assumption: transformer rated at 1.5 × design IT")
    transformer_no_load: float = param(
        0.0015, 0.0, 0.05, source="assumption: no-load loss, share of rating (efficient dry-type)"
    )
    transformer_load_loss: float = param(
        0.008, 0.0, 0.05, source="assumption: load loss at rated load, share of rating"
    )
    lighting_misc: float = param(0.01, 0.0, 0.2, source="assumption: lighting, offices, security, share of design IT")


def ups_efficiency(load_fraction: np.ndarray, c0: float, c1: float, c2: float) -> np.ndarray:
    """UPS efficiency at a load fraction x: ``x / (x + c0 + c1 x + c2 x²)``."""
    x = np.asarray(load_fraction, dtype=float)
    return x / (x + c0 + c1 * x + c2 * x**2)


def indoor_losses(p_it: np.ndarray, design_kw: np.ndarray, e: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """Losses inside the hall, kW: distribution, UPS and lighting/misc (heat the cooling removes).

    Parameters
    ----------
    p_it : array_like
        IT power, kW.
    design_kw : array_like
        Design IT power, kW (sizes the UPS).
    e : mapping
        :class:`ElectricalParams` fields as arrays.

    Returns
    -------
    dict
        ``p_dist_loss``, ``p_ups_loss``, ``p_misc`` (shape of ``design_kw``: it does not follow
        the IT load) and ``ups_load_fraction``.

    Notes
    -----
    UPS input = IT + distribution loss; UPS loss = R (c0 + c1 x + c2 x²) with x the load
    fraction of the rating R = redundancy × design IT.
    """
    p_dist = p_it * e["distribution_loss"]
    rating = e["ups_redundancy"] * design_kw
    x = p_it * ((1.0 + e["distribution_loss"]) / rating)
    # R (c0 + c1 x + c2 x²) in Horner form, in place (arrays of case × hour: few temporaries)
    p_ups = x * (rating * e["ups_loss_square"])
    p_ups += rating * e["ups_loss_linear"]
    p_ups *= x
    p_ups += rating * e["ups_loss_no_load"]
    p_misc = e["lighting_misc"] * design_kw
    return {"p_dist_loss": p_dist, "p_ups_loss": p_ups, "p_misc": p_misc, "ups_load_fraction": x}


def electrical_losses(
    p_it: np.ndarray,
    p_cooling: np.ndarray,
    design_kw: np.ndarray,
    e: Mapping[str, Any],
    indoor: dict[str, np.ndarray] | None = None,
) -> dict[str, np.ndarray]:
    """Losses of the chain, kW.

    Parameters
    ----------
    p_it, p_cooling : array_like
        IT and cooling power, kW.
    design_kw : array_like
        Design IT power, kW (sizes the UPS and transformer).
    e : mapping
        :class:`ElectricalParams` fields as arrays.
    indoor : dict, optional
        :func:`indoor_losses` of the same ``p_it``, if already computed.

    Returns
    -------
    dict
        ``p_dist_loss``, ``p_ups_loss``, ``p_misc``, ``p_transformer_loss`` and
        ``ups_load_fraction``.

    Notes
    -----
    The transformer carries everything; its loss is R_t (n0 + n_l (P/R_t)²) evaluated on the
    power it delivers (the loss's own share of its load, < 0.1 %, is neglected).
    """
    out = dict(indoor if indoor is not None else indoor_losses(p_it, design_kw, e))
    through = total(p_it, out["p_dist_loss"], out["p_ups_loss"], p_cooling, out["p_misc"])
    rating_t = e["transformer_rating_factor"] * design_kw
    # R_t (n0 + n_l (P/R_t)²) = n_l/R_t · P² + R_t n0, in place
    through *= through
    through *= e["transformer_load_loss"] / rating_t
    through += rating_t * e["transformer_no_load"]
    out["p_transformer_loss"] = through
    return out
