"""撤销 on the 待确认 page: a user's latest confirmations and corrections are listed with an undo button; an undo
puts the model's classification back (every score column, hidden complaint included), moves the rollups back as
a rebuild leaves them, deletes the label and returns the record to the queue; audited; refused with a reason
(not the latest label, rescored since), for another department's label (404), for another user's label unless
an admin asks (403), without the CSRF token, and for viewers."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select, update

from feedback.models import AuditLog, GoldLabel, Record, Score
from feedback.scoring.taxonomy import NOT_COMPLAINT
from feedback.stats.rollups import refresh_rollups
from tests import factory
from tests.dashboards.conftest import DEPT_A, DEPT_B, XSS, csrf_from
from tests.feedback.stats.test_rollups import snapshot

SCORE_COLUMNS = list(Score.__table__.c)


@pytest.fixture
def queued(engine, seeded):
    """The seed under an active version, every record with a text classified as guide_info / guide_error with a
    small margin (the good ratings as hidden complaints); rollups built. Returns record id → department."""
    with engine.begin() as conn:
        factory.add_model_version(conn, "m1")
        rows = conn.execute(select(Record.id, Record.level, Record.dept_code).order_by(Record.id)).all()
        factory.add_scores(conn, [dict(
            record_id=r.id, sentiment="neg" if r.level <= 2 else "pos", sentiment_score=0.3 + i / 100,
            hidden_complaint=r.level >= 3, category="guide_info", subcategory="guide_error",
            category_conf=0.4 + i / 100, category_margin=0.01 * i,
            categories=json.dumps([["guide_info", 0.4 + i / 100], ["materials", 0.39]]), rated_at=None)
            for i, r in enumerate(rows)])
    refresh_rollups(engine)
    return {r.id: r.dept_code for r in rows}


def _queue_ids(page: str) -> list[int]:
    return [int(x.split('"')[0]) for x in page.split('<tr id="r')[1:]]


def _mine(page: str) -> list[int]:
    return [int(x.split('"')[0]) for x in page.split('<tr id="g')[1:]]


def _score(engine, rid) -> dict:
    with engine.connect() as conn:
        return dict(conn.execute(select(*SCORE_COLUMNS).where(Score.record_id == rid, Score.model_version == "m1"))
                    .one()._mapping)


def _labels(engine) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(select(GoldLabel.id, GoldLabel.record_id, GoldLabel.labelled_by)
                                               .order_by(GoldLabel.id))]


def _answer(client, rid, decision, choice):
    token = csrf_from(client.get("/records/review").text)
    r = client.post(f"/records/review/{rid}", data={"decision": decision, "choice": choice, "csrf_token": token})
    assert r.status_code == 302, r.text


def _undo(client, label_id, token=True):
    data = {"csrf_token": csrf_from(client.get("/records/review").text)} if token else {}
    return client.post(f"/records/review/undo/{label_id}", data=data)


def _as_rebuilt(engine):
    refresh_rollups(engine)
    return snapshot(engine)


ANSWERS = {"校正": ("correct", "materials/certificates"), "不是投诉": ("not_complaint", NOT_COMPLAINT),
           "确认": ("confirm", "guide_info/guide_error")}


@pytest.mark.parametrize("decision, choice", ANSWERS.values(), ids=ANSWERS.keys())
def test_an_undo_puts_the_record_back_as_it_was(client_for, engine, queued, decision, choice):
    rid = next(r for r, dept in queued.items() if dept == DEPT_A and _score(engine, r)["hidden_complaint"])
    before, rollups, client = _score(engine, rid), snapshot(engine), client_for("pm")
    assert rid in _queue_ids(client.get("/records/review").text)
    _answer(client, rid, decision, choice)
    page = client.get("/records/review").text
    (label_id, _, by), = _labels(engine)
    assert by == "pm" and rid not in _queue_ids(page) and _mine(page) == [label_id]
    assert "我最近的确认与校正" in page and "撤销" in page
    assert _score(engine, rid) != before
    r = _undo(client, label_id)
    assert r.status_code == 302 and r.headers["Location"] == "/records/review"
    assert _score(engine, rid) == before  # every column: category, conf, second level, margin, list, hidden flag
    assert _labels(engine) == []
    assert snapshot(engine) == rollups
    assert snapshot(engine) == _as_rebuilt(engine)
    page = client.get("/records/review").text
    assert rid in _queue_ids(page) and _mine(page) == []
    assert "已撤销" in page and "回到待确认" in page
    with engine.connect() as conn:
        audit = [(a, json.loads(d), u) for a, d, u in conn.execute(
            select(AuditLog.action, AuditLog.detail, AuditLog.username).where(AuditLog.action == "label_undo"))]
    category = choice.partition("/")[0]
    assert audit == [("label_undo", {"record_id": rid, "label_id": label_id, "category": category,
                                     "subcategory": choice.partition("/")[2] or None}, "pm")]


def test_the_list_shows_the_own_latest_labels_escaped_newest_first(client_for, engine, queued):
    own = [r for r, dept in queued.items() if dept == DEPT_A][:7]  # the first is the seed's XSS text
    client = client_for("ops_a")
    for rid in own:
        _answer(client, rid, "correct", "materials")
    admin = client_for("admin")
    _answer(admin, next(r for r, d in queued.items() if d == DEPT_B), "correct", "materials")
    page = client.get("/records/review").text
    ids = [i for i, _, by in _labels(engine) if by == "ops_a"]
    assert _mine(page) == ids[::-1][:5]  # the five latest, newest first; not the admin's
    with engine.connect() as conn:  # stamped in UTC, shown in the display time zone (Asia/Shanghai: +8 h)
        at = conn.execute(select(GoldLabel.created_at).where(GoldLabel.id == ids[-1])).scalar_one()
    row = page.split(f'<tr id="g{ids[-1]}">')[1].split("</tr>")[0]
    assert f"{at + timedelta(hours=8):%Y-%m-%d %H:%M}" in row
    _answer(client, own[-1], "correct", "timeliness")  # a later label of the same record: the earlier one is done
    page = client.get("/records/review").text
    assert "之后已再次校正" in page
    _answer(client, own[0], "correct", "timeliness")
    page = client.get("/records/review").text
    assert "<script>alert(1)" not in page and "&lt;script&gt;" in page
    assert XSS not in page


def test_refusals(client_for, engine, queued):
    a = [r for r, dept in queued.items() if dept == DEPT_A]
    b = next(r for r, dept in queued.items() if dept == DEPT_B)
    pm, ops, ops_a, admin = (client_for(n) for n in ("pm", "ops", "ops_a", "admin"))
    _answer(pm, a[0], "correct", "materials")
    _answer(pm, a[0], "correct", "timeliness")
    _answer(admin, b, "correct", "materials")
    _answer(pm, a[1], "correct", "materials")
    first, second, foreign, third = (i for i, _, _ in _labels(engine))
    r = _undo(pm, first)
    assert r.status_code == 400 and "只能先撤销最新的那一次" in r.text  # not the record's latest
    assert _undo(ops_a, foreign).status_code == 404  # another department's label is not there for ops_a
    assert _undo(ops_a, 987654).status_code == 404
    r = _undo(ops, third)
    assert r.status_code == 403 and "只能撤销自己的" in r.text  # another user's label
    assert _undo(pm, third, token=False).status_code == 400  # no CSRF token
    viewer = client_for("viewer")
    assert viewer.post(f"/records/review/undo/{third}", data={}).status_code in (400, 403)
    token = csrf_from(viewer.get("/records").text)
    assert viewer.post(f"/records/review/undo/{third}", data={"csrf_token": token}).status_code == 403
    with engine.begin() as conn:  # a[1] scored again since its label
        conn.execute(update(Score).where(Score.record_id == a[1], Score.model_version == "m1")
                     .values(scored_at=datetime(2026, 5, 1)))
    r = _undo(pm, third)
    assert r.status_code == 400 and "这条记录已重新评分，无法撤销；请在评价明细中重新校正" in r.text
    assert len(_labels(engine)) == 4
    with engine.connect() as conn:
        assert conn.execute(select(AuditLog.id).where(AuditLog.action == "label_undo")).first() is None
    # an admin may undo anyone's label; undoing the later of two labels leaves the earlier one counting
    assert _undo(admin, second).status_code == 302
    assert "按它更早的一次人工确认或校正计" in admin.get("/records/review").text
    assert [i for i, _, _ in _labels(engine)] == [first, foreign, third]
    assert _score(engine, a[0])["category"] == "materials"


def test_an_undo_changes_the_data_version(client_for, engine, queued):
    """The overview's cache keys on the data version: undoing a label that is not the last one still changes it."""
    from dashboards.cache import data_version

    a = [r for r, dept in queued.items() if dept == DEPT_A]
    client = client_for("pm")
    _answer(client, a[0], "correct", "materials")
    _answer(client, a[1], "correct", "materials")
    first = _labels(engine)[0][0]
    with engine.connect() as conn:
        before = data_version(conn)
    assert _undo(client, first).status_code == 302
    with engine.connect() as conn:
        assert data_version(conn) != before


