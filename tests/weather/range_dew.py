"""The day's humidity against its range, its warmth and its sunshine: record against generated years.

Run from a tree's root: ``PYTHONPATH=. python tests/weather/range_dew.py [seeds] [sites…]`` (default
ten seeds; the five sites with a record in ``../shared/weather``). Per site and summer month (June,
July, August; the days of the calendar month, each daily value about its month's mean), record /
generated mean (SD over seeds 0…``seeds``−1): the correlation of the day's mean dew point with its
range of dry bulb, the same given the day's mean dry bulb (partial), the day's mean dew point with
its mean dry bulb and with its global horizontal irradiation; then over June–August the range of the
most humid twentieth of days minus the month's mean range, K, and month by month the same partial
correlation over the month and its neighbours (:func:`weather.generator.range_dew_pcorr`; the
statistic of session 18's ``t_range_dew_pcorr``, tried and left out), record / the site table's
``t_range_dew_pcorr`` where a tree's tables carry it / generated years.
"""

from __future__ import annotations

import sys
import warnings

import numpy as np
import xarray as xr

import sites
import weather
from tests.conftest import EPW_FILES, SHARED_WEATHER
from tests.weather.design_report import about_month, partial_corr, year_with
from weather import generator as gen

SUMMER = (6, 7, 8)
"""June, July, August (1 … 12)."""


def daily_values(ds: xr.Dataset) -> dict[str, np.ndarray]:
    """Per day: ``month`` (1 … 12), mean dew point ``dew``, mean dry bulb ``t``, range of dry bulb
    ``range`` and global horizontal irradiation ``ghi`` (Wh/m² per day)."""
    t, td, ghi = (ds[v].to_numpy().reshape(-1, 24) for v in ("t_db", "t_dp", "ghi"))
    return {
        "month": ds["time"].dt.month.to_numpy()[::24],
        "dew": td.mean(axis=1),
        "t": t.mean(axis=1),
        "range": t.max(axis=1) - t.min(axis=1),
        "ghi": ghi.sum(axis=1),
    }


def month_links(ds: xr.Dataset, month: int) -> dict[str, float]:
    """The four correlations of :func:`month_links`' table over the days of one month (1 … 12)."""
    d = daily_values(ds)
    keep = d["month"] == month
    a = {k: about_month(v, d["month"])[keep] for k, v in d.items() if k != "month"}
    return {
        "range": float(np.corrcoef(a["dew"], a["range"])[0, 1]),
        "partial": partial_corr(a["range"], a["dew"], a["t"]),
        "t": float(np.corrcoef(a["dew"], a["t"])[0, 1]),
        "ghi": float(np.corrcoef(a["dew"], a["ghi"])[0, 1]),
    }


def humid_days_range(ds: xr.Dataset, share: float = 0.05) -> float:
    """Mean range of the most humid ``share`` of June–August days (by the day's mean dew point about
    its month's mean) minus their month's mean range, K."""
    d = daily_values(ds)
    keep = np.isin(d["month"], SUMMER)
    dew, rng = (about_month(d[k], d["month"])[keep] for k in ("dew", "range"))
    top = dew >= np.quantile(dew, 1.0 - share)
    return float(rng[top].mean())


def table_statistic(ds: xr.Dataset) -> np.ndarray:
    """:func:`weather.generator.range_dew_pcorr` of a year, 12 values."""
    d = daily_values(ds)
    return gen.range_dew_pcorr(d["range"], d["dew"], d["t"], d["month"] - 1)


def main(argv: list[str]) -> int:
    warnings.filterwarnings("ignore")
    seeds = int(argv[0]) if argv else 10
    keys = argv[1:] or list(EPW_FILES)
    for key in keys:
        real, _ = weather.read_epw(SHARED_WEATHER / EPW_FILES[key])
        site = sites.load(key)
        var = gen.as_variability(site.variability) if site.variability is not None else gen.DEFAULT_VARIABILITY
        years = [year_with(site, var, s) for s in range(seeds)]
        print(f"{key}: record / generated mean (SD over seeds 0…{seeds - 1})")
        print("| month | dew–range | dew–range given mean dry bulb | dew–mean dry bulb | dew–GHI |")
        for m in SUMMER:
            r = month_links(real, m)
            g = [month_links(y, m) for y in years]
            cells = []
            for k in ("range", "partial", "t", "ghi"):
                v = np.array([x[k] for x in g])
                cells.append(f"{r[k]:+.2f} / {v.mean():+.2f} ({v.std(ddof=1):.2f})")
            print(f"| {m} | " + " | ".join(cells) + " |")
        hv = np.array([humid_days_range(y) for y in years])
        print(
            f"most humid twentieth of June–August days, range − month's mean: {humid_days_range(real):+.2f} / "
            f"{hv.mean():+.2f} ({hv.std(ddof=1):.2f}) K"
        )
        stat = np.array([table_statistic(y) for y in years])
        table = getattr(var, "t_range_dew_pcorr", None)
        print(
            "range–dew partial correlation over the month and its neighbours, month: record / table / generated mean (SD)"
        )
        rec = table_statistic(real)
        print(
            "  "
            + "; ".join(
                f"{m + 1} {rec[m]:+.2f} / {'—' if table is None else f'{table[m]:+.2f}'} / "
                f"{stat[:, m].mean():+.2f} ({stat[:, m].std(ddof=1):.2f})"
                for m in range(12)
            )
        )
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
