"""Weather for a site: the built-in generated typical year, or a weather file checked against the site."""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import math
import os
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

import sites
import weather
from twin.core.diskcache import cached
from twin.core.fmt import number
from weather.year import WeatherYear

if TYPE_CHECKING:
    import xarray as xr

__all__ = [
    "STATION_REFUSE_KM",
    "STATION_REFUSE_M",
    "STATION_WARN_KM",
    "STATION_WARN_M",
    "StationWarning",
    "check_for_run",
    "check_station",
    "generated_year",
    "generated_year_arrays",
    "site_weather",
    "site_year",
]

STATION_WARN_KM = 50.0
"""A weather file whose location is farther than this from the site gets a warning (an
assumption: the library's sites sit at their stations, 0 km; a city and its airport or
suburban station are within a few tens of km, beyond that the record is of another place,
though it may still be the best one available)."""
STATION_REFUSE_KM = 300.0
"""Farther than this the file is refused (an assumption: neighbouring hub sites such as
Qingyang and Yinchuan are 330 km apart, Karamay and Gui'an 2,870 km). Another station's file
can still be run: make a site file with its location (``--site-dir``)."""
STATION_WARN_M = 300.0
"""Elevation difference that gets a warning: 300 m is about 2 K of mean temperature (lapse rate
6.5 K/km) and 3.5 % of air pressure."""
STATION_REFUSE_M = 1000.0
"""Elevation difference that is refused: 1,000 m is about 6.5 K and 11 % of air density."""


class StationWarning(UserWarning):
    """A weather file from a station some way from the site (printed by the CLI as ``twin: warning:``)."""


UPLOAD_LABEL = "upload:"
"""How the dashboard's Scenario editor writes a kept upload as ``weather.source``
(``"upload:mine.epw"``): the dashboard's Apply reads a source of this form as its upload, never as
a path, so a file of the server's folder named like an upload is not taken for it (a file whose
own name starts with ``upload:`` is reached as ``./upload:…``); anywhere else such a name that is
no file is said to be a label (:func:`site_year`)."""


def _distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance, km (haversine, mean Earth radius 6371 km)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2.0 * 6371.0 * math.asin(min(1.0, math.sqrt(a)))


def check_station(meta: dict[str, Any], site: sites.Site, source: str) -> None:
    """Refuse (``WeatherError``) or warn (:class:`StationWarning`) a file far from the site.

    Parameters
    ----------
    meta : dict
        Weather metadata with ``latitude``, ``longitude``, ``elevation``.
    site : sites.Site
        The site the weather is run for.
    source : str
        The file, for messages.

    Notes
    -----
    Thresholds: :data:`STATION_WARN_KM`, :data:`STATION_REFUSE_KM`, :data:`STATION_WARN_M`,
    :data:`STATION_REFUSE_M` (reasons in their docstrings).
    """
    loc = site.location
    km = _distance_km(meta["latitude"], meta["longitude"], loc.latitude_deg, loc.longitude_deg)
    dz = abs(float(meta["elevation"]) - loc.elevation_m)
    where = (
        f"{source}: the file's location ({meta['latitude']:.2f}, {meta['longitude']:.2f}, {meta['elevation']:.0f} m) "
        f"is {km:,.0f} km and {dz:,.0f} m in height from site {site.key!r} "
        f"({loc.latitude_deg:.2f}, {loc.longitude_deg:.2f}, {loc.elevation_m:.0f} m)"
    )
    if km > STATION_REFUSE_KM or dz > STATION_REFUSE_M:
        raise weather.WeatherError(
            f"{where}; more than {number(STATION_REFUSE_KM)} km or {number(STATION_REFUSE_M)} m is another climate: "
            "run the file for its own site (a site file with its location, --site-dir)"
        ).explained(
            "station_far",
            file=source,
            station=f"{meta['latitude']:.2f}, {meta['longitude']:.2f}, {meta['elevation']:.0f} m",
            km=f"{km:,.0f}",
            dz=f"{dz:,.0f}",
            site=repr(site.key),
            location=f"{loc.latitude_deg:.2f}, {loc.longitude_deg:.2f}, {loc.elevation_m:.0f} m",
            refuse_km=number(STATION_REFUSE_KM),
            refuse_m=number(STATION_REFUSE_M),
        )
    if km > STATION_WARN_KM or dz > STATION_WARN_M:
        warnings.warn(
            f"{where}; beyond {number(STATION_WARN_KM)} km or {number(STATION_WARN_M)} m the file may not describe the site",
            StationWarning,
            stacklevel=3,
        )


