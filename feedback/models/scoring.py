"""Scores of records, the model versions that made them, and people's category corrections (gold labels)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from feedback.models.base import Base, BigId


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
        Index("ix_scores_model_version_category", "model_version", "category"),
        Index("ix_scores_model_version_margin", "model_version", "category_margin"),
    )

    # One row per record and version; the record id leads (a distributed engine places it with its record).
    record_id: Mapped[int] = mapped_column(BigId, ForeignKey("records.id", ondelete="CASCADE"), primary_key=True)
    model_version: Mapped[str] = mapped_column(ForeignKey("model_versions.version"), primary_key=True)
    sentiment: Mapped[str] = mapped_column(String(8))  # neg | neu | pos
    sentiment_score: Mapped[float] = mapped_column(Float)  # fused, 0 = negative … 1 = positive
    text_score: Mapped[float | None] = mapped_column(Float)  # text only; None without text
    hidden_complaint: Mapped[bool] = mapped_column(Boolean, default=False)
    # the clause after a turn word (但/不过/就是 …, normalised) that made a good rating a hidden complaint (migration
    # 0021); None when the whole text did, for other records, and for scores made before 0021
    hidden_clause: Mapped[str | None] = mapped_column(Text)
    category: Mapped[str | None] = mapped_column(String(64))  # top complaint category slug, "other", or None
    category_conf: Mapped[float | None] = mapped_column(Float)
    subcategory: Mapped[str | None] = mapped_column(String(64))  # second-level slug of the top category
    categories: Mapped[str | None] = mapped_column(Text)  # JSON list of [slug, confidence], best first
    # best category's confidence minus the second best's (migration 0013): small = unsure, the 待确认 queue
    category_margin: Mapped[float | None] = mapped_column(Float)
    scored_at: Mapped[datetime] = mapped_column(DateTime)
    # The record's rated_at, copied (migration 0016): the province profile partitions scores by month on it.
    rated_at: Mapped[datetime | None] = mapped_column(DateTime)


class GoldLabel(Base):
    """A person's correction of a record's complaint category: always wins over the model, joins training."""

    __tablename__ = "gold_labels"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    record_id: Mapped[int] = mapped_column(BigId, ForeignKey("records.id", ondelete="CASCADE"), index=True)
    category: Mapped[str] = mapped_column(String(64))
    subcategory: Mapped[str | None] = mapped_column(String(64))  # second level, when given (migration 0013)
    labelled_by: Mapped[str] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    # JSON of the active score's values the label overwrote (migration 0019): what an undo restores; NULL when
    # it changed no score, and for labels stored before 0019
    replaced: Mapped[str | None] = mapped_column(Text)
    # the gold label whose answer this one shared (one answer for the same words on the 待确认 page; migration
    # 0023): undone with it; NULL for a label given alone
    given_with: Mapped[int | None] = mapped_column(BigId, index=True)


# --- users, API tokens and audit log (dashboard; migration 0003) -------------------------------------------
