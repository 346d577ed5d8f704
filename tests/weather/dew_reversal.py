"""The dew point's hourly sign reversals, record against generated years.

Run from a tree's root: ``PYTHONPATH=. python tests/weather/dew_reversal.py [seeds] [sites…]``. Per
site: the share of the dew point's non-zero hour-to-hour changes whose sign is the opposite of the
previous non-zero change's (as :func:`weather.validation.hourly_persistence`), overall, by the hour
of day of the middle hour (six blocks of four hours) and by the dew-point depression at the middle
hour (below 1 K — where the generator's floor acts — 1 … 3 K, above 3 K); the share of hours in each
depression class; the generated years also rounded to 0.1 K as the records are. Then the lag-1
autocorrelation of the depression's hourly change near saturation (three depressions below 1 K),
the mean hourly change of the dry bulb and the dew point from a night hour (20-6 h) below 1 K, and
the SD of the depression's step (gen13's ``depression_step_sd``; the script runs on main too).
"""

from __future__ import annotations

import sys
import warnings

import numpy as np

import sites
import weather
from tests.conftest import EPW_FILES, SHARED_WEATHER
from tests.weather.design_report import year_with
from weather import generator as gen

FLOOR_MAX = 1.0
"""The depression below which the hours are near saturation, K (gen13's ``DEPRESSION_FLOOR_MAX``)."""

BLOCKS = [(0, 4), (4, 8), (8, 12), (12, 16), (16, 20), (20, 24)]
DEPS = [(-1.0, 1.0), (1.0, 3.0), (3.0, 99.0)]


def reversals(t_db: np.ndarray, t_dp: np.ndarray) -> dict[str, np.ndarray]:
    """Reversal shares overall, by hour block and by depression class, and the classes' shares of the moves."""
    change = np.diff(t_dp)
    idx = np.flatnonzero(change != 0.0)
    sign = np.sign(change[idx])
    rev = sign[1:] != sign[:-1]
    middle = idx[1:]  # the hour between the previous non-zero change and this one's start
    hour = middle % 24
    dep = (t_db - t_dp)[middle]
    by_hour = np.array([rev[(hour >= a) & (hour < b)].mean() for a, b in BLOCKS])
    by_dep = np.array(
        [rev[(dep >= a) & (dep < b)].mean() if np.any((dep >= a) & (dep < b)) else np.nan for a, b in DEPS]
    )
    share = np.array([np.mean((dep >= a) & (dep < b)) for a, b in DEPS])
    night_low = (dep < 1.0) & ((hour >= 20) | (hour < 8))
    return {
        "all": np.array([rev.mean()]),
        "hour": by_hour,
        "dep": by_dep,
        "share": share,
        "night_low": np.array([rev[night_low].mean() if night_low.any() else np.nan, night_low.mean()]),
    }


def step_lag1(t_db: np.ndarray, t_dp: np.ndarray, below: float = FLOOR_MAX) -> float:
    """Lag-1 autocorrelation of the depression's hourly change over runs where three consecutive depressions are below ``below``."""
    dep = t_db - t_dp
    d = np.diff(dep)
    ok = (dep[2:] < below) & (dep[1:-1] < below) & (dep[:-2] < below)
    a, b = d[:-1][ok], d[1:][ok]
    return float(np.sum(a * b) / np.sqrt(np.sum(a * a) * np.sum(b * b))) if ok.sum() > 2 else float("nan")


def step_sd(t_db: np.ndarray, t_dp: np.ndarray, below: float = FLOOR_MAX) -> float:
    """RMS of the depression's hourly change over pairs of hours both below ``below`` (gen13's ``depression_step_sd``)."""
    dep = t_db - t_dp
    pair = (dep[1:] < below) & (dep[:-1] < below)
    return float(np.sqrt(np.mean(np.diff(dep)[pair] ** 2))) if pair.any() else float("nan")


def night_fall(t_db: np.ndarray, t_dp: np.ndarray) -> np.ndarray:
    """Mean hourly change of the dry bulb and of the dew point from a night hour (20-6 h) whose depression is below 1 K."""
    hour = np.arange(t_db.size - 1) % 24
    sel = ((t_db - t_dp)[:-1] < 1.0) & ((hour >= 20) | (hour < 6))
    return np.array([np.diff(t_db)[sel].mean(), np.diff(t_dp)[sel].mean()])


def fmt(x: np.ndarray) -> str:
    return " ".join(f"{v:5.3f}" for v in x)


def main(seeds: int, keys: list[str]) -> None:
    for key in keys:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ds, _ = weather.read_epw(SHARED_WEATHER / EPW_FILES[key])
        rec = (ds["t_db"].to_numpy(), ds["t_dp"].to_numpy())
        site = sites.load(key)
        var = gen.as_variability(site.variability)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            years = [year_with(site, var, seed=s) for s in range(seeds)]
        got = [(y["t_db"].to_numpy(), y["t_dp"].to_numpy()) for y in years]
        r = reversals(*rec)
        g = {k: np.mean([reversals(*x)[k] for x in got], axis=0) for k in r}
        gr = {k: np.mean([reversals(np.round(a, 1), np.round(b, 1))[k] for a, b in got], axis=0) for k in r}
        print(f"== {key}: record / generated (seeds 0-{seeds - 1}) / generated rounded to 0.1 K")
        for k, label in (
            ("all", "reversal"),
            ("hour", "by hour 0-4 … 20-24"),
            ("dep", "by depression <1, 1-3, >3 K"),
            ("share", "moves' share <1, 1-3, >3 K"),
            ("night_low", "night (20-8 h) below 1 K: rev, share"),
        ):
            print(f"  {label:38s} {fmt(r[k])} | {fmt(g[k])} | {fmt(gr[k])}")
        print(
            f"  depression step lag-1 below 1 K: {step_lag1(*rec):+.3f} | {np.mean([step_lag1(*x) for x in got]):+.3f}"
        )
        print(
            f"  night below 1 K: mean hourly change of the dry bulb, dew point {fmt(night_fall(*rec))} | "
            f"{fmt(np.mean([night_fall(*x) for x in got], axis=0))}"
        )
        print(f"  depression step SD below 1 K: {step_sd(*rec):.3f} | {np.mean([step_sd(*x) for x in got]):.3f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2, sys.argv[2:] or list(EPW_FILES))