def test_a_label_that_reuses_an_undone_labels_id_gives_a_new_data_version(client_for, engine, queued):
    """SQLite hands a deleted newest row's id to the next insert: undo the newest label, label another record, and
    the last id and the count are what they were with the undone label. The version must still differ, or the
    overview would serve what it cached then."""
    from dashboards.cache import data_version

    a = [r for r, dept in queued.items() if dept == DEPT_A]
    client = client_for("pm")
    _answer(client, a[0], "correct", "materials")
    undone = _labels(engine)[-1][0]
    with engine.connect() as conn:
        with_undone = data_version(conn)
    assert _undo(client, undone).status_code == 302
    _answer(client, a[1], "correct", "staff_attitude")
    with engine.connect() as conn:
        now = data_version(conn)
    if engine.dialect.name == "sqlite":
        assert _labels(engine)[-1][0] == undone  # the id came back
    assert now != with_undone


def test_an_answer_given_to_the_same_words_is_listed_and_undone_as_one(client_for, engine, queued):
    """One click answers every waiting record of the department with the same words; 我最近的确认与校正 listed
    each of their labels, five at most, so the answer could not be taken back. It is now one entry, and its undo
    takes back every label given with it, one audit entry each; a record labelled again since keeps its labels."""
    a = [r for r, dept in queued.items() if dept == DEPT_A][:4]
    lead, *others = a[:3]
    with engine.begin() as conn:
        conn.execute(update(Record).where(Record.id.in_(a[:3])).values(text="太慢了"))
    client = client_for("pm")
    token = csrf_from(client.get("/records/review").text)
    r = client.post(f"/records/review/{lead}", data={"decision": "correct", "choice": "timeliness",
                                                     "same": "1", "csrf_token": token})
    assert r.status_code == 302
    _answer(client, a[3], "correct", "materials")
    page = client.get("/records/review").text
    labels = {rid: lid for lid, rid, _ in _labels(engine)}
    assert _mine(page) == [labels[a[3]], labels[lead]]  # the answer once, the lone label beside it
    assert "连同同样文字的另外 2 条评价一并处理" in page and "撤销（共 3 条）" in page
    _answer(client, others[1], "correct", "staff_attitude")  # labelled again since: its labels stay
    r = _undo(client, labels[lead])
    assert r.status_code == 302
    with engine.connect() as conn:
        left = {(rid, c) for rid, c in conn.execute(select(GoldLabel.record_id, GoldLabel.category))}
        audit = [json.loads(d) for d in conn.execute(
            select(AuditLog.detail).where(AuditLog.action == "label_undo").order_by(AuditLog.id)).scalars()]
    assert left == {(a[3], "materials"), (others[1], "timeliness"), (others[1], "staff_attitude")}
    assert [(e["record_id"], e.get("same_text_as")) for e in audit] == [(lead, None), (others[0], lead)]
    after = client.get("/records/review").text
    assert "另外 1 条评价也已撤销" in after and "另有 1 条之后又被确认或校正过" in after
    # back in the queue as one row again (the same words, filed alike); the record labelled since is not
    assert lead in _queue_ids(after) and others[1] not in _queue_ids(after) and "另有 1 条评价文字与此完全相同" in after
    # the label that stayed counts on its own again: listed apart, undone alone
    with engine.connect() as conn:
        assert conn.execute(select(GoldLabel.given_with).where(GoldLabel.given_with.is_not(None))).first() is None
