"""POST /api/v1/push: token auth and roles, the ETL's validation and rejects, idempotency, department scoping,
size limit, malformed bodies, and the later stages running after a push (and after an upload)."""

from __future__ import annotations

import io
import json

import pytest
from sqlalchemy import func, select

from dashboards.actions import jobs
from dashboards.api.openapi import document
from feedback.models import AuditLog, Batch, LedgerCase, Record, Reject, RollupDaily, Score
from feedback.pipeline import Stage, run_stages
from feedback.settings import DashboardSettings as DashboardOptions
from tests.dashboards.conftest import DEPT_A, DEPT_B, csrf_from

jsonschema = pytest.importorskip("jsonschema", reason="jsonschema is needed to validate against the OpenAPI doc")


def _rating(i: int, **over) -> dict:
    """One record of the national report interface, as a platform sends it (numbers as numbers)."""
    r = {"projectNo": f"PUSH{i:05d}", "taskCode": "T0001", "taskName": "社保卡申领", "deptCode": DEPT_A,
         "proDepart": "市人力资源和社会保障局", "areaCode": "439902", "pf": 2, "satisfaction": 5 - i % 5,
         "evalDetail": "110,209" if i % 5 >= 3 else "517", "writingEvaluation": f"第{i}次来办，材料准备了很久",
         "assessTime": f"2026-03-{1 + i % 28:02d} 10:{i % 60:02d}:00", "assessNumber": 1, "userProp": 1,
         "certKeyGOV": f"43990219900101{i:04d}"}
    r.update(over)
    return r


def _body(records, batch_id="b-0001", profile="national") -> dict:
    return {"profile": profile, "batch_id": batch_id, "records": records}


@pytest.fixture
def schema():
    doc = document()

    def of(name: str) -> dict:
        return {"$ref": f"#/components/schemas/{name}", "components": doc["components"]}

    return of


def _count(engine, model, *where) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


def test_push_needs_a_token_and_the_push_capability(app, token_for):
    client = app.test_client()
    body = _body([_rating(1)])
    assert client.post("/api/v1/push", json=body).status_code in (400, 401)  # no session: CSRF or 401
    response = client.post("/api/v1/push", json=body, headers={"Authorization": "Bearer hc_wrong"})
    assert response.status_code == 401 and response.json["error"] == "unauthorized"
    for name in ("viewer", "pm"):
        response = client.post("/api/v1/push", json=body, headers=token_for(name))
        assert response.status_code == 403, name
    assert app.test_client().post("/api/v1/push", json=body, headers=token_for("ops")).status_code == 201


def test_session_push_needs_csrf(client_for):
    client = client_for("ops")
    body = _body([_rating(1)])
    assert client.post("/api/v1/push", json=body).status_code == 400  # the cookie alone is not enough
    token = csrf_from(client.get("/ingest").text)
    assert client.post("/api/v1/push", json=body, headers={"X-CSRFToken": token}).status_code == 201


def test_good_batch_loads_and_answers_counts(app, engine, token_for, schema):
    records = [_rating(i) for i in range(30)]
    response = app.test_client().post("/api/v1/push", json=_body(records), headers=token_for("ops"))
    assert response.status_code == 201, response.json
    body = response.json
    jsonschema.validate(body, schema("PushResult"), cls=jsonschema.Draft202012Validator)
    assert (body["read"], body["loaded"], body["duplicate"], body["rejected"]) == (30, 30, 0, 0)
    assert body["replayed"] is False and body["client_batch_id"] == "b-0001" and body["profile"] == "national"
    with engine.connect() as conn:
        batch = conn.execute(select(Batch).where(Batch.id == body["batch_id"])).one()
        stored = conn.execute(select(Record).where(Record.record_key == "PUSH00003#1")).one()
    assert batch.status == "done" and batch.file_name == "push:ops:b-0001" and batch.loaded == 30
    # the same mapping as a file: platform levels, channel codes, hashed identity, tags
    assert (stored.level, stored.channel, stored.tags, stored.dept_code) == (2, "mobile", "110,209", DEPT_A)
    assert stored.evaluator_hash and "4399021990" not in (stored.evaluator_hash or "")
    assert _count(engine, AuditLog, AuditLog.action == "push") == 1


