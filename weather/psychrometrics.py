"""Vectorised moist-air properties at any barometric pressure.

All functions take scalars or numpy arrays (they broadcast), return numpy arrays or
floats, and let NaN pass through. Units, one per quantity across the project:

=================  ========================================
quantity           unit
=================  ========================================
temperature        °C (``t_db`` dry bulb, ``t_dp`` dew point, ``t_wb`` wet bulb)
relative humidity  % (0–100)
pressure           Pa (``p_air``, barometric)
humidity ratio     kg water vapour / kg dry air (``w``)
enthalpy           kJ / kg dry air (``h``)
density            kg / m³ of moist air
=================  ========================================

Notes
-----
The formulation follows ASHRAE Handbook—Fundamentals (2017), chapter 1:

* saturation pressure over ice (t < 0 °C) and over liquid water (t ≥ 0 °C), eqs. (5) and (6)
  (Hyland & Wexler 1983);
* the water-vapour enhancement factor ``f(t, p)`` of Greenspan (1976) with the ITS-90
  coefficients of Hardy (1998), so that the mole fraction of vapour at saturation is
  ``x_ws = f · p_ws / p``; this is what makes the results agree with the real-gas
  formulation of CoolProp's ``HAPropsSI`` (ASHRAE RP-1485) to better than 0.1 g/kg;
* relative humidity as the ratio of vapour mole fraction to its value at saturation at the
  same temperature and pressure (the RP-1485 / CoolProp definition; over ice below 0 °C);
* humidity ratio ``w = 0.621945 · x_w / (1 − x_w)``, eq. (20);
* enthalpy ``h = 1.006 t + w (2501 + 1.86 t)``, eq. (32);
* thermodynamic wet bulb from the adiabatic-saturation balance, eqs. (33) and (35), solved by
  Newton iteration on all elements at once (no per-element Python loop);
* moist-air density from the ideal-gas law with the molar masses of eq. (28);
* the standard atmosphere for pressure at altitude, eq. (3).

References
----------
ASHRAE (2017) Handbook—Fundamentals, SI edition, chapter 1 "Psychrometrics".
Hardy, B. (1998) ITS-90 formulations for vapor pressure, frostpoint temperature, dewpoint
temperature, and enhancement factors in the range −100 to +100 °C. Proc. 3rd Int. Symp. on
Humidity and Moisture, Teddington.
Greenspan, L. (1976) Functional equations for the enhancement factors for CO2-free moist air.
J. Res. NBS 80A, 41–44.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

__all__ = [
    "P_STANDARD",
    "dew_point",
    "dew_point_from_humidity_ratio",
    "enhancement_factor",
    "enthalpy",
    "humidity_ratio",
    "humidity_ratio_from_dew_point",
    "humidity_ratio_saturated",
    "moist_air_density",
    "pressure_from_elevation",
    "relative_humidity_from_dew_point",
    "saturated_mole_fraction",
    "saturation_terms",
    "saturation_vapor_pressure",
    "vapor_mole_fraction",
    "wet_bulb",
]

P_STANDARD = 101_325.0
"""Standard sea-level pressure, Pa."""

_T0 = 273.15
_EPS = 0.621945  # ratio of molar masses water / dry air, ASHRAE eq. (22)
_WB_ITER = 9  # Illinois steps for the wet bulb; converged to < 1e-6 K (tests/weather)
_R_DA = 287.042  # J/(kg K), gas constant of dry air, ASHRAE 2017 ch. 1

# Hyland–Wexler coefficients, ASHRAE 2017 ch. 1 eqs. (5) (ice) and (6) (water).
_ICE = (-5.6745359e03, 6.3925247e00, -9.6778430e-03, 6.2215701e-07, 2.0747825e-09, -9.4840240e-13, 4.1635019e00)
_WATER = (-5.8002206e03, 1.3914993e00, -4.8640239e-02, 4.1764768e-05, -1.4452093e-08, 0.0, 6.5459673e00)

# Greenspan (1976) enhancement-factor form with Hardy (1998) ITS-90 coefficients, T in K.
_F_WATER_A = (-1.6302041e-1, 1.8071570e-3, -6.7703064e-6, 8.5813609e-9)
_F_WATER_B = (-5.9890467e1, 3.4378043e-1, -7.7326396e-4, 6.3405286e-7)
_F_ICE_A = (-6.0190570e-2, 7.3984060e-4, -3.0897838e-6, 4.3669918e-9)
_F_ICE_B = (-9.4868712e1, 7.2392075e-1, -2.1963437e-3, 2.4668279e-6)


def _asfloat(x: ArrayLike) -> np.ndarray:
    return np.asarray(x, dtype=float)


def _hw_ln(
    T: np.ndarray, c: tuple[float, ...], ln_T: np.ndarray, T2: np.ndarray | None = None, T3: np.ndarray | None = None
) -> np.ndarray:
    """``ln p_ws`` of eq. (5) or (6) at T (K), given ``ln T`` (and ``T2`` = T·T, ``T3`` = T2·T if
    computed already); a zero coefficient's term is skipped (it adds 0)."""
    T2 = T * T if T2 is None else T2
    out = c[0] / T
    out += c[1]
    out += c[2] * T
    out += c[3] * T2
    out += c[4] * (T2 * T if T3 is None else T3)  # products, not ``**``: numpy's float power calls pow() per element
    if c[5]:
        out += c[5] * (T2 * T2)
    out += c[6] * ln_T
    return out


