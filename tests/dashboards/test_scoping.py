"""Department scoping: a user bound to a department sees only it, on every route (the table must list them all)."""

from __future__ import annotations

import json

import pytest

from tests.dashboards.conftest import DEPT_A, DEPT_B, csrf_from

A_NAME, B_NAME = "市人力资源和社会保障局", "市公安局"


def _overview(client, seeded):
    from feedback.stats.rollups import refresh_rollups

    refresh_rollups(client.application.extensions["haocha"].engine)
    for url in ("/", f"/?dept={DEPT_B}"):
        page = client.get(url).text
        assert '<div class="card-value">10</div>' in page  # 10 of the 20 records are department A's
        assert "本部门新增 10 条" in page and "读取 23 行" not in page and "拒收" not in page
        assert B_NAME not in page and f'value="{DEPT_B}"' not in page


def _api_overview(client, seeded):
    from feedback.stats.rollups import refresh_rollups

    refresh_rollups(client.application.extensions["haocha"].engine)
    for url in ("/api/v1/overview", f"/api/v1/overview?dept={DEPT_B}"):
        body = client.get(url).json
        assert body["kpis"]["total"] == 10 and {r["key"] for r in body["depts"]["table"]} == {DEPT_A}
        assert B_NAME not in json.dumps(body, ensure_ascii=False)


def _explorer(client, seeded):
    for url in ("/records", f"/records?dept={DEPT_B}", "/records?q=不合理"):
        page = client.get(url).text
        assert B_NAME not in page and "收费100%" not in page
    page = client.get("/records").text
    assert A_NAME in page and "共 10 条" in page
    assert f'<option value="{DEPT_B}"' not in page


def _record_exports(client, seeded):
    for url in ("/records/export.csv", f"/records/export.csv?dept={DEPT_B}", "/records/export.csv?q=不合理"):
        body = client.get(url).data.decode("utf-8-sig")
        assert B_NAME not in body and "收费100%" not in body, url
    assert body.count("\r\n") == 2  # 当前筛选 line and header only: the search matches department B's record alone
    body = client.get("/records/export.csv").data.decode("utf-8-sig")
    assert A_NAME in body and body.count("\r\n") == 12  # 当前筛选 line, header + department A's 10 records
    assert B_NAME.encode() not in client.get(f"/records/export.xlsx?dept={DEPT_B}").data


def _api_records(client, seeded):
    for url in ("/api/v1/records", f"/api/v1/records?dept={DEPT_B}", f"/api/v1/records?dept={DEPT_A},{DEPT_B}"):
        body = client.get(url).json
        assert body["total"] == 10 and {r["dept_code"] for r in body["items"]} == {DEPT_A}


def _api_me(client, seeded):
    assert client.get("/api/v1/me").json["dept_code"] == DEPT_A


def _forbidden(method, url):
    def check(client, seeded):
        target = url.format(**seeded)
        if method == "GET":
            response = client.get(target)
        else:
            response = client.post(target, data={"csrf_token": csrf_from(client.get("/").text)})
        assert response.status_code == 403, target

    return check


def _no_data(url):
    def check(client, seeded):
        page = client.get(url)
        assert page.status_code == 200 and B_NAME not in page.text

    return check


def _tasks(client, seeded):
    from tests.dashboards.work_data import TITLE_A, TITLE_TOPIC, seed_from_client

    seed_from_client(client)
    for url in ("/tasks", f"/tasks?dept={DEPT_B}", "/tasks?inactive=1&category=timeliness"):
        page = client.get(url).text
        assert B_NAME not in page and "@SUM" not in page and TITLE_TOPIC not in page, url
    assert TITLE_A in client.get("/tasks").text


def _task_detail(client, seeded):
    from tests.dashboards.work_data import TEXT_B, seed_from_client

    ids = seed_from_client(client)
    page = client.get(f"/tasks/{ids['task-a']}").text
    assert B_NAME not in page and TEXT_B not in page and "其他部门" in page
    assert client.get(f"/tasks/{ids['task-b']}").status_code == 404
    assert client.get(f"/tasks/{ids['task-topic']}").status_code == 404
    token = csrf_from(client.get("/").text)
    assert client.post(f"/tasks/{ids['task-b']}", data={"csrf_token": token, "note": "x"}).status_code in (403, 404)


