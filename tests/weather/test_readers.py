"""Weather readers: real EPW files, pvlib's TMY3 files, PVGIS / ERA5 / CSV round trips, bad input."""

from __future__ import annotations

import json
import os
import warnings

import numpy as np
import pandas as pd
import pvlib
import pytest
import xarray as xr

import sites
import weather
from tests.conftest import EPW_FILES, epw_path
from weather.dataset import VARIABLES

PVLIB_DATA = os.path.join(os.path.dirname(pvlib.__file__), "data")


def _check_standard(ds: xr.Dataset, n: int = 8760) -> None:
    assert ds.sizes["time"] == n
    assert set(ds.data_vars) <= set(VARIABLES)
    for v in ds.data_vars:
        assert ds[v].attrs["units"] == VARIABLES[v][0]
        assert ds[v].attrs["long_name"]
        assert np.isfinite(ds[v].to_numpy()).all()
    step = np.diff(ds["time"].to_numpy()).astype("timedelta64[s]").astype(int)
    assert (step == 3600).all()
    assert (ds["t_dp"] <= ds["t_db"] + 1e-9).all()
    assert float(ds["rh"].max()) <= 100.0 + 1e-9


@pytest.mark.parametrize("key", list(EPW_FILES))
def test_real_epw_files(key, real_weather):
    ds, meta = real_weather(key)
    _check_standard(ds)
    assert str(ds.time.values[0])[:16] == "2021-01-01T00:00"  # placeholder years -> one typical year
    assert meta["typical_year"]
    # Monthly mean dry bulb agrees with the site normals (which were derived from these files):
    # a check that rows, hours and months are aligned.
    site = sites.load(key)
    monthly = ds["t_db"].groupby("time.month").mean().to_numpy()
    np.testing.assert_allclose(monthly, site.normals.t_mean_c, atol=0.1)
    assert abs(float(ds["ghi"].sum()) / 1000.0 / sum(site.normals.ghi_kwh_m2) - 1.0) < 0.005
    # Irradiance is zero at night and closes: DNI cos z + DHI = GHI after the re-split.
    sp = weather.dataset.solar_position(
        pd.DatetimeIndex(ds.time.to_numpy()), meta["latitude"], meta["longitude"], meta["utc_offset_h"]
    )
    cosz = np.cos(np.radians(sp["zenith"].to_numpy()))
    night = sp["zenith"].to_numpy() > weather.dataset.NIGHT_ZENITH_DEG
    assert (ds["ghi"].to_numpy()[night] == 0).all()
    if meta["irradiance_resplit"] == "erbs":
        comp = ds["dni"].to_numpy() * np.clip(cosz, 0, None) + ds["dhi"].to_numpy()
        np.testing.assert_allclose(comp, ds["ghi"].to_numpy(), atol=1e-6)


@pytest.mark.parametrize("key", ["qingyang", "guian", "yinchuan", "karamay"])
def test_cswd_direct_diffuse_split_is_resplit_and_said(key, real_weather):
    _, meta = real_weather(key)
    assert meta["irradiance_resplit"] == "erbs"
    assert meta["irradiance_closure_error"] > 0.05
    assert any("Erbs" in n for n in meta["notes"])


@pytest.mark.parametrize(
    ("key", "lag"), [("qingyang", -30), ("guian", -75), ("yinchuan", -60), ("karamay", -30), ("us_dulles", -15)]
)
def test_irradiance_time_lag_is_measured_and_hour_lags_corrected(key, lag, real_weather):
    ds, meta = real_weather(key)
    assert meta["irradiance_lag_min"] == lag
    moved = any("moved" in n for n in meta["notes"])
    assert moved == (abs(lag) >= 45)
    # After the move the series is within half an hour of the sun.
    again = weather.dataset.irradiance_lag_minutes(
        ds["ghi"].to_numpy(),
        pd.DatetimeIndex(ds.time.to_numpy()),
        meta["latitude"],
        meta["longitude"],
        meta["utc_offset_h"],
    )
    assert abs(again) <= 30


@pytest.mark.parametrize("name", ["723170TYA.CSV", "703165TY.csv"])
def test_pvlib_bundled_tmy3(name):
    path = os.path.join(PVLIB_DATA, name)
    ds, meta = weather.read_tmy3(path)
    _check_standard(ds)
    raw, _ = pvlib.iotools.read_tmy3(path, map_variables=True)
    # TMY3 components close against GHI, so they are kept as they are.
    assert meta["irradiance_resplit"] == "none"
    np.testing.assert_allclose(ds["t_db"].to_numpy(), raw["temp_air"].to_numpy())
    np.testing.assert_allclose(ds["p_air"].to_numpy(), raw["pressure"].to_numpy() * 100.0)
    # Hour-ending 01:00 on 1 January is the interval starting 00:00.
    assert str(ds.time.values[0])[11:16] == "00:00"


