"""The in-process job runner of the later stages (feedback.pipeline) after a push or an upload added records.

One worker thread runs the stages one run at a time; batches that arrive while a run is going on are covered
by one more run after it (the stages work on whatever is new). The status of each batch's run is kept in memory
and shown in the batch history (it starts empty again when the server restarts). Tests install a synchronous
runner, or a runner with their own ``run`` function.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from flask import Flask, current_app
from sqlalchemy import Engine

from feedback.clock import local_now
from feedback.settings import Settings

EXTENSION = "haocha.stage_runner"
STATUS_NAMES = {"queued": "排队中", "running": "处理中", "done": "已完成", "failed": "部分失败"}
log = logging.getLogger(__name__)


class StageRunner:
    """``submit(batch_id)`` after a load that added records; ``status(batch_id)`` for the history."""

    def __init__(self, run: Callable[[], list], *, synchronous: bool = False, keep: int = 1000):
        self._run = run
        self._sync = synchronous
        self._keep = keep
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._pending: list[int] = []
        self._status: dict[int, dict[str, Any]] = {}
        self._thread: threading.Thread | None = None

    def submit(self, batch_id: int) -> None:
        with self._lock:
            self._set(batch_id, "queued")
            self._pending.append(batch_id)
            if not self._sync and (self._thread is None or not self._thread.is_alive()):
                self._thread = threading.Thread(target=self._loop, name="haocha-stages", daemon=True)
                self._thread.start()
            elif not self._sync:
                self._wake.notify()
        if self._sync:
            self._run_pending()

    def status(self, batch_id: int) -> dict[str, Any] | None:
        with self._lock:
            s = self._status.get(batch_id)
            return dict(s) if s else None

    def annotate(self, batches: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The batch-history rows with a ``stages`` entry (None when no run was asked for by this server)."""
        return [{**b, "stages": self.status(b["id"])} for b in batches]

    def _set(self, batch_id: int, status: str, **extra: Any) -> None:
        now = local_now().isoformat(sep=" ")
        entry = self._status.setdefault(batch_id, {"status": status, "queued_at": now, "finished_at": None,
                                                   "errors": []})
        entry.update(status=status, **extra)
        if len(self._status) > self._keep:
            for old in sorted(self._status)[: len(self._status) - self._keep]:
                if self._status[old]["status"] in ("done", "failed"):
                    del self._status[old]

    def _run_pending(self) -> None:
        with self._lock:
            batch_ids, self._pending = self._pending, []
            for b in batch_ids:
                self._set(b, "running")
        if not batch_ids:
            return
        try:
            outcomes = self._run()
            errors = [f"{o.name}: {o.error}" for o in outcomes if not o.ok]
        except Exception as exc:  # noqa: BLE001 - the worker must survive anything a stage does
            log.exception("later stages failed")
            errors = [f"{type(exc).__name__}: {exc}"]
        finished = local_now().isoformat(sep=" ")
        with self._lock:
            for b in batch_ids:
                self._set(b, "failed" if errors else "done", finished_at=finished, errors=errors)
        if errors:
            log.warning("later stages after batches %s: %s", batch_ids, "; ".join(errors))

    def _loop(self) -> None:
        while True:
            with self._lock:
                while not self._pending:
                    if not self._wake.wait(timeout=300):
                        if not self._pending:
                            self._thread = None
                            return
            self._run_pending()


def run_stages_with_url(database_url: str, settings: Settings) -> list:
    """The later stages with an engine of their own (in a child process); outcomes without their results."""
    import dataclasses

    from feedback.db import make_engine
    from feedback.pipeline import run_stages

    engine = make_engine(database_url)
    try:
        return [dataclasses.replace(o, result=None) for o in run_stages(engine, settings)]
    finally:
        engine.dispose()


def default_runner(engine: Engine, settings: Settings, on_done: Callable[[], None] | None = None) -> StageRunner:
    """Runs the stages in a child process: scoring and rollups are CPU-bound Python, and in a thread of the web
    process they would hold the interpreter lock the requests need (the overview's p95 grew tenfold under load)."""
    from feedback.isolate import Limits, run_isolated

    url = engine.url.render_as_string(hide_password=False)
    limits = Limits(memory_mb=0, timeout_s=0, nice=settings.security.background_nice)  # requests go first

    def run() -> list:
        try:
            return run_isolated(run_stages_with_url, url, settings, limits=limits)
        finally:
            if on_done is not None:  # e.g. drop cached overview results: the rollups have changed
                on_done()

    return StageRunner(run)


def install(app: Flask, engine: Engine, settings: Settings, on_done: Callable[[], None] | None = None) -> None:
    """``[jobs] queue``: the thread runner, or the PostgreSQL job queue (dashboards.actions.queue)."""
    if EXTENSION in app.extensions:
        return
    if settings.jobs.queue == "procrastinate":
        from dashboards.actions.queue import QueueRunner, install_schema

        install_schema(engine, settings)
        app.extensions[EXTENSION] = QueueRunner(engine, settings)
    else:
        app.extensions[EXTENSION] = default_runner(engine, settings, on_done)


def runner() -> StageRunner:
    return current_app.extensions[EXTENSION]


def cache_version(conn) -> tuple:
    """What the runner adds to the overview cache's key: the queue's last finished run (its web process cannot
    clear the cache when another process's worker finishes); nothing for the thread runner, which clears it."""
    version = getattr(runner(), "version", None)
    return version(conn) if version is not None else ()
