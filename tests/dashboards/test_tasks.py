"""优化任务 screens: list and detail for every role, status changes (roles, CSRF, history), department scoping,
exports (formula-neutral, scoped), and the JSON API against the page and the OpenAPI document."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from dashboards.queries.tasks import TaskFilters, task_page
from dashboards.users import audit_entries, create_user
from feedback.models import Task
from feedback.tasks.queries import task_history
from tests.dashboards.conftest import DEPT_A, DEPT_B, PASSWORD, XSS, csrf_from, login
from tests.dashboards.work_data import A_NAME, B_NAME, TEXT_B, TITLE_A, TITLE_B, TITLE_TOPIC, seed_work


@pytest.fixture
def work(engine, seeded):
    return seed_work(engine)


@pytest.mark.parametrize("user", ["admin", "ops", "pm", "viewer"])
def test_list_and_detail_render_for_every_role(client_for, work, user):
    client = client_for(user)
    page = client.get("/tasks?type=all")
    assert page.status_code == 200
    html = page.text
    assert html.index(TITLE_A) < html.index("@SUM(1+1)") < html.index(TITLE_TOPIC)  # best first
    assert 'aria-current="page">优化任务' in html
    detail = client.get(f"/tasks/{work['task-a']}")
    assert detail.status_code == 200
    d = detail.text
    assert "优先级 = 100 × (" in d and "计算方法" in d and "贡献分" in d  # components and formula
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in d and "<script>alert(1)" not in d  # comments are text
    assert 'data-figure="' in d and "处理历史" in d and "创建" in d
    assert ('id="task-form"' in d) is (user != "viewer")


def test_list_filters_live_in_the_url(client_for, work):
    client = client_for("viewer")
    html = client.get("/tasks?category=timeliness").text
    assert "@SUM(1+1)" in html and TITLE_A not in html and "共 1 项任务" in html
    html = client.get(f"/tasks?dept={DEPT_A}&dept={DEPT_B}&type=all").text
    assert TITLE_A in html and "@SUM(1+1)" in html and TITLE_TOPIC not in html
    assert TITLE_TOPIC in client.get("/tasks?category=none&type=topic").text
    assert "共 0 项任务" in client.get("/tasks?status=verified").text
    bad = client.get("/tasks?status=finished")
    assert bad.status_code == 400 and "筛选条件无效" in bad.text
    assert client.get("/tasks/999999").status_code == 404


def _change(client, task_id, **data):
    token = csrf_from(client.get(f"/tasks/{task_id}").text)
    return client.post(f"/tasks/{task_id}", data={"csrf_token": token, **data})


def test_viewer_cannot_change_a_task_and_csrf_is_required(client_for, work, engine):
    viewer = client_for("viewer")
    token = csrf_from(viewer.get("/tasks").text)
    assert viewer.post(f"/tasks/{work['task-a']}", data={"csrf_token": token, "status": "accepted"}).status_code == 403
    pm = client_for("pm")
    assert pm.post(f"/tasks/{work['task-a']}", data={"status": "accepted"}).status_code == 400  # no CSRF token
    with engine.connect() as conn:
        assert conn.execute(select(Task.status).where(Task.id == work["task-a"])).scalar_one() == "new"


@pytest.mark.parametrize("user", ["pm", "ops", "admin"])
def test_status_owner_due_and_note_write_history(client_for, work, engine, user):
    client = client_for(user)
    tid = work["task-a"]
    due = (date.today() + timedelta(days=40)).isoformat()
    res = _change(client, tid, status="accepted", owner="张三", due=due, note="先查上传接口")
    assert res.status_code == 302 and res.headers["Location"].endswith(f"/tasks/{tid}")
    page = client.get(f"/tasks/{tid}").text
    assert "已保存" in page and "张三" in page and due in page and "已受理" in page
    with engine.connect() as conn:
        history = task_history(conn, tid)
    mine = [h for h in history if h["actor"] == user]
    assert [h["action"] for h in mine] == ["status", "owner", "due"]
    assert mine[0]["from_status"] == "new" and mine[0]["to_status"] == "accepted" and mine[0]["note"] == "先查上传接口"
    with engine.connect() as conn:
        assert audit_entries(conn, action="task_change")[0]["detail"]["task_id"] == tid
    # a note on its own, and a transition the lifecycle forbids
    _change(client, tid, note="接口已定位")
    assert _change(client, tid, status="verified").status_code == 302
    page = client.get(f"/tasks/{tid}").text
    assert "不能从“已受理”直接变为“已验证”" in page and "接口已定位" in page
    _change(client, tid, status="dismissed")
    assert "需要在备注中写明理由" in client.get(f"/tasks/{tid}").text
    with engine.connect() as conn:
        assert conn.execute(select(Task.status).where(Task.id == tid)).scalar_one() == "accepted"
    assert _change(client, tid, due="2026-13-01").status_code == 400
    _change(client, tid, due="2020-01-31")  # a due date in the past is refused, in Chinese
    assert "截止日期 2020-01-31 早于今天" in client.get(f"/tasks/{tid}").text


def test_department_bound_users_see_and_change_only_their_tasks(app, work, engine):
    with engine.begin() as conn:
        create_user(conn, "pm_a", PASSWORD, "pm", DEPT_A)
    client = app.test_client()
    assert login(client, "pm_a").status_code == 302
    html = client.get("/tasks").text
    assert TITLE_A in html and "@SUM" not in html and TITLE_TOPIC not in html and B_NAME not in html
    assert "@SUM" not in client.get(f"/tasks?dept={DEPT_B}").text  # asking for B still gives A
    detail = client.get(f"/tasks/{work['task-a']}").text
    assert TEXT_B not in detail and "其他部门" in detail and B_NAME not in detail  # B's comment and name hidden
    for other in (work["task-b"], work["task-topic"]):
        assert client.get(f"/tasks/{other}").status_code == 404
        token = csrf_from(client.get("/tasks").text)
        assert client.post(f"/tasks/{other}", data={"csrf_token": token, "status": "accepted"}).status_code == 404
        assert client.get(f"/api/v1/tasks/{other}").status_code == 404
    assert _change(client, work["task-a"], status="accepted").status_code == 302
    api = client.get("/api/v1/tasks").json
    assert [t["title"] for t in api["items"]] == [TITLE_A] and api["total"] == 1
    body = client.get("/tasks/export/csv").data.decode("utf-8-sig")
    assert TITLE_A in body and "@SUM" not in body and TEXT_B not in body


def _csv_rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def test_exports_neutralise_formulas_and_follow_the_filters(client_for, work, engine):
    client = client_for("ops")
    res = client.get("/tasks/export/csv")
    assert res.status_code == 200 and res.mimetype == "text/csv" and "attachment" in res.headers["Content-Disposition"]
    rows = _csv_rows(res.data)
    assert rows[0] == ["当前筛选：任务类型：政务服务"]  # the filters the export follows head it
    assert rows[1][:4] == ["排名", "任务ID", "标题", "优先级"]
    titles = [r[2] for r in rows[2:]]
    assert titles == [TITLE_A, "'" + TITLE_B]  # @… is text, not a formula; 政务服务 tasks by default
    only_b = _csv_rows(client.get("/tasks/export/csv?category=timeliness").data)
    assert "问题类别：办理时效" in only_b[0][0] and [r[2] for r in only_b[2:]] == ["'" + TITLE_B]
    jira = _csv_rows(client.get("/tasks/export/jira").data)
    assert jira[0] == ["Summary", "Description", "Priority", "Labels", "Assignee", "Due Date"]
    assert jira[2][0] == "'" + TITLE_B
    xlsx = client.get("/tasks/export/xlsx")
    ws = load_workbook(io.BytesIO(xlsx.data)).active
    assert ws.cell(row=1, column=1).value == "当前筛选：任务类型：政务服务"
    cell = ws.cell(row=4, column=3)
    assert cell.value == "'" + TITLE_B and cell.data_type == "s"
    data = json.loads(client.get("/tasks/export/json?type=all").data)
    assert [t["title"] for t in data] == [TITLE_A, TITLE_B, TITLE_TOPIC]
    assert client.get("/tasks/export/pdf").status_code == 404
    with engine.connect() as conn:
        assert {e["detail"]["format"] for e in audit_entries(conn, action="export")} == {"csv", "jira", "xlsx", "json"}


def test_api_serves_the_page_data(client_for, work, engine):
    client = client_for("admin")
    api = client.get("/api/v1/tasks?type=all").json
    with engine.connect() as conn:
        direct = task_page(conn, TaskFilters(task_type="all"), 1, 50).as_json()
    assert api == json.loads(json.dumps(direct))
    html = client.get("/tasks?type=all").text
    for item in api["items"]:
        assert item["title"].replace("@", "") in html.replace("@", "") and f"{item['score']:.1f}" in html
    detail = client.get(f"/api/v1/tasks/{work['task-a']}").json
    page = client.get(f"/tasks/{work['task-a']}").text
    assert detail["formula"].splitlines()[0].replace("×", "&times;") in page or \
        detail["formula"].splitlines()[0] in page
    assert sum(r["points"] for r in detail["component_rows"] if r["points"] is not None) == pytest.approx(
        detail["score"], abs=0.1)
    assert detail["evidence"][0]["text"] == XSS and detail["history"][0]["action"] == "created"
    assert detail["transitions"] == ["accepted", "dismissed", "in_progress"]
    assert client.get("/api/v1/tasks?status=bogus").status_code == 400
    assert client.get(f"/api/v1/tasks?dept={DEPT_A}").json["items"][0]["department"] == A_NAME


def test_task_and_alert_api_responses_match_the_openapi_document(client_for, work):
    jsonschema = pytest.importorskip("jsonschema")
    from tests.dashboards.api.test_api import _schema_for

    client = client_for("admin")
    doc = client.get("/api/v1/openapi.json").json
    for name in ("TaskSummary", "TaskDetail", "Alert"):
        jsonschema.Draft202012Validator.check_schema(doc["components"]["schemas"][name])
    cases = [("/tasks", "/api/v1/tasks?per_page=2", 200), ("/tasks", "/api/v1/tasks?status=x", 400),
             ("/tasks", "/api/v1/tasks?type=topic", 200), ("/tasks", "/api/v1/tasks?type=city", 400),
             ("/tasks/{task_id}", f"/api/v1/tasks/{work['task-a']}", 200),
             ("/tasks/{task_id}", f"/api/v1/tasks/{work['task-topic']}", 200),
             ("/tasks/{task_id}", "/api/v1/tasks/999999", 404),
             ("/alerts", "/api/v1/alerts", 200), ("/alerts", "/api/v1/alerts?rule=x", 400)]
    for path, url, code in cases:
        response = client.get(url)
        assert response.status_code == code, url
        jsonschema.validate(response.json, _schema_for(doc, path, code), cls=jsonschema.Draft202012Validator)


def test_task_types_apart_on_the_page_the_api_and_the_exports(client_for, work):
    client = client_for("admin")
    html = client.get("/tasks").text  # 政务服务 first, by default
    assert TITLE_A in html and TITLE_TOPIC not in html and 'id="task-types"' in html
    topics = client.get("/tasks?type=topic").text
    assert TITLE_TOPIC in topics and TITLE_A not in topics and "共 1 项任务" in topics
    assert '<td class="num rank" data-label="排名">1</td>' in topics  # ranked within its type, not 3rd of all
    for url in ("/tasks?type=city", "/api/v1/tasks?type=city", "/tasks/export/csv?type=city"):
        bad = client.get(url)
        assert bad.status_code == 400 and "任务类型" in bad.get_data(as_text=True), url
    api = client.get("/api/v1/tasks?type=topic").json
    assert [(t["title"], t["position"], t["rank"], t["type"]) for t in api["items"]] == [(TITLE_TOPIC, 1, 3, "topic")]
    assert [t["title"] for t in client.get("/api/v1/tasks").json["items"]] == [TITLE_A, TITLE_B]
    rows = _csv_rows(client.get("/tasks/export/csv?type=topic").data)
    assert rows[0] == ["当前筛选：任务类型：12345 话题"] and [(r[0], r[2]) for r in rows[2:]] == [("1", TITLE_TOPIC)]
    found = _csv_rows(client.get("/tasks/export/csv?type=all&q=换领身份证").data)
    assert [r[2] for r in found[2:]] == ["'" + TITLE_B]
    detail = client.get(f"/api/v1/tasks/{work['task-topic']}").json
    assert detail["position"] == 1 and "12345 话题任务中排第 1 名" in detail["explanation"]


def test_exports_keep_owner_and_due_date_and_lay_out_the_workbook(client_for, work):
    client = client_for("pm")
    due = (date.today() + timedelta(days=30)).isoformat()  # a due date in the past is refused
    _change(client, work["task-b"], status="accepted", owner="李四", due=due)
    jira = _csv_rows(client.get("/tasks/export/jira?status=accepted").data)
    assert [r[0] for r in jira[1:]] == ["'" + TITLE_B]
    assert dict(zip(jira[0], jira[1], strict=True))["Assignee"] == "李四"
    assert dict(zip(jira[0], jira[1], strict=True))["Due Date"] == due
    ws = load_workbook(io.BytesIO(client.get("/tasks/export/xlsx?type=all").data)).active
    assert ws.cell(row=1, column=1).value == "当前筛选：任务类型：全部"  # the filters followed, above the header
    header = [c.value for c in ws[2]]
    score = ws.cell(row=3, column=header.index("优先级") + 1)
    assert score.value == 60.0 and score.number_format == "0.0" and score.data_type == "n"
    assert ws.freeze_panes == "A3" and ws.auto_filter.ref == f"A2:{ws.cell(row=2, column=len(header)).column_letter}5"
    assert ws.column_dimensions["C"].width >= 40  # the title column is wide
    assert ws.max_row == 5


def test_a_topics_heat_shows_on_its_page_only_when_stored(client_for, work, engine):
    from sqlalchemy import update

    client = client_for("admin")
    assert 'id="heat"' not in client.get(f"/tasks/{work['task-topic']}").text  # no heat stored: nothing shown
    heat = {"score": 57.3, "components": {"volume": {"value": 12, "points": 10.2},
                                          "support": {"value": 1757, "points": 19.6}}}
    with engine.begin() as conn:
        conn.execute(update(Task).where(Task.id == work["task-topic"]).values(metrics=json.dumps({"heat": heat})))
    html = client.get(f"/tasks/{work['task-topic']}").text
    assert 'id="heat"' in html and "热度 57.3" in html and "1757 个点赞" in html and "19.6" in html
    assert client.get(f"/api/v1/tasks/{work['task-topic']}").json["heat"]["score"] == 57.3


def test_the_list_pages_twenty_tasks_with_positions_that_continue(client_for, work, engine):
    from sqlalchemy import insert

    from tests.dashboards.work_data import _task

    with engine.begin() as conn:
        conn.execute(insert(Task), [_task(f"extra-{i}", f"事项{i:02d} — 办理时效", 10 + i, None, [], score=40.0 - i * 0.1)
                                    for i in range(25)])
    client = client_for("viewer")
    first = client.get("/tasks").text
    assert first.count('<td class="num rank" data-label="排名">') == 20 and "共 27 项任务，每页 20 项，共 2 页" in first
    second = client.get("/tasks?page=2").text
    assert [int(x) for x in re.findall(r'<td class="num rank" data-label="排名">(\d+)</td>', second)] == list(range(21, 28))



def test_a_task_past_its_due_date_is_marked_overdue_and_can_be_listed_alone(app, client_for, work, engine):
    """A due date that has passed while the work is pending (新建 … 已重开) marks the task 逾期 N 天 on the list,
    its page, the API and the exports, and 只看逾期 (``overdue=1``) keeps those alone; a shipped task past its due
    date is not overdue (its fix is out), and a department-bound user sees only their own."""
    from sqlalchemy import update

    from feedback.clock import local_now

    today = local_now(app.extensions["haocha"].settings.ingest.timezone).date()  # the page's day
    with engine.begin() as conn:  # due dates set weeks ago (the form refuses a day in the past)
        for key, days, status in (("task-a", 9, "new"), ("task-b", 3, "in_progress"), ("task-topic", 20, "shipped")):
            conn.execute(update(Task).where(Task.id == work[key])
                         .values(due_date=today - timedelta(days=days), status=status))
    client = client_for("admin")
    html = client.get("/tasks?type=all").text
    assert "逾期 9 天" in html and "逾期 3 天" in html and html.count('class="row-late"') == 2
    only = client.get("/tasks?type=all&overdue=1").text
    assert "共 2 项任务" in only and TITLE_TOPIC not in only and "只看逾期：是" in only
    assert 'name="overdue" value="1" checked' in only and 'id="late-tasks"' not in only
    notice = re.search(r'id="late-tasks">(.*?)</p>', client.get("/tasks").text).group(1)  # the 政务服务 tab
    assert notice.startswith("2 项任务已过截止日期仍未上线（政务服务 2，12345 话题 0）")
    assert 'href="/tasks?type=all&amp;overdue=1"' in notice
    assert 'id="task-overdue"' in client.get(f"/tasks/{work['task-a']}").text
    assert 'id="task-overdue"' not in client.get(f"/tasks/{work['task-topic']}").text
    api = client.get("/api/v1/tasks?type=all").json["items"]
    assert {t["title"]: t["overdue_days"] for t in api} == {TITLE_A: 9, TITLE_B: 3, TITLE_TOPIC: None}
    assert [t["title"] for t in client.get("/api/v1/tasks?type=topic&overdue=1").json["items"]] == []
    assert client.get(f"/api/v1/tasks/{work['task-a']}").json["overdue_days"] == 9
    rows = _csv_rows(client.get("/tasks/export/csv?type=all").data)
    col = rows[1].index("逾期天数")
    assert [(r[2], r[col]) for r in rows[2:]] == [(TITLE_A, "9"), ("'" + TITLE_B, "3"), (TITLE_TOPIC, "")]
    assert [r[2] for r in _csv_rows(client.get("/tasks/export/csv?overdue=1").data)[2:]] == [TITLE_A, "'" + TITLE_B]
    badge = re.compile(r'<span class="nav-badge" title="逾期任务 (\d+) 项">(\d+)</span>')
    assert badge.findall(client.get("/records").text) == [("2", "2")]  # announced on every page
    bound = client_for("viewer_a")
    assert [t["title"] for t in bound.get("/api/v1/tasks?overdue=1").json["items"]] == [TITLE_A]
    assert "逾期 3 天" not in bound.get("/tasks?overdue=1").text
    assert badge.findall(bound.get("/").text) == [("1", "1")]  # department A's own
    _change(client, work["task-a"], status="accepted")  # accepted: still pending, still overdue
    assert client.get(f"/api/v1/tasks/{work['task-a']}").json["overdue_days"] == 9
    _change(client, work["task-a"], status="shipped")  # the fix is out: no longer overdue
    assert [t["title"] for t in client.get("/api/v1/tasks?overdue=1").json["items"]] == [TITLE_B]
    assert not badge.findall(bound.get("/").text)  # none of department A's is overdue now
