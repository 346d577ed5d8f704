"""Photovoltaic output with pvlib: PVWatts-style chain, fixed tilt or single-axis tracking.

Power in kW per kW of DC nameplate (a *unit profile*), computed once per site and array
geometry and scaled by each case's capacity — a sweep over PV size costs nothing extra.

Chain (each step a pvlib function): solar position (computed once per site and passed in) →
single-axis tracker angles (``pvlib.tracking.singleaxis``, backtracking) → plane-of-array
irradiance, Perez transposition by component (``pvlib.irradiance.perez``: isotropic,
circumsolar, horizon band) → row-to-row shading of an interior row of a large array
(``pvlib.bifacial.infinite_sheds``: shaded fraction of the row for beam and circumsolar,
the row's view factor to the sky and to the partly shaded ground between rows) →
incidence-angle loss, Fresnel with AR coating (``pvlib.iam.physical``; on diffuse light
integrated by ``pvlib.iam.marion_diffuse``) → cell temperature, SAPM open-rack model
(``pvlib.temperature.sapm_cell``) → DC power: PVWatts linear model
(``pvlib.pvsystem.pvwatts_dc``), or the CEC single-diode model
(``pvlib.pvsystem.calcparams_cec`` + ``max_power_point``), or the Sandia array performance
model with its spectral factor (``pvlib.pvsystem.sapm``), for a module of pvlib's bundled
libraries → system losses → PVWatts inverter with the DC/AC ratio (``pvlib.inverter.pvwatts``)
→ degradation per year of age.

Row-to-row shading is on by default (``row_shading``), as in PVWatts v8, which always
derates the interior rows of fixed racks and trackers: at a ground coverage ratio of 0.35 and
30° tilt an interior row sees 3.3 % less isotropic sky and about half the ground-reflected
light of a lone module. Without it the model was 2.5 % above PVWatts v8 at cloudy Gui'an.
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from twin.core.diskcache import cached
from twin.core.params import Params, param

if TYPE_CHECKING:
    import pandas as pd


__all__ = ["PVParams", "pv_profile", "pv_unit_profile"]


@dataclass(frozen=True)
class PVParams(Params):
    """A PV plant feeding the site."""

    section = "green.pv"

    capacity_mw: float = param(0.0, 0.0, 1e5, units="MW", source="input")
    tracking: bool = param(False)
    tilt_deg: float = param(
        30.0, 0.0, 90.0, units="degree", source="fixed tilt; default ≈ latitude-5° for 35 °N (assumption)"
    )
    azimuth_deg: float | None = param(
        None,
        0.0,
        360.0,
        units="degree",
        source="pvlib convention (180 = south); None: facing the equator (180 north of it, 0 south of it)",
        inherit="facing the equator",
    )
    gcr: float = param(
        0.35, 0.05, 0.9, source="ground coverage ratio of rows and trackers (assumption; PVWatts v8 default 0.3)"
    )
    row_shading: bool = param(
        True,
        source="interior row of a large array: row-to-row beam shading and reduced sky/ground view "
        "(pvlib infinite sheds, Mikofski2019); False = a lone, unshaded row",
    )
    collector_width_m: float = param(
        2.0, 0.3, 10.0, units="m", source="slant width of a row; one 2 m module in portrait (assumption)"
    )
    row_height_m: float = param(1.5, 0.2, 10.0, units="m", source="height of the row centre above ground (assumption)")
    max_angle_deg: float = param(60.0, 10.0, 90.0, units="degree", source="tracker rotation limit")
    gamma_pdc: float = param(-0.0037, -0.01, 0.0, units="K-1", source="PVWatts: v8 standard module")
    dc_ac_ratio: float = param(1.2, 0.5, 2.5, source="PVWatts default")
    inverter_efficiency: float = param(0.96, 0.8, 1.0, source="PVWatts default (nominal)")
    losses_pct: float = param(14.08, 0.0, 50.0, units="%", source="PVWatts default system losses")
    degradation_pct_per_year: float = param(
        0.5, 0.0, 3.0, units="% year-1", source="assumption: crystalline silicon median"
    )
    age_years: float = param(0.0, 0.0, 40.0, units="year", source="year of operation simulated (0 = first)")
    albedo: float = param(0.2, 0.0, 1.0, source="ground reflectance; PVWatts default 0.2")
    profile_csv: str = param(
        "", source="measured hourly output (column 'cf', kW per kW installed) instead of the model"
    )
    module_model: str = param(
        "pvwatts",
        choices=("pvwatts", "cec", "sandia"),
        source="pvwatts: linear DC model; cec: single-diode model of a CEC-library module; "
        "sandia: Sandia array performance model of a Sandia-library module",
    )
    cec_module: str = param(
        "Canadian_Solar_Inc__CS6X_300M", source="a module of pvlib's bundled CEC library (SAM 2019-03-05)"
    )
    sandia_module: str = param("Canadian_Solar_CS6X_300M__2013_", source="a module of pvlib's bundled Sandia library")

    def __post_init__(self) -> None:
        super().__post_init__()
        for kind in ("cec", "sandia"):
            name = getattr(self, f"{kind}_module")
            if self.module_model == kind and name not in module_library(kind).columns:
                from twin.core.params import ConfigError

                near = [m for m in module_library(kind).columns if m.lower().startswith(name[:8].lower())][:5]
                raise ConfigError(
                    f"green.pv.{kind}_module = {name!r} is not in pvlib's {_LIBRARIES[kind]} library"
                    + (f"; similar: {', '.join(near)}" if near else "")
                )


_LIBRARIES = {"cec": "CECMod", "sandia": "SandiaMod"}


@functools.lru_cache(maxsize=2)
def module_library(kind: str) -> pd.DataFrame:
    """pvlib's bundled module library, ``kind`` = ``"cec"`` or ``"sandia"`` (read once)."""
    import pvlib

    return pvlib.pvsystem.retrieve_sam(_LIBRARIES[kind])