def test_bad_rows_are_rejected_with_index_column_and_reason(app, engine, token_for, schema):
    records = [_rating(0), _rating(1, satisfaction=9), _rating(2, assessTime="昨天下午"), _rating(3, projectNo=""),
               "not an object", {}, _rating(6, areaCode="12AB"), _rating(7)]
    response = app.test_client().post("/api/v1/push", json=_body(records), headers=token_for("admin"))
    assert response.status_code == 201
    body = response.json
    jsonschema.validate(body, schema("PushResult"), cls=jsonschema.Draft202012Validator)
    assert (body["read"], body["loaded"], body["rejected"]) == (8, 2, 6)
    by_index = {r["index"]: r for r in body["rejects"]}
    assert sorted(by_index) == [1, 2, 3, 4, 5, 6]
    assert by_index[1]["column"] == "satisfaction" and "不是有效的满意度" in by_index[1]["reason"]
    assert by_index[2]["column"] == "assessTime" and "日期时间" in by_index[2]["reason"]
    assert by_index[3]["column"] == "projectNo" and "为空" in by_index[3]["reason"]
    assert by_index[4]["column"] is None and "不是对象" in by_index[4]["reason"]
    assert "没有任何字段值" in by_index[5]["reason"]
    assert by_index[6]["column"] == "areaCode"
    with engine.connect() as conn:  # recorded like a file's rejects: row = index + 1, raw row de-identified
        stored = conn.execute(select(Reject.row_number, Reject.column, Reject.raw)
                              .where(Reject.batch_id == body["batch_id"]).order_by(Reject.row_number)).all()
    assert [r.row_number for r in stored] == [2, 3, 4, 5, 6, 7]
    assert stored[0].column == "satisfaction"
    assert "43990219900101" not in stored[0].raw and "***" in stored[0].raw


def test_resending_is_idempotent(app, engine, token_for):
    client, auth = app.test_client(), token_for("ops")
    records = [_rating(i) for i in range(10)] + [_rating(10, satisfaction=0)]
    first = client.post("/api/v1/push", json=_body(records), headers=auth).json
    counts = (_count(engine, Record), _count(engine, Batch), _count(engine, Reject))
    again = client.post("/api/v1/push", json=_body(records), headers=auth)
    assert again.status_code == 200 and again.json["replayed"] is True
    for key in ("batch_id", "read", "loaded", "duplicate", "rejected", "rejects"):
        assert again.json[key] == first[key], key
    assert (_count(engine, Record), _count(engine, Batch), _count(engine, Reject)) == counts
    # the same records under a new batch_id: a new batch, every record a duplicate by its natural key
    other = client.post("/api/v1/push", json=_body(records, batch_id="b-0002"), headers=auth).json
    assert other["replayed"] is False and other["batch_id"] != first["batch_id"]
    assert (other["loaded"], other["duplicate"], other["rejected"]) == (0, 10, 1)
    assert _count(engine, Record) == counts[0]
    # a 追评 (assessNumber 2) of the same 办件 is its own record
    follow = client.post("/api/v1/push", json=_body([_rating(1, assessNumber=2)], "b-0003"), headers=auth).json
    assert follow["loaded"] == 1


def test_a_batch_id_reused_for_other_records_is_refused(app, engine, token_for):
    """A resend must carry the same records (key order and spacing aside); other records under the same batch_id
    are refused with 409 and nothing is stored, instead of being answered with the first batch's result."""
    client, auth = app.test_client(), token_for("ops")
    records = [_rating(i) for i in range(5)]
    first = client.post("/api/v1/push", json=_body(records), headers=auth)
    assert first.status_code == 201
    counts = (_count(engine, Record), _count(engine, Batch))
    changed = records[:4] + [_rating(99)]
    conflict = client.post("/api/v1/push", json=_body(changed), headers=auth)
    assert conflict.status_code == 409 and "b-0001" in conflict.json["message"] and "内容不同" in conflict.json["message"]
    assert (_count(engine, Record), _count(engine, Batch)) == counts
    reordered = [dict(reversed(list(r.items()))) for r in records]  # same records, keys in another order
    again = client.post("/api/v1/push", data=json.dumps(_body(reordered), indent=2), headers=auth,
                        content_type="application/json")
    assert again.status_code == 200 and again.json["replayed"] is True
    # the key is per account: another account may use the same batch_id for its own records (its own source)
    other = client.post("/api/v1/push", json=_body(changed), headers=token_for("admin"))
    assert other.status_code == 201 and other.json["loaded"] == 5 and other.json["source"] == "push-admin"


def test_department_bound_token_pushes_only_its_department(app, engine, token_for):
    records = [_rating(0), _rating(1, deptCode=DEPT_B), _rating(2, deptCode=None), _rating(3)]
    body = app.test_client().post("/api/v1/push", json=_body(records), headers=token_for("ops_a")).json
    assert (body["loaded"], body["rejected"]) == (2, 2)
    reasons = {r["index"]: r for r in body["rejects"]}
    assert reasons[1]["column"] == "deptCode" and DEPT_A in reasons[1]["reason"] and DEPT_B in reasons[1]["reason"]
    assert reasons[2]["column"] == "deptCode" and "为空" in reasons[2]["reason"]
    with engine.connect() as conn:
        depts = set(conn.execute(select(Record.dept_code)).scalars())
    assert depts == {DEPT_A}


