"""Stored alerts of the [alerts] rules."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Date,
    DateTime,
    Float,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from feedback.models.base import Base, BigId


class Alert(Base):
    """One alert of an [alerts] rule for one subject (department, category or service) and one week."""

    __tablename__ = "alerts"
    __table_args__ = (
        UniqueConstraint("rule", "subject", "period"),  # deduplication: a rule fires once per subject and week
        Index("ix_alerts_status_created_at", "status", "created_at"),
        Index("ix_alerts_dept_code", "dept_code"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    rule: Mapped[str] = mapped_column(String(32))  # dept_bad_rate | category_burst | hidden_doubling
    subject: Mapped[str] = mapped_column(String(200))  # department code, category slug or service key
    subject_name: Mapped[str | None] = mapped_column(String(200))
    period: Mapped[str] = mapped_column(String(10))  # the week's Monday, YYYY-MM-DD
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)  # Sunday, or the latest data day of a running week
    dept_code: Mapped[str | None] = mapped_column(String(32))  # scoping: None = city-wide (unbound users only)
    dept_name: Mapped[str | None] = mapped_column(String(200))
    value: Mapped[float] = mapped_column(Float)  # the measured figure (rate in %, count, or ratio)
    baseline: Mapped[float | None] = mapped_column(Float)  # what it is compared with (None: a fixed threshold)
    threshold: Mapped[float] = mapped_column(Float)
    count: Mapped[int] = mapped_column(Integer)  # complaints behind the alert
    volume: Mapped[int | None] = mapped_column(Integer)  # ratings of the subject that week (rate rules)
    message: Mapped[str] = mapped_column(Text)
    link: Mapped[str] = mapped_column(Text)  # JSON list of [name, value]: the explorer filters of its records
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | closed
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)
    closed_by: Mapped[str | None] = mapped_column(String(64))
    notified_at: Mapped[datetime | None] = mapped_column(DateTime)  # posted to the webhook
    notify_error: Mapped[str | None] = mapped_column(Text)
    notify_failed_at: Mapped[datetime | None] = mapped_column(DateTime)  # the last post failed (migration 0012)
    notify_attempts: Mapped[int | None] = mapped_column(Integer)  # attempts the last delivery used


# --- daily rollups read by the dashboard and reports (migration 0006) --------------------------------------
# Built by feedback.stats.rollups from records, active scores and voided ledger cases; never edited by hand.
