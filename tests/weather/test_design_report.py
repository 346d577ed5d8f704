"""The split-sample helpers of the design report: which days train the fields, which are held out."""

from __future__ import annotations

import numpy as np
import pytest

import sites
from tests.weather.design_report import FIGURES, HALVES, half_split, two_way_split
from twin import site_weather
from weather.validation import design_conditions

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
