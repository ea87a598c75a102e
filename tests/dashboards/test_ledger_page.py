"""整改台账 screens: list, filters and overdue flags, every action through the HTML forms (CSRF, roles, Chinese
refusals), approvals, voided 差评 kept visible with the ruling, department scoping, escaped comments, the API
against the OpenAPI document, and the overdue badge of the navigation."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select, update

from dashboards.queries.ledger import LedgerFilters, ledger_page, overdue_count
from dashboards.users import audit_entries
from feedback import ledger
from feedback.clock import local_now
from feedback.models import LedgerCase, LedgerRequest
from tests.dashboards.conftest import DEPT_A, DEPT_B, XSS, csrf_from

jsonschema = pytest.importorskip("jsonschema", reason="jsonschema is needed to validate against the OpenAPI doc")


@pytest.fixture
def cases(engine, seeded):
    """Cases for the seeded 差评 (non-default ratings at level 1-2: five in department A, two in B; the default
    ratings at level 1 get none). Every deadline is in March 2026, so all are overdue today, except case 'fresh'
    whose deadlines are moved into the future."""
    with engine.begin() as conn:
        assert ledger.sync_cases(conn, now=datetime(2026, 3, 2, 8)) == 7
        rows = conn.execute(select(LedgerCase.id, LedgerCase.dept_code, LedgerCase.level, LedgerCase.record_id)
                            .order_by(LedgerCase.id)).all()
        by_dept = {DEPT_A: [r.id for r in rows if r.dept_code == DEPT_A], DEPT_B: [r.id for r in rows
                                                                                   if r.dept_code == DEPT_B]}
        fresh = by_dept[DEPT_A][-1]
        later = date.today() + timedelta(days=30)
        conn.execute(update(LedgerCase).where(LedgerCase.id == fresh).values(verify_due=later, rectify_due=later))
    xss = by_dept[DEPT_A][0]  # record 0: the XSS comment, department A
    assert len(by_dept[DEPT_A]) == 5 and len(by_dept[DEPT_B]) == 2
    return {"a": by_dept[DEPT_A], "b": by_dept[DEPT_B], "xss": xss, "fresh": fresh, "n": len(rows),
            "late_a": [c for c in by_dept[DEPT_A] if c != fresh]}


def _post(client, case_id: int, action: str, **data):
    token = csrf_from(client.get(f"/ledger/{case_id}").text)
    return client.post(f"/ledger/{case_id}/{action}", data={"csrf_token": token, **data})


def _status(engine, case_id: int) -> str:
    with engine.connect() as conn:
        return conn.execute(select(LedgerCase.status).where(LedgerCase.id == case_id)).scalar_one()


def _ids(html: str) -> list[int]:
    return [int(m) for m in re.findall(r'href="/ledger/(\d+)\?', html)][::2]  # two links per row


def test_list_shows_counts_overdue_flags_and_sorts_overdue_first(client_for, cases):
    client = client_for("viewer")
    page = client.get("/ledger")
    assert page.status_code == 200
    html = page.text
    assert 'aria-current="page">整改台账' in html
    n = cases["n"]
    assert f"共 {n} 件工单" in html
    ids = _ids(html)
    assert sorted(ids) == sorted(cases["a"] + cases["b"]) and ids[-1] == cases["fresh"]  # not overdue: last
    # every late case is still 待核实: the label names that step (核实超期), never 整改超期
    assert html.count('class="late-badge"') == n - 1 and "超期 " in html and "核实超期" in html
    assert "整改超期" not in html
    counts = re.search(r'id="ledger-counts".*?</div>\s*</div>\s*</div>', html, re.S).group(0)
    assert [int(v.replace(",", "")) for v in re.findall(r'card-value[^"]*">([\d,]+)<', counts)] == [n, n - 1, 0, 0]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert(1)" not in html
    assert 'class="nav-badge"' in html and re.search(rf'class="nav-badge"[^>]*>{n - 1}<', html)


def test_filters_status_overdue_dept_and_dates(client_for, cases, engine):
    client, n = client_for("admin"), cases["n"]
    assert _ids(client.get("/ledger?overdue=1").text) == _ids(client.get("/ledger").text)[:n - 1]
    assert cases["fresh"] not in _ids(client.get("/ledger?overdue=1").text)
    assert sorted(_ids(client.get(f"/ledger?dept={DEPT_B}").text)) == cases["b"]
    assert _ids(client.get("/ledger?status=整改中").text) == []
    assert len(_ids(client.get("/ledger?status=pending_verify").text)) == n
    assert _ids(client.get("/ledger?start=2026-03-01&end=2026-03-01").text) != []
    assert _ids(client.get("/ledger?start=2026-04-01").text) == []
    bad = client.get("/ledger?status=finished")
    assert bad.status_code == 400 and "筛选条件无效" in bad.text
    assert client.get("/ledger?start=yesterday").status_code == 400
    with engine.connect() as conn:  # paging, the overdue ones first, most days late first
        first = ledger_page(conn, LedgerFilters(), 1, n - 2, local_now())
        second = ledger_page(conn, LedgerFilters(), 2, n - 2, local_now())
    assert first.has_next and not second.has_next and first.total == n and len(second.items) == 2
    days = [i["overdue_days"] for i in first.items + second.items]
    assert all(d > 0 for d in days[:-1]) and days[-1] == 0 and second.items[-1]["id"] == cases["fresh"]
    assert days[:-1] == sorted(days[:-1], reverse=True)


def test_walk_a_case_through_every_status_with_csrf_forms(client_for, cases, engine):
    client = client_for("ops")
    cid = cases["late_a"][0]
    detail = client.get(f"/ledger/{cid}").text
    assert 'id="status-form"' in detail and '<option value="rectifying">整改中</option>' in detail
    assert '<option value="closed">' not in detail  # only the allowed moves are offered
    for target in ("rectifying", "rectified", "replied"):
        res = _post(client, cid, "status", status=target, note=f"做了 {target}")
        assert res.status_code == 302 and _status(engine, cid) == target
    page = client.get(f"/ledger/{cid}").text
    assert "已保存：状态 → 已反馈" in page and 'id="revisit-form"' in page
    res = _post(client, cid, "status", status="revisited")  # no satisfaction
    assert res.status_code == 302 and _status(engine, cid) == "replied"
    assert "必须填写群众对整改结果的满意度" in client.get(f"/ledger/{cid}").text
    assert _post(client, cid, "status", status="revisited", satisfaction="4").status_code == 302
    assert _post(client, cid, "status", status="closed").status_code == 302
    with engine.connect() as conn:
        case = conn.execute(select(LedgerCase.__table__).where(LedgerCase.id == cid)).one()
        history = ledger.history(conn, cid)
        audit = audit_entries(conn, limit=50)
    assert case.status == "closed" and case.satisfaction == 4
    assert list(history["to_status"]) == ["pending_verify", "rectifying", "rectified", "replied", "revisited",
                                          "closed"]
    assert set(history["actor"][1:]) == {"ops"}
    page = client.get(f"/ledger/{cid}").text
    assert "满意（4/5）" in page and "做了 rectifying" in page and "工单已关闭，没有后续状态" in page
    changes = [a for a in audit if a["action"] == "ledger_status"]
    assert len(changes) == 5 and all(a["username"] == "ops" for a in changes)
    counts = client.get("/ledger").text
    assert re.search(r"本月关闭</div><div class=\"card-value\">1<", counts)


def test_illegal_transition_is_a_chinese_message_not_an_error(client_for, cases, engine):
    client = client_for("pm")
    cid = cases["late_a"][0]
    res = _post(client, cid, "status", status="closed")
    assert res.status_code == 302 and _status(engine, cid) == "pending_verify"
    page = client.get(f"/ledger/{cid}").text
    assert "未保存：不能从“待核实”变为“关闭”；当前可以变为：整改中、已整改" in page
    assert _post(client, cid, "status", status="voided").status_code == 302  # needs an approved request
    assert "不能从“待核实”变为“差评无效”" in client.get(f"/ledger/{cid}").text
    assert _post(client, cid, "status", status="nonsense").status_code == 400
    assert _post(client, cid, "status", status="rectifying", satisfaction="9").status_code == 400


def test_forms_need_csrf_and_viewers_cannot_change(client_for, cases, engine):
    cid = cases["late_a"][0]
    ops = client_for("ops")
    assert ops.post(f"/ledger/{cid}/status", data={"status": "rectifying"}).status_code == 400
    assert ops.post(f"/ledger/{cid}/request", data={"type": "extend", "reason": "x"}).status_code == 400
    viewer = client_for("viewer")
    page = viewer.get(f"/ledger/{cid}").text
    assert "只读账号可以查看工单" in page and 'id="status-form"' not in page
    token = csrf_from(page)
    assert viewer.post(f"/ledger/{cid}/status", data={"csrf_token": token, "status": "rectifying"}).status_code == 403
    assert viewer.post(f"/ledger/{cid}/request",
                       data={"csrf_token": token, "type": "void", "reason": "误评"}).status_code == 403
    assert _status(engine, cid) == "pending_verify"


def test_extension_request_and_approval_roles(client_for, cases, engine):
    cid = cases["late_a"][0]
    ops_a = client_for("ops_a")  # department-bound: may file, may not decide
    assert _post(ops_a, cid, "request", type="extend", reason="").status_code == 302
    assert "提出申请必须写明理由" in ops_a.get(f"/ledger/{cid}").text
    assert _post(ops_a, cid, "request", type="extend", extra_days="0", reason="需协调").status_code == 400
    assert _post(ops_a, cid, "request", type="extend", extra_days="5", reason="需协调住建部门").status_code == 302
    with engine.connect() as conn:
        req = conn.execute(select(LedgerRequest.__table__).where(LedgerRequest.case_id == cid)).one()
        due_before = conn.execute(select(LedgerCase.rectify_due).where(LedgerCase.id == cid)).scalar_one()
    assert req.status == "pending" and req.extra_days == 5 and req.requested_by == "ops_a"
    assert _post(ops_a, cid, "request", type="extend", reason="再来一次").status_code == 302
    assert "已有待审批的延期申请" in ops_a.get(f"/ledger/{cid}").text
    page = ops_a.get(f"/ledger/{cid}").text
    assert 'id="decide-form"' not in page and "由未绑定部门的管理员或运营人员审批" in page
    assert _post(ops_a, cid, "decide", request_id=req.id, decision="approve").status_code == 403
    assert _post(client_for("pm"), cid, "decide", request_id=req.id, decision="approve").status_code == 403
    ops = client_for("ops")
    assert 'id="decide-form"' in ops.get(f"/ledger/{cid}").text
    assert ops.post(f"/ledger/{cid}/decide", data={"request_id": req.id, "decision": "approve"}).status_code == 400
    assert _post(ops, cid, "decide", request_id=req.id, decision="approve", note="同意").status_code == 302
    with engine.connect() as conn:
        case = conn.execute(select(LedgerCase.__table__).where(LedgerCase.id == cid)).one()
        audit = [a for a in audit_entries(conn, limit=50) if a["action"].startswith("ledger_")]
    assert case.extended_days == 5 and case.rectify_due > due_before
    assert {a["action"] for a in audit} == {"ledger_request", "ledger_decide"}
    page = ops.get(f"/ledger/{cid}").text
    assert "已通过延期申请" in page and "整改期限延长5个工作日" in page and "已延期 5 个工作日" in page
    assert _post(ops, cid, "decide", request_id=req.id, decision="reject").status_code == 302
    assert "该申请已经审批过了" in ops.get(f"/ledger/{cid}").text
    other = cases["late_a"][1]  # a request of another case cannot be decided through this one
    assert _post(ops, other, "decide", request_id=req.id, decision="approve").status_code == 404


def test_voided_bad_rating_stays_visible_with_its_ruling(client_for, cases, engine):
    cid = cases["xss"]
    pm = client_for("pm")
    assert _post(pm, cid, "request", type="void", reason="评价人误操作，已电话确认").status_code == 302
    with engine.connect() as conn:
        rid = conn.execute(select(LedgerRequest.id).where(LedgerRequest.case_id == cid)).scalar_one()
    admin = client_for("admin")
    assert _post(admin, cid, "decide", request_id=rid, decision="approve", note="证据充分").status_code == 302
    assert _status(engine, cid) == "voided"
    page = admin.get(f"/ledger/{cid}").text
    assert 'id="ruling"' in page and "差评无效裁定" in page and "证据充分" in page and "评价人误操作" in page
    assert "该差评仍保留在台账" in page and 'id="status-form"' not in page
    listing = admin.get("/ledger").text
    assert f'href="/ledger/{cid}?' in listing and "裁定：差评无效" in listing
    assert re.search(r"申诉认定无效</div><div class=\"card-value\">1<", listing)
    assert cid in _ids(admin.get("/ledger?status=voided").text)


def test_department_user_sees_and_changes_only_its_cases(client_for, cases, engine):
    client = client_for("ops_a")
    html = client.get(f"/ledger?dept={DEPT_B}").text  # asking for B still shows A only
    assert sorted(_ids(html)) == sorted(cases["a"])
    assert re.search(rf'class="nav-badge"[^>]*>{len(cases["late_a"])}<', html)  # department A's overdue cases
    b = cases["b"][0]
    assert client.get(f"/ledger/{b}").status_code == 404
    token = csrf_from(client.get(f"/ledger/{cases['a'][0]}").text)
    assert client.post(f"/ledger/{b}/status", data={"csrf_token": token, "status": "rectifying"}).status_code == 404
    assert client.post(f"/ledger/{b}/request",
                       data={"csrf_token": token, "type": "void", "reason": "x"}).status_code == 404
    assert _status(engine, b) == "pending_verify"
    assert client.get(f"/api/v1/ledger/{b}").status_code == 404
    api = client.get(f"/api/v1/ledger?dept={DEPT_B}").json
    assert {i["dept_code"] for i in api["items"]} == {DEPT_A} and api["counts"]["all"] == len(cases["a"])
    with engine.connect() as conn:
        assert overdue_count(conn, DEPT_A, date.today()) == len(cases["late_a"])
        assert overdue_count(conn, None, date.today()) == cases["n"] - 1


def test_comment_text_is_escaped_on_the_case_page(client_for, cases):
    page = client_for("admin").get(f"/ledger/{cases['xss']}").text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and XSS not in page and "<img src=x" not in page


def _schema_for(doc: dict, path: str, code: int) -> dict:
    schema = dict(doc["paths"][path]["get"]["responses"][str(code)]["content"]["application/json"]["schema"])
    schema["components"] = doc["components"]
    return schema


def test_api_matches_the_page_and_the_openapi_document(app, client_for, cases, engine):
    client = client_for("admin")
    cid = cases["late_a"][0]
    _post(client, cid, "request", type="extend", extra_days="3", reason="材料待补")
    _post(client, cid, "status", status="rectifying", note="已联系")
    doc = client.get("/api/v1/openapi.json").json
    checks = [
        (client, "/ledger", "/api/v1/ledger", 200),
        (client, "/ledger", "/api/v1/ledger?overdue=1&status=待核实&status=rectifying&per_page=2", 200),
        (client, "/ledger", "/api/v1/ledger?status=nope", 400),
        (client, "/ledger/{case_id}", f"/api/v1/ledger/{cid}", 200),
        (client, "/ledger/{case_id}", f"/api/v1/ledger/{cases['xss']}", 200),
        (client, "/ledger/{case_id}", "/api/v1/ledger/999999", 404),
        (app.test_client(), "/ledger", "/api/v1/ledger", 401),
    ]
    for who, path, url, code in checks:
        response = who.get(url)
        assert response.status_code == code, url
        jsonschema.validate(response.json, _schema_for(doc, path, code), cls=jsonschema.Draft202012Validator)
    listing = client.get("/api/v1/ledger").json
    assert [i["id"] for i in listing["items"]] == _ids(client.get("/ledger").text)
    n = cases["n"]
    assert listing["counts"] == {"open": n, "overdue": n - 1, "closed_this_month": 0, "voided": 0, "all": n}
    detail = client.get(f"/api/v1/ledger/{cid}").json
    assert detail["status"] == "rectifying" and [n["code"] for n in detail["next_statuses"]] == ["rectified"]
    assert [h["action"] for h in detail["history"]] == ["open", "request", "transition"]
    assert detail["pending_requests"][0]["extra_days"] == 3
    assert client.get(f"/api/v1/ledger/{cases['xss']}").json["record"]["text"] == XSS  # JSON carries text as data


def test_a_case_rectified_after_its_deadline_says_so(client_for, cases, engine):
    """Once rectified a case no longer counts as overdue, but its page must not call a late fix 未超期."""
    client = client_for("ops")
    late, fresh = cases["late_a"][0], cases["fresh"]
    for case_id in (late, fresh):
        for status in ("rectifying", "rectified"):
            assert _post(client, case_id, "status", status=status).status_code == 302
    head = client.get(f"/ledger/{late}").text.split('class="task-state"', 1)[1].split("</div></div>", 1)[0]
    assert "逾期整改（期限 2026-03-" in head and "未超期" not in head
    head = client.get(f"/ledger/{fresh}").text.split('class="task-state"', 1)[1].split("</div></div>", 1)[0]
    assert "未超期" in head and "逾期整改" not in head
