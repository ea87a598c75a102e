"""The bulletin's ledger section is frozen at the month's end: October's bulletin made in December shows the
ledger as it stood on 10-31 (statuses, deadlines before a later 延期, overdue on that day, 反馈 by then), and
making it again later gives the same section."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from feedback import ledger
from feedback.bulletin import build_bulletin
from feedback.filters import Filters
from feedback.stats import queries as stats_queries
from tests.feedback.ledger.test_replay import DEC, build_ledger, d


@pytest.fixture
def settings(db_url, settings_factory):
    return settings_factory(db_url, ingest={"chunk_size": 1000}, kpi={"min_ranking_volume": 1})


def october(engine, settings, as_of):
    with engine.connect() as conn:
        return build_bulletin(conn, "2025-10", None, settings=settings, as_of=as_of)


def test_october_bulletin_made_in_december_shows_the_month_end_ledger(engine, settings):
    build_ledger(engine)
    b = october(engine, settings, DEC)
    m, backlog = b.ledger.month, b.ledger.backlog
    # October's 差评: a, b, c, d (f was escalated in November, e is a November 差评)
    assert m["cases"] == 4 and m["voided"] == 0 and m["closed"] == 0  # c voided and a closed only in December
    assert dict(zip(b.ledger.statuses["name"], b.ledger.statuses["n"], strict=True)) == {
        "待核实": 2, "整改中": 1, "已反馈": 1}
    assert m["reply_rate"] == 25.0  # a replied on 10-17; b replied only on 12-03
    # due by 10-31: a (rectified on time) and b (its deadline was 10-27 then: the 12-01 延期 does not count)
    assert m["on_time_rate"] == 50.0
    assert m["revisit_satisfaction_rate"] is None  # a's 回访 was on 12-02
    assert (m["open_cases"], m["overdue_cases"]) == (4, 2)  # b 整改超期, c 核实超期; d due 10-31 itself
    # every case rated up to 10-31: g (September, 核实超期) joins
    assert (backlog["open_cases"], backlog["overdue_cases"]) == (5, 3)
    units = b.ledger.overdue_units
    assert list(zip(units["name"], units["overdue_cases"], strict=True)) == [("部门DA", 2), ("部门DB", 1)]
    assert b.ledger.as_of.date().isoformat() == "2025-10-31"
    ledger_sentence = next(s for s in b.problems if s.startswith("本月差评工单"))
    assert "按时整改率50.00%" in ledger_sentence and "截至10月31日，累计未办结5件，其中超期3件" in ledger_sentence
    assert any("差评整改情况（第五部分）为2025年10月31日日终的状态" in n for n in b.notes)

    # what the live ledger says in December, which the bulletin must not show
    with engine.connect() as conn:
        live = ledger.list_cases(conn, Filters(end=date(2025, 10, 31)), now=DEC)
    assert set(live["status"]) == {"closed", "replied", "voided", "pending_verify", "rectified"}
    assert len(live) == 6  # f, escalated on 11-10, is a case of an October rating now
    assert list(live["overdue"].dropna()) == ["核实超期"] * 2  # d and f, still 待核实, are overdue in December


def test_the_same_bulletin_made_twice_after_the_month_has_the_same_ledger_section(engine, settings):
    build_ledger(engine)
    first = october(engine, settings, DEC)
    with engine.begin() as conn:  # more work in January: d verified and rectified, g replied
        cases = stats_queries.case_frame(conn, Filters()).set_index("record_id")
        d_case = int(cases.loc[cases["rated_at"] == d("10-30 10:00"), "case_id"].item())
        ledger.set_status(conn, d_case, "rectified", by="科员", now=datetime(2026, 1, 5, 9))
    second = october(engine, settings, datetime(2026, 1, 15, 9))
    assert first.to_dict()["ledger"] == second.to_dict()["ledger"]
    assert [s for s in first.problems if "差评工单" in s] == [s for s in second.problems if "差评工单" in s]
    assert first.kpis["as_of"] != second.kpis["as_of"]  # two different runs (the headline ledger KPIs are as of then)


def test_a_bulletin_made_before_the_month_ends_is_as_of_its_date(engine, settings):
    build_ledger(engine)
    b = october(engine, settings, d("10-20 12:00"))
    assert b.ledger.month["cases"] == 2  # a and b (rated 10-20 10:00); c and d were not rated yet
    assert dict(zip(b.ledger.statuses["name"], b.ledger.statuses["n"], strict=True)) == {"待核实": 1, "已反馈": 1}
    assert b.ledger.backlog["overdue_cases"] == 1  # g only: a was rectified on time
    assert any("差评整改情况（第五部分）截至2025年10月20日" in n for n in b.notes)
