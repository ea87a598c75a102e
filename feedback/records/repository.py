"""All writes to the store: batches, rejects and bulk, idempotent inserts of records."""

from __future__ import annotations

import fcntl
import hashlib
import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine, insert, select, text, update

from feedback.clock import local_now
from feedback.models import Batch, Reject, Watermark

_STAGE = "records_stage"


@dataclass(frozen=True)
class BatchRow:
    id: int
    status: str
    rows_done: int
    read: int
    loaded: int
    duplicate: int
    rejected: int


def _now() -> datetime:
    return local_now()  # the one storage clock (simulated in a replay)


class InputBusy(RuntimeError):
    """Another load holds the input's lock right now (``input_lock(..., wait=False)``)."""


@contextmanager
def input_lock(engine: Engine, key: str, lock_dir: Path, *, wait: bool = True) -> Iterator[None]:
    """Hold an exclusive lock on one input (its source and hash) while it loads, so two concurrent loads of the
    same file never share or double a batch: the second waits, then finds the first one's batch finished
    (``wait=False``: the second raises InputBusy at once instead).
    PostgreSQL: a session advisory lock on a connection held for the duration, so every process and host that
    uses the database agrees. SQLite (one host by nature): an ``flock`` on a file named after the key in
    ``lock_dir``."""
    digest = hashlib.sha256(key.encode("utf-8")).digest()
    if engine.dialect.name == "postgresql":
        ident = int.from_bytes(digest[:8], "big", signed=True)
        with engine.connect() as conn:
            if wait:
                conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": ident})
            elif not conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": ident}).scalar_one():
                conn.commit()
                raise InputBusy(key)
            conn.commit()
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": ident})
                conn.commit()
        return
    lock_dir.mkdir(parents=True, exist_ok=True)
    with open(lock_dir / f"{digest.hex()[:32]}.lock", "a+b") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise InputBusy(key) from None
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def create_batch(conn: Connection, *, source_system: str, profile: str, file_name: str, sha256: str,
                 content_sha256: str | None = None) -> int:
    values = dict(
        source_system=source_system, profile=profile, file_name=file_name, file_sha256=sha256,
        content_sha256=content_sha256,
        status="running", rows_done=0, read=0, loaded=0, duplicate=0, rejected=0, started_at=_now(),
    )
    return conn.execute(insert(Batch).values(**values).returning(Batch.id)).scalar_one()


def find_unfinished_batch(conn: Connection, *, source_system: str, sha256: str) -> BatchRow | None:
    """The latest interrupted batch of this very input, to resume from its checkpoint."""
    row = conn.execute(
        select(Batch.id, Batch.status, Batch.rows_done, Batch.read, Batch.loaded, Batch.duplicate, Batch.rejected)
        .where(Batch.source_system == source_system, Batch.file_sha256 == sha256, Batch.status != "done")
        .order_by(Batch.id.desc())
        .limit(1)
    ).first()
    return BatchRow(*row) if row else None


@dataclass(frozen=True)
class DoneBatch:
    id: int
    source_system: str
    profile: str
    read: int
    loaded: int
    duplicate: int
    rejected: int


def find_done_batch(conn: Connection, *, sha256: str) -> DoneBatch | None:
    """The first finished batch of this input hash (a pushed batch's idempotency key), or None."""
    row = conn.execute(
        select(Batch.id, Batch.source_system, Batch.profile, Batch.read, Batch.loaded, Batch.duplicate,
               Batch.rejected)
        .where(Batch.file_sha256 == sha256, Batch.status == "done").order_by(Batch.id).limit(1)
    ).first()
    return DoneBatch(*row) if row else None


def batch_contents(conn: Connection, *, sha256: str) -> set[str]:
    """The record digests stored under an input hash (a pushed batch's idempotency key), any status."""
    rows = conn.execute(select(Batch.content_sha256).where(Batch.file_sha256 == sha256,
                                                            Batch.content_sha256.is_not(None)).distinct())
    return set(rows.scalars())


def get_batch(conn: Connection, batch_id: int) -> BatchRow:
    row = conn.execute(
        select(Batch.id, Batch.status, Batch.rows_done, Batch.read, Batch.loaded, Batch.duplicate, Batch.rejected)
        .where(Batch.id == batch_id)
    ).one()
    return BatchRow(*row)


def mark_batch(conn: Connection, batch_id: int, *, status: str, error: str | None = None) -> None:
    conn.execute(
        update(Batch).where(Batch.id == batch_id).values(status=status, error=error, finished_at=_now())
    )


