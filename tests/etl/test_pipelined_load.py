"""The pipelined load (chunk k+1 transformed while chunk k is written): order, failures on either side, resume."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import select, text

import etl.load
from etl.pipeline import ingest_file
from feedback.models import Batch
from tests.etl.test_pipeline import national_rows, write_csv

ROWS, CHUNK = 5000, 1000  # the settings fixture reads 1000 rows a chunk


def _batch(engine):
    with engine.connect() as conn:
        return conn.execute(select(Batch).order_by(Batch.id.desc())).first()


def _record_count(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM records")).scalar_one()


def _failing_on_call(real, n: int, exc: Exception):
    """``real`` that raises ``exc`` on its n-th call instead."""
    calls = []

    def wrapper(*args):
        calls.append(1)
        if len(calls) == n:
            raise exc
        return real(*args)

    return wrapper


def test_chunks_are_written_in_order_off_the_main_thread_on_postgresql(engine, settings, tmp_path, monkeypatch):
    path = write_csv(tmp_path / "a.csv", national_rows(ROWS))
    seen: list[tuple[str, int]] = []
    real = etl.load.insert_records

    def spy(conn, batch_id, records, *staged):
        seen.append((threading.current_thread().name, int(records["row_number"].min())))
        return real(conn, batch_id, records, *staged)

    monkeypatch.setattr(etl.load, "insert_records", spy)
    res = ingest_file(engine, settings, path)
    assert (res.read, res.loaded) == (ROWS, ROWS)
    assert [first for _, first in seen] == [2 + k * CHUNK for k in range(ROWS // CHUNK)]
    # PostgreSQL: a writer thread (the server works while the next chunk is transformed); SQLite: the caller
    on_writer = [name.startswith("haocha-write") for name, _ in seen]
    assert all(on_writer) if engine.dialect.name == "postgresql" else not any(on_writer)


def test_write_failure_keeps_whole_chunks_and_rerun_resumes(engine, settings, tmp_path, monkeypatch):
    path = write_csv(tmp_path / "a.csv", national_rows(ROWS))
    real = etl.load.insert_records
    monkeypatch.setattr(etl.load, "insert_records", _failing_on_call(real, 3, OSError("disk full")))
    with pytest.raises(OSError, match="disk full"):
        ingest_file(engine, settings, path)
    batch = _batch(engine)
    assert batch.status == "failed" and "disk full" in batch.error
    assert batch.rows_done == 2 * CHUNK == _record_count(engine)

    monkeypatch.setattr(etl.load, "insert_records", real)
    res = ingest_file(engine, settings, path)
    assert res.resumed_from == 2 * CHUNK
    assert (res.read, res.loaded, res.duplicate, res.rejected) == (ROWS, ROWS, 0, 0)
    assert _record_count(engine) == ROWS


def test_transform_failure_waits_for_the_write_in_flight(engine, settings, tmp_path, monkeypatch):
    """Chunk 3's transform fails while chunk 2 is still being written: chunk 2 commits, the checkpoint says so."""
    path = write_csv(tmp_path / "a.csv", national_rows(ROWS))
    real_insert, real_transform = etl.load.insert_records, etl.load.transform

    def slow_insert(conn, batch_id, records, *staged):
        time.sleep(0.3)  # chunk 2's write is still running when chunk 3's transform fails
        return real_insert(conn, batch_id, records, *staged)

    monkeypatch.setattr(etl.load, "insert_records", slow_insert)
    monkeypatch.setattr(etl.load, "transform", _failing_on_call(real_transform, 3, ValueError("bad chunk")))
    with pytest.raises(ValueError, match="bad chunk"):
        ingest_file(engine, settings, path)
    batch = _batch(engine)
    assert batch.status == "failed"
    assert batch.rows_done == 2 * CHUNK == _record_count(engine)

    monkeypatch.setattr(etl.load, "transform", real_transform)
    res = ingest_file(engine, settings, path)
    assert (res.resumed_from, res.loaded) == (2 * CHUNK, ROWS)
    assert _record_count(engine) == ROWS
