"""Helpers the page blueprints share: filters from the URL (scoped to the user), the filter bar's options and
当前筛选 line, page numbers and the read connection (with its statement timeout)."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Iterator
from contextlib import contextmanager
from datetime import date
from typing import TypeVar

from flask import g, request
from sqlalchemy import Connection

from dashboards import auth, context
from dashboards.actions import jobs
from dashboards.cache import Cached, data_version
from dashboards.queries.beside import Opener, concurrent, opener
from dashboards.queries.overview import cached_taxonomy
from dashboards.queries.overview_filters import Options, option_lists, option_names, with_selected
from feedback.filters import FilterError, Filters, describe_filters
from feedback.regions import region_name, region_names

T = TypeVar("T")


@contextmanager
def read_connection() -> Iterator[Connection]:
    """A connection for a screen's or the API's reads, on the read replica when ``[database] read_url`` names one:
    on PostgreSQL every statement is cancelled after [dashboard] statement_timeout_s (one request cannot hold the
    database for minutes)."""
    with read_opener()() as conn:
        yield conn


def read_opener() -> Opener:
    """What ``read_connection`` opens, as a function a background thread may call (no request context needed)."""
    return opener(context.read_engine(), context.options().statement_timeout_s)


def beside_opener() -> Opener | None:
    """``read_opener`` where a screen may read beside its own connection (``queries.beside``: PostgreSQL)."""
    return concurrent(context.read_engine(), read_opener())


def request_filters() -> tuple[Filters, str | None]:
    """The URL's filters scoped to the user's department, and an error message when they are unusable."""
    try:
        return auth.scope(Filters.from_query_args(request.args)), None
    except FilterError as exc:
        return auth.scope(Filters()), f"筛选条件无效：{exc}"


def _data_version(conn: Connection) -> tuple:
    """The data's version, read once per request (a page asks the cache for its data and its filter options)."""
    if "haocha_data_version" not in g:
        g.haocha_data_version = data_version(conn) + jobs.cache_version(conn)
    return g.haocha_data_version


def cached(conn: Connection, key: Hashable, compute: Callable[[Connection], T]) -> Cached[T]:
    """``compute(conn)`` through the app's result cache, under ``key`` and the data's version. When the data has
    changed, a result at most [dashboard] stale_seconds old comes back marked ``stale`` and ``compute`` runs
    again in the background on a read connection of its own (so it must not use the request)."""
    cache = context.cache()
    version = _data_version(conn) if cache.ttl else None
    open_connection = read_opener()

    def refresh() -> T:
        with open_connection() as own:
            return compute(own)

    return cache.lookup(key, version, lambda: compute(conn), refresh=refresh)


def filter_bar(conn: Connection, filters: Filters, period: tuple[date, date] | None = None,
               extra: Iterable[tuple[str, str]] = ()) -> tuple[dict[str, Options], str]:
    """Every screen's filter fields and its 当前筛选 line: the option lists of ``option_lists`` (the user's
    department, regions by name; cached with the data) and ``describe_filters`` of ``filters`` over ``period``
    (the period shown; the filters' own dates when None), with a page's own conditions in ``extra``."""
    user = auth.current_user()
    settings = context.settings()
    # services are those rated in the period: the one shown, else the filters' own complete date range
    scope = period or ((filters.start, filters.end) if filters.start and filters.end else None)
    taxonomy = cached_taxonomy(settings)
    # one read of the lists per department and period (cached with the data), the filter set's own values after
    lists = cached(conn, ("options", user.dept_code, scope), lambda c: option_lists(c, user.dept_code, scope, taxonomy))
    options = with_selected(lists.value, filters, user.dept_code)
    names = region_names(settings)  # the rollups hold codes: name the region choices
    options = {**options, "region": [(c, region_name(c, names) or label) for c, label in options["region"]]}
    return options, describe_filters(filters, option_names(options), period, extra)


def named(values: Iterable[str], options: Iterable[tuple[str, str]]) -> str:
    """Chosen values by their labels, "、"-joined (a page's own condition in the 当前筛选 line)."""
    labels = dict(options)
    return "、".join(labels.get(v, v) for v in values)


MAX_PAGE = 1_000_000  # page numbers above this are clamped (an offset past 2**63 would be a database error)


def page_number(name: str = "page") -> int:
    try:
        return min(max(1, int(request.args.get(name, "1"))), MAX_PAGE)
    except ValueError:
        return 1
