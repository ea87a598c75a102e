"""Dashboard accounts and the audit log."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    DateTime,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from feedback.models.base import Base, BigId


class User(Base):
    """A dashboard account: argon2 password hash, role, optional department binding, hashed API token."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))  # argon2id, PHC string
    role: Mapped[str] = mapped_column(String(16))  # admin | ops | pm | viewer (checked by dashboards.users)
    dept_code: Mapped[str | None] = mapped_column(String(32))  # set: the user sees only this department
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime)
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)  # sha256 of the bearer token
    token_created_at: Mapped[datetime | None] = mapped_column(DateTime)
    # Stored in the session cookie and compared on every request; logout, a new password and deactivation bump
    # it, which ends every session of the user (migration 0011).
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class LoginThrottle(Base):
    """Login attempts per key (``user:NAME`` or ``ip:ADDRESS``) in the current window, counted atomically."""

    __tablename__ = "login_throttle"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    attempts: Mapped[int] = mapped_column(Integer)
    window_start: Mapped[datetime] = mapped_column(DateTime)


class AuditLog(Base):
    """Who did what and from where: logins (success and failure), exports, uploads, imports, task changes."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_at", "at"),
        Index("ix_audit_log_username_action_at", "username", "action", "at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime)
    username: Mapped[str | None] = mapped_column(String(64))  # as typed for failed logins
    action: Mapped[str] = mapped_column(String(32))  # login | login_failed | logout | export | upload | import …
    detail: Mapped[str | None] = mapped_column(Text)  # JSON object
    ip: Mapped[str | None] = mapped_column(String(64))


# --- rectification ledger: 差评 cases and their events (migration 0004) ----------------------------------
