"""[database] read_url: the analysis reads (总览, 评价明细, the API's reads) go to a read replica, everything that
writes (sign-in, audit, labels, tasks, ledger) and the workflow screens that must show a change at once stay on the
primary. Checked on two separate databases (which one answered is visible) and on a real PostgreSQL hot standby
on loopback, where any write on the read path would fail."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from dashboards.app import create_app
from feedback.db import make_engine, upgrade
from feedback.models import AuditLog, Record
from tests import factory
from tests.dashboards.conftest import DEPT_A, PASSWORD, add_users, login, rating_row, seed
from tests.pg_replica import server_bin, streaming_pair, wait_for_replay


def _audit_count(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(AuditLog)).scalar_one()


def test_settings_name_the_replica(settings_factory, tmp_path):
    s = settings_factory("sqlite:///primary.db", database={"url": "sqlite:///primary.db", "read_url": "sqlite:///r.db"})
    assert s.database_read_url == f"sqlite:///{(tmp_path / 'r.db').resolve()}"
    assert settings_factory("sqlite:///primary.db").database_read_url is None


def test_reads_go_to_the_replica_and_writes_to_the_primary(settings, engine, tmp_path):
    add_users(engine)
    seed(engine)  # the primary: 20 records
    replica = make_engine(f"sqlite:///{tmp_path / 'replica.db'}")
    upgrade(replica)
    with replica.begin() as conn:  # the "replica" holds 3 other records, so the answer shows where it came from
        batch = factory.add_batch(conn, source_system="national", profile="national", file_name="r.csv",
                                  file_sha256="1" * 64, status="done")
        for i in range(3):
            conn.execute(Record.__table__.insert(), [rating_row(100 + i, batch, text="副本里的评价",
                                                                dept_code=DEPT_A)])
    app = create_app(settings, engine, read_engine=replica)
    app.config["TESTING"] = True
    client = app.test_client()
    before = _audit_count(engine)
    assert login(client, "viewer").status_code == 302  # users live on the primary only: sign-in reads it
    assert _audit_count(engine) > before and _audit_count(replica) == 0  # the audit row is written there too
    body = client.get("/api/v1/records").json
    assert body["total"] == 3 and {i["text"] for i in body["items"]} == {"副本里的评价"}
    assert "副本里的评价" in client.get("/records").text
    assert client.get("/api/v1/overview").status_code == 200
    replica.dispose()


@pytest.mark.skipif(server_bin() is None, reason="no PostgreSQL server binaries (/usr/lib/postgresql/N/bin): "
                                                  "apt-get install postgresql to run the hot-standby test")
def test_every_analysis_read_works_on_a_read_only_hot_standby(settings_factory, tmp_path):
    with streaming_pair(tmp_path / "pg") as pair:
        primary, replica = make_engine(pair.primary_url), make_engine(pair.replica_url)
        try:
            upgrade(primary)
            add_users(primary)
            seed(primary)
            wait_for_replay(primary, replica)
            settings = settings_factory(pair.primary_url, database={"url": pair.primary_url,
                                                                    "read_url": pair.replica_url})
            app = create_app(settings, primary)  # the replica comes from [database] read_url
            app.config["TESTING"] = True
            assert app.extensions["haocha"].read_engine is not None
            client = app.test_client()
            assert login(client, "ops", PASSWORD).status_code == 302
            for url in ("/", "/records", "/records?q=办理", "/api/v1/records", "/api/v1/overview",
                        "/api/v1/overview?level=1", "/records/export.csv", "/tasks", "/ledger"):
                response = client.get(url)
                assert response.status_code == 200, (url, response.status_code, response.text[:300])
            assert client.get("/api/v1/records").json["total"] == 20
            with replica.connect() as conn:  # it really is a standby: a write there is refused
                assert conn.exec_driver_sql("SELECT pg_is_in_recovery()").scalar_one() is True
        finally:
            primary.dispose()
            replica.dispose()
