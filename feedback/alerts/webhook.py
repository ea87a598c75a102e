"""Posting a text message to an intranet group bot (钉钉 / 企业微信 / 政务微信 accept the same JSON body)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from urllib.parse import urlsplit


class WebhookError(RuntimeError):
    """The bot could not be reached or refused the message."""


def text_body(content: str) -> bytes:
    """``{"msgtype": "text", "text": {"content": ...}}`` in UTF-8, the body both bots accept."""
    return json.dumps({"msgtype": "text", "text": {"content": content}}, ensure_ascii=False).encode("utf-8")


def post_text(url: str, content: str, *, timeout: float = 5.0) -> None:
    """POST one text message; raise ``WebhookError`` on a network error, a non-2xx answer or a bot's
    ``{"errcode": N}`` with N ≠ 0 (both bots answer 200 with an error code when they refuse)."""
    if urlsplit(url).scheme not in ("http", "https"):
        raise WebhookError(f"webhook URL must be http(s): {url[:40]}")
    request = urllib.request.Request(url, data=text_body(content), method="POST",
                                     headers={"Content-Type": "application/json; charset=utf-8"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - scheme checked above
            raw = response.read(65536)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise WebhookError(f"{type(exc).__name__}: {exc}") from exc
    try:
        answer = json.loads(raw.decode("utf-8")) if raw.strip() else {}
    except (UnicodeDecodeError, ValueError):
        return  # a plain-text 2xx answer: accepted
    code = answer.get("errcode", 0) if isinstance(answer, dict) else 0
    if code not in (0, "0", None):
        raise WebhookError(f"bot refused the message: errcode {code} {answer.get('errmsg', '')}".strip())
