"""Small fixtures for task tests: batches, ratings, messages and scores inserted straight into the database."""

from __future__ import annotations

import hashlib
import itertools
from datetime import datetime, timedelta

from sqlalchemy import insert, select

from feedback.models import Batch, ModelVersion, Record, Score

_seq = itertools.count(1)
T0 = datetime(2026, 3, 2, 9, 0, 0)


def batch(conn) -> int:
    return conn.execute(insert(Batch).values(
        source_system="test", profile="test", file_name="t.csv", file_sha256="0" * 64, status="done",
        started_at=T0)).inserted_primary_key[0]


def model(conn, version: str = "m1") -> str:
    if conn.execute(select(ModelVersion.version).where(ModelVersion.version == version)).first() is None:
        conn.execute(insert(ModelVersion).values(version=version, kind="scoring", description="{}", active=True,
                                                 created_at=T0))
    return version


def rating(conn, batch_id: int, *, service: str, level: int, at: datetime, text: str | None = None,
           category: str | None = None, hidden: bool = False, dept: str = "人社局", region: str = "439902000000",
           channel: str = "mobile", version: str = "m1") -> int:
    n = next(_seq)
    rid = conn.execute(insert(Record).values(
        source_system="test", record_key=f"r{n}", kind="rating", batch_id=batch_id, row_number=n,
        project_no=f"P{n}", service_code=f"S-{service}", service_name=service, dept_code=f"D-{dept}",
        dept_name=dept, region_code=region, channel=channel, level=level, is_default=False, text=text,
        rated_at=at, content_hash=hashlib.sha256(f"{n}".encode()).hexdigest(), evaluator_hash=f"e{n}",
    )).inserted_primary_key[0]
    if text is not None or level <= 2 or hidden:
        conn.execute(insert(Score).values(
            record_id=rid, model_version=version, sentiment="neg" if level <= 2 or hidden else "pos",
            sentiment_score=0.2, hidden_complaint=hidden, category=category, category_conf=0.9, scored_at=at))
    return rid


def message(conn, batch_id: int, *, title: str, text: str, at: datetime, votes: int = 0, user: str | None = None) -> int:
    n = next(_seq)
    return conn.execute(insert(Record).values(
        source_system="test", record_key=f"m{n}", kind="message", batch_id=batch_id, row_number=n, title=title,
        text=text, votes_up=votes, votes_down=0, rated_at=at, is_default=False,
        content_hash=hashlib.sha256(f"m{n}".encode()).hexdigest(), evaluator_hash=user or f"u{n}",
    )).inserted_primary_key[0]


def good_ratings(conn, batch_id: int, service: str, count: int, start: datetime = T0, days: int = 90, **kw) -> None:
    """Many plain good ratings (denominators), spread over ``days``."""
    rows = []
    for i in range(count):
        n = next(_seq)
        rows.append(dict(
            source_system="test", record_key=f"g{n}", kind="rating", batch_id=batch_id, row_number=n,
            project_no=f"P{n}", service_code=f"S-{service}", service_name=service, dept_code=f"D-{kw.get('dept', '人社局')}",
            dept_name=kw.get("dept", "人社局"), region_code=kw.get("region", "439902000000"), channel="mobile",
            level=5, is_default=False, rated_at=start + timedelta(minutes=(i * days * 1440) // max(count, 1)),
            content_hash=hashlib.sha256(f"g{n}".encode()).hexdigest(), evaluator_hash=f"e{n}"))
    if rows:
        conn.execute(insert(Record), rows)
