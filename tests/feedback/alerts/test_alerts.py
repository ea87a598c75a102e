"""预警 rules on hand-built frames, deduplicated storage, the webhook, and the `haocha alerts` command."""

from __future__ import annotations

import dataclasses
import json
import threading
from datetime import date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import pandas as pd
import pytest
from sqlalchemy import func, select

from feedback.alerts import rules as alerts
from feedback.alerts.check import check_alerts
from feedback.alerts.queries import list_alerts
from feedback.alerts.repository import set_status
from feedback.cli import main
from feedback.models import Alert
from feedback.settings import AlertSettings
from tests import factory as f

CFG = AlertSettings(lookback_weeks=1, dept_bad_rate_threshold=2.0, dept_bad_rate_min_volume=50,
                    dept_bad_rate_min_bad=3, burst_factor=3.0, burst_baseline_weeks=8, burst_min_count=10,
                    hidden_factor=2.0, hidden_min_count=5)
MONDAY = date(2026, 3, 2)
AS_OF = MONDAY + timedelta(days=4)  # a running week: Monday to Friday


def _ratings(dept: str, total: int, bad: int, *, default_bad: int = 0, day: date = MONDAY) -> list[dict]:
    rows = [{"dept_key": dept, "dept_name": f"{dept}局", "day": day, "level": 1, "is_default": False,
             "voided": False, "n": bad, "projects": 0, "hidden": 0},
            {"dept_key": dept, "dept_name": f"{dept}局", "day": day, "level": 5, "is_default": False,
             "voided": False, "n": total - bad - default_bad, "projects": 0, "hidden": 0}]
    if default_bad:
        rows.append({"dept_key": dept, "dept_name": f"{dept}局", "day": day, "level": 1, "is_default": True,
                     "voided": False, "n": default_bad, "projects": 0, "hidden": 0})
    return rows


def test_department_bad_rate_needs_threshold_volume_and_count():
    frame = pd.DataFrame([
        *_ratings("A", 100, 3),  # 3.0 %: alert
        *_ratings("B", 40, 3),  # 7.5 % of too few ratings
        *_ratings("C", 200, 2),  # 1.0 %
        *_ratings("D", 100, 2),  # 2.0 % but only two 差评
        *_ratings("E", 100, 1, default_bad=5),  # 系统默认 ratings are never 差评
        *_ratings("F", 100, 9, day=MONDAY - timedelta(days=3)),  # last week: not checked
    ])
    fired = alerts.dept_bad_rate(frame, [MONDAY], AS_OF, CFG)
    assert [a.subject for a in fired] == ["A"]
    a = fired[0]
    assert (a.value, a.count, a.volume, a.dept_code, a.period) == (3.0, 3, 100, "A", "2026-03-02")
    assert a.period_end == AS_OF and "截至 03-06" in a.message and "3.00%" in a.message
    assert dict(a.link)["dept"] == "A" and ("level", "1") in a.link and ("level", "2") in a.link
    assert dict(a.link)["start"] == "2026-03-02" and dict(a.link)["end"] == "2026-03-06"
    # the rate is the bulletin's 差评率 (the KPI module's formula), at the threshold inclusive
    exact = pd.DataFrame(_ratings("G", 150, 3))
    assert [a.subject for a in alerts.dept_bad_rate(exact, [MONDAY], AS_OF, CFG)] == ["G"]


def _complaints(cat: str, weekly: list[int]) -> list[dict]:
    """Complaints per week, oldest first, the last one in the checked week."""
    weeks = [MONDAY - timedelta(weeks=len(weekly) - 1 - i) for i in range(len(weekly))]
    return [{"category": cat, "day": w + timedelta(days=1), "n": n} for w, n in zip(weeks, weekly, strict=True)
            if n]


def test_category_burst_against_the_average_of_previous_weeks():
    frame = pd.DataFrame([
        *_complaints("timeliness", [2] * 8 + [12]),  # 6x the average, 12 ≥ 10: alert
        *_complaints("materials", [5] * 8 + [12]),  # 2.4x
        *_complaints("staff_attitude", [0] * 8 + [9]),  # from nothing, but below the minimum
        *_complaints("queue_onsite", [0] * 8 + [10]),  # from nothing, at the minimum: alert
    ])
    start = MONDAY - timedelta(weeks=8)
    fired = alerts.category_burst(frame, [MONDAY], AS_OF, start, CFG, {"timeliness": "办理时效"})
    assert [a.subject for a in fired] == ["queue_onsite", "timeliness"]
    t = fired[1]
    assert (t.count, t.baseline, t.value, t.subject_name) == (12, 2.0, 6.0, "办理时效")
    assert t.dept_code is None and dict(t.link)["category"] == "timeliness" and "6.0 倍" in t.message
    # weeks before the data starts are not a zero baseline: data since last week only → its average alone
    late = alerts.category_burst(frame, [MONDAY], AS_OF, MONDAY - timedelta(weeks=1), CFG)
    assert [a.subject for a in late] == ["queue_onsite", "timeliness"] and late[1].baseline == 2.0
    # the first week of the data has nothing to compare with
    assert alerts.category_burst(frame, [MONDAY], AS_OF, MONDAY, CFG) == []
    # nor has the week after a partial first week (data from a Saturday: that weekend is no baseline)
    assert alerts.category_burst(frame, [MONDAY], AS_OF, MONDAY - timedelta(days=2), CFG) == []
    assert alerts.first_full_week(MONDAY - timedelta(days=2)) == MONDAY