@pytest.mark.parametrize("options", [DashboardOptions(push_max_kb=4)])
def test_oversize_body_is_413(app, engine, token_for, options):
    records = [_rating(i) for i in range(40)]  # about 16 KB
    response = app.test_client().post("/api/v1/push", json=_body(records), headers=token_for("ops"))
    assert response.status_code == 413
    assert "4 KB" in response.json["message"] and "push_max_kb" in response.json["message"]
    assert _count(engine, Batch) == 0
    small = app.test_client().post("/api/v1/push", json=_body([_rating(1)]), headers=token_for("ops"))
    assert small.status_code == 201


@pytest.mark.parametrize("payload, expected", [
    (b"{not json", "不是有效的 JSON"),
    (b"[1, 2]", "必须是 JSON 对象"),
    (json.dumps({"profile": "national", "records": [{}]}).encode(), "缺少字段：batch_id"),
    (json.dumps({"profile": "national", "batch_id": "x", "records": []}).encode(), "非空"),
    (json.dumps({"profile": "national", "batch_id": "../x", "records": [{"a": 1}]}).encode(), "batch_id"),
    (json.dumps({"profile": "nope", "batch_id": "x", "records": [_rating(1)]}).encode(), "没有名为“nope”的来源配置"),
    (json.dumps({"profile": "national", "batch_id": "x", "records": [{"projectNo": "P1"}]}).encode(),
     "缺少列"),
    (json.dumps(_body([_rating(1)]) | {"extra": 1}).encode(), "未知字段：extra"),
])
def test_malformed_requests_are_400_with_a_message(app, engine, token_for, payload, expected):
    response = app.test_client().post("/api/v1/push", data=payload, content_type="application/json",
                                      headers=token_for("ops"))
    assert response.status_code == 400
    assert expected in response.json["message"]
    assert _count(engine, Batch) == 0


def test_stages_run_after_a_push_and_show_in_the_history(app, engine, settings, token_for, schema):
    app.extensions[jobs.EXTENSION] = jobs.StageRunner(lambda: run_stages(engine, settings), synchronous=True)
    records = [_rating(i) for i in range(40)]
    body = app.test_client().post("/api/v1/push", json=_body(records), headers=token_for("ops")).json
    assert body["loaded"] == 40
    assert body["stages"]["status"] == "done", body["stages"]
    with engine.connect() as conn:
        assert conn.execute(select(func.sum(RollupDaily.n))).scalar_one() == 40  # KPIs read the rollups
        assert conn.execute(select(func.count()).select_from(Score)).scalar_one() == 40
        bad = conn.execute(select(func.count()).select_from(Record).where(Record.level <= 2)).scalar_one()
        assert conn.execute(select(func.count()).select_from(LedgerCase)).scalar_one() == bad > 0
    history = app.test_client().get("/api/v1/batches", headers=token_for("admin")).json
    jsonschema.validate(history, schema("BatchPage"), cls=jsonschema.Draft202012Validator)
    assert history["items"][0]["stages"]["status"] == "done"
    # a resend adds nothing and starts no run
    calls = []
    app.extensions[jobs.EXTENSION] = jobs.StageRunner(lambda: calls.append(1) or [], synchronous=True)
    app.test_client().post("/api/v1/push", json=_body(records), headers=token_for("ops"))
    assert calls == []


def test_a_failing_stage_is_reported_not_raised(app, engine, token_for):
    def broken():
        raise RuntimeError("rollups exploded")

    app.extensions[jobs.EXTENSION] = jobs.StageRunner(broken, synchronous=True)
    body = app.test_client().post("/api/v1/push", json=_body([_rating(1)]), headers=token_for("ops")).json
    assert body["loaded"] == 1
    assert body["stages"]["status"] == "failed" and "rollups exploded" in body["stages"]["errors"][0]


def test_upload_import_runs_the_stages_too(app, client_for):
    calls = []
    app.extensions[jobs.EXTENSION] = jobs.StageRunner(lambda: calls.append(1) or [], synchronous=True)
    client = client_for("ops")
    header = "projectNo,pf,satisfaction,assessTime,assessNumber,deptCode\n"
    data = header + "".join(f"U{i},1,5,2026-03-02 10:00:00,1,{DEPT_A}\n" for i in range(3))
    token = csrf_from(client.get("/ingest").text)
    r = client.post("/ingest/upload", data={"csrf_token": token, "file": (io.BytesIO(data.encode()), "a.csv")})
    assert r.status_code == 302
    confirm = r.headers["Location"].replace("/preview/", "/confirm/")
    assert client.post(confirm, data={"csrf_token": token}).status_code == 302
    assert calls == [1]
    page = client.get("/ingest").text
    assert "后续处理" in page and "已完成" in page


