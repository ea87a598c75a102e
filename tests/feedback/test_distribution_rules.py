"""The schema and the SQL stay ready for the nation profile on Citus (``feedback.models.distribution``), on a
PostgreSQL database migrated to head — read from its catalogs, not from the models, so a migration that drifts
from the models is caught:

- every unique key (primary keys and unique indexes included) of a distributed table contains its distribution
  column;
- every foreign key between two distributed tables joins their distribution columns;
- every table is either planned (distributed or reference) or one that stays on the coordinator;
- every join between two distributed tables that the product runs equates their distribution columns: the SQL of
  a representative workload is captured (the demo city through the public ETL pipeline and every stage, a year of
  office work, the CLI's reports, every dashboard page, the JSON API and the exports as an admin) and each
  statement's joins are found with PostgreSQL's own parser (tests/sqljoins.py).

PostgreSQL only (HAOCHA_TEST_POSTGRES_URL); skipped with a message otherwise."""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url

import feedback
from feedback.citus import queries
from feedback.db import make_engine, upgrade
from feedback.models import DISTRIBUTED, Base
from feedback.models.distribution import (
    is_coordinator_only,
    misplaced_foreign_keys,
    unique_keys_without_distribution_column,
)
from tests.conftest import PG_ENV, TEST_HASH_KEY

pytest.importorskip("pglast", reason="pglast is missing: pip install -e '.[test]'")

from tests.sqljoins import Analyser, Join, driver_sql_to_postgres  # noqa: E402 - after the skip check

