"""A correction moves one record's contribution in the rollups instead of rebuilding its day: after any correction
every rollup table holds exactly what a full rebuild gives, the day is rebuilt only where its rollups disagree
with its records, and the moves themselves (feedback.stats.moves) are what the tables' dimensions imply."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import delete, select, update

from feedback import ledger
from feedback.models import (
    LedgerCase,
    RollupBadTag,
    RollupDaily,
    RollupDailyChannel,
    RollupDailyUnit,
    RollupMonthly,
    RollupMonthlyChannel,
    RollupMonthlyUnit,
    RollupQuarterly,
    Score,
)
from feedback.pipeline import record_correction
from feedback.scoring.repository import ScoreChange
from feedback.scoring.taxonomy import NOT_COMPLAINT
from feedback.stats import moves as moves_module
from feedback.stats import repository, rollups
from feedback.stats.moves import COUNTED_TABLES, RecordState, correction_moves
from tests import factory
from tests.feedback.stats.test_rollups import snapshot

A, B = "DA", "DB"
RA, RB = "439902000000", "439903000000"
DAY = date(2026, 3, 2)

# key: (rated_at, level, is_default, dept, region, channel, service, project_no, tags, kind), (sentiment, hidden,
# category) of the active version (None: no score)
RECORDS = {
    "praise": (("2026-03-02 09:00", 5, False, A, RA, "pc", "S1", "P1", None, "rating"), ("pos", True, "guide_info")),
    "twin": (("2026-03-02 10:00", 5, False, A, RA, "pc", "S1", "P2", None, "rating"), ("pos", False, "guide_info")),
    "plain": (("2026-03-02 11:00", 4, False, A, RA, "pc", "S1", None, None, "rating"), ("pos", False, "timeliness")),
    "bad": (("2026-03-02 12:00", 1, False, B, RB, "mobile", "S3", "P3", "209,213|209", "rating"),
            ("neg", False, "materials")),  # its ledger case is voided (差评无效)
    "bad2": (("2026-03-02 13:00", 2, False, B, RB, "mobile", "S3", "P4", "209", "rating"), ("neg", False, "materials")),
    "bad3": (("2026-03-02 13:30", 2, False, B, RB, "mobile", "S3", "P10", "209,110", "rating"),
             ("neg", False, "timeliness")),  # bad2's dimensions, another category
    "lonely": (("2026-03-02 14:00", 3, False, None, None, None, None, None, None, "rating"), ("neu", False, None)),
    "default": (("2026-03-02 15:00", 5, True, A, RA, "default", "S1", "P5", None, "rating"), ("pos", False, None)),
    "unscored": (("2026-03-02 16:00", 5, False, A, RA, "pc", "S1", "P6", None, "rating"), None),
    "msg": (("2026-03-02 08:00", None, False, A, RA, None, None, None, None, "message"), ("neg", True, "timeliness")),
    "later": (("2026-03-10 09:00", 5, False, A, RA, "pc", "S1", "P7", None, "rating"), ("pos", False, "guide_info")),
    "feb": (("2026-02-03 09:00", 5, False, A, RA, "pc", "S1", "P8", None, "rating"), ("pos", True, "guide_info")),
    "apr": (("2026-04-01 09:00", 1, False, B, RB, "mobile", "S3", "P9", "209", "rating"), ("neg", False, "materials")),
}


def load(engine, records, voided=()) -> dict[str, int]:
    """``records`` (as RECORDS) under the active version v1 (v0 inactive), a ledger case for every 差评, those of
    ``voided`` voided, every rollup built; their ids by key."""
    with engine.begin() as conn:
        batch = factory.add_batch(conn)
        rows = [dict(record_key=key, kind=kind, rated_at=datetime.fromisoformat(at), level=level, is_default=default,
                     dept_code=dept, dept_name=f"部门{dept}" if dept else None, region_code=region, channel=channel,
                     service_code=service, service_name=f"事项{service}" if service else None, project_no=project,
                     assess_number=1 if project else None, tags=tags)
                for key, ((at, level, default, dept, region, channel, service, project, tags, kind), _) in
                records.items()]
        out = dict(zip(records, factory.add_records(conn, rows, batch_id=batch), strict=True))
        for version, active in (("v0", False), ("v1", True)):
            factory.add_model_version(conn, version, active=active, created_at=datetime(2026, 4, 2))
        factory.add_scores(conn, [
            dict(record_id=out[key], model_version="v1", sentiment=score[0], hidden_complaint=score[1],
                 category=score[2]) for key, (_, score) in records.items() if score is not None])
        factory.add_scores(conn, [dict(record_id=i, model_version="v0", category="other") for i in out.values()])
        ledger.sync_cases(conn, now=datetime(2026, 4, 2, 11, 0))
        for key in voided:
            conn.execute(update(LedgerCase).where(LedgerCase.record_id == out[key]).values(status="voided"))
    rollups.refresh_rollups(engine)
    return out


@pytest.fixture
def ids(engine):
    """RECORDS under the active version v1 (v0 inactive), bad's ledger case voided, every rollup built."""
    return load(engine, RECORDS, voided=("bad",))


