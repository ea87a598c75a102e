"""KPI formulas against hand-computed values on a small known data set, from rollups and from raw records alike."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime

import pandas as pd
import pytest

from feedback import ledger
from feedback.filters import Filters
from feedback.stats import kpi, periods, rankings
from feedback.stats import queries as stats_queries
from feedback.stats.case_mix import case_mix
from feedback.stats.rollups import refresh_rollups
from tests import factory

AS_OF = datetime(2026, 3, 25, 12, 0)
A, B = "DA", "DB"
RA, RB = "439902000000", "439903000000"

# (key, rated_at, level, is_default, dept, region, channel, service, project_no, assess_number, tags)
MARCH = [
    ("m1", "2026-03-02 09:00:00", 5, False, A, RA, "pc", "S1", "P1", 1, None),
    ("m2", "2026-03-03 09:00:00", 5, False, A, RA, "mobile", "S1", "P2", 1, None),
    ("m3", "2026-03-04 09:00:00", 5, True, A, RA, "default", "S1", "P3", 1, None),
    ("m4", "2026-03-05 09:00:00", 4, False, A, RA, "pc", "S2", "P4", 1, "406"),
    ("m5", "2026-03-10 09:00:00", 3, False, B, RB, "pc", "S2", "P5", None, None),
    ("m6", "2026-03-11 09:00:00", 3, True, B, RB, "default", "S2", "P6", 1, None),
    ("m7", "2026-03-02 10:00:00", 2, False, B, RB, "mobile", "S3", "P7", 1, "209,213"),
    ("m8", "2026-03-06 10:00:00", 1, False, B, RB, "pc", "S3", "P8", 1, "110|209"),
    ("m9", "2026-03-20 10:00:00", 1, False, A, RA, "pc", "S1", "P1", 2, "110"),
    ("m10", "2026-03-31 23:30:00", 5, False, B, RB, "phone", "S3", None, None, None),
]
FEB = [
    ("f1", "2026-02-02 09:00:00", 5, False, A, RA, "pc", "S1", "Q1", 1, None),
    ("f2", "2026-02-03 09:00:00", 5, False, B, RB, "pc", "S2", "Q2", 1, None),
    ("f3", "2026-02-04 09:00:00", 2, False, B, RB, "pc", "S3", "Q3", 1, "209"),
    ("f4", "2026-02-28 23:59:59", 4, True, A, RA, "default", "S1", "Q4", 1, None),
]
MARCH_2025 = [(f"y{i}", f"2025-03-{10 + i:02d} 09:00:00", 5, False, A, RA, "pc", "S1", f"Y{i}", 1, None)
              for i in range(4)] + [("y9", "2025-03-20 09:00:00", 1, False, B, RB, "pc", "S3", "Y9", 1, "115")]
MESSAGE = ("msg1", "2026-03-15 08:00:00")
# Active model version v1: m4 is a hidden complaint; v0 (inactive) would flag m1 and must be ignored.
SCORES = {"v1": {"m4": ("neg", True, "timeliness"), "m7": ("neg", False, "timeliness"),
                 "m8": ("neg", False, "materials"), "m1": ("pos", False, None)},
          "v0": {"m1": ("neg", True, "staff_attitude")}}


def insert_records(conn, rows, *, source: str = "test", kind: str = "rating") -> dict[str, int]:
    """Insert records directly (one Batch); rows as in MARCH. Returns record_key → id."""
    batch = factory.add_batch(conn, source_system=source, file_name="fixture", rows_done=len(rows), read=len(rows),
                              loaded=len(rows), duplicate=0, rejected=0, started_at=datetime(2026, 4, 1))
    ids = factory.add_records(conn, [
        dict(source_system=source, record_key=key, kind=kind, row_number=i + 2, project_no=project,
             service_code=service, service_name=f"事项{service}" if service else None, dept_code=dept,
             dept_name=f"部门{dept}" if dept else None, region_code=region, channel=channel, level=level,
             is_default=default, assess_number=assess, tags=tags, rated_at=datetime.fromisoformat(at),
             content_hash=key)
        for i, (key, at, level, default, dept, region, channel, service, project, assess, tags) in enumerate(rows)
    ], batch_id=batch)
    return dict(zip([row[0] for row in rows], ids, strict=True))


def load_fixture(engine) -> dict[str, int]:
    with engine.begin() as conn:
        ids = insert_records(conn, MARCH + FEB + MARCH_2025)
        ids |= insert_records(conn, [(MESSAGE[0], MESSAGE[1], None, False, A, RA, None, None, None, None, None)],
                              source="12345", kind="message")
        for version, active in (("v0", False), ("v1", True)):
            factory.add_model_version(conn, version, active=active, created_at=datetime(2026, 4, 1))
            factory.add_scores(conn, [
                dict(record_id=ids[key], model_version=version, sentiment=sentiment, sentiment_score=0.5,
                     hidden_complaint=hidden, category=category, scored_at=datetime(2026, 4, 1))
                for key, (sentiment, hidden, category) in SCORES[version].items()])
    refresh_rollups(engine)
    return ids


MARCH_F = Filters(start=date(2026, 3, 1), end=date(2026, 3, 31))


@pytest.fixture
def data(engine):
    return load_fixture(engine)


def kpis(engine, filters=MARCH_F, raw=False, **kw):
    with engine.connect() as conn:
        return kpi.rating_kpis(stats_queries.rating_frame(conn, filters, raw=raw), **kw)


def test_headline_kpis_by_hand(engine, data):
    k = kpis(engine)
    # 10 ratings; defaults m3, m6; 差评 m7, m8, m9; levels 5,5,5,4,3,3,2,1,1,5 → 10-pt 63
    assert (k["total"], k["active_total"], k["bad"], k["hidden_complaints"], k["voided"]) == (10, 8, 3, 1, 0)
    assert all(type(k[c]) is int for c in ("total", "active_total", "bad", "good", "projects", "voided"))
    assert k["projects"] == 8  # P1..P8 first ratings; m9 is 追评 of P1, m10 has no 办件编号
    assert k["active_rate"] == pytest.approx(80.0)
    assert k["good_rate"] == pytest.approx(70.0)  # 7 of 10 at level ≥ 3
    assert k["active_good_rate"] == pytest.approx(62.5)  # m1, m2, m4, m5, m10 of 8 active
    assert k["bad_rate"] == pytest.approx(30.0)
    assert k["avg_score_10"] == pytest.approx(6.3)


def test_good_rate_without_basic(engine, data):
    k = kpis(engine, good_includes_basic=False)
    assert k["good_rate"] == pytest.approx(50.0)  # m1, m2, m3, m4, m10
    assert k["active_good_rate"] == pytest.approx(50.0)  # m1, m2, m4, m10 of 8
    assert k["bad_rate"] == pytest.approx(30.0) and k["avg_score_10"] == pytest.approx(6.3)


def test_month_boundaries_and_messages_excluded(engine, data):
    feb = kpis(engine, Filters(start=date(2026, 2, 1), end=date(2026, 2, 28)))
    assert (feb["total"], feb["bad"], feb["active_total"]) == (4, 1, 3)  # f4 at 23:59:59 counts
    assert feb["avg_score_10"] == pytest.approx(31 / 4)
    last = kpis(engine, Filters(start=date(2026, 3, 31), end=date(2026, 3, 31)))
    assert last["total"] == 1  # m10 at 23:30
    only_messages = kpis(engine, Filters(kinds=("message",)))
    assert only_messages["total"] == 0 and only_messages["good_rate"] is None and only_messages["projects"] is None


def test_mom_and_yoy(engine, data):
    with engine.connect() as conn:
        m = periods.month_kpis(conn, "2026-03", as_of=AS_OF)
    assert (m["month"], m["mom_month"], m["yoy_month"]) == ("2026-03", "2026-02", "2025-03")
    mom, yoy = m["mom"], m["yoy"]
    assert mom["total"] == pytest.approx(150.0)  # (10 - 4) / 4, relative %
    assert mom["bad"] == pytest.approx(200.0)  # 3 vs 1
    assert mom["good_rate"] == pytest.approx(-5.0)  # 70 % vs 75 %: percentage points
    assert mom["bad_rate"] == pytest.approx(5.0)  # 30 vs 25
    assert mom["avg_score_10"] == pytest.approx(6.3 - 7.75)  # points
    assert mom["active_total"] == pytest.approx((8 - 3) / 3 * 100)
    assert yoy["total"] == pytest.approx(100.0)  # 10 vs 5
    assert yoy["good_rate"] == pytest.approx(-10.0)  # 70 vs 80
    assert yoy["bad_rate"] == pytest.approx(10.0)  # 30 vs 20
    assert yoy["avg_score_10"] == pytest.approx(6.3 - 8.0)
    assert yoy["hidden_complaints"] is None  # base 0: no relative change


def test_scoped_and_score_filters(engine, data):
    dept_a = kpis(engine, Filters(start=date(2026, 3, 1), end=date(2026, 3, 31), depts=(A,)))
    assert (dept_a["total"], dept_a["bad"]) == (5, 1)
    assert dept_a["avg_score_10"] == pytest.approx(38 / 5)  # m1 m2 m3 m4 m9: 10+10+10+8+0
    timeliness = kpis(engine, Filters(categories=("timeliness",)))
    assert (timeliness["total"], timeliness["bad"], timeliness["hidden_complaints"]) == (2, 1, 1)  # m4, m7
    pos = kpis(engine, Filters(sentiments=("pos",)))
    assert pos["total"] == 1  # m1 under v1 (v0 said neg)


AGREEMENT_FILTERS = [
    Filters(), MARCH_F, Filters(depts=(A,)), Filters(regions=(RB,), levels=(1, 2)),
    Filters(channels=("pc", "default"), start=date(2026, 2, 15)), Filters(services=("S3",)),
    Filters(categories=("timeliness", "materials")), Filters(sentiments=("neg",), end=date(2026, 3, 5)),
    Filters(kinds=("rating",), depts=(B,), services=("S2", "S3")),
    # periods that mix whole months (monthly rollup) with edge days (daily rollup)
    Filters(start=date(2025, 3, 15), end=date(2026, 3, 5)), Filters(start=date(2026, 2, 3), end=date(2026, 3, 31)),
    Filters(start=date(2026, 2, 15), end=date(2026, 3, 10)), Filters(end=date(2026, 2, 28)),
    Filters(start=date(2026, 3, 6)), Filters(start=date(2026, 2, 28), end=date(2026, 2, 28), depts=(A,)),
    # periods with whole quarters (quarterly rollup, for questions by service with department or region)
    Filters(start=date(2025, 1, 1), end=date(2026, 3, 31)), Filters(start=date(2025, 2, 20), end=date(2026, 3, 31),
                                                                     depts=(A,), services=("S1", "S3")),
]


def test_rollups_agree_with_raw_records(engine, data):
    """The same KPIs, frames and tag counts whether read from the rollups or straight from records."""
    for filters in AGREEMENT_FILTERS:
        for good in (True, False):
            assert kpis(engine, filters, good_includes_basic=good) == kpis(
                engine, filters, raw=True, good_includes_basic=good), filters
        with engine.connect() as conn:
            for by in (("month",), ("dept",), ("channel",), ("service", "region"), ("day", "category")):
                fast = stats_queries.rating_frame(conn, filters, by)
                slow = stats_queries.rating_frame(conn, filters, by, raw=True)
                cols = list(fast.columns)
                keys = [c for c in cols if c not in ("n", "projects", "hidden")]
                pd.testing.assert_frame_equal(fast.sort_values(keys, ignore_index=True),
                                              slow[cols].sort_values(keys, ignore_index=True), check_dtype=False)
            fast_tags = stats_queries.bad_tag_frame(conn, filters, ("dept",)).sort_values(["dept_key", "tag"])
            slow_tags = stats_queries.bad_tag_frame(conn, filters, ("dept",), raw=True).sort_values(
                ["dept_key", "tag"])
            pd.testing.assert_frame_equal(fast_tags.reset_index(drop=True), slow_tags.reset_index(drop=True))


def test_breakdowns(engine, data):
    with engine.connect() as conn:
        by_channel = kpi.channel_table(stats_queries.rating_frame(conn, MARCH_F, ("channel",)))
        levels = kpi.level_distribution(stats_queries.rating_frame(conn, MARCH_F))
        services = rankings.top_services(stats_queries.rating_frame(conn, MARCH_F, ("service",)))
        tags = kpi.top_tags(stats_queries.bad_tag_frame(conn, MARCH_F))
    assert by_channel[["channel", "total", "bad"]].values.tolist() == [
        ["pc", 5, 2], ["default", 2, 0], ["mobile", 2, 1], ["phone", 1, 0]]
    assert by_channel.loc[0, "share"] == pytest.approx(50.0) and by_channel.loc[0, "channel_name"] == "PC端"
    assert levels.set_index("level")[["active", "default"]].to_dict("index") == {
        5: {"active": 3, "default": 1}, 4: {"active": 1, "default": 0}, 3: {"active": 1, "default": 1},
        2: {"active": 1, "default": 0}, 1: {"active": 2, "default": 0}}
    assert levels.loc[levels.level == 1, "active_share"].item() == pytest.approx(25.0)  # 2 of 8 active
    assert services[["service_key", "bad"]].values.tolist() == [["S3", 2], ["S1", 1]]
    assert tags[["tag", "n"]].values.tolist() == [["110", 2], ["209", 2], ["213", 1]]
    assert tags.loc[0, "share"] == pytest.approx(40.0)


def test_ranking_boards_and_case_mix(engine, data):
    with engine.connect() as conn:
        cur = kpi.rating_table(stats_queries.rating_frame(conn, MARCH_F, ("dept",)), ["dept_key"])
        prev = kpi.rating_table(stats_queries.rating_frame(
            conn, Filters(start=date(2026, 2, 1), end=date(2026, 2, 28)), ("dept",)), ["dept_key"])
        mix = case_mix(stats_queries.rating_frame(conn, MARCH_F, ("dept", "service", "channel")), "dept_key")
    ranked = rankings.ranking(cur, "dept_key", min_volume=5, previous=prev)
    assert ranked[["dept_key", "rank", "avg_score_10"]].values.tolist() == [["DA", 1, 7.6], ["DB", 2, 5.0]]
    assert ranked.loc[0, "avg_score_10_mom"] == pytest.approx(7.6 - 9.0)  # Feb DA: f1 10, f4 8
    assert ranked.loc[1, "total_mom"] == pytest.approx(150.0)  # DB 5 vs 2
    plain = rankings.RankRule(black_requires_bad=False, black_requires_excess=False)  # the boards by rank alone
    red, black = rankings.boards(ranked, dataclasses.replace(plain, board_size=1))
    assert red.dept_key.tolist() == ["DA"] and black.dept_key.tolist() == ["DB"]
    small = rankings.ranking(cur, "dept_key", min_volume=6)
    assert small["rank"].isna().all() and rankings.boards(small, plain)[0].empty
    # S2 is handled by both departments: its (S2, channel) cells hold no 差评, so m4, m5, m6 expect none. S1 is A's
    # alone and S3 B's alone: their own cells would explain every 差评 of theirs (m9, m7, m8), so their ratings are
    # expected at their channel's 差评率 over March: pc 2/5 (m8, m9 of m1 m4 m5 m8 m9), mobile 1/2, default and
    # phone 0. A: m1 0.4 + m2 0.5 + m3 0 + m9 0.4 = 1.3 for 1 差评; B: m7 0.5 + m8 0.4 + m10 0 = 0.9 for 2.
    m = mix.set_index("dept_key")
    assert m.loc["DA", "expected"] == pytest.approx(1.3) and m.loc["DB", "expected"] == pytest.approx(0.9)
    assert m.loc["DA", "oe_ratio"] == pytest.approx(1 / 1.3) and m.loc["DB", "oe_ratio"] == pytest.approx(2 / 0.9)
    assert m.loc["DB", "adjusted_bad_rate"] == pytest.approx(30.0 * 2 / 0.9)  # March 差评率 3 of 10


def test_case_mix_does_not_absolve_a_unit_of_the_services_it_alone_handles():
    """Two departments, each the only one to handle its service, at 1 % and 10 % 差评: the service's own 差评率
    cannot tell a hard service from poor handling, so it must not explain the 差评 away (before, both came out at
    实际/预期 1, the scope's average). Two districts handling one hard service alike stay equal to each other,
    and better than one that handles an easy service badly."""
    def frame(rows):
        return pd.DataFrame([dict(unit=u, service_key=s, channel=c, level=lvl, is_default=False, voided=False, n=n,
                                  projects=0, hidden=0) for u, s, c, lvl, n in rows]).astype({"level": "Int64"})

    depts = case_mix(frame([("good", "s1", "pc", 5, 99), ("good", "s1", "pc", 1, 1),
                            ("poor", "s2", "pc", 5, 90), ("poor", "s2", "pc", 1, 10)]), "unit").set_index("unit")
    assert depts.loc["poor", "oe_ratio"] > 1.5 > 0.5 > depts.loc["good", "oe_ratio"]
    assert depts.loc["poor", "adjusted_bad_rate"] > depts.loc["good", "adjusted_bad_rate"]
    districts = case_mix(frame([("a", "hard", "pc", 5, 80), ("a", "hard", "pc", 1, 20),
                                ("b", "hard", "pc", 5, 80), ("b", "hard", "pc", 1, 20),
                                ("b", "easy", "pc", 5, 100),
                                ("c", "easy", "pc", 5, 90), ("c", "easy", "pc", 1, 10)]), "unit").set_index("unit")
    assert districts.loc["a", "oe_ratio"] == pytest.approx(1.0)  # exactly the hard service's rate
    assert districts.loc["c", "oe_ratio"] > 1.5  # 10 % where the easy service's cell has 10 of 200


def test_equal_units_share_a_rank():
    t = pd.DataFrame({"unit": ["x", "y", "z"], "total": [40, 40, 50], "avg_score_10": [9.0, 9.0, 9.5],
                      "bad_rate": [1.0, 1.0, 0.0], "active_rate": [90.0, 90.0, 95.0], "good_rate": [99.0] * 3})
    r = rankings.ranking(t, "unit", min_volume=30)
    assert r[["unit", "rank"]].values.tolist() == [["z", 1], ["x", 2], ["y", 2]]


def test_ledger_kpis_and_voided_rating_leaves_kpis(engine, data):
    with engine.begin() as conn:
        assert ledger.sync_cases(conn, now=datetime(2026, 3, 2, 11, 0)) == 5  # m7 m8 m9 f3 y9
        case = {r.record_id: r.case_id for r in stats_queries.case_frame(conn, Filters()).itertuples()}
        c7, c8 = case[data["m7"]], case[data["m8"]]
        # m7: rated Mon 03-02 → rectify by Mon 03-09; done 03-05, replied, revisited (4), closed
        for status, at, sat in (("rectified", "03-05", None), ("replied", "03-06", None),
                                ("revisited", "03-07", 4), ("closed", "03-08", None)):
            ledger.set_status(conn, c7, status, by="ops", satisfaction=sat, now=datetime.fromisoformat(f"2026-{at} 10:00"))
        # m8: rated Fri 03-06 → rectify by Fri 03-13; rectified late on 03-16
        ledger.set_status(conn, c8, "整改中", by="ops", now=datetime(2026, 3, 9, 9))
        ledger.set_status(conn, c8, "已整改", by="ops", now=datetime(2026, 3, 16, 9))
        # m9: rated Fri 03-20, verify due Mon 03-23: still 待核实 on 03-25 → overdue
    with engine.connect() as conn:
        k = periods.period_kpis(conn, MARCH_F, as_of=AS_OF)
    assert (k["cases"], k["open_cases"], k["overdue_cases"]) == (3, 2, 1)
    assert k["reply_rate"] == pytest.approx(100 / 3)
    assert k["on_time_rate"] == pytest.approx(50.0)  # due: c7 (on time), c8 (late); c9 not yet due on 03-25
    assert k["revisit_satisfaction_rate"] == pytest.approx(100.0)
    with engine.connect() as conn:
        by_dept = kpi.case_table(stats_queries.case_counts(conn, MARCH_F, ("dept",), today=AS_OF.date()),
                                 ["dept_key"]).set_index("dept_key")
    assert by_dept.loc["DB", ["cases", "open_cases"]].tolist() == [2, 1]  # c7 closed, c8 rectified
    assert by_dept.loc["DB", "on_time_rate"] == pytest.approx(50.0) and by_dept.loc["DA", "overdue_cases"] == 1
    assert pd.isna(by_dept.loc["DA", "on_time_rate"])  # c9 not yet due
    with engine.begin() as conn:
        req = ledger.request(conn, c8, "void", reason="误评：申请人确认点错", by="dept", now=datetime(2026, 3, 17))
        ledger.decide(conn, req, approve=True, by="reviewer", now=datetime(2026, 3, 18))
    with engine.connect() as conn:
        after = periods.period_kpis(conn, MARCH_F, as_of=AS_OF)
        raw = periods.period_kpis(conn, MARCH_F, as_of=AS_OF, raw=True)
        listed = ledger.list_cases(conn, MARCH_F, now=AS_OF)
    assert after == raw
    assert (after["total"], after["bad"], after["voided"], after["projects"]) == (9, 2, 1, 7)
    assert after["good_rate"] == pytest.approx(700 / 9) and after["avg_score_10"] == pytest.approx(7.0)
    assert (after["cases"], after["on_time_rate"], after["reply_rate"]) == (3, 100.0, 50.0)
    voided = listed[listed.case_id == c8].iloc[0]
    assert voided.status_name == "差评无效" and "误评" in voided.ruling and "reviewer" in voided.ruling


def test_period_helpers_and_change_units():
    assert kpi.month_bounds("2024-02") == (date(2024, 2, 1), date(2024, 2, 29))
    assert kpi.shift_month("2026-01", -1) == "2025-12" and kpi.shift_month("2026-03", -12) == "2025-03"
    assert kpi.shift_period(date(2026, 3, 1), date(2026, 3, 31), -1) == (date(2026, 2, 1), date(2026, 2, 28))
    assert kpi.shift_period(date(2024, 3, 1), date(2024, 3, 31), -1) == (date(2024, 2, 1), date(2024, 2, 29))
    assert kpi.shift_period(date(2026, 3, 10), date(2026, 3, 31), -1) == (date(2026, 2, 10), date(2026, 2, 28))
    assert kpi.shift_period(date(2026, 1, 1), date(2026, 3, 31), -12) == (date(2025, 1, 1), date(2025, 3, 31))
    with pytest.raises(ValueError, match="YYYY-MM"):
        kpi.month_bounds("2026/03")
    ch = kpi.changes({"total": 12, "good_rate": 99.5, "avg_score_10": 9.1, "bad": 3, "cases": None},
                     {"total": 10, "good_rate": 99.0, "avg_score_10": 9.3, "bad": 0, "cases": 4})
    assert ch["total"] == pytest.approx(20.0) and ch["good_rate"] == pytest.approx(0.5)
    assert ch["avg_score_10"] == pytest.approx(-0.2) and ch["bad"] is None and ch["cases"] is None


def test_a_renamed_department_or_service_is_one_row_with_all_its_ratings(engine, data):
    """A department or service renamed during the period (the same code, a new name: 机构改革, a catalogue
    revision) is one unit in the rankings and one service in the top 差评 table, with all its ratings, under the
    larger of its names (as SQL's max() picks it) — never two rows that split its counts (before: DA as 部门DA with
    4 ratings and no 差评 beside 部门DA（新） with 1 rating, a 100 % 差评率). Here m9, dept A's 差评 on S1, carries
    the new names; both the rollup reads and the prefetched frame are checked."""
    from sqlalchemy import update

    from feedback.models import Record

    with engine.begin() as conn:
        conn.execute(update(Record).where(Record.id == data["m9"]).values(dept_name="部门DA（新）",
                                                                          service_name="事项S1（新）"))
    refresh_rollups(engine)
    prev = Filters(start=date(2026, 2, 1), end=date(2026, 2, 28))
    with engine.connect() as conn:
        for prefetched in (None, stats_queries.prefetch(conn, MARCH_F, ("region", "dept", "service", "channel"))):
            r = rankings.unit_ranking(conn, "dept", MARCH_F, prev, as_of=datetime(2026, 4, 2), good_includes_basic=True,
                                      min_volume=1, prefetched=prefetched)
            assert sorted(r.table[["key", "name", "total", "bad"]].values.tolist()) == [
                ["DA", "部门DA（新）", 5, 1], ["DB", "部门DB", 5, 2]]
            top = rankings.service_table(conn, MARCH_F, prev, True, prefetched=prefetched)
            assert top[["service_key", "service_name", "bad"]].values.tolist() == [
                ["S3", "事项S3", 2], ["S1", "事项S1（新）", 1]]
        from feedback.bulletin.units import unit_changes

        changes = unit_changes(conn, MARCH_F, prev)  # the bulletin's 存在问题: one row per department too
        assert sorted(changes["dept_key"].tolist()) == ["DA", "DB"]
        assert changes.set_index("dept_key").loc["DA", ["dept_name", "bad"]].tolist() == ["部门DA（新）", 1]
