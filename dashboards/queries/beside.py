"""Reads that run beside a request's main work, on a database connection of their own.

A screen's statements are mostly independent; on PostgreSQL, while the request's thread waits for its largest
statement (the server does the work, and Python's interpreter lock is free), a second connection can run the
others and build their tables. On SQLite (one file, one writer, in-memory databases shared through a single
connection) everything stays on the request's connection, in order. Either way the results are the same: only
where the reads run changes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager
from typing import TypeVar

from sqlalchemy import Connection, Engine

from feedback.db import limit_statement_time

T = TypeVar("T")
Opener = Callable[[], AbstractContextManager[Connection]]  # opens a read connection of its own


def opener(engine: Engine, statement_timeout_s: float) -> Opener:
    """Opens a connection of ``engine`` with the statement time limit of the request's own connection
    (``feedback.db.limit_statement_time``); needs no request or application context, so a thread may call it."""

    @contextmanager
    def open_connection() -> Iterator[Connection]:
        with engine.connect() as conn:
            limit_statement_time(conn, statement_timeout_s)
            yield conn

    return open_connection


def concurrent(engine: Engine, open_connection: Opener) -> Opener | None:
    """``open_connection`` where ``beside`` may run reads concurrently (PostgreSQL); None on SQLite."""
    return open_connection if engine.dialect.name == "postgresql" else None


@contextmanager
def beside(conn: Connection, open_connection: Opener | None, work: Callable[[Connection], T]
           ) -> Iterator[Callable[[], T]]:
    """Start ``work`` on a connection of ``open_connection`` in a thread of its own and yield a function that
    waits for its result (raising its exception, if any). Without an opener, ``work`` runs on ``conn`` when its
    result is first asked for. On leaving, the thread has finished and its connection is back in the pool."""
    if open_connection is None:
        done: list[T] = []

        def run_here() -> T:
            if not done:
                done.append(work(conn))
            return done[0]

        yield run_here
        return

    def run_beside() -> T:
        with open_connection() as own:
            return work(own)

    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="haocha-beside")
    future = pool.submit(run_beside)
    try:
        yield future.result
    finally:
        pool.shutdown(wait=True)
