"""The split-sample helpers of the design report: which days train the fields, which are held out."""

from __future__ import annotations

import numpy as np
import pytest

import sites
import weather
from tests.conftest import epw_path
from tests.weather.design_report import (
    FIGURES,
    HALVES,
    _mean_conditions,
    classify,
    cold_tail,
    dew_parts,
    ensemble_position,
    expected_gaps,
    half_split,
    hot_days,
    range_dew_corr,
    two_way_split,
    wet_bulb_days,
)
from twin import site_weather
from weather import generator as gen
from weather import psychrometrics as psy
from weather.validation import design_conditions, wet_bulb_of

TRAINED_FIELDS = ("t_max_daily_sd_c", "t_min_daily_sd_c", "t_max_min_corr", "t_peak_hours", "t_dew_hot_c")


@pytest.fixture(scope="module")
def record():
    """A generated year stands in for a record (the helpers need whole hourly days only)."""
    return site_weather(sites.load("qingyang"), seed=0)[0]


def _noisy_on_day(ds, day: int):
    """``ds`` with noise added to the dry bulb and dew point of day ``day`` of every month."""
    on = ds["time"].dt.day.to_numpy() == day
    rng = np.random.default_rng(1)
    out = ds.copy(deep=True)
    for v in ("t_db", "t_dp"):
        out[v].values[on] += rng.normal(0.0, 1.5, on.sum())
    return out


def test_the_two_halves_partition_the_record_at_day_15(record):
    (_, held_a), (_, held_b) = (half_split(record, first) for first in (True, False))
    assert held_a["time"].dt.day.min() == 16 and held_b["time"].dt.day.max() == 15
    assert held_a.sizes["time"] % 24 == 0 and held_b.sizes["time"] % 24 == 0
    both = np.sort(np.concatenate([held_a["time"].to_numpy(), held_b["time"].to_numpy()]))
    np.testing.assert_array_equal(both, record["time"].to_numpy())


@pytest.mark.parametrize(("day", "train_first"), [(16, True), (15, False)])
def test_the_fields_come_from_the_training_half_only(record, day, train_first):
    """Changing a held-out day (16 for days 1–15, 15 for days 16–31) leaves the fields as they
    were and changes the held-out half; the other direction, trained on that day, changes."""
    changed = _noisy_on_day(record, day)
    fields, held = half_split(record, train_first, dew_hot=True)
    fields_c, held_c = half_split(changed, train_first, dew_hot=True)
    assert fields_c == fields
    assert not np.array_equal(held_c["t_db"], held["t_db"])
    other, other_c = (half_split(ds, not train_first, dew_hot=True)[0] for ds in (record, changed))
    for k in TRAINED_FIELDS:
        assert other_c[k] != other[k], k


def test_t_dew_hot_c_only_when_asked(record):
    assert "t_dew_hot_c" not in half_split(record, True)[0]
    assert "t_peak_hours" in half_split(record, True)[0]


def test_two_way_split_gives_both_directions_for_every_figure(record):
    gaps = two_way_split(sites.load("qingyang"), record, seeds=1)
    assert tuple(gaps) == HALVES
    for g in gaps.values():
        assert tuple(g) == FIGURES and np.all(np.isfinite(list(g.values())))
    assert gaps[HALVES[0]] != gaps[HALVES[1]]


def test_without_the_fields_the_directions_differ_by_the_halves_only(record):
    """The same generated year against both halves: the gaps differ by the halves' own difference."""
    gaps = two_way_split(sites.load("qingyang"), record, seeds=1, trained=False)
    first, second = (design_conditions(half_split(record, train_first)[1]) for train_first in (False, True))
    for k in FIGURES:
        assert gaps[HALVES[0]][k] - gaps[HALVES[1]][k] == pytest.approx(first[k] - second[k], abs=1e-9)


def _with_values(ds, t_db, t_dp):
    """``ds`` with its dry bulb and dew point replaced (hourly arrays, °C) and its RH to match."""
    out = ds.copy(deep=True)
    out["t_db"].values[:] = t_db
    out["t_dp"].values[:] = t_dp
    out["rh"].values[:] = psy.relative_humidity_from_dew_point(t_db, t_dp, out["p_air"].to_numpy())
    return out


