"""Issue 15 on the 总览 page and GET /api/v1/overview: the 黑榜 never lists a unit without 差评, the ranking rule is
stated under the tables, the full unit table lists every unit with links to its 差评, and a 样本少 unit is marked."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from urllib.parse import parse_qsl

import pytest

from feedback.stats.rollups import refresh_rollups
from tests import factory
from tests.dashboards.conftest import rating_row

# unit → levels of its March ratings. 区县 C has 100 % 好评 and no 差评 but the lowest 平均分 (all 基本满意): the
# old 平均分 rule put it on the 黑榜; A has one 差评; B is spotless.
UNITS = {"A": [5, 5, 5, 5, 1], "B": [5, 5, 5, 5, 5], "C": [3, 3, 3, 3, 3], "T": [1]}  # T: one rating, 样本少


@pytest.fixture
def settings(db_url, settings_factory):
    return settings_factory(db_url, ingest={"chunk_size": 1000},
                            kpi={"min_ranking_volume": 5, "board_size": 1, "ranking_metric": "mean_score",
                                 "chart_min_volume": 3})


@pytest.fixture
def world(engine):
    now = datetime(2026, 3, 20, 12)
    with engine.begin() as conn:
        batch = factory.add_batch(conn, source_system="national", profile="national", file_name="u.csv",
                                  file_sha256="1" * 64, status="done", rows_done=16, read=16, loaded=16,
                                  duplicate=0, rejected=0, started_at=now, finished_at=now)
        rows, i = [], 0
        for unit, levels in UNITS.items():
            for level in levels:
                rows.append(rating_row(i, batch, dept_code=f"D{unit}", dept_name=f"部门{unit}", level=level,
                                       level_raw=str(level), is_default=False, tags=None))
                i += 1
        # February: department A had 2 差评 in 5 ratings (40 %), so its March 20 % is better
        rows += [rating_row(100 + k, batch, dept_code="DA", dept_name="部门A", level=1 if k < 2 else 5,
                            level_raw="1" if k < 2 else "5", is_default=False, tags=None,
                            rated_at=datetime(2026, 2, 10, 9) + timedelta(hours=k)) for k in range(5)]
        factory.add_records(conn, rows)
    refresh_rollups(engine)


def test_black_board_rule_caption_and_unit_table(client_for, world, users):
    client = client_for("viewer")
    body = client.get("/api/v1/overview?start=2026-03-01&end=2026-03-31").json
    depts = body["depts"]
    assert depts["metric"] == "mean_score" and "没有差评的单位不列入黑榜" in depts["caption"]
    # 平均分 order: B 10, A 8, C 6 — C is last but has no 差评, so the 黑榜 is A
    assert [r["key"] for r in depts["red"]] == ["DB"]
    assert [r["key"] for r in depts["black"]] == ["DA"] and all(r["bad"] > 0 for r in depts["black"])
    rows = {r["key"]: r for r in depts["table"]}
    assert set(rows) == {"DA", "DB", "DC", "DT"}  # every unit, ranked or not
    assert rows["DT"]["rank"] is None and rows["DT"]["small"] and not rows["DA"]["small"]
    assert rows["DC"]["bad_records_query"] is None
    bad_args = parse_qsl(rows["DA"]["bad_records_query"])
    assert ("level", "1") in bad_args and ("level", "2") in bad_args and ("dept", "DA") in bad_args

    page = client.get("/?start=2026-03-01&end=2026-03-31").text
    section = page[page.index('id="rank-dept"'):page.index('id="rank-region"')]
    assert section.count(depts["caption"]) == 1
    black = section[section.index("board-black"):section.index("</table>", section.index("board-black"))]
    assert "部门A" in black and "部门C" not in black
    table = section[section.index('id="units-dept"'):]
    assert len(re.findall(r'<tr data-key="D[ABCT]"', table)) == 4
    assert 'data-key="DT" data-bad="1" class="small-sample"' in table and "样本少" in table
    # 差评率环比 of A: 20 % against 40 % — down, which for 差评率 is better: green ▼
    row_a = table[table.index('data-key="DA"'):table.index("</tr>", table.index('data-key="DA"'))]
    assert '<span class="chg chg-better"><span class="arrow" aria-hidden="true">▼</span>-20.00个百分点</span>' in row_a
    card = page[page.index('data-kpi="bad_rate"'):page.index('data-kpi="avg_score_10"')]
    assert 'chg chg-better">环比 <span class="arrow" aria-hidden="true">▼</span>' in card
    # the unit's 差评 count opens its 差评 (levels 1-2), not all its ratings
    link = re.search(r'<a class="bad-link" href="/records\?([^"]+)"', table).group(1)
    assert "level=1&amp;level=2" in link


def test_kpi_cards_follow_a_partial_period(client_for, world, users):
    client = client_for("viewer")
    body = client.get("/api/v1/overview?start=2026-03-01&end=2026-03-01").json
    assert body["kpis"]["month"] is None and body["kpis"]["start"] == "2026-03-01"
    assert body["kpis"]["total"] == body["total"] < 16  # the period's ratings, not the whole month's
    page = client.get("/?start=2026-03-01&end=2026-03-01").text
    assert "所选时段指标：2026-03-01 至 2026-03-01" in page and "与 2026-02-01 至 2026-02-01 比较" in page
    whole = client.get("/api/v1/overview?start=2026-03-01&end=2026-03-31").json["kpis"]
    assert whole["month"] == "2026-03" and whole["total"] == 16
