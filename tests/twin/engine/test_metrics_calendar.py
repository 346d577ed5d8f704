"""``calendar_starts``: the day and month boundaries of a time axis, against the direct definition."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from twin.engine.metrics import calendar_starts


def _direct(time: np.ndarray, unit: str) -> np.ndarray:
    key = time.astype(unit)
    return np.flatnonzero(np.r_[True, key[1:] != key[:-1]])


@settings(max_examples=200, deadline=None)
@given(
    start=st.integers(0, 60 * 365 * 24),
    step_min=st.sampled_from([15, 30, 60, 180, 1440, 2880]),
    n=st.integers(1, 3000),
    shuffle=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
)
def test_calendar_starts_equal_the_direct_definition(start, step_min, n, shuffle, seed):
    """Any axis (leap years, sub-hourly, daily, unordered): the same indices as converting every value."""
    time = np.datetime64("1990-01-01T00:00") + (start * 60 + step_min * np.arange(n)).astype("timedelta64[m]")
    if shuffle:
        time = np.random.default_rng(seed).permutation(time)
    time = time.astype("datetime64[ns]")
    for period, unit in (("day", "datetime64[D]"), ("month", "datetime64[M]")):
        np.testing.assert_array_equal(calendar_starts(time, period), _direct(time, unit))


def test_a_leap_year_has_366_days_and_12_months():
    time = np.arange("2024-01-01T00", "2025-01-01T00", dtype="datetime64[h]")
    assert calendar_starts(time, "day").size == 366
    np.testing.assert_array_equal(
        calendar_starts(time, "month"),
        [24 * d for d in np.cumsum([0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30])],
    )
