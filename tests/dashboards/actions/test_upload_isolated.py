"""Untrusted files never run in the web process: a memory bomb is refused in a child, a killed import resumes."""

from __future__ import annotations

import dataclasses
import html
import os

from sqlalchemy import func, select

from dashboards.actions import uploads
from dashboards.app import create_app
from feedback.isolate import Limits, MemoryLimitExceeded, run_isolated
from feedback.models import Batch, Record
from feedback.settings import SecuritySettings
from tests.dashboards.actions.test_ingest import _upload, national_csv
from tests.dashboards.conftest import login


def test_a_jsonl_memory_bomb_is_refused_and_the_app_still_serves(settings, engine, users, options):
    """One 40 MB JSON line passes every static check (it is a well-formed object) but its parse needs more than
    the 16 MB the test allows the child."""
    tight = dataclasses.replace(settings, security=SecuritySettings(import_memory_mb=16, import_timeout_s=120))
    app = create_app(tight, engine, options=dataclasses.replace(options, max_upload_mb=64))
    client = app.test_client()
    login(client, "ops")
    bomb = b'{"projectNo": "' + b"9" * (40 << 20) + b'"}\n'
    response = _upload(client, bomb, name="炸弹.jsonl")
    assert response.status_code == 302
    text = html.unescape(client.get(response.headers["Location"]).text)
    assert "文件过大或结构异常，处理时超出内存上限" in text and "确认导入" not in text
    token = response.headers["Location"].rsplit("/", 1)[1]
    folder = tight.instance_path / "uploads" / token
    assert [p.name for p in folder.iterdir()] == ["meta.json"]  # the refused file itself is gone at once
    assert client.get("/ingest").status_code == 200  # the web process survived


def ingest_then_die(database_url, settings, path):
    """A child that loads the first chunk, then dies as a child stopped by its limit would."""
    from etl.pipeline import ingest_file
    from feedback.db import make_engine

    def die(read: int) -> None:
        if read >= settings.ingest.chunk_size:
            os._exit(9)

    ingest_file(make_engine(database_url), settings, path, profile="national", progress=die)


def test_a_killed_import_child_leaves_no_done_batch_and_a_rerun_finishes(settings, engine, tmp_path):
    small = dataclasses.replace(settings, ingest=dataclasses.replace(settings.ingest, chunk_size=2))
    path = tmp_path / "三月.csv"
    path.write_bytes(national_csv(9))  # 8 valid rows, 1 reject
    url = engine.url.render_as_string(hide_password=False)
    try:
        run_isolated(ingest_then_die, url, small, path, limits=Limits(timeout_s=120))
        raise AssertionError("the child should have died")
    except MemoryLimitExceeded:
        pass
    with engine.connect() as conn:
        status, loaded = conn.execute(select(Batch.status, Batch.loaded)).one()
        assert status != "done"  # not counted as a finished load
        assert conn.execute(select(func.count()).select_from(Record)).scalar_one() < 8
    result = run_isolated(uploads.ingest_with_url, url, small, path, "national", limits=Limits(timeout_s=120))
    assert result.resumed_from > 0  # went on from the checkpoint the dead child committed
    with engine.connect() as conn:
        assert conn.execute(select(Batch.status)).scalars().all() == ["done"]  # the same batch, finished
        assert conn.execute(select(func.count()).select_from(Record)).scalar_one() == 8
