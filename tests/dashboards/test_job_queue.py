"""[jobs] queue = "procrastinate": the later stages go through a PostgreSQL job queue that every web process shares.
A batch's status is read from the queue's table (the same from any process, after a restart too), a real
``haocha worker`` process runs the stages, a failing run is retried and then shown as failed, and the overview
cache key moves when a run finishes."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from sqlalchemy import func, select

from dashboards.actions import jobs, queue
from dashboards.app import create_app
from feedback.db import make_engine
from feedback.models import RollupDaily
from feedback.pipeline import StageOutcome
from feedback.settings import SettingsError, load_settings
from tests.conftest import TEST_HASH_KEY
from tests.dashboards.conftest import seed


def test_the_queue_setting_is_checked(settings_factory):
    with pytest.raises(SettingsError, match="jobs.queue"):
        settings_factory(jobs={"queue": "celery"})
    with pytest.raises(SettingsError, match="jobs.retries"):
        settings_factory(jobs={"queue": "procrastinate", "retries": 99})
    with pytest.raises(SettingsError, match="security.background_nice"):
        settings_factory(security={"background_nice": 25})
    with pytest.raises(ValueError, match="需要 PostgreSQL"):
        create_app(settings_factory("sqlite:///x.db", jobs={"queue": "procrastinate"}))


@pytest.fixture
def queued(db_url, config_file, engine):
    if not db_url.startswith("postgresql"):
        pytest.skip("the job queue is PostgreSQL's (SQLite keeps the in-process runner)")
    with config_file.open("a", encoding="utf-8") as f:
        f.write('[jobs]\nqueue = "procrastinate"\nretries = 1\nretry_wait_s = 0\n')
    settings = load_settings(config_file, env={"HAOCHA_HASH_KEY": TEST_HASH_KEY})
    return settings, seed(engine)


def _web_process(settings):
    """A web process of its own: its own app, engine and connection pool."""
    return create_app(settings, make_engine(settings.database_url))


def test_a_worker_process_runs_the_stages_and_every_web_process_sees_the_status(queued, config_file, engine):
    settings, seeded = queued
    batch = seeded["batch_id"]
    first, second = _web_process(settings), _web_process(settings)
    with first.app_context():
        assert isinstance(jobs.runner(), queue.QueueRunner)
        jobs.runner().submit(batch)
    with second.app_context():  # the other process sees the job it did not submit
        assert jobs.runner().status(batch)["status"] == "queued"
        with engine.connect() as conn:
            before = jobs.cache_version(conn)
    env = {**os.environ, "HAOCHA_CONFIG": str(config_file), "HAOCHA_HASH_KEY": TEST_HASH_KEY}
    env.pop("HAOCHA_DATABASE_URL", None)
    done = subprocess.run([sys.executable, "-m", "feedback.cli", "worker", "--once"], env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(RollupDaily)).scalar_one() > 0  # the stages ran
    with second.app_context():
        status = jobs.runner().status(batch)
        assert status["status"] == "done" and status["finished_at"] and status["errors"] == []
        [row] = jobs.runner().annotate([{"id": batch}])
        assert row["stages"]["status"] == "done"
        with engine.connect() as conn:
            assert jobs.cache_version(conn) != before  # cached overview results are recomputed
    third = _web_process(settings)  # a restarted web process still knows
    with third.app_context():
        assert jobs.runner().status(batch)["status"] == "done"
        assert jobs.runner().status(batch + 999) is None


def test_a_failing_run_is_retried_then_shown_as_failed(queued, monkeypatch):
    settings, seeded = queued
    calls = []

    def failing(engine, settings):
        calls.append(1)
        return [StageOutcome("scoring", False, 0.1, "模型文件损坏")]

    monkeypatch.setattr("feedback.pipeline.run_stages", failing)
    web = _web_process(settings)
    with web.app_context():
        jobs.runner().submit(seeded["batch_id"])
        queue.run_worker(settings, once=True)
        status = jobs.runner().status(seeded["batch_id"])
    assert len(calls) == 2  # one retry ([jobs] retries = 1)
    assert status["status"] == "failed" and status["attempts"] == 2 and "haocha worker" in status["errors"][0]


def test_the_worker_command_refuses_without_the_queue(runner):
    from feedback.cli import main

    result = runner.invoke(main, ["worker", "--once"])
    assert result.exit_code == 2 and "procrastinate" in result.output


def test_serve_with_several_processes_starts_them_and_answers(queued, config_file):
    """`haocha serve --processes 2` with the queue: two gunicorn worker processes on one port (each builds its own
    app and database pool), answering the sign-in page and refusing the API without a token."""
    import socket
    import time
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "HAOCHA_CONFIG": str(config_file), "HAOCHA_HASH_KEY": TEST_HASH_KEY}
    env.pop("HAOCHA_DATABASE_URL", None)
    server = subprocess.Popen([sys.executable, "-m", "feedback.cli", "serve", "--port", str(port), "--processes", "2"],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(base + "/login", timeout=5)
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, server.stdout.read()[-2000:]
                time.sleep(0.3)

        def workers() -> set[int]:
            out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(server.pid)], capture_output=True, text=True)
            return {int(p) for p in out.stdout.split()}

        while len(workers()) < 2 and time.monotonic() < deadline:
            time.sleep(0.3)
        assert len(workers()) == 2
        answers = [urllib.request.urlopen(base + "/login", timeout=10) for _ in range(20)]
        assert all(a.status == 200 and "登录" in a.read().decode("utf-8") for a in answers)
        with pytest.raises(urllib.error.HTTPError) as denied:  # the API asks for a token in every process
            urllib.request.urlopen(base + "/api/v1/overview", timeout=10)
        assert denied.value.code == 401
    finally:
        server.terminate()
        out, _ = server.communicate(timeout=60)
    assert "2 个网页进程" in out and server.returncode == 0, out[-2000:]