def _sandia_dc_per_kw(effective: np.ndarray, t_cell: np.ndarray, airmass_absolute: np.ndarray, name: str) -> np.ndarray:
    """DC power per kW of STC nameplate, Sandia array performance model (King et al. 2004).

    ``effective`` has already lost its incidence-angle reflection; the module's own spectral
    factor f1(AM_a) is applied here.
    """
    import pvlib

    m = module_library("sandia")[name]
    f1 = np.nan_to_num(np.asarray(pvlib.spectrum.spectral_factor_sapm(airmass_absolute, m), dtype=float))
    with np.errstate(invalid="ignore", divide="ignore"):  # log(0) at night
        out = pvlib.pvsystem.sapm(effective * f1, t_cell, m)
    return np.nan_to_num(np.asarray(out["p_mp"], dtype=float)) / (float(m["Impo"]) * float(m["Vmpo"]))


def _cec_dc_per_kw(effective: np.ndarray, t_cell: np.ndarray, name: str) -> np.ndarray:
    """DC power at maximum power point per kW of STC nameplate, single-diode (De Soto/CEC) model."""
    import pvlib

    m = module_library("cec")[name]
    il, i0, rs, rsh, nnsvth = pvlib.pvsystem.calcparams_cec(
        effective,
        t_cell,
        alpha_sc=m["alpha_sc"],
        a_ref=m["a_ref"],
        I_L_ref=m["I_L_ref"],
        I_o_ref=m["I_o_ref"],
        R_sh_ref=m["R_sh_ref"],
        R_s=m["R_s"],
        Adjust=m["Adjust"],
    )
    mpp = pvlib.pvsystem.max_power_point(il, i0, rs, rsh, nnsvth, method="newton")
    return np.nan_to_num(np.asarray(mpp["p_mp"], dtype=float)) / float(m["STC"])


@functools.lru_cache(maxsize=1)
def _diffuse_iam_table() -> tuple[np.ndarray, np.ndarray]:
    """Sky and ground diffuse IAM for tilts 0…90° in whole degrees (the integration is costly:
    kept in the disk cache, :mod:`twin.core.diskcache`, keyed by pvlib's version)."""

    def compute() -> tuple[np.ndarray, np.ndarray]:
        import pvlib

        d = pvlib.iam.marion_diffuse("physical", np.arange(91.0))
        return np.nan_to_num(np.asarray(d["sky"], dtype=float), nan=1.0), np.nan_to_num(
            np.asarray(d["ground"], dtype=float), nan=0.0
        )

    return cached(
        "diffuse-iam",
        {"model": "physical", "tilts": "0:90:1"},
        compute,
        lambda sg: {"sky": sg[0], "ground": sg[1]},
        lambda a: (a["sky"], a["ground"]),
        libraries=("pvlib",),
        sources=(__file__,),
    )


