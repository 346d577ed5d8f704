"""The humid tail's shape: the dew point's daily and hourly parts, record against generated years.

Run from a tree's root: ``PYTHONPATH=. python tests/weather/dew_tail.py [seeds] [sites…]`` (default
ten seeds; Dulles, Qingyang and Gui'an). Per site, June–August, record / median of the generated
years: the daily mean dew point's anomaly about its 31-day running mean (SD, skewness, 5th, 95th and
99th percentiles), the hourly dew point about its day's mean (SD, 1st, 99th and 99.9th percentiles)
and about its 744-hour running mean (SD, skewness, 99th percentile), and the 0.4 % and 1 % wet bulb;
month by month the table's ``t_dew_skew`` against the generated years'
(:func:`weather.generator.hourly_anomaly_skew`, the definition ``--derive`` uses); the dew point of
the 0.4 % wet bulb's hours split into the months' mean + the day's anomaly + the hour's (about the
day's mean), with their dry bulb, and their months; and the dew point about the day's mean by hour on the hottest
tenth of the summer days (by the daily mean dry bulb's anomaly).
"""

from __future__ import annotations

import sys
import warnings

import numpy as np
import pandas as pd
import xarray as xr
from scipy import stats

import sites
import weather
from tests.conftest import EPW_FILES, SHARED_WEATHER
from twin.engine.weather_source import site_weather
from weather import generator as gen
from weather.validation import design_conditions, wet_bulb_of

SUMMER = (5, 6, 7)
"""June–August, months 0 … 11."""

COLUMNS = ("d_sd", "d_skew", "d_p05", "d_p95", "d_p99", "w_sd", "w_p01", "w_p99", "w_p999", "h_sd", "h_skew", "h_p99")


def _about_running_mean(x: np.ndarray, window: int) -> np.ndarray:
    s = pd.Series(x)
    return (s - s.rolling(window, center=True, min_periods=1).mean()).to_numpy()


def tail_statistics(ds) -> dict[str, np.ndarray]:
    """The summer statistics of :data:`COLUMNS`, the months' ``t_dew_skew``, the wet bulb's levels,
    the 0.4 % wet bulb's hours split, and the hot days' dew point about their mean by hour."""
    td, tdb = ds["t_dp"].to_numpy(), ds["t_db"].to_numpy()
    n = td.size // 24
    month_h = ds["time"].dt.month.to_numpy() - 1
    month_d = month_h[::24]
    day, day_t = td.reshape(n, 24).mean(axis=1), tdb.reshape(n, 24).mean(axis=1)
    ad, at = _about_running_mean(day, 31), _about_running_mean(day_t, 31)
    ah = _about_running_mean(td, 31 * 24)
    within = td - np.repeat(day, 24)
    sd, sh = np.isin(month_d, SUMMER), np.isin(month_h, SUMMER)
    out = {
        "d_sd": np.std(ad[sd], ddof=1),
        "d_skew": stats.skew(ad[sd]),
        "d_p05": np.percentile(ad[sd], 5),
        "d_p95": np.percentile(ad[sd], 95),
        "d_p99": np.percentile(ad[sd], 99),
        "w_sd": np.std(within[sh]),
        "w_p01": np.percentile(within[sh], 1),
        "w_p99": np.percentile(within[sh], 99),
        "w_p999": np.percentile(within[sh], 99.9),
        "h_sd": np.std(ah[sh]),
        "h_skew": stats.skew(ah[sh]),
        "h_p99": np.percentile(ah[sh], 99),
        "skew": gen.hourly_anomaly_skew(td, month_h),
    }
    levels = design_conditions(ds)
    out["wb"] = np.array([levels["wb_0.4"], levels["wb_1"]])
    top = wet_bulb_of(ds) >= levels["wb_0.4"]
    month_mean = np.bincount(month_h, weights=td, minlength=12) / np.bincount(month_h, minlength=12)
    out["split"] = np.array(
        [
            td[top].mean(),
            month_mean[month_h][top].mean(),
            (np.repeat(day, 24) - month_mean[month_h])[top].mean(),
            within[top].mean(),
            tdb[top].mean(),
        ]
    )
    out["months"] = np.bincount(month_h[top], minlength=12).astype(float)
    hot = at[sd] >= np.percentile(at[sd], 90)
    out["hot_profile"] = within.reshape(n, 24)[sd][hot].mean(axis=0)
    return out


def record_and_site(key: str) -> tuple[xr.Dataset, sites.Site, gen.Variability] | None:
    """The site's record in ``../shared/weather``, its site file and its variability table; ``None``
    (and a line saying so) where the record is not there."""
    path = SHARED_WEATHER / EPW_FILES[key]
    if not path.is_file():
        print(f"{key}: no record at {path}")
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        real, _ = weather.read_epw(path)
    site = sites.load(key)
    return real, site, gen.as_variability(site.variability)


def main(argv: list[str]) -> int:
    seeds = int(argv[0]) if argv else 10
    keys = argv[1:] or ["us_dulles", "qingyang", "guian"]
    print(
        "June–August, record / generated median: daily anomaly SD, skew, p5, p95, p99 | hourly about the "
        "day's mean SD, p1, p99, p99.9 | hourly about its running mean SD, skew, p99 | wet bulb 0.4 %, 1 % (K, °C)"
    )
    for key in keys:
        found = record_and_site(key)
        if found is None:
            continue
        real, site, var = found
        r = tail_statistics(real)
        years = [tail_statistics(site_weather(site, seed=s)[0]) for s in range(seeds)]
        g = {k: np.median([y[k] for y in years], axis=0) for k in r}
        g["split"] = np.mean([y["split"] for y in years], axis=0)
        g["months"] = np.mean([y["months"] for y in years], axis=0)
        g["hot_profile"] = np.mean([y["hot_profile"] for y in years], axis=0)
        print(key)
        for label, d in (("record", r), ("generated", g)):
            print(
                f"  {label:10s}"
                + " ".join(f"{float(d[k]):+6.2f}" for k in COLUMNS)
                + " | "
                + " ".join(f"{x:5.2f}" for x in d["wb"])
            )
        print("  t_dew_skew table     " + " ".join(f"{x:+5.2f}" for x in var.t_dew_skew))
        print("  t_dew_skew generated " + " ".join(f"{x:+5.2f}" for x in g["skew"]))
        print(
            "  0.4 % wet bulb's hours: dew point = month + day + hour, dry bulb: record "
            + " ".join(f"{x:.2f}" for x in r["split"])
            + ", generated "
            + " ".join(f"{x:.2f}" for x in g["split"])
        )
        print(
            "  0.4 % wet bulb's hours by month, January–December: record "
            + " ".join(f"{x:.0f}" for x in r["months"])
            + ", generated "
            + " ".join(f"{x:.1f}" for x in g["months"])
        )
        for label, d in (("record", r), ("generated", g)):
            print(f"  hottest tenth of days, dew point about the day's mean, 0–23 h, {label}: ")
            print("    " + " ".join(f"{x:+.1f}" for x in d["hot_profile"]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