def test_complaint_counts_take_bad_ratings_hidden_complaints_and_messages():
    counts = pd.DataFrame([
        {"category": "timeliness", "day": MONDAY, "kind": "rating", "level": 1, "is_default": False, "n": 4,
         "hidden": 0},
        {"category": "timeliness", "day": MONDAY, "kind": "rating", "level": 1, "is_default": True, "n": 7,
         "hidden": 0},  # default ratings are no complaints
        {"category": "timeliness", "day": MONDAY, "kind": "rating", "level": 5, "is_default": False, "n": 50,
         "hidden": 3},  # only its hidden complaints count
        {"category": "timeliness", "day": MONDAY, "kind": "message", "level": None, "is_default": False, "n": 2,
         "hidden": 0},
        {"category": None, "day": MONDAY, "kind": "rating", "level": 1, "is_default": False, "n": 9, "hidden": 0},
    ])
    out = alerts.complaint_counts(counts)
    assert out.to_dict("records") == [{"category": "timeliness", "day": MONDAY, "n": 9}]


def _hidden(svc: str, prev: int, now: int, dept: str = "D1") -> list[dict]:
    rows = []
    for day, n in ((MONDAY - timedelta(days=5), prev), (MONDAY + timedelta(days=2), now)):
        if n:
            rows.append({"service_key": svc, "service_name": f"{svc}事项", "dept_key": dept, "dept_name": "人社局",
                         "day": day, "hidden": n})
    return rows


def test_hidden_complaints_doubling_week_on_week():
    frame = pd.DataFrame([*_hidden("S1", 3, 6), *_hidden("S2", 4, 7), *_hidden("S3", 0, 5), *_hidden("S4", 0, 4)])
    start = MONDAY - timedelta(weeks=4)
    fired = alerts.hidden_doubling(frame, [MONDAY], AS_OF, start, CFG)
    assert [(a.subject, a.count, a.baseline) for a in fired] == [("S1", 6, 3.0), ("S3", 5, 0.0)]
    assert fired[0].value == 2.0 and fired[0].dept_code == "D1" and ("hidden", "1") in fired[0].link
    assert "上周没有" in fired[1].message
    # zero scores: no hidden complaints at all, or no frame, is no alert and no error
    zeros = pd.DataFrame(_hidden("S1", 3, 6)).assign(hidden=0)
    assert alerts.hidden_doubling(zeros, [MONDAY], AS_OF, start, CFG) == []
    assert alerts.hidden_doubling(pd.DataFrame(), [MONDAY], AS_OF, start, CFG) == []
    inputs = alerts.AlertInputs(AS_OF, start, pd.DataFrame(), pd.DataFrame(), pd.DataFrame())
    assert alerts.evaluate(inputs, CFG) == []


def test_weeks_to_check_end_with_the_week_of_the_latest_record():
    assert alerts.weeks_to_check(date(2026, 3, 8), 3) == [date(2026, 2, 16), date(2026, 2, 23), MONDAY]
    assert alerts.window_start(date(2026, 3, 8), CFG) == MONDAY - timedelta(weeks=8)


# --- against a database -----------------------------------------------------------------------------------


def _seed_bad_week(engine, *, bad: int = 6, good: int = 60, hidden: int = 0):
    """One department with a bad week (ratings on Monday 2 March 2026 and the days after)."""
    with engine.begin() as conn:
        b = f.batch(conn)
        f.model(conn)
        f.good_ratings(conn, b, "社保卡申领", good, start=datetime(2026, 3, 2, 9), days=3, dept="人社局")
        if good:  # the data starts two weeks earlier, so last week is inside it
            f.good_ratings(conn, b, "社保卡申领", 1, start=datetime(2026, 2, 18, 9), days=1, dept="人社局")
        for i in range(bad):
            f.rating(conn, b, service="社保卡申领", level=1, at=datetime(2026, 3, 3, 10 + i), text="排队太久",
                     category="queue_onsite", dept="人社局")
        for i in range(hidden):
            f.rating(conn, b, service="社保卡申领", level=5, at=datetime(2026, 3, 4, 10, i), text="系统老是卡",
                     hidden=True, category="online_platform", dept="人社局")


