"""Record ids from the natural key (migration 0015): one definition in Python and in PostgreSQL, existing
databases moved over with everything that points at a record, a hash collision rejected with its reason."""

from __future__ import annotations

import json
from datetime import date, datetime

import pandas as pd
import pytest
from sqlalchemy import insert, select, text

from etl.pipeline import ingest_file
from etl.transform.hashes import natural_ids
from feedback.db import make_engine, upgrade
from feedback.models import Batch, GoldLabel, LedgerCase, Record, Score, Task, TaskRecord
from feedback.models.records import NATURAL_ID_SQL, natural_id
from feedback.records import repository
from tests.etl.test_pipeline import national_rows, write_csv

T = datetime(2026, 3, 2, 9, 0)
KEYS = [("national", "P1#1"), ("national", "P2#1"), ("12345", "留言编号8848"), ("national", "长" * 120)]


def test_the_loader_the_orm_and_postgresql_compute_the_same_id(engine):
    ss, rk = pd.Series([k[0] for k in KEYS], dtype="string"), pd.Series([k[1] for k in KEYS], dtype="string")
    python = [natural_id(s, k) for s, k in KEYS]
    assert natural_ids(ss, rk).tolist() == python
    assert all(0 <= i < 2**63 for i in python) and len(set(python)) == len(python)
    assert natural_id("a", "b#c") != natural_id("a#b", "c")  # the separator is not a key character
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            sql = [conn.execute(text(f"SELECT {NATURAL_ID_SQL} FROM (SELECT :s AS source_system, "  # noqa: S608
                                     ":k AS record_key) t"), {"s": s, "k": k}).scalar_one() for s, k in KEYS]
        assert sql == python


def test_a_loaded_record_carries_its_natural_id_and_a_reload_changes_nothing(engine, settings, tmp_path):
    path = write_csv(tmp_path / "n.csv", national_rows(30))
    first = ingest_file(engine, settings, path, profile="national")
    again = ingest_file(engine, settings, path, profile="national")
    assert (first.loaded, again.loaded, again.duplicate) == (30, 0, 30)
    with engine.connect() as conn:
        rows = conn.execute(select(Record.id, Record.source_system, Record.record_key)).all()
    assert len(rows) == 30 and all(i == natural_id(s, k) for i, s, k in rows)


def test_two_keys_with_the_same_id_the_second_is_rejected_with_its_reason(engine, settings, tmp_path, monkeypatch):
    """Odds of n²/2⁶⁴ in real data: forced here with a hash of 4 values, so most rows collide. Every row is
    loaded, a duplicate or a reject naming the clash; none is counted a duplicate of another key."""
    import etl.transform.chunk as chunk

    weak = lambda ss, rk: natural_ids(ss, rk) % 4  # noqa: E731
    monkeypatch.setattr(chunk, "natural_ids", weak)
    path = write_csv(tmp_path / "n.csv", national_rows(10))
    result = ingest_file(engine, settings, path, profile="national")
    with engine.connect() as conn:
        ids = conn.execute(select(Record.id)).scalars().all()
        stored = set(conn.execute(select(Record.record_key)).scalars())
        reasons = conn.execute(text("SELECT reason, raw FROM rejects")).all()
    assert (result.read, result.duplicate) == (10, 0)
    assert result.loaded == len(ids) == len(set(ids)) <= 4 and result.rejected == 10 - result.loaded
    assert len(reasons) == result.rejected and all("哈希相同" in r for r, _ in reasons)
    rejected = {json.loads(raw)["record_key"] for _, raw in reasons}
    assert rejected.isdisjoint(stored) and len(rejected | stored) == 10  # every row: stored or rejected by key
    again = ingest_file(engine, settings, path, profile="national")
    assert (again.loaded, again.duplicate, again.rejected) == (0, result.loaded, result.rejected)


