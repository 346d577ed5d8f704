"""The daily extremes' shape fields as delivered, and how much of them one record's halves share.

Run from a tree's root: ``PYTHONPATH=. python tests/weather/extremes_shape.py [seeds] [sites…]``
(default ten seeds; the five sites with a record in ``../shared/weather``). Per site, month by
month, the site table's field / the record's days 1–15 / days 16–31 / the generated mean over
seeds 0…``seeds``−1, each computed as ``twin weather --derive`` computes it
(:func:`weather.generator.extreme_statistics`): the skewness of the daily maxima and of the minima
(``t_max_skew``, ``t_min_skew``, over the month and its neighbours) and the correlation of the
daily maximum with the minimum (``t_max_min_corr``); then the RMS of the halves' difference beside
the RMS of the field itself (a field whose halves differ by more than the field's own size is
mostly one year's sampling), and the annual kurtosis of each (``t_max_kurtosis``,
``t_min_kurtosis``).
"""

from __future__ import annotations

import sys
import warnings

import numpy as np
import xarray as xr

import sites
import weather
from tests.conftest import EPW_FILES, SHARED_WEATHER
from twin.engine.weather_source import site_weather
from weather import generator as gen

FIELDS = ("t_max_skew", "t_min_skew", "t_max_min_corr")
"""The per-month fields compared."""


def fields_of(ds: xr.Dataset, days: slice | None = None) -> dict[str, np.ndarray]:
    """The extremes' fields of a year's first 365 days, or of the days of month ``days`` only."""
    t = ds["t_db"].to_numpy()[: 365 * 24].reshape(-1, 24)
    month = ds["time"].dt.month.to_numpy()[: 365 * 24 : 24] - 1
    keep = np.ones(month.size, dtype=bool)
    if days is not None:
        dom = ds["time"].dt.day.to_numpy()[: 365 * 24 : 24]
        keep = (dom >= days.start) & (dom <= days.stop)
    stats = gen.extreme_statistics(t.max(axis=1)[keep], t.min(axis=1)[keep], month[keep])
    return {k: np.asarray(v, dtype=float) for k, v in stats.items()}


def rms(x: np.ndarray) -> float:
    """Root mean square."""
    return float(np.sqrt(np.mean(np.square(x))))


def main(argv: list[str]) -> int:
    """Print the tables for ``argv = [seeds, sites…]``."""
    warnings.filterwarnings("ignore", category=UserWarning)
    seeds = int(argv[0]) if argv else 10
    keys = argv[1:] or list(EPW_FILES)
    for key in keys:
        real, _ = weather.read_epw(SHARED_WEATHER / EPW_FILES[key])
        site = sites.load(key)
        table = gen.as_variability(site.variability or {})
        first, second = fields_of(real, slice(1, 15)), fields_of(real, slice(16, 31))
        years = [fields_of(site_weather(site, seed=s)[0]) for s in range(seeds)]
        print(f"{key} (table / days 1–15 / days 16–31 / generated, seeds 0…{seeds - 1})")
        for name in FIELDS:
            generated = np.mean([y[name] for y in years], axis=0)
            print(f"  {name}")
            for label, v in (
                ("table", np.asarray(getattr(table, name), dtype=float)),
                ("1–15", first[name]),
                ("16–31", second[name]),
                ("generated", generated),
            ):
                print(f"    {label:9s} " + " ".join(f"{x:+.2f}" for x in v))
            print(
                f"    RMS: halves' difference {rms(first[name] - second[name]):.2f}, field "
                f"{rms(np.asarray(getattr(table, name), dtype=float)):.2f}, generated − table "
                f"{rms(generated - np.asarray(getattr(table, name), dtype=float)):.2f}"
            )
        for name in ("t_max_kurtosis", "t_min_kurtosis"):
            generated = float(np.mean([y[name] for y in years]))
            print(f"  {name}: table {getattr(table, name):+.2f}, generated {generated:+.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