def _task_exports(client, seeded):
    from tests.dashboards.work_data import TEXT_B, TITLE_A, seed_from_client

    seed_from_client(client)
    for fmt in ("csv", "json", "jira"):
        body = client.get(f"/tasks/export/{fmt}?dept={DEPT_B}").data.decode("utf-8-sig")
        assert TITLE_A in body and "@SUM" not in body and TEXT_B not in body and "翠湖湾" not in body, fmt
    assert B_NAME.encode() not in client.get("/tasks/export/xlsx").data  # (shared strings are plain UTF-8 XML)


def _alerts(client, seeded):
    from tests.dashboards.work_data import seed_from_client

    seed_from_client(client)
    page = client.get("/alerts").text
    assert A_NAME in page and B_NAME not in page and "办理时效" not in page and "共 1 条预警" in page


def _alert_status(client, seeded):
    from sqlalchemy import select

    from feedback.models import Alert
    from tests.dashboards.work_data import seed_from_client

    seed_from_client(client)
    engine = client.application.extensions["haocha"].engine
    with engine.connect() as conn:
        others = [i for (i,) in conn.execute(select(Alert.id).where(Alert.dept_code.is_distinct_from(DEPT_A)))]
    token = csrf_from(client.get("/").text)
    for alert_id in others:
        res = client.post(f"/alerts/{alert_id}/status", data={"csrf_token": token, "status": "closed"})
        assert res.status_code in (403, 404)
    with engine.connect() as conn:
        assert conn.execute(select(Alert.status).where(Alert.id.in_(others))).scalars().all() == ["open", "open"]


def _api_tasks(client, seeded):
    from tests.dashboards.work_data import TITLE_A, seed_from_client

    ids = seed_from_client(client)
    for url in ("/api/v1/tasks", f"/api/v1/tasks?dept={DEPT_B}", "/api/v1/tasks?category=none"):
        body = client.get(url).json
        assert all(t["dept_code"] == DEPT_A for t in body["items"]), url
    assert [t["title"] for t in client.get("/api/v1/tasks").json["items"]] == [TITLE_A]
    assert client.get(f"/api/v1/tasks/{ids['task-b']}").status_code == 404
    detail = client.get(f"/api/v1/tasks/{ids['task-a']}").json
    assert B_NAME not in json.dumps(detail, ensure_ascii=False) and len(detail["evidence"]) == 1


def _api_alerts(client, seeded):
    from tests.dashboards.work_data import seed_from_client

    seed_from_client(client)
    body = client.get("/api/v1/alerts").json
    assert body["total"] == 1 and {a["dept_code"] for a in body["items"]} == {DEPT_A}


def _reports(client, seeded):
    from feedback.stats.rollups import refresh_rollups

    refresh_rollups(client.application.extensions["haocha"].engine)
    page = client.get("/reports/").text
    assert "2026-03" in page and f"仅含本部门（{DEPT_A}）" in page
    for url in ("/reports/monthly?month=2026-03&format=html", f"/reports/monthly?month=2026-03&format=html&dept={DEPT_B}"):
        body = client.get(url).text
        assert A_NAME in body and B_NAME not in body, url


def _label(api: bool, review: bool = False):
    """pm/ops/admin may correct categories, but only of their own department's records (404 otherwise)."""

    def check(client, seeded):
        from sqlalchemy import select

        from feedback.models import Record

        with client.application.extensions["haocha"].engine.connect() as conn:
            foreign = conn.execute(select(Record.id).where(Record.dept_code == DEPT_B).limit(1)).scalar_one()
        token = csrf_from(client.get("/").text)
        if api:
            r = client.post(f"/api/v1/records/{foreign}/label", json={"category": "materials"},
                            headers={"X-CSRFToken": token})
        elif review:
            r = client.post(f"/records/review/{foreign}", data={"choice": "materials", "decision": "correct",
                                                                "csrf_token": token})
        else:
            r = client.post(f"/records/{foreign}/label", data={"category": "materials", "csrf_token": token})
        may_label = client.get("/api/v1/me").json["role"] != "viewer"
        assert r.status_code == (404 if may_label else 403)

    return check


