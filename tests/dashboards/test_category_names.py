"""Category names on the screens, in the API and in the exports come from the configured taxonomy
(``[scoring] taxonomy``), not from a list of their own."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import insert, select

from feedback.models import ModelVersion, Record, Score
from feedback.scoring.taxonomy import default_taxonomy_path
from tests.dashboards.work_data import seed_work

SPEED, OTHER = "办事速度", "其他诉求"  # the custom file's names of "timeliness" and "other"


@pytest.fixture
def settings(db_url, settings_factory, tmp_path):
    """The test settings with a taxonomy of their own (relative to the config's folder, as in config.toml)."""
    text = default_taxonomy_path().read_text(encoding="utf-8")
    assert 'name = "办理时效"' in text and 'name = "其他问题"' in text
    text = text.replace('name = "办理时效"', f'name = "{SPEED}"', 1).replace('name = "其他问题"', f'name = "{OTHER}"', 1)
    (tmp_path / "my_taxonomy.toml").write_text(text, encoding="utf-8")
    return settings_factory(db_url, ingest={"chunk_size": 1000}, scoring={"taxonomy": "my_taxonomy.toml"})


@pytest.fixture
def scored(engine, seeded):
    """Task B (category timeliness) and two scored records: P000000 timeliness, P000002 other."""
    seed_work(engine)
    now = datetime(2026, 3, 3)
    with engine.begin() as conn:
        ids = dict(conn.execute(select(Record.record_key, Record.id)
                                .where(Record.record_key.in_(["P000000", "P000002"]))).all())
        conn.execute(insert(ModelVersion).values(version="v-test", kind="scoring", description="{}", active=True,
                                                 created_at=now))
        conn.execute(insert(Score), [
            {"record_id": ids[key], "model_version": "v-test", "sentiment": "neg", "sentiment_score": 0.1,
             "text_score": 0.1, "hidden_complaint": False, "category": cat, "category_conf": 0.9,
             "subcategory": None, "categories": None, "scored_at": now}
            for key, cat in (("P000000", "timeliness"), ("P000002", "other"))])
    return ids


def test_records_name_categories_from_the_configured_taxonomy(client_for, scored):
    client = client_for("admin")
    items = {r["id"]: r for r in client.get("/api/v1/records?per_page=50").json["items"]}
    assert items[scored["P000000"]]["category_name"] == SPEED
    assert items[scored["P000002"]]["category_name"] == OTHER
    page = client.get("/records?category=timeliness").text
    assert page.count(SPEED) >= 2 and "办理时效" not in page  # the filter pill and the row
    export = client.get("/records/export.csv").data.decode("utf-8-sig")
    assert SPEED in export and OTHER in export and "办理时效" not in export


def test_tasks_name_categories_from_the_configured_taxonomy(client_for, scored):
    client = client_for("admin")
    items = {t["key"]: t for t in client.get("/api/v1/tasks").json["items"]}
    assert items["task-b"]["category_name"] == SPEED
    assert client.get(f"/api/v1/tasks/{items['task-b']['id']}").json["category_name"] == SPEED
    page = client.get("/tasks").text
    assert f'<option value="timeliness">{SPEED}</option>' in page  # the category filter
    assert f"· {SPEED}" in page  # the list entry
