"""FigureCache: dashboard figures kept a few minutes, computed once per key at a time."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, TypeVar

logger = logging.getLogger(__name__)


# ---- the cache ---------------------------------------------------------------------------------

T = TypeVar("T")


@dataclass
class _Entry:
    stamp: float
    value: Any


class FigureCache:
    """Figures by key for ``ttl`` seconds; one computation per key at a time.

    A first request for a key waits for the one computation; once a value exists, a request
    after its ``ttl`` refreshes it while the others keep getting the previous value, so twenty
    users never compute the same figures twenty times nor wait for each other.
    """

    def __init__(self, ttl: float = 300.0, max_entries: int = 256) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._entries: dict[Hashable, _Entry] = {}
        self._locks: dict[Hashable, threading.Lock] = {}
        self._guard = threading.Lock()

    def _lock(self, key: Hashable) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(key, threading.Lock())

    def _fresh(self, entry: _Entry | None) -> bool:
        return entry is not None and time.monotonic() - entry.stamp < self.ttl

    def get(self, key: Hashable, compute: Callable[[], T]) -> T:
        """The cached value; the first time, computed now (one computation, others wait).

        After ``ttl`` the previous value is still returned at once while one background
        thread computes the new one, so no user waits for a refresh."""
        entry = self._entries.get(key)
        if self._fresh(entry):
            return entry.value  # type: ignore[union-attr, no-any-return]
        lock = self._lock(key)
        if entry is not None:
            if lock.acquire(blocking=False):
                threading.Thread(
                    target=self._refresh, args=(key, compute, lock), daemon=True
                ).start()
            return entry.value  # type: ignore[no-any-return]
        with lock:
            entry = self._entries.get(key)
            if entry is not None:
                return entry.value  # type: ignore[no-any-return]
            return self._store(key, compute())

    def _refresh(self, key: Hashable, compute: Callable[[], Any], lock: threading.Lock) -> None:
        try:
            self._store(key, compute())
        except Exception:  # keep serving the previous figures; the next request retries
            logger.exception("refreshing dashboard figures %r failed", key)
        finally:
            lock.release()

    def _store(self, key: Hashable, value: T) -> T:
        with self._guard:
            if key not in self._entries and len(self._entries) >= self.max_entries:
                oldest = min(self._entries, key=lambda k: self._entries[k].stamp)
                del self._entries[oldest]
            self._entries[key] = _Entry(time.monotonic(), value)
        return value
