"""Session secret, cookie settings, security headers and CSRF policy applied to every response."""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path

from flask import Flask, abort, request
from flask_wtf.csrf import CSRFProtect

from feedback.settings import DashboardSettings, Settings

CSP = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    # plotly.js inserts its own <style> rules and sets style attributes: styles stay inline-capable,
    # scripts never are.
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])

HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}

csrf = CSRFProtect()
# C0 control characters other than tab, line feed and carriage return (which a text area may send), and DEL.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class SecretKeyMissing(RuntimeError):
    """No session secret in the environment and development key files are off."""


def load_secret_key(settings: Settings, options: DashboardSettings) -> str:
    """The session-signing key from the environment; in development a random key kept in instance/."""
    value = settings.env.get(options.secret_key_env, "")
    if value:
        return value
    if not settings.security.dev_key_file:
        raise SecretKeyMissing(
            f"${options.secret_key_env} is not set (security.dev_key_file is off, so no development key is made)"
        )
    path = Path(settings.instance_path) / "secret.key"
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(key + "\n")
    return key


API_PREFIX = "/api/"


def is_bearer_request() -> bool:
    """An API call that authenticates with a bearer token (and so ignores the session cookie)."""
    return request.path.startswith(API_PREFIX) and request.headers.get("Authorization", "").startswith("Bearer ")


def install(app: Flask, settings: Settings, options: DashboardSettings) -> None:
    """Secret key, cookie flags, CSRF on every unsafe request except bearer-token API calls, headers."""
    app.config.update(
        SECRET_KEY=load_secret_key(settings, options),
        SESSION_COOKIE_NAME="haocha_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=options.secure_cookies,
        PERMANENT_SESSION_LIFETIME=options.session_hours * 3600,
        MAX_CONTENT_LENGTH=options.max_upload_mb * 1024 * 1024,
        WTF_CSRF_CHECK_DEFAULT=False,  # checked below, so bearer-token API calls can be exempt
        WTF_CSRF_TIME_LIMIT=options.session_hours * 3600,
        WTF_CSRF_SSL_STRICT=options.secure_cookies,
    )
    csrf.init_app(app)

    @app.before_request
    def _control_characters():
        # A NUL or other C0 control character in a parameter is never a real filter or search; PostgreSQL refuses
        # NUL in text outright. Refused here with the parameter's name, before any query sees it.
        for source in (request.args, request.form):
            for key, value in source.items(multi=True):
                if _CONTROL.search(key) or _CONTROL.search(value):
                    abort(400, description=f"参数 {_CONTROL.sub('', key)[:40]!s} 含有不可见的控制字符（如 NUL），"
                                           "请求已拒绝")

    @app.before_request
    def _csrf_check():
        if request.method in ("GET", "HEAD", "OPTIONS", "TRACE"):
            return
        # A browser cannot attach an Authorization header cross-site, and bearer requests ignore the cookie.
        if is_bearer_request():
            return
        csrf.protect()

    @app.after_request
    def _headers(response):
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        if request.endpoint not in ("static", "assets.plotly"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response
