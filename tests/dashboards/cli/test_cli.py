"""`haocha users add|list|token` and `haocha serve` from the command line."""

from __future__ import annotations

import json

from sqlalchemy import select

from feedback.cli import main
from feedback.models import User


def test_add_list_and_token(runner, db_url):
    assert runner.invoke(main, ["init"]).exit_code == 0
    res = runner.invoke(main, ["users", "add", "zhang", "--role", "ops", "--dept", "DEPT1", "--password-stdin"],
                        input="s3cret-password\n")
    assert res.exit_code == 0, res.output
    assert "zhang" in res.output and "DEPT1" in res.output
    prompted = runner.invoke(main, ["users", "add", "li", "--role", "viewer"],
                             input="another-password\nanother-password\n")
    assert prompted.exit_code == 0, prompted.output

    listed = runner.invoke(main, ["users", "list", "--json"])
    users = [json.loads(line) for line in listed.output.strip().splitlines()]
    assert [(u["username"], u["role"], u["dept_code"], u["has_token"]) for u in users] == [
        ("li", "viewer", None, False), ("zhang", "ops", "DEPT1", False)]
    assert "zhang" in runner.invoke(main, ["users", "list"]).output

    token = runner.invoke(main, ["users", "token", "zhang"]).output.strip()
    assert token.startswith("hc_") and len(token) > 40
    from sqlalchemy import create_engine

    engine = create_engine(db_url)
    with engine.connect() as conn:
        row = conn.execute(select(User.password_hash, User.token_hash).where(User.username == "zhang")).one()
    engine.dispose()
    assert row.password_hash.startswith("$argon2id$") and "s3cret" not in row.password_hash
    assert row.token_hash != token and len(row.token_hash) == 64


def test_add_refuses_bad_input(runner):
    runner.invoke(main, ["init"])
    ok = ["users", "add", "wang", "--role", "pm", "--password-stdin"]
    assert runner.invoke(main, ok, input="long-enough-pw\n").exit_code == 0
    dup = runner.invoke(main, ok, input="long-enough-pw\n")
    assert dup.exit_code == 2 and "already exists" in dup.output
    short = runner.invoke(main, ["users", "add", "zhao", "--role", "pm", "--password-stdin"], input="short\n")
    assert short.exit_code == 2 and "at least 8" in short.output
    role = runner.invoke(main, ["users", "add", "zhao", "--role", "boss", "--password-stdin"], input="x" * 10)
    assert role.exit_code == 2
    assert runner.invoke(main, ["users", "token", "nobody"]).exit_code == 2


def test_users_before_init_says_what_to_do(runner):
    res = runner.invoke(main, ["users", "list"])
    assert res.exit_code == 2 and "haocha init" in res.output


def test_serve_prints_the_url_and_runs_the_app(runner, monkeypatch):
    runner.invoke(main, ["init"])
    started = {}

    def fake_run_simple(host, port, app, **kw):
        started.update(host=host, port=port, app=app, **kw)

    import builtins

    real_import = builtins.__import__

    def no_waitress(name, *args, **kwargs):
        if name == "waitress":
            raise ImportError("waitress not installed")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr("werkzeug.serving.run_simple", fake_run_simple)
    monkeypatch.setattr(builtins, "__import__", no_waitress)
    res = runner.invoke(main, ["serve", "--port", "8123"])
    assert res.exit_code == 0, res.output
    assert "http://127.0.0.1:8123/" in res.output and "users add" in res.output
    assert started["port"] == 8123 and started["threaded"] is True and started["app"].name == "dashboards.app"


def test_serve_takes_what_it_loaded_out_of_the_collectors_scans(runner, monkeypatch):
    """What the server loaded before its first request lives as long as it does: frozen, a full collection in a
    request no longer scans it."""
    import gc

    runner.invoke(main, ["init"])
    seen = {}
    monkeypatch.setattr("waitress.serve", lambda app, **kw: seen.update(frozen=gc.get_freeze_count(), **kw))
    try:
        gc.unfreeze()
        res = runner.invoke(main, ["serve", "--port", "8124"])
        assert res.exit_code == 0, res.output
        assert seen["port"] == 8124 and seen["frozen"] > 10_000  # the app and its libraries
    finally:
        gc.unfreeze()


def test_serve_refuses_several_processes_without_the_job_queue(runner, monkeypatch):
    """With the thread runner a batch's status lives in the process that took the upload: several web processes
    would each show their own. The command says so in Chinese instead of starting."""
    from dashboards.cli.serve import check_processes

    runner.invoke(main, ["init"])
    monkeypatch.setattr("waitress.serve", lambda app, **kw: None)
    res = runner.invoke(main, ["serve", "--port", "8125", "--processes", "2"])
    assert res.exit_code == 2 and 'queue = "procrastinate"' in res.output and "网页进程" in res.output
    assert runner.invoke(main, ["serve", "--port", "8125", "--processes", "0"]).exit_code == 2
    assert runner.invoke(main, ["serve", "--port", "8125", "--processes", "1"]).exit_code == 0
    assert check_processes(4, "procrastinate") is None and check_processes(1, "thread") is None