_PEREZ_PARTS = ("poa_isotropic", "poa_circumsolar", "poa_horizon")


def _dist(p: tuple, q: tuple) -> np.ndarray:
    return ((p[0] - q[0]) ** 2 + (p[1] - q[1]) ** 2) ** 0.5


def _turns(p: tuple, u: tuple, v: tuple, du: np.ndarray, dv: np.ndarray, threshold: float) -> np.ndarray:
    """Whether the polar angle of ``v − p`` exceeds that of ``u − p`` by more than ``threshold`` rad.

    The test pvlib makes on ``arctan2`` values (``_angle(p, v) − _angle(p, u) > threshold``),
    decided by direction cosines where they are sure (``du``, ``dv``: the vectors' lengths).
    For two vectors pointing below ``p`` the polar angle is ``−arccos(x/|·|)``, for two above
    it is ``arccos(x/|·|)``: monotone in the cosine and changing at least as fast (slope
    1/sin ≥ 1). So a cosine gap beyond the threshold is a yes, a gap of the other sign a no;
    the rest (within the threshold, or vectors not both above or both below) takes pvlib's two
    ``arctan2``, so every answer is pvlib's.
    """
    ux, uy = u[0] - p[0], u[1] - p[1]
    vx, vy = v[0] - p[0], v[1] - p[1]
    below, above = (uy < 0) & (vy < 0), (uy > 0) & (vy > 0)
    with np.errstate(divide="ignore", invalid="ignore"):  # a zero length is neither below nor above: unsure
        gap = vx / dv - ux / du
    gap = np.where(below, gap, -gap)
    known = below | above
    yes = known & (gap > threshold + 1e-12)
    unsure = ~(yes | (known & (gap < -1e-12)))
    if unsure.any():
        shape = unsure.shape

        def pick(z: np.ndarray) -> np.ndarray:
            return np.broadcast_to(z, shape)[unsure]

        yes = np.array(np.broadcast_to(yes, shape))
        yes[unsure] = np.arctan2(pick(vy), pick(vx)) - np.arctan2(pick(uy), pick(ux)) > threshold
    return yes


def _obstructed(
    straight: np.ndarray,
    via_left: tuple[np.ndarray, np.ndarray],
    via_right: tuple[np.ndarray, np.ndarray],
    past_left: np.ndarray,
    past_right: np.ndarray,
) -> np.ndarray:
    """Length of a string from ``p`` to ``q`` pulled around the obstructions (Hottel's method).

    ``straight``: the distance from ``p`` to ``q``; ``via_left`` / ``via_right``: the distances
    from ``p`` to an obstruction and from it to ``q``. Where the straight line from ``p`` passes
    beyond the left obstruction (``past_left``: its polar angle larger by more than 1e-8 rad)
    or the right one (``past_right``: smaller), the string runs over that obstruction, as in
    pvlib's ``_obstructed_string_lengths``.
    """
    out = np.where(past_left, via_left[0] + via_left[1], straight)
    return np.where(past_right, via_right[0] + via_right[1], out)


