"""The rules of dashboard accounts: names, roles, password hashing and login, API tokens, the audit log."""

from __future__ import annotations

import functools
import hashlib
import json
import re
import secrets
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection

from dashboards.accounts import repository
from dashboards.accounts.repository import UserRow, count_users, get_user, get_user_by_name, list_users
from feedback.clock import local_now

__all__ = ["MIN_PASSWORD", "ROLES", "UserError", "UserRow", "audit", "audit_entries", "authenticate", "count_users",
           "create_user", "end_sessions", "get_user", "get_user_by_name", "hash_token", "issue_token", "list_users",
           "login_allowed", "login_succeeded", "revoke_token", "set_active", "set_password", "user_by_token"]

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


def _now() -> datetime:
    return local_now()  # the one storage clock (feedback.clock)


def hash_token(token: str) -> str:
    """Bearer tokens are 256-bit random values, so a plain SHA-256 is a safe lookup key."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_user(conn: Connection, username: str, password: str, role: str, dept_code: str | None = None) -> int:
    username = username.strip()
    if not _USERNAME.match(username):
        raise UserError("用户名只能包含字母、数字、汉字和 . _ - @，最长 64 个字符")
    if role not in ROLES:
        raise UserError(f"unknown role '{role}' (use {', '.join(ROLES)})")
    _check_password(password)
    if get_user_by_name(conn, username) is not None:
        raise UserError(f"user '{username}' already exists")
    dept_code = (dept_code or "").strip() or None
    return repository.insert_user(conn, username=username, password_hash=_hasher.hash(password), role=role,
                                  dept_code=dept_code, created_at=_now())


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise UserError(f"password must have at least {MIN_PASSWORD} characters")


def _existing(conn: Connection, username: str) -> UserRow:
    user = get_user_by_name(conn, username)
    if user is None:
        raise UserError(f"no user '{username}'")
    return user


def end_sessions(conn: Connection, user_id: int) -> None:
    """End every session of the user (logout ends them all, on every device)."""
    repository.end_sessions(conn, user_id)


def set_password(conn: Connection, username: str, password: str) -> None:
    """A new password; every session of the user ends."""
    _check_password(password)
    repository.end_sessions(conn, _existing(conn, username).id, password_hash=_hasher.hash(password))


def set_active(conn: Connection, username: str, active: bool) -> None:
    """Disable (no login, no API token, every session ends) or enable a user."""
    user = _existing(conn, username)
    repository.end_sessions(conn, user.id, active=active)


def revoke_token(conn: Connection, username: str) -> bool:
    """Remove the user's API token; False when there was none."""
    user = _existing(conn, username)
    repository.set_token_hash(conn, user.username, None, None)
    return user.has_token


def authenticate(conn: Connection, username: str, password: str) -> UserRow | None:
    """The active user with this name and password, or None; upgrades outdated hashes on the way."""
    r = repository.login_row(conn, username)
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
    repository.update_user(conn, r.id, **values)
    return get_user(conn, r.id)


def issue_token(conn: Connection, username: str) -> str:
    """A new bearer token for the user (replacing any earlier one); only its hash is stored."""
    _existing(conn, username)
    token = "hc_" + secrets.token_urlsafe(32)
    repository.set_token_hash(conn, username, hash_token(token), _now())
    return token


def user_by_token(conn: Connection, token: str) -> UserRow | None:
    if not token or len(token) > 200:
        return None
    return repository.active_user_by_token_hash(conn, hash_token(token))


def audit(conn: Connection, action: str, *, username: str | None, ip: str | None,
          detail: dict[str, Any] | None = None) -> None:
    repository.insert_audit(
        conn, at=_now(), username=(username or None) and username[:64], action=action, ip=(ip or "")[:64] or None,
        detail=json.dumps(detail, ensure_ascii=False, default=str) if detail else None,
    )


# A username from one address gets ``max_failures`` tries a window; one account from all addresses, and one
# address over all usernames (password spraying), get IP_ACCOUNT_FACTOR times as many.
IP_ACCOUNT_FACTOR = 4


def _throttle_keys(username: str, ip: str | None, max_failures: int) -> dict[str, int]:
    name, addr = username[:64], (ip or "")[:64] or "-"
    return {f"pair:{addr} {name}": max_failures, f"user:{name}": max_failures * IP_ACCOUNT_FACTOR,
            f"ip:{addr}": max_failures * IP_ACCOUNT_FACTOR}


def login_allowed(conn: Connection, username: str, ip: str | None, *, max_failures: int, minutes: int) -> bool:
    """Count this login attempt (atomically, before the password is checked) per username + address, per
    account and per address; False when any of them is over its limit within the last ``minutes``."""
    now = _now()
    since = now - timedelta(minutes=minutes)
    counts = {key: repository.count_attempt(conn, key, now=now, since=since)
              for key in _throttle_keys(username, ip, max_failures)}
    return all(counts[key] <= limit for key, limit in _throttle_keys(username, ip, max_failures).items())


def login_succeeded(conn: Connection, username: str, ip: str | None, *, max_failures: int) -> None:
    """A successful login does not count against the limits."""
    for key in _throttle_keys(username, ip, max_failures):
        repository.uncount_attempt(conn, key)


def audit_entries(conn: Connection, *, action: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
    rows = repository.audit_rows(conn, action=action, limit=limit)
    return [
        {"at": r.at, "username": r.username, "action": r.action, "detail": json.loads(r.detail) if r.detail else {},
         "ip": r.ip}
        for r in rows
    ]
