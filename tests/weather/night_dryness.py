"""The night's cooling against the air's dryness, the coldest hours and the wet-bulb tail's hours, record against generated years.

Run from a tree's root: ``PYTHONPATH=. python tests/weather/night_dryness.py [seeds] [sites…]`` (seeds
0…N−1, default 10; default every site with a record in ``../shared/weather``). Per site, record /
generated mean:

1. the winter months (November–March), each day's values about its month's mean: the correlation and
   the least-squares slope of the daily range and of the night's fall (18 h to the next morning's
   minimum, 0–9 h) on the day's mean dew-point depression and on its mean dew point, and the partial
   correlation of each with the day's mean dew point given its mean dry bulb (dry air, given the
   temperature, cools more at night);
2. per month (the month and its two neighbours): that partial correlation of the daily range, the
   partial correlation of the daily minimum with the day's mean dew point given the daily maximum,
   and the correlation of the daily maximum and minimum (``t_max_min_corr``, which the generator is
   given);
3. the year's 35 coldest hours (its 99.6 % dry bulb): their dew point, depression, their day's mean
   below the month's, the hour below its day's mean, the day's range, the day's mean dew point below
   the month's;
4. the hours at or above the year's 0.4 % wet bulb: their dry bulb and dew point, each split into the
   months' mean + the day's anomaly + the hour's part (as ``design_report --humid``), and their months
   and hours of day.
"""

from __future__ import annotations

import sys
import warnings

import numpy as np
import xarray as xr

import sites
import weather
from tests.conftest import EPW_FILES, SHARED_WEATHER
from tests.weather.design_report import about_month, partial_corr
from twin.engine.weather_source import site_weather
from weather.validation import wet_bulb_of

WINTER = (11, 12, 1, 2, 3)
COLD_HOURS = 35


def day_anomalies(ds: xr.Dataset) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Month (0 … 11) of each day and each day's values about its month's mean, K."""
    t = ds["t_db"].to_numpy().reshape(-1, 24)
    td = ds["t_dp"].to_numpy().reshape(-1, 24)
    month = ds["time"].dt.month.to_numpy()[::24] - 1
    fall = t[:, 18] - np.r_[t[1:, :10].min(axis=1), np.nan]
    raw = {
        "range": t.max(axis=1) - t.min(axis=1),
        "fall": fall,
        "dep": (t - td).mean(axis=1),
        "tdm": td.mean(axis=1),
        "tm": t.mean(axis=1),
        "tmax": t.max(axis=1),
        "tmin": t.min(axis=1),
    }
    return month, {k: about_month(v, month) for k, v in raw.items()}


def winter_links(ds: xr.Dataset) -> dict[str, float]:
    """Table 1: correlations, slopes (K per K) and partial correlations over the winter days."""
    month, a = day_anomalies(ds)
    keep = np.isin(month + 1, WINTER) & np.isfinite(a["fall"])
    out = {}
    for y in ("range", "fall"):
        for x in ("dep", "tdm"):
            out[f"{y}~{x} r"] = float(np.corrcoef(a[x][keep], a[y][keep])[0, 1])
            out[f"{y}~{x} slope"] = float(np.polyfit(a[x][keep], a[y][keep], 1)[0])
        out[f"{y}~tdm|tm"] = partial_corr(a[y][keep], a["tdm"][keep], a["tm"][keep])
    return out


def monthly_links(ds: xr.Dataset) -> dict[str, np.ndarray]:
    """Table 2: per month, over the month and its neighbours (the maximum–minimum correlation: the month)."""
    month, a = day_anomalies(ds)
    around = [np.isin(month, [(m - 1) % 12, m, (m + 1) % 12]) for m in range(12)]
    return {
        "range~tdm|tm": np.array([partial_corr(a["range"][k], a["tdm"][k], a["tm"][k]) for k in around]),
        "tmin~tdm|tmax": np.array([partial_corr(a["tmin"][k], a["tdm"][k], a["tmax"][k]) for k in around]),
        "r(tmax,tmin)": np.array([np.corrcoef(a["tmax"][month == m], a["tmin"][month == m])[0, 1] for m in range(12)]),
    }


def coldest_hours(ds: xr.Dataset, hours: int = COLD_HOURS) -> dict[str, float]:
    """Table 3: means over the year's ``hours`` coldest hours, °C / K."""
    t, td = ds["t_db"].to_numpy(), ds["t_dp"].to_numpy()
    month = ds["time"].dt.month.to_numpy() - 1
    idx = np.argsort(t, kind="stable")[:hours]
    day_t, day_td = (np.repeat(v.reshape(-1, 24).mean(axis=1), 24) for v in (t, td))
    day = t.reshape(-1, 24)
    day_range = np.repeat(day.max(axis=1) - day.min(axis=1), 24)
    return {
        "dew point": float(td[idx].mean()),
        "depression": float((t - td)[idx].mean()),
        "day - month": float(about_month(day_t, month)[idx].mean()),
        "hour - day": float((t - day_t)[idx].mean()),
        "range": float(day_range[idx].mean()),
        "day dew - month": float(about_month(day_td, month)[idx].mean()),
    }


