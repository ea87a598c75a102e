"""Imports of confirmed uploads and the later stages on a PostgreSQL-backed job queue (procrastinate).

``[jobs] queue = "procrastinate"``: a confirmed upload defers a ``haocha.import`` job (dashboards.actions.
import_queue); an upload or a push defers one ``haocha.stages`` job per batch into the
database; ``haocha worker`` processes (any number, on any machine that reaches the database) run them one at a
time (procrastinate's ``lock``: the stages work on whatever is new, so two runs at once would only contend), with
``[jobs] retries`` retries on failure. Every web process reads a batch's status from the queue's own table, so the
batch history is the same whichever process serves it and survives restarts. The in-process thread runner
(``dashboards.actions.jobs``) stays the default, and the only choice on SQLite.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

import procrastinate
from procrastinate.exceptions import AlreadyEnqueued
from sqlalchemy import Connection, Engine

from dashboards.queries.jobs import (
    import_job_active,
    import_jobs,
    last_succeeded,
    latest_jobs,
    queue_installed,
    schema_lock,
)
from feedback.db import libpq_url
from feedback.settings import Settings

TASK = "haocha.stages"
IMPORT_TASK = "haocha.import"
QUEUE = "haocha"
LOCK = "haocha-stages"
# procrastinate's job states → the batch history's (jobs.STATUS_NAMES)
STATES = {"todo": "queued", "doing": "running", "succeeded": "done", "failed": "failed", "cancelled": "failed",
          "aborting": "running", "aborted": "failed"}
log = logging.getLogger(__name__)


class StagesFailed(RuntimeError):
    """A stage reported an error: the job fails (and is retried) with the stages' own messages."""


def conninfo(database_url: str) -> str:
    """The queue's libpq URL; ValueError (in Chinese) when the database is not PostgreSQL."""
    from sqlalchemy.engine import make_url

    if make_url(database_url).get_backend_name() != "postgresql":
        raise ValueError("[jobs] queue = \"procrastinate\" 需要 PostgreSQL 数据库（[database] url）")
    return libpq_url(database_url)


def _run_stages(context: procrastinate.JobContext, batch_id: int) -> dict[str, Any]:
    """The job: the later stages in the worker process (a process of its own, so no web request waits on it)."""
    from feedback.db import make_engine
    from feedback.pipeline import run_stages

    settings: Settings = context.additional_context["settings"]
    engine = make_engine(settings.database_url)
    try:
        outcomes = run_stages(engine, settings)
    finally:
        engine.dispose()
    errors = [f"{o.name}: {o.error}" for o in outcomes if not o.ok]
    if errors:
        raise StagesFailed("; ".join(errors))
    log.info("stages after batch %s done", batch_id)
    return {"stages": [o.name for o in outcomes]}


def make_app(settings: Settings, *, worker: bool = False) -> procrastinate.App:
    """The queue on the configured database: a synchronous connector for the web processes that defer jobs, the
    asynchronous one for ``haocha worker``."""
    info = conninfo(settings.database_url)
    connector = procrastinate.PsycopgConnector(conninfo=info) if worker else \
        procrastinate.SyncPsycopgConnector(conninfo=info)
    app = procrastinate.App(connector=connector)
    app.task(name=TASK, queue=QUEUE, lock=LOCK, retry=_retry(settings), pass_context=True)(_run_stages)
    from dashboards.actions import import_queue

    # an upload that cannot be imported as it is fails at once; only a crash (a lost connection, a killed child
    # that is not a limit) is tried again
    app.task(name=IMPORT_TASK, queue=QUEUE, retry=_retry(settings, only=[import_queue.ImportCrashed]),
             pass_context=True)(import_queue.run_import)
    return app


def _retry(settings: Settings, only: list[type[Exception]] | None = None) -> procrastinate.RetryStrategy | bool:
    """``[jobs] retries`` retries ``retry_wait_s`` apart (of the ``only`` exceptions when given); False: none."""
    if settings.jobs.retries <= 0:
        return False
    return procrastinate.RetryStrategy(max_attempts=settings.jobs.retries, wait=settings.jobs.retry_wait_s,
                                       **({"retry_exceptions": only} if only else {}))