def _write_epw(path, lines):
    path.write_text("\n".join(lines) + "\n", encoding="latin-1")
    return path


def _epw_lines(key="karamay"):
    return epw_path(key).read_text(encoding="latin-1").splitlines()


def test_truncated_epw_names_line(tmp_path):
    lines = _epw_lines()
    cut = lines[: 8 + 5000]
    cut[-1] = cut[-1][:40]
    with pytest.raises(weather.WeatherError, match=r"line 5008 has \d+ fields, expected 35"):
        weather.read_epw(_write_epw(tmp_path / "cut.epw", cut))
    with pytest.raises(weather.WeatherError, match=r"4999 hourly data rows; a year needs 8760"):
        weather.read_epw(_write_epw(tmp_path / "short.epw", lines[: 8 + 4999]))


def _set_field(line: str, index: int, value: str) -> str:
    f = line.split(",")
    f[index] = value
    return ",".join(f)


def test_short_gap_is_interpolated_with_warning(tmp_path):
    lines = _epw_lines()
    for i in (1000, 1001):  # 2-hour gap in dry bulb (EPW missing code 99.9)
        lines[8 + i] = _set_field(lines[8 + i], 6, "99.9")
    with pytest.warns(weather.WeatherWarning, match="t_db: 2 h gap"):
        ds, meta = weather.read_epw(_write_epw(tmp_path / "gap.epw", lines))
    a, b = float(ds["t_db"][999]), float(ds["t_db"][1002])
    assert float(ds["t_db"][1000]) == pytest.approx(a + (b - a) / 3)
    assert any("interpolated" in n for n in meta["notes"])


def test_long_gap_fails_with_line(tmp_path):
    lines = _epw_lines()
    for i in range(2000, 2005):
        lines[8 + i] = _set_field(lines[8 + i], 8, "NaN")
    with pytest.raises(weather.WeatherError, match=r"rh missing for 5 h from 2021-03-25 08:00:00 \(line 2009\)"):
        weather.read_epw(_write_epw(tmp_path / "nan.epw", lines))


def test_wrong_unit_is_caught(tmp_path):
    t = pd.date_range("2021-01-01", periods=48, freq="h")
    p = tmp_path / "kelvin.csv"
    pd.DataFrame({"time": t, "T": 283.15, "RH": 50.0}).to_csv(p, index=False)  # Kelvin by mistake
    with pytest.raises(
        weather.WeatherError, match=r"t_db = 283.15 degC at 2021-01-01 00:00:00 \(line 2\) is outside -70 … 60"
    ):
        weather.read_csv(
            p, {"t_db": "T", "rh": "RH"}, time_column="time", latitude=36, longitude=107, elevation=0, utc_offset_h=8
        )


def test_not_an_epw(tmp_path):
    p = tmp_path / "x.epw"
    p.write_text("hello\n")
    with pytest.raises(weather.WeatherError, match="not an EPW file"):
        weather.read_epw(p)
    with pytest.raises(weather.WeatherError, match="no such weather file"):
        weather.read_epw(tmp_path / "missing.epw")


def test_leap_year_epw_has_8784_hours(tmp_path):
    lines = _epw_lines()
    head, data = lines[:8], lines[8:]
    feb28 = [ln for ln in data if ln.split(",")[1] == "2" and ln.split(",")[2] == "28"]
    feb29 = [_set_field(ln, 2, "29") for ln in feb28]
    idx = data.index(feb28[-1]) + 1
    ds, _ = weather.read_epw(_write_epw(tmp_path / "leap.epw", head + data[:idx] + feb29 + data[idx:]))
    _check_standard(ds, 8784)
    assert str(ds.time.values[0])[:4] == "2020"
    assert pd.Timestamp(ds.time.values[59 * 24]).strftime("%m-%d") == "02-29"


# ----------------------------------------------------------------------------- CSV
def _frame_from(ds: xr.Dataset) -> pd.DataFrame:
    return ds.to_dataframe().reset_index()


