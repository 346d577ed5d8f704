"""A bounded, thread-safe memo shared by the engine's caches and the Dash app's."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

__all__ = ["LRU"]


class LRU:
    """A thread-safe least-recently-used memo of at most ``maxsize`` results.

    Concurrent callers asking for the same missing key compute it once (per-key lock).
    """

    def __init__(self, maxsize: int) -> None:
        self.maxsize = maxsize
        self._data: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()
        self._pending: dict[Hashable, threading.Lock] = {}

    def get(self, key: Hashable, make: Callable[[], Any]) -> Any:
        with self._lock:
            if key in self._data:
                self._data.move_to_end(key)
                return self._data[key]
            klock = self._pending.setdefault(key, threading.Lock())
        with klock:
            with self._lock:
                if key in self._data:
                    return self._data[key]
            value = make()
            with self._lock:
                self._data[key] = value
                self._data.move_to_end(key)
                while len(self._data) > self.maxsize:
                    self._data.popitem(last=False)
                self._pending.pop(key, None)
            return value

    def peek(self, key: Hashable) -> Any | None:
        """The memoised result of ``key`` if there is one (never computes)."""
        with self._lock:
            return self._data.get(key)

    def __len__(self) -> int:
        return len(self._data)
