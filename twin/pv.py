"""Photovoltaic output with pvlib: PVWatts-style chain, fixed tilt or single-axis tracking.

Power in kW per kW of DC nameplate (a *unit profile*), computed once per site and array
geometry and scaled by each case's capacity — a sweep over PV size costs nothing extra.

Chain (each step a pvlib function): solar position (computed once per site and passed in) →
single-axis tracker angles (``pvlib.tracking.singleaxis``, backtracking) → plane-of-array
irradiance, Perez transposition (``pvlib.irradiance.get_total_irradiance``) → incidence-angle
loss, Fresnel with AR coating (``pvlib.iam.physical``; on diffuse light integrated by
``pvlib.iam.marion_diffuse``) → cell temperature, SAPM
open-rack model (``pvlib.temperature.sapm_cell``) → PVWatts DC (``pvlib.pvsystem.pvwatts_dc``)
(or the CEC single-diode model of a module from pvlib's bundled CEC library:
``pvlib.pvsystem.calcparams_cec`` + ``max_power_point``) → PVWatts system losses (``pvlib.pvsystem.pvwatts_losses``) → PVWatts inverter with the DC/AC
ratio (``pvlib.inverter.pvwatts``) → degradation per year of age.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import pandas as pd

from twin.params import Params, param

__all__ = ["PVParams", "pv_profile", "pv_unit_profile"]


@dataclass(frozen=True)
class PVParams(Params):
    """A PV plant feeding the site."""

    section = "green.pv"

    capacity_mw: float = param(0.0, 0.0, 1e5, units="MWdc", source="input")
    tracking: bool = param(False)
    tilt_deg: float = param(
        30.0, 0.0, 90.0, units="°", source="fixed tilt; default ≈ latitude-5° for 35 °N (assumption)"
    )
    azimuth_deg: float = param(180.0, 0.0, 360.0, units="°", source="pvlib convention: 180 = south")
    gcr: float = param(0.35, 0.05, 0.9, source="tracker ground coverage ratio (assumption)")
    max_angle_deg: float = param(60.0, 10.0, 90.0, units="°", source="tracker rotation limit")
    gamma_pdc: float = param(-0.0037, -0.01, 0.0, units="1/K", source="PVWatts v8 standard module")
    dc_ac_ratio: float = param(1.2, 0.5, 2.5, source="PVWatts default")
    inverter_efficiency: float = param(0.96, 0.8, 1.0, source="PVWatts default (nominal)")
    losses_pct: float = param(14.08, 0.0, 50.0, units="%", source="PVWatts default system losses")
    degradation_pct_per_year: float = param(
        0.5, 0.0, 3.0, units="%/yr", source="assumption: crystalline silicon median"
    )
    age_years: float = param(0.0, 0.0, 40.0, units="yr", source="year of operation simulated (0 = first)")
    albedo: float = param(0.2, 0.0, 1.0, source="ground reflectance; PVWatts default 0.2")
    profile_csv: str = param(
        "", source="measured hourly output (column 'cf', kW per kW installed) instead of the model"
    )
    module_model: str = param(
        "pvwatts",
        choices=("pvwatts", "cec"),
        source="pvwatts: linear DC model; cec: single-diode model of a CEC-library module",
    )
    cec_module: str = param(
        "Canadian_Solar_Inc__CS6X_300M", source="a module of pvlib's bundled CEC library (SAM 2019-03-05)"
    )

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.module_model == "cec" and self.cec_module not in _cec_modules().columns:
            from twin.params import ConfigError

            near = [m for m in _cec_modules().columns if m.lower().startswith(self.cec_module[:8].lower())][:5]
            raise ConfigError(
                f"green.pv.cec_module = {self.cec_module!r} is not in pvlib's CEC library"
                + (f"; similar: {', '.join(near)}" if near else "")
            )


@functools.lru_cache(maxsize=1)
def _cec_modules() -> pd.DataFrame:
    """pvlib's bundled CEC module library (read once)."""
    import pvlib

    return pvlib.pvsystem.retrieve_sam("CECMod")