def install_schema(engine: Engine, settings: Settings) -> bool:
    """Create procrastinate's tables and functions once (``haocha init`` and ``haocha worker`` call it); False when
    they were there. ValueError (in Chinese) when the database is not PostgreSQL."""
    conninfo(settings.database_url)
    with engine.connect() as conn:
        if queue_installed(conn):
            return False
    app = make_app(settings)
    with app.open(), engine.connect() as conn, schema_lock(conn):
        if queue_installed(conn):  # another process created it while this one waited
            return False
        app.schema_manager.apply_schema()
    return True


def run_worker(settings: Settings, *, once: bool = False) -> None:
    """Process stage jobs until stopped (``once``: until the queue is empty)."""
    app = make_app(settings, worker=True)
    app.run_worker(queues=[QUEUE], concurrency=1, wait=not once, install_signal_handlers=not once,
                   additional_context={"settings": settings})


def _time(value: Any, tz: str) -> str | None:
    """A queue timestamp (timestamptz) as the storage wall-clock text the batch history shows through |localtime."""
    from zoneinfo import ZoneInfo

    if value is None:
        return None
    return value.astimezone(ZoneInfo(tz)).replace(tzinfo=None, microsecond=0).isoformat(sep=" ")


class QueueRunner:
    """The StageRunner interface (``submit``, ``status``, ``annotate``) over the queue's table."""

    def __init__(self, engine: Engine, settings: Settings):
        self._engine = engine
        self._tz = settings.ingest.timezone
        self._app = make_app(settings)
        self._open = False
        self._lock = threading.Lock()  # waitress serves requests on several threads

    def _opened(self) -> procrastinate.App:
        with self._lock:
            if not self._open:  # one connection pool per web process, opened on first use
                self._app.open()
                self._open = True
        return self._app

    def submit(self, batch_id: int) -> None:
        self._opened().configure_task(TASK).defer(batch_id=batch_id)

    def submit_import(self, token: str, file_name: str, user: str) -> bool:
        """Queue the import of a confirmed upload; False when that upload is already queued, being imported or
        imported (a double click, or a second web process): it is imported once."""
        with self._engine.connect() as conn:
            if import_job_active(conn, IMPORT_TASK, token):
                return False
        try:  # two confirms at the same moment: procrastinate's queueing lock lets one job wait per upload
            self._opened().configure_task(IMPORT_TASK, queueing_lock=f"haocha-import:{token}").defer(
                token=token, file_name=file_name, user=user)
        except AlreadyEnqueued:
            return False
        return True

    def imports(self, limit: int = 20) -> list[dict[str, Any]]:
        """The latest queued imports (newest first) for the 数据导入 page, the same from every web process."""
        from dashboards.actions.import_queue import describe

        with self._engine.connect() as conn:
            rows = import_jobs(conn, IMPORT_TASK, limit)
        return [describe(r, lambda v: _time(v, self._tz)) for r in rows]

    def _jobs(self, conn: Connection, batch_ids: list[int]) -> dict[int, dict[str, Any]]:
        rows = latest_jobs(conn, TASK, batch_ids)
        out = {}
        for r in rows:
            status = STATES.get(r["status"], "queued")
            errors = [f"共尝试 {r['attempts']} 次仍失败，请管理员查看后台处理进程（haocha worker）的日志"] if status == "failed" else []
            out[int(r["batch_id"])] = {"status": status, "queued_at": _time(r["queued_at"], self._tz),
                                       "finished_at": _time(r["finished_at"], self._tz), "errors": errors,
                                       "attempts": r["attempts"]}
        return out

    def status(self, batch_id: int) -> dict[str, Any] | None:
        with self._engine.connect() as conn:
            return self._jobs(conn, [batch_id]).get(batch_id)

    def annotate(self, batches: list[dict[str, Any]]) -> list[dict[str, Any]]:
        with self._engine.connect() as conn:
            found = self._jobs(conn, [int(b["id"]) for b in batches])
        return [{**b, "stages": found.get(int(b["id"]))} for b in batches]

    def version(self, conn: Connection) -> tuple[Any, ...]:
        """The last finished stage job: part of the overview cache's key (the rollups change when it ends)."""
        return (last_succeeded(conn, TASK),)

    def close(self) -> None:
        with self._lock:
            if self._open:
                self._app.close()
                self._open = False
