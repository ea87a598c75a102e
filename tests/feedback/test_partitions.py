"""The province profile: records and scores partitioned by month on PostgreSQL (``haocha partition``), ids kept
unique across months by ``record_keys``, new months created on load or ahead, retention by month."""

from __future__ import annotations

import json
from datetime import date

import pandas as pd
import pytest
from sqlalchemy import text

from etl.pipeline import ingest_file
from feedback.cli import main
from feedback.db import make_engine
from feedback.pipeline import run_stages
from feedback.records.partitions import Month, months_between, months_of, parse_partition, to_create, to_drop
from feedback.records.partitions import repository as partitions
from tests.etl.test_pipeline import national_rows, write_csv


def test_months_names_and_retention_are_plain_calendar_arithmetic():
    assert Month(2026, 12).plus(1) == Month(2027, 1) and Month(2026, 1).plus(-1) == Month(2025, 12)
    assert Month(2026, 2).end == date(2026, 3, 1) and Month(2026, 12).end == date(2027, 1, 1)
    assert [str(m) for m in months_between(Month(2025, 11), Month(2026, 2))] == ["2025-11", "2025-12", "2026-01",
                                                                               "2026-02"]
    assert Month(2026, 3).name("records") == "records_y2026m03"
    assert parse_partition("scores_y2026m03") == ("scores", Month(2026, 3))
    assert parse_partition("records_unpartitioned") is None and parse_partition("tasks_y2026m03") is None
    assert months_of(pd.Series(pd.to_datetime(["2026-03-31 23:59:59", "2026-04-01 00:00:00", None]))) == {Month(2026, 3),
                                                                                                Month(2026, 4)}
    assert to_create([Month(2026, 3)], [Month(2026, 4), Month(2026, 3)]) == [Month(2026, 4)]
    have = months_between(Month(2025, 1), Month(2026, 12))
    assert to_drop(have, date(2026, 12, 3), 0) == []  # 0: keep everything
    assert to_drop(have, date(2026, 12, 3), 12) == months_between(Month(2025, 1), Month(2025, 12))


def _pg_only(engine):
    if engine.dialect.name != "postgresql":
        pytest.skip("partitioning is PostgreSQL's")


def _rows(month: str, n: int, first: int = 0) -> list[dict]:
    rows = national_rows(first + n)[first:]
    for i, r in enumerate(rows):
        r["assessTime"] = f"{month}-{1 + i % 28:02d} 10:{i % 60:02d}:00"
    return rows


def _where(engine) -> dict[str, int]:
    with engine.connect() as conn:
        return dict(conn.execute(text("SELECT tableoid::regclass::text, count(*) FROM records GROUP BY 1")).all())


def _ok(result) -> dict:
    assert result.exit_code == 0, result.output
    return json.loads(result.output.strip().splitlines()[-1])


def test_setup_moves_every_row_into_its_month_and_nothing_else_changes(runner, engine, settings, tmp_path):
    _pg_only(engine)
    for month, first in (("2026-01", 0), ("2026-02", 40), ("2026-03", 80)):
        ingest_file(engine, settings, write_csv(tmp_path / f"{month}.csv", _rows(month, 40, first)),
                    profile="national")
    assert all(o.ok for o in run_stages(engine, settings))
    before = _ok(runner.invoke(main, ["kpi", "--month", "2026-02", "--json"]))

    done = _ok(runner.invoke(main, ["partition", "setup", "--json"]))
    assert (done["records"], done["scores"]) == (120, 120) and done["months"][:3] == ["2026-01", "2026-02", "2026-03"]
    with engine.connect() as conn:
        assert partitions.is_partitioned(conn)
        assert conn.execute(text("SELECT count(*) FROM record_keys")).scalar_one() == 120
        assert conn.execute(text("SELECT count(*) FROM scores WHERE rated_at IS NULL")).scalar_one() == 0
        months = partitions.existing_months(conn)
    assert months["records"] == months["scores"] and Month(2026, 3) in months["records"]
    assert _where(engine) == {"records_y2026m01": 40, "records_y2026m02": 40, "records_y2026m03": 40}
    assert _ok(runner.invoke(main, ["kpi", "--month", "2026-02", "--json"])) == before
    assert "已经按月分区" in runner.invoke(main, ["partition", "setup"]).output

    # every later stage still runs on the partitioned tables
    assert all(o.ok for o in run_stages(engine, settings)), [o for o in run_stages(engine, settings) if not o.ok]


