"""One way for tests to put data in the store: batches, records, rejects, model versions and scores.

Each ``*_row`` is a row of defaults (only what the table requires) that a test overrides; each ``add_*`` inserts
rows and returns what a test needs next (ids in the order given). Records go in as written, value for value, so a
test's numbers do not depend on how they were inserted; a test of loading itself goes through the ETL instead.
The shapes several tests share (a task test's rating with its score, a message, many good ratings) are here too.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import Connection, insert, select

from feedback.models import Batch, ModelVersion, Record, Score
from feedback.records import repository

T0 = datetime(2026, 3, 2, 9, 0, 0)
_keys = itertools.count(1)  # default record keys
_seq = itertools.count(1)  # the shared shapes' numbering (rating, message, good_ratings)


# ---- rows and inserts ------------------------------------------------------------------------------------------
def batch_row(**over: Any) -> dict[str, Any]:
    """A finished batch; counts left to the table's defaults unless given."""
    return {"source_system": "test", "profile": "test", "file_name": "t.csv", "file_sha256": "0" * 64,
            "status": "done", "started_at": T0, **over}


def add_batch(conn: Connection, **over: Any) -> int:
    return conn.execute(insert(Batch).values(**batch_row(**over)).returning(Batch.id)).scalar_one()


def record_row(**over: Any) -> dict[str, Any]:
    """A record with what the table requires (a unique key, a kind, a time, a content hash); the rest NULL."""
    n = next(_keys)
    key = over.get("record_key", f"r{n}")
    return {"source_system": "test", "record_key": key, "kind": "rating", "row_number": n, "is_default": False,
            "rated_at": T0, "content_hash": hashlib.sha256(key.encode()).hexdigest(), **over}


def add_records(conn: Connection, rows: Iterable[dict[str, Any]], *, batch_id: int | None = None) -> list[int]:
    """Insert records (each completed by ``record_row``) in one statement; their ids, in order. Rows without a
    batch go into ``batch_id``, or into a new default batch."""
    rows = [dict(r) for r in rows]
    if not rows:
        return []
    if batch_id is None and any("batch_id" not in r for r in rows):
        batch_id = add_batch(conn)
    rows = [record_row(**{"batch_id": batch_id, **r}) for r in rows]
    columns = {c for r in rows for c in r}
    rows = [{c: r.get(c) for c in columns} for r in rows]  # one column set: a missing value is NULL, as before
    return list(conn.execute(insert(Record).returning(Record.id, sort_by_parameter_order=True), rows).scalars())


def add_record(conn: Connection, **over: Any) -> int:
    return add_records(conn, [over])[0]


def record_ids(conn: Connection, keys: Iterable[str] | None = None) -> dict[str, int]:
    """record_key → id, of the given keys or of every record."""
    q = select(Record.record_key, Record.id)
    if keys is not None:
        q = q.where(Record.record_key.in_(list(keys)))
    return dict(conn.execute(q).all())


def add_rejects(conn: Connection, batch_id: int, file_name: str, rows: list[dict[str, Any]]) -> None:
    """Rejects through the store's own writer (rows: row_number, column, reason, raw)."""
    repository.insert_rejects(conn, batch_id, file_name, pd.DataFrame(rows, columns=["row_number", "column",
                                                                                     "reason", "raw"]))


def add_model_version(conn: Connection, version: str = "m1", *, kind: str = "scoring", active: bool = True,
                      created_at: datetime = T0, description: str = "{}") -> str:
    """A model version (kept if it exists already)."""
    if conn.execute(select(ModelVersion.version).where(ModelVersion.version == version)).first() is None:
        conn.execute(insert(ModelVersion).values(version=version, kind=kind, description=description, active=active,
                                                 created_at=created_at))
    return version


def score_row(record_id: int, **over: Any) -> dict[str, Any]:
    return {"record_id": record_id, "model_version": "m1", "sentiment": "neg", "sentiment_score": 0.2,
            "hidden_complaint": False, "scored_at": T0, **over}


def add_scores(conn: Connection, rows: Iterable[dict[str, Any]]) -> None:
    """Insert scores (each completed by ``score_row``; ``record_id`` required)."""
    rows = [score_row(**r) for r in rows]
    if rows:
        columns = {c for r in rows for c in r}
        conn.execute(insert(Score), [{c: r.get(c) for c in columns} for r in rows])


# ---- shapes several tests share --------------------------------------------------------------------------------
def batch(conn: Connection) -> int:
    """A finished default batch."""
    return add_batch(conn)


def model(conn: Connection, version: str = "m1") -> str:
    """An active scoring version."""
    return add_model_version(conn, version)


def rating(conn: Connection, batch_id: int, *, service: str, level: int, at: datetime, text: str | None = None,
           category: str | None = None, hidden: bool = False, dept: str = "人社局", region: str = "439902000000",
           channel: str = "mobile", version: str = "m1", clause: str | None = None) -> int:
    """A rating of ``service``, with a score when it has a text, is bad or hides a complaint (``clause``: the
    clause after a turn that made it)."""
    n = next(_seq)
    rid = add_record(
        conn, record_key=f"r{n}", batch_id=batch_id, row_number=n, project_no=f"P{n}", service_code=f"S-{service}",
        service_name=service, dept_code=f"D-{dept}", dept_name=dept, region_code=region, channel=channel,
        level=level, text=text, rated_at=at, content_hash=hashlib.sha256(f"{n}".encode()).hexdigest(),
        evaluator_hash=f"e{n}")
    if text is not None or level <= 2 or hidden:
        add_scores(conn, [dict(record_id=rid, model_version=version, sentiment="neg" if level <= 2 or hidden else "pos",
                               hidden_complaint=hidden, hidden_clause=clause, category=category, category_conf=0.9,
                               scored_at=at)])
    return rid


def message(conn: Connection, batch_id: int, *, title: str, text: str, at: datetime, votes: int = 0,
            user: str | None = None) -> int:
    """A 12345 message with its votes."""
    n = next(_seq)
    return add_record(
        conn, record_key=f"m{n}", kind="message", batch_id=batch_id, row_number=n, title=title, text=text,
        votes_up=votes, votes_down=0, rated_at=at, content_hash=hashlib.sha256(f"m{n}".encode()).hexdigest(),
        evaluator_hash=user or f"u{n}")


def good_ratings(conn: Connection, batch_id: int, service: str, count: int, start: datetime = T0, days: int = 90,
                 **kw: Any) -> None:
    """Many plain good ratings (denominators), spread over ``days``."""
    rows = []
    for i in range(count):
        n = next(_seq)
        dept = kw.get("dept", "人社局")
        rows.append(dict(
            record_key=f"g{n}", row_number=n, project_no=f"P{n}", service_code=f"S-{service}", service_name=service,
            dept_code=f"D-{dept}", dept_name=dept, region_code=kw.get("region", "439902000000"), channel="mobile",
            level=5, rated_at=start + timedelta(minutes=(i * days * 1440) // max(count, 1)),
            content_hash=hashlib.sha256(f"g{n}".encode()).hexdigest(), evaluator_hash=f"e{n}"))
    add_records(conn, rows, batch_id=batch_id)
