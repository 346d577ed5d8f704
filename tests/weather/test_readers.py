"""Weather readers: every format round-trips a generated year written by tests/weather/writers.py
(no file outside the repository needed); real EPW files and pvlib's TMY3 files where present."""

from __future__ import annotations

import os
import warnings

import numpy as np
import pandas as pd
import pvlib
import pytest
import xarray as xr

import sites
import weather
from tests.conftest import EPW_FILES
from tests.weather import writers
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


@pytest.fixture(scope="module")
def year():
    """A generated Qingyang year (seed 0) and its metadata."""
    return writers.generated_year("qingyang", 0)


def _quiet(fn, *a, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", weather.WeatherWarning)
        return fn(*a, **kw)


def _same(got, ds, atol, names=("t_db", "t_dp", "ghi", "wind_speed")):
    for v in names:
        np.testing.assert_allclose(got[v].to_numpy(), ds[v].to_numpy()[: got.sizes["time"]], atol=atol, err_msg=v)


# ----------------------------------------------------------------------------- round trips, every format
def test_epw_round_trip(tmp_path, year):
    ds, meta = year
    p = writers.write_epw(tmp_path / "gen.epw", ds, meta)
    got, gmeta = weather.read_epw(p, repair=False)
    _check_standard(got)
    assert str(got.time.values[0])[:16] == "2021-01-01T00:00" and gmeta["typical_year"]
    _same(got, ds, 0.051, ("t_db", "t_dp", "wind_speed"))
    _same(got, ds, 0.51, ("ghi", "dni", "dhi"))
    assert gmeta["repairs"] == [] and got.attrs["repairs"] == "none"
    # The repairs leave a consistent generated year as it is (no timing shift, no re-split).
    rep, rmeta = _quiet(weather.read_epw, p)
    assert rmeta["repairs"] == list(weather.REPAIRS) and rmeta["irradiance_resplit"] == "none"
    assert rmeta["irradiance_lag_min"] in (-15, 0, 15)
    _same(rep, ds, 0.051, ("t_db", "t_dp"))


def test_tmy3_round_trip(tmp_path, year):
    ds, meta = year
    p = writers.write_tmy3(tmp_path / "gen.csv", ds, meta)
    assert weather.detect_format(p) == "tmy3"
    got, gmeta = weather.read(p, repair=False)
    _check_standard(got)
    assert gmeta["format"] == "tmy3"
    _same(got, ds, 0.051, ("t_db", "t_dp", "wind_speed"))
    np.testing.assert_allclose(got["p_air"], ds["p_air"], atol=50.0)  # written in whole mbar


def test_pvgis_json_round_trip_takes_the_sites_offset(tmp_path, year):
    ds, meta = year
    p = writers.write_pvgis_json(tmp_path / "pvgis.json", ds, meta)
    assert weather.detect_format(p) == "pvgis"
    got, gmeta = _quiet(weather.read, p, location={"utc_offset_h": 8.0, "latitude": 0.0})
    _check_standard(got)
    # UTC -> local standard time, the hours past 31 December wrap to 1 January.
    _same(got, ds, 1e-6)
    assert gmeta["utc_offset_h"] == 8.0 and gmeta["latitude"] == meta["latitude"]  # the file's own location


@pytest.mark.parametrize("encoding", ["utf-16", "latin-1"])
def test_a_pvgis_file_not_in_utf8_says_so_in_the_file_s_terms(tmp_path, year, encoding):
    """A PVGIS file saved as UTF-16 said pvlib's words: ``cannot parse PVGIS TMY data ('utf-8'
    codec can't decode byte 0xff in position 0: invalid start byte)``."""
    ds, meta = year
    p = writers.write_pvgis_json(tmp_path / "pvgis.json", ds, meta)
    text = p.read_text(encoding="utf-8")
    p.write_bytes((text if encoding == "utf-16" else text.replace('"inputs"', '"inputs\u00e9"', 1)).encode(encoding))
    with pytest.raises(
        weather.WeatherError, match=r"pvgis\.json: not UTF-8 text \(byte \d+\); save the PVGIS file as UTF-8$"
    ):
        weather.read_pvgis_tmy(p)


def test_pvgis_without_pressure_uses_the_standard_atmosphere(tmp_path, year):
    ds, meta = year
    p = writers.write_pvgis_json(tmp_path / "nosp.json", ds, meta, pressure=False)
    got, gmeta = _quiet(weather.read_pvgis_tmy, p, utc_offset_h=8)
    assert any("standard atmosphere" in n for n in gmeta["notes"])
    assert np.ptp(got["p_air"].to_numpy()) == 0.0


def test_era5_netcdf_round_trip(tmp_path, year):
    ds, meta = year
    p = writers.write_era5(tmp_path / "era5.nc", ds, meta, grid=True)
    assert weather.detect_format(p) == "netcdf"
    loc = {k: meta[k] for k in ("latitude", "longitude", "elevation", "utc_offset_h")}
    got, _ = _quiet(weather.read, p, location=loc)
    _check_standard(got)
    _same(got, ds, 1e-6)
    with pytest.raises(weather.WeatherError, match="the file is a grid; give latitude and longitude"):
        weather.read_netcdf(p, utc_offset_h=8)
    with pytest.raises(weather.WeatherError, match="is in UTC; the site's UTC offset is needed"):
        weather.read(p)


def test_era5_missing_variable(tmp_path, year):
    ds, meta = year
    p = writers.write_era5(tmp_path / "era5.nc", ds, meta)
    x = xr.open_dataset(p, engine="h5netcdf").load().drop_vars("d2m")
    q = tmp_path / "no_d2m.nc"
    x.to_netcdf(q, engine="h5netcdf")
    with pytest.raises(weather.WeatherError, match=r"ERA5 variable 'd2m' \(2 m dew point temperature, K\) is missing"):
        weather.read_netcdf(q, utc_offset_h=8)


def test_csv_named_columns_round_trip(tmp_path, year):
    ds, meta = year
    p = writers.write_csv(tmp_path / "w.csv", ds)
    assert weather.detect_format(p) == "csv"
    loc = {k: meta[k] for k in ("latitude", "longitude", "elevation", "utc_offset_h")}
    got, _ = weather.read(p, location=loc, repair=False)
    _check_standard(got)
    _same(got, ds, 1e-9, ("t_db", "t_dp", "rh", "p_air", "ghi", "dni", "dhi", "wind_speed"))
    with pytest.raises(
        weather.WeatherError, match=r"no location in the CSV weather file \(no latitude column\); latitude is needed"
    ):
        weather.read(p)


@pytest.mark.parametrize(
    "location", [None, {"latitude": 36.0, "longitude": 107.0, "elevation": 1000.0, "utc_offset_h": 7}]
)
def test_a_csv_with_zoned_times_and_its_own_offset_reads_as_its_local_times(tmp_path, year, location):
    """Stamps with a zone (``…+08:00``) in a file whose location columns give its offset were an
    internal error (``float(None)``) read without a site (``twin weather --file``); with a
    location given, its offset is replaced by the file's, as the file's location is (the stamps
    are put in the offset the read's ``utc_offset_h`` says)."""
    ds, meta = year
    p = tmp_path / "w.csv"
    placed = weather.location_columns(ds)
    df = placed.to_dataframe()
    df.columns = [f"{c} [{placed[c].attrs['units']}]" for c in df.columns]
    df.index = df.index.tz_localize("Etc/GMT-8")  # UTC+8, ISO stamps ending +08:00
    df.to_csv(p)
    assert "+08:00" in p.read_text().splitlines()[1]
    got, gmeta = weather.read(p) if location is None else weather.read(p, location=location)
    assert gmeta["utc_offset_h"] == meta["utc_offset_h"] == 8
    _same(got, ds, 1e-9, ("t_db", "t_dp", "rh", "p_air", "ghi", "dni", "dhi", "wind_speed"))


def test_a_csv_with_location_columns_carries_its_place(tmp_path, year):
    """The location columns ``twin weather --csv`` writes are the file's place (the site's passed
    location does not replace them, so the station check applies); one value in every row."""
    ds, meta = year
    p = tmp_path / "w.csv"
    placed = weather.location_columns(ds)
    df = placed.to_dataframe()
    df.columns = [f"{c} [{placed[c].attrs['units']}]" for c in df.columns]  # as twin weather --csv
    df.to_csv(p)
    got, gmeta = weather.read(
        p, location={"latitude": 26.6, "longitude": 106.7, "elevation": 1224.0, "utc_offset_h": 8}
    )
    _same(got, ds, 1e-9, ("t_db", "t_dp", "rh", "p_air", "ghi", "dni", "dhi", "wind_speed"))
    assert set(got.data_vars) <= set(VARIABLES)
    assert {k: gmeta[k] for k in weather.readers.CSV_LOCATION} == {k: meta[k] for k in weather.readers.CSV_LOCATION}
    assert weather.read(p)[1]["latitude"] == meta["latitude"]  # no location needed
    df = pd.read_csv(p)
    df.loc[100, "latitude [degrees_north]"] = 40.0
    df.to_csv(p, index=False)
    with pytest.raises(
        weather.WeatherError, match=r"line 102: column 'latitude \[degrees_north\]' = '40\.0'; .*one number"
    ):
        weather.read(p)
    df.drop(columns=["latitude [degrees_north]"]).to_csv(p, index=False)
    with pytest.raises(weather.WeatherError, match="a longitude column and no latitude column"):
        weather.read(p)
    df.drop(columns=["latitude [degrees_north]"]).rename(
        columns={"longitude [degrees_east]": "longitude [rad]"}
    ).to_csv(p, index=False)
    with pytest.raises(weather.WeatherError, match=r"column 'longitude \[rad\]': units 'rad'; allowed degrees_east"):
        weather.read(p)


def test_csv_with_column_mapping_round_trip(tmp_path, year):
    ds, meta = year
    df = ds.to_dataframe().reset_index()
    df = df.rename(columns={"time": "Timestamp", "t_db": "Temp (C)", "rh": "Humidity", "ghi": "GHI"})
    p = tmp_path / "station.csv"
    df[["Timestamp", "Temp (C)", "Humidity", "GHI", "wind_speed"]].to_csv(p, index=False)
    loc = {k: meta[k] for k in ("latitude", "longitude", "elevation", "utc_offset_h")}
    got, gmeta = _quiet(
        weather.read_csv,
        p,
        {"t_db": "Temp (C)", "rh": "Humidity", "ghi": "GHI", "wind_speed": "wind_speed"},
        time_column="Timestamp",
        **loc,
    )
    _check_standard(got)
    np.testing.assert_allclose(got["t_db"], ds["t_db"])
    # The generated year's pressure is the standard atmosphere too; the dew point comes back to
    # 2e-4 K (RH rounded through float text, and the ice/water saturation branches at 0 °C).
    np.testing.assert_allclose(got["t_dp"], ds["t_dp"], atol=2e-4)
    assert any("standard atmosphere" in n for n in gmeta["notes"])
    # Timestamps that label the end of the hour.
    df2 = df.copy()
    df2["Timestamp"] = df2["Timestamp"] + pd.Timedelta(hours=1)
    df2[["Timestamp", "Temp (C)", "Humidity"]].to_csv(p, index=False)
    got2, _ = _quiet(
        weather.read_csv, p, {"t_db": "Temp (C)", "rh": "Humidity"}, time_column="Timestamp", time_label="end", **loc
    )
    assert (got2["time"].to_numpy() == ds["time"].to_numpy()).all()


def test_formats_registry_drives_read_and_detection(tmp_path, year):
    ds, meta = year
    assert set(weather.FORMATS) == {"epw", "tmy3", "pvgis", "netcdf", "csv"}
    for f in weather.FORMATS.values():
        assert f.reader.__doc__ and f.description and f.suffixes
    p = writers.write_epw(tmp_path / "noext", ds, meta)  # no suffix: recognised by its first line
    assert weather.detect_format(p) == "epw"
    with pytest.raises(weather.WeatherError, match="the epw reader takes no option 'columns'"):
        weather.read(p, "epw", columns={})
    with pytest.raises(weather.WeatherError, match="weather format 'grib' is unknown; formats are epw, tmy3"):
        weather.read(p, "grib")
    q = tmp_path / "x.dat"
    q.write_text("hello\n")
    with pytest.raises(weather.WeatherError, match="cannot tell the weather format"):
        weather.read(q)


def test_repair_is_a_separate_step(tmp_path, year):
    """A file stamped an hour late: read without repairs it stays late; weather.repair moves it."""
    ds, meta = year
    late = ds.copy()
    for v in ("ghi", "dni", "dhi"):
        late[v] = ("time", np.roll(ds[v].to_numpy(), 1))
    p = writers.write_epw(tmp_path / "late.epw", late, meta)
    raw, rmeta = weather.read_epw(p, repair=False)
    assert "irradiance_lag_min" not in rmeta
    np.testing.assert_allclose(raw["ghi"], late["ghi"], atol=0.51)
    fixed, fmeta = _quiet(weather.repair, raw, rmeta)
    assert fmeta["irradiance_lag_min"] <= -45 and any("moved -1 h" in n for n in fmeta["notes"])
    np.testing.assert_allclose(fixed["ghi"].to_numpy()[:-1], raw["ghi"].to_numpy()[1:], atol=1e-9)
    same, _ = _quiet(weather.read_epw, p)
    np.testing.assert_allclose(same["ghi"], fixed["ghi"], atol=1e-9)
    _, ometa = _quiet(weather.read_epw, p, repair=["gaps"])
    assert ometa["repairs"] == ["gaps"]
    with pytest.raises(weather.WeatherError, match="repair step 'magic' is unknown"):
        weather.read_epw(p, repair=["magic"])


# ----------------------------------------------------------------------------- bad input, named
@pytest.fixture
def epw_text(year):
    ds, meta = year
    return writers.epw_lines(ds, meta)


def _write_epw(path, lines):
    path.write_text("\n".join(lines) + "\n", encoding="latin-1")
    return path


def _set_field(line: str, index: int, value: str) -> str:
    f = line.split(",")
    f[index] = value
    return ",".join(f)


def test_truncated_epw_names_line(tmp_path, epw_text):
    cut = epw_text[: 8 + 5000]
    cut[-1] = cut[-1][:40]
    with pytest.raises(weather.WeatherError, match=r"line 5008 has \d+ fields, expected 35"):
        weather.read_epw(_write_epw(tmp_path / "cut.epw", cut))
    with pytest.raises(weather.WeatherError, match=r"4999 hourly data rows; a year needs 8760"):
        weather.read_epw(_write_epw(tmp_path / "short.epw", epw_text[: 8 + 4999]))
    first = [*epw_text[:8], "1,2,3,4,5", *epw_text[9:]]  # it said "line 9 has 5 fields, expected 5"
    with pytest.raises(weather.WeatherError, match=r"line 9 has 5 fields, expected at least 22 \(truncated") as caught:
        weather.read_epw(_write_epw(tmp_path / "first.epw", first))
    assert caught.value.kind == "epw_fields_short"


@pytest.mark.parametrize(
    ("rows", "said"),
    [
        (8759, "8759 hourly data rows; a year needs 8760 (or 8784 in a leap year) — is the file truncated?"),
        (8770, "8770 hourly data rows; a year needs 8760 (or 8784 in a leap year) — is the leap year's file truncated"),
        (8860, "8860 hourly data rows; a year needs 8760 (or 8784 in a leap year) — more than a year: several years"),
        (105120, "105,120 hourly data rows; a year needs 8760 (or 8784 in a leap year) — more than a year"),
    ],
)
def test_a_file_of_more_rows_than_a_year_is_not_called_truncated(tmp_path, epw_text, rows, said):
    """An EPW with 100 rows added was asked "is the file truncated?", and the 12-year file's
    count was written 105120 (numbers of 100,000 and more carry the thousands separator)."""
    data = list(epw_text[8:])
    lines = [*epw_text[:8], *(data * (rows // len(data) + 1))[:rows]]
    with pytest.raises(weather.WeatherError) as err:
        weather.read_epw(_write_epw(tmp_path / "w.epw", lines))
    assert said in str(err.value)
    assert ("truncated?" in str(err.value)) == (rows < 8760)


def test_short_gap_is_interpolated_with_warning(tmp_path, epw_text):
    lines = list(epw_text)
    for i in (1000, 1001):  # 2-hour gap in dry bulb (EPW missing code 99.9)
        lines[8 + i] = _set_field(lines[8 + i], 6, "99.9")
    with pytest.warns(weather.WeatherWarning, match="t_db: 2 h gap"):
        ds, meta = weather.read_epw(_write_epw(tmp_path / "gap.epw", lines))
    a, b = float(ds["t_db"][999]), float(ds["t_db"][1002])
    assert float(ds["t_db"][1000]) == pytest.approx(a + (b - a) / 3)
    assert any("interpolated" in n for n in meta["notes"])
    raw, _ = weather.read_epw(tmp_path / "gap.epw", repair=False)
    assert np.isnan(raw["t_db"][1000]) and np.isnan(raw["t_db"][1001])


def test_long_gap_fails_with_line(tmp_path, epw_text):
    lines = list(epw_text)
    for i in range(2000, 2005):
        lines[8 + i] = _set_field(lines[8 + i], 8, "NaN")
    with pytest.raises(weather.WeatherError, match=r"rh missing for 5 h from 2021-03-25 08:00:00 \(line 2009\)"):
        weather.read_epw(_write_epw(tmp_path / "nan.epw", lines))


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        (6, "warm", r"line 109: temp_air = 'warm' is not a number"),
        (1, "13", r"line 109: month = 13; allowed 1 … 12"),
        (3, "25", r"line 109: hour = 25; allowed 1 … 24"),
        (2, "31", r"line 109: day 31 of month 1 does not exist|duplicate timestamp"),
    ],
)
def test_bad_epw_values_name_the_line(tmp_path, epw_text, field, value, message):
    lines = list(epw_text)
    lines[108] = _set_field(lines[108], field, value)
    with pytest.raises(weather.WeatherError, match=message):
        weather.read_epw(_write_epw(tmp_path / "bad.epw", lines))


def test_29_february_in_a_365_day_file_names_the_line(tmp_path, epw_text):
    lines = list(epw_text)
    i = next(k for k, ln in enumerate(lines) if ln.split(",")[1:3] == ["3", "1"])
    lines[i] = _set_field(_set_field(lines[i], 1, "2"), 2, "29")
    with pytest.raises(weather.WeatherError, match=rf"line {i + 1}: day 29 of month 2 does not exist in 2021 \(29 Feb"):
        weather.read_epw(_write_epw(tmp_path / "feb.epw", lines))


@pytest.mark.parametrize(
    ("elevation", "message"),
    [
        ("nan", r"elevation = nan m is not a finite number; allowed -500 … 6000 m"),
        ("inf", r"elevation = inf m is not a finite number; allowed -500 … 6000 m"),
        ("9000", r"elevation = 9000 m is outside -500 … 6000 m"),
        ("", r"line 1: altitude = '' is not a number \(the elevation; allowed -500 … 6000 m\)"),
    ],
)
def test_an_epw_elevation_that_is_blank_nan_or_off_the_earth_is_refused(tmp_path, epw_text, elevation, message):
    """A header's elevation of ``nan`` was read as NaN: ``twin weather`` printed ``elev nan m`` and a
    run skipped the station check against the site (NaN compares false) without a word."""
    head = epw_text[0].split(",")
    head[9] = elevation
    p = _write_epw(tmp_path / "e.epw", [",".join(head), *epw_text[1:]])
    with pytest.raises(weather.WeatherError, match=message):
        weather.read_epw(p)


def test_a_csv_or_netcdf_location_without_a_finite_elevation_is_refused(tmp_path, year):
    ds, _ = year
    with pytest.raises(weather.WeatherError, match=r"elevation = nan m is not a finite number"):
        weather.read_csv(
            _csv_of(ds, tmp_path / "w.csv"), latitude=36.0, longitude=107.0, elevation=float("nan"), utc_offset_h=8.0
        )
    nc = tmp_path / "w.nc"
    ds.assign_attrs(elevation=float("nan")).to_netcdf(nc, engine="h5netcdf")
    with pytest.raises(weather.WeatherError, match=r"w\.nc: elevation = nan m is not a finite number"):
        weather.read(nc)
    ds.assign_attrs(elevation="").to_netcdf(nc, engine="h5netcdf")  # was "cannot read the ERA5 variables (…)"
    with pytest.raises(weather.WeatherError, match=r"w\.nc: attribute elevation = '' is not a number; allowed -500"):
        weather.read(nc)
    bare = ds.copy()
    del bare.attrs["elevation"]
    bare.to_netcdf(nc, engine="h5netcdf")
    _, meta = _quiet(weather.read, nc)
    assert meta["elevation"] == 0.0 and any(n.startswith("elevation unknown; 0 m assumed") for n in meta["notes"])


def _csv_of(ds, path, sep=",", decimal="."):
    df = ds[["t_db", "rh"]].to_dataframe()
    df.index.name = "time"
    df.to_csv(path, sep=sep, decimal=decimal)
    return path


@pytest.mark.parametrize(("decimal"), [",", "."])
def test_a_semicolon_separated_csv_is_refused_saying_so(tmp_path, year, decimal):
    """A European spreadsheet's export (';' between columns, decimal commas) said "no column named
    t_db" (or, without a site, "no location"); it is refused, not read: its '.' may be a thousands
    separator."""
    ds, _ = year
    p = _csv_of(ds, tmp_path / "semi.csv", sep=";", decimal=decimal)
    with pytest.raises(
        weather.WeatherError, match=r"semi\.csv: the header 'time;t_db;rh' is separated by ';', not ','"
    ):
        weather.read_csv(p, latitude=36.0, longitude=107.0, elevation=1000.0, utc_offset_h=8.0)
    with pytest.raises(weather.WeatherError, match=r"is separated by ';'"):
        weather.read_csv(p)  # before the location is asked for


def test_a_csv_weather_file_naming_a_column_twice_is_refused(tmp_path, year):
    """Refused before too, naming a column the file does not have (``'t_db' and 't_db.1' are
    both t_db``, pandas' renaming); now in the header's own words, as every CSV reader says it."""
    ds, _ = year
    p = _csv_of(ds, tmp_path / "w.csv")
    lines = p.read_text().splitlines()
    p.write_text("\n".join(["time,t_db,t_db", *lines[1:]]) + "\n")
    with pytest.raises(weather.WeatherError, match=r"w\.csv: the header names the column 't_db' twice; give each"):
        weather.read_csv(p, latitude=36.0, longitude=107.0, elevation=1000.0, utc_offset_h=8.0)


def test_a_csv_that_is_not_utf8_or_has_rows_longer_than_its_header_says_so(tmp_path):
    loc = {"latitude": 36.0, "longitude": 107.0, "elevation": 1000.0, "utc_offset_h": 8.0}
    p = tmp_path / "w.csv"
    p.write_bytes("time,t_db,rh\n2021-01-01 00:00,1,50\n2021-01-01 01:00,1,50 \u00e9t\u00e9\n".encode("latin-1"))
    with pytest.raises(weather.WeatherError, match=r"w\.csv: not UTF-8 text \(byte 57\); save the CSV file as UTF-8"):
        weather.read_csv(p, **loc)
    p.write_text("t_db\n1,5\n2,5\n")  # decimal commas: pandas took the first field as an index
    with pytest.raises(weather.WeatherError, match=r"line 2 has 2 fields, the header 1"):
        weather.read_csv(p, **loc)


@pytest.mark.parametrize(
    ("place", "message"),
    [
        ({"latitude": 95.0}, "latitude = 95 is outside -90 … 90"),
        ({"utc_offset_h": 100.0}, "utc_offset_h = 100 is outside -12 … 14"),
        ({"utc_offset_h": -5.0}, r"utc_offset_h = -5 h does not fit longitude 107.63°"),
    ],
)
def test_location_out_of_range_or_inconsistent(tmp_path, year, place, message):
    ds, meta = year
    p = writers.write_epw(tmp_path / "loc.epw", ds, meta, place=place)
    with pytest.raises(weather.WeatherError, match=message):
        weather.read_epw(p)
    if "utc_offset_h" in place and place["utc_offset_h"] == -5.0:  # --utc-offset replaces a wrong header
        _, m = _quiet(weather.read_epw, p, utc_offset_h=8)
        assert m["utc_offset_h"] == 8.0 and any("the file says -5 h" in n for n in m["notes"])


def test_irradiance_above_extraterrestrial_is_refused(tmp_path, epw_text):
    lines = list(epw_text)
    lines[8 + 4000] = _set_field(lines[8 + 4000], 13, "1500")
    with pytest.raises(weather.WeatherError, match=r"ghi = 1500 W m-2 .* \(line 4009\) is above the extraterrestrial"):
        weather.read_epw(_write_epw(tmp_path / "sun.epw", lines))


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


def test_leap_year_epw_has_8784_hours(tmp_path, epw_text):
    head, data = epw_text[:8], epw_text[8:]
    feb28 = [ln for ln in data if ln.split(",")[1] == "2" and ln.split(",")[2] == "28"]
    feb29 = [_set_field(ln, 2, "29") for ln in feb28]
    idx = data.index(feb28[-1]) + 1
    ds, _ = _quiet(weather.read_epw, _write_epw(tmp_path / "leap.epw", head + data[:idx] + feb29 + data[idx:]))
    _check_standard(ds, 8784)
    assert str(ds.time.values[0])[:4] == "2020"
    assert pd.Timestamp(ds.time.values[59 * 24]).strftime("%m-%d") == "02-29"


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
    with pytest.raises(weather.WeatherError, match=r"line 2: column 'T' = 'x' is not a number"):
        weather.read_csv(p, {"t_db": "T", "rh": "RH"}, time_column="time", **loc)
    pd.DataFrame({"time": ["2021-01-01 00:00", "yesterday", *t[2:].astype(str)], "T": 10.0, "RH": 50.0}).to_csv(
        p, index=False
    )
    with pytest.raises(weather.WeatherError, match=r"line 3: column 'time' value 'yesterday' is not a timestamp"):
        weather.read_csv(p, {"t_db": "T", "rh": "RH"}, time_column="time", **loc)


def test_csv_leap_year_has_8784_hours(tmp_path):
    t = pd.date_range("2020-01-01", periods=8784, freq="h")
    p = tmp_path / "leap.csv"
    pd.DataFrame({"time": t, "T": 10 + 5 * np.sin(np.arange(8784) / 24), "Td": 0.0}).to_csv(p, index=False)
    ds, _ = weather.read_csv(
        p, {"t_db": "T", "t_dp": "Td"}, time_column="time", latitude=36, longitude=107, elevation=0, utc_offset_h=8
    )
    _check_standard(ds, 8784)


def _plant_bad_records(lines: list[str]) -> list[str]:
    lines = list(lines)
    row = 8 + 1000  # 2021-02-11 16:00: dew point 2 K above the dry bulb
    t = float(lines[row].split(",")[6])
    lines[row] = _set_field(lines[row], 7, f"{t + 2.0:.1f}")
    lines[8 + 2000] = _set_field(lines[8 + 2000], 8, "108")  # RH 108 %, beyond the sensor's tolerance
    row = 8 + 3000  # 2021-05-06 00:00: a 15 K spike of the dry bulb
    lines[row] = _set_field(lines[row], 6, f"{float(lines[row].split(',')[6]) + 15.0:.1f}")
    lines[8 + 3] = _set_field(lines[8 + 3], 13, "-5")  # a night GHI below zero (sensor offset)
    return lines


def test_bad_records_are_flagged_and_repaired(tmp_path, epw_text):
    lines = _plant_bad_records(epw_text)
    ds, meta = weather.read_epw(_write_epw(tmp_path / "bad.epw", lines))
    flags = {f.kind: f for f in meta["flags"] if not f.splice}
    # raising the dew point to above the dry bulb is also a dew-point jump where the afternoon
    # was more than 10 K drier than that (it depends on the generated year)
    dew = [float(lines[8 + 1000 + k].split(",")[7]) for k in (-1, 0, 1)]
    jump = {"dew_point_jump"} if max(abs(dew[1] - dew[0]), abs(dew[2] - dew[1])) > 10.0 else set()
    assert (
        set(flags)
        == {
            "dew_point_above_dry_bulb",
            "rh_above_100",
            "dry_bulb_jump",
            "negative_irradiance",
        }
        | jump
    )
    assert flags["dew_point_above_dry_bulb"].count == 1 and flags["dew_point_above_dry_bulb"].first == (
        "2021-02-11T16:00",
    )
    assert flags["dew_point_above_dry_bulb"].worst == pytest.approx(2.0, abs=0.06)
    assert flags["rh_above_100"].first == ("2021-03-25T08:00",) and flags["rh_above_100"].worst == pytest.approx(8.0)
    # the spike is two steps: up into the hour and down out of it
    assert flags["dry_bulb_jump"].count == 2 and flags["dry_bulb_jump"].first[0] == "2021-05-06T00:00"
    assert flags["negative_irradiance"].first == ("2021-01-01T03:00",)
    assert any(n.startswith("flagged: dew point above the dry bulb") for n in meta["notes"])
    assert (ds["t_dp"] <= ds["t_db"]).all() and float(ds["rh"].max()) <= 100.0 and float(ds["ghi"].min()) >= 0.0


def test_bad_records_can_be_refused(tmp_path, epw_text):
    path = _write_epw(tmp_path / "bad.epw", _plant_bad_records(epw_text))
    with pytest.raises(
        weather.WeatherError, match=r"bad.epw: bad records \([45] kinds\): dew point above the dry bulb .*"
    ):
        weather.read(path, bad_records="refuse")
    with pytest.raises(weather.WeatherError, match=r"bad_records = 'ignore'; allowed repair, refuse"):
        weather.read(path, bad_records="ignore")
    clean = _write_epw(tmp_path / "clean.epw", list(epw_text))
    _, meta = weather.read(clean, bad_records="refuse")  # a clean file reads as before
    assert meta["flags"] == []


def test_far_negative_irradiance_is_still_a_unit_error(tmp_path, epw_text):
    lines = list(epw_text)
    lines[8 + 3] = _set_field(lines[8 + 3], 13, "-80")
    with pytest.raises(weather.WeatherError, match=r"ghi = -80 W m-2 .* is outside -50 … 1500"):
        weather.read_epw(_write_epw(tmp_path / "neg.epw", lines))


def test_generated_years_have_no_bad_records():
    for key in ("guian", "karamay", "beijing"):
        _, meta = writers.generated_year(key, seed=1)
        assert meta["flags"] == [], key


def test_a_run_on_a_file_with_bad_records_repairs_or_refuses(tmp_path, epw_text, capsys):
    """`twin run --weather F --bad-records refuse` (or `[weather] bad_records = "refuse"`) refuses
    the file in one line; by default the run repairs, reports and goes on."""
    from twin import cli

    path = _write_epw(tmp_path / "bad.epw", _plant_bad_records(epw_text))
    run = ["run", "--site", "qingyang", "--cooling", "free_air", "--weather", str(path), "--no-output"]
    assert cli.main([*run, "--bad-records", "refuse"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("twin: error:") and "dew point above the dry bulb" in err and err.count("\n") == 1
    assert cli.main(run) == 0
    scenario = tmp_path / "s.toml"
    scenario.write_text(
        f'sites = ["qingyang"]\ndesigns = ["free_air"]\n[weather]\nsource = "{path.as_posix()}"\nbad_records = "refuse"\n'
    )
    assert cli.main(["run", str(scenario), "--no-output"]) == 2
    assert cli.main(["run", str(scenario), "--no-output", "--bad-records", "repair"]) == 0


def test_a_file_written_by_twin_weather_reads_back_and_drives_a_run(tmp_path, capsys):
    """`twin weather --site S -o F.nc` then `twin run --weather F.nc`: the standard variables are
    read as they are, the time put back from the offset units (CF decodes them to UTC) to local."""
    from twin import cli

    out = tmp_path / "w.nc"
    assert cli.main(["weather", "--site", "qingyang", "-o", str(out)]) == 0
    capsys.readouterr()
    year, _ = writers.generated_year("qingyang")
    ds, meta = weather.read(out)
    assert meta["format"] == "netcdf" and meta["utc_offset_h"] == 8.0
    assert ds.indexes["time"][0] == pd.Timestamp("2021-01-01 00:00")
    for name in ("t_db", "rh", "p_air", "ghi", "dni", "dhi", "wind_speed"):
        np.testing.assert_allclose(ds[name].values, year[name].values, rtol=1e-12, atol=1e-9, err_msg=name)
    run = ["run", "--site", "qingyang", "--cooling", "free_air", "--no-output"]
    assert cli.main([*run, "--weather", str(out)]) == 0
    on_file = capsys.readouterr().out
    assert cli.main(run) == 0
    assert capsys.readouterr().out.splitlines()[:4] == on_file.splitlines()[:4]  # the same KPI rows


@pytest.mark.parametrize(
    "header",
    [
        "t_db [degree_C]",
        "t_db [degrees_C]",
        "t_db [deg_C]",
        "t_db [℃]",
        "t_db [° C]",
        "t_db []",
        "ghi [W m**-2]",
        "ghi [W.m-2]",
        "ghi [W·m-2]",
        "ghi [W m^-2]",
        "wind_speed [m s**-1]",
        "wind_speed [m.s-1]",
        "wind_speed [m·s-1]",
    ],
)
def test_csv_header_units_in_their_common_spellings_are_read(header):
    """CF/UDUNITS and typographic spellings of the standard units pass the header check."""
    from weather.readers import _auto_columns

    assert _auto_columns(["time", header], "f.csv") == {header.split(" ")[0]: header}


@pytest.mark.parametrize("header", ["t_db [degF]", "t_db [K]", "p_air [hPa]", "wind_speed [km/h]", "ghi [kW m-2]"])
def test_csv_header_units_of_another_scale_are_refused(header):
    from weather.readers import _auto_columns

    with pytest.raises(weather.WeatherError, match="units"):
        _auto_columns(["time", header], "f.csv")


@pytest.mark.parametrize("second", ["t_db", "t_db [degC]", "T_DB"])
def test_a_variable_in_two_columns_is_refused(second):
    """Two columns of one variable (``t_db [degC]`` and ``t_db``): which one is meant is not known."""
    from weather.readers import _auto_columns

    with pytest.raises(weather.WeatherError, match=r"columns 't_db \[degC\]' and .* are both t_db; keep one"):
        _auto_columns(["time", "t_db [degC]", second], "f.csv")


@pytest.mark.parametrize(
    ("location", "offset_hint"),
    [
        ((95.0, 107.0, 8.0), False),
        ((36.0, 200.0, 8.0), False),
        ((36.0, 107.0, -5.0), True),
        ((36.0, 107.0, 20.0), True),
    ],
)
def test_a_files_location_error_names_the_offset_option_only_for_the_offset(location, offset_hint):
    """The way to replace a file's UTC offset is named where the offset is at fault (it was added
    to a latitude's error too, as the Python argument ``utc_offset_h=`` alone)."""
    from weather.dataset import check_file_location

    with pytest.raises(weather.WeatherError) as err:
        check_file_location(*location, "w.epw")
    assert ("twin weather --utc-offset H" in str(err.value)) is offset_hint
    assert "utc_offset_h=, --utc-offset" not in str(err.value)


def test_reader_messages_are_in_the_users_terms_not_the_libraries(tmp_path):
    """pandas' and HDF5's own texts (``Error tokenizing data. C error``, ``Mixed timezones detected.
    Pass utc=True in to_datetime``, ``Unable to synchronously open file``) are said in the file's terms."""
    loc = {"latitude": 36.0, "longitude": 107.0, "elevation": 1000.0, "utc_offset_h": 8.0}
    p = tmp_path / "w.csv"
    p.write_text("time,t_db,rh\n2021-01-01 00:00,1,50\n2021-01-01 01:00,1,50,7\n")
    with pytest.raises(weather.WeatherError, match=r"w\.csv: line 3 has 4 fields, the header 3; every row") as err:
        weather.read_csv(p, **loc)
    p.write_text("time,t_db,rh\n2021-01-01 00:00+08:00,1,50\n2021-01-01 01:00+07:00,1,50\n")
    with pytest.raises(weather.WeatherError, match=r"not one series of timestamps: its times carry different UTC"):
        weather.read_csv(p, **loc)
    nc = tmp_path / "e.nc"
    nc.write_text("CDF garbage")
    with pytest.raises(weather.WeatherError, match=r"e\.nc: cannot open as NetCDF-4 \(no NetCDF-4 \(HDF5\) signature"):
        weather.read_netcdf(nc, utc_offset_h=8)
    assert "C error" not in str(err.value)


def test_a_pvgis_json_without_a_field_names_it(tmp_path):
    """pvlib's KeyError was said as its bare text: ``cannot parse PVGIS TMY data ('meta')``."""
    p = tmp_path / "p.json"
    p.write_text('{"outputs": {}}')
    with pytest.raises(weather.WeatherError, match=r"p\.json: cannot parse PVGIS TMY data \(no '\w+' field\)$"):
        weather.read_pvgis_tmy(p)


def test_a_one_column_csv_whose_quoted_name_holds_a_semicolon_is_read(tmp_path):
    """Only a ';'-separated export is refused: a valid one-column file with a ';' inside its
    quoted header (and none in its rows) reads as before."""
    from weather.readers import csv_frame

    p = tmp_path / "u.csv"
    p.write_text('"utilisation; fraction"\n0.5\n0.6\n', encoding="utf-8")
    df = csv_frame(p, weather.WeatherError)
    assert list(df.columns) == ["utilisation; fraction"] and df.iloc[:, 0].tolist() == [0.5, 0.6]
