"""The ledger as it stood at a moment: replayed from ledger_events (statuses, deadlines moved by 延期, milestones),
the replay agrees with the live cases, the KPI flags from a case frame equal the SQL ones, and migration 0014
backfills the deadline of older events."""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd
import pytest
from sqlalchemy import insert, select

from feedback import ledger
from feedback.clock import day_end
from feedback.db import make_engine, upgrade
from feedback.filters import Filters
from feedback.ledger.replay import cases_at
from feedback.models import LedgerCase, LedgerEvent, LedgerRequest
from feedback.stats import kpi, periods
from feedback.stats import queries as stats_queries
from feedback.stats.rollups import refresh_rollups
from tests.feedback.stats.test_kpi import insert_records

RA, RB = "439902000000", "439903000000"
ROWS = [  # (key, rated_at, level, is_default, dept, region, channel, service, project, assess, tags)
    ("g", "2025-09-24 10:00:00", 1, False, "DA", RA, "pc", "S1", "P0", 1, "110"),   # September: the backlog
    ("a", "2025-10-13 10:00:00", 1, False, "DA", RA, "pc", "S1", "P1", 1, "110"),
    ("b", "2025-10-20 10:00:00", 2, False, "DA", RA, "mobile", "S1", "P2", 1, "209"),
    ("c", "2025-10-27 10:00:00", 1, False, "DB", RB, "pc", "S2", "P3", 1, None),
    ("d", "2025-10-30 10:00:00", 2, False, "DB", RB, "pc", "S2", "P4", 1, None),
    ("f", "2025-10-15 10:00:00", 4, False, "DB", RB, "pc", "S2", "P5", 1, None),    # escalated in November
    ("e", "2025-11-05 10:00:00", 1, False, "DA", RA, "pc", "S1", "P6", 1, None),    # November 差评
]
OCT_END = day_end(date(2025, 10, 31))  # 2025-10-31 23:59:59.999999
DEC = datetime(2025, 12, 10, 12, 0)


def d(s: str) -> datetime:
    return datetime.fromisoformat(f"2025-{s}")


def build_ledger(engine) -> dict[str, int]:
    """The October ledger of the bulletin test, and what happened to it in November and December.

    At the end of October: g 待核实 past both deadlines (核实超期), a 已反馈 (rectified on time), b 整改中 past its
    rectify deadline 10-27 with a 延期 request pending (整改超期), c 待核实 past its verify deadline 10-28
    (核实超期), d 待核实 due 10-31 (not overdue on the 31st). Later: the 延期 of b approved on 12-01 (deadline
    11-10) and b rectified, c voided on appeal, a 回访 and closed, g rectified, f escalated on 11-10, e (a November
    差评) opened."""
    with engine.begin() as conn:
        ids = insert_records(conn, ROWS)
        assert ledger.sync_cases(conn, now=d("11-06 08:00")) == 6  # the case clock starts at the rating time
        cases = stats_queries.case_frame(conn, Filters())
        c = {k: int(cases.loc[cases.record_id == ids[k], "case_id"].item()) for k in "gabcde"}
        moves = [  # (case, status, satisfaction, time)
            ("a", "rectifying", None, "10-14 09:00"), ("a", "rectified", None, "10-16 15:00"),
            ("a", "replied", None, "10-17 09:00"), ("b", "rectifying", None, "10-21 09:00"),
        ]
        for key, status, sat, at in moves:
            ledger.set_status(conn, c[key], status, by="科员", satisfaction=sat, now=d(at))
        extend = ledger.request(conn, c["b"], "extend", reason="涉及系统改造", by="部门", now=d("10-24 09:00"))
        c["f"] = ledger.escalate(conn, ids["f"], by="督查", note="隐性投诉转办", now=d("11-10 09:00"))
        ledger.set_status(conn, c["g"], "rectified", by="科员", now=d("11-03 09:00"))
        ledger.decide(conn, extend, approve=True, by="科长", now=d("12-01 09:00"))
        ledger.set_status(conn, c["c"], "rectifying", by="科员", now=d("12-01 10:00"))
        for key, status, sat, at in [("b", "rectified", None, "12-03 09:00"), ("b", "replied", None, "12-03 10:00"),
                                     ("a", "revisited", 5, "12-02 09:00"), ("a", "closed", None, "12-02 10:00")]:
            ledger.set_status(conn, c[key], status, by="科员", satisfaction=sat, now=d(at))
        void = ledger.request(conn, c["c"], "void", reason="误评", by="部门", now=d("12-03 11:00"))
        ledger.decide(conn, void, approve=True, by="复核组", now=d("12-04 09:00"))
    refresh_rollups(engine)
    return c


