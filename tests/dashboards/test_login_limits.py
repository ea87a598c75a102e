"""Login limiting: counted atomically (parallel guesses cannot pass it), per username + address, per account and
per address; the client address behind trusted proxies only (``[security] proxies``)."""

from __future__ import annotations

import threading

from dashboards.app import create_app
from dashboards.users import IP_ACCOUNT_FACTOR, audit_entries
from tests.dashboards.conftest import PASSWORD, csrf_from, login

LIMIT = 5  # [dashboard] login_max_failures, default


def _failures(engine) -> list[dict]:
    with engine.connect() as conn:
        return audit_entries(conn, action="login_failed", limit=1000)


def test_parallel_wrong_passwords_check_at_most_the_limit(app, users, engine):
    clients = [app.test_client() for _ in range(20)]
    tokens = [csrf_from(c.get("/login").text) for c in clients]
    barrier = threading.Barrier(len(clients))
    codes: list[int] = []

    def guess(i: int) -> None:
        barrier.wait()
        codes.append(clients[i].post("/login", data={"username": "viewer", "password": f"guess-{i}",
                                                     "csrf_token": tokens[i]}).status_code)

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(len(clients))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(codes) == [401] * LIMIT + [429] * (len(clients) - LIMIT)
    assert len(_failures(engine)) == LIMIT  # passwords actually checked


def test_one_password_sprayed_over_many_usernames_is_limited_per_address(app, users):
    client = app.test_client()
    codes = [login(client, f"user{i}", "Winter2026!").status_code for i in range(LIMIT * IP_ACCOUNT_FACTOR + 2)]
    assert codes[:LIMIT * IP_ACCOUNT_FACTOR] == [401] * (LIMIT * IP_ACCOUNT_FACTOR)
    assert codes[-2:] == [429, 429]
    assert login(client, "pm").status_code == 429  # this address is blocked for the window
    assert login(app.test_client(), "pm", REMOTE_ADDR="10.0.0.9").status_code == 302  # others are not


def test_one_account_guessed_from_many_addresses_is_limited(app, users):
    for i in range(LIMIT * IP_ACCOUNT_FACTOR):
        assert login(app.test_client(), "viewer", "nope-nope", REMOTE_ADDR=f"10.1.0.{i}").status_code == 401
    assert login(app.test_client(), "viewer", PASSWORD, REMOTE_ADDR="10.2.0.1").status_code == 429
    assert login(app.test_client(), "pm", REMOTE_ADDR="10.2.0.1").status_code == 302


def test_successful_logins_do_not_count(app, users):
    for _ in range(LIMIT * 2):
        assert login(app.test_client(), "viewer").status_code == 302
    for _ in range(LIMIT - 1):
        assert login(app.test_client(), "viewer", "nope-nope").status_code == 401
    assert login(app.test_client(), "viewer").status_code == 302


def test_forwarded_address_only_behind_configured_proxies(settings_factory, db_url, engine, users):
    forged = {"HTTP_X_FORWARDED_FOR": "203.0.113.7"}
    direct = create_app(settings_factory(db_url), engine)
    login(direct.test_client(), "viewer", "nope-nope", **forged)
    proxied = create_app(settings_factory(db_url, security={"proxies": 1}), engine)
    login(proxied.test_client(), "viewer", "nope-nope", **forged)
    assert [e["ip"] for e in _failures(engine)] == ["203.0.113.7", "127.0.0.1"]  # newest first
