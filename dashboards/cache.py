"""Results of the overview's read-only queries, shared by the page and the API for a short while.

An entry is keyed by what was asked (filters already scoped to the user's department, grain, settings) and by
the data's version: the last finished batch, the last ledger event and the active scoring version. A new batch,
a ledger change or a rescoring therefore misses at once; ``ttl`` seconds bound everything else (the rollup
refresh that follows a batch). ``ttl = 0`` turns the cache off.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import TypeVar

from cachetools import TTLCache

from dashboards.queries.version import data_version

__all__ = ["ResultCache", "data_version"]

T = TypeVar("T")


class ResultCache:
    """A bounded, thread-safe TTL cache of query results (waitress serves requests on several threads)."""

    def __init__(self, ttl: float, max_entries: int = 256, timer: Callable[[], float] | None = None) -> None:
        self.ttl = ttl
        kwargs = {"timer": timer} if timer else {}
        self._entries: TTLCache | None = TTLCache(max_entries, ttl, **kwargs) if ttl > 0 else None
        self._lock = threading.Lock()
        self._computing: dict[Hashable, threading.Lock] = {}
        self.hits = self.misses = 0

    def get(self, key: Hashable, version: Hashable, compute: Callable[[], T]) -> T:
        """The cached result for ``(key, version)``, else ``compute()`` stored under it."""
        if self._entries is None:
            return compute()
        full = (key, version)
        with self._lock:
            if full in self._entries:
                self.hits += 1
                return self._entries[full]
            gate = self._computing.setdefault(full, threading.Lock())
        # one thread computes a missing entry; others asking the same question meanwhile wait for it
        with gate:
            with self._lock:
                if full in self._entries:
                    self.hits += 1
                    return self._entries[full]
            try:
                value = compute()
                with self._lock:
                    self.misses += 1
                    self._entries[full] = value
            finally:
                with self._lock:
                    self._computing.pop(full, None)
        return value

    def clear(self) -> None:
        with self._lock:
            if self._entries is not None:
                self._entries.clear()