def test_background_runner_runs_queued_batches_one_run_at_a_time():
    import threading

    started, release, runs = threading.Event(), threading.Event(), []

    def run():
        runs.append(1)
        started.set()
        release.wait(5)
        return []

    runner = jobs.StageRunner(run)
    runner.submit(1)
    assert started.wait(5)
    runner.submit(2)  # arrives while the first run is going on
    runner.submit(3)
    assert runner.status(1)["status"] == "running" and runner.status(3)["status"] == "queued"
    release.set()
    for _ in range(100):
        if runner.status(3)["status"] == "done":
            break
        threading.Event().wait(0.05)
    assert runner.status(3)["status"] == "done" and runner.status(2)["status"] == "done"
    assert len(runs) == 2  # one run for batch 1, one more for 2 and 3 together


def test_run_later_stages_reports_each_failure_and_goes_on(engine, settings, capsys):
    from feedback.scoring.score import ScoringError

    ran = []

    def ok(e, s):
        ran.append(e is engine and s is settings)
        return "a summary line the server must not print"

    def exits(e, s):
        raise ScoringError("database not ready: run `haocha init`")

    def raises(e, s):
        raise ValueError("bad taxonomy")

    def missing(e, s):
        raise ModuleNotFoundError("No module named x")

    stages = [Stage("10_ok", "", ok), Stage("20_exit", "", exits), Stage("30_raise", "", raises),
              Stage("40_missing", "", missing), Stage("50_ok", "", ok)]
    outcomes = run_stages(engine, settings, stages)
    assert [(o.name, o.ok) for o in outcomes] == [("10_ok", True), ("20_exit", False), ("30_raise", False),
                                                 ("40_missing", False), ("50_ok", True)]
    assert "database not ready" in outcomes[1].error and outcomes[2].error == "ValueError: bad taxonomy"
    assert ran == [True, True]
    assert "summary line" not in capsys.readouterr().out


def test_the_same_batch_id_loading_in_another_process_answers_409(app, engine, settings, token_for):
    """The lock is the database's (PostgreSQL advisory lock; SQLite: the instance folder's lock file), held here
    on another connection / open file as another web process would hold it: nothing of this process knows."""
    from etl.pipeline import _input_lock, push_key

    with _input_lock(engine, settings, "push", push_key("ops", "b-0001")):  # another process is loading it
        response = app.test_client().post("/api/v1/push", json=_body([_rating(1)]), headers=token_for("ops"))
        assert response.status_code == 409 and "正在导入" in response.json["message"]
        assert _count(engine, Batch) == 0
        other = app.test_client().post("/api/v1/push", json=_body([_rating(1)], "b-0002"), headers=token_for("ops"))
        assert other.status_code == 201  # another batch_id is not held up
    again = app.test_client().post("/api/v1/push", json=_body([_rating(1)]), headers=token_for("ops"))
    assert again.status_code == 201 and again.json["loaded"] == 0 and again.json["duplicate"] == 1
    assert _count(engine, Batch) == 2


def test_two_concurrent_pushes_of_one_batch_store_it_once(app, engine, token_for, monkeypatch):
    """Two requests with the same batch_id at the same time (two threads, two database connections): one loads
    it, the other is answered 409 while it loads; one batch, each record once."""
    import threading
    import time

    from etl import pipeline

    load = pipeline.load_chunks

    def slow_load(*args, **kwargs):  # keep the first request loading while the second arrives
        time.sleep(1.5)
        return load(*args, **kwargs)

    monkeypatch.setattr(pipeline, "load_chunks", slow_load)
    records = [_rating(i) for i in range(20)]
    auth = token_for("ops")
    start, answers = threading.Barrier(2), []

    def send() -> None:
        client = app.test_client()
        start.wait()
        r = client.post("/api/v1/push", json=_body(records), headers=auth)
        answers.append((r.status_code, r.json))

    threads = [threading.Thread(target=send) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(code for code, _ in answers) == [201, 409]
    assert _count(engine, Batch) == 1 and _count(engine, Record) == 20
    done = next(body for code, body in answers if code == 201)
    replay = app.test_client().post("/api/v1/push", json=_body(records), headers=auth)
    assert replay.status_code == 200 and replay.json["batch_id"] == done["batch_id"]
    assert _count(engine, Batch) == 1
