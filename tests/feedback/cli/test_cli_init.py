"""``haocha init`` tells the operator what to fix on the database server."""

from __future__ import annotations

from sqlalchemy import text

from feedback import db
from feedback.cli import main


def test_init_warns_when_postgresql_runs_without_autovacuum(runner, engine, monkeypatch):
    with engine.connect() as conn:
        warnings = db.server_warnings(conn)
        if engine.dialect.name == "postgresql":
            autovacuum = conn.execute(text("SHOW autovacuum")).scalar()
            assert warnings == ([db.AUTOVACUUM_OFF] if autovacuum == "off" else [])
        else:
            assert warnings == []  # SQLite has no such server setting
    res = runner.invoke(main, ["init"])
    assert res.exit_code == 0
    assert ("autovacuum 已关闭" in res.output) == bool(warnings)
    monkeypatch.setattr(db, "server_warnings", lambda conn: [db.AUTOVACUUM_OFF])  # a server without it
    res = runner.invoke(main, ["init"])
    assert res.exit_code == 0 and "注意：PostgreSQL 的 autovacuum 已关闭" in res.output
    assert "VACUUM (ANALYZE)" in res.output
