"""The JSON API: 401 without credentials, bearer tokens, search, paging, and responses valid against OpenAPI."""

from __future__ import annotations

import re

import pytest

from dashboards.users import issue_token
from tests.dashboards.conftest import DEPT_A, DEPT_B, csrf_from

jsonschema = pytest.importorskip("jsonschema", reason="jsonschema is needed to validate against the OpenAPI doc")


def _api_urls(app, batch_id: int) -> list[str]:
    urls = []
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/") and "GET" in rule.methods:
            urls.append(re.sub(r"<int:\w+>", str(batch_id), rule.rule))
    return urls


def test_every_api_route_answers_401_without_credentials(app, users, seeded):
    client = app.test_client()
    urls = _api_urls(app, seeded["batch_id"])
    assert len(urls) >= 5
    for url in urls:
        for headers in ({}, {"Authorization": "Bearer hc_not-a-real-token"}, {"Authorization": "Basic eDp5"}):
            response = client.get(url, headers=headers)
            assert response.status_code == 401, (url, headers)
            assert response.json["error"] == "unauthorized"
            assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_bearer_token_authenticates_and_ignores_csrf(app, users, engine, seeded):
    with engine.begin() as conn:
        token = issue_token(conn, "ops")
    client = app.test_client()
    auth = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/me", headers=auth).json == {"username": "ops", "role": "ops", "dept_code": None}
    assert client.get("/api/v1/records", headers=auth).json["total"] == 20
    # Bearer calls skip CSRF: an unsupported method answers 405, not a CSRF 400.
    assert client.post("/api/v1/records", headers=auth).status_code == 405
    # The token is not a page login.
    assert client.get("/", headers=auth).status_code == 302
    with engine.begin() as conn:
        issue_token(conn, "ops")  # a new token replaces the old one
    assert client.get("/api/v1/me", headers=auth).status_code == 401


def test_session_api_posts_need_csrf(client_for):
    client = client_for("viewer")
    assert client.post("/api/v1/records").status_code == 400
    token = csrf_from(client.get("/").text)
    assert client.post("/api/v1/records", headers={"X-CSRFToken": token}).status_code == 405


def test_records_search_filters_and_paging(client_for, seeded):
    client = client_for("viewer")
    body = client.get("/api/v1/records?q=100%_").json  # LIKE wildcards are literal
    assert body["total"] == 1 and body["items"][0]["text"] == "收费100%_不合理"
    assert client.get("/api/v1/records?q=100%25x").json["total"] == 0
    assert client.get("/api/v1/records?q=第3条 顺利").json["total"] == 1  # every word must match
    newest_first = client.get("/api/v1/records?per_page=5").json
    times = [r["rated_at"] for r in newest_first["items"]]
    assert times == sorted(times, reverse=True) and newest_first["has_next"] and len(times) == 5
    page4 = client.get("/api/v1/records?per_page=5&page=4").json
    assert len(page4["items"]) == 5 and not page4["has_next"]
    assert client.get("/api/v1/records?per_page=100000").json["per_page"] == 200
    levels = client.get("/api/v1/records?level=1,2").json
    assert levels["total"] > 0 and {r["level"] for r in levels["items"]} <= {1, 2}
    assert client.get(f"/api/v1/records?dept={DEPT_B}&level=1").json["total"] == 2
    dated = client.get("/api/v1/records?start=2026-03-01&end=2026-03-01").json
    assert dated["total"] == 15 and all(r["rated_at"].startswith("2026-03-01") for r in dated["items"])
    tagged = next(r for r in client.get("/api/v1/records?q=第4条").json["items"])
    assert tagged["tags"] == ["110 无理由超过法定办理时间", "209 未在承诺时间内办结"]
    assert tagged["level_name"] == "非常不满意" and tagged["channel_name"] == "PC端"


