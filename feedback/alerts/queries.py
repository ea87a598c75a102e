"""Reads of alerts: the frames the rules read, and stored alerts (listed, counted, one by id)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from typing import Any

import pandas as pd
from sqlalchemy import Connection, func, select

from feedback.alerts.rules import AlertInputs, complaint_counts, window_start
from feedback.filters import Filters
from feedback.models import Alert, Record
from feedback.stats import queries as stats_queries


def load_inputs(conn: Connection, cfg: Any, as_of: date | None = None) -> AlertInputs:
    """Count frames of the checked weeks and their baseline weeks, straight from the records and the active
    scores (exact whatever the state of the rollups; the window is a few weeks, so it stays cheap). The weeks
    end with the latest record, or with ``as_of`` when that is earlier (a week-by-week replay)."""
    span = data_span(conn)
    if span is None or (as_of is not None and as_of < span[0]):
        return AlertInputs(None, None, pd.DataFrame(), pd.DataFrame(), pd.DataFrame())
    data_start, last_day = span
    as_of = min(as_of or last_day, last_day)
    period = Filters(start=max(window_start(as_of, cfg), data_start), end=as_of)
    ratings = stats_queries.rating_frame(conn, period, ("dept", "day"), raw=True)
    counts = stats_queries.counts(conn, period, ("category", "day", "kind", "level", "is_default"), raw=True)
    hidden = stats_queries.counts(conn, period, ("service", "dept", "day"), raw=True, ratings_only=True)
    hidden = hidden[["service_key", "service_name", "dept_key", "dept_name", "day", "hidden"]]
    return AlertInputs(as_of, data_start, ratings, complaint_counts(counts), hidden)


def data_span(conn: Connection) -> tuple[date, date] | None:
    """Days of the first and the latest record (None when there are none)."""
    first, last = conn.execute(select(func.min(Record.rated_at), func.max(Record.rated_at))).one()
    return None if last is None else (pd.Timestamp(first).date(), pd.Timestamp(last).date())


def stored_figures(conn: Connection, periods: Sequence[str]) -> dict[tuple[str, str, str], tuple]:
    """(rule, subject, period) → (id, status, value, count) of the alerts stored for these weeks."""
    return {(r.rule, r.subject, r.period): (r.id, r.status, r.value, r.count) for r in conn.execute(
        select(Alert.id, Alert.rule, Alert.subject, Alert.period, Alert.status, Alert.value, Alert.count)
        .where(Alert.period.in_(list(periods))))}


def _row(r) -> dict[str, Any]:
    d = dict(r._mapping)
    d["link"] = [tuple(p) for p in json.loads(d["link"] or "[]")]
    for k in ("period_start", "period_end"):
        d[k] = d[k].isoformat()
    for k in ("created_at", "updated_at", "closed_at", "notified_at", "notify_failed_at"):
        d[k] = d[k].isoformat(sep=" ") if d[k] else None
    return d


def _conditions(dept: str | None, statuses: Sequence[str], rules: Sequence[str]) -> list:
    conds = []
    if dept is not None:
        conds.append(Alert.dept_code == dept)  # city-wide alerts (no department) are not a department's data
    if statuses:
        conds.append(Alert.status.in_(list(statuses)))
    if rules:
        conds.append(Alert.rule.in_(list(rules)))
    return conds


def list_alerts(conn: Connection, *, dept: str | None = None, statuses: Sequence[str] = (),
                rules: Sequence[str] = (), limit: int = 50, offset: int = 0) -> list[dict[str, Any]]:
    """Alerts newest week first (then newest stored), limited to ``dept`` for a department-bound user."""
    stmt = (select(Alert.__table__).where(*_conditions(dept, statuses, rules))
            .order_by(Alert.period_start.desc(), Alert.created_at.desc(), Alert.id.desc())
            .limit(limit).offset(offset))
    return [_row(r) for r in conn.execute(stmt)]


def count_alerts(conn: Connection, *, dept: str | None = None, statuses: Sequence[str] = (),
                 rules: Sequence[str] = ()) -> int:
    return conn.execute(select(func.count()).select_from(Alert)
                        .where(*_conditions(dept, statuses, rules))).scalar_one()


def get_alert(conn: Connection, alert_id: int, *, dept: str | None = None) -> dict[str, Any] | None:
    r = conn.execute(select(Alert.__table__).where(Alert.id == alert_id, *_conditions(dept, (), ()))).first()
    return _row(r) if r else None
