"""The overview's result cache: reused for the same question and data, recomputed when the data changes."""

from __future__ import annotations

from datetime import datetime

import pytest

from dashboards.cache import ResultCache, data_version
from feedback.settings import DashboardSettings as DashboardOptions
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


class Deferred:
    """A spawn that keeps the background refreshes until the test runs them."""

    def __init__(self) -> None:
        self.pending = []

    def __call__(self, work) -> None:
        self.pending.append(work)

    def run(self) -> None:
        while self.pending:
            self.pending.pop(0)()


def test_changed_data_serves_the_last_result_while_one_refresh_runs():
    clock, spawn = Clock(), Deferred()
    cache = ResultCache(ttl=300, timer=clock, stale_seconds=30, spawn=spawn)
    assert cache.get("k", 1, lambda: "v1", refresh=lambda: "r1") == "v1"
    clock.now = 10
    got = cache.lookup("k", 2, lambda: "sync", refresh=lambda: "v2")
    assert (got.value, got.stale) == ("v1", True)  # no wait for the recomputation
    again = cache.lookup("k", 2, lambda: "sync", refresh=lambda: "other")
    assert (again.value, again.stale) == ("v1", True) and len(spawn.pending) == 1  # one refresh, not two
    spawn.run()
    fresh = cache.lookup("k", 2, lambda: "sync", refresh=lambda: "r")
    assert (fresh.value, fresh.stale) == ("v2", False) and fresh.version != got.version
    assert cache.stale == 2


def test_one_filter_set_is_refreshed_at_most_every_refresh_seconds():
    clock, spawn = Clock(), Deferred()
    cache = ResultCache(ttl=300, timer=clock, stale_seconds=30, refresh_seconds=5, spawn=spawn)
    cache.get("k", 1, lambda: "v1", refresh=lambda: "r1")
    clock.now = 2
    assert cache.lookup("k", 2, lambda: "sync", refresh=lambda: "v2").value == "v1" and not spawn.pending
    clock.now = 5
    assert cache.lookup("k", 3, lambda: "sync", refresh=lambda: "v3").value == "v1" and len(spawn.pending) == 1
    spawn.run()
    clock.now = 6  # a batch right after the refresh: served as it is until the result is 5 s old again
    assert cache.lookup("k", 4, lambda: "sync", refresh=lambda: "v4").value == "v3" and not spawn.pending
    clock.now = 10
    assert cache.lookup("k", 4, lambda: "sync", refresh=lambda: "v4").value == "v3" and len(spawn.pending) == 1


def test_a_result_older_than_stale_seconds_is_recomputed_in_the_request():
    clock, spawn = Clock(), Deferred()
    cache = ResultCache(ttl=300, timer=clock, stale_seconds=30, spawn=spawn)
    cache.get("k", 1, lambda: "v1", refresh=lambda: "r1")
    clock.now = 31
    got = cache.lookup("k", 2, lambda: "v2", refresh=lambda: "r2")
    assert (got.value, got.stale) == ("v2", False) and not spawn.pending


def test_stale_seconds_zero_and_no_refresh_function_wait_for_the_new_result():
    for stale_seconds, refresh in ((0, lambda: "r"), (30, None)):
        spawn = Deferred()
        cache = ResultCache(ttl=300, timer=Clock(), stale_seconds=stale_seconds, spawn=spawn)
        cache.get("k", 1, lambda: "v1", refresh=refresh)
        got = cache.lookup("k", 2, lambda: "v2", refresh=refresh)
        assert (got.value, got.stale) == ("v2", False) and not spawn.pending


def test_clear_marks_entries_stale_and_an_older_computation_never_wins():
    clock, spawn = Clock(), Deferred()
    cache = ResultCache(ttl=300, timer=clock, stale_seconds=30, spawn=spawn)
    cache.get("k", 1, lambda: "v1", refresh=lambda: "r1")
    cache.clear()  # the dashboard's background stages finished: the rollups changed under the entry
    assert cache.lookup("k", 1, lambda: "sync", refresh=lambda: "late").stale
    clock.now = 5
    cache.clear()
    # a newer question computed in the foreground before the older refresh finished
    cache.get("k", 1, lambda: "newest")
    spawn.run()  # the refresh started at t=0 finishes last
    assert cache.get("k", 1, lambda: "x") == "newest"