def test_dew_parts_by_hand(record):
    """Hours at 30 °C at 15 h on even days (the 1 % level: 2 % of the hours reach it), 20 °C else; the
    dew point 5 + month, +1 K on even days and −1 K on odd ones, +2 K at 15 h and −2 K at 3 h."""
    n = record.sizes["time"] // 24
    hour, day = np.tile(np.arange(24), n), np.repeat(np.arange(n), 24)
    month = record["time"].dt.month.to_numpy() - 1
    even = day % 2 == 0
    t = np.where(even & (hour == 15), 30.0, 20.0)
    td = 5.0 + month + np.where(even, 1.0, -1.0) + 2.0 * (hour == 15) - 2.0 * (hour == 3)
    parts = dew_parts(_with_values(record, t, td), "1")
    hot = even & (hour == 15)
    assert parts["hours"] == hot.sum()
    assert parts["dip"] == pytest.approx(2.0, abs=1e-9)
    # a month's odd and even days do not quite balance: its mean is off 5 + month by at most 1/28 K
    assert parts["month"] == pytest.approx(np.mean(5.0 + month[hot]), abs=1.0 / 28.0)
    assert parts["day"] == pytest.approx(1.0, abs=1.0 / 28.0)
    assert parts["td"] == pytest.approx(parts["month"] + parts["day"] + parts["dip"], abs=1e-9)


def test_wet_bulb_days_finds_the_humid_spell(record):
    """Two humid days (48 h, more than the year's 0.4 %, 35 h) hold every hour of the 0.4 % wet bulb;
    without them the level is the other days' 0.4 % level, far below."""
    n = record.sizes["time"] // 24
    spell = np.isin(np.repeat(np.arange(n), 24), (200, 201))
    rng = np.random.default_rng(0)
    t = 25.0 + rng.normal(0.0, 2.0, spell.size)
    ds = _with_values(record, t, np.minimum(np.where(spell, 22.0, 5.0 + rng.normal(0.0, 2.0, spell.size)), t))
    share, without = wet_bulb_days(ds)
    assert share == 1.0
    assert without == pytest.approx(np.percentile(wet_bulb_of(ds)[~spell], 99.6), abs=1e-12)
    assert without < design_conditions(ds)["wb_0.4"] - 5.0


def test_range_dew_corr_of_a_linear_link(record):
    """Days whose range is 10 + a K and whose dew point is 8 − 2a °C (a random): correlation −1."""
    n = record.sizes["time"] // 24
    a = np.random.default_rng(2).uniform(-2.0, 2.0, n)
    hour = np.tile(np.arange(24), n)
    rng_h = np.repeat(10.0 + a, 24)
    t = np.where(hour == 3, 15.0, np.where(hour == 15, 15.0 + rng_h, 15.0 + rng_h / 2.0))
    td = np.repeat(8.0 - 2.0 * a, 24)
    assert range_dew_corr(_with_values(record, t, td)) == pytest.approx(-1.0, abs=1e-12)
    assert abs(range_dew_corr(_with_values(record, 15.0 + np.repeat(a, 24), td), mid=True) + 1.0) < 1e-12
    assert range_dew_corr(_with_values(record, t, np.repeat(8.0 + 2.0 * a, 24)), months=(1,)) == pytest.approx(
        1.0, abs=1e-12
    )


def test_partial_range_dew_corr_is_the_residuals_correlation(record):
    """Given the day's mean dry bulb, the partial correlation is the correlation of what a least-squares
    fit on it leaves of the range and of the dew point (each about its month's mean): days whose mean
    dry bulb is 20 + a, range 10 + a + b and dew point 8 + a − b + c °C (a, b, c random)."""
    n = record.sizes["time"] // 24
    a, b, c = np.random.default_rng(3).normal(0.0, 1.0, (3, n))
    hour = np.tile(np.arange(24), n)
    mean, width = np.repeat(20.0 + a, 24), np.repeat(10.0 + a + b, 24)
    t = mean + width * np.where(hour == 15, 23.0 / 24.0, -1.0 / 24.0)  # one hour at the top: mean kept
    td = np.repeat(8.0 + a - b + c, 24)
    ds = _with_values(record, t, td)
    month = ds["time"].dt.month.to_numpy()[::24]
    keep = np.isin(month, (6, 7, 8))
    centred = []
    for v in (width[::24], td[::24], mean[::24]):
        v = v[keep].copy()
        for m in (6, 7, 8):
            v[month[keep] == m] -= v[month[keep] == m].mean()
        centred.append(v)
    x, y, z = centred
    rx, ry = (v - np.polyfit(z, v, 1)[0] * z for v in (x, y))
    expected = np.corrcoef(rx, ry)[0, 1]
    assert range_dew_corr(ds, partial=True) == pytest.approx(expected, abs=1e-9)
    assert expected < -0.5  # the link is there, and it is not the plain correlation
    assert abs(range_dew_corr(ds) - expected) > 0.05


