"""The 差评 rectification ledger: cases, requests (延期 / 无法整改 / 差评无效) and their history."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from feedback.models.base import Base, BigId


class LedgerCase(Base):
    """One 差评 (or escalated complaint) under rectification: state, working-day deadlines and milestones."""

    __tablename__ = "ledger_cases"
    __table_args__ = (
        UniqueConstraint("record_id"),
        Index("ix_ledger_cases_status_rectify_due", "status", "rectify_due"),
        Index("ix_ledger_cases_rated_at", "rated_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    record_id: Mapped[int] = mapped_column(BigId, ForeignKey("records.id"))  # no cascade: records are never deleted
    origin: Mapped[str] = mapped_column(String(16))  # bad_rating | escalated
    status: Mapped[str] = mapped_column(String(16))  # see feedback.ledger.rules.STATUSES
    outcome: Mapped[str | None] = mapped_column(String(16))  # rectified | cannot_fix | voided, once known
    rule: Mapped[str] = mapped_column(String(32))  # deadline rule applied: a region-code prefix or "default"
    # The record's dimensions, copied (records are immutable) so case queries never scan the records table.
    rated_at: Mapped[datetime] = mapped_column(DateTime)
    kind: Mapped[str] = mapped_column(String(16))
    dept_code: Mapped[str | None] = mapped_column(String(32))
    dept_name: Mapped[str | None] = mapped_column(String(200))
    region_code: Mapped[str | None] = mapped_column(String(12))
    channel: Mapped[str | None] = mapped_column(String(32))
    service_code: Mapped[str | None] = mapped_column(String(64))
    service_name: Mapped[str | None] = mapped_column(String(200))
    level: Mapped[int | None] = mapped_column(SmallInteger)
    is_default: Mapped[bool] = mapped_column(Boolean)
    opened_at: Mapped[datetime] = mapped_column(DateTime)  # the clock start: rated_at, or the escalation time
    verify_due: Mapped[date] = mapped_column(Date)
    rectify_due: Mapped[date] = mapped_column(Date)
    extended_days: Mapped[int] = mapped_column(Integer, default=0)
    verified_at: Mapped[datetime | None] = mapped_column(DateTime)
    rectified_at: Mapped[datetime | None] = mapped_column(DateTime)
    replied_at: Mapped[datetime | None] = mapped_column(DateTime)
    revisited_at: Mapped[datetime | None] = mapped_column(DateTime)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)
    satisfaction: Mapped[int | None] = mapped_column(SmallInteger)  # 回访: 1..5, 5 = 非常满意 with the fix
    ruling: Mapped[str | None] = mapped_column(Text)  # the approved 无法整改 / 差评无效 decision, kept visible
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class LedgerRequest(Base):
    """A 延期 / 无法整改 / 差评无效 (申诉复核) request on a case, pending until approved or rejected."""

    __tablename__ = "ledger_requests"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("ledger_cases.id"), index=True)
    type: Mapped[str] = mapped_column(String(16))  # extend | cannot_fix | void
    status: Mapped[str] = mapped_column(String(16))  # pending | approved | rejected
    reason: Mapped[str] = mapped_column(Text)
    extra_days: Mapped[int | None] = mapped_column(Integer)  # working days asked for (extend only)
    requested_by: Mapped[str] = mapped_column(String(64))
    requested_at: Mapped[datetime] = mapped_column(DateTime)
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    decision_note: Mapped[str | None] = mapped_column(Text)


# At most one pending request of each type per case, also under parallel requests (migration 0011).
_PENDING = LedgerRequest.status == "pending"
Index("uq_ledger_requests_pending", LedgerRequest.case_id, LedgerRequest.type, unique=True,
      sqlite_where=_PENDING, postgresql_where=_PENDING)


class LedgerEvent(Base):
    """One step in a case's history: who did what, when, from which state to which, and why."""

    __tablename__ = "ledger_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("ledger_cases.id"), index=True)
    request_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_requests.id"))
    at: Mapped[datetime] = mapped_column(DateTime)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(16))  # open | transition | request | approve | reject
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str | None] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)
    # The case's rectify deadline after this event (migration 0014): an approved 延期 moves it, so the ledger as
    # it stood at a moment (the bulletin's month end) reads the deadline of its last event by then.
    rectify_due: Mapped[date | None] = mapped_column(Date)


# --- optimisation tasks and their history (migration 0005) -----------------------------------------------
