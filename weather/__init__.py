"""Weather for the PUE twin: readers, a typical-year generator and psychrometrics.

Every source gives one ``xarray.Dataset`` on an hourly local-standard-time axis with the names
and units of :mod:`weather.dataset`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from weather.dataset import (
        BAD_RECORDS,
        RECORD_CHECKS,
        REPAIRS,
        VARIABLES,
        RecordFlag,
        WeatherError,
        WeatherWarning,
        record_flags,
        repair,
    )
    from weather.readers import (
        FORMATS,
        Format,
        detect_format,
        location_columns,
        read,
        read_csv,
        read_epw,
        read_netcdf,
        read_pvgis_tmy,
        read_tmy3,
    )

_DATASET = (
    "BAD_RECORDS",
    "RECORD_CHECKS",
    "REPAIRS",
    "VARIABLES",
    "RecordFlag",
    "WeatherError",
    "WeatherWarning",
    "record_flags",
    "repair",
)


def __getattr__(name: str) -> Any:
    """The public names, imported at first use (PEP 562): ``weather.psychrometrics`` alone
    needs only numpy, and ``import weather`` does not load pandas and xarray."""
    if name not in __all__:
        raise AttributeError(f"module 'weather' has no attribute {name!r}")
    value = getattr(importlib.import_module("weather.dataset" if name in _DATASET else "weather.readers"), name)
    globals()[name] = value
    return value


__all__ = [
    "BAD_RECORDS",
    "FORMATS",
    "RECORD_CHECKS",
    "REPAIRS",
    "VARIABLES",
    "Format",
    "RecordFlag",
    "WeatherError",
    "WeatherWarning",
    "detect_format",
    "location_columns",
    "read",
    "read_csv",
    "read_epw",
    "read_netcdf",
    "read_pvgis_tmy",
    "read_tmy3",
    "record_flags",
    "repair",
]
