"""The KPIs of a period or a month with 环比 / 同比: the queries' frames through the KPI formulas, in one call
that the CLI, the dashboard (总览, API) and the bulletin all use."""

from __future__ import annotations

import calendar
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection

from feedback.filters import Filters
from feedback.stats import queries as stats_queries
from feedback.stats.kpi import case_kpis, changes, month_bounds, rating_kpis, shift_month, shift_period


def period_kpis(conn: Connection, filters: Filters, *, as_of: datetime, good_includes_basic: bool = True,
                raw: bool = False, prefetched: stats_queries.Prefetched | None = None) -> dict[str, Any]:
    """Every headline KPI for the filters' period and scope (``raw=True``: from records, to check rollups;
    ``prefetched``: a rating frame to sum from where it covers the filters, see ``stats_queries.prefetch``)."""
    frame = stats_queries.rating_frame(conn, filters, raw=raw, prefetched=prefetched)
    values = rating_kpis(frame, good_includes_basic=good_includes_basic)
    cases = stats_queries.case_counts(conn, filters, today=as_of.date())
    return values | case_kpis(cases, good_includes_basic=good_includes_basic)


def month_kpis(conn: Connection, month: str, filters: Filters | None = None, *, as_of: datetime,
               good_includes_basic: bool = True, raw: bool = False,
               prefetched: stats_queries.Prefetched | None = None) -> dict[str, Any]:
    """The KPIs of one month with ``mom`` (环比, previous month) and ``yoy`` (同比, same month a year earlier);
    the filters' own period is replaced by the month."""
    filters = filters or Filters()

    def at(m: str) -> dict[str, Any]:
        return period_kpis(conn, filters.with_period(*month_bounds(m)), as_of=as_of,
                           good_includes_basic=good_includes_basic, raw=raw, prefetched=prefetched)

    prev, last_year = shift_month(month, -1), shift_month(month, -12)
    cur = at(month)
    return {"month": month, **cur, "mom": changes(cur, at(prev)), "yoy": changes(cur, at(last_year)),
            "mom_month": prev, "yoy_month": last_year, "good_includes_basic": good_includes_basic,
            "as_of": as_of.isoformat(timespec="seconds")}


def span_kpis(conn: Connection, start: date, end: date, filters: Filters | None = None, *, as_of: datetime,
              good_includes_basic: bool = True, prefetched: stats_queries.Prefetched | None = None) -> dict[str, Any]:
    """The KPIs of the period start..end with 环比 / 同比 (the same span a month / a year earlier, kpi.shift_period).

    A whole calendar month is ``month_kpis`` itself (so the 总览 cards equal `haocha kpi --month` and the bulletin);
    any other span has ``month`` None and ``start`` / ``end`` / ``mom_start`` … naming the spans compared."""
    if start.day == 1 and end.year == start.year and end.month == start.month \
            and end.day == calendar.monthrange(end.year, end.month)[1]:
        return month_kpis(conn, start.strftime("%Y-%m"), filters, as_of=as_of,
                          good_includes_basic=good_includes_basic, prefetched=prefetched)
    filters = filters or Filters()

    def at(s: date, e: date) -> dict[str, Any]:
        return period_kpis(conn, filters.with_period(s, e), as_of=as_of, good_includes_basic=good_includes_basic,
                           prefetched=prefetched)

    prev, last_year = shift_period(start, end, -1), shift_period(start, end, -12)
    cur = at(start, end)
    return {"month": None, "start": start.isoformat(), "end": end.isoformat(), **cur,
            "mom": changes(cur, at(*prev)), "yoy": changes(cur, at(*last_year)),
            "mom_start": prev[0].isoformat(), "mom_end": prev[1].isoformat(),
            "yoy_start": last_year[0].isoformat(), "yoy_end": last_year[1].isoformat(),
            "good_includes_basic": good_includes_basic, "as_of": as_of.isoformat(timespec="seconds")}


def latest_month(conn: Connection) -> str | None:
    """'YYYY-MM' of the latest rating day in the rollups (None when there are none)."""
    day = stats_queries.latest_day(conn)
    return None if day is None else day.strftime("%Y-%m")
