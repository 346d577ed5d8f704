"""Weather for the PUE twin: readers, a typical-year generator and psychrometrics.

Every source gives one ``xarray.Dataset`` on an hourly local-standard-time axis with the names
and units of :mod:`weather.dataset`.
"""

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
    read,
    read_csv,
    read_epw,
    read_netcdf,
    read_pvgis_tmy,
    read_tmy3,
)

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
    "read",
    "read_csv",
    "read_epw",
    "read_netcdf",
    "read_pvgis_tmy",
    "read_tmy3",
    "record_flags",
    "repair",
]
