"""The daily temperature range, record against generated years.

Run from a tree's root: ``PYTHONPATH=. python tests/weather/daily_range.py [seeds]``. Per site and
month: the daily range's mean, SD and skewness (each record's first 365 calendar days; generated: seeds 0 … n−1,
averaged), then for January and June–August how often the day's minimum falls at 18–23 h and its
maximum at 0–5 h.
"""

from __future__ import annotations

import sys
import warnings

import numpy as np
from scipy import stats

import sites
import weather
from tests.conftest import EPW_FILES, SHARED_WEATHER
from tests.weather.design_report import year_with
from weather import generator as gen


def range_stats(t: np.ndarray, month: np.ndarray) -> np.ndarray:
    """Per month: mean, SD, skewness of the daily range and the share of days below 1 K."""
    day = t.reshape(-1, 24)
    r = day.max(axis=1) - day.min(axis=1)
    return np.array([(x.mean(), x.std(), stats.skew(x), np.mean(x < 1.0)) for x in (r[month == m] for m in range(12))])


def edges(t: np.ndarray, month: np.ndarray, months: list[int]) -> tuple[float, float]:
    """Share of the days of ``months`` whose minimum is at 18–23 h and whose maximum is at 0–5 h."""
    day = t.reshape(-1, 24)
    sel = np.isin(month, months)
    return float(np.mean(day.argmin(axis=1)[sel] >= 18)), float(np.mean(day.argmax(axis=1)[sel] <= 5))


def main(seeds: int) -> None:
    for key in EPW_FILES:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ds, _ = weather.read_epw(SHARED_WEATHER / EPW_FILES[key])
        t = ds["t_db"].to_numpy()[: 365 * 24]
        month = ds["time"].dt.month.to_numpy()[: 365 * 24][::24] - 1
        site = sites.load(key)
        var = gen.as_variability(site.variability)
        years = [year_with(site, var, seed=s) for s in range(seeds)]
        got = [(y["t_db"].to_numpy(), y["time"].dt.month.to_numpy()[::24] - 1) for y in years]
        rec, g = range_stats(t, month), np.mean([range_stats(*x) for x in got], axis=0)
        print(f"== {key}: month, record / generated: mean, SD, skewness of the range, K; share below 1 K")
        for m in range(12):
            print(f"  {m + 1:2d}  " + "   ".join(f"{rec[m, i]:5.2f} / {g[m, i]:5.2f}" for i in range(4)))
        print(
            f"  year: SD {rec[:, 1].mean():.2f} / {g[:, 1].mean():.2f}, skewness {rec[:, 2].mean():+.2f} / {g[:, 2].mean():+.2f}"
        )
        for months, label in (([0], "January"), ([5, 6, 7], "June-August")):
            r, e = edges(t, month, months), np.mean([edges(*x, months) for x in got], axis=0)
            print(f"  {label}: minimum at 18-23 h {r[0]:.2f} / {e[0]:.2f}, maximum at 0-5 h {r[1]:.2f} / {e[1]:.2f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
