"""The overview's result cache: reused for the same question and data, recomputed when the data changes."""

from __future__ import annotations

from datetime import datetime

from dashboards.cache import ResultCache, data_version
from tests import factory


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_hit_version_change_and_expiry():
    clock, calls = Clock(), []
    cache = ResultCache(ttl=60, timer=clock)

    def compute(value):
        calls.append(value)
        return value

    assert cache.get("k", 1, lambda: compute("a")) == "a"
    assert cache.get("k", 1, lambda: compute("b")) == "a"  # same question, same data: reused
    assert cache.get("k", 2, lambda: compute("c")) == "c"  # the data changed: recomputed
    assert cache.get("other", 2, lambda: compute("d")) == "d"  # another question
    clock.now = 61
    assert cache.get("k", 2, lambda: compute("e")) == "e"  # expired
    assert calls == ["a", "c", "d", "e"] and (cache.hits, cache.misses) == (1, 4)


def test_ttl_zero_is_off():
    cache, calls = ResultCache(ttl=0), []
    for _ in range(3):
        cache.get("k", 1, lambda: calls.append(1))
    assert len(calls) == 3


def test_a_new_batch_changes_the_version(engine):
    with engine.begin() as conn:
        before = data_version(conn)
        factory.add_batch(conn, source_system="t", profile="national", file_name="f.csv", file_sha256="0" * 64,
                          status="done", started_at=datetime(2026, 3, 1), finished_at=datetime(2026, 3, 1, 0, 1),
                          read=0, loaded=0)
        assert data_version(conn) != before


def test_page_and_api_share_entries_and_a_new_batch_refreshes(app, client_for, users, engine):
    client = client_for("admin")
    cache = app.extensions["haocha"].cache
    page = client.get("/")
    assert page.status_code == 200
    misses = cache.misses
    hits = cache.hits
    api = client.get("/api/v1/overview")
    # the API reads the page's data entry (a hit) and only converts it to JSON once (one miss)
    assert api.status_code == 200 and cache.hits == hits + 1 and cache.misses == misses + 1
    client.get("/api/v1/overview")
    assert cache.misses == misses + 1
    with engine.begin() as conn:
        factory.add_batch(conn, source_system="t", profile="national", file_name="g.csv", file_sha256="1" * 64,
                          status="done", started_at=datetime(2026, 3, 1), finished_at=datetime(2026, 3, 1, 0, 1),
                          read=0, loaded=0)
    client.get("/api/v1/overview")
    assert cache.misses == misses + 3  # a new data version: the data and its JSON are computed again


def test_concurrent_misses_compute_once():
    import threading
    import time

    cache, calls = ResultCache(ttl=60), []

    def slow():
        calls.append(1)
        time.sleep(0.2)
        return "v"

    threads = [threading.Thread(target=lambda: cache.get("k", 1, slow)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1 and cache.hits == 3
