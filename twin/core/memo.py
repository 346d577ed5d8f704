"""A bounded, thread-safe memo shared by the engine's caches and the Dash app's."""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from typing import Any, TypeVar

import numpy as np

__all__ = ["LRU", "clear_array_memos", "of_arrays", "of_axis", "of_values", "of_weather"]

T = TypeVar("T")


class _Pending:
    """One computation of a key going on (:meth:`LRU.get`): the callers that ask for the key meanwhile wait for it."""

    __slots__ = ("done", "ok", "value")

    def __init__(self) -> None:
        self.done = threading.Event()
        self.ok = False
        self.value: Any = None


class LRU:
    """A thread-safe least-recently-used memo of at most ``maxsize`` results.

    Concurrent callers asking for the same missing key compute it once: the first computes, the
    others wait for its result (one pending computation per key). When that computation raises,
    its caller gets the error and one of the waiters computes the key again, the others waiting
    for that one in turn.
    """

    def __init__(self, maxsize: int) -> None:
        self.maxsize = maxsize
        self._data: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()
        self._pending: dict[Hashable, _Pending] = {}

    def get(self, key: Hashable, make: Callable[[], Any]) -> Any:
        """The memoised result of ``key``, else ``make()``'s (memoised), else the result of the
        computation of ``key`` going on now (waited for)."""
        while True:
            with self._lock:
                if key in self._data:
                    self._data.move_to_end(key)
                    return self._data[key]
                pending = self._pending.get(key)
                mine = pending is None
                if pending is None:
                    pending = self._pending[key] = _Pending()
            if mine:
                return self._compute(key, make, pending)
            pending.done.wait()
            if pending.ok:
                return pending.value

    def _compute(self, key: Hashable, make: Callable[[], Any], pending: _Pending) -> Any:
        try:
            value = make()
        except BaseException:
            with self._lock:
                del self._pending[key]
            pending.done.set()
            raise
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.maxsize:
                self._data.popitem(last=False)
            del self._pending[key]
        pending.value, pending.ok = value, True
        pending.done.set()
        return value

    def peek(self, key: Hashable) -> Any | None:
        """The memoised result of ``key`` if there is one (never computes)."""
        with self._lock:
            return self._data.get(key)

    def __len__(self) -> int:
        return len(self._data)

    def clear(self) -> None:
        """Forget every result (a computation in progress still stores its own)."""
        with self._lock:
            self._data.clear()


def of_values(memo: LRU, make: Callable[[], T], *values: Any, limit: int = 4096) -> T:
    """``make()``, memoised in ``memo`` by the values it is computed from (arrays or numbers).

    For what depends on parameter values alone (a setpoint's saturation terms, a tower's design
    point): computed once per process for equal values, the same result bit for bit. The arrays
    of the result (in tuples, lists and dicts too) are read-only, as it is shared; values of more than
    ``limit`` elements in all are not memoised.
    """
    arrays = [np.asarray(v) for v in values]
    if sum(a.size for a in arrays) > limit:
        return make()

    def built() -> T:
        out = make()
        _freeze(out)
        return out

    return memo.get(tuple((a.dtype.str, a.shape, a.tobytes()) for a in arrays), built)


_ARRAY_MEMOS: weakref.WeakSet[LRU] = weakref.WeakSet()
"""The memos :func:`of_arrays` has filled: what :func:`clear_array_memos` empties."""
_AXIS_MEMOS: weakref.WeakSet[LRU] = weakref.WeakSet()
"""The memos of :func:`of_axis`: what :func:`clear_array_memos` empties only when asked (``axes=True``)."""


def clear_array_memos(axes: bool = False) -> None:
    """Empty every memo of :func:`of_arrays` and :func:`of_weather` (the weather-only hourly
    states): the next call computes them from its weather, as a first run at a site does
    (``python bench/run.py pysam`` times a facility-year both ways). What depends on a time axis
    alone (:func:`of_axis`: a year's hour of day and month, the Dataset's time index) is the
    same at every site of that year and is kept, unless ``axes``."""
    for memo in list(_ARRAY_MEMOS):
        if axes or memo not in _AXIS_MEMOS:
            memo.clear()


def of_axis(memo: LRU, make: Callable[[], T], axis: Any, *key: Hashable) -> T:
    """``make()`` of a coordinate axis alone (a year's time stamps, a case axis), memoised in ``memo``
    by the axis' values and ``key``, as :func:`of_arrays`.

    For what a run builds from its time axis and nothing else (the hour of day and month, the
    Dataset's index): the same for every site whose year has that axis, so a first run at a
    new site finds it; :func:`clear_array_memos` leaves these memos (``axes=True`` empties them too).
    """
    _AXIS_MEMOS.add(memo)
    return of_arrays(memo, make, (axis,), *key)


def of_arrays(memo: LRU, make: Callable[[], T], arrays: Sequence[Any], *key: Hashable) -> T:
    """``make()``, memoised in ``memo`` by the values of large arrays (a year's weather or time
    axis) and the hashable ``key``.

    For what is rebuilt call after call from the same arrays (the hour of day of a run's time
    axis, saturation at a year's hourly pressure): each array's dtype, shape and first and last
    element pick the entry, and its bytes are compared with the entry's private copy (a
    comparison costs a fraction of hashing them); arrays that differ yet share those get
    ``make()`` unmemoised. The arrays of the result are read-only, as :func:`of_values`'.
    """
    values = [np.asarray(a) for a in arrays]
    computed: list[bool] = []

    def built() -> tuple[list[bytes], T]:
        _ARRAY_MEMOS.add(memo)  # on a miss only: a memo holding an entry has had one
        out = make()
        _freeze(out)
        computed.append(True)
        return [a.tobytes() for a in values], out

    ends = tuple((a.dtype.str, a.shape, _ends(a)) for a in values)
    own, out = memo.get((*key, *ends), built)
    if computed or all(a.tobytes() == b for a, b in zip(values, own, strict=True)):
        return out  # computed here from these arrays, or the entry's arrays are equal to them
    fresh = make()  # arrays sharing the entry's ends but not its values: computed, read-only as a hit's
    _freeze(fresh)
    return fresh


def _ends(a: np.ndarray) -> bytes:
    """The bytes of the first and the last element of ``a`` (none if it is empty)."""
    flat = a.reshape(-1)
    return flat[:1].tobytes() + flat[-1:].tobytes() if flat.size > 1 else flat.tobytes() * 2


def of_weather(memo: LRU, make: Callable[[], T], weather: Sequence[Any], *params: Any, most: int = 8) -> T:
    """``make()`` of hourly ``weather`` arrays and a few parameter values, memoised by their values
    (:func:`of_arrays`; the parameters as float arrays in the key) when every weather array is one
    row (one site) and the parameters hold at most ``most`` values in all (one value per block,
    not a sweep of them: an entry stays a few rows); else computed.

    For the weather-only part of an hourly state (saturation at the hourly pressure): the same
    year and parameters give it call after call.
    """
    values = [np.asarray(v, dtype=float) for v in params]
    if any(np.ndim(w) == 0 or np.size(w) != np.shape(w)[-1] for w in weather) or sum(v.size for v in values) > most:
        return make()
    return of_arrays(memo, make, weather, *((v.shape, v.tobytes()) for v in values))


def _freeze(x: Any) -> None:
    if isinstance(x, np.ndarray):
        x.flags.writeable = False
    elif isinstance(x, (tuple, list)):
        for v in x:
            _freeze(v)
    elif isinstance(x, dict):
        for v in x.values():
            _freeze(v)