def test_csv_with_column_mapping_round_trip(tmp_path, real_weather):
    ds, meta = real_weather("qingyang")
    df = _frame_from(ds).rename(columns={"time": "Timestamp", "t_db": "Temp (C)", "rh": "Humidity", "ghi": "GHI"})
    p = tmp_path / "station.csv"
    df[["Timestamp", "Temp (C)", "Humidity", "GHI", "wind_speed"]].to_csv(p, index=False)
    loc = {k: meta[k] for k in ("latitude", "longitude", "elevation", "utc_offset_h")}
    got, gmeta = weather.read_csv(
        p,
        {"t_db": "Temp (C)", "rh": "Humidity", "ghi": "GHI", "wind_speed": "wind_speed"},
        time_column="Timestamp",
        **loc,
    )
    _check_standard(got)
    np.testing.assert_allclose(got["t_db"], ds["t_db"])
    # Without pressure in the file the standard atmosphere is used (and said); the dew point
    # then differs only through the enhancement factor's pressure dependence (< 1e-3 K).
    np.testing.assert_allclose(got["t_dp"], ds["t_dp"], atol=1e-3)
    assert any("standard atmosphere" in n for n in gmeta["notes"])
    df[["Timestamp", "Temp (C)", "Humidity", "p_air"]].to_csv(p, index=False)
    got_p, _ = weather.read_csv(
        p, {"t_db": "Temp (C)", "rh": "Humidity", "p_air": "p_air"}, time_column="Timestamp", **loc
    )
    # 2e-4 K: at exactly 0 °C the ice and water saturation branches differ by that much.
    np.testing.assert_allclose(got_p["t_dp"], ds["t_dp"], atol=2e-4)
    # Timestamps that label the end of the hour.
    df2 = df.copy()
    df2["Timestamp"] = df2["Timestamp"] + pd.Timedelta(hours=1)
    df2[["Timestamp", "Temp (C)", "Humidity"]].to_csv(p, index=False)
    got2, _ = weather.read_csv(
        p, {"t_db": "Temp (C)", "rh": "Humidity"}, time_column="Timestamp", time_label="end", **loc
    )
    assert (got2["time"].to_numpy() == ds["time"].to_numpy()).all()


def test_csv_errors(tmp_path):
    loc = {"latitude": 36.0, "longitude": 107.0, "elevation": 1000.0, "utc_offset_h": 8.0}
    t = pd.date_range("2021-01-01", periods=48, freq="h")
    p = tmp_path / "w.csv"
    pd.DataFrame({"time": t, "T": 10.0, "RH": 50.0}).to_csv(p, index=False)
    with pytest.raises(
        weather.WeatherError, match=r"column 'Temp' of the mapping is not in the file; columns are time, T, RH"
    ):
        weather.read_csv(p, {"t_db": "Temp", "rh": "RH"}, time_column="time", **loc)
    with pytest.raises(weather.WeatherError, match=r"unknown variable 'temperature'"):
        weather.read_csv(p, {"temperature": "T"}, time_column="time", **loc)
    pd.DataFrame({"time": pd.date_range("2021-01-01", periods=48, freq="30min"), "T": 10.0, "RH": 50.0}).to_csv(
        p, index=False
    )
    with pytest.raises(weather.WeatherError, match=r"must be hourly and contiguous; step of 0.5 h .* \(line 3\)"):
        weather.read_csv(p, {"t_db": "T", "rh": "RH"}, time_column="time", **loc)
    pd.DataFrame({"time": t, "T": ["x"] + [10.0] * 47, "RH": 50.0}).to_csv(p, index=False)
    with pytest.raises(weather.WeatherError, match=r"line 2: column 'T' value 'x' is not a number"):
        weather.read_csv(p, {"t_db": "T", "rh": "RH"}, time_column="time", **loc)


def test_csv_leap_year_has_8784_hours(tmp_path):
    t = pd.date_range("2020-01-01", periods=8784, freq="h")
    p = tmp_path / "leap.csv"
    pd.DataFrame({"time": t, "T": 10 + 5 * np.sin(np.arange(8784) / 24), "Td": 0.0}).to_csv(p, index=False)
    ds, _ = weather.read_csv(
        p, {"t_db": "T", "t_dp": "Td"}, time_column="time", latitude=36, longitude=107, elevation=0, utc_offset_h=8
    )
    _check_standard(ds, 8784)