DEMO_ROWS = 6_000  # the demo city's ratings (plus its 12345 messages); enough for every stage to find work
MIN_JOINS = 5  # distinct statements with a join between distributed tables the workload must run
PRODUCT = Path(feedback.__file__).resolve().parents[1]
PACKAGES = tuple(str(PRODUCT / p) + os.sep for p in ("feedback", "etl", "dashboards"))


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    """A scratch PostgreSQL database of this module, migrated to head."""
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(f"{PG_ENV} is not set: the distribution rules read PostgreSQL's catalogs")
    name = f"haocha_t_{uuid.uuid4().hex[:10]}"
    admin = create_engine(make_url(base).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(base).set(drivername="postgresql+psycopg", database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="module")
def catalog(pg_url):
    engine = make_engine(pg_url)
    with engine.connect() as conn:
        found = {"unique": queries.unique_keys(conn), "fks": queries.foreign_keys(conn),
                 "tables": queries.table_names(conn)}
    engine.dispose()
    return found


def test_unique_keys_of_distributed_tables_contain_the_distribution_column(catalog):
    assert any(k.table == "records" for k in catalog["unique"]), "no unique key read: the catalog query is broken"
    bad = unique_keys_without_distribution_column(catalog["unique"])
    assert not bad, ("unique keys of distributed tables without their distribution column (Citus cannot enforce "
                     "them): " + "; ".join(str(k) for k in bad))


def test_foreign_keys_between_distributed_tables_join_the_distribution_columns(catalog):
    between = [fk for fk in catalog["fks"] if fk.table in DISTRIBUTED and fk.referred_table in DISTRIBUTED]
    assert between, "no foreign key between distributed tables read: the catalog query is broken"
    bad = misplaced_foreign_keys(catalog["fks"])
    assert not bad, "foreign keys between distributed tables off their distribution columns: " + "; ".join(map(str, bad))


def test_every_table_is_planned_or_stays_on_the_coordinator(catalog):
    unknown = [t for t in catalog["tables"] if t not in Base.metadata.tables and not is_coordinator_only(t)]
    assert not unknown, f"tables neither in the models (distributed or reference) nor coordinator-only: {unknown}"
    assert set(Base.metadata.tables) <= set(catalog["tables"])


# --- the joins the product runs ---------------------------------------------------------------------------------

@dataclass
class Captured:
    statements: dict[str, str] = field(default_factory=dict)  # SQL (PostgreSQL placeholders) → issuing module:line
    executed: int = 0


def _origin() -> str:
    """The innermost product frame (feedback / etl / dashboards) of the current stack."""
    frame = sys._getframe(2)
    while frame is not None:
        if frame.f_code.co_filename.startswith(PACKAGES):
            rel = Path(frame.f_code.co_filename).relative_to(PRODUCT).as_posix()
            return f"{rel}:{frame.f_lineno} ({frame.f_code.co_name})"
        frame = frame.f_back
    return "?"


@contextmanager
def capture_sql() -> Iterator[Captured]:
    """Every statement any engine sends to the database (SQLAlchemy Core, the ORM, exec_driver_sql)."""
    captured = Captured()

    def before(conn, cursor, statement, parameters, context, executemany):
        captured.executed += 1
        sql = driver_sql_to_postgres(statement, bool(parameters))
        if sql not in captured.statements:
            captured.statements[sql] = _origin()

    event.listen(Engine, "before_cursor_execute", before)
    try:
        yield captured
    finally:
        event.remove(Engine, "before_cursor_execute", before)


def _settings(folder: Path, url: str, model_cache: Path):
    from feedback.settings import settings_from_mapping

    models = folder / "instance" / "models"
    models.mkdir(parents=True)
    os.link(model_cache, models / model_cache.name)
    config = folder / "config.toml"
    config.write_text(f'[database]\nurl = "{url}"\n[paths]\ninstance_dir = "{folder / "instance"}"\n', "utf-8")
    return settings_from_mapping({"database": {"url": url}, "paths": {"instance_dir": str(folder / "instance")}},
                                 base_dir=folder, env={"HAOCHA_HASH_KEY": TEST_HASH_KEY}), config


def _ship_a_topic_task(engine: Engine, settings) -> None:
    """A topic task (a 12345 theme) shipped, then the tasks stage: its impact check counts its member records."""
    from datetime import datetime

    from feedback.pipeline import STAGES, run_stages
    from feedback.tasks import repository as task_repository

    with engine.connect() as conn:
        topic = conn.execute(text("SELECT id FROM tasks WHERE kind = 'topic' AND status = 'new' AND rank IS NOT NULL "
                                  "ORDER BY rank LIMIT 1")).scalar_one_or_none()
    assert topic is not None, "the demo has no open topic task"
    with pytest.MonkeyPatch.context() as mp, engine.begin() as conn:
        for day, status in ((1, "accepted"), (3, "in_progress"), (10, "shipped")):
            mp.setattr(task_repository, "_now", lambda day=day: datetime(2026, 9, day, 10))
            task_repository.change_task(conn, topic, by="陈静", status=status)
    failed = [o for o in run_stages(engine, settings, [s for s in STAGES if s.name == "tasks"]) if not o.ok]
    assert not failed, failed


def _cli(config: Path) -> None:
    """The CLI's reads: `haocha kpi`, `tasks list`, `ledger list`, `alerts`, `label list`."""
    from click.testing import CliRunner

    from feedback.cli import main

    env = {"HAOCHA_CONFIG": str(config), "HAOCHA_HASH_KEY": TEST_HASH_KEY}
    for args in (["kpi", "--json"], ["kpi", "--month", "2026-06", "--as-of", "2026-07-15"], ["tasks", "list", "--json"],
                 ["ledger", "list", "--overdue"], ["alerts", "--no-post", "--json"], ["label", "list", "--json"]):
        result = CliRunner().invoke(main, args, env=env)
        assert result.exit_code == 0, (args, result.output)


def _dashboard(engine: Engine, settings) -> int:
    """Every page, API endpoint and export as an admin (and a push and a label with an API token); returns the
    number of requests."""
    from dashboards.actions import jobs
    from dashboards.app import create_app
    from dashboards.users import create_user, issue_token
    from feedback.pipeline import run_stages
    from tests.dashboards.actions.test_push import _body, _rating
    from tests.dashboards.conftest import PASSWORD, login

    app = create_app(settings, engine)
    app.config["TESTING"] = True
    app.extensions[jobs.EXTENSION] = jobs.StageRunner(lambda: run_stages(engine, settings), synchronous=True)
    with engine.begin() as conn:
        create_user(conn, "admin", PASSWORD, "admin", None)
        token = {"Authorization": f"Bearer {issue_token(conn, 'admin')}"}
        tasks = conn.execute(text("SELECT id FROM tasks WHERE rank IS NOT NULL ORDER BY rank LIMIT 3")).scalars().all()
        cases = conn.execute(text("SELECT id FROM ledger_cases ORDER BY id LIMIT 3")).scalars().all()
        record = conn.execute(text("SELECT id FROM records ORDER BY id LIMIT 1")).scalar_one()
        batch = conn.execute(text("SELECT id FROM batches ORDER BY id LIMIT 1")).scalar_one()
        month = str(conn.execute(text("SELECT max(month) FROM rollup_monthly")).scalar_one())[:7]
    assert tasks and cases
    client = app.test_client()
    assert login(client, "admin").status_code == 302
    filters = "start=2026-03-01&end=2026-09-30&level=1&level=2&channel=pc&sentiment=neg"
    urls = [
        "/", "/?grain=day", "/?grain=month", f"/?{filters}", "/?category=materials&kind=rating",
        "/records", "/records?q=排队", "/records?hidden=1", f"/records?{filters}&page=2", "/records/review",
        "/records/export.csv", "/records/export.xlsx?sentiment=neg",
        "/tasks", "/tasks?type=all", "/tasks?inactive=1", *(f"/tasks/{t}" for t in tasks),
        *(f"/tasks/export/{fmt}" for fmt in ("csv", "xlsx", "json", "jira")),
        "/ledger", "/ledger?overdue=1", *(f"/ledger/{c}" for c in cases), "/alerts", "/models",
        "/ingest", f"/ingest/batches/{batch}/rejects.csv",
        "/reports/", *(f"/reports/monthly?month={month}&format={fmt}" for fmt in ("html", "xlsx", "docx")),
        "/api/v1/me", "/api/v1/overview", f"/api/v1/overview?{filters}&grain=month", "/api/v1/records",
        "/api/v1/records?q=排队&per_page=50", f"/api/v1/records?{filters}", "/api/v1/tasks", "/api/v1/tasks?type=all",
        *(f"/api/v1/tasks/{t}" for t in tasks), "/api/v1/alerts", "/api/v1/batches",
        f"/api/v1/batches/{batch}/rejects.csv", "/api/v1/ledger", *(f"/api/v1/ledger/{c}" for c in cases),
        "/api/v1/openapi.json",
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code, response.text[:300])
    api = app.test_client()
    pushed = api.post("/api/v1/push", json=_body([_rating(i) for i in range(40)]), headers=token)
    assert pushed.status_code == 201, pushed.text
    labelled = api.post(f"/api/v1/records/{record}/label", json={"category": "materials"}, headers=token)
    assert labelled.status_code == 201, labelled.text
    for url in ("/", "/api/v1/overview", "/tasks", "/ledger"):  # after the push's stages
        assert client.get(url).status_code == 200
    return len(urls) + 6


@pytest.fixture(scope="module")
def workload(pg_url, tmp_path_factory, default_sentiment_cache) -> Captured:
    from feedback.scoring import trust
    from tests.dashboards.conftest import HELD_OUT
    from tests.dashboards.demo_world import build_demo, work_the_year

    folder = tmp_path_factory.mktemp("distribution-rules")
    settings, config = _settings(folder, pg_url, default_sentiment_cache)
    with pytest.MonkeyPatch.context() as mp, capture_sql() as captured:
        # the 模型 screen's held-out measure (10 s of CPU, no SQL) as the dashboard tests have it
        mp.setattr(trust, "held_out_report", lambda scorer, directory=None: dict(HELD_OUT))
        engine = make_engine(pg_url)
        build_demo(engine, settings, DEMO_ROWS)  # `haocha demo`: ingest → score → rollups → tasks → ledger → alerts
        work_the_year(engine, settings)  # task changes, the ledger worked, alerts checked weekly, tasks rebuilt
        _ship_a_topic_task(engine, settings)
        _cli(config)
        _dashboard(engine, settings)
        engine.dispose()
    return captured


ANALYSER = Analyser(DISTRIBUTED, {name: t.columns.keys() for name, t in Base.metadata.tables.items()})


def _short(sql: str, limit: int = 400) -> str:
    flat = " ".join(sql.split())
    return flat if len(flat) <= limit else flat[:limit] + " …"


def analyse(statements: dict[str, str]) -> tuple[dict[str, list[Join]], list[str], list[str]]:
    """The joins of each statement (SQL → its issuing module), the offending ones as report lines (the module,
    the joins, the statement shortened), and the statements the parser could not read."""
    joined: dict[str, list[Join]] = {}
    unparsed: list[str] = []
    for sql, origin in statements.items():
        try:
            found = ANALYSER.joins(sql)
        except Exception as exc:  # noqa: BLE001 - reported with the statement
            unparsed.append(f"- {origin}: {type(exc).__name__} {exc}\n  {_short(sql, 200)}")
            continue
        if found:
            joined[sql] = found
    offending = [f"- {statements[sql]}: {', '.join(str(j) for j in js if not j.ok)}\n  {_short(sql)}"
                 for sql, js in joined.items() if not all(j.ok for j in js)]
    return joined, offending, unparsed


def test_the_report_names_each_offending_statement_and_its_module():
    bad = "SELECT r.id FROM records r JOIN scores s ON s.model_version = %(v)s WHERE r.level <= 2"
    statements = {driver_sql_to_postgres(bad, True): "feedback/x/queries.py:12 (f)",
                  "SELECT 1 FROM records r JOIN scores s ON s.record_id = r.id": "feedback/x/queries.py:20 (g)",
                  "SELECT FROM WHERE": "feedback/x/queries.py:30 (h)"}
    joined, offending, unparsed = analyse(statements)
    assert len(joined) == 2
    assert offending == ["- feedback/x/queries.py:12 (f): records r ⋈ scores s (不在分布列上)\n"
                         "  SELECT r.id FROM records r JOIN scores s ON s.model_version = $1 WHERE r.level <= 2"]
    assert len(unparsed) == 1 and unparsed[0].startswith("- feedback/x/queries.py:30 (h): ParseError")


def test_joins_between_distributed_tables_are_on_the_distribution_columns(workload):
    product = {sql: origin for sql, origin in workload.statements.items() if origin != "?"}  # not the test's own
    joined, offending, unparsed = analyse(product)
    assert not unparsed, "statements pglast could not read:\n" + "\n".join(unparsed)
    assert not offending, (f"{len(offending)} statement(s) join distributed tables off their distribution columns "
                           "(Citus cannot run them shard by shard):\n" + "\n".join(offending))
    pairs = {frozenset(side.split()[0] for side in (j.left, j.right)) for js in joined.values() for j in js}
    assert {frozenset({"records", "scores"}), frozenset({"records", "task_records"})} <= pairs, (
        f"the workload no longer joins records with both scores and task_records: {pairs}")
    assert len(joined) >= MIN_JOINS, (
        f"the workload ran only {len(joined)} distinct statements joining distributed tables "
        f"(of {len(product)} distinct, {workload.executed} executed): it no longer exercises the joins")