def wet_bulb_hours(ds: xr.Dataset, percentile: float = 99.6) -> dict[str, np.ndarray | float]:
    """Table 4: the hours at or above the year's wet bulb ``percentile`` and the parts of their dry bulb and dew point."""
    t, td = ds["t_db"].to_numpy(), ds["t_dp"].to_numpy()
    month = ds["time"].dt.month.to_numpy() - 1
    wb = wet_bulb_of(ds)
    top = wb >= np.percentile(wb, percentile)
    out: dict[str, np.ndarray | float] = {"wet bulb": float(np.percentile(wb, percentile))}
    for name, v in (("t", t), ("td", td)):
        day = np.repeat(v.reshape(-1, 24).mean(axis=1), 24)
        month_mean = day - about_month(day, month)
        out[name] = float(v[top].mean())
        out[f"{name} month"] = float(month_mean[top].mean())
        out[f"{name} day"] = float((day - month_mean)[top].mean())
        out[f"{name} hour"] = float((v - day)[top].mean())
    out["months"] = np.bincount(month[top], minlength=12).astype(float)
    out["hours"] = np.bincount((np.arange(t.size) % 24)[top], minlength=24).astype(float)
    return out


def _pair(rec: float, gen: float) -> str:
    return f"{rec:+.2f} / {gen:+.2f}"


def main(argv: list[str]) -> int:
    """Print the four tables for each site; returns 0."""
    seeds = int(argv[0]) if argv else 10
    keys = argv[1:] or list(EPW_FILES)
    print(f"record / generated (mean over seeds 0…{seeds - 1})")
    for key in keys:
        real, _ = weather.read_epw(SHARED_WEATHER / EPW_FILES[key])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            years = [site_weather(sites.load(key), seed=s)[0] for s in range(seeds)]
        print(f"== {key}")
        rec, gens = winter_links(real), [winter_links(y) for y in years]
        print("  1. winter days: " + "; ".join(f"{k} {_pair(rec[k], np.mean([g[k] for g in gens]))}" for k in rec))
        mrec, mgen = monthly_links(real), [monthly_links(y) for y in years]
        for k in mrec:
            gen_mean = np.mean([g[k] for g in mgen], axis=0)
            print(f"  2. {k:14s} record    " + " ".join(f"{x:+.2f}" for x in mrec[k]))
            print(f"     {'':14s} generated " + " ".join(f"{x:+.2f}" for x in gen_mean))
        crec, cgen = coldest_hours(real), [coldest_hours(y) for y in years]
        print("  3. coldest hours: " + "; ".join(f"{k} {_pair(crec[k], np.mean([g[k] for g in cgen]))}" for k in crec))
        wrec, wgen = wet_bulb_hours(real), [wet_bulb_hours(y) for y in years]
        scalars = [k for k in wrec if k not in ("months", "hours")]
        print(
            "  4. wet bulb 0.4 % hours: "
            + "; ".join(f"{k} {_pair(float(wrec[k]), float(np.mean([g[k] for g in wgen])))}" for k in scalars)
        )
        for k in ("months", "hours"):
            gen_mean = np.mean([g[k] for g in wgen], axis=0)
            print(f"     by {k[:-1]}: record " + " ".join(f"{x:.0f}" for x in np.asarray(wrec[k])))
            print(f"     {'':{len(k) + 2}s}generated " + " ".join(f"{x:.1f}" for x in gen_mean))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
