"""A database filled by the real demo pipeline (what `haocha demo --rows N` does), then a few months of simulated
office work on it: one task carried from 受理 to 上线 during the planted 公积金 outage, most 差评 cases of the
ledger worked to 关闭, an appeal approved, an extension pending. The browser test of every screen serves it."""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, update

from etl.demo.generate import region_names, write_demo
from etl.pipeline import ingest_file
from feedback import ledger
from feedback.alerts.check import check_alerts
from feedback.db import make_engine, upgrade
from feedback.models import LedgerCase, LedgerEvent, Task
from feedback.pipeline import STAGES, run_stages
from feedback.regions import write_region_names
from feedback.settings import Settings
from feedback.tasks import repository as task_repository

OUTAGE_TASK = ("住房公积金提取", "网上办理")  # the planted P1 outage (2026-06-08 … 06-21): words of its task title


def build_demo(engine: Engine, settings: Settings, rows: int, seed: int = 7) -> None:
    """`haocha demo --rows N --seed S`: generate the files, ingest each, run every later stage."""
    upgrade(engine)
    write_region_names(settings.region_names_path, region_names())
    for path in write_demo(settings.instance_path / "demo", rows=rows, seed=seed):
        result = ingest_file(engine, settings, path, profile="zhejiang" if "zhejiang" in path.name else "auto")
        assert result.loaded == result.read, result
    failed = [o for o in run_stages(engine, settings) if not o.ok]
    assert not failed, failed


def demo_database(path: Path, settings: Settings, rows: int, cache: Path | None) -> Engine:
    """The demo database at ``path``: copied from ``cache`` when that file exists (a database this function
    built before, e.g. $HAOCHA_SCREENSHOT_DB while iterating on screenshots), else built and, with a cache
    path, copied there before anything else is written to it."""
    if cache is not None and cache.exists():
        write_region_names(settings.region_names_path, region_names())
        shutil.copyfile(cache, path)
        engine = make_engine(settings.database_url)
        upgrade(engine)
        return engine
    engine = make_engine(settings.database_url)
    build_demo(engine, settings, rows)
    if cache is not None:
        engine.dispose()
        shutil.copyfile(path, cache)
    return engine


def work_the_year(engine: Engine, settings: Settings) -> dict:
    """The office work of the demo year, dated when it would have happened; returns what the test looks for."""
    check_alerts(engine, settings, lookback_weeks=52, post=False)  # `haocha alerts --weeks 52`
    task_id = _ship_outage_fix(engine, settings)
    counts = _work_ledger(engine, settings)
    return {"outage_task": task_id, **counts}


def _ship_outage_fix(engine: Engine, settings: Settings) -> int:
    """The 公积金 centre accepts the outage task during the outage, ships the fix on 06-22; the next tasks
    rebuild checks the impact (complaints before and after) and verifies it."""
    with engine.connect() as conn:
        tasks = conn.execute(select(Task.id, Task.title).where(Task.rank.is_not(None)).order_by(Task.rank)).all()
    task_id = next(t.id for t in tasks if all(w in t.title for w in OUTAGE_TASK))
    steps = [
        (datetime(2026, 6, 9, 10, 15), "王经理", {"status": "accepted", "owner": "李娜",
                                                "due": datetime(2026, 6, 30).date(),
                                                "note": "公积金中心确认：登录与人脸识别服务故障"}),
        (datetime(2026, 6, 12, 16, 40), "李娜", {"status": "in_progress", "note": "已联系厂商修复人脸识别接口"}),
        (datetime(2026, 6, 22, 18, 0), "李娜", {"status": "shipped", "note": "新版本上线，APP 闪退已修复"}),
    ]
    # and a few of the top tasks (never the first: the browser test accepts that one) taken up in October
    picked = [t.id for t in tasks[1:8] if t.id != task_id][:4]
    owners = ["陈静", "刘洋", "赵敏", "周强"]
    later = [(datetime(2026, 10, 20 + i, 9, 30), "王经理", t, {
        "status": "accepted" if i % 2 else "in_progress", "owner": owners[i], "due": datetime(2026, 12, 1 + 7 * i).date(),
        "note": "已分派责任科室"}) for i, t in enumerate(picked)]
    with pytest.MonkeyPatch.context() as mp, engine.begin() as conn:
        for when, who, tid, change in [(w, who, task_id, c) for w, who, c in steps] + later:
            mp.setattr(task_repository, "_now", lambda when=when: when)
            task_repository.change_task(conn, tid, by=who, **change)
    tasks_stage = [s for s in STAGES if s.name == "tasks"]
    failed = [o for o in run_stages(engine, settings, tasks_stage) if not o.ok]
    assert tasks_stage and not failed, failed
    return task_id


def _work_ledger(engine: Engine, settings: Settings) -> dict:
    """Cases opened when their 差评 arrived (as a daily ingest would have: the demo loads the year at once);
    cases older than two months worked to 关闭 within a week (every 40th voided on an approved appeal); of the
    two months before the last ten days a third still in 整改中; the last ten days half verified, one of them
    asking for an extension."""
    rules = ledger.rules_from_settings(settings.ledger)
    opened_at = select(LedgerCase.opened_at).where(LedgerCase.id == LedgerEvent.case_id).scalar_subquery()
    with engine.begin() as conn:
        conn.execute(update(LedgerEvent).where(LedgerEvent.action == "open").values(at=opened_at))
        cases = conn.execute(select(LedgerCase.id, LedgerCase.rated_at).order_by(LedgerCase.rated_at)).all()
    last = max(c.rated_at for c in cases)
    closed = voided = 0
    pending_extension = None
    with engine.begin() as conn:
        for i, (case_id, rated_at) in enumerate(cases):
            def at(days: int, t: datetime = rated_at) -> datetime:
                return t + timedelta(days=days, hours=2)

            age = last - rated_at
            if age <= timedelta(days=10):
                if i % 2 == 0:
                    ledger.set_status(conn, case_id, "rectifying", by="窗口负责人", note="已联系评价人", now=at(1))
                    if pending_extension is None:
                        pending_extension = ledger.request(conn, case_id, "extend", by="窗口负责人", extra_days=10,
                                                           reason="需与系统厂商共同整改", now=at(2))
                continue
            if i % 40 == 7:
                req = ledger.request(conn, case_id, "void", reason="评价人称误点“非常不满意”，有通话录音",
                                     by="窗口负责人", now=at(1))
                ledger.decide(conn, req, approve=True, by="督查科", note="核实属实，认定误评", rules=rules, now=at(3))
                voided += 1
                continue
            ledger.set_status(conn, case_id, "rectifying", by="窗口负责人", note="已联系评价人，核实属实", now=at(1))
            if age <= timedelta(days=70) and i % 3 == 0:
                continue
            for days, status, note in ((3, "rectified", "已向窗口人员通报并培训"), (4, "replied", "已向评价人反馈"),
                                       (6, "revisited", "电话回访"), (7, "closed", None)):
                ledger.set_status(conn, case_id, status, by="窗口负责人", note=note, now=at(days),
                                  satisfaction=(4 + i % 2) if status == "revisited" else None)
            closed += 1
    return {"closed": closed, "voided": voided, "cases": len(cases)}
