"""Alerts in the database: the frames the rules read, stored alerts (deduplicated), listing, closing, notices."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy import Connection, func, insert, select, update

from feedback.alerts.rules import AlertInputs, Fired, complaint_counts, window_start
from feedback.filters import Filters
from feedback.models import Alert, Record
from feedback.stats import queries as stats_queries

STATUSES = {"open": "待处理", "closed": "已处理"}


def _now() -> datetime:
    return datetime.now().replace(microsecond=0)


def load_inputs(conn: Connection, cfg: Any) -> AlertInputs:
    """Count frames of the checked weeks and their baseline weeks, straight from the records and the active
    scores (exact whatever the state of the rollups; the window is a few weeks, so it stays cheap)."""
    first, last = conn.execute(select(func.min(Record.rated_at), func.max(Record.rated_at))).one()
    if last is None:
        return AlertInputs(None, None, pd.DataFrame(), pd.DataFrame(), pd.DataFrame())
    as_of, data_start = last.date(), first.date()
    period = Filters(start=max(window_start(as_of, cfg), data_start), end=as_of)
    ratings = stats_queries.rating_frame(conn, period, ("dept", "day"), raw=True)
    counts = stats_queries.counts(conn, period, ("category", "day", "kind", "level", "is_default"), raw=True)
    hidden = stats_queries.counts(conn, period, ("service", "dept", "day"), raw=True, ratings_only=True)
    hidden = hidden[["service_key", "service_name", "dept_key", "dept_name", "day", "hidden"]]
    return AlertInputs(as_of, data_start, ratings, complaint_counts(counts), hidden)


def store(conn: Connection, fired: Sequence[Fired]) -> tuple[list[int], int]:
    """Insert alerts not stored yet (unique per rule, subject and week) and refresh the figures of open ones
    that fire again (a running week grows). Returns (ids of the new alerts, number refreshed)."""
    if not fired:
        return [], 0
    now = _now()
    periods = sorted({f.period for f in fired})
    existing = {(r.rule, r.subject, r.period): (r.id, r.status, r.value, r.count) for r in conn.execute(
        select(Alert.id, Alert.rule, Alert.subject, Alert.period, Alert.status, Alert.value, Alert.count)
        .where(Alert.period.in_(periods)))}
    new_ids, refreshed = [], 0
    for f in fired:
        values = dict(subject_name=f.subject_name[:200], period_end=f.period_end, dept_code=f.dept_code,
                      dept_name=f.dept_name, value=f.value, baseline=f.baseline, threshold=f.threshold,
                      count=f.count, volume=f.volume, message=f.message,
                      link=json.dumps([list(p) for p in f.link], ensure_ascii=False), updated_at=now)
        old = existing.get(f.key)
        if old is None:
            new_ids.append(conn.execute(insert(Alert).values(
                rule=f.rule, subject=f.subject[:200], period=f.period, period_start=f.period_start,
                status="open", created_at=now, **values).returning(Alert.id)).scalar_one())
            existing[f.key] = (new_ids[-1], "open", f.value, f.count)
        elif old[1] == "open" and (old[2], old[3]) != (f.value, f.count):
            conn.execute(update(Alert).where(Alert.id == old[0]).values(**values))
            refreshed += 1
    return new_ids, refreshed


def _row(r) -> dict[str, Any]:
    d = dict(r._mapping)
    d["link"] = [tuple(p) for p in json.loads(d["link"] or "[]")]
    for k in ("period_start", "period_end"):
        d[k] = d[k].isoformat()
    for k in ("created_at", "updated_at", "closed_at", "notified_at"):
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


def set_status(conn: Connection, alert_id: int, status: str, *, by: str) -> None:
    """Close an alert (handled) or open it again."""
    if status not in STATUSES:
        raise ValueError(f"unknown alert status '{status}' (use {', '.join(STATUSES)})")
    closed = status == "closed"
    conn.execute(update(Alert).where(Alert.id == alert_id).values(
        status=status, closed_at=_now() if closed else None, closed_by=by[:64] if closed else None,
        updated_at=_now()))


def mark_notified(conn: Connection, alert_ids: Sequence[int], *, error: str | None = None) -> None:
    if alert_ids:
        values = {"notify_error": error[:2000]} if error else {"notified_at": _now(), "notify_error": None}
        conn.execute(update(Alert).where(Alert.id.in_(list(alert_ids))).values(**values))
