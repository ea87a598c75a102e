"""Writes of alerts: store fired alerts once (refreshing open ones), close or reopen them, record notices."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection, insert, update

from feedback.alerts.queries import stored_figures
from feedback.alerts.rules import STATUSES, Fired
from feedback.clock import local_now
from feedback.models import Alert


def _now() -> datetime:
    return local_now()  # the one storage clock (simulated in a replay)


def store(conn: Connection, fired: Sequence[Fired]) -> tuple[list[int], int]:
    """Insert alerts not stored yet (unique per rule, subject and week) and refresh the figures of open ones
    that fire again (a running week grows). Returns (ids of the new alerts, number refreshed)."""
    if not fired:
        return [], 0
    now = _now()
    existing = stored_figures(conn, sorted({f.period for f in fired}))
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


def record_delivery(conn: Connection, attempts: dict[int, int], failed: dict[int, str]) -> None:
    """Store each alert's webhook outcome: posted (``notified_at``) or failed (``notify_failed_at`` and the
    error, shown on 预警 and in the API), with the attempts used."""
    now = _now()
    for alert_id, used in attempts.items():
        error = failed.get(alert_id)
        values = ({"notify_error": error[:2000], "notify_failed_at": now} if error is not None else
                  {"notified_at": now, "notify_error": None, "notify_failed_at": None})
        conn.execute(update(Alert).where(Alert.id == alert_id).values(notify_attempts=used, **values))
