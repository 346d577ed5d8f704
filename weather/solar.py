"""NREL's solar position algorithm (SPA) on a regular time axis, its periodic series summed fast.

:func:`spa_regular` returns what ``pvlib.solarposition.spa_python`` returns (same algorithm,
same coefficients, same defaults) for times ``t0 + k·step``, ``k = 0 … n−1``. Nearly all of
pvlib's cost is in SPA's periodic series — the Earth's heliocentric longitude, latitude and
radius (VSOP87 terms ``A cos(B + C τ)``, 195 of them) and the nutation (63 terms) — evaluated
at every instant. On a regular axis the instant is ``τ = τ_d + δ_h`` with ``k = d·m + h``
(``m`` instants per block), so by the angle-addition theorem

    Σ_i A_i cos(B_i + C_i τ_d + C_i δ_h) = Σ_i [A_i cos(B_i + C_i τ_d)] cos(C_i δ_h)
                                          − Σ_i [A_i sin(B_i + C_i τ_d)] sin(C_i δ_h),

two matrix products of (blocks × terms) and (terms × m) tables: about (n/m + m) cosines per
term instead of n. Every other step of SPA (time scales, geocentric and topocentric
coordinates, parallax, refraction) is pvlib's own function (``pvlib.spa``) on the full axis.

The VSOP87 series are exact under this splitting (their arguments are linear in time). The
nutation arguments are cubic in time: the hour part uses the arguments' rate at the middle of
the axis, which leaves an error of ``½ |X''| δ_h Δτ`` ≲ 1e-7° in an argument of the 17″
nutation, i.e. about 1e-11° in the sun's longitude, eight orders of magnitude below SPA's
published uncertainty of ±0.0003° (Reda2004); the tests
hold zenith and azimuth to within 1e-8° of pvlib on a year at several places.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["periodic_sum", "spa_regular"]

_BLOCK = 96
"""Instants per block of the split (about √n for a year of hours: fewest cosines)."""


def periodic_sum(table: np.ndarray, t0: float, step: float, n: int, block: int = _BLOCK) -> np.ndarray:
    """``Σ_i A_i cos(B_i + C_i (t0 + k·step))`` for ``k = 0 … n−1``.

    Parameters
    ----------
    table : numpy.ndarray, shape (terms, 3)
        Rows ``(A, B, C)``.
    t0, step : float
        First argument and its increment (e.g. Julian ephemeris millennia).
    n : int
        Number of instants.
    block : int
        Instants per block of the angle-addition split.

    Returns
    -------
    numpy.ndarray, shape (n,)
    """
    a, b, c = (np.asarray(table, dtype=float)[:, j] for j in range(3))
    blocks = -(-n // block)
    start = b + c * (t0 + step * block * np.arange(blocks))[:, None]  # (blocks, terms)
    offset = c * (step * np.arange(block))[:, None]  # (block, terms)
    out = _products(a * np.cos(start), np.cos(offset)) - _products(a * np.sin(start), np.sin(offset))
    return out.reshape(-1)[:n]


def _products(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """``p @ q.T`` for small tables, in this thread (a threaded BLAS costs more than it saves here)."""
    return np.einsum("bt,ht->bh", p, q, optimize=False)


def _series(tables: list[np.ndarray], jme0: float, step: float, n: int, jme: np.ndarray) -> np.ndarray:
    """``Σ_p S_p τ^p / 1e8`` with ``S_p`` the periodic sum of table ``p`` (VSOP87, τ = jme)."""
    total = np.zeros(n)
    for power, table in enumerate(tables):
        total = total + periodic_sum(table, jme0, step, n) * jme**power
    return total / 10**8


def _nutation(spa, jce: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Nutation in longitude and obliquity, degrees (SPA's 63-term series), split by blocks."""
    n = jce.size
    args = (
        spa.mean_elongation,
        spa.mean_anomaly_sun,
        spa.mean_anomaly_moon,
        spa.moon_argument_latitude,
        spa.moon_ascending_longitude,
    )
    y = np.asarray(spa.NUTATION_YTERM_ARRAY, dtype=float)  # (63, 5)
    abcd = np.asarray(spa.NUTATION_ABCD_ARRAY, dtype=float)  # (63, 4)
    blocks = -(-n // _BLOCK)
    first = np.arange(blocks) * _BLOCK
    # Argument of each term at each block's first instant (exact), and its rate at mid-axis.
    x_start = np.stack([f(jce[first]) for f in args], axis=1)  # (blocks, 5), degrees
    mid = jce[n // 2]
    h = 1e-3
    rate = np.array([(f(mid + h) - f(mid - h)) / (2 * h) for f in args])  # degrees per century
    dt = (jce[1] - jce[0]) if n > 1 else 0.0
    start = np.radians(_products(x_start, y))  # (blocks, 63)
    offset = np.radians((dt * np.arange(_BLOCK))[:, None] * _products(rate[None, :], y))  # (block, 63)
    sin_s, cos_s, sin_o, cos_o = np.sin(start), np.cos(start), np.sin(offset), np.cos(offset)
    # sin(s + o) and cos(s + o), each weighted by a + b·jce (or c + d·jce) per term.
    jce_b = jce.reshape(-1) if n % _BLOCK == 0 else np.concatenate([jce, np.full(blocks * _BLOCK - n, jce[-1])])
    jce_b = jce_b.reshape(blocks, _BLOCK)

    def weighted(const: np.ndarray, slope: np.ndarray, kind: str) -> np.ndarray:
        # Σ_r (const_r + slope_r·jce) f(s_r + o_r), f = sin or cos, by the angle-addition theorem.
        parts = []
        for w in (const, slope):
            if kind == "sin":
                parts.append(_products(sin_s * w, cos_o) + _products(cos_s * w, sin_o))
            else:
                parts.append(_products(cos_s * w, cos_o) - _products(sin_s * w, sin_o))
        return (parts[0] + parts[1] * jce_b).reshape(-1)[:n]

    delta_psi = weighted(abcd[:, 0], abcd[:, 1], "sin") / 36000000
    delta_eps = weighted(abcd[:, 2], abcd[:, 3], "cos") / 36000000
    return delta_psi, delta_eps


def spa_regular(
    time: pd.DatetimeIndex,
    latitude: float,
    longitude: float,
    altitude: float = 0.0,
    pressure: float = 101325.0,
    temperature: float = 12.0,
    delta_t: float = 67.0,
    atmos_refract: float = 0.5667,
) -> pd.DataFrame:
    """Solar position at regularly spaced instants, as ``pvlib.solarposition.spa_python``.

    Parameters
    ----------
    time : pandas.DatetimeIndex
        Regularly spaced instants (UTC, or tz-aware), at least two.
    latitude, longitude : float
        Degrees north / east.
    altitude : float
        Metres above sea level.
    pressure : float
        Pa (refraction).
    temperature : float
        °C (refraction).
    delta_t : float
        TT − UT1, s.
    atmos_refract : float
        Refraction at sunrise and sunset, degrees.

    Returns
    -------
    pandas.DataFrame
        ``apparent_zenith``, ``zenith``, ``apparent_elevation``, ``elevation``, ``azimuth``
        (degrees) and ``equation_of_time`` (minutes) on ``time``.

    Raises
    ------
    ValueError
        ``time`` is not regularly spaced.

    Notes
    -----
    Module notes: the algorithm of Reda & Andreas (2004) with the periodic series summed by
    angle addition over blocks of instants.
    """
    from pvlib import spa

    stamps = time.tz_convert("UTC") if time.tz is not None else time
    unixtime = np.asarray(stamps.as_unit("ns").asi8, dtype=np.int64) / 1e9
    n = unixtime.size
    steps = np.diff(unixtime)
    if n < 2 or np.any(steps != steps[0]) or steps[0] <= 0:
        raise ValueError("spa_regular needs at least two regularly spaced, increasing instants")
    jd = spa.julian_day(unixtime)
    jde = spa.julian_ephemeris_day(jd, delta_t)
    jc = spa.julian_century(jd)
    jce = spa.julian_ephemeris_century(jde)
    jme = spa.julian_ephemeris_millennium(jce)
    jme0 = float(jme[0])
    step = float(steps[0]) / 86400.0 / 365250.0  # millennia per step
    r = _series([spa.R0, spa.R1, spa.R2, spa.R3, spa.R4], jme0, step, n, jme)
    l_deg = np.rad2deg(_series([spa.L0, spa.L1, spa.L2, spa.L3, spa.L4, spa.L5], jme0, step, n, jme)) % 360
    b_deg = np.rad2deg(_series([spa.B0, spa.B1], jme0, step, n, jme))
    theta = spa.geocentric_longitude(l_deg)
    beta = spa.geocentric_latitude(b_deg)
    delta_psi, delta_epsilon = _nutation(spa, jce)
    epsilon = spa.true_ecliptic_obliquity(spa.mean_ecliptic_obliquity(jme), delta_epsilon)
    lamd = spa.apparent_sun_longitude(theta, delta_psi, spa.aberration_correction(r))
    v = spa.apparent_sidereal_time(spa.mean_sidereal_time(jd, jc), delta_psi, epsilon)
    alpha = spa.geocentric_sun_right_ascension(lamd, epsilon, beta)
    delta = spa.geocentric_sun_declination(lamd, epsilon, beta)
    eot = spa.equation_of_time(spa.sun_mean_longitude(jme), alpha, delta_psi, epsilon)
    hour_angle = spa.local_hour_angle(v, longitude, alpha)
    xi = spa.equatorial_horizontal_parallax(r)
    u = spa.uterm(latitude)
    x = spa.xterm(u, latitude, altitude)
    y = spa.yterm(u, latitude, altitude)
    delta_alpha = spa.parallax_sun_right_ascension(x, xi, hour_angle, delta)
    delta_prime = spa.topocentric_sun_declination(delta, x, y, xi, delta_alpha, hour_angle)
    h_prime = spa.topocentric_local_hour_angle(hour_angle, delta_alpha)
    e0 = spa.topocentric_elevation_angle_without_atmosphere(latitude, delta_prime, h_prime)
    delta_e = spa.atmospheric_refraction_correction(pressure / 100, temperature, e0, atmos_refract)
    e = spa.topocentric_elevation_angle(e0, delta_e)
    gamma = spa.topocentric_astronomers_azimuth(h_prime, delta_prime, latitude)
    return pd.DataFrame(
        {
            "apparent_zenith": spa.topocentric_zenith_angle(e),
            "zenith": spa.topocentric_zenith_angle(e0),
            "apparent_elevation": e,
            "elevation": e0,
            "azimuth": spa.topocentric_azimuth_angle(gamma),
            "equation_of_time": eot,
        },
        index=time,
    )
