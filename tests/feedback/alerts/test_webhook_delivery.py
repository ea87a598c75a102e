"""Alert webhook: 钉钉 加签 and 飞书 签名校验 verified by a local bot, retries with back-off, failures stored."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from feedback.alerts.check import SECRET_ENV, check_alerts
from feedback.alerts.queries import list_alerts
from feedback.alerts.webhook import WebhookError, post_text
from tests.feedback.alerts.test_alerts import _seed_bad_week

SECRET = "SEC0123456789abcdef"


class _SigningBot(BaseHTTPRequestHandler):
    """Verifies signatures the way the bots document them; answers from ``answers`` (the last one repeats)."""

    kind = "dingtalk"
    requests: list[dict] = []
    answers: list[tuple[int, bytes]] = [(200, b'{"errcode": 0}')]

    def do_POST(self):  # noqa: N802 - http.server's naming
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])).decode("utf-8"))
        query = {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}
        cls = type(self)
        if cls.kind == "dingtalk":
            ts, sign = query.get("timestamp", ""), query.get("sign", "")
            expected = base64.b64encode(hmac.new(SECRET.encode(), f"{ts}\n{SECRET}".encode(),
                                                 hashlib.sha256).digest()).decode()
            fresh = abs(int(ts or 0) - time.time() * 1000) < 3_600_000
        else:
            ts, sign = body.get("timestamp", ""), body.get("sign", "")
            expected = base64.b64encode(hmac.new(f"{ts}\n{SECRET}".encode(), b"", hashlib.sha256).digest()).decode()
            fresh = abs(int(ts or 0) - time.time()) < 3600
        cls.requests.append({"query": query, "body": body, "valid": bool(sign) and sign == expected and fresh})
        code, answer = cls.answers[min(len(cls.requests), len(cls.answers)) - 1]
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args):
        pass


@pytest.fixture
def signing_bot():
    handler = type("Bot", (_SigningBot,), {"requests": [], "answers": [(200, b'{"errcode": 0}')]})
    server = HTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield handler, f"http://127.0.0.1:{server.server_port}/robot/send?access_token=t"
    server.shutdown()
    server.server_close()


def test_dingtalk_signature_in_the_query(signing_bot):
    bot, url = signing_bot
    assert post_text(url, "预警：测试", kind="dingtalk", secret=SECRET) == 1
    (req,) = bot.requests
    assert req["valid"] and req["query"]["access_token"] == "t"
    assert req["body"] == {"msgtype": "text", "text": {"content": "预警：测试"}}
    post_text(url, "预警：测试", kind="dingtalk", secret="wrong-secret")  # the bot sees a bad signature
    assert bot.requests[-1]["valid"] is False


def test_feishu_signature_in_the_body(signing_bot):
    bot, url = signing_bot
    bot.kind = "feishu"
    bot.answers = [(200, b'{"code": 0, "msg": "success"}')]
    post_text(url, "预警：测试", kind="feishu", secret=SECRET)
    (req,) = bot.requests
    assert req["valid"] and req["body"]["msg_type"] == "text" and req["body"]["content"] == {"text": "预警：测试"}
    bot.answers = [(200, b'{"code": 19021, "msg": "sign match fail or timestamp is not within one hour"}')]
    with pytest.raises(WebhookError, match="19021"):
        post_text(url, "x", kind="feishu", secret="wrong", attempts=1)


def test_retries_back_off_exponentially_then_succeed(signing_bot):
    bot, url = signing_bot
    bot.answers = [(500, b"busy"), (200, b'{"errcode": 130101, "errmsg": "send too fast"}'), (200, b'{"errcode": 0}')]
    waits: list[float] = []
    used = post_text(url, "x", kind="dingtalk", secret=SECRET, attempts=3, backoff=0.5, sleep=waits.append)
    assert used == 3 and len(bot.requests) == 3 and waits == [0.5, 1.0]
    assert all(r["valid"] for r in bot.requests)  # each try signed afresh
    bot.requests.clear()
    bot.answers = [(503, b"down")]
    with pytest.raises(WebhookError, match="已尝试 2 次"):
        post_text(url, "x", kind="dingtalk", secret=SECRET, attempts=2, backoff=0, sleep=waits.append)
    assert len(bot.requests) == 2


def test_a_failed_delivery_is_stored_on_the_alert(signing_bot, settings, engine):
    bot, url = signing_bot
    bot.answers = [(502, b"bad gateway")]
    cfg = dataclasses.replace(settings.alerts, webhook_url=url, webhook_kind="dingtalk", webhook_attempts=2,
                              webhook_backoff_seconds=0)
    signed = dataclasses.replace(settings, alerts=cfg, env={**settings.env, SECRET_ENV: SECRET})
    _seed_bad_week(engine)
    result = check_alerts(engine, signed)
    assert len(result.new) == 1 and result.posted == 0 and len(bot.requests) == 2
    assert all(r["valid"] for r in bot.requests)  # the secret came from the environment
    with engine.connect() as conn:
        (alert,) = list_alerts(conn)
    assert alert["notify_failed_at"] and "502" in alert["notify_error"] and alert["notify_attempts"] == 2
    assert alert["notified_at"] is None

