"""The rectification ledger: case opening, working-day deadlines, transitions, approvals, overdue, voiding."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from feedback import ledger
from feedback.filters import Filters
from feedback.ledger.rules import DeadlineRule, LedgerError
from feedback.stats import kpi, periods
from feedback.stats import queries as stats_queries
from tests.feedback.stats.test_kpi import insert_records

RA, RB = "439902000000", "439903000000"
ROWS = [  # (key, rated_at, level, is_default, dept, region, channel, service, project, assess, tags)
    ("nd", "2025-09-30 16:00:00", 1, False, "DA", RA, "pc", "S1", "P1", 1, "110"),   # before National Day
    ("sf", "2026-02-12 10:00:00", 2, False, "DB", RB, "pc", "S2", "P2", 1, None),    # before Spring Festival
    ("ok", "2026-02-12 11:00:00", 5, False, "DA", RA, "pc", "S1", "P3", 1, None),    # not a 差评
    ("df", "2026-02-12 12:00:00", 1, True, "DA", RA, "default", "S1", "P4", 1, None),  # default: never a case
    ("mar", "2026-03-02 10:00:00", 2, False, "DA", RA, "mobile", "S1", "P5", 1, "209"),
]
T0 = datetime(2026, 3, 2, 12, 0)


@pytest.fixture
def cases(engine):
    with engine.begin() as conn:
        ids = insert_records(conn, ROWS)
        opened = ledger.sync_cases(conn, now=T0, rules={"439903": DeadlineRule(verify_days=1, rectify_days=15)})
        assert opened == 3
        assert ledger.sync_cases(conn, now=T0) == 0  # idempotent
        frame = stats_queries.case_frame(conn, Filters())
    by_key = {k: frame.loc[frame.record_id == ids[k], "case_id"].item() for k in ("nd", "sf", "mar")}
    return ids, by_key, frame.set_index("case_id")


def test_deadlines_in_working_days_across_holidays_and_per_region(cases):
    _, c, frame = cases
    nd, sf, mar = frame.loc[c["nd"]], frame.loc[c["sf"]], frame.loc[c["mar"]]
    assert (nd.verify_due, nd.rectify_due, nd.rule) == (date(2025, 10, 9), date(2025, 10, 14), "default")
    # Region 439903 rectifies within 15 working days: 2026-02-12 → 02-13, 02-14 (调休), 02-24 … 02-28 (调休),
    # 03-02 … 03-06, 03-09, 03-10, 03-11
    assert (sf.verify_due, sf.rectify_due, sf.rule) == (date(2026, 2, 13), date(2026, 3, 11), "439903")
    assert (mar.verify_due, mar.rectify_due) == (date(2026, 3, 3), date(2026, 3, 9))
    assert (nd.status, nd.origin, nd.opened_at) == ("pending_verify", "bad_rating", datetime(2025, 9, 30, 16))


def test_rule_lookup_and_config_parsing():
    rules = ledger.rules_from_mapping({"4399": {"rectify_days": 15}, "439902": {"verify_days": 2},
                                       "default": {"rectify_days": 3}})
    assert ledger.rule_for("439902001000", rules) == ("439902", DeadlineRule(verify_days=2))
    assert ledger.rule_for("439905000000", rules)[0] == "4399"
    assert ledger.rule_for("110000000000", rules) == ("default", DeadlineRule(rectify_days=3))
    assert ledger.rule_for(None, None) == ("default", ledger.DEFAULT_RULE)
    with pytest.raises(LedgerError, match="verify_dayz"):
        ledger.rules_from_mapping({"11": {"verify_dayz": 1}})
    with pytest.raises(LedgerError, match="whole numbers"):
        ledger.rules_from_mapping({"11": {"verify_days": -1}})


def test_full_happy_path_records_every_event(engine, cases):
    _, c, _ = cases
    case = c["mar"]
    steps = [("整改中", None, "03-03"), ("rectified", None, "03-05"), ("已反馈", None, "03-05"),
             ("已回访", 5, "03-06"), ("关闭", None, "03-06")]
    with engine.begin() as conn:
        for status, sat, day in steps:
            ledger.set_status(conn, case, status, by="王科员", note=f"step {status}", satisfaction=sat,
                              now=datetime.fromisoformat(f"2026-{day} 10:00"))
        events = ledger.history(conn, case)
        row = stats_queries.case_frame(conn, Filters()).set_index("case_id").loc[case]
    assert events.action.tolist() == ["open", "transition", "transition", "transition", "transition", "transition"]
    assert events.to_status.tolist() == ["pending_verify", "rectifying", "rectified", "replied", "revisited",
                                         "closed"]
    assert events.iloc[1].actor == "王科员" and events.iloc[1].note == "step 整改中"
    assert events.iloc[0].actor == "system"
    assert (row.status, row.outcome, row.satisfaction) == ("closed", "rectified", 5)
    assert row.verified_at == datetime(2026, 3, 3, 10) and row.rectified_at == datetime(2026, 3, 5, 10)


@pytest.mark.parametrize("steps, bad, message", [
    ([], ("已反馈", None), "cannot go from 待核实 to 已反馈"),
    ([], ("closed", None), "allowed: 整改中"),
    ([("rectified", None)], ("rectifying", None), "cannot go from 已整改 to 整改中"),
    ([("rectified", None), ("replied", None)], ("revisited", None), "satisfaction"),
    ([("rectified", None), ("replied", None)], ("revisited", 6), "1..5"),
    ([], ("rectifying", 3), "satisfaction"),
    ([], ("差评无效", None), "approved request"),
    ([], ("cannot_fix", None), "approved request"),
    ([], ("done", None), "unknown status"),
])
def test_invalid_transitions_raise_clear_errors(engine, cases, steps, bad, message):
    _, c, _ = cases
    with engine.begin() as conn:
        for status, sat in steps:
            ledger.set_status(conn, c["mar"], status, by="ops", satisfaction=sat, now=T0)
    with engine.begin() as conn, pytest.raises(LedgerError, match=message):
        ledger.set_status(conn, c["mar"], bad[0], by="ops", satisfaction=bad[1], now=T0)
    with engine.begin() as conn, pytest.raises(LedgerError, match="no case 999"):
        ledger.set_status(conn, 999, "rectified", by="ops")


def test_closed_case_cannot_move(engine, cases):
    _, c, _ = cases
    with engine.begin() as conn:
        for s, sat in (("rectified", None), ("replied", None), ("revisited", 3), ("closed", None)):
            ledger.set_status(conn, c["mar"], s, by="ops", satisfaction=sat, now=T0)
        with pytest.raises(LedgerError, match="finished"):
            ledger.set_status(conn, c["mar"], "replied", by="ops", now=T0)


def test_extension_moves_the_deadline_by_working_days(engine, cases):
    _, c, _ = cases
    with engine.begin() as conn:
        ledger.set_status(conn, c["mar"], "rectifying", by="ops", now=T0)
        req = ledger.request(conn, c["mar"], "extend", reason="涉及系统改造", by="dept", now=T0)
        with pytest.raises(LedgerError, match="already has a pending 延期"):
            ledger.request(conn, c["mar"], "extend", reason="again", by="dept", now=T0)
        assert stats_queries.case_frame(conn, Filters()).set_index("case_id").loc[c["mar"], "rectify_due"] == \
            date(2026, 3, 9)  # unchanged while pending
        ledger.decide(conn, req, approve=True, by="科长", note="同意", now=datetime(2026, 3, 5))
        row = stats_queries.case_frame(conn, Filters()).set_index("case_id").loc[c["mar"]]
        with pytest.raises(LedgerError, match="already decided: 通过"):
            ledger.decide(conn, req, approve=False, by="科长")
        events = ledger.history(conn, c["mar"])
    assert (row.rectify_due, row.extended_days, row.status) == (date(2026, 3, 23), 10, "rectifying")
    assert events.action.tolist()[-2:] == ["request", "approve"] and "延长10个工作日" in events.iloc[-1].note


def test_rejected_requests_change_nothing_and_requests_are_validated(engine, cases):
    _, c, _ = cases
    with engine.begin() as conn:
        req = ledger.request(conn, c["nd"], "cannot_fix", reason="无法律依据", by="dept", now=T0)
        ledger.decide(conn, req, approve=False, by="科长", note="应当整改", now=T0)
        row = stats_queries.case_frame(conn, Filters()).set_index("case_id").loc[c["nd"]]
        assert (row.status, row.ruling) == ("pending_verify", None)
        assert ledger.history(conn, c["nd"]).iloc[-1].note == "无法整改驳回：应当整改"
        with pytest.raises(LedgerError, match="reason"):
            ledger.request(conn, c["nd"], "void", reason=" ", by="dept")
        with pytest.raises(LedgerError, match="unknown request type"):
            ledger.request(conn, c["nd"], "delete", reason="x", by="dept")
        with pytest.raises(LedgerError, match="no request 999"):
            ledger.decide(conn, 999, approve=True, by="x")
        ledger.set_status(conn, c["nd"], "rectified", by="ops", now=T0)
        with pytest.raises(LedgerError, match="does not apply"):
            ledger.request(conn, c["nd"], "extend", reason="late", by="dept")


def test_cannot_fix_goes_on_to_feedback_and_leaves_on_time_rate(engine, cases):
    _, c, _ = cases
    with engine.begin() as conn:
        req = ledger.request(conn, c["mar"], "cannot_fix", reason="诉求超出政策规定", by="dept", now=T0)
        ledger.decide(conn, req, approve=True, by="科长", now=datetime(2026, 3, 3, 9))
        ledger.set_status(conn, c["mar"], "已反馈", by="ops", note="已解释说明", now=datetime(2026, 3, 3, 10))
        row = stats_queries.case_frame(conn, Filters()).set_index("case_id").loc[c["mar"]]
        k = periods.period_kpis(conn, Filters(start=date(2026, 3, 1)), as_of=datetime(2026, 3, 20))
    assert (row.status, row.outcome) == ("replied", "cannot_fix") and "诉求超出政策规定" in row.ruling
    assert k["cases"] == 1 and k["on_time_rate"] is None and k["reply_rate"] == 100.0


def test_overdue_with_a_frozen_now(engine, cases):
    _, c, _ = cases
    with engine.connect() as conn:
        on_due_day = ledger.list_cases(conn, now=datetime(2026, 3, 3, 23, 59))
        next_day = ledger.list_cases(conn, now=datetime(2026, 3, 4, 8, 0))
        later = ledger.list_cases(conn, overdue=True, now=datetime(2026, 3, 10, 8, 0))
    mar = c["mar"]
    assert on_due_day.set_index("case_id").loc[mar, "overdue"] is None
    assert next_day.set_index("case_id").loc[mar, "overdue"] == "核实超期"
    assert later.set_index("case_id").loc[mar, "overdue"] == "核实超期"  # still at 核实: stage-appropriate label
    assert set(later.case_id) == {c["nd"], c["sf"], mar}
    with engine.connect() as conn:  # the KPI (SQL flags) and the listing (frame) agree on what is overdue
        for now in (datetime(2026, 3, 3, 23), datetime(2026, 3, 4, 8), datetime(2026, 3, 10, 8)):
            listed = ledger.list_cases(conn, overdue=True, now=now)
            assert periods.period_kpis(conn, Filters(), as_of=now)["overdue_cases"] == len(listed)
    with engine.begin() as conn:
        ledger.set_status(conn, mar, "rectifying", by="ops", now=datetime(2026, 3, 4, 9))
        assert ledger.list_cases(conn, overdue=True, now=datetime(2026, 3, 9, 18)).case_id.tolist() == [
            c["nd"], c["sf"]]
        ledger.set_status(conn, mar, "rectified", by="ops", now=datetime(2026, 3, 12, 9))
        assert mar not in set(ledger.list_cases(conn, overdue=True, now=datetime(2026, 3, 20)).case_id)
        scoped = ledger.list_cases(conn, Filters(depts=("DB",)), now=datetime(2026, 3, 20))
    assert scoped.case_id.tolist() == [c["sf"]]


def test_void_keeps_the_case_visible_and_drops_the_rating_from_kpis(engine, cases):
    ids, c, _ = cases
    from feedback.stats.rollups import refresh_rollups

    refresh_rollups(engine)
    march = Filters(start=date(2026, 3, 1), end=date(2026, 3, 31))
    with engine.connect() as conn:
        before = kpi.rating_kpis(stats_queries.rating_frame(conn, march))
    with engine.begin() as conn:
        other = ledger.request(conn, c["mar"], "extend", reason="x", by="dept", now=T0)
        req = ledger.request(conn, c["mar"], "void", reason="恶意差评：与办件无关", by="dept", now=T0)
        ledger.decide(conn, req, approve=True, by="复核组", note="经核实属实", now=datetime(2026, 3, 4))
        with pytest.raises(LedgerError, match="already decided: 驳回"):
            ledger.decide(conn, other, approve=True, by="x")  # closed automatically with the void
        with pytest.raises(LedgerError, match="finished"):
            ledger.set_status(conn, c["mar"], "rectifying", by="ops")
        after = kpi.rating_kpis(stats_queries.rating_frame(conn, march))
        raw = kpi.rating_kpis(stats_queries.rating_frame(conn, march, raw=True))
        listed = ledger.list_cases(conn, now=datetime(2026, 3, 20)).set_index("case_id")
    assert (before["total"], before["bad"], before["voided"]) == (1, 1, 0)
    assert (after["total"], after["bad"], after["voided"], after["good_rate"]) == (0, 0, 1, None)
    assert after == raw  # the void refreshed the rollups of that day
    row = listed.loc[c["mar"]]
    assert (row.status, row.status_name, row.overdue) == ("voided", "差评无效", None)
    assert "恶意差评" in row.ruling and "经核实属实" in row.ruling and "复核组" in row.ruling


def test_escalate_any_record(engine, cases):
    ids, c, _ = cases
    with engine.begin() as conn:
        case = ledger.escalate(conn, ids["ok"], by="pm", note="好评但文字在投诉", now=datetime(2026, 2, 13, 9))
        with pytest.raises(LedgerError, match="already has case"):
            ledger.escalate(conn, ids["ok"], by="pm")
        with pytest.raises(LedgerError, match="no record"):
            ledger.escalate(conn, 99999, by="pm")
        row = stats_queries.case_frame(conn, Filters()).set_index("case_id").loc[case]
        pending = ledger.list_cases(conn, now=datetime(2026, 2, 13, 10)).set_index("case_id")
    assert (row.origin, row.opened_at, row.verify_due, row.rectify_due) == (
        "escalated", datetime(2026, 2, 13, 9), date(2026, 2, 14), date(2026, 2, 27))  # 14 (调休), 24, 25, 26, 27
    assert pending.loc[case, "status_name"] == "待核实"


def test_pending_requests_are_listed(engine, cases):
    _, c, _ = cases
    with engine.begin() as conn:
        req = ledger.request(conn, c["sf"], "void", reason="点错", by="dept", now=T0)
        listed = ledger.list_cases(conn, now=T0).set_index("case_id")
    assert listed.loc[c["sf"], "pending_requests"] == f"差评无效申请#{req}"


def test_sync_since_a_day(engine):
    with engine.begin() as conn:
        insert_records(conn, ROWS)
        assert ledger.sync_cases(conn, now=T0, since=date(2026, 3, 2)) == 1  # only "mar", rated 03-02 10:00
        assert ledger.sync_cases(conn, now=T0) == 2


def test_overdue_label_names_the_step_the_case_is_at(engine, cases):
    _, c, _ = cases
    with engine.begin() as conn:
        ledger.set_status(conn, c["mar"], "rectifying", by="ops", now=datetime(2026, 3, 5, 9))
    with engine.connect() as conn:
        later = ledger.list_cases(conn, now=datetime(2026, 3, 20, 8, 0)).set_index("case_id")
    assert later.loc[c["mar"], "overdue"] == "整改超期"
    assert {later.loc[c["nd"], "overdue"], later.loc[c["sf"], "overdue"]} <= {"核实超期", None}
