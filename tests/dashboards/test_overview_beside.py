"""Reads beside the request's connection (dashboards.queries.beside): the same overview either way, the second
connection used only for long periods, errors and connections never lost."""

from __future__ import annotations

import threading
from contextlib import contextmanager
from datetime import date, datetime

import pytest
from sqlalchemy import create_engine

from dashboards.queries.beside import beside, concurrent, opener
from dashboards.queries.overview import BESIDE_MIN_DAYS, overview_data
from feedback.filters import Filters
from feedback.stats.rollups import refresh_rollups
from tests.feedback.stats.test_kpi import A, load_fixture

AS_OF = datetime(2026, 4, 2, 9, 0)
QUARTER = Filters(start=date(2026, 1, 1), end=date(2026, 3, 31))  # longer than BESIDE_MIN_DAYS
MARCH = Filters(start=date(2026, 3, 1), end=date(2026, 3, 31))


@pytest.fixture
def settings(db_url, settings_factory):
    return settings_factory(db_url, ingest={"chunk_size": 1000}, kpi={"min_ranking_volume": 1, "board_size": 1})


def _recording(open_connection):
    """``open_connection`` that records the threads it was opened from."""
    threads: list[int] = []

    @contextmanager
    def record():
        threads.append(threading.get_ident())
        with open_connection() as conn:
            yield conn

    return record, threads


def _json(engine, settings, filters, dept=None, open_beside=None) -> dict:
    with engine.connect() as conn:
        return overview_data(conn, filters.scoped(dept), dept, grain="week", settings=settings, now=AS_OF,
                             open_beside=open_beside).as_json()


@pytest.mark.parametrize("dept", [None, A])
def test_long_period_reads_beside_and_gives_the_same_overview(engine, settings, dept):
    load_fixture(engine)
    refresh_rollups(engine)
    assert (QUARTER.end - QUARTER.start).days + 1 > BESIDE_MIN_DAYS
    record, threads = _recording(opener(engine, 30))
    alone = _json(engine, settings, QUARTER, dept)
    together = _json(engine, settings, QUARTER, dept, open_beside=record)
    assert threads and threads[0] != threading.get_ident()  # the sections ran in a thread of their own
    assert together == alone
    assert together["total"] > 0 and len(together["trend"]) > 0


def test_a_month_stays_on_one_connection(engine, settings):
    load_fixture(engine)
    refresh_rollups(engine)
    record, threads = _recording(opener(engine, 30))
    assert _json(engine, settings, MARCH, open_beside=record) == _json(engine, settings, MARCH)
    assert threads == []


def test_only_postgresql_reads_beside():
    sqlite = create_engine("sqlite://")
    pg = create_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")  # never connected: only the dialect counts
    open_connection = opener(pg, 30)
    assert concurrent(sqlite, opener(sqlite, 30)) is None
    assert concurrent(pg, open_connection) is open_connection


class _Conn:
    def __init__(self, name):
        self.name, self.closed = name, False


def _fake_opener(opened: list):
    @contextmanager
    def open_connection():
        c = _Conn("beside")
        opened.append(c)
        try:
            yield c
        finally:
            c.closed = True

    return open_connection


def test_beside_without_opener_runs_once_on_the_callers_connection():
    main, calls = _Conn("main"), []
    with beside(main, None, lambda c: calls.append(c) or len(calls)) as result:
        assert calls == []  # nothing runs until the result is asked for
        assert result() == 1 and result() == 1
    assert calls == [main]


def test_beside_runs_in_a_thread_and_returns_its_connection():
    opened: list = []
    seen: list = []
    with beside(_Conn("main"), _fake_opener(opened), lambda c: seen.append((c, threading.get_ident())) or 42) as r:
        assert r() == 42
    (conn, thread), = seen
    assert conn is opened[0] and conn.closed and thread != threading.get_ident()


def test_beside_raises_the_threads_error_and_waits_for_it_when_the_caller_fails():
    opened: list = []

    def boom(_conn):
        raise ValueError("side failed")

    with pytest.raises(ValueError, match="side failed"):
        with beside(_Conn("main"), _fake_opener(opened), boom) as r:
            r()
    assert opened[0].closed

    release = threading.Event()

    def slow(conn):
        release.wait(5)
        return conn

    with pytest.raises(RuntimeError, match="main failed"):
        with beside(_Conn("main"), _fake_opener(opened), slow):
            release.set()
            raise RuntimeError("main failed")
    assert opened[1].closed  # the thread finished and gave its connection back before the error went on
