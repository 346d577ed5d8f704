"""Compare a generated typical year with a real hourly record of the same site."""

from __future__ import annotations

from typing import Any

import numpy as np
import xarray as xr

from weather import psychrometrics as psy

__all__ = ["THRESHOLDS", "compare", "compare_ensemble", "hour_counts", "within_tolerance"]

THRESHOLDS: dict[str, tuple[float, ...]] = {"t_db": (18.0, 24.0, 27.0), "t_wb": (15.0, 19.0, 21.0), "t_dp": (15.0,)}
"""Hour-count thresholds, °C: dry bulb (ASHRAE recommended band edges and economiser limits),
wet bulb (evaporative-cooling and cooling-tower limits), dew point (ASHRAE recommended limit)."""


def wet_bulb_of(ds: xr.Dataset) -> np.ndarray:
    """Hourly wet bulb, °C, of a weather Dataset (at its own pressure)."""
    return psy.wet_bulb(ds["t_db"].to_numpy(), ds["rh"].to_numpy(), ds["p_air"].to_numpy())


def hour_counts(ds: xr.Dataset) -> dict[str, int]:
    """Annual hours above each threshold of :data:`THRESHOLDS`, keyed like ``"t_db>27"``."""
    series = {"t_db": ds["t_db"].to_numpy(), "t_dp": ds["t_dp"].to_numpy(), "t_wb": wet_bulb_of(ds)}
    return {f"{k}>{x:g}": int((series[k] > x).sum()) for k, xs in THRESHOLDS.items() for x in xs}


def monthly_mean(ds: xr.Dataset, var: str) -> np.ndarray:
    """Monthly means of a variable, shape (12,)."""
    return ds[var].groupby("time.month").mean().to_numpy()


def within_tolerance(generated: float, real: float, rel: float = 0.10, floor: float = 100.0) -> bool:
    """True when |generated − real| ≤ max(rel · real, floor) (the ±10 % or ±100 h rule)."""
    return abs(generated - real) <= max(rel * abs(real), floor)


def compare(generated: xr.Dataset, real: xr.Dataset) -> dict[str, Any]:
    """Statistics of a generated year against a real one.

    Returns
    -------
    dict
        ``dt_month_max`` (largest |monthly mean dry-bulb difference|, K), ``ghi_annual``
        (generated, real, kWh/m²), ``ghi_rel`` (relative difference), and ``counts``:
        ``{name: (generated, real, ok)}`` for each threshold.
    """
    dt = monthly_mean(generated, "t_db") - monthly_mean(real, "t_db")
    g_ghi = float(generated["ghi"].sum()) / 1000.0
    r_ghi = float(real["ghi"].sum()) / 1000.0
    cg, cr = hour_counts(generated), hour_counts(real)
    return {
        "dt_month_max": float(np.max(np.abs(dt))),
        "ghi_annual": (g_ghi, r_ghi),
        "ghi_rel": g_ghi / r_ghi - 1.0,
        "counts": {k: (cg[k], cr[k], within_tolerance(cg[k], cr[k])) for k in cg},
    }


def compare_ensemble(generated: list[xr.Dataset], real: xr.Dataset) -> dict[str, Any]:
    """Compare the mean of several generated years (different seeds) with a real year.

    A single generated year differs from the expected climate by sampling noise (the SD over
    seeds is reported); the ensemble mean is what the generator claims to reproduce.

    Returns
    -------
    dict
        ``dt_month_max`` (largest over seeds, K), ``ghi_rel`` (mean), and ``counts``:
        ``{name: (mean, sd, real, ok)}`` with ``ok`` by :func:`within_tolerance`.
    """
    results = [compare(g, real) for g in generated]
    counts = {}
    for k in results[0]["counts"]:
        vals = np.array([r["counts"][k][0] for r in results], dtype=float)
        r = results[0]["counts"][k][1]
        counts[k] = (float(vals.mean()), float(vals.std()), r, within_tolerance(float(vals.mean()), r))
    return {
        "dt_month_max": max(r["dt_month_max"] for r in results),
        "ghi_rel": float(np.mean([r["ghi_rel"] for r in results])),
        "counts": counts,
    }
