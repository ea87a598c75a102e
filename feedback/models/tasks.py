"""Optimisation tasks: builds, tasks, their history and the records behind each task."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from feedback.models.base import Base, BigId


class TaskBuild(Base):
    """One rebuild of the task list: when, up to which data, with which model version and settings."""

    __tablename__ = "task_builds"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    built_at: Mapped[datetime] = mapped_column(DateTime)
    as_of: Mapped[datetime | None] = mapped_column(DateTime)  # latest record time seen by the build
    model_version: Mapped[str | None] = mapped_column(String(64))
    settings_hash: Mapped[str] = mapped_column(String(16))
    settings: Mapped[str] = mapped_column(Text)  # JSON of the task settings used
    signals: Mapped[int] = mapped_column(Integer, default=0)
    tasks: Mapped[int] = mapped_column(Integer, default=0)
    seconds: Mapped[float] = mapped_column(Float, default=0.0)


class Task(Base):
    """An optimisation task: one complaint group with its priority, evidence, state and owner.

    ``task_key`` is a stable hash of the group definition, so state and notes survive rebuilds."""

    __tablename__ = "tasks"
    __table_args__ = (
        UniqueConstraint("task_key"),
        Index("ix_tasks_active_rank", "active", "rank"),
        Index("ix_tasks_status", "status"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    task_key: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(16))  # service | hall | topic
    source: Mapped[str] = mapped_column(String(16))  # rating | message | mixed
    title: Mapped[str] = mapped_column(String(300))
    category: Mapped[str | None] = mapped_column(String(64))
    subcategory: Mapped[str | None] = mapped_column(String(64))
    service_code: Mapped[str | None] = mapped_column(String(64))
    service_name: Mapped[str | None] = mapped_column(String(200))
    dept_code: Mapped[str | None] = mapped_column(String(32))
    dept_name: Mapped[str | None] = mapped_column(String(200))
    region_code: Mapped[str | None] = mapped_column(String(12))
    anchor: Mapped[str | None] = mapped_column(String(100))  # the place or group a topic is about
    status: Mapped[str] = mapped_column(String(16), default="new")
    owner: Mapped[str | None] = mapped_column(String(64))
    due_date: Mapped[date | None] = mapped_column(Date)
    dismissed_reason: Mapped[str | None] = mapped_column(Text)
    shipped_at: Mapped[datetime | None] = mapped_column(DateTime)
    active: Mapped[bool] = mapped_column(Boolean, default=True)  # found by the latest rebuild
    rank: Mapped[int | None] = mapped_column(Integer)
    score: Mapped[float] = mapped_column(Float, default=0.0)
    components: Mapped[str] = mapped_column(Text, default="{}")  # JSON name -> value in [0, 1] (null: n/a)
    metrics: Mapped[str] = mapped_column(Text, default="{}")  # JSON raw figures behind the components
    keywords: Mapped[str] = mapped_column(Text, default="[]")  # JSON list
    evidence: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of representative comments
    breakdown: Mapped[str] = mapped_column(Text, default="{}")  # JSON departments / channels / regions
    series: Mapped[str] = mapped_column(Text, default="[]")  # JSON weekly [week start, signals]
    impact: Mapped[str | None] = mapped_column(Text)  # JSON of the latest impact check
    signals: Mapped[int] = mapped_column(Integer, default=0)
    first_seen: Mapped[datetime | None] = mapped_column(DateTime)
    last_seen: Mapped[datetime | None] = mapped_column(DateTime)
    build_id: Mapped[int | None] = mapped_column(ForeignKey("task_builds.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class TaskEvent(Base):
    """One entry of a task's history: creation, status change, owner, due date, note, impact verdict."""

    __tablename__ = "task_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(16))  # created | status | owner | due | note | impact
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str | None] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)
    data: Mapped[str | None] = mapped_column(Text)  # JSON details (impact figures, old/new owner …)


class TaskRecord(Base):
    """A record (rating or message) that is evidence for a task, as of the latest rebuild."""

    __tablename__ = "task_records"

    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), primary_key=True)
    record_id: Mapped[int] = mapped_column(BigId, ForeignKey("records.id", ondelete="CASCADE"), primary_key=True)
    weight: Mapped[float] = mapped_column(Float)  # severity weight of this signal
    __table_args__ = (Index("ix_task_records_record_id", "record_id"),)



# --- fired alerts (migration 0008): written by feedback.alerts.repository, one row per rule, subject and week ------
