"""Rebuilds against a real database: identity across rebuilds, lifecycle history, impact verdicts."""

from datetime import timedelta

import pytest

from feedback.clock import simulated
from feedback.tasks.lifecycle import LifecycleError, check_transition
from feedback.tasks.queries import get_task, list_tasks, task_history
from feedback.tasks.rebuild import rebuild_tasks
from feedback.tasks.repository import change_task
from tests import factory as f

UPLOAD = "网上办理上传材料一直失败，页面卡住"


def _seed(engine, extra_days: int = 0):
    with engine.begin() as conn:
        b = f.batch(conn)
        f.model(conn)
        f.good_ratings(conn, b, "社会保障卡申领", 300)
        f.good_ratings(conn, b, "居民身份证换领", 300, dept="公安局")
        for i in range(8):
            f.rating(conn, b, service="社会保障卡申领", level=1, at=f.T0 + timedelta(days=40 + i, hours=i),
                     text=f"{UPLOAD}{i}", category="online_platform")
        f.rating(conn, b, service="居民身份证换领", level=2, at=f.T0 + timedelta(days=10), text="等太久了",
                 category="timeliness", dept="公安局")
        for i, (t, x) in enumerate([("翠湖湾小区办不了不动产权证", "望江区翠湖湾小区交房两年还办不下不动产权证。"),
                                    ("翠湖湾小区不动产权证何时能办", "翠湖湾小区业主交房两年多，不动产权证一直没办下来。")]):
            f.message(conn, b, title=t, text=x, at=f.T0 + timedelta(days=60 + i), votes=30 + i)
    return b


def _task(engine, needle):
    with engine.connect() as conn:
        return next(t for t in list_tasks(conn, top=0) if needle in t["title"])


def test_identity_state_and_notes_survive_rebuilds_and_new_evidence_attaches(engine):
    _seed(engine)
    first = rebuild_tasks(engine)
    assert first.tasks >= 3 and first.new_tasks == first.tasks
    upload = _task(engine, "社会保障卡申领 — 网上办理与系统")
    estate = _task(engine, "翠湖湾")
    assert upload["rank"] == 1 or estate["rank"] == 1
    with engine.begin() as conn:
        change_task(conn, upload["id"], by="王经理", status="accepted", owner="张三", note="先查上传接口")
        change_task(conn, estate["id"], by="王经理", note="已转住建局")
    # new complaints arrive: more uploads failing and a third message about the estate
    with engine.begin() as conn:
        b = f.batch(conn)
        for i in range(3):
            f.rating(conn, b, service="社会保障卡申领", level=2, at=f.T0 + timedelta(days=70 + i),
                     text=f"{UPLOAD}又失败{i}", category="online_platform")
        f.message(conn, b, title="翠湖湾小区业主的不动产权证还要等多久", text="翠湖湾小区交房两年，产权证迟迟办不下来。",
                  at=f.T0 + timedelta(days=75), votes=12)
    second = rebuild_tasks(engine)
    assert second.new_tasks == 0
    again = _task(engine, "社会保障卡申领 — 网上办理与系统")
    estate2 = _task(engine, "翠湖湾")
    assert again["id"] == upload["id"] and again["task_key"] == upload["task_key"]
    assert again["status"] == "accepted" and again["owner"] == "张三"
    assert again["signals"] == upload["signals"] + 3
    assert estate2["id"] == estate["id"] and estate2["signals"] == 3
    # a topic stores its heat with every component (raw figure and points); a service task has none
    heat = estate2["metrics"]["heat"]
    assert heat["components"]["volume"]["value"] == 3 and heat["components"]["support"]["value"] == 30 + 31 + 12
    assert sum(c["points"] for c in heat["components"].values()) == pytest.approx(heat["score"], abs=0.05)
    assert "heat" not in again["metrics"]
    with engine.connect() as conn:
        history = task_history(conn, upload["id"])
        notes = [h["note"] for h in task_history(conn, estate["id"])]
    actions = [(h["action"], h["actor"]) for h in history]
    assert actions[0] == ("created", "system")
    assert ("status", "王经理") in actions and ("owner", "王经理") in actions
    assert "已转住建局" in notes
    assert all(h["at"] for h in history)


