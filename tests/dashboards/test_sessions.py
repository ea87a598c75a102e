"""Sessions that end: a copied session cookie stops working after logout, a new password and deactivation;
a revoked or disabled user's API token is refused (``haocha users passwd | disable | enable | revoke-token``)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from dashboards.users import issue_token
from feedback.cli import main
from tests.dashboards.conftest import PASSWORD, csrf_from, login

NEW_PASSWORD = "another-secret-9"


def _signed_in(app, name="viewer"):
    client = app.test_client()
    assert login(client, name).status_code == 302
    return client, client.get_cookie(app.config.get("SESSION_COOKIE_NAME", "session")).value


def _replay(app, cookie: str):
    """A fresh client carrying a copy of the cookie: the stolen-cookie case."""
    thief = app.test_client()
    thief.set_cookie(app.config.get("SESSION_COOKIE_NAME", "session"), cookie)
    return thief


def _users_cmd(runner: CliRunner, *args: str, stdin: str | None = None):
    result = runner.invoke(main, ["users", *args], input=stdin)
    assert result.exit_code == 0, result.output
    return result.output


def test_a_copied_cookie_works_until_logout_then_never(app, users):
    client, cookie = _signed_in(app)
    assert _replay(app, cookie).get("/").status_code == 200  # the copy works while the session lives
    assert client.post("/logout", data={"csrf_token": csrf_from(client.get("/").text)}).status_code == 302
    thief = _replay(app, cookie)
    assert thief.get("/").status_code == 302  # redirected to the login page
    assert thief.get("/api/v1/records").status_code == 401
    assert login(app.test_client(), "viewer").status_code == 302  # signing in again works


def test_logout_ends_the_sessions_on_every_device(app, users):
    laptop, _ = _signed_in(app)
    phone, _ = _signed_in(app)
    laptop.post("/logout", data={"csrf_token": csrf_from(laptop.get("/").text)})
    assert phone.get("/").status_code == 302
    other, _ = _signed_in(app, "pm")
    assert other.get("/").status_code == 200  # another user's session is untouched


def test_passwd_ends_sessions_and_changes_the_password(app, users, runner):
    client, cookie = _signed_in(app)
    assert "sessions have ended" in _users_cmd(runner, "passwd", "viewer", "--password-stdin",
                                               stdin=NEW_PASSWORD + "\n")
    assert client.get("/").status_code == 302 and _replay(app, cookie).get("/").status_code == 302
    assert login(app.test_client(), "viewer", PASSWORD).status_code == 401
    assert login(app.test_client(), "viewer", NEW_PASSWORD).status_code == 302
    short = runner.invoke(main, ["users", "passwd", "viewer", "--password-stdin"], input="short\n")
    assert short.exit_code != 0 and "at least" in short.output
    unknown = runner.invoke(main, ["users", "passwd", "nobody", "--password-stdin"], input=NEW_PASSWORD + "\n")
    assert unknown.exit_code != 0 and "no user" in unknown.output


def test_disable_ends_sessions_refuses_login_and_token_enable_restores(app, users, engine, runner):
    client, cookie = _signed_in(app, "ops")
    with engine.begin() as conn:
        token = issue_token(conn, "ops")
    bearer = {"Authorization": f"Bearer {token}"}
    assert app.test_client().get("/api/v1/records", headers=bearer).status_code == 200
    _users_cmd(runner, "disable", "ops")
    assert client.get("/").status_code == 302 and _replay(app, cookie).get("/").status_code == 302
    assert login(app.test_client(), "ops").status_code == 401
    assert app.test_client().get("/api/v1/records", headers=bearer).status_code == 401
    listed = _users_cmd(runner, "list", "--json")
    assert '"username": "ops", "role": "ops", "dept_code": null, "active": false' in listed
    _users_cmd(runner, "enable", "ops")
    assert _replay(app, cookie).get("/").status_code == 302  # an ended session stays ended
    assert login(app.test_client(), "ops").status_code == 302
    assert app.test_client().get("/api/v1/records", headers=bearer).status_code == 200


def test_revoked_token_is_refused(app, users, engine, runner):
    with engine.begin() as conn:
        token = issue_token(conn, "ops")
    bearer = {"Authorization": f"Bearer {token}"}
    assert app.test_client().get("/api/v1/records", headers=bearer).status_code == 200
    assert "revoked" in _users_cmd(runner, "revoke-token", "ops")
    assert app.test_client().get("/api/v1/records", headers=bearer).status_code == 401
    assert "held no API token" in _users_cmd(runner, "revoke-token", "ops")
    assert '"has_token": false' in [line for line in _users_cmd(runner, "list", "--json").splitlines()
                                    if '"ops"' in line][0]


@pytest.mark.parametrize("command", ["disable", "enable", "revoke-token"])
def test_unknown_user_is_an_error(users, runner, command):
    result = runner.invoke(main, ["users", command, "nobody"])
    assert result.exit_code != 0 and "no user 'nobody'" in result.output
