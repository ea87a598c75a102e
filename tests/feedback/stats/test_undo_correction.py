"""Undoing a correction (撤销): the active score gets back every value the label replaced, the label row is gone
(it neither wins nor trains), the rollups end as a full rebuild leaves them, and a label that is not its record's
latest, that kept nothing, or whose record was rescored since is refused and changes nothing."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from sqlalchemy import insert, select, update

from feedback.models import GoldLabel, Score
from feedback.pipeline import record_correction, undo_correction
from feedback.scoring import repository as store
from feedback.scoring.repository import UndoRefused
from feedback.scoring.taxonomy import NOT_COMPLAINT
from tests.feedback.stats.test_correction_rollups import RECORDS, as_rebuilt, load
from tests.feedback.stats.test_rollups import snapshot

MODEL = {  # the model's own values on v1, beyond the category the rollup fixture sets (every column restored)
    "praise": dict(category_conf=0.41, subcategory="guide_error", category_margin=0.02,
                   categories=json.dumps([["guide_info", 0.41], ["materials", 0.39]]),
                   hidden_clause="就是指南和窗口说的不一样"),
    "plain": dict(category_conf=0.55, subcategory=None, category_margin=0.07,
                  categories=json.dumps([["timeliness", 0.55], ["staff_attitude", 0.48]])),
}
SCORE_COLUMNS = [c for c in Score.__table__.c]


@pytest.fixture
def ids(engine):
    out = load(engine, RECORDS, voided=("bad",))
    with engine.begin() as conn:
        for key, values in MODEL.items():
            conn.execute(update(Score).where(Score.record_id == out[key], Score.model_version == "v1")
                         .values(**values))
    return out


def score(engine, record_id, version="v1") -> dict:
    with engine.connect() as conn:
        return dict(conn.execute(select(*SCORE_COLUMNS).where(Score.record_id == record_id,
                                                               Score.model_version == version)).one()._mapping)


def labels(engine, record_id) -> list[int]:
    with engine.connect() as conn:
        return list(conn.execute(select(GoldLabel.id).where(GoldLabel.record_id == record_id)
                                 .order_by(GoldLabel.id)).scalars())


def correct(engine, record_id, category, subcategory=None) -> int:
    with engine.begin() as conn:
        record_correction(conn, record_id, category, by="督查科", subcategory=subcategory)
    return labels(engine, record_id)[-1]


def undo(engine, label_id):
    with engine.begin() as conn:
        return undo_correction(conn, label_id)


SCENARIOS = {
    "校正 (category and second level)": ("plain", "staff_attitude", "cold_rude"),
    "不是投诉 (hidden complaint restored)": ("praise", NOT_COMPLAINT, None),
    "确认 (nothing moves, the margin comes back)": ("praise", "guide_info", "guide_error"),
    "a voided 差评 with tags": ("bad", "timeliness", None),
    "a message": ("msg", "materials", None),
}


@pytest.mark.parametrize("key, category, sub", SCENARIOS.values(), ids=SCENARIOS.keys())
def test_an_undo_restores_the_score_and_the_rollups(engine, ids, key, category, sub):
    before, rollups_before = score(engine, ids[key]), snapshot(engine)
    label_id = correct(engine, ids[key], category, sub)
    assert score(engine, ids[key]) != before  # the label won (a confirmation too: conf 1.0, no margin)
    undone = undo(engine, label_id)
    assert undone["id"] == label_id and undone["category"] == category and undone["record_id"] == ids[key]
    assert score(engine, ids[key]) == before
    assert labels(engine, ids[key]) == []
    moved = snapshot(engine)
    assert moved == rollups_before
    assert moved == as_rebuilt(engine)
    with engine.connect() as conn:
        assert store.latest_gold(conn, [ids[key]]) == {}  # it no longer wins nor trains
        corpus = store.training_corpus(conn, 1000)
    assert corpus.loc[corpus["record_id"] == ids[key], "gold"].isna().all()


def test_the_label_keeps_what_it_replaced(engine, ids):
    label_id = correct(engine, ids["praise"], NOT_COMPLAINT)
    with engine.connect() as conn:
        kept = json.loads(conn.execute(select(GoldLabel.replaced).where(GoldLabel.id == label_id)).scalar_one())
    assert kept == {"model_version": "v1", "scored_at": kept["scored_at"], "category": "guide_info",
                    "category_conf": 0.41, "subcategory": "guide_error", "category_margin": 0.02,
                    "categories": MODEL["praise"]["categories"], "hidden_complaint": True,
                    "hidden_clause": "就是指南和窗口说的不一样"}
    assert score(engine, ids["praise"])["hidden_clause"] is None  # no complaint: no clause that made one


def test_a_label_kept_before_the_clause_was_stored_is_undone_without_it(engine, ids):
    """A label stored before migration 0021 kept no hidden_clause: undo restores the rest and leaves it empty."""
    label_id = correct(engine, ids["praise"], NOT_COMPLAINT)
    with engine.begin() as conn:
        kept = json.loads(conn.execute(select(GoldLabel.replaced).where(GoldLabel.id == label_id)).scalar_one())
        del kept["hidden_clause"]
        conn.execute(update(GoldLabel).where(GoldLabel.id == label_id).values(replaced=json.dumps(kept)))
    undo(engine, label_id)
    restored = score(engine, ids["praise"])
    assert restored["hidden_complaint"] and restored["category"] == "guide_info" and restored["hidden_clause"] is None


def test_two_labels_are_undone_newest_first(engine, ids):
    """The later label restores the earlier one's values; then the earlier one restores the model's."""
    rid = ids["praise"]
    model, rollups_before = score(engine, rid), snapshot(engine)
    first = correct(engine, rid, "materials", "certificates")
    after_first = score(engine, rid)
    second = correct(engine, rid, NOT_COMPLAINT)
    with pytest.raises(UndoRefused) as refused:
        undo(engine, first)
    assert refused.value.reason == "not_latest"
    assert labels(engine, rid) == [first, second] and score(engine, rid)["category"] is None
    undo(engine, second)
    assert score(engine, rid) == after_first and labels(engine, rid) == [first]
    assert snapshot(engine) == as_rebuilt(engine)
    undo(engine, first)
    assert score(engine, rid) == model and labels(engine, rid) == []
    assert snapshot(engine) == rollups_before == as_rebuilt(engine)


def test_labels_given_with_an_undone_label_count_on_their_own(engine, ids):
    """A label that shared another's answer (the same words answered once) points at it; when that label is
    undone alone (``haocha label undo``), the others stay and point nowhere: a reused id (SQLite hands a deleted
    newest row's id to the next insert) must not make a later label their leader."""
    lead = correct(engine, ids["praise"], "materials")
    with engine.begin() as conn:
        record_correction(conn, ids["plain"], "materials", by="督查科", given_with=lead)
    with engine.connect() as conn:
        assert [label for label, _ in store.labels_given_with(conn, lead)] == labels(engine, ids["plain"]) != []
    undo(engine, lead)
    with engine.begin() as conn:
        assert conn.execute(select(GoldLabel.given_with).where(GoldLabel.record_id == ids["plain"])).all() == [(None,)]
        assert store.labels_given_with(conn, lead) == []


RESCORED = {
    "another version active": lambda conn, rid: (
        conn.execute(update(Score).where(Score.record_id == rid, Score.model_version == "v0")
                     .values(category="timeliness")),
        store.activate(conn, "v0", store.SCORING)),
    "scored again under the same version": lambda conn, rid: conn.execute(
        update(Score).where(Score.record_id == rid, Score.model_version == "v1")
        .values(scored_at=datetime(2026, 5, 1))),
    "its category no longer the label's": lambda conn, rid: conn.execute(
        update(Score).where(Score.record_id == rid, Score.model_version == "v1").values(category="materials")),
}


@pytest.mark.parametrize("change", RESCORED.values(), ids=RESCORED.keys())
def test_a_record_rescored_since_is_refused(engine, ids, change):
    rid = ids["plain"]
    label_id = correct(engine, rid, "staff_attitude")
    with engine.begin() as conn:
        change(conn, rid)
    now, rollups_now = score(engine, rid), snapshot(engine)
    with pytest.raises(UndoRefused) as refused:
        undo(engine, label_id)
    assert refused.value.reason == "rescored"
    assert score(engine, rid) == now and labels(engine, rid) == [label_id] and snapshot(engine) == rollups_now


def test_a_label_that_kept_nothing_is_refused(engine, ids):
    """Labels stored before migration 0019 (and labels that changed no score) kept no values: nothing to restore."""
    rid = ids["plain"]
    with engine.begin() as conn:
        conn.execute(insert(GoldLabel).values(record_id=rid, category="materials", labelled_by="old",
                                              created_at=datetime(2026, 3, 5)))
        label_id = conn.execute(select(GoldLabel.id).where(GoldLabel.record_id == rid)).scalar_one()
    with pytest.raises(UndoRefused) as refused:
        undo(engine, label_id)
    assert refused.value.reason == "no_previous" and labels(engine, rid) == [label_id]
    unscored = correct(engine, ids["unscored"], "materials")  # v1 has no score for it: nothing replaced
    with pytest.raises(UndoRefused):
        undo(engine, unscored)
    with pytest.raises(KeyError):
        undo(engine, 987654)
