"""Ledger cases (差评整改工单) for statistics: one row per case with its record's dimensions, or counted by the
flags the ledger KPIs need as of a day."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, and_, case, false, func, select, true
from sqlalchemy.sql import ColumnElement, FromClause

from feedback.filters import Filters
from feedback.models import LedgerCase, LedgerEvent, Score
from feedback.stats.kpi import CASE_FLAGS
from feedback.stats.queries.counts import Prefetch, Prefetched, prefetches, to_frame
from feedback.stats.queries.sources import (
    DIMENSIONS,
    Source,
    active_version,
    check_by,
    column,
    day_expr,
    filter_conditions,
    month_expr,
)

CASE_COLUMNS = ("case_id", "record_id", "origin", "status", "outcome", "rule", "opened_at", "verify_due",
                "rectify_due", "extended_days", "verified_at", "rectified_at", "replied_at", "revisited_at",
                "closed_at", "satisfaction", "ruling")


_CASE_DIMS = ("dept_key", "dept_code", "dept_name", "region_code", "channel", "service_key", "service_code",
              "service_name", "level", "is_default", "kind")


def case_frame(conn: Connection, filters: Filters, by: Sequence[str] = ()) -> pd.DataFrame:
    """Ledger cases whose record passes the filters (period = the record's rating time), one row per case,
    with the record's dimensions (copied onto the case: dept_key … kind, rated_at) and any day / month ``by``
    columns. Reads only the cases table, and the active scores when a category or sentiment filter is set."""
    check_by(by)
    c = LedgerCase.__table__
    src = _case_source(conn, filters)
    from_ = src.from_
    extra = [src.day.label("day") if b == "day" else month_expr(conn, c.c.rated_at).label("month")
             for b in dict.fromkeys(by) if b in ("day", "month")]
    own = [c.c.id.label("case_id"), *(c.c[k].label(k) for k in CASE_COLUMNS[1:])]
    dims = [column(src, k).label(k) for k in _CASE_DIMS]
    stmt = (select(*own, *dims, c.c.rated_at.label("rated_at"), *extra)
            .select_from(from_).where(*filter_conditions(src, filters)).order_by(c.c.id))
    names = [e.name for e in (*own, *dims)] + ["rated_at"] + [e.name for e in extra]
    frame = to_frame(conn.execute(stmt).all(), names)
    for col in ("verify_due", "rectify_due"):
        frame[col] = pd.to_datetime(frame[col]).dt.date
    for col in ("opened_at", "verified_at", "rectified_at", "replied_at", "revisited_at", "closed_at", "rated_at"):
        frame[col] = pd.to_datetime(frame[col])
    frame["satisfaction"] = frame["satisfaction"].astype("Int64")
    frame["level"] = frame["level"].astype("Int64")
    frame["is_default"] = frame["is_default"].astype(bool)
    return frame


EVENT_COLUMNS = ("case_id", "id", "at", "action", "to_status", "rectify_due")


def case_events(conn: Connection, filters: Filters, *, until: datetime) -> pd.DataFrame:
    """The history of the cases whose record passes the filters (as ``case_frame``), events at or before
    ``until`` only, in the order they happened (time, then id): what feedback.ledger.replay replays."""
    c, e = LedgerCase.__table__, LedgerEvent.__table__
    src = _case_source(conn, filters)
    stmt = (select(*(e.c[k] for k in EVENT_COLUMNS)).select_from(src.from_.join(e, e.c.case_id == c.c.id))
            .where(*filter_conditions(src, filters), e.c.at <= until).order_by(e.c.at, e.c.id))
    frame = to_frame(conn.execute(stmt).all(), list(EVENT_COLUMNS))
    frame["at"] = pd.to_datetime(frame["at"])
    frame["rectify_due"] = pd.to_datetime(frame["rectify_due"]).dt.date
    return frame


def _case_source(conn: Connection, filters: Filters) -> Source:
    """The cases table with its copied record dimensions; the active scores only when a filter needs them."""
    c = LedgerCase.__table__
    cols: dict[str, ColumnElement] = {k: c.c[k] for k in _CASE_DIMS if k in c.c}
    from_: FromClause = c
    if filters.categories or filters.sentiments:
        s = Score.__table__
        from_ = c.outerjoin(s, and_(s.c.record_id == c.c.record_id, s.c.model_version == active_version(conn)))
        cols |= {"sentiment": s.c.sentiment, "category": s.c.category}
    return Source(from_, cols, {}, day_expr(conn, c.c.rated_at), ts=c.c.rated_at,
                  text_ts=conn.dialect.name == "sqlite")


_UNIT_BY = ("region", "dept")  # the splits a prefetched case count frame keeps


def case_counts(conn: Connection, filters: Filters, by: Sequence[str] = (), *, today: date,
                prefetched: Prefetch = None) -> pd.DataFrame:
    """Cases counted by ``by`` and the flags the ledger KPIs need, as of ``today``: status, outcome,
    satisfaction, replied (反馈 given), done (rectified), on_time (rectified on or before rectify_due),
    rectify_past / verify_past (deadline before today); n. Small whatever the number of cases. (The same flags
    from a case frame, e.g. the ledger replayed at a moment: ``kpi.case_flags``.)

    With ``prefetched`` holding the case counts of these filters and day (``prefetch_cases``), by region and
    department: those rows, whose key and flags may repeat (split further by the other unit) — ``kpi.case_table``
    sums its parts over rows, so its figures are the same (a test compares them)."""
    check_by(by)
    for p in prefetches(prefetched):
        if p.cases is not None and p.filters == filters and p.today == today and set(by) <= set(_UNIT_BY):
            return p.cases[[*(DIMENSIONS[b][0] for b in dict.fromkeys(by)), *CASE_FLAGS, "n"]]
    return _case_counts(conn, filters, by, today)


def prefetch_cases(conn: Connection, pre: Prefetched, today: date) -> Prefetched:
    """``pre`` with the case counts of its filters as of ``today`` by the unit dimensions (region, department)
    of its split: the 总览's KPI cards and both rankings read them from one statement instead of three."""
    return dataclasses.replace(pre, cases=_case_counts(conn, pre.filters, [b for b in _UNIT_BY if b in pre.by],
                                                       today), today=today)


def _case_counts(conn: Connection, filters: Filters, by: Sequence[str], today: date) -> pd.DataFrame:
    c = LedgerCase.__table__
    src = _case_source(conn, filters)

    def flag(cond: ColumnElement) -> ColumnElement:
        return case((cond, true()), else_=false())

    keys = [src.day.label("day") if b == "day" else month_expr(conn, c.c.rated_at).label("month")
            if b == "month" else column(src, DIMENSIONS[b][0]).label(DIMENSIONS[b][0]) for b in dict.fromkeys(by)]
    flags = [c.c.status, c.c.outcome, c.c.satisfaction, flag(c.c.replied_at.is_not(None)).label("replied"),
             flag(c.c.rectified_at.is_not(None)).label("done"),
             flag(and_(c.c.rectified_at.is_not(None), day_expr(conn, c.c.rectified_at) <= c.c.rectify_due))
             .label("on_time"),
             flag(c.c.rectify_due < today).label("rectify_past"), flag(c.c.verify_due < today).label("verify_past")]
    stmt = (select(*keys, *flags, func.count().label("n")).select_from(src.from_)
            .where(*filter_conditions(src, filters)).group_by(*keys, *flags))
    return case_count_frame(conn.execute(stmt).all(), [k.name for k in keys] + list(CASE_FLAGS) + ["n"])


def case_count_frame(rows: Sequence[Any], columns: Sequence[str]) -> pd.DataFrame:
    """The case count frame of result rows: flags as bools, satisfaction Int64, n int64, every other column
    inferred as ``to_frame`` infers it; built column by column in one constructor (setting the typed columns one
    by one on a frame of ``to_frame`` cost more than the statement: a test holds the two forms equal)."""
    if not rows:  # to_frame's empty object columns, the typed ones cast
        return pd.DataFrame({c: np.zeros(0, dtype=bool) if c in CASE_FLAGS[3:] else pd.array([], dtype="Int64")
                             if c == "satisfaction" else np.zeros(0, dtype="int64") if c == "n" else
                             np.zeros(0, dtype=object) for c in columns})
    cols: dict[str, Any] = {}
    for name, values in zip(columns, zip(*rows, strict=True), strict=True):
        if name in CASE_FLAGS[3:]:
            cols[name] = np.array(values, dtype=bool)
        elif name == "satisfaction":
            cols[name] = pd.array(values, dtype="Int64")
        elif name == "n":
            cols[name] = np.array(values, dtype="int64")
        else:
            cols[name] = list(values)
    return pd.DataFrame(cols)