def checkpoint_batch(
    conn: Connection, batch_id: int, *, read: int, loaded: int, duplicate: int, rejected: int
) -> None:
    """Add one chunk's counts; committed in the same transaction as the chunk's rows."""
    conn.execute(
        update(Batch)
        .where(Batch.id == batch_id)
        .values(
            rows_done=Batch.rows_done + read,
            read=Batch.read + read,
            loaded=Batch.loaded + loaded,
            duplicate=Batch.duplicate + duplicate,
            rejected=Batch.rejected + rejected,
            status="running",
        )
    )


def insert_rejects(conn: Connection, batch_id: int, file_name: str, rejects: pd.DataFrame) -> None:
    """``rejects`` has columns row_number, column, reason, raw (the de-identified raw row as JSON text)."""
    if rejects.empty:
        return
    rows = [
        {
            "batch_id": batch_id,
            "file_name": file_name,
            "row_number": int(r.row_number),
            "column": None if pd.isna(r.column) else str(r.column),
            "reason": str(r.reason),
            "raw": r.raw if isinstance(r.raw, str) else json.dumps(r.raw, ensure_ascii=False, default=str),
        }
        for r in rejects.itertuples(index=False)
    ]
    conn.execute(insert(Reject), rows)


def get_watermark(conn: Connection, source: str) -> str | None:
    return conn.execute(select(Watermark.value).where(Watermark.source == source)).scalar_one_or_none()


def set_watermark(conn: Connection, source: str, column: str, value: str) -> None:
    exists = conn.execute(select(Watermark.source).where(Watermark.source == source)).first()
    if exists:
        conn.execute(
            update(Watermark).where(Watermark.source == source).values(column=column, value=value, updated_at=_now())
        )
    else:
        conn.execute(insert(Watermark).values(source=source, column=column, value=value, updated_at=_now()))


def batch_rejects(conn: Connection, batch_id: int, limit: int | None = None) -> list[dict]:
    stmt = (
        select(Reject.row_number, Reject.column, Reject.reason, Reject.raw)
        .where(Reject.batch_id == batch_id)
        .order_by(Reject.row_number)
    )
    if limit:
        stmt = stmt.limit(limit)
    return [dict(r._mapping) for r in conn.execute(stmt)]


def table_counts(conn: Connection, tables: Sequence[str] = ("batches", "records", "rejects")) -> dict[str, int]:
    return {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in tables}  # noqa: S608


def key_owners(conn: Connection, ids: Sequence[int], keys: Sequence[str]) -> dict[str, str]:
    """record_key → file name of the batch that loaded it, for the records (``ids``, their ``keys`` alongside,
    all of one source system) that exist (a pushed record whose key another account or a file already holds is
    rejected, not counted as a duplicate)."""
    from feedback.models import Record

    wanted = dict(zip(ids, keys, strict=True))
    unique = list(wanted)
    out: dict[str, str] = {}
    for start in range(0, len(unique), 500):
        stmt = (select(Record.id, Record.record_key, Batch.file_name).join(Batch, Batch.id == Record.batch_id)
                .where(Record.id.in_(unique[start:start + 500])))
        out.update({k: f for i, k, f in conn.execute(stmt) if wanted[i] == k})
    return out


def id_collisions(conn: Connection, records: pd.DataFrame) -> np.ndarray:
    """Which of ``records`` (``id``, ``source_system``, ``record_key``) have an id that a stored record with
    another (source_system, record_key) holds: two keys whose sha256 heads agree (odds about n² / 2⁶⁴). Called
    only when a write stored fewer rows than it was given, to tell these from true duplicates."""
    from feedback.models import Record

    ids = records["id"].astype("int64").tolist()
    stored: dict[int, tuple[str, str]] = {}
    unique = list(dict.fromkeys(ids))
    for start in range(0, len(unique), 500):
        stmt = select(Record.id, Record.source_system, Record.record_key).where(Record.id.in_(unique[start:start + 500]))
        stored.update({i: (ss, k) for i, ss, k in conn.execute(stmt)})
    pairs = zip(ids, records["source_system"].tolist(), records["record_key"].tolist(), strict=True)
    return np.array([i in stored and stored[i] != (ss, k) for i, ss, k in pairs], dtype=bool)


def code_names(conn: Connection) -> dict[str, list[tuple[str, str]]]:
    """The distinct (code, name) pairs stored for 事项 and departments: ``service_code`` / ``dept_code`` → pairs
    (the ETL fills the code of a row that gives only a name from these)."""
    from feedback.models import Record

    out: dict[str, list[tuple[str, str]]] = {}
    for code, name in ((Record.service_code, Record.service_name), (Record.dept_code, Record.dept_name)):
        stmt = select(code, name).where(code.is_not(None), name.is_not(None)).distinct()
        out[code.key] = [(c, n) for c, n in conn.execute(stmt)]
    return out
