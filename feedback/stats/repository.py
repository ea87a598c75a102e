"""Writes of the rollup tables: the statements that rebuild daily, monthly and tag rollup rows for a span of days
(feedback.stats.rollups decides which days, in one transaction), and the one that moves a keyed row's counts (a
correction's incremental update)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd
from sqlalchemy import Connection, delete, func, insert, select, text, update

from feedback.filters import Filters
from feedback.models import (
    RollupBadTag,
    RollupDaily,
    RollupDailyChannel,
    RollupDailyUnit,
    RollupMonthly,
    RollupMonthlyChannel,
    RollupMonthlyService,
    RollupMonthlyUnit,
    RollupQuarterly,
    RollupQuarterlyService,
)
from feedback.stats.queries import (
    add_months,
    bad_tag_rows,
    filter_conditions,
    first_of_quarter,
    key_conditions,
    month_start,
    next_month,
    quarter_start,
    raw_source,
)

FINE_DIMS = ("kind", "dept_code", "dept_name", "region_code", "channel", "service_code", "service_name",
             "level", "is_default", "voided", "sentiment", "category")
UNIT_DIMS = ("kind", "dept_code", "dept_name", "region_code", "channel", "level", "is_default", "voided")
SERVICE_DIMS = ("kind", "dept_code", "dept_name", "region_code", "channel", "service_code", "service_name", "level",
                "is_default", "voided")  # FINE_DIMS without the score's sentiment and category
CHANNEL_DIMS = ("kind", "channel", "level", "is_default", "voided")
CHANNEL_FINE_DIMS = ("kind", "channel", "service_code", "service_name", "level", "is_default", "voided", "sentiment",
                     "category")
_TAG_CHUNK = 50_000
ROLLUP_LOCK = 0x48414F4348415255  # pg_advisory_xact_lock key of a rollup refresh ("HAOCHARU")


def lock_rollups(conn: Connection) -> None:
    """One rollup refresh or correction at a time on PostgreSQL (a lock held to the end of the caller's
    transaction): two refreshes of the same day, say a batch's and a correction's fallback, would each delete only
    the rows committed before it began and both insert; a correction's moves during a refresh would move rows the
    refresh then replaces. SQLite lets one writer in at a time by itself."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": ROLLUP_LOCK})


def delete_days(conn: Connection, start_day: date | None, end_day: date | None) -> None:
    """Delete the daily and tag rollup rows of [start_day, end_day] (open ends: all days)."""
    for model in (RollupDaily, RollupDailyUnit, RollupDailyChannel, RollupBadTag):
        stmt = delete(model)
        if start_day is not None:
            stmt = stmt.where(model.day >= start_day)
        if end_day is not None:
            stmt = stmt.where(model.day <= end_day)
        conn.execute(stmt)


def insert_fine(conn: Connection, period: Filters) -> int:
    """The fine daily rollup of the period (every dimension) from records; returns its rows."""
    src = raw_source(conn)
    dims = [src.day.label("day"), *(src.cols[d].label(d) for d in FINE_DIMS)]
    stmt = (
        select(*dims, *(m.label(k) for k, m in src.measures.items()))
        .select_from(src.from_)
        .where(*filter_conditions(src, period))
        .group_by(*dims)
    )
    cols = ["day", *FINE_DIMS, "n", "projects", "hidden"]
    conn.execute(insert(RollupDaily).from_select(cols, stmt))
    return count_rows(conn, RollupDaily, period)


def insert_unit(conn: Connection, start_day: date | None, end_day: date | None) -> int:
    """The daily unit rollup of the days from the fine one, and the channel rollup from it; returns the unit
    rollup's rows."""
    _sum_days(conn, RollupDaily, RollupDailyUnit, UNIT_DIMS, start_day, end_day)
    _sum_days(conn, RollupDailyUnit, RollupDailyChannel, CHANNEL_DIMS, start_day, end_day)
    return count_rows(conn, RollupDailyUnit, Filters(start=start_day, end=end_day))


def _sum_days(conn: Connection, source, target, dims: tuple[str, ...], start_day: date | None,
              end_day: date | None) -> None:
    """INSERT INTO target the source's rows of the days summed to day + ``dims``."""
    t = source.__table__
    keys = [t.c.day, *(t.c[d] for d in dims)]
    conds = []
    if start_day is not None:
        conds.append(t.c.day >= start_day)
    if end_day is not None:
        conds.append(t.c.day <= end_day)
    stmt = (
        select(*keys, func.sum(t.c.n), func.sum(t.c.projects), func.sum(t.c.hidden))
        .where(*conds)
        .group_by(*keys)
    )
    conn.execute(insert(target).from_select(["day", *dims, "n", "projects", "hidden"], stmt))


def count_rows(conn: Connection, model, period: Filters) -> int:
    """Rows a refresh wrote (rowcount of INSERT … SELECT is not reliable across drivers)."""
    conds = ([model.day >= period.start] if period.start else []) + ([model.day <= period.end] if period.end else [])
    return conn.execute(select(func.count()).select_from(model).where(*conds)).scalar_one()