def vf_row_ground(tilt: np.ndarray, gcr: float, max_rows: int = 20) -> np.ndarray:
    """View factor from the front of an interior row to the ground, integrated over the row.

    Parameters
    ----------
    tilt : numpy.ndarray
        Row tilt, degrees (a tracker's rotation: negative tilts mirror the row).
    gcr : float
        Ground coverage ratio.
    max_rows : int
        Ground segments of one pitch counted on each side.

    Returns
    -------
    numpy.ndarray
        Same shape as ``tilt``.

    Notes
    -----
    Hottel's crossed strings between the row (ends ``a``, ``b``) and each ground segment
    ``[k, k+1]`` pitches (``k = −max_rows … max_rows−1``), the strings pulled around the lower
    edges of the neighbouring rows, summed over the segments where positive: the analytic
    integral of pvlib ≥ 0.16 (``pvlib.bifacial.utils.vf_row_ground_2d_integ`` with the whole
    row and segment; Anderson2026). Neighbouring segments share their boundary point, so the
    obstructed string from ``a`` and from ``b`` to each boundary point is computed once (pvlib
    computes it for both segments it bounds); tested equal to pvlib to 1e-12.
    """
    height, pitch = 1.0, 1.0 / gcr  # the whole row and segment: the result depends on tilt and gcr only
    width = pitch * gcr
    tilt = np.asarray(tilt, dtype=float)
    tilt = np.where(tilt == 180, 179.9999, np.where(tilt == -180, -179.9999, tilt))[None, :]
    lc, ls = width * np.cos(np.radians(tilt)), width * np.sin(np.radians(tilt))
    ob_right = (-pitch - 0.5001 * lc, height - 0.5001 * np.abs(ls))
    ob_left = (ob_right[0] + pitch, ob_right[1])
    invert = tilt < 0
    ob_right, ob_left = (
        (np.where(invert, -ob_left[0], ob_right[0]), ob_right[1]),
        (
            np.where(invert, -ob_right[0], ob_left[0]),
            ob_left[1],
        ),
    )
    a = (-0.5 * lc, height - 0.5 * ls)
    b = (0.5 * lc, height + 0.5 * ls)
    ground = (np.arange(-max_rows, max_rows + 1, dtype=float)[:, None] * pitch, 0.0)  # segment boundaries

    left_ground, right_ground = _dist(ob_left, ground), _dist(ob_right, ground)  # shared by a and b

    def strings(p: tuple) -> np.ndarray:
        straight, dist_left, dist_right = _dist(p, ground), _dist(p, ob_left), _dist(p, ob_right)
        past_left = _turns(p, ob_left, ground, dist_left, straight, 1e-8)
        past_right = _turns(p, ground, ob_right, straight, dist_right, 1e-8)
        return _obstructed(straight, (dist_left, left_ground), (dist_right, right_ground), past_left, past_right)

    from_a, from_b = strings(a), strings(b)
    ac, ad, bc, bd = from_a[:-1], from_a[1:], from_b[:-1], from_b[1:]
    slats = 1 / (2 * 1.0 * width) * ((ac + bd) - (bc + ad))
    return np.sum(np.maximum(slats, 0), axis=0)


def vf_ground_sky(tilt: np.ndarray, gcr: float, height: float, pitch: float, max_rows: float) -> np.ndarray:
    """View factor from the ground between two interior rows to the sky, averaged over the ground.

    Parameters
    ----------
    tilt : numpy.ndarray
        Row rotation, degrees.
    gcr : float
        Ground coverage ratio.
    height, pitch : float
        Height of the row centre and row spacing, same unit.
    max_rows : float
        Sky gaps counted on each side.

    Returns
    -------
    numpy.ndarray
        The ground's average view factor to the sky (0…1), one per tilt.

    Notes
    -----
    Hottel's crossed strings between the ground segment (``a`` = 0, ``b`` = one pitch) and each
    gap of sky between the upper edges of rows ``k`` and ``k+1``, pulled around whichever edge
    of the rows beside the gap hides more of it: pvlib ≥ 0.16
    (``pvlib.bifacial.utils.vf_ground_sky_2d_integ``, Anderson2026). Which edge hides, and
    whether a string bends, is decided as pvlib decides it (:func:`_turns`, ``arctan2`` only
    where a cross product cannot tell); tested equal to pvlib to 1e-12.
    """
    tilt = np.asarray(tilt, dtype=float)[None, :]
    k = np.arange(-max_rows, max_rows + 1)[:, None]
    width = pitch * gcr
    lc, ls = width * np.cos(np.radians(tilt)), width * np.sin(np.radians(tilt))
    a, b = (0.0 * pitch, 0), (1.0 * pitch, 0)
    sign = np.sign(tilt)
    c = ((k + 1) * pitch + sign * 0.5 * lc, height + sign * 0.5 * ls)
    d = (c[0] - pitch, c[1])
    left = (k * pitch - 0.5 * lc, height - 0.5 * ls)
    right = (k * pitch + 0.5 * lc, height + 0.5 * ls)
    # From a, the obstruction is the edge of row k with the smaller polar angle; from b, the
    # edge of row k+1 with the larger.
    to_left, to_right = _dist(a, left), _dist(a, right)
    pick = _turns(a, right, left, to_right, to_left, 0.0)
    ob_left = tuple(np.where(pick, r, lft) for r, lft in zip(right, left, strict=True))
    dist_a_left = np.where(pick, to_right, to_left)
    left1 = (left[0] + pitch, left[1])
    right1 = (right[0] + pitch, right[1])
    to_left, to_right = _dist(b, left1), _dist(b, right1)
    pick = _turns(b, right1, left1, to_right, to_left, 0.0)
    ob_right = tuple(np.where(pick, lft, r) for r, lft in zip(right1, left1, strict=True))
    dist_b_right = np.where(pick, to_left, to_right)
    dist_a_right, dist_b_left = _dist(a, ob_right), _dist(b, ob_left)

    # Distances from the obstructions to the gap's ends, shared by the strings from a and b.
    c_ends, d_ends = (_dist(ob_left, c), _dist(ob_right, c)), (_dist(ob_left, d), _dist(ob_right, d))

    def strings(p: tuple, q: tuple, to_obs: tuple, obs_to_q: tuple) -> np.ndarray:
        straight = _dist(p, q)
        past_left = _turns(p, ob_left, q, to_obs[0], straight, 1e-8)
        past_right = _turns(p, q, ob_right, straight, to_obs[1], 1e-8)
        return _obstructed(straight, (to_obs[0], obs_to_q[0]), (to_obs[1], obs_to_q[1]), past_left, past_right)

    from_a, from_b = (dist_a_left, dist_a_right), (dist_b_left, dist_b_right)
    ac, ad = strings(a, c, from_a, c_ends), strings(a, d, from_a, d_ends)
    bc, bd = strings(b, c, from_b, c_ends), strings(b, d, from_b, d_ends)
    slats = 0.5 * (1 / ((1 - 0) * pitch)) * ((ac + bd) - (bc + ad))
    return np.sum(np.maximum(slats, 0), axis=0)