@pytest.fixture
def built(engine):
    return build_ledger(engine)


def test_cases_as_they_stood_at_the_month_end(engine, built):
    c = built
    with engine.connect() as conn:
        then = ledger.cases_as_of(conn, Filters(), OCT_END).set_index("case_id")
        now = stats_queries.case_frame(conn, Filters()).set_index("case_id")
    assert set(then.index) == {c[k] for k in "gabcd"}  # f opened on 11-10, e rated in November
    status = {k: then.loc[c[k], "status"] for k in "gabcd"}
    assert status == {"g": "pending_verify", "a": "replied", "b": "rectifying", "c": "pending_verify",
                      "d": "pending_verify"}
    # the 延期 approved on 12-01 moved b's deadline to 11-10; at the end of October it was still 10-27
    assert now.loc[c["b"], "rectify_due"] == date(2025, 11, 10)
    assert then.loc[c["b"], "rectify_due"] == date(2025, 10, 27)
    assert then.loc[c["a"], "rectify_due"] == date(2025, 10, 20) and then.loc[c["d"], "verify_due"] == date(2025, 10, 31)
    # the stage-appropriate overdue kind, on the month's last day
    overdue = {k: then.loc[c[k], "overdue"] for k in "gabcd"}
    assert overdue == {"g": "核实超期", "a": None, "b": "整改超期", "c": "核实超期", "d": None}
    # milestones and what comes with them only when they happened by then
    assert then.loc[c["a"], "rectified_at"] == d("10-16 15:00") and then.loc[c["a"], "replied_at"] == d("10-17 09:00")
    assert pd.isna(then.loc[c["a"], "closed_at"]) and pd.isna(then.loc[c["a"], "satisfaction"])
    assert then.loc[c["a"], "outcome"] == "rectified" and pd.isna(then.loc[c["c"], "outcome"])
    assert pd.isna(then.loc[c["c"], "ruling"]) and now.loc[c["c"], "ruling"].startswith("差评无效")
    assert pd.isna(then.loc[c["c"], "verified_at"]) and then.loc[c["b"], "verified_at"] == d("10-21 09:00")
    assert "extended_days" not in then.columns  # not replayed


def test_replay_at_the_latest_moment_is_the_live_ledger(engine, built):
    """Replaying every event gives back each case exactly as the repository left it."""
    with engine.connect() as conn:
        now = stats_queries.case_frame(conn, Filters())
        events = stats_queries.case_events(conn, Filters(), until=datetime(2030, 1, 1))
    replayed = cases_at(now, events, datetime(2030, 1, 1))
    cols = ["case_id", "status", "outcome", "rectify_due", "verify_due", "verified_at", "rectified_at", "replied_at",
            "revisited_at", "closed_at", "satisfaction", "ruling"]
    pd.testing.assert_frame_equal(replayed[cols].reset_index(drop=True), now[cols].reset_index(drop=True))


def test_case_flags_equal_the_sql_flags(engine, built):
    """kpi.case_flags (from a case frame) and stats_queries.case_counts (SQL) define the same flags."""
    with engine.connect() as conn:
        for today in (date(2025, 10, 31), date(2025, 11, 7), date(2025, 12, 10)):
            sql = kpi.case_table(stats_queries.case_counts(conn, Filters(), ("dept",), today=today), ["dept_key"])
            frame = kpi.case_table(kpi.case_flags(stats_queries.case_frame(conn, Filters()), ("dept_key",),
                                                  today=today), ["dept_key"])
            pd.testing.assert_frame_equal(frame, sql)


def test_frozen_ledger_counts_equal_the_sql_ones_at_the_latest_moment(engine, built):
    """One definition: the replay at a moment after every event gives the live SQL counts."""
    later = datetime(2026, 1, 1)
    with engine.connect() as conn:
        for by in ((), ("dept",), ("region",)):
            f = Filters(start=date(2025, 9, 1), end=date(2025, 11, 30))
            cols = [stats_queries.DIMENSIONS[x][0] for x in by]
            sql = kpi.case_table(periods.ledger_counts(conn, f, by, as_of=later), cols)
            replayed = kpi.case_table(periods.ledger_counts(conn, f, by, as_of=later, frozen=True), cols)
            assert sql.equals(replayed), by