def rebuild_months(conn: Connection, start_day: date | None, end_day: date | None) -> None:
    """Rebuild the months that contain the refreshed days, from the (complete) daily tables: the monthly unit
    table from the daily unit one, the monthly fine table from the daily fine one, the monthly channel and service
    tables from the monthly fine one, and the quarters that contain those months from the monthly fine table."""
    first = start_day.replace(day=1) if start_day else None
    last = end_day.replace(day=1) if end_day else None
    for monthly, source, dims in ((RollupMonthlyUnit, RollupDailyUnit, UNIT_DIMS),
                                  (RollupMonthly, RollupDaily, FINE_DIMS),
                                  (RollupMonthlyChannel, RollupMonthly, CHANNEL_FINE_DIMS),
                                  (RollupMonthlyService, RollupMonthly, SERVICE_DIMS)):
        m = monthly
        conn.execute(delete(m).where(*([m.month >= first] if first else []), *([m.month <= last] if last else [])))
        t = source.__table__
        if "month" in t.c:  # a monthly table summed further
            month, conds = t.c.month, ([t.c.month >= first] if first else []) + ([t.c.month <= last] if last else [])
        else:
            month = month_start(conn, t.c.day)
            conds = ([t.c.day >= first] if first else []) + ([t.c.day < next_month(last)] if last else [])
        keys = [month, *(t.c[d] for d in dims)]
        stmt = (select(*keys, func.sum(t.c.n), func.sum(t.c.projects), func.sum(t.c.hidden)).where(*conds)
                .group_by(*keys))
        conn.execute(insert(m).from_select(["month", *dims, "n", "projects", "hidden"], stmt))
    rebuild_quarters(conn, first, last)


def rebuild_quarters(conn: Connection, first: date | None, last: date | None) -> None:
    """Rebuild the quarters that contain the months first..last (first days; open ends: all): rollup_quarterly
    from the (complete) monthly fine table, rollup_quarterly_service from the monthly service one."""
    q_first = first_of_quarter(first) if first else None
    q_last = first_of_quarter(last) if last else None
    for q, monthly, dims in ((RollupQuarterly, RollupMonthly, FINE_DIMS),
                             (RollupQuarterlyService, RollupMonthlyService, SERVICE_DIMS)):
        conn.execute(delete(q).where(*([q.quarter >= q_first] if q_first else []),
                                     *([q.quarter <= q_last] if q_last else [])))
        t = monthly.__table__
        conds = ([t.c.month >= q_first] if q_first else []) + \
            ([t.c.month <= add_months(q_last, 2)] if q_last else [])
        keys = [quarter_start(conn, t.c.month), *(t.c[d] for d in dims)]
        stmt = (select(*keys, func.sum(t.c.n), func.sum(t.c.projects), func.sum(t.c.hidden)).where(*conds)
                .group_by(*keys))
        conn.execute(insert(q).from_select(["quarter", *dims, "n", "projects", "hidden"], stmt))


def insert_tags(conn: Connection, period: Filters) -> int:
    """差评 tag mentions of the period split from records (bad_tag_rows) into rollup_bad_tags, in chunks."""
    rows = bad_tag_rows(conn, period)
    records = [
        {k: (None if pd.isna(v) else (int(v) if k in ("level", "n") else v)) for k, v in row.items()}
        for row in rows.astype(object).to_dict("records")
    ]
    for i in range(0, len(records), _TAG_CHUNK):
        conn.execute(insert(RollupBadTag), records[i:i + _TAG_CHUNK])
    return len(records)


def move_row(conn: Connection, table, key: tuple[tuple[str, Any], ...], delta: tuple[tuple[str, int], ...]) -> bool:
    """Add ``delta`` (measure → change) to the one row of ``table`` whose columns equal ``key`` (None: NULL), as a
    rebuild would leave it: a row whose n reaches 0 is deleted, a missing row that gains records is inserted.
    Returns False, writing nothing, where the row cannot be what a rebuild gives: missing while it should lose
    or change counts, a count going below 0, several rows with the key (the caller then rebuilds the day)."""
    t = table.__table__
    measures = [m for m, _ in delta]
    rows = conn.execute(select(t.c.id, *(t.c[m] for m in measures)).where(*key_conditions(t.c, key))
                        .limit(2)).all()
    change = dict(delta)
    if len(rows) > 1:
        return False
    if not rows:
        if change["n"] <= 0 or any(v < 0 for v in change.values()):
            return False
        conn.execute(insert(table).values(**dict(key), **change))
        return True
    counts = {m: int(rows[0][i + 1]) + change[m] for i, m in enumerate(measures)}
    if any(v < 0 for v in counts.values()):
        return False
    if counts["n"] == 0:
        if any(counts.values()):
            return False
        conn.execute(delete(table).where(t.c.id == rows[0].id))
    else:
        conn.execute(update(table).where(t.c.id == rows[0].id).values(**counts))
    return True
