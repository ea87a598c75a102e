"""[jobs] queue = "procrastinate": 确认导入 queues the upload's import; a real ``haocha worker`` imports it (and runs
the stages), every web process shows the same 导入记录, a second confirm of the same upload imports nothing more,
and an upload that cannot be imported ends failed with its Chinese message, not retried."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from dashboards.actions import jobs, queue, uploads
from dashboards.app import create_app
from dashboards.users import audit_entries
from feedback.db import make_engine
from feedback.models import Batch, Record, RollupDaily
from feedback.settings import load_settings
from tests.conftest import TEST_HASH_KEY
from tests.dashboards.actions.test_ingest import _etl_ready, _token_of, _upload, national_csv
from tests.dashboards.conftest import csrf_from, login

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(not _etl_ready(), reason="the ETL is not complete in this checkout")


@pytest.fixture
def queued(db_url, config_file, engine, users):
    if not db_url.startswith("postgresql"):
        pytest.skip("the job queue is PostgreSQL's (SQLite keeps the import in the request; HAOCHA_TEST_POSTGRES_URL)")
    with config_file.open("a", encoding="utf-8") as f:
        f.write('[jobs]\nqueue = "procrastinate"\nretries = 2\nretry_wait_s = 0\n')
    return load_settings(config_file, env={"HAOCHA_HASH_KEY": TEST_HASH_KEY})


def _web(settings, name: str = "ops"):
    """A web process of its own (app, engine, pool) and a signed-in client of it."""
    app = create_app(settings, make_engine(settings.database_url))
    app.config["TESTING"] = True
    client = app.test_client()
    assert login(client, name).status_code == 302
    return app, client


def _confirm(client, token: str):
    page = client.get(f"/ingest/preview/{token}")
    assert page.status_code == 200, page.text
    return client.post(f"/ingest/confirm/{token}", data={"csrf_token": csrf_from(page.text)})


def _queue_section(client) -> str:
    page = client.get("/ingest").text
    start = page.index('id="import-queue"')
    return page[start:page.index("</section>", start)]


def _worker(config_file) -> subprocess.CompletedProcess:
    env = {**os.environ, "HAOCHA_CONFIG": str(config_file), "HAOCHA_HASH_KEY": TEST_HASH_KEY,
           "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)}
    env.pop("HAOCHA_DATABASE_URL", None)
    done = subprocess.run([sys.executable, "-m", "feedback.cli", "worker", "--once"], env=env, capture_output=True,
                          text=True, timeout=300, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-3000:]
    return done


def _count(engine, model) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(model)).scalar_one()


def test_a_confirmed_upload_is_imported_once_by_a_worker_and_every_web_process_shows_it(queued, config_file, engine):
    (_, a), (_, b) = _web(queued), _web(queued)
    token = _token_of(_upload(a, national_csv()))
    done = _confirm(a, token)
    assert done.status_code == 302 and done.headers["Location"].endswith("/ingest")
    assert "已加入导入队列：三月 评价.csv；导入结果见下方导入记录" in a.get("/ingest").text
    assert _count(engine, Record) == 0 and _count(engine, Batch) == 0  # nothing imported in the request
    section = _queue_section(b)  # the other web process sees the job it did not queue
    assert "三月 评价.csv" in section and "排队中" in section and "ops" in section
    again = _confirm(b, token)  # a double click, from the other process: no second job
    assert again.status_code == 302 and "该文件已在导入队列中或已导入" in b.get("/ingest").text
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(queue_jobs())).scalar_one() == 1

    _worker(config_file)
    assert _count(engine, Record) == 5 and _count(engine, Batch) == 1
    assert _count(engine, RollupDaily) > 0  # the stages ran after the import, through the queue
    with engine.connect() as conn:
        batch_id = conn.execute(select(Batch.id)).scalar_one()
        stage_jobs = conn.execute(select(func.count()).select_from(queue_jobs(queue.TASK))).scalar_one()
        imported = audit_entries(conn, action="import")
    assert stage_jobs == 1
    assert len(imported) == 1 and imported[0]["username"] == "ops"
    for client in (a, b):
        section = _queue_section(client)
        assert "已导入" in section and f"批次 {batch_id}：读取 6 行，新增 5 条，重复 0 条，拒收 1 行" in section
        assert "排队中" not in section
        history = client.get("/ingest").text
        assert "已完成" in history  # the batch's later stages, from the queue's table
    assert a.post(f"/ingest/confirm/{token}", data={"csrf_token": csrf_from(a.get("/ingest").text)}).status_code \
        == 404  # the upload was imported and removed
    _worker(config_file)
    assert _count(engine, Record) == 5 and _count(engine, Batch) == 1


def test_an_upload_gone_before_the_worker_ends_failed_with_its_message_and_is_not_retried(queued, config_file,
                                                                                           engine):
    (_, a), (_, b) = _web(queued), _web(queued)
    token = _token_of(_upload(a, national_csv(), name="坏文件.csv"))
    assert _confirm(a, token).status_code == 302
    shutil.rmtree(uploads.upload_root(queued) / token)  # e.g. removed by clean-up before a worker got to it
    _worker(config_file)
    assert _count(engine, Batch) == 0
    for client in (a, b):
        section = _queue_section(client)
        assert "坏文件.csv" in section and "导入失败" in section and "上传记录不存在或已过期，请重新上传" in section
    with engine.connect() as conn:
        [attempts] = conn.execute(select(queue_jobs().c.attempts)).scalars().all()
        failed = audit_entries(conn, action="import_failed")
    assert attempts == 1  # [jobs] retries = 2, but a refused file is not tried again
    assert len(failed) == 1 and failed[0]["username"] == "ops"


def test_a_crash_is_retried_then_shown_failed(queued, monkeypatch):
    app, client = _web(queued)
    token = _token_of(_upload(client, national_csv(), name="崩溃.csv"))
    assert _confirm(client, token).status_code == 302
    calls = []

    def crashing(engine, settings, token):
        calls.append(token)
        raise OSError("磁盘不可用")

    monkeypatch.setattr(uploads, "import_upload", crashing)
    queue.run_worker(queued, once=True)
    assert len(calls) == 3  # one try and [jobs] retries = 2 more: a crash may be passing
    section = _queue_section(client)
    assert "导入失败" in section and "磁盘不可用" in section


def queue_jobs(task: str = queue.IMPORT_TASK):
    """procrastinate's job table (a test-side view of it) for one task."""
    from sqlalchemy import column, table

    jobs = table("procrastinate_jobs", column("id"), column("task_name"), column("attempts"), column("status"))
    return select(jobs).where(jobs.c.task_name == task).subquery()


def test_two_confirms_at_the_same_moment_queue_one_job(queued, engine, monkeypatch):
    """Both confirms pass the check for an existing job before either has deferred: procrastinate's queueing
    lock (one waiting job per upload) refuses the second."""
    app, _ = _web(queued)
    monkeypatch.setattr(queue, "import_job_active", lambda conn, task, token: False)
    token = "f" * 32
    with app.app_context():
        assert jobs.runner().submit_import(token, "同时.csv", "ops") is True
        assert jobs.runner().submit_import(token, "同时.csv", "ops") is False
        assert jobs.runner().submit_import("e" * 32, "另一个.csv", "ops") is True
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(queue_jobs())).scalar_one() == 2
