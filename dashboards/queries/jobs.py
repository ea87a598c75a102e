"""Reads of procrastinate's job table for the batch history and the import queue (``[jobs] queue =
"procrastinate"``), and the lock that lets one process at a time create the queue's schema."""

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


def import_job_active(conn: Connection, task: str, token: str) -> bool:
    """Whether the upload ``token`` has an import job waiting, running or done (a failed one may be confirmed
    again)."""
    return conn.execute(text(
        "SELECT EXISTS (SELECT 1 FROM procrastinate_jobs WHERE task_name = :task AND args->>'token' = :token "
        "AND status IN ('todo', 'doing', 'succeeded'))"), {"task": task, "token": token}).scalar()


def import_jobs(conn: Connection, task: str, limit: int) -> list[dict[str, Any]]:
    """The latest ``limit`` import jobs, newest first: the upload (token, file name, user), status, attempts,
    when queued and ended, and the outcome the worker wrote to the audit log for that upload (its ``detail``
    JSON: the batch and counts, or the error; the latest entry wins)."""
    rows = conn.execute(text(
        "SELECT j.id, j.status, j.attempts, j.args->>'token' AS token, j.args->>'file_name' AS file_name, "
        "j.args->>'user' AS username, "
        "(SELECT min(e.at) FROM procrastinate_events e WHERE e.job_id = j.id) AS queued_at, "
        "(SELECT max(e.at) FROM procrastinate_events e WHERE e.job_id = j.id AND e.type IN "
        "('succeeded', 'failed', 'cancelled', 'aborted')) AS finished_at, "
        "(SELECT a.action || ' ' || a.detail FROM audit_log a WHERE a.username = j.args->>'user' "
        "AND a.action IN ('import', 'import_failed') AND a.detail LIKE '%' || (j.args->>'token') || '%' "
        "ORDER BY a.id DESC LIMIT 1) AS outcome "
        "FROM procrastinate_jobs j WHERE j.task_name = :task ORDER BY j.id DESC LIMIT :limit"),
        {"task": task, "limit": limit}).mappings()
    return [dict(r) for r in rows]
