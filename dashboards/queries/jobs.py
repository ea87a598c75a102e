"""Reads of procrastinate's job table for the batch history (``[jobs] queue = "procrastinate"``), and the lock
that lets one process at a time create the queue's schema."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, text

_SCHEMA_LOCK = "haocha-procrastinate-schema"


def queue_installed(conn: Connection) -> bool:
    return conn.execute(text("SELECT to_regclass('procrastinate_jobs')")).scalar() is not None


@contextmanager
def schema_lock(conn: Connection) -> Iterator[None]:
    """A session advisory lock: two processes starting at once create the schema one after the other."""
    conn.execute(text("SELECT pg_advisory_lock(hashtext(:k))"), {"k": _SCHEMA_LOCK})
    try:
        yield
    finally:
        conn.execute(text("SELECT pg_advisory_unlock(hashtext(:k))"), {"k": _SCHEMA_LOCK})
        conn.commit()


def latest_jobs(conn: Connection, task: str, batch_ids: Sequence[int]) -> list[dict[str, Any]]:
    """Each batch's latest job of ``task`` (its ``batch_id`` argument): status, attempts, when it was queued and
    when it ended (procrastinate's events)."""
    if not batch_ids:
        return []
    rows = conn.execute(text(
        "SELECT DISTINCT ON ((args->>'batch_id')::bigint) (args->>'batch_id')::bigint AS batch_id, j.status, "
        "j.attempts, (SELECT min(e.at) FROM procrastinate_events e WHERE e.job_id = j.id) AS queued_at, "
        "(SELECT max(e.at) FROM procrastinate_events e WHERE e.job_id = j.id AND e.type IN "
        "('succeeded', 'failed', 'cancelled', 'aborted')) AS finished_at "
        "FROM procrastinate_jobs j WHERE j.task_name = :task AND (args->>'batch_id')::bigint = ANY(:ids) "
        "ORDER BY (args->>'batch_id')::bigint, j.id DESC"), {"task": task, "ids": list(batch_ids)}).mappings()
    return [dict(r) for r in rows]


def last_succeeded(conn: Connection, task: str) -> int | None:
    return conn.execute(text("SELECT max(id) FROM procrastinate_jobs WHERE task_name = :task AND status = "
                             "'succeeded'"), {"task": task}).scalar()