def check_for_run(ds: xr.Dataset, meta: dict[str, Any], site: sites.Site, source: str) -> None:
    """The checks a weather file read for a run passes: one whole year (8760 or 8784 hours), a
    station near the site (:func:`check_station`), its flagged records said (:func:`warn_flags`).

    ``source`` names the file in the messages (the app gives an upload's own file name, not
    the private path it was saved under). Raises ``weather.WeatherError``; warns as those do.
    """
    n = ds.sizes["time"]
    if n not in (8760, 8784):
        start = str(ds["time"].values[0])[:16]
        raise weather.WeatherError(
            f"{source}: {n} hours from {start}; a run needs one whole year (8760 hours, or 8784 in a leap year)"
        ).explained("not_a_year", file=source, hours=str(n), start=start)
    check_station(meta, site, source)
    warn_flags(meta, source)


def warn_flags(meta: dict[str, Any], source: str) -> None:
    """Warn (:class:`weather.WeatherWarning`) of the bad records a file read for a run held
    (``meta["flags"]``, read with the reader's repairs): a run on the file says so in one line, as
    ``twin weather --file`` lists them, instead of passing them silently."""
    flags = meta.get("flags") or []
    if flags:
        kinds = "; ".join(f"{weather.RECORD_CHECKS[f.kind]}: {f.count} h" for f in flags)
        warnings.warn(
            f"{source}: flagged records ({kinds}), read with the repairs (dew point and RH capped, negative "
            f"irradiance set to 0, a jump kept); twin weather --file {source} lists them, --bad-records refuse "
            "refuses the file",
            weather.WeatherWarning,
            stacklevel=3,
        )


def site_year(
    site: sites.Site,
    *,
    seed: int = 0,
    year: int = 2021,
    file: str | os.PathLike[str] | None = None,
    format: str | None = None,
    site_variability: bool = True,
    repair: bool | Any = True,
    **reader_options: Any,
) -> tuple[WeatherYear, dict[str, Any]]:
    """Hourly weather for a site, as named arrays (:func:`site_weather` gives the Dataset).

    Parameters
    ----------
    site : sites.Site
        The site (location, monthly normals, optional variability statistics).
    seed : int
        Seed of the generated typical year (ignored with ``file``).
    year : int
        Calendar year of the generated year.
    file : path, optional
        A weather file to read instead, of any format in :data:`weather.FORMATS`; what the
        format does not carry (a CSV's location, ERA5's and PVGIS's UTC offset) is the site's.
    format : str, optional
        A :data:`weather.FORMATS` key; default: detected from the file.
    site_variability : bool
        Use the site file's ``[variability]`` table (derived from its station record) if it has
        one; ``False`` uses the generator's default, as for a site without a record.
    repair : bool or sequence of str
        The reader's repairs (:data:`weather.REPAIRS`).
    **reader_options
        Passed to the reader (e.g. ``utc_offset_h``).

    Returns
    -------
    (weather.year.WeatherYear, dict)
        The standard weather variables and their metadata.

    Raises
    ------
    weather.WeatherError
        An unreadable file, a file from a station far from the site (:func:`check_station`) or
        one that is not a whole year (8760 or 8784 hours): the annual figures need one.
    """
    loc = site.location
    if file is not None:
        location = {
            "latitude": loc.latitude_deg,
            "longitude": loc.longitude_deg,
            "elevation": loc.elevation_m,
            "utc_offset_h": loc.utc_offset_h,
        }
        if Path(file).name.startswith(UPLOAD_LABEL) and not os.path.lexists(file):
            raise weather.WeatherError(
                f"{file}: no such weather file; {Path(file).name!r} is how the dashboard's Scenario editor "
                "names an uploaded file, which only the dashboard holds: give the file's own path"
            )
        ds, meta = weather.read(file, format, location=location, repair=repair, **reader_options)
        check_for_run(ds, meta, site, str(file))
        return WeatherYear.from_dataset(ds), meta
    return generated_year_arrays(site, seed=seed, year=year, site_variability=site_variability)


def site_weather(site: sites.Site, **options: Any) -> tuple[xr.Dataset, dict[str, Any]]:
    """Hourly weather for a site: the standard weather Dataset and its metadata.

    The options and errors are those of :func:`site_year`.
    """
    year, meta = site_year(site, **options)
    return year.to_dataset(), meta


_GENERATOR_FILES = tuple(
    sorted(str(p) for p in Path(str(getattr(importlib.util.find_spec("weather"), "origin", ""))).parent.glob("*.py"))
)
"""The generator's source files: every module of the ``weather`` package, so a change to any module it
calls (the solar position, the validation's residuals, ...) is a new cache entry (found without
importing the generator: it loads pandas and xarray)."""
_GENERATOR_LIBRARIES = ("numpy", "scipy", "pandas", "pvlib")


def _normals_key(normals: Any) -> dict[str, Any]:
    """Every field of a site's normals the generator may read (the optional ones too, ``None``
    when absent), as the disk cache's key: a changed or added normal is a new year."""
    fields = dataclasses.fields(normals) if dataclasses.is_dataclass(normals) else ()
    if not fields:
        from weather.generator import MonthlyNormals

        names = list(MonthlyNormals.__annotations__)
    else:
        names = [f.name for f in fields]
    out: dict[str, Any] = {}
    for k in names:
        v = getattr(normals, k, None)
        if isinstance(v, str):
            continue  # the source text: not an input of the generator
        out[k] = None if v is None else [float(x) for x in v]
    return out