@pytest.mark.parametrize("query", ["level=9", "start=2026-02-30", "sentiment=angry", "page=x", "channel=4"])
def test_bad_parameters_are_400_json(client_for, query):
    response = client_for("viewer").get(f"/api/v1/records?{query}")
    assert response.status_code == 400 and response.json["message"]


def _schema_for(doc: dict, path: str, code: int) -> dict:
    op = doc["paths"][path]["get"]
    schema = dict(op["responses"][str(code)]["content"]["application/json"]["schema"])
    schema["components"] = doc["components"]  # so "#/components/..." references resolve
    return schema


def test_responses_match_the_openapi_document(app, client_for, seeded, engine):
    client = client_for("admin")
    doc = client.get("/api/v1/openapi.json").json
    jsonschema.Draft202012Validator.check_schema({k: v for k, v in doc["components"]["schemas"]["Record"].items()})
    assert doc["openapi"].startswith("3.")
    documented = {"/api/v1" + p for p in doc["paths"]}
    routed = {re.sub(r"<int:(\w+)>", r"{\1}", r.rule) for r in app.url_map.iter_rules()
              if r.rule.startswith("/api/v1/")}
    assert documented == routed
    cases = [
        (client, "/me", "/api/v1/me", 200),
        (client, "/records", "/api/v1/records?q=评价&per_page=3", 200),
        (client, "/records", f"/api/v1/records?dept={DEPT_A}&level=1", 200),
        (client, "/records", "/api/v1/records?level=9", 400),
        (client, "/batches", "/api/v1/batches", 200),
        (client_for("viewer"), "/batches", "/api/v1/batches", 403),
        (app.test_client(), "/records", "/api/v1/records", 401),
        (app.test_client(), "/me", "/api/v1/me", 401),
        (client, "/overview", "/api/v1/overview", 200),
        (client, "/overview", "/api/v1/overview?start=2026-03-01&end=2026-03-31&grain=day&channel=pc", 200),
        (client_for("viewer_a"), "/overview", f"/api/v1/overview?dept={DEPT_B}&grain=month", 200),
        (client, "/overview", "/api/v1/overview?grain=year", 400),
        (app.test_client(), "/overview", "/api/v1/overview", 401),
    ]
    from feedback.stats.rollups import refresh_rollups

    refresh_rollups(engine)  # the overview reads the rollups
    for who, path, url, code in cases:
        response = who.get(url)
        assert response.status_code == code, url
        jsonschema.validate(response.json, _schema_for(doc, path, code), cls=jsonschema.Draft202012Validator)
    rejects = client.get(f"/api/v1/batches/{seeded['batch_id']}/rejects.csv")
    assert rejects.status_code == 200 and rejects.mimetype == "text/csv"
    assert "text/csv" in doc["paths"]["/batches/{batch_id}/rejects.csv"]["get"]["responses"]["200"]["content"]
    missing = client.get("/api/v1/batches/999999/rejects.csv")
    assert missing.status_code == 404
    schema = dict(doc["paths"]["/batches/{batch_id}/rejects.csv"]["get"]["responses"]["404"]["content"][
        "application/json"]["schema"], components=doc["components"])
    jsonschema.validate(missing.json, schema, cls=jsonschema.Draft202012Validator)


def test_text_is_masked_again_on_display(client_for, engine, seeded):
    pytest.importorskip("feedback.text.pii", reason="the PII module is not written yet")
    from sqlalchemy import update

    from feedback.models import Record

    with engine.begin() as conn:  # a row stored before masking existed, say
        conn.execute(update(Record).where(Record.record_key == "P000002")
                     .values(text="请回电13812345678", title="身份证430101199001011234"))
    client = client_for("viewer")
    item = client.get("/api/v1/records?q=请回电").json["items"][0]
    assert "13812345678" not in item["text"] and "[手机号]" in item["text"]
    assert "430101199001011234" not in item["title"]
    page = client.get("/records?q=请回电").text
    assert "13812345678" not in page and "430101199001011234" not in page
