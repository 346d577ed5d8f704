"""Design conditions and record checks of weather.validation, by hand and on the real files."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import sites
from tests.conftest import EPW_FILES, epw_path
from twin.engine.weather_source import site_weather
from weather.validation import (
    compare_design_conditions,
    depression_percentiles,
    design_conditions,
    near_saturation_hours,
    published_design_conditions,
    record_problems,
    within_tolerance,
)


def _year(t_db: np.ndarray, t_dp: np.ndarray, rh: float = 100.0) -> xr.Dataset:
    time = pd.date_range("2021-01-01", periods=t_db.size, freq="h")
    return xr.Dataset(
        {
            "t_db": ("time", t_db),
            "t_dp": ("time", t_dp),
            "rh": ("time", np.full(t_db.size, rh)),
            "p_air": ("time", np.full(t_db.size, 101325.0)),
        },
        coords={"time": time},
    )


def test_design_conditions_by_hand():
    # Dry bulb −20 … +40 °C in 8760 equal steps, shuffled, saturated air: every percentile is
    # known (the 0.4 % level is at 0.996 of the span), the wet bulb equals the dry bulb, and the
    # coincident wet bulb is the mean dry bulb of the ±0.5 K band.
    d = 60.0 / 8760
    t = np.random.default_rng(1).permutation(-20.0 + np.arange(8760) * d)
    dc = design_conditions(_year(t, t))

    def level(q):
        return -20.0 + q * 8759 * d

    assert dc["db_0.4"] == pytest.approx(level(0.996), abs=1e-9)
    assert dc["db_1"] == pytest.approx(level(0.99), abs=1e-9)
    assert dc["db_99.6"] == pytest.approx(level(0.004), abs=1e-9)
    assert dc["wb_0.4"] == pytest.approx(dc["db_0.4"], abs=0.01)
    assert dc["mcwb_1"] == pytest.approx(dc["db_1"], abs=0.01)  # band 38.9 … 39.9 °C, inside the range
    top = t[t >= dc["db_0.4"] - 0.5]  # the band of the 0.4 % level is cut at the year's maximum
    assert dc["mcwb_0.4"] == pytest.approx(top.mean(), abs=0.01)


def test_near_saturation_hours_by_hand():
    ds = _year(np.zeros(10), np.zeros(10))
    ds["rh"] = ("time", np.array([100.0, 99.0, 98.99, 97.0, 95.0, 94.9, 50.0, 99.5, 95.01, 10.0]))
    assert near_saturation_hours(ds) == {"rh>=99": 3, "rh>=95": 7}
    assert near_saturation_hours(ds, (50.0,)) == {"rh>=50": 9}


def test_depression_percentiles_by_hand():
    # Nights (GHI 0) at a depression of 0.0 … 9.9 K in 0.1 K steps, days (GHI 100) at 20 … 29.9 K:
    # within each month the nights' percentiles are those of the night values, the days' those of
    # the day values, so the two halves never mix.
    n = 8760
    night = np.arange(n) % 24 < 12
    step = np.arange(n) % 100 * 0.1
    dep = np.where(night, step, 20.0 + step)
    ds = _year(np.full(n, 25.0), 25.0 - dep)
    ds["ghi"] = ("time", np.where(night, 0.0, 100.0))
    out = depression_percentiles(ds, (0.0, 50.0, 100.0))
    month = ds["time"].dt.month.to_numpy() - 1
    for m in (0, 6, 11):
        for name, part in (("night", night), ("day", ~night)):
            values = dep[part & (month == m)]
            assert out[name][m] == pytest.approx([values.min(), np.median(values), values.max()])
    assert out["night"].shape == (12, 3) and np.all(out["night"] < 10.0) and np.all(out["day"] >= 20.0)
    ds["ghi"] = ("time", np.zeros(n))  # no day at all: NaN, not an error
    assert np.all(np.isnan(depression_percentiles(ds)["day"]))


def test_record_problems_names_impossible_and_implausible_hours():
    t = 10.0 + 5.0 * np.sin(np.arange(8760) * 2 * np.pi / 24)
    td = t - 5.0
    assert record_problems(_year(t, td, 70.0)) == []
    td2 = td.copy()
    td2[100:103] = t[100:103] + 1.2  # supersaturated: dew point above the dry bulb
    t2 = t.copy()
    t2[5000] += 15.0  # a spike mid-month (2021-07-28)
    t2[744] -= 12.0  # 1 February 00:00, where a typical year joins two months (dew point now above it too)
    lines = record_problems(_year(t2, td2, 70.0))
    assert any(
        line.startswith("dew point above the dry bulb by more than 0.1 K: 4 h (first 2021-01-05T04:00")
        for line in lines
    )
    assert any(line.startswith("dry bulb changes more than 10 K in an hour: 2 h") for line in lines)
    assert any("month boundary" in line and "2021-02-01" in line for line in lines)


@pytest.mark.parametrize("key", sorted(EPW_FILES))
def test_generated_design_conditions_against_real_files(key, real_weather):
    """Measured gaps (generated mean of 5 seeds − real file), stated in the README.

    On ten seeds 34 of 40 figures are within the issue's 0.5 K (28 before the daily maximum and
    minimum as two variables; README, "Are the generated extremes right?"). The largest gap on
    these five seeds is Qingyang's coincident wet bulb 1 % (−1.01 K; −1.11 K before humid days
    dried less than dry ones and the peak hour varied from day to day, a strict xfail then; −0.9 K
    before the two variables), inside this test's 1.1 K bound; the comments below give the gaps of
    these five seeds. This test pins that the comparison runs, its figures stay physical and
    the hot, cold and humid tails within the bounds below; it does not pretend the goal is met
    everywhere.
    """
    epw_path(key)
    real, _ = real_weather(key)
    site = sites.load(key)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gens = [site_weather(site, seed=s)[0] for s in range(5)]
    dc = compare_design_conditions(gens, real)
    for name, (mean, sd, r) in dc.items():
        assert np.isfinite(mean) and np.isfinite(r) and sd >= 0, name
    for g in (lambda k: dc[k][0], lambda k: dc[k][2]):  # generated and real alike
        assert g("db_99.6") < g("db_99") < g("db_1") < g("db_0.4")
        assert g("wb_1") <= g("wb_0.4") and g("mcwb_0.4") <= g("db_0.4")
    assert abs(dc["db_0.4"][0] - dc["db_0.4"][2]) < 0.6  # the hot tail: at most +0.24 K (Karamay)
    assert abs(dc["db_99.6"][0] - dc["db_99.6"][2]) < 1.2  # the cold tail: at most −0.81 K (Dulles)
    assert abs(dc["wb_0.4"][0] - dc["wb_0.4"][2]) < 0.6  # the humid tail: at most +0.50 K (Dulles), −0.47 K (Qingyang)
    assert abs(dc["mcwb_0.4"][0] - dc["mcwb_0.4"][2]) < 0.9  # hot hours' humidity: at most −0.68 K (Qingyang)
    assert abs(dc["mcwb_1"][0] - dc["mcwb_1"][2]) < 1.1  # −1.01 K (Qingyang), +0.63 K (Karamay)


# Hours a year at RH >= 99 % / >= 95 %, generated mean of seeds 0-4 against the record
# (`twin weather-validate --dir ../shared/weather --seeds 5`): with the depression's fields the
# dew point is drawn below the dry bulb from a positive distribution, so the hours no longer pile
# up at saturation. Every pair outside ±10 % or ±100 h is a strict xfail: a change that fixes one
# makes it pass.
_SATURATION_MEASURED = {
    "qingyang": ((160, 221), (731, 793)),
    "guian": ((86, 62), (567, 574)),
    "yinchuan": ((25, 46), (239, 225)),
    "karamay": ((16, 22), (77, 84)),
    "us_dulles": ((331, 274), (624, 599)),
}
_SATURATION_CASES = [
    pytest.param(
        key,
        level,
        marks=[]
        if within_tolerance(*_SATURATION_MEASURED[key][i])
        else [pytest.mark.xfail(strict=True, reason=f"{key}: {_SATURATION_MEASURED[key][i]} h (generated, record)")],
        id=f"{key}-rh>={level:g}",
    )
    for key in sorted(EPW_FILES)
    for i, level in enumerate((99.0, 95.0))
]


@pytest.mark.parametrize(("key", "level"), _SATURATION_CASES)
def test_generated_hours_near_saturation_against_real_files(key, level, real_weather):
    """Hours at or above ``level`` % RH: the generated mean of five seeds within ±10 % or ±100 h
    of the record's (:func:`weather.validation.within_tolerance`, the hour counts' rule)."""
    epw_path(key)
    real, _ = real_weather(key)
    site = sites.load(key)
    name = f"rh>={level:g}"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        hours = [near_saturation_hours(site_weather(site, seed=s)[0], (level,))[name] for s in range(5)]
    assert within_tolerance(float(np.mean(hours)), near_saturation_hours(real, (level,))[name])


def test_real_records_are_checked(real_weather):
    epw_path("guian")
    lines = record_problems(real_weather("guian")[0])
    # Guiyang's CSWD file: 10.9 K fall of the dry bulb within the hour at 2021-02-23 18:00
    assert any("dry bulb changes more than 10 K" in line and "2021-02-23T18:00" in line for line in lines)


def test_published_design_conditions_from_the_header(tmp_path):
    head = "LOCATION,X,,,,123456,0,0,0,0\n"
    line = (
        "DESIGN CONDITIONS,1,Climate Design Data 2009 ASHRAE Handbook,,Heating,1,-12.1,-10.3,-26,0.4,"
        "Cooling,7,8.1,29.5,17,28.1,17.1,26.8,17.1,20.9,25,20.2,24.2,Extremes,6.6\n"
    )
    p = tmp_path / "x.epw"
    p.write_text(head + line, encoding="latin-1")
    assert published_design_conditions(p) == {
        "db_99.6": -12.1,
        "db_99": -10.3,
        "db_0.4": 29.5,
        "mcwb_0.4": 17.0,
        "db_1": 28.1,
        "mcwb_1": 17.1,
        "wb_0.4": 20.9,
        "wb_1": 20.2,
    }
    p.write_text(head + "DESIGN CONDITIONS,0\n", encoding="latin-1")
    assert published_design_conditions(p) == {}
    p.write_text(head + line.replace("29.5", "n/a"), encoding="latin-1")
    assert published_design_conditions(p) == {}


def test_published_design_conditions_of_dulles():
    # ASHRAE 2021 Handbook, Dulles (724030): 99.6 % −11.0 °C, 0.4 % 34.0 / 23.6 °C, evaporation 0.4 % 25.3 °C
    dc = published_design_conditions(epw_path("us_dulles"))
    assert (dc["db_99.6"], dc["db_0.4"], dc["mcwb_0.4"], dc["wb_0.4"]) == (-11.0, 34.0, 23.6, 25.3)
