"""Login, logout, wrong passwords, rate limiting, CSRF, session cookie flags, roles and the audit log."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from dashboards.users import audit_entries
from feedback.models import User
from tests.dashboards.conftest import PASSWORD, csrf_from, login


def test_pages_need_login(app, users):
    client = app.test_client()
    for path in ("/", "/records", "/ingest", "/tasks", "/alerts", "/models"):
        response = client.get(path)
        assert response.status_code == 302 and response.headers["Location"].startswith("/login"), path


def test_login_and_logout(app, users, engine):
    client = app.test_client()
    page = client.get("/login")
    assert page.status_code == 200 and 'name="username"' in page.text and 'name="password"' in page.text
    response = login(client, "viewer")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    home = client.get("/")
    assert home.status_code == 200 and "viewer" in home.text and "只读用户" in home.text
    token = csrf_from(home.text)
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/").status_code == 302
    actions = [e["action"] for e in audit_entries(engine.connect())]
    assert actions[:2] == ["logout", "login"]


def test_secure_cookie_option(settings, engine, users):
    from dashboards.app import create_app
    from feedback.settings import DashboardSettings as DashboardOptions

    app = create_app(settings, engine, options=DashboardOptions(secure_cookies=True))
    response = login(app.test_client(), "viewer")
    assert "Secure" in response.headers["Set-Cookie"]


def test_wrong_password_unknown_user_and_inactive_user(app, users, engine):
    client = app.test_client()
    bad = login(client, "viewer", "wrong-password")
    assert bad.status_code == 401 and "用户名或密码错误" in bad.text
    assert login(client, "nobody", PASSWORD).status_code == 401
    with engine.begin() as conn:
        conn.execute(update(User).where(User.username == "pm").values(active=False))
    assert login(client, "pm").status_code == 401
    with engine.connect() as conn:
        failures = audit_entries(conn, action="login_failed")
    assert {e["username"] for e in failures} == {"viewer", "nobody", "pm"}
    assert all(e["ip"] == "127.0.0.1" for e in failures)


def test_deactivated_user_loses_the_session(app, users, engine, client_for):
    client = client_for("viewer")
    with engine.begin() as conn:
        conn.execute(update(User).where(User.username == "viewer").values(active=False))
    assert client.get("/").status_code == 302


def test_rate_limit_per_username_and_address(app, users, engine):
    client = app.test_client()
    for _ in range(5):
        assert login(client, "viewer", "nope-nope").status_code == 401
    blocked = login(client, "viewer", PASSWORD)  # even the right password, from this address
    assert blocked.status_code == 429 and "分钟后再试" in blocked.text and blocked.headers["Retry-After"] == "300"
    other_ip = login(app.test_client(), "viewer", PASSWORD, REMOTE_ADDR="10.0.0.7")
    assert other_ip.status_code == 302
    assert login(app.test_client(), "pm").status_code == 302  # another user is not affected
    with engine.connect() as conn:
        assert audit_entries(conn, action="login_blocked")


def test_csrf_missing_or_wrong_is_400(app, users, client_for):
    client = app.test_client()
    client.get("/login")
    response = client.post("/login", data={"username": "viewer", "password": PASSWORD})
    assert response.status_code == 400 and "CSRF" in response.text
    response = client.post("/login", data={"username": "viewer", "password": PASSWORD, "csrf_token": "forged"})
    assert response.status_code == 400
    signed_in = client_for("viewer")
    assert signed_in.post("/logout").status_code == 400  # logout is a form too
    assert signed_in.get("/").status_code == 200


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil.example"])
def test_no_open_redirect_after_login(app, users, target):
    client = app.test_client()
    token = csrf_from(client.get("/login").text)
    response = client.post("/login", data={"username": "viewer", "password": PASSWORD, "csrf_token": token,
                                           "next": target})
    assert response.headers["Location"] == "/"


def test_next_is_followed_within_the_site(app, users):
    client = app.test_client()
    first = client.get("/records?level=1")
    assert first.status_code == 302
    login_page = client.get(first.headers["Location"])
    token = csrf_from(login_page.text)
    assert 'value="/records?level=1"' in login_page.text
    response = client.post("/login", data={"username": "viewer", "password": PASSWORD, "csrf_token": token,
                                           "next": "/records?level=1"})
    assert response.headers["Location"] == "/records?level=1"


@pytest.mark.parametrize("name, can_import", [("admin", True), ("ops", True), ("pm", False), ("viewer", False)])
def test_roles_on_import_pages(client_for, seeded, name, can_import):
    client = client_for(name)
    expected = 200 if can_import else 403
    assert client.get("/ingest").status_code == expected
    assert client.get(f"/ingest/batches/{seeded['batch_id']}/rejects.csv").status_code == expected
    assert client.get("/api/v1/batches").status_code == expected
    upload = client.post("/ingest/upload", data={"csrf_token": csrf_from(client.get("/").text)})
    assert upload.status_code == (302 if can_import else 403)
    nav = client.get("/").text
    assert ('href="/ingest"' in nav) is can_import
    for path in ("/", "/records", "/tasks", "/alerts", "/models", "/api/v1/records"):
        assert client.get(path).status_code == 200, path
