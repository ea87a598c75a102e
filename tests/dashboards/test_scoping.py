"""Department scoping: a user bound to a department sees only it, on every route (the table must list them all)."""

from __future__ import annotations

import pytest

from tests.dashboards.conftest import DEPT_A, DEPT_B, csrf_from

A_NAME, B_NAME = "市人力资源和社会保障局", "市公安局"


def _overview(client, seeded):
    for url in ("/", f"/?dept={DEPT_B}"):
        page = client.get(url).text
        assert '<div class="card-value">10</div>' in page  # 10 of the 20 records are department A's
        assert "本部门新增 10 条" in page and "读取 23 行" not in page and "拒收" not in page


def _explorer(client, seeded):
    for url in ("/records", f"/records?dept={DEPT_B}", "/records?q=不合理"):
        page = client.get(url).text
        assert B_NAME not in page and "收费100%" not in page
    page = client.get("/records").text
    assert A_NAME in page and "共 10 条" in page
    assert f'<option value="{DEPT_B}"' not in page


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


def _reports(client, seeded):
    from feedback.rollups import refresh_rollups

    refresh_rollups(client.application.extensions["haocha"].engine)
    page = client.get("/reports/").text
    assert "2026-03" in page and f"仅含本部门（{DEPT_A}）" in page
    for url in ("/reports/monthly?month=2026-03&format=html", f"/reports/monthly?month=2026-03&format=html&dept={DEPT_B}"):
        body = client.get(url).text
        assert A_NAME in body and B_NAME not in body, url


def _not_data(client, seeded):
    """Sign-in plumbing and static files: no department data behind them."""


TOKEN = "0" * 32
CHECKS = {
    "/": _overview,
    "/records": _explorer,
    "/tasks": _no_data("/tasks"),
    "/alerts": _no_data("/alerts"),
    "/models": _no_data("/models"),
    "/reports/": _reports, "/reports/monthly": _reports,
    "/ingest": _forbidden("GET", "/ingest"),
    "/ingest/upload": _forbidden("POST", "/ingest/upload"),
    "/ingest/preview/<token>": _forbidden("GET", f"/ingest/preview/{TOKEN}"),
    "/ingest/confirm/<token>": _forbidden("POST", f"/ingest/confirm/{TOKEN}"),
    "/ingest/discard/<token>": _forbidden("POST", f"/ingest/discard/{TOKEN}"),
    "/ingest/batches/<int:batch_id>/rejects.csv": _forbidden("GET", "/ingest/batches/{batch_id}/rejects.csv"),
    "/api/v1/me": _api_me,
    "/api/v1/records": _api_records,
    "/api/v1/batches": _forbidden("GET", "/api/v1/batches"),
    "/api/v1/batches/<int:batch_id>/rejects.csv": _forbidden("GET", "/api/v1/batches/{batch_id}/rejects.csv"),
    "/api/v1/openapi.json": _no_data("/api/v1/openapi.json"),
    "/login": _not_data, "/logout": _not_data, "/static/<path:filename>": _not_data,
    "/static/vendor/plotly.min.js": _not_data,
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