def row_shading_factors(
    tilt: np.ndarray,
    surface_azimuth: np.ndarray,
    zenith: np.ndarray,
    azimuth: np.ndarray,
    ghi: np.ndarray,
    dni: np.ndarray,
    dhi: np.ndarray,
    gcr: float,
    collector_width: float,
    height: float,
    albedo: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Irradiance kept by an interior row of a large array, per component, each 0…1.

    Parameters
    ----------
    tilt, surface_azimuth : numpy.ndarray
        Row tilt and azimuth, degrees (hourly for trackers).
    zenith, azimuth : numpy.ndarray
        True solar zenith and azimuth, degrees.
    ghi, dni, dhi : numpy.ndarray
        Irradiance, W/m².
    gcr : float
        Ground coverage ratio (collector width / row pitch).
    collector_width, height : float
        Slant width of a row and height of its centre above ground, m.
    albedo : float
        Ground reflectance.

    Returns
    -------
    f_beam, f_sky, f_ground : numpy.ndarray
        Fraction of the beam (and circumsolar) light on the row's unshaded part; ratio of the
        row's sky view factor to a lone module's (1 + cos β)/2; ratio of the ground-reflected
        light the row receives to the lone-module value ρ·GHI·(1 − cos β)/2.

    Notes
    -----
    The row geometry is pvlib's two-dimensional infinite-sheds model (Mikofski, Darawali,
    Hamer, Neubert and Newmiller 2019, "Bifacial performance modeling in large arrays",
    IEEE PVSC 46), evaluated with an isotropic sky: the shaded fraction of the row's slant
    height, the row's view factor to the sky between the rows ahead, and the ground between
    rows, partly in the rows' shadow, seen through the gap. The factors are ratios of its
    front-side components to the lone-module values, so they can be applied to the Perez
    components (isotropic and horizon band take the sky factor, circumsolar the beam factor).
    Where a reference component is zero the factor is 1.
    """
    import pvlib

    tilt, surface_azimuth, zenith, azimuth, ghi, dni, dhi = np.broadcast_arrays(
        *(np.asarray(a, dtype=float) for a in (tilt, surface_azimuth, zenith, azimuth, ghi, dni, dhi))
    )
    factors = np.ones((3, *ghi.shape))
    lit = (ghi > 0) | (dni > 0) | (dhi > 0)  # no light: every reference is 0 and every factor 1
    if not lit.any():
        return factors[0], factors[1], factors[2]
    tilt, surface_azimuth, zenith, azimuth, ghi, dni, dhi = (
        a[lit] for a in (tilt, surface_azimuth, zenith, azimuth, ghi, dni, dhi)
    )
    # pvlib.bifacial.infinite_sheds.get_irradiance_poa (isotropic sky, front side, no IAM),
    # step by step; its two view-factor integrals by the shared-string versions above.
    from pvlib.bifacial import infinite_sheds, utils

    # The view factors depend on the tilt alone: once per distinct tilt (a fixed rack has one).
    tilts, of_hour = np.unique(tilt, return_inverse=True)
    pitch = collector_width / gcr
    max_rows = np.ceil(height / (pitch * np.tan(np.radians(5.0))))
    phi = np.degrees(np.arctan(utils._solar_projection_tangent(zenith, azimuth, surface_azimuth)))
    f_gnd_beam = utils._unshaded_ground_fraction(tilt, phi, gcr)
    vf_gnd_sky = vf_ground_sky(tilts, gcr, height, pitch, max_rows)[of_hour]
    f_x = infinite_sheds._shaded_fraction(zenith, azimuth, tilt, surface_azimuth, gcr)
    vf_sky = utils.vf_row_sky_2d_integ(tilt, gcr, x0=0.0, x1=1.0)
    ground_diffuse = albedo * (f_gnd_beam * (ghi - dhi) + vf_gnd_sky * dhi)
    poa_ground = ground_diffuse * vf_row_ground(tilts, gcr)[of_hour]
    cos_t = np.cos(np.radians(tilt))
    with np.errstate(invalid="ignore", divide="ignore"):
        beam = np.asarray(pvlib.irradiance.beam_component(tilt, surface_azimuth, zenith, azimuth, dni), dtype=float)
        ratios = (
            beam * (1 - f_x) / beam,
            dhi * vf_sky / (dhi * (1.0 + cos_t) / 2.0),
            poa_ground / (albedo * ghi * (1.0 - cos_t) / 2.0),
        )
    for f, r in zip(factors, ratios, strict=True):
        f[lit] = np.clip(np.nan_to_num(r, nan=1.0, posinf=1.0), 0.0, 1.0)
    return factors[0], factors[1], factors[2]


def pv_unit_profile(
    time: pd.DatetimeIndex,
    solpos: pd.DataFrame,
    ghi: np.ndarray,
    dni: np.ndarray,
    dhi: np.ndarray,
    t_air: np.ndarray,
    wind: np.ndarray,
    p: PVParams,
) -> np.ndarray:
    """AC output per kW of DC nameplate, kW/kWdc, hourly.

    Parameters
    ----------
    time : pandas.DatetimeIndex
        Local standard time (interval starts).
    solpos : pandas.DataFrame
        pvlib solar position at mid-interval (``apparent_zenith``, ``zenith``, ``azimuth``).
    ghi, dni, dhi : numpy.ndarray
        Irradiance, W/m².
    t_air, wind : numpy.ndarray
        Dry bulb °C and wind speed m/s.
    p : PVParams
        Geometry and system parameters (capacity is applied by the caller).
    """
    import pvlib

    if p.azimuth_deg is None:
        raise ValueError("azimuth_deg = None (face the equator) needs the site's latitude: call pv_profile")
    # Without light every component, and so the output, is 0: the chain runs on the lit hours.
    ghi, dni, dhi = (np.asarray(a, dtype=float) for a in (ghi, dni, dhi))
    lit = (ghi > 0) | (dni > 0) | (dhi > 0)
    out = np.zeros(ghi.shape)
    ghi, dni, dhi, t_air, wind = (np.asarray(a, dtype=float)[lit] for a in (ghi, dni, dhi, t_air, wind))
    zen = solpos["apparent_zenith"].to_numpy()[lit]
    azi = solpos["azimuth"].to_numpy()[lit]
    zenith = solpos["zenith"].to_numpy()[lit]
    if p.tracking:
        tr = pvlib.tracking.singleaxis(
            zen, azi, axis_tilt=0.0, axis_azimuth=180.0, max_angle=p.max_angle_deg, backtrack=True, gcr=p.gcr
        )
        tilt = np.nan_to_num(np.asarray(tr["surface_tilt"], dtype=float))
        surf_az = np.nan_to_num(np.asarray(tr["surface_azimuth"], dtype=float), nan=180.0)
        aoi = np.nan_to_num(np.asarray(tr["aoi"], dtype=float), nan=90.0)
    else:
        tilt = np.full(zen.shape, p.tilt_deg)
        surf_az = np.full(zen.shape, p.azimuth_deg)
        aoi = pvlib.irradiance.aoi(tilt, surf_az, zenith, azi)
    doy = time.day_of_year.to_numpy()[lit]
    dni_extra = np.asarray(pvlib.irradiance.get_extra_radiation(doy), dtype=float)
    am = np.asarray(pvlib.atmosphere.get_relative_airmass(zen), dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        comp = pvlib.irradiance.perez(tilt, surf_az, dhi, dni, dni_extra, zenith, azi, am, return_components=True)
        beam = np.nan_to_num(np.asarray(pvlib.irradiance.beam_component(tilt, surf_az, zenith, azi, dni), dtype=float))
    iso, circ, horizon = (np.nan_to_num(np.asarray(comp[k], dtype=float)) for k in _PEREZ_PARTS)
    ground = np.asarray(pvlib.irradiance.get_ground_diffuse(tilt, ghi, p.albedo), dtype=float)
    if p.row_shading:
        f_beam, f_sky, f_ground = row_shading_factors(
            tilt, surf_az, zenith, azi, ghi, dni, dhi, p.gcr, p.collector_width_m, p.row_height_m, p.albedo
        )
        beam, circ = beam * f_beam, circ * f_beam  # circumsolar light comes from the sun's direction
        iso, horizon, ground = iso * f_sky, horizon * f_sky, ground * f_ground
    sky = np.maximum(iso + circ + horizon, 0.0)
    iam = np.nan_to_num(np.asarray(pvlib.iam.physical(aoi), dtype=float))
    # Diffuse incidence-angle losses by Marion's (2017) integration of the same IAM model.
    sky_tab, ground_tab = _diffuse_iam_table()
    tilt_deg = np.clip(np.round(tilt).astype(int), 0, 90)
    iam_sky, iam_ground = sky_tab[tilt_deg], ground_tab[tilt_deg]
    effective = np.maximum(beam * iam + sky * iam_sky + ground * iam_ground, 0.0)
    t_cell = np.asarray(
        pvlib.temperature.sapm_cell(beam + sky + ground, t_air, wind, a=-3.56, b=-0.075, deltaT=3), dtype=float
    )
    if p.module_model == "cec":
        pdc = _cec_dc_per_kw(effective, t_cell, p.cec_module)
    elif p.module_model == "sandia":
        am_abs = np.nan_to_num(np.asarray(pvlib.atmosphere.get_absolute_airmass(am), dtype=float), nan=40.0)
        pdc = _sandia_dc_per_kw(effective, t_cell, am_abs, p.sandia_module)
    else:
        pdc = pvlib.pvsystem.pvwatts_dc(effective, t_cell, 1.0, p.gamma_pdc)
    pdc = pdc * (1.0 - p.losses_pct / 100.0)
    pac = pvlib.inverter.pvwatts(pdc, 1.0 / p.dc_ac_ratio, eta_inv_nom=p.inverter_efficiency)
    fade = (1.0 - p.degradation_pct_per_year / 100.0) ** p.age_years
    out[lit] = np.maximum(np.nan_to_num(np.asarray(pac, dtype=float)), 0.0) * fade
    return out


def pv_profile(ds, p: PVParams, solpos: pd.DataFrame | None = None) -> np.ndarray:
    """:func:`pv_unit_profile` from a weather Dataset or :class:`weather.year.WeatherYear` (its attrs give the location).

    ``solpos`` may be passed to reuse a site's solar position; it is computed otherwise.
    """
    import pandas as pd

    from weather.dataset import solar_position

    t = pd.DatetimeIndex(np.asarray(ds["time"]))
    if solpos is None:
        solpos = solar_position(t, ds.attrs["latitude"], ds.attrs["longitude"], ds.attrs["utc_offset_h"])
    if p.azimuth_deg is None:  # the default: face the equator
        p = dataclasses.replace(p, azimuth_deg=180.0 if ds.attrs["latitude"] >= 0 else 0.0)
    return pv_unit_profile(
        t,
        solpos,
        np.asarray(ds["ghi"]),
        np.asarray(ds["dni"]),
        np.asarray(ds["dhi"]),
        np.asarray(ds["t_db"]),
        np.asarray(ds["wind_speed"]),
        p,
    )
