"""Site library of the PUE twin: built-in and user site files, validated on load.

>>> import sites
>>> sites.load("karamay").location.elevation_m
449.5
"""

from sites.library import (
    SITE_PATH_ENV,
    Grid,
    Location,
    Normals,
    Policy,
    Reported,
    Site,
    SiteError,
    Tariff,
    WindResource,
    available,
    load,
    normalize_name,
    parse_site,
    read_site_file,
    site_files,
)

__all__ = [
    "SITE_PATH_ENV",
    "Grid",
    "Location",
    "Normals",
    "Policy",
    "Reported",
    "Site",
    "SiteError",
    "Tariff",
    "WindResource",
    "available",
    "load",
    "normalize_name",
    "parse_site",
    "read_site_file",
    "site_files",
]
