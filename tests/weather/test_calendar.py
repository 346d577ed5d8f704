"""Hour of day and month of year of time stamps, against numpy's calendar conversion of each stamp."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from weather.dataset import hour_and_month, hour_of_day, month_of_year


@settings(max_examples=60, deadline=None)
@given(
    start=st.integers(-40 * 365 * 24 * 60, 80 * 365 * 24 * 60),
    step=st.integers(1, 3 * 24 * 60),
    n=st.integers(0, 3000),
    reverse=st.booleans(),
)
def test_calendar_of_each_stamp(start: int, step: int, n: int, reverse: bool) -> None:
    t = np.datetime64(start, "m") + np.arange(n) * np.timedelta64(step, "m")
    t = (t[::-1] if reverse else t).astype("datetime64[us]")
    hours = (t - t.astype("datetime64[D]")) // np.timedelta64(1, "h")
    assert np.array_equal(hour_of_day(t), hours)
    assert np.array_equal(month_of_year(t), t.astype("datetime64[M]").astype(int) % 12)
    both = hour_and_month(t)
    assert np.array_equal(both[0], hours) and np.array_equal(both[1], month_of_year(t))


def test_calendar_of_a_year_and_of_text() -> None:
    t = np.arange("2021-01-01T00", "2022-01-01T00", dtype="datetime64[h]")
    assert np.bincount(month_of_year(t)).tolist() == [d * 24 for d in (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)]
    assert np.array_equal(hour_of_day(t), np.tile(np.arange(24), 365))
    assert hour_of_day(["1969-12-31T23:30"]).tolist() == [23]
    assert month_of_year(["1969-12-31T23:30", "1970-01-01"]).tolist() == [11, 0]


@settings(max_examples=60, deadline=None)
@given(
    start_h=st.integers(-60 * 8784, 80 * 8784),
    n=st.integers(1, 9000),
    unit=st.sampled_from(["h", "m", "s", "us", "ns"]),
)
def test_calendar_of_an_hourly_axis(start_h: int, n: int, unit: str) -> None:
    """Stamps one hour apart from a whole hour (a weather year's axis, any year and unit)."""
    t = (np.datetime64(start_h, "h") + np.arange(n) * np.timedelta64(1, "h")).astype(f"datetime64[{unit}]")
    assert np.array_equal(hour_of_day(t), t.astype("datetime64[h]").astype(int) % 24)
    assert np.array_equal(month_of_year(t), t.astype("datetime64[M]").astype(int) % 12)
    hour, month = hour_and_month(t)
    assert np.array_equal(hour, hour_of_day(t)) and np.array_equal(month, month_of_year(t))


def test_calendar_of_days() -> None:
    t = np.arange("2020-02-27", "2020-03-03", dtype="datetime64[D]")
    assert hour_of_day(t).tolist() == [0] * 5
    assert month_of_year(t).tolist() == [1, 1, 1, 2, 2]
