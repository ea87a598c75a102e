"""Tasks and alerts of departments A and B (and city-wide ones) on top of ``conftest.seed``'s records."""

from __future__ import annotations

import json
from datetime import date, datetime

from sqlalchemy import func, insert, select

from feedback.models import Alert, Task, TaskEvent
from tests import factory
from tests.dashboards.conftest import DEPT_A, DEPT_B, XSS

A_NAME, B_NAME = "市人力资源和社会保障局", "市公安局"
T0 = datetime(2026, 3, 2, 12)
COMPONENTS = {"volume": 0.8, "reach": 0.5, "rate": 1.0, "trend": 0.2, "burst": 0.1, "persistence": 0.4,
              "support": None, "recency": 0.9}
TITLE_A = "社保卡申领 — 网上办理与系统"
TITLE_B = "@SUM(1+1) 换领身份证 — 办理时效"  # a spreadsheet formula if an export does not neutralise it
TITLE_TOPIC = "翠湖湾小区交房两年还办不了房产证"
TEXT_B = "B部门的意见：排队两个小时"


def _task(key: str, title: str, rank: int, dept: tuple[str, str] | None, evidence: list[dict], **over) -> dict:
    row = {
        "task_key": key, "kind": "service", "source": "rating", "title": title, "category": "online_platform",
        "subcategory": None, "service_code": "T001", "service_name": title.split(" — ")[0],
        "dept_code": dept[0] if dept else None, "dept_name": dept[1] if dept else None, "region_code": None,
        "anchor": None, "status": "new", "owner": None, "due_date": None, "active": True, "rank": rank,
        # task A's score is exactly what COMPONENTS give with the default weights
        "score": 70.0 - 10 * rank, "components": json.dumps(COMPONENTS), "metrics": "{}",
        "keywords": json.dumps(["上传", "失败"], ensure_ascii=False),
        "evidence": json.dumps(evidence, ensure_ascii=False),
        "breakdown": json.dumps({"departments": [{"name": A_NAME, "signals": 5.0}, {"name": B_NAME, "signals": 2.0}],
                                 "channels": [{"name": "PC端", "signals": 7.0}]}, ensure_ascii=False),
        "series": json.dumps([["2026-02-16", 1.0], ["2026-02-23", 0.0], ["2026-03-02", 6.0]]),
        "signals": 7, "first_seen": datetime(2026, 2, 17), "last_seen": T0, "created_at": T0, "updated_at": T0,
    }
    row.update(over)
    return row


def seed_work(engine) -> dict:
    """Three tasks (A, B, city-wide topic) and three alerts (A, B, city-wide); idempotent."""
    with engine.begin() as conn:
        existing = {k: i for k, i in conn.execute(select(Task.task_key, Task.id))}
        if "task-a" not in existing:
            rec = factory.record_ids(conn, ["P000000", "P000001"])
            ev_a = {"record_id": rec["P000000"], "title": None, "text": XSS, "rated_at": "2026-03-01 09:00",
                    "level": 1, "hidden": False, "votes": None, "channel": "PC端", "similarity": 0.9}
            ev_b = {"record_id": rec["P000001"], "title": None, "text": TEXT_B, "rated_at": "2026-03-01 10:00",
                    "level": 2, "hidden": False, "votes": None, "channel": "PC端", "similarity": 0.8}
            conn.execute(insert(Task), [
                _task("task-a", TITLE_A, 1, (DEPT_A, A_NAME), [ev_a, ev_b]),
                _task("task-b", TITLE_B, 2, (DEPT_B, B_NAME), [ev_b], category="timeliness"),
                _task("task-topic", TITLE_TOPIC, 3, None, [], kind="topic", source="message", category=None,
                      service_code=None, service_name=None, anchor="翠湖湾小区"),
            ])
            existing = {k: i for k, i in conn.execute(select(Task.task_key, Task.id))}
            conn.execute(insert(TaskEvent), [
                {"task_id": i, "at": T0, "actor": "system", "action": "created", "from_status": None,
                 "to_status": "new", "note": None, "data": None} for i in existing.values()])
        if not conn.execute(select(func.count()).select_from(Alert)).scalar_one():
            base = {"period": "2026-03-02", "period_start": date(2026, 3, 2), "period_end": date(2026, 3, 6),
                    "value": 3.0, "baseline": None, "threshold": 2.0, "count": 3, "volume": 100, "status": "open",
                    "created_at": T0, "updated_at": T0}
            conn.execute(insert(Alert), [
                {**base, "rule": "dept_bad_rate", "subject": DEPT_A, "subject_name": A_NAME, "dept_code": DEPT_A,
                 "dept_name": A_NAME, "message": f"【部门差评率超阈值】{A_NAME} 差评率 3.00%",
                 "link": json.dumps([["dept", DEPT_A], ["kind", "rating"], ["level", "1"], ["level", "2"],
                                     ["start", "2026-03-02"], ["end", "2026-03-06"]])},
                {**base, "rule": "dept_bad_rate", "subject": DEPT_B, "subject_name": B_NAME, "dept_code": DEPT_B,
                 "dept_name": B_NAME, "message": f"【部门差评率超阈值】{B_NAME} 差评率 3.00%",
                 "link": json.dumps([["dept", DEPT_B], ["level", "1"]])},
                {**base, "rule": "category_burst", "subject": "timeliness", "subject_name": "办理时效",
                 "dept_code": None, "dept_name": None, "message": "【问题类别激增】办理时效 投诉 12 条",
                 "baseline": 2.0, "value": 6.0, "threshold": 3.0, "count": 12, "volume": None,
                 "link": json.dumps([["category", "timeliness"]])},
            ])
    return existing


def seed_from_client(client) -> dict:
    """``seed_work`` on the engine of the app behind a test client (for checks that only get the client)."""
    return seed_work(client.application.extensions["haocha"].engine)
