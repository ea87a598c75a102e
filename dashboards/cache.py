"""Results of the overview's read-only queries, shared by the page and the API for a short while.

An entry is keyed by what was asked (filters already scoped to the user's department, grain, settings) and
remembers the data's version it was computed for: the last finished batch, the last ledger event and the active
scoring version. ``ttl`` seconds bound an entry's life (the rollup refresh that follows a batch). ``ttl = 0``
turns the cache off.

When the data has changed, a question asked with a ``refresh`` function is answered at once with the result
computed for the older data, if that result is at most ``stale_seconds`` old, while one background thread
computes the new one (stale-while-revalidate): under a steady stream of uploads and pushes, requests never queue
behind a recomputation. A result is recomputed so at most every ``refresh_seconds`` (each new batch would
otherwise recompute every filter set in use, and the recomputations would take the CPU the requests need). ``stale_seconds = 0`` recomputes in the request, as before. ``lookup`` tells the caller
which version it got, so figures built from a result are cached with that result's version.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, Generic, NamedTuple, TypeVar

from cachetools import TTLCache

from dashboards.queries.version import data_version

__all__ = ["Cached", "ResultCache", "data_version"]

T = TypeVar("T")
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Entry:
    version: Hashable  # (generation, data version) the value was computed for
    value: Any
    started: float  # when its computation started: an older computation never replaces a newer one


class Cached(NamedTuple, Generic[T]):
    value: T
    version: Hashable  # the version the value was computed for (key for what is built from it)
    stale: bool  # the data has changed since: a newer value is being computed in the background


def _in_thread(work: Callable[[], None]) -> None:
    threading.Thread(target=work, name="haocha-cache-refresh", daemon=True).start()


class ResultCache:
    """A bounded, thread-safe TTL cache of query results (waitress serves requests on several threads)."""

    def __init__(self, ttl: float, max_entries: int = 256, timer: Callable[[], float] | None = None,
                 stale_seconds: float = 0, refresh_seconds: float = 0,
                 spawn: Callable[[Callable[[], None]], None] = _in_thread) -> None:
        self.ttl = ttl
        self.stale_seconds = stale_seconds if ttl > 0 else 0
        self.refresh_seconds = refresh_seconds
        self._timer = timer or time.monotonic
        self._entries: TTLCache | None = TTLCache(max_entries, ttl, timer=self._timer) if ttl > 0 else None
        self._lock = threading.Lock()
        self._computing: dict[Hashable, threading.Lock] = {}
        self._refreshing: set[Hashable] = set()
        self._spawn = spawn
        self._generation = 0
        self.hits = self.misses = self.stale = 0

    def get(self, key: Hashable, version: Hashable, compute: Callable[[], T], *,
            refresh: Callable[[], T] | None = None) -> T:
        """The cached result for ``key`` at ``version``, else ``compute()`` stored under it (see ``lookup``)."""
        return self.lookup(key, version, compute, refresh=refresh).value

    def lookup(self, key: Hashable, version: Hashable, compute: Callable[[], T], *,
               refresh: Callable[[], T] | None = None) -> Cached[T]:
        """The value, the version it was computed for and whether that is older than ``version``. A result for older data is returned as it is when
        ``refresh`` is given (a function that computes on a connection of its own) and the result is at most
        ``stale_seconds`` old; ``refresh`` then runs once in the background, if the result is at least
        ``refresh_seconds`` old. Otherwise ``compute()`` runs here,
        once however many threads ask at the same time."""
        if self._entries is None:
            return Cached(compute(), version, False)
        with self._lock:
            full = (self._generation, version)
            entry = self._entries.get(key)
            if entry is not None and entry.version == full:
                self.hits += 1
                return Cached(entry.value, entry.version, False)
            age = None if entry is None else self._timer() - entry.started
            if refresh is not None and self.stale_seconds > 0 and age is not None and age <= self.stale_seconds:
                self.stale += 1
                if age >= self.refresh_seconds and key not in self._refreshing:
                    self._refreshing.add(key)
                    started = self._timer()
                    self._spawn(lambda: self._refresh(key, full, refresh, started))
                return Cached(entry.value, entry.version, True)
            gate = self._computing.setdefault((key, full), threading.Lock())
        # one thread computes a missing entry; others asking the same question meanwhile wait for it
        with gate:
            with self._lock:
                entry = self._entries.get(key)
                if entry is not None and entry.version == full:
                    self.hits += 1
                    return Cached(entry.value, entry.version, False)
                started = self._timer()
            try:
                value = compute()
                with self._lock:
                    self.misses += 1
                    self._store(key, _Entry(full, value, started))
            finally:
                with self._lock:
                    self._computing.pop((key, full), None)
        return Cached(value, full, False)

    def _store(self, key: Hashable, entry: _Entry) -> None:
        current = self._entries.get(key)
        if current is None or current.started <= entry.started:
            self._entries[key] = entry

    def _refresh(self, key: Hashable, full: Hashable, refresh: Callable[[], Any], started: float) -> None:
        try:
            value = refresh()
            with self._lock:
                self.misses += 1
                self._store(key, _Entry(full, value, started))
        except Exception:  # the next request computes it in the foreground and shows the error
            log.exception("background refresh of a cached result failed")
            with self._lock:
                self._entries.pop(key, None)
        finally:
            with self._lock:
                self._refreshing.discard(key)

    def clear(self) -> None:
        """Mark every entry as computed for older data (the rollups changed under it): the next question
        recomputes, or gets the entry while it is refreshed (``stale_seconds``)."""
        with self._lock:
            self._generation += 1
