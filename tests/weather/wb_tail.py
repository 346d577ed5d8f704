"""The 0.4 % wet bulb's hours and the summer's humid days: record against many generated years.

Run from a tree's root: ``PYTHONPATH=. python tests/weather/wb_tail.py [seeds] [first] [sites…]``
(default 100 seeds from 100, the ``--expected`` set of ``design_report.py``; Karamay, Dulles and
Qingyang). Per site, record / mean over the generated years:

- the hours at or above the year's 0.4 % wet bulb: their count, wet bulb, dry bulb and dew point,
  the dew point split into the months' mean + the day's anomaly (the day's mean about its month's)
  + the hour's deviation (about the day's mean), the day's mean dry bulb about its month's, the
  day's range of dry bulb and global horizontal irradiation about their month's; the share of the
  hours on the two days that hold most of them, at night (21–06 h) and in each month; their hours
  by hour of day (0–23 h);
- June–August: the daily mean dew point's anomaly about its month's mean, its SD, skewness, 95th
  and 99th percentiles, and the mean dry bulb anomaly of the most humid twentieth of days;
- ``t_dew_skew`` June–August, the table's and the generated years'
  (:func:`weather.generator.hourly_anomaly_skew`, the definition ``--derive`` uses), and the daily
  mean dew point's skewness over each month and its neighbours (:func:`daily_skew`).
"""

from __future__ import annotations

import sys

import numpy as np
import xarray as xr
from scipy import stats

from tests.weather.design_report import about_month
from tests.weather.dew_tail import record_and_site
from twin.engine.weather_source import site_weather
from weather import generator as gen
from weather.validation import design_conditions, wet_bulb_of

SUMMER = (6, 7, 8)
"""June, July, August (1 … 12)."""

SPLIT = ("n", "wb", "db", "dew", "dew_month", "dew_day", "dew_hour", "t_day", "range", "ghi", "two_days", "night")
"""The scalar statistics of the 0.4 % wet bulb's hours, in :func:`tail_hours`' order."""

DAILY = ("d_sd", "d_skew", "d_p95", "d_p99", "humid_t")
"""The June–August statistics of the daily dew point, in :func:`summer_days`' order."""


def tail_hours(ds: xr.Dataset) -> dict[str, np.ndarray]:
    """The hours at or above the 0.4 % wet bulb: :data:`SPLIT` as ``split``, their months
    (``months``, 12 counts) and hours of day (``hours``, 24 counts)."""
    t, td, ghi = (ds[v].to_numpy() for v in ("t_db", "t_dp", "ghi"))
    wb = wet_bulb_of(ds)
    month = ds["time"].dt.month.to_numpy()
    md = month[::24]
    day_td, day_t = td.reshape(-1, 24).mean(axis=1), t.reshape(-1, 24).mean(axis=1)
    rng = t.reshape(-1, 24).max(axis=1) - t.reshape(-1, 24).min(axis=1)
    day_ghi = ghi.reshape(-1, 24).sum(axis=1)
    top = wb >= design_conditions(ds)["wb_0.4"]
    month_td = np.bincount(month, weights=td, minlength=13) / np.maximum(np.bincount(month, minlength=13), 1)
    day_index = np.arange(td.size) // 24
    hour = np.arange(td.size) % 24
    days = np.bincount(day_index[top], minlength=day_td.size)
    two = np.sort(days)[-2:].sum() / top.sum()
    rep = {
        k: np.repeat(v, 24)[top]
        for k, v in (("t", about_month(day_t, md)), ("r", about_month(rng, md)), ("g", about_month(day_ghi, md)))
    }
    split = [
        top.sum(),
        wb[top].mean(),
        t[top].mean(),
        td[top].mean(),
        month_td[month][top].mean(),
        (np.repeat(day_td, 24) - month_td[month])[top].mean(),
        (td - np.repeat(day_td, 24))[top].mean(),
        rep["t"].mean(),
        rep["r"].mean(),
        rep["g"].mean(),
        two,
        np.isin(hour[top], (21, 22, 23, 0, 1, 2, 3, 4, 5, 6)).mean(),
    ]
    return {
        "split": np.array(split, dtype=float),
        "months": np.bincount(month[top], minlength=13)[1:].astype(float),
        "hours": np.bincount(hour[top], minlength=24).astype(float),
    }


