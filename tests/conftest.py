"""Shared fixtures: settings, engines on SQLite and (when HAOCHA_TEST_POSTGRES_URL is set) PostgreSQL, CLI runner."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from feedback.db import make_engine, upgrade
from feedback.settings import Settings, settings_from_mapping

PG_ENV = "HAOCHA_TEST_POSTGRES_URL"
TEST_HASH_KEY = "test-hash-key-not-secret"


def _pg_admin_url() -> str | None:
    return os.environ.get(PG_ENV) or None


@pytest.fixture(scope="session")
def pg_database():
    """A throw-away PostgreSQL database for this test session (dropped at the end)."""
    base = _pg_admin_url()
    if not base:
        yield None
        return
    name = f"haocha_t_{uuid.uuid4().hex[:10]}"
    admin = create_engine(make_url(base).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(base).set(drivername="postgresql+psycopg", database=name)
    yield url.render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _reset_pg(url: str) -> None:
    eng = create_engine(url)
    with eng.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    eng.dispose()


@pytest.fixture(scope="session", autouse=True)
def _fit_cache(tmp_path_factory):
    """Text classifiers fitted once per distinct input for the whole run (``$HAOCHA_FIT_CACHE``): most scoring
    tests fit the same labelled corpus, often with the same store texts (the SQLite and PostgreSQL variants of a
    test always), and a fit is a minute of the suite's time. The folder is shared by xdist's workers."""
    from feedback.scoring.textclf import FIT_CACHE_ENV

    root = tmp_path_factory.getbasetemp()
    root = root.parent if os.environ.get("PYTEST_XDIST_WORKER") else root
    before = os.environ.get(FIT_CACHE_ENV)
    os.environ[FIT_CACHE_ENV] = str(root / "fit-cache")
    yield
    if before is None:
        os.environ.pop(FIT_CACHE_ENV, None)
    else:
        os.environ[FIT_CACHE_ENV] = before


@pytest.fixture(scope="session")
def default_sentiment_cache(tmp_path_factory) -> Path:
    """The default sentiment model, trained once per test session (about 10 s) instead of once per test."""
    from feedback.scoring.sentiment import make_sentiment_engine

    instance = tmp_path_factory.mktemp("shared-instance")
    engine = make_sentiment_engine("linear", instance)
    engine.model  # noqa: B018 - trains and writes the cache file
    return engine.cache_path


@pytest.fixture(autouse=True)
def _seed_model_cache(request, tmp_path):
    """Put the session's default sentiment model in each test's instance/models (what `haocha` caches there),
    for tests that touch the database or the CLI."""
    if not {"settings", "engine", "runner", "config_file", "settings_factory"} & set(request.fixturenames):
        return
    cached = request.getfixturevalue("default_sentiment_cache")
    target = tmp_path / "instance" / "models" / cached.name
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists():
        os.link(cached, target)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path, pg_database) -> str:
    """An empty database URL; every database test runs once per backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'haocha.db'}"
    if pg_database is None:
        pytest.skip(f"{PG_ENV} is not set: PostgreSQL variant skipped")
    _reset_pg(pg_database)
    return pg_database


@pytest.fixture
def settings_factory(tmp_path):
    def make(url: str = "sqlite:///:memory:", **sections) -> Settings:
        data = {"database": {"url": url}, "paths": {"instance_dir": str(tmp_path / "instance")}}
        data.update(sections)
        return settings_from_mapping(data, base_dir=tmp_path, env={"HAOCHA_HASH_KEY": TEST_HASH_KEY})

    return make


@pytest.fixture
def settings(db_url, settings_factory) -> Settings:
    return settings_factory(db_url, ingest={"chunk_size": 1000})


@pytest.fixture
def engine(settings):
    eng = make_engine(settings.database_url)
    upgrade(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def config_file(tmp_path, db_url) -> Path:
    """A config.toml for CLI tests pointing at the test database."""
    path = tmp_path / "config.toml"
    path.write_text(
        f'[database]\nurl = "{db_url}"\n[paths]\ninstance_dir = "{tmp_path / "instance"}"\n'
        "[ingest]\nchunk_size = 1000\n",
        encoding="utf-8",
    )
    return path


@pytest.fixture
def runner(config_file, monkeypatch) -> CliRunner:
    monkeypatch.setenv("HAOCHA_CONFIG", str(config_file))
    monkeypatch.setenv("HAOCHA_HASH_KEY", TEST_HASH_KEY)
    monkeypatch.delenv("HAOCHA_DATABASE_URL", raising=False)
    return CliRunner()
