"""The KPIs of a period or a month with 环比 / 同比: the queries' frames through the KPI formulas, in one call
that the CLI, the dashboard (总览, API) and the bulletin all use; the ledger KPIs live (the cases as they are) or
frozen (the cases as they stood at a moment, replayed from their history)."""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import pandas as pd
from sqlalchemy import Connection

from feedback.clock import day_end
from feedback.filters import Filters
from feedback.ledger import cases_as_of
from feedback.stats import queries as stats_queries
from feedback.stats.kpi import (
    case_flags,
    case_kpis,
    changes,
    month_bounds,
    rating_kpis,
    shift_month,
    shift_period,
)


def frozen_at(month: str, as_of: datetime, *, storage_tz: str = "Asia/Shanghai",
              display_tz: str = "Asia/Shanghai") -> datetime:
    """The moment a month's ledger figures are frozen at: the last moment of its last day in ``display_tz`` (as
    storage wall-clock time, ``clock.day_end``), or ``as_of`` when that is earlier (the month has not ended)."""
    return min(as_of, day_end(month_bounds(month)[1], storage_tz=storage_tz, display_tz=display_tz))


def ledger_counts(conn: Connection, filters: Filters, by: Sequence[str] = (), *, as_of: datetime,
                  frozen: bool = False, prefetched: stats_queries.Prefetch = None) -> pd.DataFrame:
    """The case count frame of the ledger KPIs (``kpi.case_table``'s input) for the filters' scope and period,
    by dimensions ``by`` (e.g. ``("dept",)``), overdue counted on ``as_of``'s day.

    Live (default): the cases as they are now, counted in SQL (``stats_queries.case_counts``). ``frozen``: the
    cases as they stood at ``as_of``, replayed from their history (``ledger.cases_as_of``: only the cases of the
    filters' scope and period and their events up to then) and counted by ``kpi.case_flags``, the same flags."""
    if not frozen:  # live: ``prefetched`` case counts where they cover it (stats_queries.prefetch_cases)
        return stats_queries.case_counts(conn, filters, by, today=as_of.date(), prefetched=prefetched)
    columns = [stats_queries.DIMENSIONS[b][0] if b in stats_queries.DIMENSIONS else b for b in dict.fromkeys(by)]
    cases = cases_as_of(conn, filters, as_of)
    if missing := [b for b, c in zip(dict.fromkeys(by), columns, strict=True) if c not in cases.columns]:
        raise ValueError(f"frozen ledger counts cannot be split by {missing} (not a column of the replayed cases)")
    return case_flags(cases, columns, today=as_of.date())


def period_kpis(conn: Connection, filters: Filters, *, as_of: datetime, frozen: bool = False,
                good_includes_basic: bool = True, raw: bool = False,
                prefetched: stats_queries.Prefetch = None) -> dict[str, Any]:
    """Every headline KPI for the filters' period and scope (``raw=True``: from records, to check rollups;
    ``prefetched``: a rating frame to sum from where it covers the filters, see ``stats_queries.prefetch``); the
    ledger KPIs as of ``as_of``, live or ``frozen`` (see ``ledger_counts``)."""
    frame, factorised = (stats_queries.rating_frame(conn, filters, raw=True), None) if raw else \
        stats_queries.rating_rows(conn, filters, prefetched=prefetched)  # the KPIs sum over its rows
    values = rating_kpis(frame, good_includes_basic=good_includes_basic, factorised=factorised)
    cases = ledger_counts(conn, filters, as_of=as_of, frozen=frozen, prefetched=prefetched)
    return values | case_kpis(cases, good_includes_basic=good_includes_basic)


def month_kpis(conn: Connection, month: str, filters: Filters | None = None, *, as_of: datetime,
               frozen: bool = False, good_includes_basic: bool = True, raw: bool = False,
               prefetched: stats_queries.Prefetch = None) -> dict[str, Any]:
    """The KPIs of one month with ``mom`` (环比, previous month) and ``yoy`` (同比, same month a year earlier);
    the filters' own period is replaced by the month. The ledger KPIs of all three months are as of ``as_of``:
    live, or with ``frozen`` the ledger as it stood then (the bulletin and `haocha kpi` pass ``frozen_at``)."""
    filters = filters or Filters()

    def at(m: str) -> dict[str, Any]:
        return period_kpis(conn, filters.with_period(*month_bounds(m)), as_of=as_of, frozen=frozen,
                           good_includes_basic=good_includes_basic, raw=raw, prefetched=prefetched)

    prev, last_year = shift_month(month, -1), shift_month(month, -12)
    cur = at(month)
    return {"month": month, **cur, "mom": changes(cur, at(prev)), "yoy": changes(cur, at(last_year)),
            "mom_month": prev, "yoy_month": last_year, "good_includes_basic": good_includes_basic,
            "as_of": as_of.isoformat(timespec="seconds")}


def span_kpis(conn: Connection, start: date, end: date, filters: Filters | None = None, *, as_of: datetime,
              good_includes_basic: bool = True, prefetched: stats_queries.Prefetch = None) -> dict[str, Any]:
    """The KPIs of the period start..end with 环比 / 同比 (the same span a month / a year earlier, kpi.shift_period).

    A whole calendar month is ``month_kpis`` itself (the 总览 cards: `haocha kpi --month`'s figures, ledger live);
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