def summer_days(ds: xr.Dataset) -> np.ndarray:
    """:data:`DAILY` over June–August: the day's mean dew point about its month's mean (SD, skewness,
    95th and 99th percentiles, K) and the mean dry bulb anomaly of its most humid twentieth, K."""
    t, td = (ds[v].to_numpy().reshape(-1, 24).mean(axis=1) for v in ("t_db", "t_dp"))
    md = ds["time"].dt.month.to_numpy()[::24]
    keep = np.isin(md, SUMMER)
    a, at = about_month(td, md)[keep], about_month(t, md)[keep]
    humid = a >= np.percentile(a, 95)
    return np.array([np.std(a, ddof=1), stats.skew(a), np.percentile(a, 95), np.percentile(a, 99), at[humid].mean()])


def daily_skew(ds: xr.Dataset) -> np.ndarray:
    """:func:`weather.generator.neighbour_skew` of the daily mean dew point, shape (12,)."""
    td = ds["t_dp"].to_numpy().reshape(-1, 24).mean(axis=1)
    return gen.neighbour_skew(td, ds["time"].dt.month.to_numpy()[::24] - 1)


def main(argv: list[str]) -> int:
    n = int(argv[0]) if argv else 100
    first = int(argv[1]) if len(argv) > 1 else 100
    keys = argv[2:] or ["karamay", "us_dulles", "qingyang"]
    print(f"record / mean of seeds {first}…{first + n - 1}")
    for key in keys:
        found = record_and_site(key)
        if found is None:
            continue
        real, site, var = found
        years = [site_weather(site, seed=s)[0] for s in range(first, first + n)]
        r, g = tail_hours(real), [tail_hours(y) for y in years]
        print(key)
        print("  0.4 % wet bulb's hours: " + " ".join(f"{k:>9s}" for k in SPLIT))
        print("    record    " + " ".join(f"{x:9.2f}" for x in r["split"]))
        gs = np.array([y["split"] for y in g])
        print("    generated " + " ".join(f"{x:9.2f}" for x in gs.mean(axis=0)))
        print("    (gen. SD) " + " ".join(f"{x:9.2f}" for x in gs.std(axis=0, ddof=1)))
        print("  by month 1–12, record:    " + " ".join(f"{x:5.0f}" for x in r["months"]))
        print("                 generated: " + " ".join(f"{x:5.1f}" for x in np.mean([y["months"] for y in g], axis=0)))
        print("  by hour 0–23, record:    " + " ".join(f"{x:4.0f}" for x in r["hours"]))
        print("                generated: " + " ".join(f"{x:4.1f}" for x in np.mean([y["hours"] for y in g], axis=0)))
        rd, gd = summer_days(real), np.array([summer_days(y) for y in years])
        print("  June–August daily dew point: " + " ".join(f"{k:>8s}" for k in DAILY))
        print("    record    " + " ".join(f"{x:+8.2f}" for x in rd))
        print("    generated " + " ".join(f"{x:+8.2f}" for x in gd.mean(axis=0)))
        print("    (gen. SD) " + " ".join(f"{x:8.2f}" for x in gd.std(axis=0, ddof=1)))
        skew = np.mean(
            [gen.hourly_anomaly_skew(y["t_dp"].to_numpy(), y["time"].dt.month.to_numpy() - 1) for y in years[:20]],
            axis=0,
        )
        table = np.asarray(var.t_dew_skew)
        print(
            "  t_dew_skew June–August, table / generated (first 20 seeds): "
            + ", ".join(f"{table[m - 1]:+.2f} / {skew[m - 1]:+.2f}" for m in SUMMER)
        )
        daily = [daily_skew(y) for y in years]
        print(
            "  daily mean dew point's skewness (month and neighbours) June–August, record / generated (SD): "
            + ", ".join(
                f"{daily_skew(real)[m - 1]:+.2f} / {np.mean(daily, axis=0)[m - 1]:+.2f} ({np.std(daily, axis=0, ddof=1)[m - 1]:.2f})"
                for m in SUMMER
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
