"""不是投诉: an office says a comment the detector flagged as a hidden complaint is praise or a neutral remark. The
record leaves the complaint figures at once (score, rollups, cache version, review queue, tasks' signals), the
answer is a gold label (audited, department-scoped), offered only where it can be true (a rating above 差评), and
the next training learns from it (tests/feedback/scoring: detector, classifier, rescoring)."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import func, select, update

from dashboards.cache import data_version
from feedback.models import AuditLog, GoldLabel, Record, RollupDaily, Score
from feedback.scoring.taxonomy import NOT_COMPLAINT
from feedback.stats.rollups import refresh_rollups
from feedback.tasks.queries import load_signals
from tests.dashboards.conftest import DEPT_A, csrf_from

PRAISE = "一次性告诉我要带什么，一遍一遍教我们怎么填，好评"


@pytest.fixture
def flagged(engine, settings, seeded):
    """The seed scored, and its first good rating of department A (非常满意) turned into what the detector gets wrong:
    praise flagged as a hidden complaint filed under a category, the least sure of the queue; rollups rebuilt."""
    from feedback.scoring.score import score_store

    version = score_store(engine, settings).version
    with engine.begin() as conn:
        rid, day = conn.execute(select(Record.id, Record.rated_at).where(
            Record.dept_code == DEPT_A, Record.level == 5, Record.is_default.is_(False)).order_by(Record.id)).first()
        conn.execute(update(Record).where(Record.id == rid).values(text=PRAISE))
        conn.execute(update(Score).where(Score.record_id == rid, Score.model_version == version).values(
            hidden_complaint=True, category="guide_info", subcategory=None, category_conf=0.41, category_margin=0.0,
            categories=json.dumps([["guide_info", 0.41], ["staff_attitude", 0.41]])))
    refresh_rollups(engine)
    return {"id": rid, "day": day.date(), "version": version}


def _hidden_on(engine, day: date) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.coalesce(func.sum(RollupDaily.hidden), 0))
                                .where(RollupDaily.day == day)).scalar_one())


def _row(page: str, rid: int) -> str:
    return page.split(f'<tr id="r{rid}">')[1].split("</tr>")[0]


def test_the_queue_offers_it_on_good_ratings_only_and_it_takes_the_record_out_of_the_complaints(
        client_for, engine, flagged, monkeypatch):
    import feedback.stats.rollups as rollups

    rebuilt: list[date] = []
    real = rollups.refresh_days
    monkeypatch.setattr(rollups, "refresh_days", lambda conn, a, b: rebuilt.append(a) or real(conn, a, b))
    rid, day = flagged["id"], flagged["day"]
    client = client_for("ops_a")
    page = client.get("/records/review").text
    assert 'value="not_complaint"' in _row(page, rid) and "不是投诉" in _row(page, rid)
    with engine.connect() as conn:
        bad, bad_category = conn.execute(select(Score.record_id, Score.category).join(
            Record, Record.id == Score.record_id).where(
            Record.level <= 2, Record.dept_code == DEPT_A, Score.category.is_not(None))).first()
    assert 'value="not_complaint"' not in _row(page, bad)  # a 差评 is a complaint by its rating
    # confirming the model's category changes no count: nothing moves, no rollup rebuild (it costs seconds at 10M)
    client.post(f"/records/review/{bad}", data={"decision": "confirm", "choice": bad_category,
                                                "csrf_token": csrf_from(page)})
    assert rebuilt == []
    with engine.connect() as conn:
        before_version = data_version(conn)
    hidden_before = _hidden_on(engine, day)
    assert hidden_before >= 1

    r = client.post(f"/records/review/{rid}", data={"decision": "not_complaint", "choice": NOT_COMPLAINT,
                                                    "csrf_token": csrf_from(page)})
    assert r.status_code == 302
    assert "不再计入投诉和隐性投诉" in client.get("/records/review").text  # the flash says what it did
    with engine.connect() as conn:
        gold = conn.execute(select(GoldLabel.record_id, GoldLabel.category, GoldLabel.labelled_by)).all()
        audit = [json.loads(a) for a in conn.execute(select(AuditLog.detail).where(AuditLog.action == "label")
                                                     .order_by(AuditLog.id)).scalars()]
        score = conn.execute(select(Score.category, Score.hidden_complaint, Score.categories, Score.category_margin)
                             .where(Score.record_id == rid, Score.model_version == flagged["version"])).one()
        signals = load_signals(conn, flagged["version"], None)
        after_version = data_version(conn)
    # the record's contribution moved between its rollup rows: no day rebuilt (tests/feedback/stats/
    # test_correction_rollups.py holds the moved rows equal to a rebuild's)
    assert [tuple(g) for g in gold][1:] == [(rid, NOT_COMPLAINT, "ops_a")] and rebuilt == []
    assert (audit[-1]["record_id"], audit[-1]["decision"], audit[-1]["category"]) == (rid, "not_complaint",
                                                                                     NOT_COMPLAINT)
    assert tuple(score) == (None, False, None, None)
    assert _hidden_on(engine, day) == hidden_before - 1  # the overview counts it at once, not at the next batch
    assert after_version != before_version  # and the result cache sees the change
    assert rid not in signals["record_id"].tolist()  # the next task rebuild leaves it out
    assert f'<tr id="r{rid}">' not in client.get("/records/review").text
    listed = _row(client.get("/records").text, rid)
    assert "不是投诉" in listed and "人工校正" in listed


def test_a_bad_rating_or_a_foreign_record_cannot_be_called_no_complaint(client_for, engine, seeded, token_for):
    with engine.connect() as conn:
        bad = conn.execute(select(Record.id).where(Record.level <= 2, Record.dept_code == DEPT_A)
                           .order_by(Record.id)).scalars().first()
        good = conn.execute(select(Record.id).where(Record.level == 5, Record.dept_code == DEPT_A)
                            .order_by(Record.id)).scalars().first()
        foreign = conn.execute(select(Record.id).where(Record.level == 5, Record.dept_code != DEPT_A)
                               .order_by(Record.id)).scalars().first()
    headers = token_for("ops_a")
    api = client_for("ops_a")
    refused = api.post(f"/api/v1/records/{bad}/label", json={"category": NOT_COMPLAINT}, headers=headers)
    assert refused.status_code == 400
    assert "差评本身就是投诉" in refused.json["message"] and "政策诉求与无效评价" in refused.json["message"]
    assert api.post(f"/api/v1/records/{foreign}/label", json={"category": NOT_COMPLAINT},
                    headers=headers).status_code == 404
    with_sub = api.post(f"/api/v1/records/{good}/label",
                        json={"category": NOT_COMPLAINT, "subcategory": "certificates"}, headers=headers)
    assert with_sub.status_code == 400 and "没有二级分类" in with_sub.json["message"]
    with engine.connect() as conn:
        assert conn.execute(select(GoldLabel.id)).first() is None
    ok = api.post(f"/api/v1/records/{good}/label", json={"category": NOT_COMPLAINT}, headers=headers)
    assert ok.status_code == 201 and ok.json["category_name"] == "不是投诉"


def test_the_explorer_offers_it_beside_the_categories_of_good_ratings_only(client_for, engine, seeded):
    page = client_for("pm").get("/records").text
    with engine.connect() as conn:
        levels = dict(conn.execute(select(Record.id, Record.level)).all())
    offered = {rid for rid in levels if f'<tr id="r{rid}">' in page and 'value="not_complaint"' in _row(page, rid)}
    shown = {rid for rid in levels if f'<tr id="r{rid}">' in page}
    assert offered and offered == {rid for rid in shown if levels[rid] > 2}
