"""Build and refresh the daily rollup tables from records, active scores and voided ledger cases."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import pandas as pd
from sqlalchemy import Connection, Engine, delete, func, insert, select

from feedback.filters import Filters
from feedback.models import (
    Record,
    RollupBadTag,
    RollupDaily,
    RollupDailyUnit,
    RollupMonthly,
    RollupMonthlyUnit,
)
from feedback.stats.queries import bad_tag_rows, filter_conditions, month_start, next_month, raw_source

_FINE_DIMS = ("kind", "dept_code", "dept_name", "region_code", "channel", "service_code", "service_name",
              "level", "is_default", "voided", "sentiment", "category")
_UNIT_DIMS = ("kind", "dept_code", "dept_name", "region_code", "channel", "level", "is_default", "voided")
_TAG_CHUNK = 50_000


@dataclass(frozen=True)
class RefreshResult:
    start_day: date | None  # None: from the first day (full rebuild)
    end_day: date | None  # None: to the last day
    fine_rows: int
    unit_rows: int
    tag_rows: int


def batch_days(conn: Connection, batch_ids: Iterable[int]) -> tuple[date, date] | None:
    """First and last rating day of the records loaded by these batches (None when they loaded nothing)."""
    ids = list(batch_ids)
    if not ids:
        return None
    lo, hi = conn.execute(
        select(func.min(Record.rated_at), func.max(Record.rated_at)).where(Record.batch_id.in_(ids))
    ).one()
    if lo is None:
        return None
    return pd.Timestamp(lo).date(), pd.Timestamp(hi).date()


def refresh_days(conn: Connection, start_day: date | None = None, end_day: date | None = None) -> RefreshResult:
    """Rebuild every rollup row of the days in [start_day, end_day] (open ends: all days) inside the caller's
    transaction. Idempotent: running it twice gives the same rows."""
    if start_day and end_day and start_day > end_day:
        raise ValueError(f"start_day {start_day} is after end_day {end_day}")
    for model in (RollupDaily, RollupDailyUnit, RollupBadTag):
        stmt = delete(model)
        if start_day is not None:
            stmt = stmt.where(model.day >= start_day)
        if end_day is not None:
            stmt = stmt.where(model.day <= end_day)
        conn.execute(stmt)
    period = Filters(start=start_day, end=end_day)
    fine = _insert_fine(conn, period)
    unit = _insert_unit(conn, start_day, end_day)
    _refresh_months(conn, start_day, end_day)
    tags = _insert_tags(conn, period)
    return RefreshResult(start_day, end_day, fine, unit, tags)


def refresh_rollups(engine: Engine, start_day: date | None = None, end_day: date | None = None, *,
                    batch_ids: Iterable[int] | None = None) -> RefreshResult:
    """Refresh the rollups for a day range in one transaction; with ``batch_ids``, for the days those batches
    touched; with neither, rebuild everything (needed after a new model version becomes active)."""
    with engine.begin() as conn:
        if batch_ids is not None:
            span = batch_days(conn, batch_ids)
            if span is None:
                return RefreshResult(None, None, 0, 0, 0)
            start_day, end_day = span
        return refresh_days(conn, start_day, end_day)


def _insert_fine(conn: Connection, period: Filters) -> int:
    src = raw_source(conn)
    dims = [src.day.label("day"), *(src.cols[d].label(d) for d in _FINE_DIMS)]
    stmt = (
        select(*dims, *(m.label(k) for k, m in src.measures.items()))
        .select_from(src.from_)
        .where(*filter_conditions(src, period))
        .group_by(*dims)
    )
    cols = ["day", *_FINE_DIMS, "n", "projects", "hidden"]
    conn.execute(insert(RollupDaily).from_select(cols, stmt))
    return _rows(conn, RollupDaily, period)


def _insert_unit(conn: Connection, start_day: date | None, end_day: date | None) -> int:
    t = RollupDaily.__table__
    keys = [t.c.day, *(t.c[d] for d in _UNIT_DIMS)]
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
    cols = ["day", *_UNIT_DIMS, "n", "projects", "hidden"]
    conn.execute(insert(RollupDailyUnit).from_select(cols, stmt))
    return _rows(conn, RollupDailyUnit, Filters(start=start_day, end=end_day))


def _rows(conn: Connection, model, period: Filters) -> int:
    """Rows a refresh wrote (rowcount of INSERT … SELECT is not reliable across drivers)."""
    conds = ([model.day >= period.start] if period.start else []) + ([model.day <= period.end] if period.end else [])
    return conn.execute(select(func.count()).select_from(model).where(*conds)).scalar_one()


def _refresh_months(conn: Connection, start_day: date | None, end_day: date | None) -> None:
    """Rebuild the months that contain the refreshed days, from the (complete) daily tables: the monthly unit
    table from the daily unit one, the monthly fine table from the daily fine one."""
    first = start_day.replace(day=1) if start_day else None
    last = end_day.replace(day=1) if end_day else None
    for monthly, daily, dims in ((RollupMonthlyUnit, RollupDailyUnit, _UNIT_DIMS),
                                 (RollupMonthly, RollupDaily, _FINE_DIMS)):
        m = monthly
        conn.execute(delete(m).where(*([m.month >= first] if first else []), *([m.month <= last] if last else [])))
        t = daily.__table__
        month = month_start(conn, t.c.day)
        keys = [month, *(t.c[d] for d in dims)]
        conds = ([t.c.day >= first] if first else []) + ([t.c.day < next_month(last)] if last else [])
        stmt = (select(*keys, func.sum(t.c.n), func.sum(t.c.projects), func.sum(t.c.hidden)).where(*conds)
                .group_by(*keys))
        conn.execute(insert(m).from_select(["month", *dims, "n", "projects", "hidden"], stmt))


def _insert_tags(conn: Connection, period: Filters) -> int:
    rows = bad_tag_rows(conn, period)
    records = [
        {k: (None if pd.isna(v) else (int(v) if k in ("level", "n") else v)) for k, v in row.items()}
        for row in rows.astype(object).to_dict("records")
    ]
    for i in range(0, len(records), _TAG_CHUNK):
        conn.execute(insert(RollupBadTag), records[i:i + _TAG_CHUNK])
    return len(records)