def test_a_hidden_complaints_evidence_says_which_clause_made_it(engine):
    """Five-star comments in a task's evidence carry the clause after a turn that made them complaints (masked as
    the text is); one whose whole text complains carries none."""
    with engine.begin() as conn:
        b = f.batch(conn)
        f.model(conn)
        f.good_ratings(conn, b, "社会保障卡申领", 300)
        for i in range(8):
            turn = i % 2 == 0
            text = (f"窗口服务很好，就是网上上传材料一直失败，打13812345678没人接{i}" if turn
                    else f"网上上传材料一直失败，页面卡住{i}")
            f.rating(conn, b, service="社会保障卡申领", level=5, at=f.T0 + timedelta(days=40 + i), text=text,
                     category="online_platform", hidden=True,
                     clause="就是网上上传材料一直失败,打13812345678没人接" if turn else None)
    rebuild_tasks(engine)
    evidence = _task(engine, "社会保障卡申领 — 网上办理与系统")["evidence"]
    assert evidence and all(e["hidden"] for e in evidence)
    assert {"clause" in e for e in evidence} == {True, False}
    for e in evidence:
        assert ("clause" in e) == ("就是" in e["text"])
        if "clause" in e:
            assert e["clause"].startswith("就是网上上传材料") and "13812345678" not in e["clause"]


def test_lifecycle_rules_and_history(engine):
    _seed(engine)
    rebuild_tasks(engine)
    t = _task(engine, "社会保障卡申领")
    with engine.begin() as conn:
        with pytest.raises(LifecycleError):
            change_task(conn, t["id"], by="a", status="verified")  # new → verified is not a step
    with engine.begin() as conn:
        with pytest.raises(LifecycleError, match="reason"):
            change_task(conn, t["id"], by="a", status="dismissed")
    with engine.begin() as conn:
        for s in ("accepted", "in_progress", "shipped"):
            change_task(conn, t["id"], by="李四", status=s)
        with simulated(f.T0):  # the change is made on the data's day: a due date a month later is ahead
            change_task(conn, t["id"], by="李四", due=f.T0.date() + timedelta(days=30))
            with pytest.raises(LifecycleError, match="截止日期 .* 早于今天"):
                change_task(conn, t["id"], by="李四", due=f.T0.date() - timedelta(days=1))
        row = get_task(conn, t["id"])
        history = task_history(conn, t["id"])
    assert row["status"] == "shipped" and row["shipped_at"] and row["due_date"]
    assert [(h["from_status"], h["to_status"]) for h in history if h["action"] == "status"] == [
        ("new", "accepted"), ("accepted", "in_progress"), ("in_progress", "shipped")]
    check_transition("shipped", "reopened")
    with pytest.raises(LifecycleError):
        check_transition("verified", "new")


def test_dismissed_keeps_its_reason(engine):
    _seed(engine)
    rebuild_tasks(engine)
    t = _task(engine, "居民身份证换领")
    with engine.begin() as conn:
        change_task(conn, t["id"], by="a", status="dismissed", note="政策规定，无法整改")
    rebuild_tasks(engine)
    again = _task(engine, "居民身份证换领")
    assert again["status"] == "dismissed" and again["dismissed_reason"] == "政策规定，无法整改"


def test_impact_check_verifies_a_significant_improvement(engine):
    from sqlalchemy import update

    from feedback.models import Task

    with engine.begin() as conn:
        b = f.batch(conn)
        f.model(conn)
        # 4 weeks before the fix: 60 of 400 ratings complain; 4 weeks after: 3 of 400
        f.good_ratings(conn, b, "住房公积金提取", 340, start=f.T0, days=28, dept="公积金中心")
        f.good_ratings(conn, b, "住房公积金提取", 397, start=f.T0 + timedelta(days=28), days=28, dept="公积金中心")
        for i in range(60):
            f.rating(conn, b, service="住房公积金提取", level=1, at=f.T0 + timedelta(hours=10 * i + 1),
                     text=f"登录不了人脸识别失败{i}", category="online_platform", dept="公积金中心")
        for i in range(3):
            f.rating(conn, b, service="住房公积金提取", level=2, at=f.T0 + timedelta(days=30 + i),
                     text=f"登录还是慢{i}", category="online_platform", dept="公积金中心")
        f.good_ratings(conn, b, "其他事项", 1, start=f.T0 + timedelta(days=60))  # data runs past the window
    rebuild_tasks(engine)
    t = _task(engine, "住房公积金提取")
    with engine.begin() as conn:
        for s in ("accepted", "in_progress", "shipped"):
            change_task(conn, t["id"], by="pm", status=s)
        conn.execute(update(Task).where(Task.id == t["id"]).values(shipped_at=f.T0 + timedelta(days=28)))
    summary = rebuild_tasks(engine)
    after = _task(engine, "住房公积金提取")
    assert (after["id"], "shipped", "verified") in summary.impact_changes
    assert after["status"] == "verified"
    imp = after["impact"]
    assert imp["verdict"] == "improved" and imp["upper"] < 0 and imp["before_complaints"] == 60
    with engine.connect() as conn:
        last = task_history(conn, t["id"])[-1]
    assert last["actor"] == "system" and last["to_status"] == "verified" and "显著改善" in last["note"]
