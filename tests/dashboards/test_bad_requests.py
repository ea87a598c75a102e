"""Errors, not 500s: malformed parameters and bodies are answered 400 (or clamped) with a Chinese message, 405s
name the allowed methods, login's next= never carries control characters into a redirect, the OpenAPI document
passes a spec validator, a read cancelled by the statement timeout is a 503 (PostgreSQL), and every menu page
answers with or without its last slash."""

from __future__ import annotations

import re

import pytest

from dashboards.api.openapi import document
from tests.dashboards.conftest import PASSWORD, csrf_from

DEEP = 100_000


def test_deeply_nested_json_is_400(app, token_for):
    headers = {**token_for("ops"), "Content-Type": "application/json"}
    client = app.test_client()
    for body in ("[" * DEEP + "]" * DEEP, '{"profile": "national", "batch_id": "x", "records": ' + "[" * DEEP
                 + "]" * DEEP + "}"):
        response = client.post("/api/v1/push", data=body, headers=headers)
        assert response.status_code == 400 and "嵌套层数过多" in response.json["message"]
    label = client.post("/api/v1/records/1/label", data='{"category": ' + "[" * DEEP + "]" * DEEP + "}",
                        headers=headers)
    assert label.status_code == 400 and label.json["message"]


@pytest.mark.parametrize("url", ["/api/v1/records?page=99999999999999999999", "/api/v1/tasks?page=99999999999999999999",
                                 "/records?page=99999999999999999999", "/api/v1/alerts?page=1e400",
                                 "/api/v1/tasks/99999999999999999999", "/ledger/99999999999999999999",
                                 "/api/v1/ledger/99999999999999999999"])
def test_huge_page_numbers_are_clamped_or_400(client_for, seeded, url):
    response = client_for("viewer").get(url)
    assert response.status_code in (200, 400), response.status_code
    if url.startswith("/api/") and response.status_code == 200:
        assert response.json["items"] == []


@pytest.mark.parametrize("query", ["per_page=0", "per_page=-5", "page=0"])
def test_page_sizes_and_pages_below_one_are_refused(client_for, seeded, query):
    response = client_for("viewer").get(f"/api/v1/records?{query}")
    assert response.status_code == 400 and "不能小于 1" in response.json["message"]


def test_405_names_the_allowed_methods(app, client_for, token_for):
    api = app.test_client().delete("/api/v1/records", headers=token_for("viewer"))
    assert api.status_code == 405 and "GET" in api.headers["Allow"] and api.json["error"] == "不支持的请求方式"
    client = client_for("viewer")
    token = csrf_from(client.get("/").text)
    page = client.put("/login", headers={"X-CSRFToken": token})
    assert page.status_code == 405 and set(page.headers["Allow"].replace(" ", "").split(",")) >= {"GET", "POST"}


@pytest.mark.parametrize("target", ["/records\r\nSet-Cookie: a=1", "/\t/evil.example", "/\n/evil.example",
                                    "/records%0d%0aX: 1\r\n"])
def test_login_next_with_control_characters_goes_to_the_overview(app, users, target):
    client = app.test_client()
    token = csrf_from(client.get("/login").text)
    response = client.post("/login", data={"username": "viewer", "password": PASSWORD, "csrf_token": token,
                                           "next": target})
    assert response.status_code == 302
    assert response.headers["Location"] in ("/", "http://localhost/")


def _arrays_without_items(node, path="") -> list[str]:
    found = []
    if isinstance(node, dict):
        if node.get("type") == "array" and "items" not in node:
            found.append(path)
        for key, value in node.items():
            found += _arrays_without_items(value, f"{path}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found += _arrays_without_items(value, f"{path}/{i}")
    return found


def test_the_openapi_document_is_valid():
    validator = pytest.importorskip("openapi_spec_validator")
    doc = document()
    validator.validate(doc)  # raises with the path of the first error
    # OpenAPI 3.0 tools (and schemathesis' coverage phase) need `items` on every array schema
    assert _arrays_without_items(doc) == []
    for path in doc["paths"].values():
        for op in path.values():
            for p in op.get("parameters", []):
                if p["name"] in ("page", "per_page"):
                    assert p["schema"]["minimum"] == 1


def test_a_cancelled_read_is_a_503_with_a_chinese_message(app, engine, client_for, monkeypatch):
    if engine.dialect.name != "postgresql":
        pytest.skip("the statement timeout is PostgreSQL's")
    from dashboards.queries import beside

    def slow(conn, seconds):  # every read of the request sleeps past a 50 ms limit
        conn.exec_driver_sql("SET LOCAL statement_timeout = 50")
        conn.exec_driver_sql("SELECT pg_sleep(1)")

    monkeypatch.setattr(beside, "limit_statement_time", slow)  # what every read connection is opened with
    response = client_for("viewer").get("/api/v1/records")
    assert response.status_code == 503 and "时间上限" in response.json["message"]


def test_the_read_connection_sets_the_configured_timeout(app, engine):
    if engine.dialect.name != "postgresql":
        pytest.skip("the statement timeout is PostgreSQL's")
    from dashboards.pages.common import read_connection

    with app.test_request_context("/"), read_connection() as conn:
        value = conn.exec_driver_sql("SHOW statement_timeout").scalar_one()
    assert value == f"{app.extensions['haocha'].options.statement_timeout_s}s"


@pytest.mark.parametrize("url", ["/api/v1/records?service=a%00b", "/api/v1/records?q=%00", "/records?q=x%01y",
                                 "/api/v1/overview?dept=%7F", "/tasks?category%00=1"])
def test_control_characters_in_parameters_are_400_with_the_parameters_name(client_for, seeded, url):
    # PostgreSQL refuses NUL in text outright (a 500 before); no real filter or search contains a control character.
    response = client_for("viewer").get(url)
    assert response.status_code == 400
    message = response.json["message"] if url.startswith("/api/") else response.text
    assert "控制字符" in message and url.split("?")[1].split("=")[0].split("%")[0] in message


def test_tabs_and_line_breaks_in_a_search_are_still_searched(client_for, seeded):
    response = client_for("viewer").get("/api/v1/records?q=%E6%8E%92%E9%98%9F%09%0A")
    assert response.status_code == 200


def test_every_menu_page_answers_with_or_without_its_last_slash(client_for, seeded):
    client = client_for("admin")
    menu = re.findall(r'<nav class="mainnav".*?</nav>', client.get("/").text, flags=re.S)[0]
    links = re.findall(r'<a href="(/[^"]*)"', menu)
    assert len(links) >= 8, links
    for link in (link for link in links if link != "/"):
        other = link.rstrip("/") if link.endswith("/") else link + "/"
        first, second = client.get(link), client.get(other)
        assert first.status_code == second.status_code == 200, (link, other, second.status_code)
        title = re.search(r"<title>(.*?)</title>", first.text, flags=re.S).group(1)
        assert re.search(r"<title>(.*?)</title>", second.text, flags=re.S).group(1) == title
        assert 'aria-current="page"' in second.text, other