def _review_undo(client, seeded):
    """撤销 of a label on another department's record: 404 as the record itself (viewers: 403, no label right)."""
    from sqlalchemy import func, select

    from feedback.models import GoldLabel, Record
    from feedback.pipeline import record_correction

    with client.application.extensions["haocha"].engine.begin() as conn:
        foreign = conn.execute(select(Record.id).where(Record.dept_code == DEPT_B).limit(1)).scalar_one()
        record_correction(conn, foreign, "materials", by="admin")
        label_id = conn.execute(select(func.max(GoldLabel.id))).scalar_one()
    token = csrf_from(client.get("/").text)
    r = client.post(f"/records/review/undo/{label_id}", data={"csrf_token": token})
    may_label = client.get("/api/v1/me").json["role"] != "viewer"
    assert r.status_code == (404 if may_label else 403)
    assert B_NAME not in r.text and "收费100%" not in r.text


def _review_queue(client, seeded):
    """待确认 lists only the own department's uncertain classifications; viewers may not label at all."""
    may_label = client.get("/api/v1/me").json["role"] != "viewer"
    for url in ("/records/review", f"/records/review?dept={DEPT_B}"):
        r = client.get(url)
        assert r.status_code == (200 if may_label else 403), (url, r.status_code)
        assert B_NAME not in r.text and "收费100%" not in r.text, url


def _api_push(client, seeded):
    """A bound account pushing another department's record: the row is rejected, nothing is stored."""
    token = csrf_from(client.get("/").text)
    rec = {"projectNo": "S1", "pf": 1, "satisfaction": 5, "assessTime": "2026-03-02 10:00:00", "deptCode": DEPT_B}
    r = client.post("/api/v1/push", json={"profile": "national", "batch_id": "scope-1", "records": [rec]},
                    headers={"X-CSRFToken": token})
    if client.get("/api/v1/me").json["role"] == "viewer":
        assert r.status_code == 403
    else:
        assert r.status_code in (200, 201) and (r.json["loaded"], r.json["rejected"]) == (0, 1)


def _ledger_cases(client) -> dict[str, list[int]]:
    from datetime import datetime

    from sqlalchemy import select

    from feedback import ledger
    from feedback.models import LedgerCase

    engine = client.application.extensions["haocha"].engine
    with engine.begin() as conn:
        ledger.sync_cases(conn, now=datetime(2026, 3, 2, 8))
        rows = conn.execute(select(LedgerCase.id, LedgerCase.dept_code)).all()
    return {d: [i for i, code in rows if code == d] for d in (DEPT_A, DEPT_B)}


def _ledger(client, seeded):
    cases = _ledger_cases(client)
    for url in ("/ledger", f"/ledger?dept={DEPT_B}", "/ledger?overdue=1"):
        page = client.get(url).text
        assert B_NAME not in page and all(f'href="/ledger/{i}?' not in page for i in cases[DEPT_B]), url
    assert f'href="/ledger/{cases[DEPT_A][0]}?' in client.get("/ledger").text


def _ledger_case(client, seeded):
    cases = _ledger_cases(client)
    assert client.get(f"/ledger/{cases[DEPT_A][0]}").status_code == 200
    token = csrf_from(client.get("/").text)
    for b in cases[DEPT_B]:
        assert client.get(f"/ledger/{b}").status_code == 404
        for action, data in (("status", {"status": "rectifying"}), ("request", {"type": "void", "reason": "x"}),
                             ("decide", {"request_id": "1", "decision": "approve"})):
            res = client.post(f"/ledger/{b}/{action}", data={"csrf_token": token, **data})
            assert res.status_code in (403, 404), (action, res.status_code)


