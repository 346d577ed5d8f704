"""Weather for the PUE twin: readers, a typical-year generator and psychrometrics.

Every source gives one ``xarray.Dataset`` on an hourly local-standard-time axis with the names
and units of :mod:`weather.dataset`.
"""

from weather.dataset import VARIABLES, WeatherError, WeatherWarning
from weather.readers import read, read_csv, read_epw, read_netcdf, read_pvgis_tmy, read_tmy3

__all__ = [
    "VARIABLES",
    "WeatherError",
    "WeatherWarning",
    "read",
    "read_csv",
    "read_epw",
    "read_netcdf",
    "read_pvgis_tmy",
    "read_tmy3",
]
