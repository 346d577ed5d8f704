"""Weather for a site: the built-in generated typical year, or a weather file."""

from __future__ import annotations

import os
from typing import Any

import xarray as xr

import sites
import weather
from weather.generator import typical_year

__all__ = ["site_weather"]


def site_weather(
    site: sites.Site,
    *,
    seed: int = 0,
    year: int = 2021,
    file: str | os.PathLike[str] | None = None,
    site_variability: bool = True,
    **reader_kwargs: Any,
) -> tuple[xr.Dataset, dict[str, Any]]:
    """Hourly weather for a site.

    Parameters
    ----------
    site : sites.Site
        The site (location, monthly normals, optional variability statistics).
    seed : int
        Seed of the generated typical year (ignored with ``file``).
    year : int
        Calendar year of the generated year.
    file : path, optional
        A weather file to read instead (``.epw``, ``.nc``, PVGIS ``.json``; see
        :func:`weather.read`); ``reader_kwargs`` go to the reader.
    site_variability : bool
        Use the site file's ``[variability]`` table (derived from its station record) if it has
        one; ``False`` uses the generator's default, as for a site without a record.

    Returns
    -------
    (xarray.Dataset, dict)
        The standard weather Dataset and its metadata.
    """
    if file is not None:
        return weather.read(file, **reader_kwargs)
    loc = site.location
    return typical_year(
        site.normals,  # type: ignore[arg-type]  # frozen sites.Normals: read-only fields of the Protocol
        latitude=loc.latitude_deg,
        longitude=loc.longitude_deg,
        elevation=loc.elevation_m,
        utc_offset_h=loc.utc_offset_h,
        seed=seed,
        year=year,
        variability=site.variability if site_variability else None,
        name=site.key,
    )
