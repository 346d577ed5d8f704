"""Published part-load and performance curves: fans, pumps, chillers, cooling towers.

Each curve is data with its source; the functions evaluate them vectorised over
``(case, time)`` arrays. Curve inputs are clipped to the range of the data they were fitted
on (EnergyPlus does the same, with a warning): outside it a curve would extrapolate a
polynomial, which is how a chiller reached a COP of 38 at a 5 K lift.

Sources
-------
* Fan and pump part-load curves: ASHRAE 90.1 Appendix G (Table G3.1.3.15, VAV fan part-load
  performance, method 2) as coded in NREL openstudio-standards
  (``Standards.FanVariableVolume.rb``, ``Standards.PumpVariableSpeed.rb``).
* Chillers: EnergyPlus ``Chiller:Electric:EIR`` records from ``DataSets/Chillers.idf``
  (DOE-2.1 model: CAPFT and EIRFT biquadratic in leaving chilled water and entering condenser
  water temperature, °C; EIRFPLR quadratic in part-load ratio), as transcribed in the Modelica
  Buildings Library (``Buildings.Fluid.Chillers.Data.ElectricEIR``).
* Cooling tower: the YorkCalc correlation of EnergyPlus ``CoolingTower:VariableSpeed``
  (EnergyPlus Engineering Reference, "Variable Speed Cooling Towers", 27 coefficients and
  their bounds).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypedDict

import numpy as np

__all__ = [
    "CHILLERS",
    "FAN_CURVES",
    "PUMP_CURVES",
    "YORKCALC",
    "ChillerCurve",
    "biquadratic",
    "chiller_power",
    "cubic",
    "lg_approach",
    "part_load_power",
    "tower_air_flow_ratio",
    "tower_approach",
    "york_lg_coeffs",
    "york_wet_bulb_terms",
]

FAN_CURVES: dict[str, tuple[float, float, float, float]] = {
    # power / design power = a + b x + c x² + d x³, x = flow / design flow
    "vsd": (0.0013, 0.1470, 0.9506, -0.0998),  # VSD, fixed static pressure setpoint (90.1 App. G method 2)
    "constant": (1.0, 0.0, 0.0, 0.0),  # constant-speed fans: design power whatever the load
}
"""Fan part-load curves (ASHRAE 90.1 App. G via openstudio-standards; ``constant``: no speed control)."""

PUMP_CURVES: dict[str, tuple[float, float, float, float]] = {
    "vsd": (0.0, 0.0205, 0.4101, 0.5753),  # variable speed with differential-pressure reset
    "constant": (1.0, 0.0, 0.0, 0.0),  # constant flow (bypass): design power whatever the load
}
"""Pump part-load curves (openstudio-standards ``VSD DP Reset``; ``constant``: constant flow)."""


def cubic(coeffs: tuple[float, ...], x: np.ndarray) -> np.ndarray:
    """``c0 + c1 x + c2 x² (+ c3 x³)`` in Horner form."""
    out = np.full(np.shape(x), coeffs[-1], dtype=float)
    for c in coeffs[-2::-1]:
        out = out * x + c
    return out


def part_load_power(
    flow_ratio: np.ndarray,
    p_design: np.ndarray | float,
    curve: str,
    *,
    units: np.ndarray | float = 1.0,
    redundant: np.ndarray | float = 0.0,
    min_flow: np.ndarray | float = 0.0,
    kind: str = "fan",
) -> np.ndarray:
    """Power of an array of identical fans or pumps sharing a flow, kW.

    Parameters
    ----------
    flow_ratio : array_like
        Flow asked for / design flow of the whole array (N units at full speed).
    p_design : array_like
        Power of the N duty units at design flow, kW.
    curve : str
        ``"vsd"`` or ``"constant"`` (:data:`FAN_CURVES` / :data:`PUMP_CURVES`).
    units, redundant : array_like
        N duty units and R redundant ones; all N + R run and share the flow.
    min_flow : array_like
        Minimum flow of a unit / its design flow (minimum speed).
    kind : str
        ``"fan"`` or ``"pump"``.

    Notes
    -----
    Each of the N + R running units carries ``x = ratio N/(N + R)`` of its design flow, at
    least ``min_flow``; power ``P = P_d (N + R)/N f(x)`` with the part-load curve f
    (f(1) ≈ 1). Running the spare unit saves power at every load (affinity law) and costs it
    at the minimum speed.
    """
    table = FAN_CURVES if kind == "fan" else PUMP_CURVES
    share = units / (units + redundant)
    x = np.maximum(flow_ratio * share, min_flow)
    return p_design / share * cubic(table[curve], x)


@dataclass(frozen=True)
class ChillerCurve:
    """An EnergyPlus ``Chiller:Electric:EIR`` record (temperatures °C)."""

    label: str
    cop_ref: float
    t_chw_ref: float
    t_cw_ref: float
    capft: tuple[float, float, float, float, float, float]
    eirft: tuple[float, float, float, float, float, float]
    eirfplr: tuple[float, float, float]
    plr_min: float
    plr_min_unload: float
    t_chw_range: tuple[float, float]
    t_cw_range: tuple[float, float]


CHILLERS: dict[str, ChillerCurve] = {
    "mcquay_pfh_2124kw": ChillerCurve(
        "ElectricEIRChiller McQuay PFH 2124kW/6.03COP/Vanes (EnergyPlus Chillers.idf)",
        6.03,
        8.89,
        23.89,
        (1.040134, -1.745650e-02, 1.084856e-03, 6.629328e-03, -8.008991e-04, 1.567769e-03),
        (1.157799, -3.621524e-02, -3.684818e-03, -1.202959e-02, -7.378548e-05, 3.787365e-03),
        (1.051419e-01, 2.033679e-01, 6.902026e-01),
        0.09,
        0.09,
        (5.56, 8.89),
        (12.78, 29.44),
    ),
    "doe2_centrifugal": ChillerCurve(
        "DOE-2 Centrifugal/5.50COP (EnergyPlus Chillers.idf)",
        5.5,
        6.67,
        29.4,
        (0.257896, 0.389016e-01, -0.217080e-03, 0.468684e-01, -0.942840e-03, -0.343440e-03),
        (0.933884, -0.582120e-01, 0.450036e-02, 0.243000e-02, 0.486000e-03, -0.121500e-02),
        (0.222903, 0.313387, 0.463710),
        0.1,
        0.2,
        (5.0, 10.0),
        (24.0, 35.0),
    ),
}
"""Chiller records: a centrifugal chiller with inlet vanes whose data reach 12.8 °C condenser water
(the default), and the DOE-2 default centrifugal chiller (the legacy plant)."""


def biquadratic(c: tuple[float, ...], x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """EnergyPlus biquadratic ``c0 + c1 x + c2 x² + c3 y + c4 y² + c5 x y``."""
    return c[0] + x * (c[1] + c[2] * x) + y * (c[3] + c[4] * y) + c[5] * x * y


def chiller_power(
    q_kw: np.ndarray,
    q_ref_kw: np.ndarray,
    count: np.ndarray,
    t_chw: np.ndarray,
    t_cw: np.ndarray,
    chiller: ChillerCurve,
) -> dict[str, np.ndarray]:
    """Electric power of a staged plant of identical ``Chiller:Electric:EIR`` chillers, kW.

    Parameters
    ----------
    q_kw : array_like
        Cooling asked of the plant, kW (≤ 0: off).
    q_ref_kw : array_like
        Reference capacity of one chiller, kW.
    count : array_like
        Chillers installed (duty units).
    t_chw, t_cw : array_like
        Leaving chilled-water and entering condenser-water temperature, °C.
    chiller : ChillerCurve
        The performance record.

    Returns
    -------
    dict
        ``power`` (kW), ``cop`` (q / power where running, +inf where off), ``running`` (number
        of chillers on), ``plr`` (their part-load ratio) and ``short`` (load above the plant's
        available capacity; the plant delivers what it can at its maximum part-load ratio 1).

    Notes
    -----
    EnergyPlus ``Chiller:Electric:EIR``: ``Q_avail = Q_ref CAPFT(T_chw, T_cw)``,
    ``PLR = Q/(n Q_avail)``, ``P = n Q_avail EIRFT EIRFPLR(max(PLR, PLR_unl)) / COP_ref`` times
    the cycling ratio ``min(PLR/PLR_min, 1)``. Chillers are staged on: ``n = ⌈Q/Q_avail⌉``.
    Temperatures are clipped to the record's data range.
    """
    x = np.clip(t_chw, *chiller.t_chw_range)
    y = np.clip(t_cw, *chiller.t_cw_range)
    q_avail = q_ref_kw * biquadratic(chiller.capft, x, y)
    q = np.maximum(q_kw, 0.0)
    n = np.clip(np.ceil(q / q_avail - 1e-9), 0.0, count)
    short = q > count * q_avail * (1.0 + 1e-9)
    plr = np.where(n > 0, np.minimum(q / np.maximum(n * q_avail, 1e-12), 1.0), 0.0)
    eir = biquadratic(chiller.eirft, x, y) * cubic(chiller.eirfplr, np.maximum(plr, chiller.plr_min_unload))
    cycling = np.minimum(plr / chiller.plr_min, 1.0)
    power = n * q_avail * eir / chiller.cop_ref * cycling
    with np.errstate(divide="ignore", invalid="ignore"):
        cop = np.where(power > 0, np.minimum(q, n * q_avail) / power, np.inf)
    return {"power": power, "cop": cop, "running": n, "plr": plr, "short": short}


YORKCALC = np.array(
    [
        # for each liquid-to-gas power (LG⁰, LG¹, LG²): rows range⁰…², columns wet bulb⁰…²
        [
            [-0.359741205, -0.055053608, 0.0023850432],
            [0.173926877, -0.0248473764, 0.00048430224],
            [-0.005589849456, 0.0005770079712, -0.00001342427256],
        ],
        [
            [2.84765801111111, -0.121765149, 0.0014599242],
            [1.680428651, -0.0166920786, -0.0007190532],
            [-0.025485194448, 0.0000487491696, 0.00002719234152],
        ],
        [
            [-0.0653766255555556, -0.002278167, 0.0002500254],
            [-0.0910565458, 0.00318176316, 0.000038621772],
            [-0.0034285382352, 0.00000856589904, -0.000001516821552],
        ],
    ]
)
"""YorkCalc approach coefficients ``c[lg, range, wb]`` (EnergyPlus Engineering Reference)."""


class _YorkCalcBounds(TypedDict):
    t_wb: tuple[float, float]
    range: tuple[float, float]
    lg_max: float


YORKCALC_BOUNDS: _YorkCalcBounds = {"t_wb": (-34.4, 26.7), "range": (1.1, 22.2), "lg_max": 8.0}
"""Validity of the YorkCalc correlation (°C, K, liquid-to-gas ratio)."""


def york_wet_bulb_terms(t_wb: np.ndarray) -> np.ndarray:
    """The wet-bulb part of YorkCalc: ``W[k, j] = c[k, j, 0] + wb (c[k, j, 1] + wb c[k, j, 2])``.

    Shape ``(3, 3, *shape of t_wb)``; the wet bulb clipped to the correlation's bounds. It
    depends on the weather only, so a tower computes it once per hour for all its loads.
    """
    wb = np.clip(t_wb, *YORKCALC_BOUNDS["t_wb"])
    out = np.empty((3, 3, *np.shape(wb)))
    for k, c in enumerate(YORKCALC):
        for j in range(3):
            w = out[k, j, ...]  # c0 + wb (c1 + wb c2), in place (a view also for a scalar wet bulb)
            np.multiply(wb, c[j, 2], out=w)
            w += c[j, 1]
            w *= wb
            w += c[j, 0]
    return out


def york_lg_coeffs(wb_terms: np.ndarray, t_range: np.ndarray) -> list[np.ndarray]:
    """Approach = a0 + a1 LG + a2 LG²: the coefficients at the wet bulb of ``wb_terms``
    (:func:`york_wet_bulb_terms`) and this range."""
    r = np.clip(t_range, *YORKCALC_BOUNDS["range"])
    return [rows[0] + r * (rows[1] + r * rows[2]) for rows in wb_terms]


def tower_approach(t_wb: np.ndarray, t_range: np.ndarray, lg: np.ndarray) -> np.ndarray:
    """YorkCalc approach temperature, K, at wet bulb (°C), range (K) and liquid-to-gas ratio."""
    return lg_approach(york_lg_coeffs(york_wet_bulb_terms(t_wb), t_range), lg)


def lg_approach(coeffs: list[np.ndarray], lg: np.ndarray) -> np.ndarray:
    """YorkCalc approach, K, at the liquid-to-gas ratio ``lg`` (at most its bound) with the
    coefficients of :func:`york_lg_coeffs`."""
    a0, a1, a2 = coeffs
    g = np.minimum(lg, YORKCALC_BOUNDS["lg_max"])
    return a0 + g * (a1 + g * a2)


def tower_air_flow_ratio(
    t_wb: np.ndarray,
    t_range: np.ndarray,
    approach_wanted: np.ndarray,
    lg_design: np.ndarray | float,
    min_ratio: np.ndarray | float,
    wb_terms: np.ndarray | None = None,
    coeffs: list[np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Fan air-flow ratio that gives ``approach_wanted``, and the approach reached, K.

    The approach grows with the liquid-to-gas ratio ``LG = LG_d / air ratio``; with the
    approach quadratic in LG, the ratio follows from the quadratic's root, clipped to
    ``[min_ratio, 1]`` (a colder request runs the fans at full speed; a warmer one at the
    minimum, with the water colder than asked). ``wb_terms``: :func:`york_wet_bulb_terms` of
    ``t_wb``, when the caller has them; ``coeffs``: :func:`york_lg_coeffs` of them and ``t_range``.
    """
    if coeffs is None:
        coeffs = york_lg_coeffs(york_wet_bulb_terms(t_wb) if wb_terms is None else wb_terms, t_range)
    a0, a1, a2 = coeffs
    lo = lg_design
    hi = np.minimum(np.divide(lg_design, min_ratio), YORKCALC_BOUNDS["lg_max"])
    root = _root_in(a0 - approach_wanted, a1, a2, lo, hi)
    app_lo = a0 + lo * (a1 + lo * a2)  # full air flow
    app_hi = a0 + hi * (a1 + hi * a2)  # minimum air flow
    lg = np.where(
        approach_wanted <= app_lo,
        lo,
        np.where(approach_wanted >= app_hi, hi, np.clip(np.where(np.isnan(root), lo, root), lo, hi)),
    )
    return lg_design / lg, lg_approach(coeffs, lg)


