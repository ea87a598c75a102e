"""Login, logout, the current user, role checks and department scoping for pages and the API."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, abort, g, jsonify, redirect, render_template, request, session, url_for

from dashboards import context, users
from dashboards.security import is_bearer_request
from dashboards.users import UserRow
from feedback.filters import Filters

bp = Blueprint("auth", __name__)

# What each role may do; every signed-in user may read (within their department).
CAPABILITIES: dict[str, frozenset[str]] = {
    "read": frozenset(users.ROLES),
    "label": frozenset({"admin", "ops", "pm"}),  # correct complaint categories (gold labels)
    "manage": frozenset({"admin", "ops", "pm"}),  # change tasks (status, owner, due date, notes), close alerts
    "import": frozenset({"admin", "ops"}),  # upload and import files, read batch history and rejects
    "admin": frozenset({"admin"}),
    # Send records over POST /api/v1/push. Apart from "import" (which also reads every department's batch
    # history): a platform account is an ops user bound to its department, may push only that department's
    # records and cannot read the batches of others.
    "push": frozenset({"admin", "ops"}),
    "approve": frozenset({"admin", "ops"}),  # decide 延期 / 无法整改 / 差评无效 requests of the ledger
}
ROLE_NAMES = {"admin": "管理员", "ops": "运营人员", "pm": "产品经理", "viewer": "只读用户"}


def can(user: UserRow | None, capability: str) -> bool:
    return user is not None and user.active and user.role in CAPABILITIES[capability]


def current_user() -> UserRow | None:
    """The signed-in user of this request (session cookie, or bearer token on /api), cached on ``g``."""
    if "user" not in g:
        g.user = _load_user()
    return g.user


def _load_user() -> UserRow | None:
    with context.engine().connect() as conn:
        if is_bearer_request():
            token = request.headers["Authorization"][len("Bearer "):].strip()
            return users.user_by_token(conn, token)
        uid = session.get("uid")
        if not isinstance(uid, int):
            return None
        user = users.get_user(conn, uid)
    if user is None or not user.active or session.get("sv") != user.session_version:
        return None  # disabled, or the session ended (logout, new password, deactivation)
    return user


def scope(filters: Filters) -> Filters:
    """The filters a user may actually use: a department-bound user sees only that department."""
    user = current_user()
    return filters.scoped(user.dept_code if user else None)


def require(capability: str = "read") -> Callable:
    """Page decorator: sign-in first (redirect to the login page), then the capability (403)."""

    def decorate(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any):
            user = current_user()
            if user is None:
                return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
            if not can(user, capability):
                abort(403)
            return view(*args, **kwargs)

        return wrapper

    return decorate


def require_global(view: Callable) -> Callable:
    """Pages and API calls about whole batches (all departments mixed) are closed to department-bound users."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any):
        user = current_user()
        if user is not None and user.dept_code:
            abort(403, description="导入批次包含多个部门的数据，绑定部门的账号无权查看")
        return view(*args, **kwargs)

    return wrapper


def audit_request(action: str, **detail: Any) -> None:
    """Write an audit entry for the signed-in user of this request."""
    user = current_user()
    with context.engine().begin() as conn:
        users.audit(conn, action, username=user.username if user else None, ip=context.client_ip(),
                    detail=detail or None)


def api_unauthorized():
    response = jsonify(error="unauthorized", message="需要登录，或在 Authorization 头中提供有效的 Bearer 令牌")
    response.status_code = 401
    response.headers["WWW-Authenticate"] = 'Bearer realm="haocha"'
    return response


def _safe_next(target: str | None) -> str:
    """Only same-site paths are followed after login (no open redirects)."""
    if not target:
        return url_for("overview.index")
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in target):  # CR/LF (header injection); tab/LF browsers drop
        return url_for("overview.index")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return url_for("overview.index")
    return target


@bp.get("/login")
def login():
    if current_user() is not None:
        return redirect(_safe_next(request.args.get("next")))
    return render_template("login.html", next=request.args.get("next", ""))


@bp.post("/login")
def login_post():
    username = request.form.get("username", "").strip()[:64]
    password = request.form.get("password", "")
    nxt = request.form.get("next", "")
    ip, opts = context.client_ip(), context.options()
    limits = dict(max_failures=opts.login_max_failures)
    with context.engine().begin() as conn:  # counted and committed before the password is checked
        allowed = users.login_allowed(conn, username, ip, minutes=opts.login_window_minutes, **limits)
        if not allowed:
            users.audit(conn, "login_blocked", username=username, ip=ip)
    if not allowed:
        message = f"登录失败次数过多，请 {opts.login_window_minutes} 分钟后再试"
        body = render_template("login.html", error=message, username=username, next=nxt)
        return body, 429, {"Retry-After": str(opts.login_window_minutes * 60)}
    with context.engine().begin() as conn:
        user = users.authenticate(conn, username, password) if username and password else None
        if user is None:
            users.audit(conn, "login_failed", username=username, ip=ip)
        else:
            users.login_succeeded(conn, username, ip, **limits)
            users.audit(conn, "login", username=user.username, ip=ip)
    if user is None:  # rendered after the commit: the page reads the database on another connection
        return render_template("login.html", error="用户名或密码错误", username=username, next=nxt), 401
    session.clear()  # a fresh session on every login (no fixation)
    session["uid"] = user.id
    session["sv"] = user.session_version
    session.permanent = True
    return redirect(_safe_next(nxt))


@bp.post("/logout")
def logout():
    user = current_user()
    if user is not None:
        with context.engine().begin() as conn:
            users.end_sessions(conn, user.id)  # a copy of this cookie (or another device's) no longer works
            users.audit(conn, "logout", username=user.username, ip=context.client_ip())
    session.clear()
    return redirect(url_for("auth.login"))