def test_loads_keep_ids_unique_across_months_and_create_a_missing_month(runner, engine, settings, tmp_path):
    _pg_only(engine)
    path = write_csv(tmp_path / "mar.csv", _rows("2026-03", 30))
    ingest_file(engine, settings, path, profile="national")
    _ok(runner.invoke(main, ["partition", "setup", "--json"]))

    again = ingest_file(engine, settings, path, profile="national")
    assert (again.loaded, again.duplicate) == (0, 30)
    # the same keys at another time: still the same records (a plain month key would store them twice)
    moved = ingest_file(engine, settings, write_csv(tmp_path / "moved.csv", _rows("2026-04", 30)), profile="national")
    assert (moved.loaded, moved.duplicate) == (0, 30)
    # a month before the first partition: created by the load
    old = ingest_file(engine, settings, write_csv(tmp_path / "old.csv", _rows("2025-06", 10, first=500)),
                      profile="national")
    assert (old.loaded, old.rejected) == (10, 0)
    assert _where(engine) == {"records_y2026m03": 30, "records_y2025m06": 10}
    with engine.connect() as conn:
        assert Month(2025, 6) in partitions.existing_months(conn)["scores"]
    assert all(o.ok for o in run_stages(engine, settings))
    with engine.connect() as conn:
        scored = dict(conn.execute(text("SELECT tableoid::regclass::text, count(*) FROM scores GROUP BY 1")).all())
    assert scored == {"scores_y2026m03": 30, "scores_y2025m06": 10}


def test_maintain_creates_months_ahead_and_drops_past_retention(runner, engine, settings, tmp_path, monkeypatch):
    _pg_only(engine)
    old = write_csv(tmp_path / "old.csv", _rows("2025-06", 10, first=500))
    for path in (old, write_csv(tmp_path / "mar.csv", _rows("2026-03", 20))):
        ingest_file(engine, settings, path, profile="national")
    assert all(o.ok for o in run_stages(engine, settings))
    monkeypatch.setattr("feedback.cli.partition._today", lambda app: date(2026, 4, 15))
    _ok(runner.invoke(main, ["partition", "setup", "--ahead", "0", "--json"]))
    out = _ok(runner.invoke(main, ["partition", "maintain", "--ahead", "2", "--keep-months", "6", "--json"]))
    assert out["created"] == ["2026-05", "2026-06"]  # setup --ahead 0 made months up to April
    assert out["dropped"] == [str(m) for m in months_between(Month(2025, 6), Month(2025, 10))]
    with engine.connect() as conn:
        months = partitions.existing_months(conn)
        left = conn.execute(text("SELECT count(*) FROM records")).scalar_one()
        left_scores = conn.execute(text("SELECT count(*) FROM scores")).scalar_one()
        keys = conn.execute(text("SELECT count(*) FROM record_keys")).scalar_one()
    assert months["records"][0] == Month(2025, 11) and Month(2026, 6) in months["records"]
    assert months["records"] == months["scores"]
    assert (left, left_scores, keys) == (20, 20, 30)  # June 2025 gone with its scores; its ids stay claimed
    status = _ok(runner.invoke(main, ["partition", "status", "--json"]))
    assert {p["month"] for p in status["partitions"] if p["table"] == "records"} == {str(m) for m in months["records"]}
    assert all(p["bytes"] > 0 for p in status["partitions"])
    again = ingest_file(engine, settings, old, profile="national")
    assert (again.loaded, again.duplicate) == (0, 10)  # a dropped month does not come back by re-import
    assert _where(engine) == {"records_y2026m03": 20}  # (its empty partition is made again: maintain drops it)
    out = _ok(runner.invoke(main, ["partition", "maintain", "--ahead", "2", "--keep-months", "6", "--json"]))
    assert out == {"created": [], "dropped": ["2025-06"]}


def test_partitioning_refuses_sqlite_and_an_unconverted_database(runner, db_url):
    assert runner.invoke(main, ["init"]).exit_code == 0
    if db_url.startswith("sqlite"):
        result = runner.invoke(main, ["partition", "setup"])
        assert result.exit_code == 2 and "只用于 PostgreSQL" in result.output
        return
    for cmd in ("maintain", "status"):
        result = runner.invoke(main, ["partition", cmd])
        assert result.exit_code == 2 and "尚未按月分区" in result.output
    engine = make_engine(db_url)
    with engine.connect() as conn:
        assert not partitions.is_partitioned(conn)
    engine.dispose()