def _hw_dln(T: np.ndarray, c: tuple[float, ...]) -> np.ndarray:
    T2 = T * T
    return -c[0] / T2 + c[2] + 2 * c[3] * T + 3 * c[4] * T2 + 4 * c[5] * (T2 * T) + c[6] / T


def saturation_vapor_pressure(t: ArrayLike, over_ice: bool = True) -> np.ndarray:
    """Saturation pressure of water vapour.

    Parameters
    ----------
    t : array_like
        Temperature, °C (valid −100…200 °C).
    over_ice : bool, default True
        Below 0 °C, saturation over ice (the meteorological and CoolProp convention);
        ``False`` uses supercooled liquid water at all temperatures.

    Returns
    -------
    numpy.ndarray
        Saturation pressure p_ws, Pa.

    Notes
    -----
    Hyland & Wexler (1983) as given in ASHRAE Fundamentals (2017) ch. 1 eqs. (5)–(6); the ice
    formula is evaluated only where t < 0 °C.
    """
    t = _asfloat(t)
    T = t + _T0
    T2 = T * T
    return _pws(T, T2, T2 * T, t < 0.0 if over_ice else None)


def _pws(T: np.ndarray, T2: np.ndarray, T3: np.ndarray, ice: np.ndarray | None) -> np.ndarray:
    """:func:`saturation_vapor_pressure` at T (K), given T·T, T²·T and where it is over ice (None: nowhere)."""
    ln_T = np.log(T)
    ln = _hw_ln(T, _WATER, ln_T, T2, T3)
    if ice is not None:
        if ln.ndim == 0 or ice.all():
            ln = np.where(ice, _hw_ln(T, _ICE, ln_T, T2, T3), ln)
        elif ice.any():
            ln[ice] = _hw_ln(T[ice], _ICE, ln_T[ice])
    return np.exp(ln, out=ln) if ln.ndim else np.exp(ln)


def _dln_pws_dT(t: np.ndarray) -> np.ndarray:
    T = t + _T0
    return np.where(t < 0.0, _hw_dln(T, _ICE), _hw_dln(T, _WATER))


def enhancement_factor(t: ArrayLike, p_air: ArrayLike) -> np.ndarray:
    """Water-vapour enhancement factor f(t, p) of moist air (dimensionless, ≈ 1.002–1.006).

    Parameters
    ----------
    t : array_like
        Temperature, °C (−100…100 °C); over ice below 0 °C.
    p_air : array_like
        Barometric pressure, Pa.

    Returns
    -------
    numpy.ndarray
        ``f`` such that the vapour mole fraction at saturation is ``f · p_ws / p``.

    Notes
    -----
    ``ln f = α (1 − p_ws/p) + β (p/p_ws − 1)`` with ``α = Σ A_i T^i`` and
    ``β = exp(Σ B_i T^i)`` (Greenspan 1976), coefficients from Hardy (1998).
    """
    t = _asfloat(t)
    es = saturation_vapor_pressure(t)
    alpha, ln_beta = _enhancement_coefficients(t)
    return _enhancement(es, alpha, np.exp(ln_beta), _asfloat(p_air))


