"""`haocha citus convert` on a real Citus coordinator (one node: the coordinator holds the shards): a small demo city
is converted, the tables are distributed and co-located as planned, the refused keys are gone and the others back,
no row is lost, a second run does nothing, and every stage of the pipeline still runs.

Needs PostgreSQL (HAOCHA_TEST_POSTGRES_URL) with the citus extension installed and preloaded
(shared_preload_libraries = 'citus'); skipped with a message otherwise. Citus is not in the package registries of
the CI machines, so there this test skips: what runs in CI is the plan (test_plan.py) and the rules
(tests/feedback/test_distribution_rules.py)."""

from __future__ import annotations

import json
import os
import uuid

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from feedback.citus import queries
from feedback.cli.citus import citus_group
from feedback.db import make_engine
from feedback.models import DISTRIBUTED, Base, reference_tables
from feedback.models.distribution import metadata_foreign_keys, refused
from feedback.settings import settings_from_mapping
from tests.conftest import PG_ENV, TEST_HASH_KEY

DEMO_ROWS = 2_000


@pytest.fixture
def citus_url():
    """A scratch database with the citus extension created."""
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(f"{PG_ENV} is not set: a Citus conversion needs PostgreSQL with the citus extension")
    admin = create_engine(make_url(base).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if conn.execute(text("SELECT 1 FROM pg_available_extensions WHERE name = 'citus'")).first() is None:
            admin.dispose()
            pytest.skip("the PostgreSQL server has no citus extension (pg_available_extensions): install Citus "
                        "to run the real conversion")
        name = f"haocha_t_{uuid.uuid4().hex[:10]}"
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(base).set(drivername="postgresql+psycopg", database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE EXTENSION citus"))
    except DBAPIError as exc:
        pytest.skip(f"CREATE EXTENSION citus failed (is it in shared_preload_libraries?): {exc.orig}")
    finally:
        engine.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _counts(engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {t: conn.execute(text(f'SELECT count(*) FROM "{t}"')).scalar_one()  # noqa: S608 - our table names
                for t in Base.metadata.tables}


def test_convert_a_demo_city(citus_url, tmp_path, default_sentiment_cache, monkeypatch):
    from feedback.pipeline import run_stages
    from feedback.scoring.repository import add_gold_label
    from tests.dashboards.demo_world import build_demo

    models = tmp_path / "instance" / "models"
    models.mkdir(parents=True)
    os.link(default_sentiment_cache, models / default_sentiment_cache.name)
    settings = settings_from_mapping({"database": {"url": citus_url}, "paths": {"instance_dir": str(tmp_path / "instance")}},
                                     base_dir=tmp_path, env={"HAOCHA_HASH_KEY": TEST_HASH_KEY})
    engine = make_engine(citus_url)
    build_demo(engine, settings, DEMO_ROWS)
    with engine.begin() as conn:
        record = conn.execute(text("SELECT min(id) FROM records")).scalar_one()
        add_gold_label(conn, record, "materials", by="督查科", note=None, version=None)
    before = _counts(engine)
    assert before["task_records"] and before["ledger_cases"] and before["gold_labels"]

    config = tmp_path / "config.toml"
    config.write_text(f'[database]\nurl = "{citus_url}"\n[paths]\ninstance_dir = "{tmp_path / "instance"}"\n', "utf-8")
    monkeypatch.setenv("HAOCHA_CONFIG", str(config))
    monkeypatch.setenv("HAOCHA_HASH_KEY", TEST_HASH_KEY)
    monkeypatch.delenv("HAOCHA_DATABASE_URL", raising=False)
    result = CliRunner().invoke(citus_group, ["convert", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["dry_run"] is False and report["ran"] == len(report["statements"]) and not report["problems"]

    with engine.connect() as conn:
        tables = queries.citus_tables(conn)
        groups = queries.colocation_ids(conn)
        fks = {fk.signature for fk in queries.foreign_keys(conn)}
    assert {t: tables.get(t) for t in DISTRIBUTED} == {t: ("distributed", c) for t, c in DISTRIBUTED.items()}
    assert {t: tables.get(t, (None,))[0] for t in reference_tables(Base.metadata)} == {
        t: "reference" for t in reference_tables(Base.metadata)}
    assert len({groups[t] for t in DISTRIBUTED}) == 1, groups  # co-located with records
    assert "alembic_version" not in tables
    model = metadata_foreign_keys(Base.metadata)
    assert fks == {fk.signature for fk in model if not refused(fk)}
    assert _counts(engine) == before

    again = CliRunner().invoke(citus_group, ["convert"])
    assert again.exit_code == 0 and "无需转换" in again.stdout, again.output

    failed = [o for o in run_stages(engine, settings) if not o.ok]
    assert not failed, failed
    engine.dispose()
