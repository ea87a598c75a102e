"""Helpers the page blueprints share: filters from the URL (scoped to the user), page numbers and the read
connection (with its statement timeout)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import request
from sqlalchemy import Connection

from dashboards import auth, context
from feedback.db import limit_statement_time
from feedback.filters import FilterError, Filters


@contextmanager
def read_connection() -> Iterator[Connection]:
    """A connection for a screen's or the API's reads: on PostgreSQL every statement is cancelled after
    [dashboard] statement_timeout_s (one request cannot hold the database for minutes)."""
    with context.engine().connect() as conn:
        limit_statement_time(conn, context.options().statement_timeout_s)
        yield conn


def request_filters() -> tuple[Filters, str | None]:
    """The URL's filters scoped to the user's department, and an error message when they are unusable."""
    try:
        return auth.scope(Filters.from_query_args(request.args)), None
    except FilterError as exc:
        return auth.scope(Filters()), f"筛选条件无效：{exc}"


MAX_PAGE = 1_000_000  # page numbers above this are clamped (an offset past 2**63 would be a database error)


def page_number(name: str = "page") -> int:
    try:
        return min(max(1, int(request.args.get(name, "1"))), MAX_PAGE)
    except ValueError:
        return 1
