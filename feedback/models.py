"""SQLAlchemy 2.0 typed models: the schema of record; Alembic migrations must match it exactly."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# BIGINT on PostgreSQL, INTEGER (rowid alias) on SQLite.
BigId = BigInteger().with_variant(Integer(), "sqlite")

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Batch(Base):
    """One ingestion run over one input: counts satisfy read = loaded + duplicate + rejected."""

    __tablename__ = "batches"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    source_system: Mapped[str] = mapped_column(String(64))
    profile: Mapped[str] = mapped_column(String(64))
    file_name: Mapped[str] = mapped_column(String(500))
    file_sha256: Mapped[str] = mapped_column(String(64), index=True)
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


class Record(Base):
    """One rating (好差评) or one message (12345 / 留言板), normalised. Immutable once loaded."""

    __tablename__ = "records"
    __table_args__ = (
        UniqueConstraint("source_system", "record_key"),
        Index("ix_records_rated_at", "rated_at"),
        Index("ix_records_dept_code_rated_at", "dept_code", "rated_at"),
        Index("ix_records_level", "level"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
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


class ModelVersion(Base):
    """A scoring model version: engine, parameters and held-out figures; one is active per kind."""

    __tablename__ = "model_versions"

    version: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))  # scoring
    description: Mapped[str] = mapped_column(Text)  # JSON: engines, parameters, training data hash
    metrics: Mapped[str | None] = mapped_column(Text)  # JSON: held-out figures
    active: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime)


class Score(Base):
    """Sentiment, complaint categories and the hidden-complaint flag of one record under one model version."""

    __tablename__ = "scores"
    __table_args__ = (
        UniqueConstraint("record_id", "model_version"),
        Index("ix_scores_model_version_category", "model_version", "category"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("records.id", ondelete="CASCADE"))
    model_version: Mapped[str] = mapped_column(ForeignKey("model_versions.version"))
    sentiment: Mapped[str] = mapped_column(String(8))  # neg | neu | pos
    sentiment_score: Mapped[float] = mapped_column(Float)  # fused, 0 = negative … 1 = positive
    text_score: Mapped[float | None] = mapped_column(Float)  # text only; None without text
    hidden_complaint: Mapped[bool] = mapped_column(Boolean, default=False)
    category: Mapped[str | None] = mapped_column(String(64))  # top complaint category slug, "other", or None
    category_conf: Mapped[float | None] = mapped_column(Float)
    categories: Mapped[str | None] = mapped_column(Text)  # JSON list of [slug, confidence], best first
    scored_at: Mapped[datetime] = mapped_column(DateTime)


class GoldLabel(Base):
    """A person's correction of a record's complaint category: always wins over the model, joins training."""

    __tablename__ = "gold_labels"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("records.id", ondelete="CASCADE"), index=True)
    category: Mapped[str] = mapped_column(String(64))
    labelled_by: Mapped[str] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime)


# --- users, API tokens and audit log (dashboard; migration 0003) -------------------------------------------


# --- rectification ledger: 差评 cases and their events (migration 0004) ----------------------------------


# --- optimisation tasks and their history (migration 0005) -----------------------------------------------


# --- daily rollups read by the dashboard and reports (migration 0006) --------------------------------------


# Columns the ETL fills, in table order (everything but the surrogate id and the batch id).
RECORD_COLUMNS: tuple[str, ...] = tuple(
    c.name for c in Record.__table__.columns if c.name not in ("id", "batch_id")
)