def typical_year(normals: Any, **options: Any) -> tuple[xr.Dataset, dict[str, Any]]:
    """:func:`weather.generator.typical_year`, imported at first use (it loads pandas and xarray)."""
    from weather.generator import typical_year as generate

    return generate(normals, **options)


def _variability_key(table: Any) -> dict[str, Any] | None:
    """A site's variability table as the disk cache's key (its fields as given; the generator
    checks them and fills the optional ones, the same for the same table)."""
    if table is None:
        return None
    is_instance = dataclasses.is_dataclass(table) and not isinstance(table, type)
    items = dataclasses.asdict(table).items() if is_instance else dict(table).items()
    return {k: list(v) if isinstance(v, list | tuple) else v for k, v in items}


def generated_year(
    site: sites.Site, *, seed: int = 0, year: int = 2021, site_variability: bool = True
) -> tuple[xr.Dataset, dict[str, Any]]:
    """The site's generated typical year (:func:`weather.generator.typical_year`), disk-cached.

    The Dataset of :func:`generated_year_arrays`; a cached year is the generated one bit for
    bit, with the same attributes and metadata.
    """
    arrays, meta = generated_year_arrays(site, seed=seed, year=year, site_variability=site_variability)
    return arrays.to_dataset(), meta


def generated_year_arrays(
    site: sites.Site, *, seed: int = 0, year: int = 2021, site_variability: bool = True
) -> tuple[WeatherYear, dict[str, Any]]:
    """The site's generated typical year as named arrays, disk-cached.

    The cache (:mod:`twin.core.diskcache`) is keyed by every input of the generator (the
    site's normals, location, variability table, the seed and the year), the versions of the
    libraries it calls and a digest of the generator's source files. A year read from the
    cache needs neither the generator nor pandas and xarray; its
    :meth:`~weather.year.WeatherYear.to_dataset` is the generated Dataset, identical.
    """
    loc = site.location
    table = site.variability if site_variability else None
    args: dict[str, Any] = {
        "latitude": loc.latitude_deg,
        "longitude": loc.longitude_deg,
        "elevation": loc.elevation_m,
        "utc_offset_h": loc.utc_offset_h,
        "seed": seed,
        "year": year,
        "name": site.key,
    }
    inputs = {"normals": _normals_key(site.normals), "args": args, "variability": _variability_key(table)}

    def generate() -> tuple[WeatherYear, dict[str, Any]]:
        from weather.generator import as_variability

        var = as_variability(table) if table is not None else None
        ds, meta = typical_year(site.normals, variability=var, **args)
        return WeatherYear.from_dataset(ds), meta

    return cached(
        "year",
        inputs,
        generate,
        _year_arrays,
        _year_from_arrays,
        libraries=_GENERATOR_LIBRARIES,
        sources=(__file__, *_GENERATOR_FILES),
    )


def _year_arrays(result: tuple[WeatherYear, dict[str, Any]]) -> dict[str, np.ndarray] | None:
    """A weather year and its metadata as named arrays (a JSON layout beside the data; the record
    checks' flags as their fields), or ``None`` when it does not come back identical (attributes
    JSON cannot spell exactly)."""
    year, meta = result
    ds = year.to_dataset()
    layout = {
        "variables": [[n, list(dims), attrs, n in year.coords] for n, (dims, _, attrs) in year.variables.items()],
        "attrs": year.attrs,
        "meta": {**meta, "flags": [dataclasses.asdict(f) for f in meta["flags"]]} if "flags" in meta else meta,
    }
    try:
        text = json.dumps(layout)
    except (TypeError, ValueError):
        return None
    arrays = {f"var{i}": a for i, (_, a, _) in enumerate(year.variables.values())}
    arrays["layout"] = np.array(text)
    back, back_meta = _year_from_arrays(arrays)
    back_ds = back.to_dataset()
    if not (back_ds.identical(ds) and repr(back_meta) == repr(meta) and repr(back_ds.attrs) == repr(ds.attrs)):
        return None
    return arrays


def _year_from_arrays(arrays: Mapping[str, np.ndarray]) -> tuple[WeatherYear, dict[str, Any]]:
    layout = json.loads(str(arrays["layout"]))
    variables = {
        name: (tuple(dims), arrays[f"var{i}"], attrs) for i, (name, dims, attrs, _) in enumerate(layout["variables"])
    }
    coords = [name for name, _, _, is_coord in layout["variables"] if is_coord]
    meta = layout["meta"]
    if "flags" in meta:  # the record checks' findings (a generated year may have one: a 10 K hourly jump)
        meta["flags"] = [weather.RecordFlag(**{**f, "first": tuple(f["first"])}) for f in meta["flags"]]
    return WeatherYear(variables, coords, layout["attrs"]), meta