def as_rebuilt(engine):
    """The rollups as a full rebuild leaves them (rebuilt here)."""
    rollups.refresh_rollups(engine)
    return snapshot(engine)


SCENARIOS = {
    "category": [("plain", "staff_attitude")],
    "hidden on to off (不是投诉)": [("praise", NOT_COMPLAINT)],
    "to other": [("plain", "other")],
    "a confirmation": [("plain", "timeliness")],
    "twice in a row": [("praise", "materials"), ("praise", NOT_COMPLAINT)],
    "no complaint and back": [("praise", NOT_COMPLAINT), ("praise", "guide_info")],
    "new row missing, old row to 0": [("lonely", "staff_attitude")],
    "a voided 差评 with tags": [("bad", "timeliness")],
    "差评 tags into existing rows": [("bad2", "timeliness"), ("apr", "timeliness")],
    "a message": [("msg", "materials"), ("msg", "other")],
    "the twin's row": [("twin", "other"), ("praise", "other")],
}


@pytest.mark.parametrize("steps", SCENARIOS.values(), ids=SCENARIOS.keys())
def test_a_correction_leaves_the_rollups_as_a_rebuild_does(engine, ids, rebuilt, steps):
    before = snapshot(engine)
    for key, category in steps:
        with engine.begin() as conn:
            record_correction(conn, ids[key], category, by="督查科")
        moved = snapshot(engine)
        assert rebuilt == []  # the moves sufficed: no day rebuilt
        assert moved == as_rebuilt(engine)
        rebuilt.clear()
    if steps == SCENARIOS["a confirmation"]:
        assert moved == before
    else:
        assert moved != before


def test_a_hidden_flag_turned_on_moves_too(engine, ids, rebuilt):
    """No label turns the flag on today, but the moves take any change: off → on, with and without a category."""
    for key, category in (("plain", "timeliness"), ("twin", "materials"), ("lonely", None)):
        with engine.begin() as conn:
            old = conn.execute(select(Score.category, Score.hidden_complaint).where(
                Score.record_id == ids[key], Score.model_version == "v1")).one()
            conn.execute(update(Score).where(Score.record_id == ids[key], Score.model_version == "v1")
                         .values(category=category, hidden_complaint=True))
            change = ScoreChange(ids[key], datetime(2026, 3, 2, 12), old.category, bool(old.hidden_complaint),
                                 category, True)
            assert rollups.apply_correction(conn, change) is True
        assert rebuilt == []
        assert snapshot(engine) == as_rebuilt(engine)
        rebuilt.clear()


def test_a_day_without_rollups_is_rebuilt_instead(engine, ids, rebuilt):
    with engine.begin() as conn:
        repository.delete_days(conn, DAY, DAY)  # the day was never rolled up (its month was)
        record_correction(conn, ids["praise"], NOT_COMPLAINT, by="督查科")
    assert rebuilt == [(DAY, DAY)]
    assert snapshot(engine) == as_rebuilt(engine)


def test_a_record_not_yet_rolled_up_on_its_row_makes_the_day_rebuilt(engine, ids, rebuilt):
    """A batch loaded and scored, its rollups not yet refreshed: the old row would lose a record yet still hold
    more than the day's records with that key give; the check against the records sees it and rebuilds."""
    with engine.begin() as conn:
        new = factory.add_record(conn, record_key="fresh", rated_at=datetime(2026, 3, 2, 17), level=4, dept_code=A,
                                 dept_name=f"部门{A}", region_code=RA, channel="pc", service_code="S1",
                                 service_name="事项S1", is_default=False)
        factory.add_scores(conn, [dict(record_id=new, model_version="v1", sentiment="pos", category="timeliness")])
    with engine.begin() as conn:
        record_correction(conn, ids["plain"], "staff_attitude", by="督查科")
    assert rebuilt == [(DAY, DAY)]
    assert snapshot(engine) == as_rebuilt(engine)


def test_a_missing_row_to_move_from_makes_the_day_rebuilt(engine, ids, rebuilt):
    """Every table is checked: a monthly row that is not there (whatever removed it) rebuilds the day, and the
    month with it."""
    with engine.begin() as conn:
        conn.execute(delete(RollupMonthlyChannel).where(RollupMonthlyChannel.category == "timeliness"))
        record_correction(conn, ids["plain"], "staff_attitude", by="督查科")
    assert rebuilt == [(DAY, DAY)]
    assert snapshot(engine) == as_rebuilt(engine)