def test_hot_days_by_hand(record):
    """Hours at 30 °C at 15 h on even days (the 1 % level), 20 °C else; the dew point 5 + month, +1 K on
    even days and −1 K on odd ones: the hot hours' days are 10/24 K warmer than the month's mean day
    over two, their range 10 K over two wider and their dew point 1 K above; counted by month."""
    n = record.sizes["time"] // 24
    hour, day = np.tile(np.arange(24), n), np.repeat(np.arange(n), 24)
    month = record["time"].dt.month.to_numpy() - 1
    even = day % 2 == 0
    t = np.where(even & (hour == 15), 30.0, 20.0)
    td = 5.0 + month + np.where(even, 1.0, -1.0)
    got = hot_days(_with_values(record, t, td))
    hot = even & (hour == 15)
    np.testing.assert_array_equal(got["months"], np.bincount(month[hot], minlength=12))
    # a month's odd and even days do not quite balance: within 1/28 of the even-odd difference
    assert got["t"] == pytest.approx(0.5 * 10.0 / 24.0, abs=10.0 / 24.0 / 28.0)
    assert got["range"] == pytest.approx(5.0, abs=10.0 / 28.0)
    assert got["dew"] == pytest.approx(1.0, abs=2.0 / 28.0)


def test_cold_tail_finds_a_cold_spell(record):
    """20 hours of 1 December at −41 °C and 12 hours of each of 10–12 February at −40 °C: the 35
    coldest hours are December's 20 and the first 15 of February's (10 February and three of the
    11th), on three days in two spells; the minima's spread is :func:`weather.generator.monthly_sd`'s."""
    ds = record.copy(deep=True)
    t = ds["t_db"].values
    for d in (40, 41, 42):
        t[d * 24 : d * 24 + 12] = -40.0
    t[334 * 24 : 334 * 24 + 20] = -41.0
    got = cold_tail(ds)
    assert got["months"][11] == 20 and got["months"][1] == 15 and got["months"].sum() == 35
    assert (got["days"], got["spells"]) == (3, 2)
    month = ds["time"].dt.month.to_numpy()[::24] - 1
    sd = gen.monthly_sd(t.reshape(-1, 24).min(axis=1), month)
    np.testing.assert_allclose(got["sd"], sd[got["coldest"]], atol=0.005)


def test_the_record_s_rank_and_standard_score_among_generated_years():
    """Hand calculation: four years 1, 2, 3, 4 (mean 2.5, SD √(5/3)); the ends of the rank."""
    g = np.array([1.0, 2.0, 3.0, 4.0])
    rank, z = ensemble_position(g, 3.5)
    assert rank == 3
    assert z == pytest.approx(1.0 / np.sqrt(5.0 / 3.0), rel=1e-12)
    assert ensemble_position(g, 0.5)[0] == 0
    assert ensemble_position(g, 9.0)[0] == 4
    assert ensemble_position(g, 1.0)[0] == 0  # a tie is not below
    assert not np.isfinite(ensemble_position(np.array([2.0, 2.0]), 3.0)[1])


def test_expected_gaps_are_the_twenty_seed_line_s_computation_on_other_seeds():
    """Three seeds of one site: each gap is the mean of the years' figures minus the record's (as
    ``--rule``'s twenty-seed line computes it), its standard error the years' SD over √3."""
    real, _ = weather.read_epw(epw_path("karamay"))
    seeds = (100, 101, 102)
    got = expected_gaps(seeds, keys=("karamay",))["karamay"]
    site = sites.load("karamay")
    years = [site_weather(site, seed=s)[0] for s in seeds]
    mean, rec = _mean_conditions(years), design_conditions(real)
    per_year = [design_conditions(y) for y in years]
    assert tuple(got) == FIGURES
    for k in FIGURES:
        assert got[k][0] == pytest.approx(mean[k] - rec[k], abs=1e-9), k
        assert got[k][1] == pytest.approx(np.std([d[k] for d in per_year], ddof=1) / np.sqrt(3), rel=1e-9), k


@pytest.mark.parametrize(
    ("gap", "se", "kind"),
    [(0.7, 0.05, "bias"), (-0.7, 0.05, "bias"), (0.55, 0.05, "noise"), (0.45, 0.05, "line"), (0.2, 0.1, "in")],
)
def test_a_miss_beyond_two_standard_errors_is_the_model_s(gap, se, kind):
    assert classify(gap, se) == kind
