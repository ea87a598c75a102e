"""The join analyser of tests/sqljoins.py on hand-written SQL: joins on the distribution columns pass, others are
found, through aliases, unqualified columns, subqueries, CTEs, correlated subqueries and UNIONs."""

from __future__ import annotations

import pytest

pytest.importorskip("pglast", reason="pglast is missing: pip install -e '.[test]'")

from feedback.models import DISTRIBUTED, Base  # noqa: E402 - after the skip check
from tests.sqljoins import Analyser, driver_sql_to_postgres  # noqa: E402

ANALYSER = Analyser(DISTRIBUTED, {name: t.columns.keys() for name, t in Base.metadata.tables.items()})


def verdicts(sql: str) -> list[tuple[str, str, bool]]:
    return [(j.left, j.right, j.ok) for j in ANALYSER.joins(sql)]


def test_a_join_on_the_distribution_columns_passes():
    assert verdicts("SELECT r.id FROM records r JOIN scores s ON s.record_id = r.id AND s.model_version = 'v'") == [
        ("records r", "scores s", True)]
    # WHERE equalities (comma joins), table names as qualifiers, USING, casts
    assert verdicts("SELECT 1 FROM records, scores WHERE scores.record_id = records.id") == [
        ("records", "scores", True)]
    assert verdicts("SELECT 1 FROM scores JOIN task_records USING (record_id)") == [
        ("scores", "task_records", True)]
    assert verdicts("SELECT 1 FROM records r JOIN scores s ON CAST(s.record_id AS bigint) = r.id") == [
        ("records r", "scores s", True)]


def test_a_join_off_the_distribution_columns_is_found():
    assert verdicts("SELECT r.id FROM records r JOIN scores s ON s.model_version = 'v'") == [
        ("records r", "scores s", False)]
    assert verdicts("SELECT 1 FROM records r JOIN scores s ON s.record_id = r.batch_id") == [
        ("records r", "scores s", False)]
    assert verdicts("SELECT 1 FROM records r, task_records t") == [("records r", "task_records t", False)]
    # an equality under OR proves nothing
    assert verdicts("SELECT 1 FROM records r JOIN scores s ON s.record_id = r.id OR s.record_id IS NULL") == [
        ("records r", "scores s", False)]


def test_reference_tables_and_single_tables_are_no_joins():
    assert verdicts("SELECT 1 FROM records r JOIN batches b ON b.id = r.batch_id") == []
    assert verdicts(driver_sql_to_postgres("SELECT count(*) FROM scores WHERE model_version = %(v)s", True)) == []
    assert verdicts("INSERT INTO scores (record_id, model_version) VALUES ($1, $2)") == []


def test_equalities_connect_transitively_and_unqualified_columns_resolve():
    sql = ("SELECT 1 FROM records r JOIN scores s ON s.record_id = r.id "
           "JOIN task_records t ON t.record_id = r.id")
    assert [ok for _, _, ok in verdicts(sql)] == [True, True, True]
    # record_id and model_version exist only in scores, batch_id only in records: resolved without a qualifier
    assert verdicts("SELECT 1 FROM records r JOIN scores s ON record_id = r.id") == [("records r", "scores s", True)]
    assert verdicts("SELECT 1 FROM records r JOIN scores s ON model_version = batch_id") == [
        ("records r", "scores s", False)]


def test_subqueries_carry_their_distribution_columns():
    ok = ("SELECT 1 FROM records r JOIN (SELECT record_id AS rid, max(category) FROM scores GROUP BY record_id) x "
          "ON x.rid = r.id")
    assert verdicts(ok) == [("records r", "子查询 x", True)]
    bad = "SELECT 1 FROM records r JOIN (SELECT record_id, model_version FROM scores) x ON x.model_version = r.text"
    assert verdicts(bad) == [("records r", "子查询 x", False)]
    # a subquery that outputs no distribution column (an aggregate) is planned on its own: no join
    assert verdicts("SELECT 1 FROM records r JOIN (SELECT model_version, count(*) AS n FROM scores "
                    "GROUP BY model_version) x ON x.n = r.level") == []
    # SELECT * and column aliases of the subquery
    assert verdicts("SELECT 1 FROM records r JOIN (SELECT * FROM scores) x ON x.record_id = r.id") == [
        ("records r", "子查询 x", True)]
    assert verdicts("SELECT 1 FROM records r JOIN (SELECT record_id FROM scores) AS x(k) ON x.k = r.id") == [
        ("records r", "子查询 x", True)]
    # the join inside the subquery is checked too
    assert verdicts("SELECT * FROM (SELECT r.id FROM records r JOIN scores s ON s.model_version = 'v') x") == [
        ("records r", "scores s", False)]


def test_ctes_and_unions():
    sql = ("WITH latest AS (SELECT record_id, category FROM scores WHERE model_version = $1) "
           "SELECT r.id FROM records r LEFT JOIN latest l ON l.record_id = r.id")
    assert verdicts(sql) == [("records r", "CTE latest l", True)]
    sql = ("WITH latest(k) AS (SELECT record_id FROM scores UNION ALL SELECT record_id FROM task_records) "
           "SELECT 1 FROM latest JOIN records ON records.batch_id = latest.k")
    assert verdicts(sql) == [("CTE latest", "records", False)]


def test_correlated_subqueries_are_joins_with_the_outer_table():
    ok = "SELECT r.id FROM records r WHERE EXISTS (SELECT 1 FROM scores s WHERE s.record_id = r.id)"
    assert verdicts(ok) == [("scores s", "records r", True)]
    bad = "SELECT r.id, (SELECT count(*) FROM scores s WHERE s.model_version = r.text) FROM records r"
    assert verdicts(bad) == [("scores s", "records r", False)]
    # uncorrelated: planned on its own, no join; IN on distribution columns: a co-located semi-join
    assert verdicts("SELECT 1 FROM records WHERE batch_id IN (SELECT record_id FROM scores)") == []
    assert verdicts("SELECT 1 FROM records WHERE id IN (SELECT record_id FROM scores)") == [
        ("records", "IN (子查询)", True)]


def test_update_and_delete_join_their_target():
    assert verdicts("UPDATE scores SET category = 'x' FROM records r WHERE r.id = scores.record_id") == [
        ("scores", "records r", True)]
    assert verdicts("DELETE FROM task_records t USING records r WHERE r.batch_id = t.task_id") == [
        ("task_records t", "records r", False)]


def test_driver_placeholders_become_postgres_parameters():
    sql = "SELECT 1 FROM records WHERE text LIKE '%%x' AND id = %(id_1)s AND level IN (%(l_1)s, %(l_2)s)"
    assert driver_sql_to_postgres(sql, True) == \
        "SELECT 1 FROM records WHERE text LIKE '%x' AND id = $1 AND level IN ($2, $3)"
    assert driver_sql_to_postgres("SELECT '%%'", False) == "SELECT '%%'"