def test_move_row_writes_nothing_where_it_cannot(engine, ids):
    key = (("day", DAY), ("kind", "rating"), ("channel", "nowhere"), ("level", 5), ("is_default", False),
           ("voided", False))
    with engine.begin() as conn:
        assert not repository.move_row(conn, RollupDailyChannel, key, (("n", -1), ("projects", 0), ("hidden", 0)))
        assert not repository.move_row(conn, RollupDailyChannel, key, (("n", 0), ("projects", 0), ("hidden", 1)))
        assert conn.execute(select(RollupDailyChannel.id).where(RollupDailyChannel.channel == "nowhere")).first() \
            is None
        assert repository.move_row(conn, RollupDailyChannel, key, (("n", 1), ("projects", 1), ("hidden", 0)))
        row = conn.execute(select(RollupDailyChannel.n, RollupDailyChannel.projects, RollupDailyChannel.hidden)
                           .where(RollupDailyChannel.channel == "nowhere")).one()
        assert tuple(row) == (1, 1, 0)
        assert not repository.move_row(conn, RollupDailyChannel, key, (("n", -1), ("projects", -1), ("hidden", -1)))
        assert repository.move_row(conn, RollupDailyChannel, key, (("n", -1), ("projects", -1), ("hidden", 0)))
        assert conn.execute(select(RollupDailyChannel.id).where(RollupDailyChannel.channel == "nowhere")).first() \
            is None


# ---- the moves, pure ------------------------------------------------------------------------------------------
DIMS = {"kind": "rating", "dept_code": A, "dept_name": "部门DA", "region_code": RA, "channel": "pc",
        "service_code": None, "service_name": "事项", "level": 2, "is_default": False, "voided": True,
        "sentiment": "neg", "category": "materials"}


def _tables(moves):
    return [m.table for m in moves]


def test_a_category_change_moves_the_fine_tables_only():
    moves = correction_moves(RecordState(date(2026, 5, 31), DIMS, 1, None), ("materials", False), ("other", False))
    fine = [RollupDaily, RollupMonthly, RollupMonthlyChannel, RollupQuarterly]  # not the service tables either
    assert sorted(_tables(moves), key=str) == sorted(fine * 2, key=str)
    daily = [m for m in moves if m.table is RollupDaily]
    assert [dict(m.key)["category"] for m in daily] == ["materials", "other"]
    assert [m.delta for m in daily] == [(("n", -1), ("projects", -1), ("hidden", 0)),
                                        (("n", 1), ("projects", 1), ("hidden", 0))]
    periods = {m.table: dict(m.key) for m in moves}
    assert periods[RollupDaily]["day"] == date(2026, 5, 31) and periods[RollupMonthly]["month"] == date(2026, 5, 1)
    assert periods[RollupQuarterly]["quarter"] == date(2026, 4, 1)
    assert "dept_code" not in periods[RollupMonthlyChannel] and periods[RollupQuarterly]["service_code"] is None


def test_a_hidden_flag_alone_changes_every_table_in_place():
    moves = correction_moves(RecordState(DAY, DIMS, 0, None), (None, True), (None, False))
    assert sorted(_tables(moves), key=str) == sorted((t for t, _, _ in COUNTED_TABLES), key=str)
    assert {m.delta for m in moves} == {(("n", 0), ("projects", 0), ("hidden", -1))}


def test_no_complaint_moves_rows_and_hidden_together():
    moves = correction_moves(RecordState(DAY, DIMS, 0, None), ("timeliness", True), (None, False))
    assert {m.delta for m in moves if m.table in (RollupDailyUnit, RollupMonthlyUnit, RollupDailyChannel)} == {
        (("n", 0), ("projects", 0), ("hidden", -1))}
    fine = [m for m in moves if m.table is RollupMonthly]
    assert [(dict(m.key)["category"], m.delta) for m in fine] == [
        ("timeliness", (("n", -1), ("projects", 0), ("hidden", -1))), (None, (("n", 1), ("projects", 0), ("hidden", 0)))]


def test_a_bad_ratings_tags_move_with_its_category_counted_as_rebuilt():
    state = RecordState(DAY, DIMS, 1, "209,213|209 209；x")  # a full-width semicolon does not split (as bad_tag_rows)
    tags = [(dict(m.key)["tag"], dict(m.key)["category"], m.delta) for m in correction_moves(
        state, ("materials", False), ("other", False)) if m.table is RollupBadTag]
    assert sorted(tags) == [("209", "materials", (("n", -2),)), ("209", "other", (("n", 2),)),
                            ("209；x", "materials", (("n", -1),)), ("209；x", "other", (("n", 1),)),
                            ("213", "materials", (("n", -1),)), ("213", "other", (("n", 1),))]
    assert not [m for m in correction_moves(state, ("materials", True), ("materials", False))
                if m.table is RollupBadTag]  # the tag rollup has no hidden count
    for dims in ({**DIMS, "level": 3}, {**DIMS, "is_default": True}, {**DIMS, "kind": "message"}):
        assert RollupBadTag not in _tables(correction_moves(RecordState(DAY, dims, 0, "209"), ("a", False),
                                                            ("b", False)))


def test_nothing_moves_when_nothing_changed():
    assert correction_moves(RecordState(DAY, DIMS, 1, "209"), ("materials", True), ("materials", True)) == []
    assert moves_module.period_of("quarter", date(2026, 12, 31)) == date(2026, 10, 1)