# ----------------------------------------------------------------------------- PVGIS
def _write_pvgis_json(path, ds, meta):
    """A PVGIS TMY JSON file (format of PVGIS 5.2 'tmy' output) built from a real year."""
    utc = pd.DatetimeIndex(ds.time.to_numpy()) - pd.Timedelta(hours=meta["utc_offset_h"])
    order = np.argsort(utc.year * 10000 + utc.month * 100 + utc.day + 0)  # keep as is
    rows = []
    for i in range(ds.sizes["time"]):
        ts = utc[i]
        rows.append(
            {
                "time(UTC)": ts.replace(year=2010).strftime("%Y%m%d:%H%M"),
                "T2m": float(ds["t_db"][i]),
                "RH": float(ds["rh"][i]),
                "G(h)": float(ds["ghi"][i]),
                "Gb(n)": float(ds["dni"][i]),
                "Gd(h)": float(ds["dhi"][i]),
                "IR(h)": 300.0,
                "WS10m": float(ds["wind_speed"][i]),
                "WD10m": 180.0,
                "SP": float(ds["p_air"][i]),
            }
        )
    del order
    src = {
        "inputs": {
            "location": {"latitude": meta["latitude"], "longitude": meta["longitude"], "elevation": meta["elevation"]}
        },
        "outputs": {"months_selected": [{"month": m, "year": 2010} for m in range(1, 13)], "tmy_hourly": rows},
        "meta": {"inputs": {}},
    }
    path.write_text(json.dumps(src))
    return path


def test_pvgis_tmy_json_round_trip(tmp_path, real_weather):
    ds, meta = real_weather("karamay")
    p = _write_pvgis_json(tmp_path / "pvgis.json", ds, meta)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", weather.WeatherWarning)
        got, gmeta = weather.read_pvgis_tmy(p, utc_offset_h=8)
    _check_standard(got)
    # UTC -> local standard time, the hours past 31 December wrap to 1 January.
    np.testing.assert_allclose(got["t_db"], ds["t_db"], atol=1e-9)
    np.testing.assert_allclose(got["ghi"], ds["ghi"], atol=1e-6)
    assert gmeta["utc_offset_h"] == 8.0
    txt = tmp_path / "pvgis.txt"
    txt.write_text("")
    with pytest.raises(weather.WeatherError, match=r"must be \.csv or \.json"):
        weather.read_pvgis_tmy(txt)


# ----------------------------------------------------------------------------- ERA5 NetCDF
def _write_era5(path, ds, meta, grid=False):
    utc = pd.DatetimeIndex(ds.time.to_numpy()) - pd.Timedelta(hours=meta["utc_offset_h"])
    kelvin = ds["t_db"].to_numpy() + 273.15
    # ssrd at stamp t accumulates the hour ending at t: GHI of the interval starting at t - 1 h.
    ssrd = np.concatenate([[0.0], ds["ghi"].to_numpy()[:-1]]) * 3600.0
    data = {
        "t2m": kelvin,
        "d2m": ds["t_dp"].to_numpy() + 273.15,
        "sp": ds["p_air"].to_numpy(),
        "u10": ds["wind_speed"].to_numpy() * 0.6,
        "v10": ds["wind_speed"].to_numpy() * 0.8,
        "ssrd": ssrd,
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


def test_era5_netcdf_round_trip(tmp_path, real_weather):
    ds, meta = real_weather("yinchuan")
    p = _write_era5(tmp_path / "era5.nc", ds, meta, grid=True)
    got, _ = weather.read_netcdf(
        p, utc_offset_h=8, latitude=meta["latitude"], longitude=meta["longitude"], elevation=meta["elevation"]
    )
    # The last hour's GHI would be accumulated at a stamp after the file ends: 8759 h.
    _check_standard(got, 8759)
    n = got.sizes["time"]
    np.testing.assert_allclose(got["t_db"], ds["t_db"][:n], atol=1e-9)
    np.testing.assert_allclose(got["t_dp"], ds["t_dp"][:n], atol=1e-9)
    np.testing.assert_allclose(got["wind_speed"], ds["wind_speed"][:n], atol=1e-9)
    np.testing.assert_allclose(got["ghi"], ds["ghi"][:n], atol=1e-6)
    with pytest.raises(weather.WeatherError, match="the file is a grid; give latitude and longitude"):
        weather.read_netcdf(p, utc_offset_h=8)


def test_era5_missing_variable(tmp_path, real_weather):
    ds, meta = real_weather("yinchuan")
    p = _write_era5(tmp_path / "era5.nc", ds, meta)
    x = xr.open_dataset(p, engine="h5netcdf").load().drop_vars("d2m")
    q = tmp_path / "no_d2m.nc"
    x.to_netcdf(q, engine="h5netcdf")
    with pytest.raises(weather.WeatherError, match=r"ERA5 variable 'd2m' \(2 m dew point temperature, K\) is missing"):
        weather.read_netcdf(q, utc_offset_h=8)


def test_read_dispatches_by_extension(tmp_path):
    with pytest.raises(weather.WeatherError, match="cannot tell the format"):
        weather.read(tmp_path / "x.csv")
