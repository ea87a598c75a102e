"""All reads and writes of dashboard accounts, API token hashes and the audit log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, case, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from feedback.models import AuditLog, LoginThrottle, User


@dataclass(frozen=True)
class UserRow:
    id: int
    username: str
    role: str
    dept_code: str | None
    active: bool
    created_at: datetime
    last_login_at: datetime | None
    has_token: bool
    session_version: int = 0  # in the session cookie; a session with another one has ended

    def as_json(self) -> dict[str, Any]:
        return {
            "username": self.username, "role": self.role, "dept_code": self.dept_code, "active": self.active,
            "created_at": self.created_at.isoformat(sep=" "),
            "last_login_at": self.last_login_at.isoformat(sep=" ") if self.last_login_at else None,
            "has_token": self.has_token,
        }


_COLUMNS = (User.id, User.username, User.role, User.dept_code, User.active, User.created_at, User.last_login_at,
            User.token_hash.is_not(None), User.session_version)


def _row(r) -> UserRow:
    return UserRow(r[0], r[1], r[2], r[3], bool(r[4]), r[5], r[6], bool(r[7]), int(r[8] or 0))


def insert_user(conn: Connection, *, username: str, password_hash: str, role: str, dept_code: str | None,
                created_at: datetime) -> int:
    return conn.execute(
        insert(User)
        .values(username=username, password_hash=password_hash, role=role, dept_code=dept_code,
                active=True, created_at=created_at)
        .returning(User.id)
    ).scalar_one()


def get_user(conn: Connection, user_id: int) -> UserRow | None:
    r = conn.execute(select(*_COLUMNS).where(User.id == user_id)).first()
    return _row(r) if r else None


def get_user_by_name(conn: Connection, username: str) -> UserRow | None:
    r = conn.execute(select(*_COLUMNS).where(User.username == username)).first()
    return _row(r) if r else None


def list_users(conn: Connection) -> list[UserRow]:
    return [_row(r) for r in conn.execute(select(*_COLUMNS).order_by(User.username))]


def count_users(conn: Connection) -> int:
    return conn.execute(select(func.count()).select_from(User)).scalar_one()


def login_row(conn: Connection, username: str) -> Row | None:
    """(id, password_hash, active) of the user with this name, or None."""
    return conn.execute(select(User.id, User.password_hash, User.active).where(User.username == username)).first()


def update_user(conn: Connection, user_id: int, **values: Any) -> None:
    conn.execute(update(User).where(User.id == user_id).values(**values))


def end_sessions(conn: Connection, user_id: int, **values: Any) -> None:
    """Bump the user's session version (every session cookie issued so far stops working), with ``values``."""
    conn.execute(update(User).where(User.id == user_id)
                 .values(session_version=User.session_version + 1, **values))


def set_token_hash(conn: Connection, username: str, token_hash: str | None, at: datetime | None) -> None:
    conn.execute(update(User).where(User.username == username).values(token_hash=token_hash, token_created_at=at))


def active_user_by_token_hash(conn: Connection, token_hash: str) -> UserRow | None:
    r = conn.execute(select(*_COLUMNS).where(User.token_hash == token_hash, User.active.is_(True))).first()
    return _row(r) if r else None


def insert_audit(conn: Connection, *, at: datetime, username: str | None, action: str, ip: str | None,
                 detail: str | None) -> None:
    conn.execute(insert(AuditLog).values(at=at, username=username, action=action, ip=ip, detail=detail))


def count_attempt(conn: Connection, key: str, *, now: datetime, since: datetime) -> int:
    """Count one login attempt under ``key`` in one atomic statement (an upsert, so parallel attempts each see
    their own number) and return the attempts in the window; a window that began before ``since`` restarts."""
    insert_for = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    stmt = insert_for(LoginThrottle).values(key=key, attempts=1, window_start=now)
    expired = LoginThrottle.window_start < since
    stmt = stmt.on_conflict_do_update(index_elements=[LoginThrottle.key], set_={
        "attempts": case((expired, 1), else_=LoginThrottle.attempts + 1),
        "window_start": case((expired, now), else_=LoginThrottle.window_start),
    })
    return conn.execute(stmt.returning(LoginThrottle.attempts)).scalar_one()


def uncount_attempt(conn: Connection, key: str) -> None:
    """Take back one attempt under ``key`` (it succeeded), so the counters hold failures only."""
    conn.execute(update(LoginThrottle).where(LoginThrottle.key == key, LoginThrottle.attempts > 0)
                 .values(attempts=LoginThrottle.attempts - 1))


def audit_rows(conn: Connection, *, action: str | None, limit: int) -> list[Row]:
    """The latest audit entries, newest first, optionally of one action."""
    q = select(AuditLog.at, AuditLog.username, AuditLog.action, AuditLog.detail, AuditLog.ip)
    if action:
        q = q.where(AuditLog.action == action)
    return list(conn.execute(q.order_by(AuditLog.id.desc()).limit(limit)).all())
