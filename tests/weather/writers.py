"""Writers of every weather format the readers take, for tests: a generated year in, a file out.

They let the reader tests run on a clean clone (no files outside the repository): a year from
:func:`weather.generator.typical_year` is written in each format and read back.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

import sites

EPW_FIELDS = 35


def generated_year(key: str = "qingyang", seed: int = 0, year: int = 2021) -> tuple[xr.Dataset, dict]:
    """A generated typical year for a library site: ``(Dataset, meta)``."""
    from twin.engine.weather_source import site_weather

    return site_weather(sites.load(key), seed=seed, year=year)


def _stamps(ds: xr.Dataset) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(ds["time"].to_numpy())


def epw_lines(ds: xr.Dataset, meta: dict, source: str = "CSWD", place: dict | None = None) -> list[str]:
    """EPW text lines (8 header lines, then one line per hour, hour ending 1…24)."""
    loc = {
        "latitude": meta["latitude"],
        "longitude": meta["longitude"],
        "utc_offset_h": meta["utc_offset_h"],
        "elevation": meta["elevation"],
    } | (place or {})
    head = [
        f"LOCATION,Test Station,GS,CHN,{source},539230,{loc['latitude']:.2f},{loc['longitude']:.2f},"
        f"{loc['utc_offset_h']:.1f},{loc['elevation']:.1f}",
        "DESIGN CONDITIONS,0",
        "TYPICAL/EXTREME PERIODS,0",
        "GROUND TEMPERATURES,0",
        "HOLIDAYS/DAYLIGHT SAVINGS,No,0,0,0",
        "COMMENTS 1,written by tests/weather/writers.py",
        "COMMENTS 2,",
        "DATA PERIODS,1,1,Data,Sunday, 1/ 1,12/31",
    ]
    t = _stamps(ds)
    end = t + pd.Timedelta(hours=1)
    hour = np.where(end.hour == 0, 24, end.hour)
    rows = []
    v = {k: ds[k].to_numpy() for k in ("t_db", "t_dp", "rh", "p_air", "ghi", "dni", "dhi", "wind_speed")}
    for i, ts in enumerate(t):
        f = [
            str(ts.year),
            str(ts.month),
            str(ts.day),
            str(hour[i]),
            "60",
            "?9?9?9?9E0?9?9?9*9*9?9?9?9?9?9?9?9?9*_*9*9*9*9*9",
            f"{v['t_db'][i]:.1f}",
            f"{v['t_dp'][i]:.1f}",
            f"{v['rh'][i]:.0f}",
            f"{v['p_air'][i]:.0f}",
            "9999",
            "9999",
            "9999",
            f"{v['ghi'][i]:.0f}",
            f"{v['dni'][i]:.0f}",
            f"{v['dhi'][i]:.0f}",
            "999999",
            "999999",
            "999999",
            "9999",
            "180",
            f"{v['wind_speed'][i]:.1f}",
            "99",
            "99",
            "9999",
            "99999",
            "9",
            "999999999",
            "999",
            "0.999",
            "999",
            "99",
            "999",
            "999",
            "99",
        ]
        rows.append(",".join(f))
    return head + rows


def write_epw(path: Path, ds: xr.Dataset, meta: dict, **kw) -> Path:
    path.write_text("\n".join(epw_lines(ds, meta, **kw)) + "\n", encoding="latin-1")
    return path


TMY3_HEADER = [
    "Date (MM/DD/YYYY)",
    "Time (HH:MM)",
    "GHI (W/m^2)",
    "DNI (W/m^2)",
    "DHI (W/m^2)",
    "Dry-bulb (C)",
    "Dew-point (C)",
    "RHum (%)",
    "Pressure (mbar)",
    "Wspd (m/s)",
]


def tmy3_lines(ds: xr.Dataset, meta: dict) -> list[str]:
    """TMY3 text lines (NREL/TP-581-43156 layout, the columns the reader uses)."""
    head = [
        f'539230,"TEST STATION",GS,{meta["utc_offset_h"]:.1f},{meta["latitude"]:.3f},'
        f"{meta['longitude']:.3f},{meta['elevation']:.0f}",
        ",".join(TMY3_HEADER),
    ]
    t = _stamps(ds)
    end = t + pd.Timedelta(hours=1)
    v = {k: ds[k].to_numpy() for k in ("t_db", "t_dp", "rh", "p_air", "ghi", "dni", "dhi", "wind_speed")}
    rows = []
    for i, ts in enumerate(t):
        hour = 24 if end[i].hour == 0 else end[i].hour
        rows.append(
            f"{ts.month:02d}/{ts.day:02d}/1990,{hour:02d}:00,"
            f"{v['ghi'][i]:.0f},{v['dni'][i]:.0f},{v['dhi'][i]:.0f},"
            f"{v['t_db'][i]:.1f},{v['t_dp'][i]:.1f},{v['rh'][i]:.0f},"
            f"{v['p_air'][i] / 100:.0f},{v['wind_speed'][i]:.1f}"
        )
    return head + rows


def write_tmy3(path: Path, ds: xr.Dataset, meta: dict) -> Path:
    path.write_text("\n".join(tmy3_lines(ds, meta)) + "\n", encoding="latin-1")
    return path


def pvgis_document(ds: xr.Dataset, meta: dict, pressure: bool = True) -> dict:
    """A PVGIS 5.2 'tmy' JSON document (UTC stamps of year 2010) of a local-time year."""
    utc = _stamps(ds) - pd.Timedelta(hours=meta["utc_offset_h"])
    v = {k: ds[k].to_numpy().tolist() for k in ("t_db", "rh", "p_air", "ghi", "dni", "dhi", "wind_speed")}
    rows = []
    for i, ts in enumerate(utc):
        row = {
            "time(UTC)": ts.replace(year=2010).strftime("%Y%m%d:%H%M"),
            "T2m": v["t_db"][i],
            "RH": v["rh"][i],
            "G(h)": v["ghi"][i],
            "Gb(n)": v["dni"][i],
            "Gd(h)": v["dhi"][i],
            "IR(h)": 300.0,
            "WS10m": v["wind_speed"][i],
            "WD10m": 180.0,
        }
        if pressure:
            row["SP"] = v["p_air"][i]
        rows.append(row)
    rows.sort(key=lambda r: r["time(UTC)"])
    return {
        "inputs": {
            "location": {"latitude": meta["latitude"], "longitude": meta["longitude"], "elevation": meta["elevation"]}
        },
        "outputs": {"months_selected": [{"month": m, "year": 2010} for m in range(1, 13)], "tmy_hourly": rows},
        "meta": {"inputs": {}},
    }


def write_pvgis_json(path: Path, ds: xr.Dataset, meta: dict, pressure: bool = True) -> Path:
    path.write_text(json.dumps(pvgis_document(ds, meta, pressure)))
    return path


def write_era5(path: Path, ds: xr.Dataset, meta: dict, grid: bool = False) -> Path:
    """An ERA5-named NetCDF of a local-time year: UTC stamps, ssrd accumulated over the hour ending at each.

    One stamp more than the year carries the last hour's radiation, so the reader returns the
    whole year.
    """
    utc = _stamps(ds) - pd.Timedelta(hours=meta["utc_offset_h"])
    utc = utc.append(pd.DatetimeIndex([utc[-1] + pd.Timedelta(hours=1)]))

    def ext(a: np.ndarray) -> np.ndarray:
        return np.concatenate([a, a[-1:]])

    data = {
        "t2m": ext(ds["t_db"].to_numpy() + 273.15),
        "d2m": ext(ds["t_dp"].to_numpy() + 273.15),
        "sp": ext(ds["p_air"].to_numpy()),
        "u10": ext(ds["wind_speed"].to_numpy() * 0.6),
        "v10": ext(ds["wind_speed"].to_numpy() * 0.8),
        # ssrd at stamp t accumulates the hour ending at t: GHI of the interval starting at t - 1 h.
        "ssrd": np.concatenate([[0.0], ds["ghi"].to_numpy()]) * 3600.0,
    }
    lats = [meta["latitude"] + 0.25, meta["latitude"]] if grid else [meta["latitude"]]
    lons = [meta["longitude"], meta["longitude"] + 0.25] if grid else [meta["longitude"]]
    out = xr.Dataset(
        {
            k: (
                ("valid_time", "latitude", "longitude"),
                np.broadcast_to(v[:, None, None], (len(v), len(lats), len(lons))).copy(),
            )
            for k, v in data.items()
        },
        coords={"valid_time": utc.to_numpy(), "latitude": lats, "longitude": lons},
    )
    out.to_netcdf(path, engine="h5netcdf")
    return path


def write_csv(path: Path, ds: xr.Dataset, names: dict[str, str] | None = None) -> Path:
    """A CSV with a ``time`` column and one column per variable, named ``t_db [degC]`` (as ``twin weather --csv``)."""
    df = ds[[v for v in ("t_db", "t_dp", "rh", "p_air", "ghi", "dni", "dhi", "wind_speed") if v in ds]].to_dataframe()
    df.columns = [(names or {}).get(c, f"{c} [{ds[c].attrs.get('units', '')}]") for c in df.columns]
    df.index.name = "time"
    df.to_csv(path)
    return path
