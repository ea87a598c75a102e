"""Posting a text message to an intranet group bot: plain text (企业微信 / 政务微信 / an unsigned 钉钉 bot),
钉钉 with 加签 or 飞书 with 签名校验, retried with exponential back-off."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from urllib.parse import quote_plus, urlsplit

KINDS = ("text", "dingtalk", "feishu")


class WebhookError(RuntimeError):
    """The bot could not be reached or refused the message."""


def text_body(content: str) -> bytes:
    """``{"msgtype": "text", "text": {"content": ...}}`` in UTF-8, the body 钉钉 and 企业微信 accept."""
    return json.dumps({"msgtype": "text", "text": {"content": content}}, ensure_ascii=False).encode("utf-8")


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """钉钉 加签: base64(HMAC-SHA256(key=secret, msg="timestamp\\nsecret")), URL-encoded."""
    digest = hmac.new(secret.encode("utf-8"), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return quote_plus(base64.b64encode(digest))


def feishu_sign(secret: str, timestamp_s: int) -> str:
    """飞书 签名校验: base64(HMAC-SHA256(key="timestamp\\nsecret", msg=empty))."""
    digest = hmac.new(f"{timestamp_s}\n{secret}".encode(), b"", hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def signed_request(kind: str, url: str, content: str, secret: str = "", *,
                   now: Callable[[], float] = time.time) -> tuple[str, bytes]:
    """The URL and body to post for a bot of ``kind`` (signed when a secret is given)."""
    if kind == "feishu":
        body: dict = {"msg_type": "text", "content": {"text": content}}
        if secret:
            ts = int(now())
            body.update(timestamp=str(ts), sign=feishu_sign(secret, ts))
        return url, json.dumps(body, ensure_ascii=False).encode("utf-8")
    if kind == "dingtalk" and secret:
        ts = int(now() * 1000)
        url = f"{url}{'&' if '?' in url else '?'}timestamp={ts}&sign={dingtalk_sign(secret, ts)}"
    return url, text_body(content)


def _post_once(url: str, body: bytes, timeout: float) -> None:
    request = urllib.request.Request(url, data=body, method="POST",
                                     headers={"Content-Type": "application/json; charset=utf-8"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - scheme checked
            raw = response.read(65536)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise WebhookError(f"{type(exc).__name__}: {exc}") from exc
    try:
        answer = json.loads(raw.decode("utf-8")) if raw.strip() else {}
    except (UnicodeDecodeError, ValueError):
        return  # a plain-text 2xx answer: accepted
    if not isinstance(answer, dict):
        return
    code = answer.get("errcode", answer.get("code", answer.get("StatusCode", 0)))  # 钉钉/企业微信, 飞书
    if code not in (0, "0", None):
        message = answer.get("errmsg", answer.get("msg", answer.get("StatusMessage", "")))
        raise WebhookError(f"bot refused the message: code {code} {message}".strip())


def post_text(url: str, content: str, *, timeout: float = 5.0, kind: str = "text", secret: str = "",
              attempts: int = 1, backoff: float = 1.0, sleep: Callable[[float], None] = time.sleep) -> int:
    """POST one text message, up to ``attempts`` times, waiting ``backoff``, 2×, 4× … seconds between tries
    (a new signature each time). Returns the attempts used; raises ``WebhookError`` (the last failure, with the
    number of attempts) when none was accepted: a network error, a non-2xx answer or a bot's error code (bots
    answer 200 with ``{"errcode": N}`` / ``{"code": N}`` when they refuse)."""
    if urlsplit(url).scheme not in ("http", "https"):
        raise WebhookError(f"webhook URL must be http(s): {url[:40]}")
    if kind not in KINDS:
        raise WebhookError(f"unknown webhook kind {kind!r} (use {', '.join(KINDS)})")
    attempts = max(1, attempts)
    for attempt in range(1, attempts + 1):
        target, body = signed_request(kind, url, content, secret)
        try:
            _post_once(target, body, timeout)
            return attempt
        except WebhookError as exc:
            if attempt == attempts:
                raise WebhookError(f"{exc}（已尝试 {attempts} 次）") from exc
            sleep(backoff * 2 ** (attempt - 1))
    raise AssertionError("unreachable")  # pragma: no cover
