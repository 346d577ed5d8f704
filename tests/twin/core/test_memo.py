"""Memoising by value (what depends on parameter values alone) and the shared time index."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from twin.core.memo import LRU, clear_array_memos, of_arrays, of_axis, of_values
from twin.core.variables import build_dataset


def test_of_values_computes_once_per_value_and_shares_read_only() -> None:
    memo, calls = LRU(8), []

    def make(x: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
        calls.append(x.copy())
        return x * 2.0, [x + 1.0]

    a = np.array([[22.0]])
    first = of_values(memo, lambda: make(a), a)
    again = of_values(memo, lambda: make(a), np.array([[22.0]]))  # equal values, another array
    assert again is first and len(calls) == 1
    assert not first[0].flags.writeable and not first[1][0].flags.writeable
    with pytest.raises(ValueError):
        first[0][0, 0] = 0.0
    other = of_values(memo, lambda: make(np.array([[23.0]])), np.array([[23.0]]))
    assert other[0][0, 0] == 46.0 and len(calls) == 2
    # the shape and the dtype are part of the key: (1, 1) and (1,) are different values
    of_values(memo, lambda: make(np.array([22.0])), np.array([22.0]))
    assert len(calls) == 3


def test_of_values_does_not_memoise_large_values() -> None:
    memo = LRU(8)
    big = np.zeros(10)
    out = of_values(memo, lambda: big + 1.0, big, limit=5)
    assert out.flags.writeable and len(memo) == 0


def test_of_arrays_compares_every_array_whole_and_keys_the_rest() -> None:
    """Equal arrays (another object) share the entry; an array that differs inside (same ends,
    dtype and shape), another key or another second array each computes again."""
    memo, calls = LRU(8), []

    def make(*arrays: np.ndarray) -> np.ndarray:
        calls.append(1)
        return sum(a.sum() for a in arrays) * np.ones(2)

    a, b = np.arange(10.0), np.linspace(0.0, 1.0, 10)
    first = of_arrays(memo, lambda: make(a, b), (a, b), "k")
    assert of_arrays(memo, lambda: make(a, b), (a.copy(), b.copy()), "k") is first and len(calls) == 1
    assert not first.flags.writeable
    inner = a.copy()
    inner[4] += 100.0  # the same ends: the same entry, told apart by the comparison
    missed = of_arrays(memo, lambda: make(inner, b), (inner, b), "k")
    assert missed[0] == first[0] + 100.0
    assert not missed.flags.writeable  # read-only as a hit is: code writing into it fails either way
    other = b.copy()
    other[3] = -5.0
    assert of_arrays(memo, lambda: make(a, other), (a, other), "k")[0] != first[0]
    assert of_arrays(memo, lambda: make(a, b) + 1.0, (a, b), "j")[0] == first[0] + 1.0
    assert len(calls) == 4


def test_time_index_shared_only_for_equal_stamps() -> None:
    """Two time axes with the same ends but different stamps get their own index."""
    t1 = np.datetime64("2021-01-01T00", "us") + np.arange(5).astype("timedelta64[h]")
    t2 = t1.copy()
    t2[2] += np.timedelta64(30, "m")
    data = {"x": xr.Variable(("time",), np.arange(5.0))}
    d1 = build_dataset(data, {"time": (("time",), t1)})
    d2 = build_dataset(data, {"time": (("time",), t2)})
    d3 = build_dataset(data, {"time": (("time",), t1.copy())})
    assert np.array_equal(d1["time"].values, t1) and np.array_equal(d2["time"].values, t2)
    assert d3.xindexes["time"] is d1.xindexes["time"]  # equal stamps: one index per process
    assert d2.sel(time=t2[2])["x"].item() == 2.0
    # the index holds its own copy: a caller's later edit of its array changes no Dataset
    t1[0] = np.datetime64("2000-01-01T00", "us")
    assert d1["time"].values[0] == np.datetime64("2021-01-01T00", "us")
    assert xr.Dataset(dict(data), coords={"time": t2}).identical(d2)


@pytest.mark.parametrize(
    "values",
    [
        np.datetime64("2021-01-01T00", "us") + np.arange(48).astype("timedelta64[h]"),
        np.datetime64("2021-01-01T00", "ns") + np.arange(48).astype("timedelta64[h]"),
        np.arange(7),
        np.linspace(18.0, 24.0, 5),
    ],
)
@pytest.mark.parametrize("simple", [True, False])
def test_a_dimension_index_is_the_one_xarray_builds(
    monkeypatch: pytest.MonkeyPatch, values: np.ndarray, simple: bool
) -> None:
    """The index of a dimension coordinate (datetimes, integers, floats) is xarray's own: its
    class, name, dtype and frequency, and the Dataset identical to the constructor's; datetimes
    wrapped directly (pandas' ``_simple_new``, as this pandas allows) or by the constructor."""
    import pandas as pd

    from twin.core import variables

    assert variables._simple_index_works(pd)
    monkeypatch.setattr(variables, "_SIMPLE_INDEX", [simple])
    monkeypatch.setattr(variables, "_INDEXES", type(variables._INDEXES)(8))
    data = {"x": xr.Variable(("d",), np.zeros(values.size))}
    ours, theirs = build_dataset(data, {"d": (("d",), values)}), xr.Dataset(dict(data), coords={"d": values})
    a, b = ours.xindexes["d"], theirs.xindexes["d"]
    assert ours.identical(theirs) and a.equals(b) and a.coord_dtype == b.coord_dtype
    assert type(a.index) is type(b.index) and a.index.name == b.index.name == "d"
    assert a.index.dtype == b.index.dtype and getattr(a.index, "freq", None) == getattr(b.index, "freq", None)


@pytest.mark.parametrize("simple", [True, False])
@pytest.mark.parametrize(
    "values",
    [np.arange("2021-01-01T00", "2021-01-02T00", dtype="datetime64[h]").astype("datetime64[ns]"), np.arange(6)],
)
def test_a_shared_index_cannot_be_written_through(
    monkeypatch: pytest.MonkeyPatch, values: np.ndarray, simple: bool
) -> None:
    """The index built for equal values is shared by every later Dataset, so no view of it a user
    can reach (``.asi8``, ``numpy.asarray`` of the index, ``.values``) writes into it: a write
    raises, and the next Dataset's coordinate is the one given."""
    from twin.core import variables

    monkeypatch.setattr(variables, "_SIMPLE_INDEX", [simple])
    monkeypatch.setattr(variables, "_INDEXES", type(variables._INDEXES)(8))
    data = {"x": xr.Variable(("d",), np.zeros(values.size))}
    first = build_dataset(data, {"d": (("d",), values)})
    index = first.indexes["d"]
    views = [np.asarray(index), index.values] + ([index.asi8] if values.dtype.kind == "M" else [])
    for view in views:
        with pytest.raises(ValueError, match="read-only"):
            view[0] = view[-1]
    again = build_dataset(data, {"d": (("d",), values.copy())})
    assert again.indexes["d"] is index or again.indexes["d"].equals(index)
    np.testing.assert_array_equal(again["d"].values, values)


def test_a_failed_computation_leaves_no_pending_lock() -> None:
    memo = LRU(4)

    def fail() -> None:
        raise ValueError("bad value")

    for _ in range(3):
        with pytest.raises(ValueError, match="bad value"):
            memo.get("k", fail)
    assert memo._pending == {} and len(memo) == 0
    assert memo.get("k", lambda: 1) == 1


def test_clear_array_memos_makes_the_next_call_compute() -> None:
    """What the bench's "memos cleared" facility-year relies on: after the clear, an array memo
    computes again (an of_values memo, of parameters alone, is kept)."""
    arrays, values = LRU(4), LRU(4)
    calls: list[str] = []
    year = np.arange(8760.0)

    def make(kind: str):
        return lambda: calls.append(kind) or np.zeros(3)

    of_arrays(arrays, make("arrays"), (year,))
    of_values(values, make("values"), 1.0)
    of_arrays(arrays, make("arrays"), (year,))
    of_values(values, make("values"), 1.0)
    assert calls == ["arrays", "values"]
    clear_array_memos()
    of_arrays(arrays, make("arrays"), (year,))
    of_values(values, make("values"), 1.0)
    assert calls == ["arrays", "values", "arrays"]


def test_an_axis_memo_is_kept_by_the_clear_and_keyed_by_the_axis() -> None:
    """A year's calendar and index (:func:`of_axis`) outlive ``clear_array_memos()`` (a first year
    at a new site of the same year finds them), not ``clear_array_memos(axes=True)``; another axis,
    also one with the same ends and length, computes its own."""
    memo, weather = LRU(4), LRU(4)
    calls: list[str] = []
    year = np.datetime64("2021-01-01T00", "us") + np.arange(8760).astype("timedelta64[h]")
    other = year.copy()
    other[10] += np.timedelta64(1, "h")  # the same ends and length

    def make(kind: str):
        return lambda: calls.append(kind) or np.zeros(3)

    of_axis(memo, make("axis"), year)
    of_arrays(weather, make("weather"), (np.arange(8760.0),))
    clear_array_memos()
    of_axis(memo, make("axis"), year.copy())
    of_arrays(weather, make("weather"), (np.arange(8760.0),))
    assert calls == ["axis", "weather", "weather"]
    of_axis(memo, make("other"), other)
    of_axis(memo, make("key"), year, "time")
    assert calls[3:] == ["other", "key"]
    clear_array_memos(axes=True)
    of_axis(memo, make("axis"), year)
    assert calls[5:] == ["axis"]
