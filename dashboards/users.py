"""All writes and reads of dashboard accounts, API tokens and the audit log (the dashboard's own repository)."""

from __future__ import annotations

import functools
import hashlib
import json
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection, func, insert, select, update

from feedback.models import AuditLog, User

ROLES = ("admin", "ops", "pm", "viewer")
MIN_PASSWORD = 8
_USERNAME = re.compile(r"^[\w.@-]{1,64}$")
# OWASP's argon2id baseline (19 MiB, 2 passes, 1 lane): ~0.1-0.2 s on a small server. Hashes made with other
# parameters still verify and are upgraded on the next successful login.
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


@functools.cache
def _dummy_hash() -> str:
    """Verified against when the user does not exist, so a wrong name costs as long as a wrong password."""
    return _hasher.hash(secrets.token_hex(16))


class UserError(ValueError):
    """A user that cannot be created or changed as asked (bad name, role, password; name taken)."""


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

    def as_json(self) -> dict[str, Any]:
        return {
            "username": self.username, "role": self.role, "dept_code": self.dept_code, "active": self.active,
            "created_at": self.created_at.isoformat(sep=" "),
            "last_login_at": self.last_login_at.isoformat(sep=" ") if self.last_login_at else None,
            "has_token": self.has_token,
        }


def _now() -> datetime:
    return datetime.now().replace(microsecond=0)


_COLUMNS = (User.id, User.username, User.role, User.dept_code, User.active, User.created_at, User.last_login_at,
            User.token_hash.is_not(None))


def _row(r) -> UserRow:
    return UserRow(r[0], r[1], r[2], r[3], bool(r[4]), r[5], r[6], bool(r[7]))


def hash_token(token: str) -> str:
    """Bearer tokens are 256-bit random values, so a plain SHA-256 is a safe lookup key."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_user(conn: Connection, username: str, password: str, role: str, dept_code: str | None = None) -> int:
    username = username.strip()
    if not _USERNAME.match(username):
        raise UserError("用户名只能包含字母、数字、汉字和 . _ - @，最长 64 个字符")
    if role not in ROLES:
        raise UserError(f"unknown role '{role}' (use {', '.join(ROLES)})")
    if len(password) < MIN_PASSWORD:
        raise UserError(f"password must have at least {MIN_PASSWORD} characters")
    if get_user_by_name(conn, username) is not None:
        raise UserError(f"user '{username}' already exists")
    dept_code = (dept_code or "").strip() or None
    return conn.execute(
        insert(User)
        .values(username=username, password_hash=_hasher.hash(password), role=role, dept_code=dept_code,
                active=True, created_at=_now())
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


def authenticate(conn: Connection, username: str, password: str) -> UserRow | None:
    """The active user with this name and password, or None; upgrades outdated hashes on the way."""
    r = conn.execute(select(User.id, User.password_hash, User.active).where(User.username == username)).first()
    stored = r.password_hash if r else _dummy_hash()
    try:
        _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return None
    if r is None or not r.active:
        return None
    values: dict[str, Any] = {"last_login_at": _now()}
    if _hasher.check_needs_rehash(stored):
        values["password_hash"] = _hasher.hash(password)
    conn.execute(update(User).where(User.id == r.id).values(**values))
    return get_user(conn, r.id)


def issue_token(conn: Connection, username: str) -> str:
    """A new bearer token for the user (replacing any earlier one); only its hash is stored."""
    if get_user_by_name(conn, username) is None:
        raise UserError(f"no user '{username}'")
    token = "hc_" + secrets.token_urlsafe(32)
    conn.execute(
        update(User).where(User.username == username).values(token_hash=hash_token(token), token_created_at=_now())
    )
    return token


def user_by_token(conn: Connection, token: str) -> UserRow | None:
    if not token or len(token) > 200:
        return None
    r = conn.execute(select(*_COLUMNS).where(User.token_hash == hash_token(token), User.active.is_(True))).first()
    return _row(r) if r else None


def audit(conn: Connection, action: str, *, username: str | None, ip: str | None,
          detail: dict[str, Any] | None = None) -> None:
    conn.execute(insert(AuditLog).values(
        at=_now(), username=(username or None) and username[:64], action=action, ip=(ip or "")[:64] or None,
        detail=json.dumps(detail, ensure_ascii=False, default=str) if detail else None,
    ))


def recent_failures(conn: Connection, username: str, ip: str | None, minutes: int) -> int:
    """Failed logins for this username from this address within the last ``minutes``."""
    since = _now() - timedelta(minutes=minutes)
    ip = (ip or "")[:64] or None
    same_ip = AuditLog.ip.is_(None) if ip is None else AuditLog.ip == ip
    return conn.execute(
        select(func.count()).select_from(AuditLog).where(
            AuditLog.username == username[:64], AuditLog.action == "login_failed", same_ip, AuditLog.at >= since,
        )
    ).scalar_one()


def audit_entries(conn: Connection, *, action: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
    q = select(AuditLog.at, AuditLog.username, AuditLog.action, AuditLog.detail, AuditLog.ip)
    if action:
        q = q.where(AuditLog.action == action)
    rows = conn.execute(q.order_by(AuditLog.id.desc()).limit(limit)).all()
    return [
        {"at": r.at, "username": r.username, "action": r.action, "detail": json.loads(r.detail) if r.detail else {},
         "ip": r.ip}
        for r in rows
    ]
