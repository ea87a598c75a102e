"""The KPI spec is the one list of KPIs: every KPI the formulas compute, the CLI, the 总览 and the bulletin show,
and the API schema describes has exactly one entry; the shared formatter writes each kind as documented."""

from __future__ import annotations

import pytest

from dashboards.api.schemas import ROW_KPIS, SCHEMAS
from dashboards.queries.overview import KPI_CARDS
from dashboards.reports import tables
from feedback.stats import formats, kpi, spec


def test_every_computed_kpi_has_one_spec_entry():
    keys = [s.key for s in spec.SPECS]
    assert len(keys) == len(set(keys))
    assert set(keys) == set(kpi.RATING_COLUMNS) | set(kpi.CASE_COLUMNS)
    assert all(s.kind in spec.KINDS and s.label for s in spec.SPECS)
    assert spec.RATE_KEYS == {k for k in keys if k.endswith("_rate")}
    assert spec.SCORE_KEYS == {"avg_score_10"}


def test_every_shown_kpi_comes_from_the_spec():
    assert spec.HEADLINE == ("total", "projects", "active_total", "active_rate", "good_rate", "active_good_rate",
                             "bad", "bad_rate", "avg_score_10", "hidden_complaints", "voided", "cases",
                             "reply_rate", "on_time_rate", "revisit_satisfaction_rate", "open_cases",
                             "overdue_cases")
    assert [k for k, *_ in KPI_CARDS] == ["total", "active_rate", "good_rate", "bad", "bad_rate", "avg_score_10",
                                          "hidden_complaints"]
    assert all(spec.BY_KEY[k].card == label and spec.BY_KEY[k].kind == kind for k, label, kind in KPI_CARDS)
    assert set(ROW_KPIS) <= set(spec.BY_KEY)
    overview_kpis = SCHEMAS["Overview"]["properties"]["kpis"]
    assert all(k in overview_kpis["required"] for k in ROW_KPIS)


def test_report_table_kinds_follow_the_spec():
    assert [tables.value_kind(k) for k in ("total", "good_rate", "avg_score_10")] == ["count", "rate", "score"]
    assert [tables.change_kind(k) for k in ("total", "good_rate", "avg_score_10")] == ["pct", "pp", "points"]
    assert tables.change_kind("not_a_kpi") == "pct"  # outside the spec: a count, changing in %
    assert {k: spec.BY_KEY[k].change_unit for k in ("total", "bad_rate", "avg_score_10")} == {
        "total": "%", "bad_rate": "个百分点", "avg_score_10": "分"}


@pytest.mark.parametrize(("key", "v", "text", "fixed"), [
    ("good_rate", 12.3456, "12.35%", "12.35%"),
    ("bad_rate", 0.0123, "0.0123%", "0.01%"),
    ("avg_score_10", 6.3, "6.30", "6.30"),
    ("total", 1234567, "1,234,567", "1,234,567"),
    ("total", None, "—", "—"),
    ("bad_rate", float("nan"), "—", "—"),
])
def test_values(key, v, text, fixed):
    assert formats.value(key, v) == text
    assert formats.value(key, v, style=formats.FIXED) == fixed


@pytest.mark.parametrize(("key", "v", "text", "fixed"), [
    ("good_rate", -5.0, "-5.00个百分点", "-5.00个百分点"),
    ("bad_rate", 0.05, "+0.05个百分点", "+0.05个百分点"),
    ("bad_rate", 0.0252, "+0.03个百分点", "+0.03个百分点"),  # issue 15: never four decimals (the cards wrapped)
    ("avg_score_10", -1.45, "-1.45分", "-1.45分"),
    ("avg_score_10", -0.001, "0.00分", "-0.00分"),  # text: a change that rounds to zero has no sign
    ("total", 150.0, "+150.0%", "+150.0%"),
    ("reply_rate", 0.0, "0.00个百分点", "+0.00个百分点"),
    ("cases", None, "—", "—"),
])
def test_changes(key, v, text, fixed):
    assert formats.change(key, v) == text
    assert formats.change(key, v, style=formats.FIXED) == fixed


@pytest.mark.parametrize(("key", "v", "direction", "arrow"), [
    ("bad_rate", 0.03, "worse", "▲"),  # 差评率 up is worse
    ("bad_rate", -0.03, "better", "▼"),
    ("good_rate", 0.5, "better", "▲"),
    ("avg_score_10", -0.2, "worse", "▼"),
    ("total", 12.0, "up", "▲"),  # 评价数 is neither better nor worse higher
    ("bad_rate", 0.001, "flat", "＝"),  # rounds to 0.00个百分点
    ("bad", None, None, ""),
])
def test_change_directions(key, v, direction, arrow):
    assert formats.direction(key, v) == direction
    assert formats.arrow(key, v) == arrow


def test_trends_and_table_cells():
    assert formats.trend("good_rate", 0.12) == "上升0.12个百分点"
    assert formats.trend("total", -3.14) == "下降3.1%"
    assert formats.trend("avg_score_10", 0.001) == "持平"
    assert formats.trend("bad", None) == "无可比数据"
    assert tables.cell_text("rate", 12.3456) == "12.35" and tables.cell_text("pp", -0.5) == "-0.50"
    assert tables.cell_text("points", 0.3) == "+0.30" and tables.cell_text("pct", 4.25) == "+4.2%"
    assert tables.cell_text("count", 1234.0) == "1,234" and tables.cell_text("score", None) == "—"


def test_better_directions_name_spec_kpis():
    from feedback.stats.spec import BETTER, BY_KEY
    assert set(BETTER) <= set(BY_KEY) and set(BETTER.values()) == {"up", "down"}
