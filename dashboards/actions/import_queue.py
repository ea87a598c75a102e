"""The import of a confirmed upload as a ``haocha.import`` job (``[jobs] queue = "procrastinate"``).

The web process that confirms an upload only defers the job (``QueueRunner.submit_import``) and answers at once;
a ``haocha worker`` imports the file exactly as the request would (``uploads.import_upload``: a child process under
the ``[security] import_*`` limits; the upload's folder lives under the instance directory, which every web process
and worker must share), writes the same audit entries as the request would (under the confirming user's name),
then defers the later stages for the new batch (``haocha.stages``). The retry rule: a file that cannot be
imported as it is (``UploadError``, ``InputError``, ``ProfileNotFound``, a memory or time limit) fails at once as
``ImportRefused`` with its Chinese message; anything else (a lost database connection, a crash) is
``ImportCrashed`` and retried ``[jobs] retries`` times. The outcome (batch and counts, or the error) is read back
from the audit entry for the upload, so every web process shows the same.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import procrastinate

from feedback.settings import Settings

# procrastinate's job states → what the 数据导入 page says
STATUS_NAMES = {"todo": "排队中", "doing": "导入中", "succeeded": "已导入", "failed": "导入失败",
                "cancelled": "已取消", "aborting": "导入中", "aborted": "已中止"}
log = logging.getLogger(__name__)


class ImportRefused(ValueError):
    """The upload cannot be imported as it is: the job fails at once (a retry would fail the same way)."""


class ImportCrashed(RuntimeError):
    """The import broke for a reason outside the file: the job is retried (``[jobs] retries``)."""


def _refusals() -> tuple[type[BaseException], ...]:
    from dashboards.actions.uploads import UploadError
    from etl.pipeline import InputError, ProfileNotFound
    from feedback.isolate import LimitExceeded

    return (UploadError, InputError, ProfileNotFound, LimitExceeded)


def _audit(engine, action: str, user: str, **detail: Any) -> None:
    """The audit entry the confirming request would write (the worker has no request: no address)."""
    from dashboards.users import audit

    with engine.begin() as conn:
        audit(conn, action, username=user, ip=None, detail=detail)


def _defer_stages(settings: Settings, batch_id: int) -> None:
    """The later stages for the new batch, through the queue (a synchronous connection of its own: the job
    runs in a worker thread, away from the worker's event loop)."""
    from dashboards.actions.queue import TASK, make_app

    app = make_app(settings)
    with app.open():
        app.configure_task(TASK).defer(batch_id=batch_id)


def run_import(context: procrastinate.JobContext, token: str, file_name: str, user: str) -> dict[str, Any]:
    """The job: import the upload ``token``; on new records, defer the stages for its batch."""
    from dashboards.actions.uploads import import_upload
    from feedback.db import make_engine

    settings: Settings = context.additional_context["settings"]
    engine = make_engine(settings.database_url)
    try:
        try:
            result = import_upload(engine, settings, token)
        except Exception as exc:  # noqa: BLE001 - every failure is recorded, then sorted for the retry rule
            _audit(engine, "import_failed", user, file=file_name, error=f"{type(exc).__name__}: {exc}",
                   message=str(exc), token=token)
            if isinstance(exc, _refusals()):
                raise ImportRefused(str(exc)) from exc
            log.exception("import of upload %s failed", token)
            raise ImportCrashed(f"{type(exc).__name__}: {exc}") from exc
        _audit(engine, "import", user, file=file_name, profile=result.profile, batch_id=result.batch_id,
               read=result.read, loaded=result.loaded, duplicate=result.duplicate, rejected=result.rejected,
               token=token)
    finally:
        engine.dispose()
    if result.loaded:  # scoring, rollups, tasks, ledger, alerts: one more job, as after a confirm in the request
        _defer_stages(settings, result.batch_id)
    return {"batch_id": result.batch_id, "loaded": result.loaded}


def describe(row: dict[str, Any], localtime: Callable[[Any], str | None]) -> dict[str, Any]:
    """One import job as the 数据导入 page shows it: file, user, times, status in Chinese, batch or error."""
    outcome: dict[str, Any] = {}
    action = None
    if row.get("outcome"):
        action, _, detail = row["outcome"].partition(" ")
        try:
            outcome = json.loads(detail)
        except ValueError:
            outcome = {}
    finished = row["status"] in ("succeeded", "failed", "cancelled", "aborted")
    error = None
    if row["status"] in ("failed", "cancelled", "aborted"):
        error = outcome.get("message") if action == "import_failed" else None
        error = error or "导入失败，请管理员查看后台处理进程（haocha worker）的日志"
    elif row["status"] == "todo" and row["attempts"]:
        error = f"第 {row['attempts']} 次导入失败，等待重试"
    done = action == "import" and row["status"] == "succeeded"
    return {"id": row["id"], "token": row["token"], "file_name": row["file_name"], "user": row["username"],
            "status": row["status"], "status_name": STATUS_NAMES.get(row["status"], row["status"]),
            "attempts": row["attempts"], "queued_at": localtime(row["queued_at"]),
            "finished_at": localtime(row["finished_at"]) if finished else None, "error": error,
            "batch_id": outcome.get("batch_id") if done else None,
            "counts": {k: outcome.get(k, 0) for k in ("read", "loaded", "duplicate", "rejected")} if done else None}
