"""`haocha demo --office`: the demo's simulated office year leaves a living ledger, alert history and worked tasks,
dated in the demo's past (the real `haocha demo` command on a small demo)."""

from __future__ import annotations

from datetime import datetime

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from feedback.cli import main
from feedback.db import make_engine
from feedback.models import Alert, LedgerCase, LedgerEvent, TaskEvent
from feedback.settings import settings_from_mapping
from tests.conftest import TEST_HASH_KEY

ROWS = 6_000
# alert thresholds scaled down to a small demo (the default ones need a city's weekly volume)
ALERTS = ("[alerts]\ndept_bad_rate_min_volume = 5\ndept_bad_rate_min_bad = 1\nburst_min_count = 2\n"
          "hidden_min_count = 2\n")


@pytest.fixture(scope="module")
def demo(tmp_path_factory, default_sentiment_cache):
    folder = tmp_path_factory.mktemp("office")
    (folder / "instance" / "models").mkdir(parents=True)
    (folder / "instance" / "models" / default_sentiment_cache.name).hardlink_to(default_sentiment_cache)
    config = folder / "config.toml"
    config.write_text(f'[database]\nurl = "sqlite:///{folder / "demo.db"}"\n[paths]\ninstance_dir = '
                      f'"{folder / "instance"}"\n' + ALERTS, encoding="utf-8")
    env = {"HAOCHA_CONFIG": str(config), "HAOCHA_HASH_KEY": TEST_HASH_KEY, "HAOCHA_DATABASE_URL": None}
    out = CliRunner().invoke(main, ["demo", "--rows", str(ROWS)], env=env, catch_exceptions=False)
    assert out.exit_code == 0, out.output
    settings = settings_from_mapping({"database": {"url": f"sqlite:///{folder / 'demo.db'}"},
                                      "paths": {"instance_dir": str(folder / "instance")}},
                                     base_dir=folder, env={"HAOCHA_HASH_KEY": TEST_HASH_KEY})
    engine = make_engine(settings.database_url)
    yield engine, settings, out.output
    engine.dispose()


def test_the_ledger_lives_most_cases_closed_few_overdue(demo):
    from feedback import ledger

    engine, _, output = demo
    with engine.connect() as conn:
        cases = ledger.list_cases(conn)
    states = cases["status_name"].value_counts()
    assert len(cases) >= 10 and len(states) >= 2, states
    assert states.idxmax() == "关闭" and states["关闭"] >= len(cases) * 0.7, states
    overdue = cases[cases["overdue"].notna()]
    assert 1 <= len(overdue) <= max(2, len(cases) // 10), (len(overdue), len(cases))
    assert set(overdue["status_name"]) <= {"待核实", "整改中"}
    assert "模拟办公" in output and "超期" in output
    # a progress line for every step: scoring with a count and a percentage, each stage, the replay
    for line in ("==> 导入 ratings_zhejiang.csv", "==> 评分（score）开始", "条（100%）", "==> 任务（tasks）开始",
                 "==> 台账（ledger）开始", "==> 模拟办公年度", "==> 完成"):
        assert line in output, line


def test_history_is_dated_in_the_demos_past_and_agrees_with_the_case(demo):
    engine, _, _ = demo
    with engine.connect() as conn:
        opened = dict(conn.execute(select(LedgerCase.id, LedgerCase.opened_at)).all())
        events = conn.execute(select(LedgerEvent.case_id, LedgerEvent.action, LedgerEvent.at)
                              .order_by(LedgerEvent.id)).all()
        alerts = conn.execute(select(Alert.created_at, Alert.period_end, Alert.status)).all()
        task_events = conn.execute(select(TaskEvent.at, TaskEvent.action)).all()
    assert {e.at for e in events if e.action == "open"} and all(
        e.at == opened[e.case_id] for e in events if e.action == "open")  # header and history tell one date
    last: dict[int, datetime] = {}
    for e in events:  # each case's history runs forward in time
        assert e.at >= last.get(e.case_id, e.at)
        last[e.case_id] = e.at
    assert max(last.values()) < datetime(2027, 3, 1)
    assert alerts, "no alert history"
    assert len({a.created_at.date() for a in alerts}) >= 3  # checked week by week, not once
    assert all(a.created_at.date() > a.period_end for a in alerts)  # a week is checked after it ended
    assert {"open", "closed"} <= {a.status for a in alerts} or all(a.status == "closed" for a in alerts)
    assert any(a == "status" for _, a in task_events)
    assert all(at < datetime(2027, 3, 1) for at, _ in task_events)


def test_the_bulletin_reports_reply_and_on_time_rates_above_zero(demo):
    from feedback.bulletin import build_bulletin

    engine, settings, _ = demo
    with engine.connect() as conn:
        b = build_bulletin(conn, "2026-09", settings=settings, as_of=datetime(2026, 12, 1))
    month = b.ledger.month
    assert month["cases"] > 0
    assert month["reply_rate"] and month["reply_rate"] > 0, month
    assert month["on_time_rate"] and month["on_time_rate"] > 0, month
