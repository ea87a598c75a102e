"""An approved 差评无效 ruling moves its record between the not-voided and voided rollup rows instead of rebuilding
its day: after any void every rollup table holds exactly what a full rebuild gives, the day is rebuilt only where
its rollups disagree with its records, and the moves themselves (feedback.stats.moves.void_moves) are what the
tables' dimensions imply."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import update

from feedback import ledger
from feedback.ledger.queries import case_of_record
from feedback.models import LedgerCase, RollupBadTag, RollupDaily
from feedback.stats import repository, rollups
from feedback.stats.moves import COUNTED_TABLES, RecordState, correction_moves, void_moves
from tests import factory
from tests.feedback.stats.test_correction_rollups import DAY, DIMS, RECORDS, as_rebuilt, load
from tests.feedback.stats.test_rollups import snapshot

# RECORDS, none voided yet, and a 差评 on bad2's fine row (its dimensions and category)
VOID_RECORDS = {**RECORDS, "bad2_twin": (("2026-03-02 13:10", 2, False, "DB", "439903000000", "mobile", "S3",
                                          "P11", "213", "rating"), ("neg", False, "materials"))}
T = datetime(2026, 4, 3, 9)


@pytest.fixture
def ids(engine):
    return load(engine, VOID_RECORDS)


def void(engine, record_id: int) -> None:
    """差评无效 requested on the record's case (opened by escalation where it has none) and approved."""
    with engine.begin() as conn:
        case = case_of_record(conn, record_id) or ledger.escalate(conn, record_id, by="督查科", now=T)
        req = ledger.request(conn, case, "void", reason="恶意差评", by="dept", now=T)
        ledger.decide(conn, req, approve=True, by="复核组", now=T)


SCENARIOS = {
    "a 差评 alone in its rows, repeated tags": ["bad"],  # its rows go, its voided rows appear
    "a 差评 on a shared row": ["bad2"],  # bad2_twin stays on the row
    "both on a shared row, the voided row then exists": ["bad2", "bad2_twin"],
    "a 差评 beside another category": ["bad3"],
    "an escalated hidden complaint with a project": ["praise"],
    "an escalated 12345 message": ["msg"],
    "an escalated default rating": ["default"],
    "an unscored rating": ["unscored"],
    "another month": ["apr"],
}


@pytest.mark.parametrize("keys", SCENARIOS.values(), ids=SCENARIOS.keys())
def test_a_void_leaves_the_rollups_as_a_rebuild_does(engine, ids, rebuilt, keys):
    before = snapshot(engine)
    for key in keys:
        void(engine, ids[key])
        moved = snapshot(engine)
        assert rebuilt == []  # the moves sufficed: no day rebuilt
        assert moved == as_rebuilt(engine)
        rebuilt.clear()  # the rebuild just compared with
    assert moved != before


def test_the_moves_run_back_if_a_case_is_ever_unvoided(engine, ids, rebuilt):
    """No ledger move leaves 差评无效 today; the moves take either direction."""
    before = snapshot(engine)
    void(engine, ids["bad"])
    with engine.begin() as conn:
        conn.execute(update(LedgerCase).where(LedgerCase.record_id == ids["bad"]).values(status="closed"))
        assert rollups.apply_void(conn, ids["bad"], voided=False) is True
    assert rebuilt == []
    assert snapshot(engine) == before == as_rebuilt(engine)


def test_a_day_without_rollups_is_rebuilt_instead(engine, ids, rebuilt):
    with engine.begin() as conn:
        repository.delete_days(conn, DAY, DAY)  # the day was never rolled up (its month was)
    void(engine, ids["bad"])
    assert rebuilt == [(DAY, DAY)]
    assert snapshot(engine) == as_rebuilt(engine)


def test_a_record_not_in_the_state_described_makes_the_day_rebuilt(engine, ids, rebuilt):
    with engine.begin() as conn:
        assert rollups.apply_void(conn, ids["bad2"]) is False  # its case is not voided: nothing to move
    assert rebuilt == [(DAY, DAY)]
    assert snapshot(engine) == as_rebuilt(engine)


def test_a_record_not_yet_rolled_up_on_its_row_makes_the_day_rebuilt(engine, ids, rebuilt):
    """A rating loaded on bad2's row whose rollups were not refreshed: the moved rows disagree with the records."""
    with engine.begin() as conn:
        new = factory.add_record(conn, record_key="fresh", rated_at=datetime(2026, 3, 2, 17), level=2, dept_code="DB",
                                 dept_name="部门DB", region_code="439903000000", channel="mobile", service_code="S3",
                                 service_name="事项S3", is_default=False, project_no="P12", assess_number=1)
        factory.add_scores(conn, [dict(record_id=new, model_version="v1", sentiment="neg", category="materials")])
    void(engine, ids["bad2"])
    assert rebuilt == [(DAY, DAY)]
    assert snapshot(engine) == as_rebuilt(engine)


# ---- the moves, pure ------------------------------------------------------------------------------------------
def test_a_void_moves_every_table_with_the_records_counts():
    state = RecordState(DAY, {**DIMS, "voided": False}, 1, None, hidden=1)
    moves = void_moves(state, False, True)
    assert sorted(map(str, (m.table for m in moves))) == sorted(map(str, [t for t, _, _ in COUNTED_TABLES] * 2))
    for old, new in zip(moves[::2], moves[1::2], strict=True):
        assert (dict(old.key)["voided"], dict(new.key)["voided"]) == (False, True)
        assert {k: v for k, v in old.key if k != "voided"} == {k: v for k, v in new.key if k != "voided"}
        assert (old.delta, new.delta) == ((("n", -1), ("projects", -1), ("hidden", -1)),
                                          (("n", 1), ("projects", 1), ("hidden", 1)))


def test_a_voided_bad_ratings_tags_move_counted_as_rebuilt():
    state = RecordState(DAY, {**DIMS, "voided": False}, 0, "209,213|209")
    tags = [(dict(m.key)["tag"], dict(m.key)["voided"], dict(m.key)["category"], m.delta)
            for m in void_moves(state, False, True) if m.table is RollupBadTag]
    assert sorted(tags) == [("209", False, "materials", (("n", -2),)), ("209", True, "materials", (("n", 2),)),
                            ("213", False, "materials", (("n", -1),)), ("213", True, "materials", (("n", 1),))]
    for dims in ({**DIMS, "level": 3}, {**DIMS, "is_default": True}, {**DIMS, "kind": "message"}):
        assert RollupBadTag not in [m.table for m in void_moves(RecordState(DAY, dims, 0, "209"), False, True)]


def test_void_moves_are_symmetric_and_share_the_corrections_path():
    state = RecordState(DAY, DIMS, 1, "209", hidden=0)
    there, back = void_moves(state, False, True), void_moves(state, True, False)
    assert {(m.table, m.key, m.delta) for m in there} == {
        (m.table, m.key, tuple((k, -v) for k, v in m.delta)) for m in back}
    assert void_moves(state, True, True) == [] and void_moves(state, False, False) == []
    daily = [m for m in correction_moves(state, ("materials", False), ("other", False)) if m.table is RollupDaily]
    assert [dict(m.key)["voided"] for m in daily] == [True, True]  # a correction keeps the record's voided rows
