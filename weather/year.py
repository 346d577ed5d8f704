"""A weather year as named numpy arrays: what the engine reads of a weather Dataset, without xarray.

Every reader and the generator give an ``xarray.Dataset`` (:mod:`weather.dataset`); a
:class:`WeatherYear` holds the same variables (arrays, dimensions, attributes), the same
coordinates and global attributes, so that :meth:`WeatherYear.to_dataset` gives that Dataset
back, identical. It exists so that a run which hands no Dataset to its user (a table of KPIs)
need not import pandas and xarray: a disk-cached generated year is read into one
(:func:`twin.engine.weather_source.generated_year_arrays`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import xarray as xr

__all__ = ["WeatherYear", "as_year"]


class WeatherYear:
    """Hourly weather as named numpy arrays on a ``time`` axis (numpy ``datetime64``).

    Parameters
    ----------
    variables : mapping
        ``{name: (dims, array, attrs)}`` for every variable, coordinates included (``time``).
    coords : iterable of str
        The names in ``variables`` that are coordinates.
    attrs : mapping
        Global attributes (location, UTC offset, source ...).
    dataset : xarray.Dataset, optional
        The Dataset these arrays are views of, returned as it is by :meth:`to_dataset`.

    Notes
    -----
    ``year[name]`` is the numpy array of a variable (``year["time"]`` the time stamps);
    ``name in year`` and :attr:`data_vars` cover the data variables, as for a Dataset.
    """

    def __init__(
        self,
        variables: Mapping[str, tuple[tuple[str, ...], np.ndarray, Mapping[str, Any]]],
        coords: Any,
        attrs: Mapping[str, Any],
        dataset: xr.Dataset | None = None,
    ) -> None:
        self.variables = {k: (tuple(d), a, dict(at)) for k, (d, a, at) in variables.items()}
        self.coords = tuple(coords)
        self.attrs = dict(attrs)
        self._dataset = dataset

    @classmethod
    def from_dataset(cls, ds: xr.Dataset) -> WeatherYear:
        """The arrays of a weather Dataset (views, no copies)."""
        variables = {str(n): (tuple(map(str, v.dims)), v.values, v.attrs) for n, v in ds.variables.items()}
        return cls(variables, map(str, ds.coords), ds.attrs, dataset=ds)

    @property
    def time(self) -> np.ndarray:
        """The hourly time stamps (``datetime64``): local standard time, interval start."""
        return self.variables["time"][1]

    @property
    def data_vars(self) -> tuple[str, ...]:
        """Names of the data variables (not coordinates), in order."""
        return tuple(k for k in self.variables if k not in self.coords)

    def __getitem__(self, name: str) -> np.ndarray:
        return self.variables[name][1]

    def __contains__(self, name: object) -> bool:
        return name in self.variables and name not in self.coords

    def __iter__(self) -> Iterator[str]:
        return iter(self.data_vars)

    def __len__(self) -> int:
        return len(self.data_vars)

    def var_attrs(self, name: str) -> dict[str, Any]:
        """Attributes of a variable (``units``, ``long_name``, ``height_m`` ...)."""
        return self.variables[name][2]

    def assign(self, name: str, array: np.ndarray, attrs: Mapping[str, Any] | None = None) -> None:
        """Add (or replace) an hourly data variable, in place."""
        self.variables[name] = (("time",), array, dict(attrs or {}))
        self._dataset = None

    def to_dataset(self) -> xr.Dataset:
        """The weather Dataset of these arrays (the one they were read from, if any)."""
        if self._dataset is not None:
            return self._dataset
        import xarray as xr

        data: dict[str, Any] = {}
        coords: dict[str, Any] = {}
        for name, (dims, a, attrs) in self.variables.items():
            (coords if name in self.coords else data)[name] = (dims, a, attrs)
        self._dataset = xr.Dataset(data, coords=coords, attrs=self.attrs)
        return self._dataset


def as_year(weather: WeatherYear | xr.Dataset) -> WeatherYear:
    """A :class:`WeatherYear` of a weather Dataset, or the year itself."""
    return weather if isinstance(weather, WeatherYear) else WeatherYear.from_dataset(weather)