def test_id_collisions_tells_a_duplicate_from_another_key(engine):
    with engine.begin() as conn:
        batch = conn.execute(insert(Batch).values(source_system="s", profile="p", file_name="f", file_sha256="0",
                                                  started_at=T).returning(Batch.id)).scalar_one()
        conn.execute(insert(Record).values(id=7, source_system="s", record_key="a", kind="rating", batch_id=batch,
                                           row_number=2, rated_at=T, content_hash="h", is_default=False))
        frame = pd.DataFrame({"id": [7, 7, 8], "source_system": ["s", "s", "s"], "record_key": ["a", "b", "c"]})
        assert repository.id_collisions(conn, frame).tolist() == [False, True, False]


def _old_style_database(url: str) -> dict:
    """A database at 0014 with records numbered 1, 2, 3 and every kind of row that points at a record."""
    engine = make_engine(url)
    upgrade(engine, "0014")
    with engine.begin() as conn:
        batch = conn.execute(insert(Batch).values(source_system="national", profile="national", file_name="f.csv",
                                                  file_sha256="0" * 64, started_at=T).returning(Batch.id)).scalar_one()
        for i, (ss, rk) in enumerate(KEYS[:3], start=1):
            conn.execute(insert(Record).values(id=i, source_system=ss, record_key=rk, kind="rating", batch_id=batch,
                                               row_number=i + 1, level=1, rated_at=T, content_hash=f"h{i}",
                                               is_default=False))
        conn.execute(text("INSERT INTO model_versions (version, kind, description, active, created_at) "
                          "VALUES ('m1', 'scoring', '{}', true, :t)"), {"t": T})
        for rid in (1, 2, 3):
            conn.execute(text("INSERT INTO scores (record_id, model_version, sentiment, sentiment_score, "
                              "hidden_complaint, scored_at) VALUES (:r, 'm1', 'neg', 0.1, false, :t)"),
                         {"r": rid, "t": T})
        conn.execute(insert(GoldLabel).values(record_id=2, category="timeliness", labelled_by="ops", created_at=T))
        task = conn.execute(insert(Task).values(
            task_key="k", kind="service", source="rating", title="社保卡申领", created_at=T, updated_at=T,
            evidence=json.dumps([{"record_id": 3, "text": "等了很久"}, {"record_id": 1, "text": "慢"}],
                                ensure_ascii=False)).returning(Task.id)).scalar_one()
        conn.execute(insert(TaskRecord).values(task_id=task, record_id=3, weight=1.0))
        conn.execute(insert(LedgerCase).values(
            record_id=1, origin="bad_rating", status="pending_verify", rule="default", rated_at=T, kind="rating",
            is_default=False, opened_at=T, verify_due=date(2026, 3, 3), rectify_due=date(2026, 3, 20),
            created_at=T, updated_at=T))
    return {"engine": engine, "task": task}


def test_migration_0015_moves_every_record_and_what_points_at_it(db_url):
    made = _old_style_database(db_url)
    engine = made["engine"]
    upgrade(engine)
    new = {i: natural_id(*KEYS[i - 1]) for i in (1, 2, 3)}
    with engine.connect() as conn:
        assert sorted(conn.execute(select(Record.id)).scalars()) == sorted(new.values())
        assert sorted(conn.execute(select(Score.record_id)).scalars()) == sorted(new.values())
        assert conn.execute(select(GoldLabel.record_id)).scalar_one() == new[2]
        assert conn.execute(select(TaskRecord.record_id)).scalar_one() == new[3]
        assert conn.execute(select(LedgerCase.record_id)).scalar_one() == new[1]
        evidence = json.loads(conn.execute(select(Task.evidence).where(Task.id == made["task"])).scalar_one())
        assert [e["record_id"] for e in evidence] == [new[3], new[1]]
        assert evidence[0]["text"] == "等了很久"
    with engine.begin() as conn:  # scores: one row per (record, version), the record must exist
        row = {"model_version": "m1", "sentiment": "pos", "sentiment_score": 0.9, "hidden_complaint": False,
               "scored_at": T}
        with pytest.raises(Exception):  # noqa: B017,PT011 - the driver's own integrity error
            with conn.begin_nested():
                conn.execute(insert(Score).values(record_id=new[1], **row))
        with pytest.raises(Exception):  # noqa: B017,PT011
            with conn.begin_nested():
                conn.execute(insert(Score).values(record_id=12345, **row))
    engine.dispose()
