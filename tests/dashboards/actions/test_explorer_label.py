"""评价明细 category correction: who sees the form, CSRF, storage as a gold label (read by the 模型 screen's
agreement and the classifier's training), department scoping, bad input, the API route, the active version."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select

from dashboards.api.openapi import document
from dashboards.users import issue_token
from feedback.models import AuditLog, GoldLabel, Record, Score
from feedback.scoring import repository as store
from feedback.scoring.score import gold_agreement, score_store
from tests import factory
from tests.dashboards.conftest import csrf_from

jsonschema = pytest.importorskip("jsonschema", reason="jsonschema is needed to validate against the OpenAPI doc")


def _record_id(engine, key: str) -> int:
    with engine.connect() as conn:
        return conn.execute(select(Record.id).where(Record.record_key == key)).scalar_one()


def _gold(engine) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(
            select(GoldLabel.record_id, GoldLabel.category, GoldLabel.labelled_by, GoldLabel.note)
            .order_by(GoldLabel.id))]


def test_the_form_is_shown_only_to_roles_that_may_label(client_for, seeded):
    for name in ("pm", "ops", "admin", "ops_a"):
        page = client_for(name).get("/records").text
        assert "校正分类" in page and 'name="category"' in page, name
        assert '<option value="materials"' in page and "申报材料" in page and '<option value="other"' in page
    page = client_for("viewer").get("/records").text
    assert "校正分类" not in page and '<select name="category" required>' not in page


def test_label_needs_csrf_and_the_capability(client_for, engine, seeded):
    rid = _record_id(engine, "P000002")
    assert client_for("pm").post(f"/records/{rid}/label", data={"category": "materials"}).status_code == 400
    viewer = client_for("viewer")
    token = csrf_from(viewer.get("/").text)
    assert viewer.post(f"/records/{rid}/label",
                       data={"category": "materials", "csrf_token": token}).status_code == 403
    assert _gold(engine) == []


def test_label_is_stored_shown_audited_and_returns_to_the_same_page(client_for, engine, settings, seeded):
    rid = _record_id(engine, "P000002")
    version = score_store(engine, settings).version  # a real active scoring version
    client = client_for("pm")
    back = "level=3&q=%E7%AC%AC&page=1"
    token = csrf_from(client.get(f"/records?{back}").text)
    response = client.post(f"/records/{rid}/label", data={
        "category": "materials", "note": "其实是要求补材料", "csrf_token": token, "back": back})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/records?{back}#r{rid}"
    assert _gold(engine) == [(rid, "materials", "pm", "其实是要求补材料")]
    with engine.connect() as conn:  # the active score takes the correction at once
        score = conn.execute(select(Score.category, Score.category_conf).where(
            Score.record_id == rid, Score.model_version == version)).one()
        audit = conn.execute(select(AuditLog.detail).where(AuditLog.action == "label")).scalar_one()
    assert tuple(score) == ("materials", 1.0)
    assert f'"record_id": {rid}' in audit and "materials" in audit
    page = client.get(response.headers["Location"]).text
    row = page[page.index(f'id="r{rid}"'):]
    row = row[:row.index("</tr>")]
    assert "申报材料" in row and "人工校正" in row
    assert "已将这条记录的问题分类校正为" in page
    # gold labels are what the 模型 screen's agreement and the next training read
    labels, agreement = gold_agreement(engine, settings)
    assert [(x["record_id"], x["gold"], x["labelled_by"]) for x in labels] == [(rid, "materials", "pm")]
    assert agreement["n"] == 1 and agreement["version"] == version
    with engine.connect() as conn:
        corpus = store.training_corpus(conn, 1000)
    assert corpus.loc[corpus["record_id"] == rid, "gold"].tolist() == ["materials"]


def test_a_foreign_back_value_cannot_redirect_elsewhere(client_for, engine, seeded):
    rid = _record_id(engine, "P000002")
    client = client_for("admin")
    token = csrf_from(client.get("/records").text)
    response = client.post(f"/records/{rid}/label", data={
        "category": "other", "csrf_token": token, "back": "https://evil.example/x?y=1"})
    assert response.headers["Location"].startswith("/records")
    assert "evil.example" not in response.headers["Location"].split("?")[0]


def test_department_scoping_answers_404(client_for, engine, seeded):
    own, foreign = _record_id(engine, "P000002"), _record_id(engine, "P000003")  # even: dept A, odd: dept B
    client = client_for("ops_a")
    token = csrf_from(client.get("/records").text)
    assert client.post(f"/records/{foreign}/label",
                       data={"category": "materials", "csrf_token": token}).status_code == 404
    assert client.post("/records/999999/label", data={"category": "materials", "csrf_token": token}).status_code == 404
    assert _gold(engine) == []
    assert client.post(f"/records/{own}/label",
                       data={"category": "materials", "csrf_token": token}).status_code == 302
    assert _gold(engine) == [(own, "materials", "ops_a", None)]


def test_invalid_category_or_note_is_400_with_a_message(client_for, engine, seeded):
    rid = _record_id(engine, "P000002")
    client = client_for("pm")
    token = csrf_from(client.get("/records").text)
    bad = client.post(f"/records/{rid}/label", data={"category": "nonsense", "csrf_token": token})
    assert bad.status_code == 400 and "nonsense" in bad.text and "materials（申报材料）" in bad.text
    sub = client.post(f"/records/{rid}/label", data={"category": "", "csrf_token": token})
    assert sub.status_code == 400
    long = client.post(f"/records/{rid}/label", data={"category": "materials", "note": "长" * 501,
                                                      "csrf_token": token})
    assert long.status_code == 400 and "最多 500 个字" in long.text
    assert _gold(engine) == []


def test_label_api(app, engine, users, seeded, client_for):
    rid, foreign = _record_id(engine, "P000002"), _record_id(engine, "P000003")
    with engine.begin() as conn:
        tokens = {n: {"Authorization": f"Bearer {issue_token(conn, n)}"} for n in ("pm", "viewer", "ops_a")}
    client = app.test_client()
    schema = {"$ref": "#/components/schemas/Label", "components": document()["components"]}
    ok = client.post(f"/api/v1/records/{rid}/label", json={"category": "guide_info", "note": "指南写错了"},
                     headers=tokens["pm"])
    assert ok.status_code == 201
    jsonschema.validate(ok.json, schema, cls=jsonschema.Draft202012Validator)
    assert ok.json["category_name"] == "办事指南与告知" and ok.json["labelled_by"] == "pm"
    assert client.post(f"/api/v1/records/{rid}/label", json={"category": "materials"},
                       headers=tokens["viewer"]).status_code == 403
    assert client.post(f"/api/v1/records/{foreign}/label", json={"category": "materials"},
                       headers=tokens["ops_a"]).status_code == 404
    bad = client.post(f"/api/v1/records/{rid}/label", json={"category": "x"}, headers=tokens["pm"])
    assert bad.status_code == 400 and "x" in bad.json["message"]
    assert client.post(f"/api/v1/records/{rid}/label", data="nope", headers=tokens["pm"]).status_code == 400
    session = client_for("pm")  # a session needs the CSRF token
    assert session.post(f"/api/v1/records/{rid}/label", json={"category": "materials"}).status_code == 400
    token = csrf_from(session.get("/records").text)
    assert session.post(f"/api/v1/records/{rid}/label", json={"category": "materials"},
                        headers={"X-CSRFToken": token}).status_code == 201
    assert [g[1] for g in _gold(engine)] == ["guide_info", "materials"]
    items = client.get("/api/v1/records?per_page=200", headers=tokens["pm"]).json["items"]
    shown = next(i for i in items if i["id"] == rid)
    assert (shown["category"], shown["category_corrected"], shown["category_conf"]) == ("materials", True, 1.0)


def test_explorer_reads_only_the_active_scoring_version(client_for, engine, seeded):
    """An adopted sentiment model is active too, under its own kind; its rows are not the scoring version."""
    rid = _record_id(engine, "P000004")
    with engine.begin() as conn:
        store.register_version(conn, "sent-x", store.SENTIMENT, {"path": "m.joblib"}, active=True)
        store.register_version(conn, "sc-a", store.SCORING, {}, active=True)
        factory.add_scores(conn, [
            {"record_id": rid, "model_version": v, "sentiment": "neg", "sentiment_score": 0.2,
             "hidden_complaint": False, "category": c, "category_conf": 0.7, "scored_at": datetime(2026, 3, 3)}
            for v, c in (("sent-x", "queue_onsite"), ("sc-a", "staff_attitude"))])
    items = client_for("viewer").get("/api/v1/records?per_page=200").json["items"]
    shown = [i for i in items if i["id"] == rid]
    assert len(shown) == 1 and shown[0]["category"] == "staff_attitude"


def test_drill_down_filters_are_controls_and_named_in_the_current_line(client_for, seeded):
    page = client_for("admin").get("/records?region=439902000000&category=materials&sentiment=neg"
                                   "&service=%3Cb%3Ex%3C/b%3E").text
    for name, value in (("region", "439902000000"), ("category", "materials"), ("sentiment", "neg")):
        select = page.split(f'name="{name}"', 1)[1].split("</select>", 1)[0]
        assert f'<option value="{value}" selected>' in select, name
    line = page.split('id="current-filters"', 1)[1].split("</p>", 1)[0]
    assert "情感：负面" in line and "问题分类：" in line and "materials" not in line
    assert "&lt;b&gt;x&lt;/b&gt;" in page and "<b>x</b>" not in page  # a filter value is text, never markup
    assert "当前筛选：全部数据" in client_for("admin").get("/records").text