def _api_ledger(client, seeded):
    cases = _ledger_cases(client)
    for url in ("/api/v1/ledger", f"/api/v1/ledger?dept={DEPT_B}"):
        body = client.get(url).json
        assert {c["dept_code"] for c in body["items"]} == {DEPT_A} and body["total"] == len(cases[DEPT_A]), url
    assert client.get(f"/api/v1/ledger/{cases[DEPT_B][0]}").status_code == 404
    assert client.get(f"/api/v1/ledger/{cases[DEPT_A][0]}").json["dept_code"] == DEPT_A


def _not_data(client, seeded):
    """Sign-in plumbing and static files: no department data behind them."""


TOKEN = "0" * 32
CHECKS = {
    "/": _overview,
    "/records": _explorer,
    "/records/export.<fmt>": _record_exports,
    "/tasks": _tasks,
    "/tasks/<int:task_id>": _task_detail,
    "/tasks/export/<fmt>": _task_exports,
    "/alerts": _alerts,
    "/alerts/<int:alert_id>/status": _alert_status,
    "/models": _no_data("/models"),
    "/reports/": _reports, "/reports/monthly": _reports,
    "/ingest": _forbidden("GET", "/ingest"),
    "/ingest/upload": _forbidden("POST", "/ingest/upload"),
    "/ingest/preview/<token>": _forbidden("GET", f"/ingest/preview/{TOKEN}"),
    "/ingest/confirm/<token>": _forbidden("POST", f"/ingest/confirm/{TOKEN}"),
    "/ingest/discard/<token>": _forbidden("POST", f"/ingest/discard/{TOKEN}"),
    "/ingest/preview/<token>/mapping": _forbidden("POST", f"/ingest/preview/{TOKEN}/mapping"),
    "/ingest/batches/<int:batch_id>/rejects.csv": _forbidden("GET", "/ingest/batches/{batch_id}/rejects.csv"),
    "/api/v1/me": _api_me,
    "/api/v1/records": _api_records,
    "/api/v1/tasks": _api_tasks,
    "/api/v1/tasks/<int:task_id>": _api_tasks,
    "/api/v1/alerts": _api_alerts,
    "/api/v1/overview": _api_overview,
    "/api/v1/batches": _forbidden("GET", "/api/v1/batches"),
    "/api/v1/batches/<int:batch_id>/rejects.csv": _forbidden("GET", "/api/v1/batches/{batch_id}/rejects.csv"),
    "/api/v1/openapi.json": _no_data("/api/v1/openapi.json"),
    "/api/v1/push": _api_push,
    "/api/v1/records/<int:record_id>/label": _label(api=True),
    "/records/<int:record_id>/label": _label(api=False),
    "/records/review": _review_queue, "/records/review/<int:record_id>": _label(api=False, review=True),
    "/records/review/undo/<int:label_id>": _review_undo,
    "/login": _not_data, "/logout": _not_data, "/static/<path:filename>": _not_data,
    "/static/vendor/plotly.min.js": _not_data,
    "/ledger": _ledger, "/ledger/<int:case_id>": _ledger_case, "/ledger/<int:case_id>/status": _ledger_case,
    "/ledger/<int:case_id>/request": _ledger_case, "/ledger/<int:case_id>/decide": _ledger_case,
    "/api/v1/ledger": _api_ledger, "/api/v1/ledger/<int:case_id>": _api_ledger,
}


def test_every_route_has_a_scoping_check(app):
    rules = {rule.rule for rule in app.url_map.iter_rules()}
    assert rules == set(CHECKS), f"add a department-scoping check for: {sorted(rules - set(CHECKS))}"


@pytest.mark.parametrize("user", ["viewer_a", "ops_a"])
def test_department_bound_users_see_only_their_department(client_for, seeded, user):
    client = client_for(user)
    for rule, check in CHECKS.items():
        try:
            check(client, seeded)
        except AssertionError as exc:
            raise AssertionError(f"{user} on {rule}: {exc}") from exc


def test_unbound_users_see_every_department(client_for, seeded):
    client = client_for("viewer")
    assert client.get("/api/v1/records").json["total"] == 20
    assert client.get(f"/api/v1/records?dept={DEPT_B}").json["total"] == 10
    page = client.get("/records").text
    assert A_NAME in page and B_NAME in page
