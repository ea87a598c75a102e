"""One batch per file at a time: two concurrent ingests of the same file never share or double a batch."""

from __future__ import annotations

import dataclasses
import threading

from sqlalchemy import select

from etl.pipeline import ingest_file
from feedback.models import Batch, Record
from tests.etl.test_pipeline import national_rows, write_csv


def test_two_concurrent_ingests_of_one_file(engine, settings, tmp_path):
    n = 3_000
    settings = dataclasses.replace(settings, ingest=dataclasses.replace(settings.ingest, chunk_size=300))
    path = write_csv(tmp_path / "same.csv", national_rows(n))
    results, errors = [], []
    start = threading.Barrier(2)

    def run():
        try:
            start.wait()
            results.append(ingest_file(engine, settings, path, profile="national"))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=600)
    assert not errors, errors
    assert sorted((r.read, r.loaded, r.duplicate) for r in results) == [(n, 0, n), (n, n, 0)]
    assert results[0].batch_id != results[1].batch_id
    with engine.connect() as conn:
        batches = conn.execute(select(Batch.read, Batch.status)).all()
        records = conn.execute(select(Record.id)).all()
    assert sorted(batches) == [(n, "done"), (n, "done")]
    assert len(records) == n
