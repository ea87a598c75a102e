"""Ratings and messages as loaded: batches, rejects, records and the incremental-pull watermarks."""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from feedback.models.base import Base, BigId


class Batch(Base):
    """One ingestion run over one input: counts satisfy read = loaded + duplicate + rejected."""

    __tablename__ = "batches"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    source_system: Mapped[str] = mapped_column(String(64))
    profile: Mapped[str] = mapped_column(String(64))
    file_name: Mapped[str] = mapped_column(String(500))
    file_sha256: Mapped[str] = mapped_column(String(64), index=True)
    # A pushed batch: sha256 of its records (canonical JSON). file_sha256 is then the idempotency key (account +
    # batch_id), and a resend under the same key must carry the same records.
    content_sha256: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="running")  # running | done | failed
    rows_done: Mapped[int] = mapped_column(Integer, default=0)  # checkpoint for resuming a killed load
    read: Mapped[int] = mapped_column(Integer, default=0)
    loaded: Mapped[int] = mapped_column(Integer, default=0)
    duplicate: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime] = mapped_column(DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    error: Mapped[str | None] = mapped_column(Text)


class Reject(Base):
    """An input row that was not loaded, with where it was and why."""

    __tablename__ = "rejects"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("batches.id", ondelete="CASCADE"), index=True)
    file_name: Mapped[str] = mapped_column(String(500))
    row_number: Mapped[int] = mapped_column(Integer)
    column: Mapped[str | None] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text)
    raw: Mapped[str] = mapped_column(Text)  # JSON object of the raw row as read (PII already masked)


ID_MASK = (1 << 63) - 1


def natural_id(source_system: str, record_key: str) -> int:
    """A record's id: the first 8 bytes of sha256(source_system ␟ record_key), big-endian, as a positive 63-bit
    integer. One definition for the loader, the ORM default and the migration (PostgreSQL computes the same value
    with its built-in ``sha256``; see ``NATURAL_ID_SQL``). Ids derived from the natural key make a re-ingest
    conflict on the primary key, so the key needs no unique constraint of its own, and let a distributed engine
    place a record and its scores and task links by id (``docs/scale.md``)."""
    digest = hashlib.sha256(f"{source_system}\x1f{record_key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") & ID_MASK


def natural_id_sql(source_system: str = "source_system", record_key: str = "record_key") -> str:
    """``natural_id`` as a PostgreSQL expression over two SQL expressions (column names by default)."""
    return (f"(('x' || left(encode(sha256(convert_to({source_system} || chr(31) || {record_key}, 'UTF8')), 'hex'), "
            "16))::bit(64)::bigint & 9223372036854775807)")


NATURAL_ID_SQL = natural_id_sql()  # over the columns ``source_system`` and ``record_key`` of the statement's table


def _default_id(context) -> int:
    params = context.get_current_parameters()
    return natural_id(params["source_system"], params["record_key"])


class Record(Base):
    """One rating (好差评) or one message (12345 / 留言板), normalised. Immutable once loaded. The id is
    ``natural_id(source_system, record_key)``: unique per (source_system, record_key)."""

    __tablename__ = "records"
    __table_args__ = (
        Index("ix_records_rated_at", "rated_at"),
        Index("ix_records_dept_code_rated_at", "dept_code", "rated_at"),
        Index("ix_records_level", "level"),
    )

    # BIGINT on SQLite too: not the rowid, so the table still grows at its end and only the narrow key index takes
    # the hashed ids in random order (as the rowid, every insert would land on a random page of the whole table).
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False, default=_default_id)
    source_system: Mapped[str] = mapped_column(String(64))
    record_key: Mapped[str] = mapped_column(String(128))  # source record id, or "h:" + content hash
    kind: Mapped[str] = mapped_column(String(16))  # rating | message
    batch_id: Mapped[int] = mapped_column(ForeignKey("batches.id"), index=True)
    row_number: Mapped[int] = mapped_column(Integer)
    project_no: Mapped[str | None] = mapped_column(String(64))
    service_code: Mapped[str | None] = mapped_column(String(64))
    service_name: Mapped[str | None] = mapped_column(String(200))
    dept_code: Mapped[str | None] = mapped_column(String(32))
    dept_name: Mapped[str | None] = mapped_column(String(200))
    region_code: Mapped[str | None] = mapped_column(String(12))
    channel: Mapped[str | None] = mapped_column(String(32))  # canonical code, see feedback.codes.CHANNELS
    channel_raw: Mapped[str | None] = mapped_column(String(64))
    level: Mapped[int | None] = mapped_column(SmallInteger)  # 1..5, 5 = 非常满意
    level_raw: Mapped[str | None] = mapped_column(String(32))
    level_scheme: Mapped[str | None] = mapped_column(String(16))  # platform | gbt39046 | text
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    assess_number: Mapped[int | None] = mapped_column(SmallInteger)
    user_type: Mapped[str | None] = mapped_column(String(16))  # person | legal
    evaluator_hash: Mapped[str | None] = mapped_column(String(64))
    is_anonymous: Mapped[bool | None] = mapped_column(Boolean)
    is_public: Mapped[bool | None] = mapped_column(Boolean)
    tags: Mapped[str | None] = mapped_column(String(200))  # comma-separated tag codes
    title: Mapped[str | None] = mapped_column(Text)
    text: Mapped[str | None] = mapped_column(Text)  # cleaned, PII masked
    votes_up: Mapped[int | None] = mapped_column(Integer)
    votes_down: Mapped[int | None] = mapped_column(Integer)
    reply_text: Mapped[str | None] = mapped_column(Text)
    replied_at: Mapped[datetime | None] = mapped_column(DateTime)
    rated_at: Mapped[datetime] = mapped_column(DateTime)  # Asia/Shanghai wall-clock time
    accepted_at: Mapped[datetime | None] = mapped_column(DateTime)
    promised_at: Mapped[datetime | None] = mapped_column(DateTime)
    content_hash: Mapped[str] = mapped_column(String(64))


class Watermark(Base):
    """The high-water mark of an incremental SQL source pull."""

    __tablename__ = "watermarks"

    source: Mapped[str] = mapped_column(String(200), primary_key=True)
    column: Mapped[str] = mapped_column(String(200))
    value: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(DateTime)


# Columns the ETL fills, in table order (everything but the batch id).
RECORD_COLUMNS: tuple[str, ...] = tuple(c.name for c in Record.__table__.columns if c.name != "batch_id")
