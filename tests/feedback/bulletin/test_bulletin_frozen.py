"""Every ledger figure of the bulletin is frozen at the month's end: October's bulletin made in December shows the
ledger as it stood on 10-31 (statuses, deadlines before a later 延期, overdue on that day, 反馈 by then) in its
ledger section, its headline (with 环比 / 同比) and its rankings' 按时整改率; making it again later gives the same
figures, and `haocha kpi --month 2025-10 --as-of …` gives its headline."""

from __future__ import annotations

import json
import math
from datetime import date, datetime

import pytest

from feedback import ledger
from feedback.bulletin import build_bulletin
from feedback.cli import main
from feedback.filters import Filters
from feedback.stats import kpi, periods
from feedback.stats import queries as stats_queries
from feedback.stats.rankings import unit_ranking
from tests.feedback.ledger.test_replay import DEC, RA, RB, build_ledger, d

LEDGER_KEYS = ("cases", "reply_rate", "on_time_rate", "revisit_satisfaction_rate", "open_cases", "overdue_cases")


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
    assert any("第五部分差评整改情况）均为2025年10月31日日终的状态" in n for n in b.notes)

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
    # the headline and the rankings too: their ledger KPIs are those of 10-31 in both runs
    assert first.kpis == second.kpis and first.kpis["as_of"] == "2025-10-31T23:59:59"
    for unit in ("regions", "depts"):
        assert getattr(first, unit).table.equals(getattr(second, unit).table)


def test_a_bulletin_made_before_the_month_ends_is_as_of_its_date(engine, settings):
    build_ledger(engine)
    b = october(engine, settings, d("10-20 12:00"))
    assert b.ledger.month["cases"] == 2  # a and b (rated 10-20 10:00); c and d were not rated yet
    assert dict(zip(b.ledger.statuses["name"], b.ledger.statuses["n"], strict=True)) == {"待核实": 1, "已反馈": 1}
    assert b.ledger.backlog["overdue_cases"] == 1  # g only: a was rectified on time
    assert any("第五部分差评整改情况）均截至2025年10月20日" in n for n in b.notes)
    # the headline as of 10-20 12:00: a (rectified on time, replied) and b (verify due 10-21: not overdue yet)
    assert (b.kpis["cases"], b.kpis["reply_rate"], b.kpis["on_time_rate"], b.kpis["overdue_cases"]) == (2, 50.0, 100.0, 0)


def _on_time(ranking) -> dict:
    return {k: None if v is None or math.isnan(v) else v
            for k, v in zip(ranking.table["key"], ranking.table["on_time_rate"], strict=True)}


def test_headline_and_rankings_are_the_month_end_ledger(engine, settings):
    build_ledger(engine)
    b = october(engine, settings, DEC)
    k = b.kpis
    # October's cases on 10-31: a (rectified 10-16, due 10-20; 反馈 10-17), b (整改中, due 10-27: 整改超期),
    # c (待核实, verify due 10-28: 核实超期), d (待核实, due 10-31 itself); f (escalated on 11-10) is not a case yet
    assert k["cases"] == 4 and k["open_cases"] == 4
    assert k["reply_rate"] == 25.0  # a of the 4 (b replied only on 12-03)
    assert k["on_time_rate"] == 50.0  # due: a (on time) and b (10-27 past, not rectified); c, d not due yet
    assert k["overdue_cases"] == 2 and k["revisit_satisfaction_rate"] is None  # b and c; a's 回访 was on 12-02
    assert {key: k[key] for key in LEDGER_KEYS} == {key: b.ledger.month[key] for key in LEDGER_KEYS}
    # 环比 against September as it stood on 10-31 too: g 待核实, past both deadlines (rectified only on 11-03)
    mom = k["mom"]
    assert (mom["cases"], mom["reply_rate"], mom["on_time_rate"], mom["overdue_cases"]) == (300.0, 25.0, 50.0, 100.0)
    assert k["yoy"]["cases"] is None and k["yoy"]["reply_rate"] is None  # no cases in October 2024
    # the rankings' 按时整改率, on 10-31: DA/RA = a on time, b late → 50 %; DB/RB: c and d not due yet → none
    assert _on_time(b.depts) == {"DA": 50.0, "DB": None} and _on_time(b.regions) == {RA: 50.0, RB: None}

    # what the live ledger says on 12-10, which the bulletin must not show: f is a case, c voided, b replied,
    # d (rectify due 11-06) late, g rectified
    with engine.connect() as conn:
        live = periods.month_kpis(conn, "2025-10", as_of=DEC)
        oct_, sep = (Filters().with_period(*kpi.month_bounds(m)) for m in ("2025-10", "2025-09"))
        live_depts = unit_ranking(conn, "dept", oct_, sep, as_of=DEC, good_includes_basic=True, min_volume=1)
    assert (live["cases"], live["reply_rate"], live["overdue_cases"]) == (5, 50.0, 2)
    assert _on_time(live_depts)["DB"] == 0.0  # d due 11-06, not rectified (c voided)
    assert live["mom"]["overdue_cases"] is None  # g is no longer overdue: base 0


def test_haocha_kpi_as_of_equals_the_headline(engine, settings, runner, config_file):
    build_ledger(engine)
    config_file.write_text(config_file.read_text() + "[kpi]\nmin_ranking_volume = 1\n")

    def cli(*args: str) -> dict:
        res = runner.invoke(main, ["kpi", "--month", "2025-10", "--json", *args])
        assert res.exit_code == 0, res.output
        return json.loads(res.output.strip().splitlines()[-1])

    b = october(engine, settings, DEC)
    frozen = b.ledger.as_of.isoformat()
    assert cli("--as-of", frozen) == b.kpis  # every key, every digit, mom and yoy included
    # a date is its day's end; a later moment is frozen at the month's end; so is the default (now)
    assert cli("--as-of", "2025-10-31") == cli("--as-of", "2025-12-10 12:00") == cli() == b.kpis
    early = october(engine, settings, d("10-20 12:00"))
    assert cli("--as-of", "2025-10-20 12:00") == early.kpis != b.kpis
    res = runner.invoke(main, ["kpi", "--month", "2025-10", "--as-of", "10/20/2025"])
    assert res.exit_code == 2 and "--as-of '10/20/2025'" in res.output