def test_a_failed_refresh_drops_the_entry_and_the_next_request_computes():
    clock, spawn = Clock(), Deferred()
    cache = ResultCache(ttl=300, timer=clock, stale_seconds=30, spawn=spawn)
    cache.get("k", 1, lambda: "v1")

    def broken():
        raise RuntimeError("database gone")

    assert cache.lookup("k", 2, lambda: "x", refresh=broken).value == "v1"
    spawn.run()
    got = cache.lookup("k", 2, lambda: "v2", refresh=broken)
    assert (got.value, got.stale) == ("v2", False) and not spawn.pending


def test_a_new_batch_changes_the_version(engine):
    with engine.begin() as conn:
        before = data_version(conn)
        factory.add_batch(conn, source_system="t", profile="national", file_name="f.csv", file_sha256="0" * 64,
                          status="done", started_at=datetime(2026, 3, 1), finished_at=datetime(2026, 3, 1, 0, 1),
                          read=0, loaded=0)
        after_batch = data_version(conn)
        assert after_batch != before
        factory.add_model_version(conn, "m1")
        with_model = data_version(conn)
        assert with_model != after_batch
        factory.add_model_version(conn, "m2", kind="category")  # a second active version
        assert data_version(conn) != with_model


@pytest.mark.parametrize("options", [DashboardOptions(refresh_seconds=0)])
def test_page_and_api_share_entries_and_a_new_batch_refreshes(app, client_for, users, engine):
    client = client_for("admin")
    cache = app.extensions["haocha"].cache
    cache._spawn = spawn = Deferred()
    page = client.get("/")
    assert page.status_code == 200 and "数据更新中" not in page.get_data(as_text=True)
    misses = cache.misses
    hits = cache.hits
    api = client.get("/api/v1/overview")
    # the API reads the page's data entry (a hit) and only converts it to JSON once (one miss)
    assert api.status_code == 200 and cache.hits == hits + 1 and cache.misses == misses + 1
    client.get("/api/v1/overview")
    assert cache.misses == misses + 1
    before = client.get("/api/v1/overview").get_json()
    with engine.begin() as conn:
        factory.add_batch(conn, source_system="t", profile="national", file_name="g.csv", file_sha256="1" * 64,
                          status="done", started_at=datetime(2026, 3, 1), finished_at=datetime(2026, 3, 1, 0, 1),
                          read=0, loaded=0)
    # a new data version: the last result is served at once, marked on the page, while one refresh runs
    stale = client.get("/api/v1/overview")
    assert stale.get_json() == before and stale.headers["X-Haocha-Data-Updating"] == "1"
    assert "数据更新中" in client.get("/").get_data(as_text=True)
    assert len(spawn.pending) == 2 and cache.misses == misses + 1  # the data and the filter bar's options
    spawn.run()
    fresh = client.get("/api/v1/overview")
    after = fresh.get_json()
    assert after != before and "X-Haocha-Data-Updating" not in fresh.headers  # the refreshed data, converted again
    assert "数据更新中" not in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize("options", [DashboardOptions(stale_seconds=0)])
def test_without_stale_seconds_a_new_batch_is_computed_in_the_request(app, client_for, users, engine):
    client = client_for("admin")
    cache = app.extensions["haocha"].cache
    cache._spawn = spawn = Deferred()
    before = client.get("/api/v1/overview").get_json()
    with engine.begin() as conn:
        factory.add_batch(conn, source_system="t", profile="national", file_name="g.csv", file_sha256="1" * 64,
                          status="done", started_at=datetime(2026, 3, 1), finished_at=datetime(2026, 3, 1, 0, 1),
                          read=0, loaded=0)
    assert client.get("/api/v1/overview").get_json() != before and not spawn.pending


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
