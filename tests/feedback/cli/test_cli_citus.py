"""`haocha citus convert` from the command line: registered under the haocha.commands entry point, a clear
error without PostgreSQL or without the citus extension (nothing changed), the statements with --print."""

from __future__ import annotations

import importlib
import json
import tomllib
from pathlib import Path

from sqlalchemy import inspect

from feedback.cli import main
from feedback.cli.citus import citus_group
from feedback.db import make_engine

ROOT = Path(__file__).resolve().parents[3]


def test_registered_as_a_haocha_command():
    points = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]["entry-points"]
    module, _, name = points["haocha.commands"]["citus"].partition(":")
    assert getattr(importlib.import_module(module), name) is citus_group


def test_without_citus_nothing_changes_and_the_error_says_what_to_do(runner, db_url):
    assert runner.invoke(main, ["init"]).exit_code == 0
    engine = make_engine(db_url)
    before = {t: inspect(engine).get_foreign_keys(t) for t in inspect(engine).get_table_names()}
    result = runner.invoke(citus_group, ["convert"])
    assert result.exit_code == 2, result.output
    if engine.dialect.name == "sqlite":
        assert "Citus 转换只适用于 PostgreSQL：当前数据库是 sqlite" in result.stderr
    else:  # installed or not, the message names the command that creates the extension
        assert "CREATE EXTENSION citus" in result.stderr
    assert {t: inspect(engine).get_foreign_keys(t) for t in inspect(engine).get_table_names()} == before
    engine.dispose()


def test_print_lists_the_statements_without_running_them(runner, db_url):
    assert runner.invoke(main, ["init"]).exit_code == 0
    result = runner.invoke(citus_group, ["convert", "--print"])
    if db_url.startswith("sqlite"):
        assert result.exit_code == 2 and "PostgreSQL" in result.stderr
        return
    assert result.exit_code == 0, result.output
    out = result.stdout
    # every table but the three keyed by record is a reference table (25 since migration 0020: the service rollups)
    assert out.count("SELECT create_reference_table(") == 25 and out.count("SELECT create_distributed_table(") == 3
    assert 'ALTER TABLE "gold_labels" DROP CONSTRAINT "fk_gold_labels_record_id_records";' in out
    assert out.index("create_reference_table") < out.index("create_distributed_table(CAST('\"records\"'") \
        < out.index("create_distributed_table(CAST('\"scores\"'")
    assert "-- 参考表 batches" in out
    obj = json.loads(runner.invoke(citus_group, ["convert", "--print", "--json"]).stdout)
    assert obj["dry_run"] is True and obj["ran"] == 0 and obj["citus_version"] is None
    assert obj["distributed_tables"] == {"records": {"column": "id", "colocate_with": "none"},
                                         "scores": {"column": "record_id", "colocate_with": "records"},
                                         "task_records": {"column": "record_id", "colocate_with": "records"}}
    assert sorted(obj["dropped_foreign_keys"]) == ["fk_gold_labels_record_id_records",
                                                   "fk_ledger_cases_record_id_records"]
    assert len(obj["statements"]) == out.count(";\n")
    # nothing ran: the keys are all still there
    engine = make_engine(db_url)
    assert inspect(engine).get_foreign_keys("gold_labels")
    engine.dispose()