def test_replay_without_a_stored_deadline_uses_the_case_one():
    cases = pd.DataFrame({"case_id": [1, 2], "opened_at": pd.to_datetime(["2025-10-01", "2025-11-02"]),
                          "status": ["rectifying", "pending_verify"], "outcome": [None, None],
                          "rectify_due": [date(2025, 11, 20), date(2025, 11, 9)], "satisfaction": [pd.NA, pd.NA],
                          "ruling": [None, None], "extended_days": [10, 0]})
    events = pd.DataFrame({"case_id": [1, 1], "id": [1, 2], "at": pd.to_datetime(["2025-10-01", "2025-10-02"]),
                           "action": ["open", "transition"], "to_status": ["pending_verify", "rectifying"],
                           "rectify_due": [None, None]})
    got = cases_at(cases, events, datetime(2025, 10, 1, 12))
    assert list(got["case_id"]) == [1] and got.loc[0, "status"] == "pending_verify"
    assert got.loc[0, "rectify_due"] == date(2025, 11, 20)  # unknown then: the case's current deadline
    assert pd.isna(got.loc[0, "verified_at"])


def test_migration_0014_backfills_the_deadline_of_older_events(db_url):
    """Events written before 0014: an extended case's history gets back the deadlines before each 延期
    (working days counted back on the package calendar); an unextended case its one deadline; a case whose
    extensions do not add up keeps NULL before its last 延期."""
    engine = make_engine(db_url)
    upgrade(engine, "0013")
    with engine.begin() as conn:
        ids = insert_records(conn, ROWS[1:4])
        ev: dict[str, list] = {}
        for key, due, extended in (("a", "2025-11-13", 13), ("b", "2025-10-27", 0), ("c", "2025-11-14", 13)):
            case = conn.execute(insert(LedgerCase).values(
                record_id=ids[key], origin="bad_rating", status="rectified", rule="default", rated_at=d("10-20 10:00"),
                kind="rating", is_default=False, opened_at=d("10-20 10:00"), verify_due=date(2025, 10, 21),
                rectify_due=date.fromisoformat(due), extended_days=extended, created_at=DEC, updated_at=DEC)
                .returning(LedgerCase.id)).scalar_one()
            reqs = [conn.execute(insert(LedgerRequest).values(
                case_id=case, type="extend", status="approved", reason="r", extra_days=extra, requested_by="x",
                requested_at=d("10-24 09:00")).returning(LedgerRequest.id)).scalar_one() for extra in (None, 3)]
            steps = [("open", None, "10-20 10:00", None), ("transition", None, "10-21 09:00", None),
                     ("approve", reqs[0], "11-03 09:00", "延期通过：同意延长2个工作日（整改期限延长10个工作日）"),
                     ("approve", reqs[1], "11-06 09:00", "延期通过（整改期限延长3个工作日）"),
                     ("transition", None, "11-12 09:00", None)]
            if key == "b":
                steps = [s for s in steps if s[0] != "approve"]
            if key == "c":  # the days of the first 延期 cannot be known
                steps[2] = ("approve", reqs[0], "11-03 09:00", "延期通过")
            ev[key] = [conn.execute(insert(LedgerEvent.__table__).values(
                case_id=case, request_id=req, at=d(at), actor="x", action=action, to_status="rectifying",
                note=note).returning(LedgerEvent.id)).scalar_one() for action, req, at, note in steps]
    upgrade(engine)
    with engine.connect() as conn:
        due = dict(conn.execute(select(LedgerEvent.id, LedgerEvent.rectify_due)).all())
    engine.dispose()
    oct27, nov10, nov13, nov14 = date(2025, 10, 27), date(2025, 11, 10), date(2025, 11, 13), date(2025, 11, 14)
    assert [due[i] for i in ev["a"]] == [oct27, oct27, nov10, nov13, nov13]
    assert [due[i] for i in ev["b"]] == [oct27, oct27, oct27]
    assert [due[i] for i in ev["c"]] == [None, None, None, nov14, nov14]