def _cec_dc_per_kw(effective: np.ndarray, t_cell: np.ndarray, name: str) -> np.ndarray:
    """DC power at maximum power point per kW of STC nameplate, single-diode (De Soto/CEC) model."""
    import pvlib

    m = _cec_modules()[name]
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
    """Sky and ground diffuse IAM for tilts 0…90° in whole degrees (the integration is costly)."""
    import pvlib

    d = pvlib.iam.marion_diffuse("physical", np.arange(91.0))
    return np.nan_to_num(np.asarray(d["sky"], dtype=float), nan=1.0), np.nan_to_num(
        np.asarray(d["ground"], dtype=float), nan=0.0
    )


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

    zen = solpos["apparent_zenith"].to_numpy()
    azi = solpos["azimuth"].to_numpy()
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
        aoi = pvlib.irradiance.aoi(tilt, surf_az, solpos["zenith"].to_numpy(), azi)
    doy = time.day_of_year.to_numpy()
    dni_extra = np.asarray(pvlib.irradiance.get_extra_radiation(doy), dtype=float)
    am = np.asarray(pvlib.atmosphere.get_relative_airmass(zen), dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        poa = pvlib.irradiance.get_total_irradiance(
            tilt,
            surf_az,
            solpos["zenith"].to_numpy(),
            azi,
            dni,
            ghi,
            dhi,
            dni_extra=dni_extra,
            airmass=am,
            albedo=p.albedo,
            model="perez",
        )
    beam = np.nan_to_num(np.asarray(poa["poa_direct"], dtype=float))
    sky = np.nan_to_num(np.asarray(poa["poa_sky_diffuse"], dtype=float))
    ground = np.nan_to_num(np.asarray(poa["poa_ground_diffuse"], dtype=float))
    iam = np.nan_to_num(np.asarray(pvlib.iam.physical(aoi), dtype=float))
    # Diffuse incidence-angle losses by Marion's (2017) integration of the same IAM model.
    sky_tab, ground_tab = _diffuse_iam_table()
    tilt_deg = np.clip(np.round(tilt).astype(int), 0, 90)
    iam_sky, iam_ground = sky_tab[tilt_deg], ground_tab[tilt_deg]
    effective = np.maximum(beam * iam + sky * iam_sky + ground * iam_ground, 0.0)
    t_cell = pvlib.temperature.sapm_cell(
        np.nan_to_num(np.asarray(poa["poa_global"], dtype=float)), t_air, wind, a=-3.56, b=-0.075, deltaT=3
    )
    if p.module_model == "cec":
        pdc = _cec_dc_per_kw(effective, np.asarray(t_cell, dtype=float), p.cec_module)
    else:
        pdc = pvlib.pvsystem.pvwatts_dc(effective, t_cell, 1.0, p.gamma_pdc)
    pdc = pdc * (1.0 - p.losses_pct / 100.0)
    pac = pvlib.inverter.pvwatts(pdc, 1.0 / p.dc_ac_ratio, eta_inv_nom=p.inverter_efficiency)
    fade = (1.0 - p.degradation_pct_per_year / 100.0) ** p.age_years
    return np.maximum(np.nan_to_num(np.asarray(pac, dtype=float)), 0.0) * fade


def pv_profile(ds, p: PVParams, solpos: pd.DataFrame | None = None) -> np.ndarray:
    """:func:`pv_unit_profile` from a weather Dataset (its attrs give the location).

    ``solpos`` may be passed to reuse a site's solar position; it is computed otherwise.
    """
    from weather.dataset import solar_position

    t = pd.DatetimeIndex(ds["time"].to_numpy())
    if solpos is None:
        solpos = solar_position(t, ds.attrs["latitude"], ds.attrs["longitude"], ds.attrs["utc_offset_h"])
    return pv_unit_profile(
        t,
        solpos,
        ds["ghi"].to_numpy(),
        ds["dni"].to_numpy(),
        ds["dhi"].to_numpy(),
        ds["t_db"].to_numpy(),
        ds["wind_speed"].to_numpy(),
        p,
    )