def test_alerts_are_stored_once_per_rule_subject_and_week(engine, settings):
    _seed_bad_week(engine)
    first = check_alerts(engine, settings)
    assert [a["rule"] for a in first.new] == ["dept_bad_rate"]
    assert first.new[0]["subject"] == "D-人社局" and first.new[0]["dept_code"] == "D-人社局"
    again = check_alerts(engine, settings)
    assert again.new == [] and again.fired == 1 and again.open == 1
    # more 差评 in the running week refresh the figures of the same alert
    _seed_bad_week(engine, bad=3, good=0)
    third = check_alerts(engine, settings)
    assert third.new == [] and third.refreshed == 1
    with engine.connect() as conn:
        rows = list_alerts(conn)
        assert len(rows) == 1 and rows[0]["count"] == 9
        assert conn.execute(select(func.count()).select_from(Alert)).scalar_one() == 1
    with engine.begin() as conn:
        set_status(conn, rows[0]["id"], "closed", by="王经理")
    with engine.connect() as conn:
        closed = list_alerts(conn, statuses=("closed",))
        assert closed[0]["closed_by"] == "王经理" and list_alerts(conn, statuses=("open",)) == []
        assert list_alerts(conn, dept="D-公安局") == [] and len(list_alerts(conn, dept="D-人社局")) == 1


def test_no_records_and_no_scores_give_no_alerts(engine, settings):
    assert check_alerts(engine, settings).new == []
    with engine.begin() as conn:
        b = f.batch(conn)
        f.good_ratings(conn, b, "社保卡申领", 100, start=datetime(2026, 3, 2, 9), days=3)
    result = check_alerts(engine, settings)
    assert result.new == [] and result.as_of == "2026-03-05"


class _Bot(BaseHTTPRequestHandler):
    received: list[dict] = []
    answer: tuple[int, bytes] = (200, b'{"errcode": 0, "errmsg": "ok"}')

    def do_POST(self):  # noqa: N802 - http.server's naming
        length = int(self.headers["Content-Length"])
        type(self).received.append({"type": self.headers["Content-Type"],
                                    "body": json.loads(self.rfile.read(length).decode("utf-8"))})
        code, body = type(self).answer
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def bot():
    handler = type("Bot", (_Bot,), {"received": []})
    server = HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield handler, f"http://127.0.0.1:{server.server_port}/robot/send?access_token=t"
    server.shutdown()
    server.server_close()


def _with_webhook(settings, url, **extra):
    cfg = dataclasses.replace(settings.alerts, webhook_url=url, **extra)
    return dataclasses.replace(settings, alerts=cfg)


def test_each_new_alert_is_posted_once_to_the_webhook(engine, settings, bot):
    handler, url = bot
    _seed_bad_week(engine, hidden=6)
    s = _with_webhook(settings, url, link_base_url="http://haocha.intranet/")
    first = check_alerts(engine, s)
    assert {a["rule"] for a in first.new} == {"dept_bad_rate", "hidden_doubling"}
    assert first.posted == len(first.new) == len(handler.received) and first.errors == []
    body = handler.received[0]["body"]
    assert handler.received[0]["type"].startswith("application/json")
    assert body["msgtype"] == "text" and body["text"]["content"].startswith("好差评预警 【")
    assert "http://haocha.intranet/records?" in body["text"]["content"]
    assert check_alerts(engine, s).posted == 0 and len(handler.received) == len(first.new)  # posted once
    with engine.connect() as conn:
        assert all(a["notified_at"] for a in list_alerts(conn))


def test_a_failing_webhook_is_logged_and_never_raises(engine, settings, bot, caplog):
    handler, url = bot
    handler.answer = (200, b'{"errcode": 310000, "errmsg": "keywords not in content"}')
    _seed_bad_week(engine)
    result = check_alerts(engine, _with_webhook(settings, url, webhook_backoff_seconds=0))
    assert len(result.new) == 1 and result.posted == 0 and "310000" in result.errors[0]
    assert "alert webhook failed" in caplog.text
    dead = check_alerts(engine, _with_webhook(settings, "http://127.0.0.1:9/nothing", webhook_timeout_seconds=1))
    assert dead.new == []  # already stored: nothing new to post
    with engine.connect() as conn:
        assert "310000" in list_alerts(conn)[0]["notify_error"]


def test_webhook_posts_are_capped_with_a_summary(settings):
    from feedback.alerts.check import notify

    handler_calls = []

    def fake_alerts(n):
        return [{"id": i, "message": f"m{i}", "link": []} for i in range(n)]

    import feedback.alerts.check as ac

    original = ac.post_text
    ac.post_text = lambda url, text, timeout, **kw: handler_calls.append(text)
    try:
        cfg = dataclasses.replace(settings.alerts, webhook_url="http://bot", webhook_max_posts=2)
        ids, errors, accepted = notify(cfg, fake_alerts(5))
    finally:
        ac.post_text = original
    assert ids == [0, 1, 2, 3, 4] and errors == [] and accepted == 3
    assert "另有 3 条新预警" in handler_calls[-1]


def test_alerts_command_json(runner, engine):
    _seed_bad_week(engine)
    out = runner.invoke(main, ["alerts", "--json", "--no-post"])
    assert out.exit_code == 0, out.output
    body = json.loads(out.output.strip().splitlines()[-1])
    assert len(body["new"]) == 1 and body["open"] == 1 and body["open_alerts"][0]["rule"] == "dept_bad_rate"
    again = json.loads(runner.invoke(main, ["alerts", "--json"]).output.strip().splitlines()[-1])
    assert again["new"] == [] and again["open"] == 1
    human = runner.invoke(main, ["alerts"])
    assert human.exit_code == 0 and "部门差评率超阈值" in human.output
