"""Sources belong to accounts: a push account writes only the source systems [push] sources lists for it (by
default its own ``push-ACCOUNT``), so it cannot claim an official feed's record keys before the official file
arrives and make the official 差评 count as a duplicate (the key-squatting finding)."""

from __future__ import annotations

import csv

import pytest
from sqlalchemy import select

from etl.pipeline import ingest_file
from feedback.models import Batch, Record
from feedback.settings import SettingsError, settings_from_mapping
from tests.dashboards.actions.test_push import _body, _rating
from tests.dashboards.conftest import DEPT_A

OFFICIAL_BAD = _rating(7, satisfaction=1, writingEvaluation="窗口推诿，来回跑了三趟")


def _official_file(tmp_path, records) -> str:
    path = tmp_path / "national_official.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(records[0]))
        writer.writeheader()
        writer.writerows(records)
    return str(path)


def _records(engine, key: str) -> list:
    with engine.connect() as conn:
        return conn.execute(select(Record.source_system, Record.level, Batch.file_name)
                            .join(Batch, Batch.id == Record.batch_id).where(Record.record_key == key)).all()


def _squat(app, token_for, source="national"):
    """A department-bound account pushes a harmless 5-star record under the official 差评's key."""
    squat = dict(OFFICIAL_BAD, satisfaction=5, writingEvaluation="很满意")
    body = {**_body([squat], batch_id="squat-1"), "source": source}
    return app.test_client().post("/api/v1/push", json=body, headers=token_for("ops_a"))


def test_squatting_an_official_feed_is_refused_and_the_official_bad_rating_loads(app, engine, settings, token_for,
                                                                                  tmp_path):
    response = _squat(app, token_for)
    assert response.status_code == 403
    assert "未登记为来源系统 national 的推送方" in response.json["message"] and "push-ops_a" in response.json["message"]
    assert _records(engine, "PUSH00007#1") == []
    result = ingest_file(engine, settings, _official_file(tmp_path, [OFFICIAL_BAD]), profile="national")
    assert (result.loaded, result.duplicate) == (1, 0)
    assert [(r.source_system, r.level) for r in _records(engine, "PUSH00007#1")] == [("national", 1)]


def test_an_unlisted_account_writes_its_own_source_by_default(app, engine, settings, token_for, tmp_path):
    body = _body([dict(OFFICIAL_BAD, satisfaction=5)], batch_id="own-1")
    response = app.test_client().post("/api/v1/push", json=body, headers=token_for("ops_a"))
    assert response.status_code == 201 and response.json["source"] == "push-ops_a"
    result = ingest_file(engine, settings, _official_file(tmp_path, [OFFICIAL_BAD]), profile="national")
    assert (result.loaded, result.duplicate) == (1, 0)  # the official 差评 is not a "duplicate" of the push
    assert ("national", 1) in {(r.source_system, r.level) for r in _records(engine, "PUSH00007#1")}
    # an explicit source of another account is refused too
    other = {**_body([_rating(1)], batch_id="own-2"), "source": "push-ops"}
    assert app.test_client().post("/api/v1/push", json=other, headers=token_for("ops_a")).status_code == 403


@pytest.fixture
def settings(db_url, settings_factory):
    return settings_factory(db_url, ingest={"chunk_size": 1000},
                            push={"sources": {"ops": ["national", "app"], "admin": ["national"]}})


def test_a_listed_account_writes_its_sources_and_nobody_else_does(app, engine, token_for):
    ok = app.test_client().post("/api/v1/push", json={**_body([_rating(1)], batch_id="n-1"), "source": "national"},
                                headers=token_for("ops"))
    assert ok.status_code == 201 and ok.json["source"] == "national"
    # two sources listed, none named: the profile's own name, when listed
    default = app.test_client().post("/api/v1/push", json=_body([_rating(2)], batch_id="n-2"),
                                     headers=token_for("ops"))
    assert default.status_code == 201 and default.json["source"] == "national"
    assert _squat(app, token_for).status_code == 403
    assert _squat(app, token_for, source="app").status_code == 403
    with engine.connect() as conn:
        assert set(conn.execute(select(Record.dept_code)).scalars()) == {DEPT_A}
        assert conn.execute(select(Batch.file_name)).scalars().all() == ["push:ops:n-1", "push:ops:n-2"]


def test_a_key_held_by_a_file_or_another_account_is_rejected_not_a_duplicate(app, engine, settings, token_for,
                                                                            tmp_path):
    result = ingest_file(engine, settings, _official_file(tmp_path, [OFFICIAL_BAD]), profile="national")
    assert result.loaded == 1
    records = [dict(OFFICIAL_BAD, satisfaction=5), _rating(8), _rating(9)]
    body = {**_body(records, batch_id="k-1"), "source": "national"}
    first = app.test_client().post("/api/v1/push", json=body, headers=token_for("ops"))
    assert first.status_code == 201, first.json
    assert (first.json["read"], first.json["loaded"], first.json["duplicate"], first.json["rejected"]) == (3, 2, 0, 1)
    (reject,) = first.json["rejects"]
    assert reject["index"] == 0 and "PUSH00007#1" in reject["reason"] and "导入的文件" in reject["reason"]
    assert [(r.source_system, r.level) for r in _records(engine, "PUSH00007#1")] == [("national", 1)]
    # the same account resending its own records under a new batch id: duplicates, as before
    again = app.test_client().post("/api/v1/push", json={**body, "batch_id": "k-2"}, headers=token_for("ops"))
    assert (again.json["loaded"], again.json["duplicate"], again.json["rejected"]) == (0, 2, 1)
    # another account listed for the same source cannot take over the first account's records
    other = app.test_client().post("/api/v1/push", json={**_body([_rating(8)], batch_id="k-3"), "source": "national"},
                                   headers=token_for("admin"))
    assert (other.json["loaded"], other.json["duplicate"], other.json["rejected"]) == (0, 0, 1)
    assert "账号 ops 的推送" in other.json["rejects"][0]["reason"]
    with engine.connect() as conn:
        batch = conn.execute(select(Batch).where(Batch.id == other.json["batch_id"])).one()
    assert (batch.read, batch.rejected, batch.status) == (1, 1, "done")
    replay = app.test_client().post("/api/v1/push", json={**_body([_rating(8)], batch_id="k-3"), "source": "national"},
                                    headers=token_for("admin"))
    assert replay.status_code == 200 and replay.json["rejected"] == 1 and replay.json["rejects"] == other.json["rejects"]


def test_push_sources_must_be_lists_of_names():
    with pytest.raises(SettingsError, match="push.sources.ops"):
        settings_from_mapping({"push": {"sources": {"ops": "national"}}})