def _root_in(c: np.ndarray, b: np.ndarray, a: np.ndarray, lo: np.ndarray | float, hi: np.ndarray | float) -> np.ndarray:
    """The root of ``a x² + b x + c`` within [lo, hi] (else the other root; NaN if none is real)."""
    disc = b * b - 4.0 * a * c
    sq = np.sqrt(np.where(disc >= 0.0, disc, np.nan))
    with np.errstate(divide="ignore", invalid="ignore"):
        r1, r2 = (-b + sq) / (2.0 * a), (-b - sq) / (2.0 * a)
    return np.where((r1 >= lo) & (r1 <= hi), r1, r2)


def york_design_lg(t_wb: np.ndarray | float, t_range: np.ndarray | float, approach: np.ndarray | float) -> np.ndarray:
    """The liquid-to-gas ratio at which YorkCalc gives the design approach at full air flow
    (EnergyPlus scales a tower to its design point the same way); ValueError if none does."""
    a0, a1, a2 = york_lg_coeffs(york_wet_bulb_terms(np.asarray(t_wb, dtype=float)), np.asarray(t_range, dtype=float))
    lg = _root_in(a0 - approach, a1, a2, 0.0, YORKCALC_BOUNDS["lg_max"])
    if np.any(~np.isfinite(lg) | (lg <= 0.0) | (lg > YORKCALC_BOUNDS["lg_max"])):
        raise ValueError(
            f"no tower reaches a {np.max(approach):g} K approach at {np.max(t_wb):g} °C wet bulb "
            f"and {np.max(t_range):g} K range within the YorkCalc data (liquid-to-gas ratio ≤ 8)"
        )
    return lg
