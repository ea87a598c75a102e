"""The 总览's ranking tables written once per column (dashboards/figures/tables.py): every cell is the format of
its own column, missing values read —, links only where there is a query, and a unit's name stays untrusted text
that the page escapes in the 红榜, the 黑榜 and the full table."""

from __future__ import annotations

import html
from datetime import datetime

import pandas as pd
import pytest

from dashboards.figures.tables import Change, board_rows, unit_rows
from feedback.stats.rollups import refresh_rollups
from tests import factory
from tests.dashboards.conftest import XSS, rating_row


def _frame() -> pd.DataFrame:
    # distinct values per column, so a cell taken from the wrong column shows
    return pd.DataFrame({
        "key": ["D1", "D2"], "name": ["市公安局", "小单位"],
        "rank": pd.array([1, None], dtype="Int64"), "eligible": [True, False], "small": [False, True],
        "total": [1234, 3], "active_rate": [77.0, float("nan")], "good_rate": [91.5, 100.0],
        "bad": [40, 0], "bad_rate": [3.25, 0.0], "adjusted_bad_rate": [2.5, float("nan")],
        "on_time_rate": [88.0, float("nan")], "avg_score_10": [9.123, 10.0], "avg_score_10_mom": [-0.456, None],
        "bad_rate_mom": [-1.5, float("nan")], "bad_rate_yoy": [0.001, 2.0],
        "records_query": ["dept=D1", "dept=D2"], "bad_records_query": ["dept=D1&level=1&level=2", None],
    })


def test_board_cells_come_from_their_own_columns():
    first, second = board_rows(_frame(), "/records")
    assert first == {"rank": 1, "name": "市公安局", "link": "/records?dept=D1",
                     "bad_link": "/records?dept=D1&level=1&level=2", "total": "1,234", "active_rate": "77.00%",
                     "good_rate": "91.50%", "bad": "40", "bad_rate": "3.25%", "adjusted_bad_rate": "2.50%",
                     "on_time_rate": "88.00%", "avg_score_10": "9.12", "avg_score_10_mom": "-0.46分"}
    assert second["bad_link"] is None and second["active_rate"] == second["on_time_rate"] == "—"
    assert second["avg_score_10_mom"] == "—" and second["bad_rate"] == "0.00%"


def test_unit_table_cells_and_sort_keys():
    first, second = unit_rows(_frame(), "/records")
    assert (first["rank"], first["rank_value"], second["rank"], second["rank_value"]) == ("1", "1", "—", "")
    assert (first["total"], first["total_value"], first["bad_value"]) == ("1,234", 1234, 40)
    assert (first["good_rate"], first["good_rate_value"]) == ("91.50%", "91.5")
    assert (second["adjusted_bad_rate"], second["adjusted_bad_rate_value"]) == ("—", "")
    # 差评率 down is better: green ▼; a change that rounds to zero is flat (＝, no sign); missing has no arrow
    assert first["bad_rate_mom"] == Change("better", "▼", "-1.50个百分点")
    assert first["bad_rate_yoy"] == Change("flat", "＝", "0.00个百分点")
    assert second["bad_rate_mom"] == Change("none", "", "—") and second["bad_rate_yoy"].direction == "worse"
    assert (first["small"], second["small"], second["bad_link"]) == (False, True, None)


def test_empty_ranking_has_no_rows():
    assert board_rows(_frame().iloc[:0], "/records") == [] and unit_rows(_frame().iloc[:0], "/records") == []


@pytest.fixture
def settings(db_url, settings_factory):
    return settings_factory(db_url, kpi={"min_ranking_volume": 2, "board_size": 1, "chart_min_volume": 2})


def test_a_units_name_is_escaped_in_every_table(client_for, engine, users):
    now = datetime(2026, 3, 20, 12)
    with engine.begin() as conn:
        batch = factory.add_batch(conn, source_system="national", profile="national", file_name="x.csv",
                                  file_sha256="2" * 64, status="done", rows_done=6, read=6, loaded=6, duplicate=0,
                                  rejected=0, started_at=now, finished_at=now)
        factory.add_records(conn, [rating_row(i, batch, dept_code="DX" if i < 3 else "DY",
                                              dept_name=XSS if i < 3 else "部门Y", level=1 if i in (0, 3) else 5,
                                              level_raw="1" if i in (0, 3) else "5", is_default=False, tags=None)
                                   for i in range(6)])
    refresh_rollups(engine)
    page = client_for("admin").get("/?start=2026-03-01&end=2026-03-31").text
    section = page[page.index('id="rank-dept"'):page.index("</section>", page.index('id="rank-dept"'))]
    assert "<script>alert(1)" not in section and "<img src=x" not in section
    # red or black board, and the full table: its link, its title and its sort key
    assert section.count(html.escape(XSS, quote=True)) >= 4