def _enhancement_coefficients(t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """α and ln β of the enhancement factor at t °C (over ice below 0 °C)."""
    T = t + _T0
    T2 = T * T
    return _coefficients(T, T2, T2 * T, t < 0.0)


def _coefficients(T: np.ndarray, T2: np.ndarray, T3: np.ndarray, ice: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_enhancement_coefficients` at T (K), given T·T, T²·T and where it is over ice."""
    alpha = _cubic(_F_WATER_A, T, T2, T3)
    ln_beta = _cubic(_F_WATER_B, T, T2, T3)
    if alpha.ndim == 0 or ice.all():
        alpha = np.where(ice, _cubic(_F_ICE_A, T, T2, T3), alpha)
        ln_beta = np.where(ice, _cubic(_F_ICE_B, T, T2, T3), ln_beta)
    elif ice.any():  # the ice coefficients only where t < 0 °C
        Ti, T2i, T3i = T[ice], T2[ice], T3[ice]
        alpha[ice] = _cubic(_F_ICE_A, Ti, T2i, T3i)
        ln_beta[ice] = _cubic(_F_ICE_B, Ti, T2i, T3i)
    return alpha, ln_beta


def _enhancement(es: np.ndarray, alpha: np.ndarray, beta: np.ndarray, p: np.ndarray) -> np.ndarray:
    """``exp(α (1 − p_ws/p) + β (p/p_ws − 1))`` (a new array, computed in place of its temporaries)."""
    a = es / p
    if np.ndim(a) == 0:
        return np.exp(alpha * (1.0 - a) + beta * (p / es - 1.0))
    np.subtract(1.0, a, out=a)
    a *= alpha
    b = p / es
    b -= 1.0
    b *= beta
    a += b
    return np.exp(a, out=a)


def saturation_terms(t: ArrayLike) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """What saturation at ``t`` °C takes from the temperature alone, for :func:`saturated_mole_fraction`.

    Returns the saturation pressure p_ws (Pa) and the enhancement factor's α and β
    (:func:`enhancement_factor`), each of the shape of ``t``: evaluated once for temperatures that
    meet many pressures (a setpoint, an envelope's dew points against the hourly pressure).
    """
    t = _asfloat(t)
    T = t + _T0  # T, its powers and the ice mask serve both (the same values each computes)
    T2 = T * T
    T3 = T2 * T
    ice = t < 0.0
    alpha, ln_beta = _coefficients(T, T2, T3, ice)
    return _pws(T, T2, T3, ice), alpha, np.exp(ln_beta)


def saturated_mole_fraction(terms: tuple[np.ndarray, np.ndarray, np.ndarray], p_air: ArrayLike) -> np.ndarray:
    """Mole fraction of water vapour at saturation, ``f · p_ws / p``, from :func:`saturation_terms`
    and the pressure (Pa): :func:`vapor_mole_fraction` at 100 %, bit for bit."""
    return _x_of(terms, _asfloat(p_air), None)


def _x_of(terms: tuple[np.ndarray, np.ndarray, np.ndarray], p: np.ndarray, share: np.ndarray | None) -> np.ndarray:
    """``share · (f · p_ws) / p`` (``share`` = RH/100; None: 1)."""
    es, alpha, beta = terms
    x = _enhancement(es, alpha, beta, p)
    if np.ndim(x) == 0:
        x = x * es
        return x / p if share is None else share * x / p
    x *= es
    if share is not None:
        if np.shape(share) != np.broadcast_shapes(np.shape(share), x.shape):
            x = share * x
        else:
            x *= share
    if x.shape != np.broadcast_shapes(x.shape, np.shape(p)):
        return x / p
    x /= p
    return x


def _cubic(c: tuple[float, ...], T: np.ndarray, T2: np.ndarray, T3: np.ndarray) -> np.ndarray:
    return c[0] + c[1] * T + c[2] * T2 + c[3] * T3


def pressure_from_elevation(elevation: ArrayLike) -> np.ndarray:
    """Barometric pressure of the standard atmosphere at an elevation.

    Parameters
    ----------
    elevation : array_like
        Height above sea level, m (valid −500…11 000 m).

    Returns
    -------
    numpy.ndarray
        Pressure, Pa.

    Notes
    -----
    ``p = 101325 (1 − 2.25577e−5 z)^5.2559``, ASHRAE Fundamentals (2017) ch. 1 eq. (3).
    Qingyang (1421 m) gives 85.4 kPa.
    """
    z = _asfloat(elevation)
    return P_STANDARD * (1.0 - 2.25577e-5 * z) ** 5.2559


def vapor_mole_fraction(t_db: ArrayLike, rh: ArrayLike, p_air: ArrayLike) -> np.ndarray:
    """Mole fraction of water vapour x_w (dimensionless) from dry bulb °C, RH % and pressure Pa."""
    share = _asfloat(rh) / 100.0
    return _x_of(saturation_terms(t_db), _asfloat(p_air), None if share.ndim == 0 and share == 1.0 else share)


def _f_pws(t: np.ndarray, p: np.ndarray) -> np.ndarray:
    """f(t, p) · p_ws(t), Pa: the vapour partial pressure at saturation in moist air."""
    es, alpha, beta = saturation_terms(t)
    return _enhancement(es, alpha, beta, p) * es


def _w_from_x(x: np.ndarray) -> np.ndarray:
    return _EPS * x / (1.0 - x)


def _x_from_w(w: np.ndarray) -> np.ndarray:
    return w / (_EPS + w)


def humidity_ratio(t_db: ArrayLike, rh: ArrayLike, p_air: ArrayLike) -> np.ndarray:
    """Humidity ratio of moist air.

    Parameters
    ----------
    t_db : array_like
        Dry-bulb temperature, °C.
    rh : array_like
        Relative humidity, % (0–100; over ice below 0 °C).
    p_air : array_like
        Barometric pressure, Pa.

    Returns
    -------
    numpy.ndarray
        Humidity ratio w, kg/kg dry air.

    Notes
    -----
    ``w = 0.621945 x_w / (1 − x_w)``, ``x_w = RH · f · p_ws / p`` (ASHRAE 2017 ch. 1 eq. 20).
    """
    return _w_from_x(vapor_mole_fraction(t_db, rh, p_air))


def humidity_ratio_saturated(t: ArrayLike, p_air: ArrayLike) -> np.ndarray:
    """Humidity ratio at saturation, kg/kg, at temperature °C and pressure Pa."""
    return humidity_ratio(t, 100.0, p_air)


def humidity_ratio_from_dew_point(t_dp: ArrayLike, p_air: ArrayLike) -> np.ndarray:
    """Humidity ratio, kg/kg, of air whose dew (frost) point is ``t_dp`` °C at pressure Pa."""
    return humidity_ratio_saturated(t_dp, p_air)


def relative_humidity_from_dew_point(t_db: ArrayLike, t_dp: ArrayLike, p_air: ArrayLike) -> np.ndarray:
    """Relative humidity, %, from dry bulb and dew point (°C) at pressure Pa.

    Notes
    -----
    ``RH = x_w(t_dp, saturated) / x_ws(t_db)``; a dew point above the dry bulb gives RH > 100 %,
    which callers should treat as supersaturated input (it is not clipped here).
    """
    t = _asfloat(t_db)
    td = _asfloat(t_dp)
    p = _asfloat(p_air)
    return 100.0 * _f_pws(td, p) / _f_pws(t, p)


def _dew_point_from_x(x: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Solve f(td,p)·p_ws(td) = x·p for td by Newton iteration on ln p_ws (all elements at once)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        target = np.log(x * p)
        # First guess from the Magnus formula over water.
        g = np.log(np.maximum(x * p, 1e-12) / 610.94)
        td = 243.04 * g / (17.625 - g)
        for _ in range(4):  # quadratic convergence: 4 steps agree with 6 to 2e-11 K over −60…60 °C
            resid = np.log(_f_pws(td, p)) - target
            td = td - resid / _dln_pws_dT(td)
    return np.where(x > 0, td, np.nan)


def dew_point(t_db: ArrayLike, rh: ArrayLike, p_air: ArrayLike) -> np.ndarray:
    """Dew point (frost point below 0 °C), °C, from dry bulb °C, RH % and pressure Pa.

    Notes
    -----
    Inverts ``f(t_dp, p) · p_ws(t_dp) = x_w · p`` by Newton iteration from the Magnus
    formula (4 steps, converged to < 1e-10 K over −60…60 °C). Zero humidity gives NaN.
    """
    t, rh_, p = np.broadcast_arrays(_asfloat(t_db), _asfloat(rh), _asfloat(p_air))
    return _dew_point_from_x(vapor_mole_fraction(t, rh_, p), p)


def dew_point_from_humidity_ratio(w: ArrayLike, p_air: ArrayLike) -> np.ndarray:
    """Dew point, °C, of air with humidity ratio ``w`` kg/kg at pressure Pa."""
    w_, p = np.broadcast_arrays(_asfloat(w), _asfloat(p_air))
    return _dew_point_from_x(_x_from_w(w_), p)


def enthalpy(t_db: ArrayLike, w: ArrayLike) -> np.ndarray:
    """Specific enthalpy of moist air, kJ per kg dry air.

    Parameters
    ----------
    t_db : array_like
        Dry-bulb temperature, °C.
    w : array_like
        Humidity ratio, kg/kg dry air.

    Notes
    -----
    ``h = 1.006 t + w (2501 + 1.86 t)``, ASHRAE 2017 ch. 1 eq. (32); reference state dry air
    at 0 °C and liquid water at 0 °C, as in CoolProp's ``HAPropsSI('H', ...)`` to ±0.3 kJ/kg.
    """
    t = _asfloat(t_db)
    return 1.006 * t + _asfloat(w) * (2501.0 + 1.86 * t)


def _wet_bulb_residual(tw: np.ndarray, t: np.ndarray, w: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Adiabatic-saturation balance W(tw) − w, ASHRAE 2017 eqs. (33) (water) and (35) (ice)."""
    ws = humidity_ratio_saturated(tw, p)
    water = ((2501.0 - 2.326 * tw) * ws - 1.006 * (t - tw)) / (2501.0 + 1.86 * t - 4.186 * tw)
    ice = ((2830.0 - 0.24 * tw) * ws - 1.006 * (t - tw)) / (2830.0 + 1.86 * t - 2.1 * tw)
    return np.where(tw >= 0.0, water, ice) - w


def wet_bulb(t_db: ArrayLike, rh: ArrayLike, p_air: ArrayLike) -> np.ndarray:
    """Thermodynamic wet-bulb temperature, °C.

    Parameters
    ----------
    t_db : array_like
        Dry-bulb temperature, °C.
    rh : array_like
        Relative humidity, %.
    p_air : array_like
        Barometric pressure, Pa (the site's pressure: altitude lowers the wet bulb).

    Returns
    -------
    numpy.ndarray
        Wet bulb t*, °C, the temperature at which water (ice below 0 °C) evaporating
        adiabatically saturates the air.

    Notes
    -----
    Solves ASHRAE 2017 ch. 1 eq. (33) (eq. (35) over ice) for t* by the Illinois method on
    the bracket [dew point − 1 K, dry bulb], on the whole array at once; converged to < 1e-6 K
    (tests/weather). Agrees with
    CoolProp ``HAPropsSI('Twb', ...)`` within 0.05 K above 0.5 °C (tests/weather).
    """
    t, rh_, p = np.broadcast_arrays(_asfloat(t_db), _asfloat(rh), _asfloat(p_air))
    w = humidity_ratio(t, rh_, p)
    return wet_bulb_from_humidity_ratio(t, w, p)


def wet_bulb_from_humidity_ratio(t_db: ArrayLike, w: ArrayLike, p_air: ArrayLike) -> np.ndarray:
    """Thermodynamic wet bulb, °C, from dry bulb °C, humidity ratio kg/kg and pressure Pa.

    See :func:`wet_bulb` for the method.
    """
    t, w_, p = np.broadcast_arrays(_asfloat(t_db), _asfloat(w), _asfloat(p_air))
    # The wet bulb lies between the dew point and the dry bulb, so [t_dp − 1 K, t] brackets the
    # root (Magnus dew point, no iteration); the Illinois variant of regula falsi keeps the
    # bracket and converges superlinearly, also across the ice/water switch at 0 °C.
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        g = np.log(np.maximum(_x_from_w(w_) * p, 1e-12) / 611.2)
        a = np.minimum(243.04 * g / (17.625 - g), t) - 1.0
        b = t.copy()
        fa = _wet_bulb_residual(a, t, w_, p)
        fb = _wet_bulb_residual(b, t, w_, p)
        for _ in range(_WB_ITER):
            c = b - fb * (b - a) / (fb - fa)
            c = np.where(np.isfinite(c), c, 0.5 * (a + b))
            fc = _wet_bulb_residual(c, t, w_, p)
            same = np.sign(fc) == np.sign(fb)
            # Replace b by c; if c is on b's side, keep a and halve its residual (Illinois).
            a = np.where(same, a, b)
            fa = np.where(same, 0.5 * fa, fb)
            b, fb = c, fc
    return b


def moist_air_density(t_db: ArrayLike, w: ArrayLike, p_air: ArrayLike) -> np.ndarray:
    """Density of moist air, kg of moist air per m³.

    Notes
    -----
    Ideal-gas mixture: ``ρ = p (1 + w) / (R_da T (1 + 1.607858 w))`` with
    R_da = 287.042 J/(kg K) (ASHRAE 2017 ch. 1 eqs. 9 and 28). At 1421 m (Qingyang) air is
    about 16 % less dense than at sea level, so fans move more volume for the same heat.
    """
    t = _asfloat(t_db)
    w_ = _asfloat(w)
    return _asfloat(p_air) * (1.0 + w_) / (_R_DA * (t + _T0) * (1.0 + 1.607858 * w_))
