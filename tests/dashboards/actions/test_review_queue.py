"""待确认 review queue: least-sure classifications first, department scoping, who may use it, CSRF, confirm and
correct (first and second level) stored as gold labels through the gold-label code, audited, leaving the queue."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select, update

from dashboards.api.openapi import document
from feedback.models import AuditLog, GoldLabel, Record, Score
from feedback.scoring import repository as store
from feedback.scoring.score import score_store
from tests.dashboards.conftest import DEPT_A, csrf_from

jsonschema = pytest.importorskip("jsonschema", reason="jsonschema is needed to validate against the OpenAPI doc")


@pytest.fixture
def scored(engine, settings, seeded):
    return score_store(engine, settings).version


def _queue_ids(page: str) -> list[int]:
    return [int(x.split('"')[0]) for x in page.split('<tr id="r')[1:]]


def _scores(engine, version) -> dict[int, tuple]:
    with engine.connect() as conn:
        rows = conn.execute(select(Score.record_id, Score.category, Score.subcategory, Score.category_margin,
                                   Record.dept_code).join(Record, Record.id == Score.record_id)
                            .where(Score.model_version == version, Score.category.is_not(None)))
        return {r.record_id: (r.category, r.subcategory, r.category_margin, r.dept_code) for r in rows}


def test_queue_lists_the_least_sure_first_in_the_own_department_only(client_for, engine, scored):
    scores = _scores(engine, scored)
    assert len(scores) >= 4 and all(m is not None and m >= 0 for _, _, m, _ in scores.values())
    expected = sorted(scores, key=lambda rid: (scores[rid][2], rid))
    page = client_for("pm").get("/records/review").text
    assert "待确认分类" in page and f"待确认 {len(scores)} 条" in page
    assert _queue_ids(page) == expected
    own = [rid for rid in expected if scores[rid][3] == DEPT_A]
    assert 0 < len(own) < len(expected)
    assert _queue_ids(client_for("ops_a").get("/records/review").text) == own
    assert "<script>alert(1)" not in page  # untrusted text is escaped


def test_viewers_get_403_and_answers_need_csrf(client_for, engine, scored):
    assert client_for("viewer").get("/records/review").status_code == 403
    rid = next(iter(_scores(engine, scored)))
    assert client_for("pm").post(f"/records/review/{rid}", data={"choice": "materials"}).status_code == 400
    with engine.connect() as conn:
        assert conn.execute(select(GoldLabel.id)).first() is None


def test_confirm_and_correct_are_gold_labels_audited_and_leave_the_queue(client_for, engine, settings, scored):
    scores = _scores(engine, scored)
    first, second = sorted(scores, key=lambda rid: (scores[rid][2], rid))[:2]
    client = client_for("pm")
    page = client.get("/records/review").text
    token = csrf_from(page)
    cat, sub = scores[first][:2]
    choice = cat + (f"/{sub}" if sub else "")
    r = client.post(f"/records/review/{first}", data={"decision": "confirm", "choice": choice, "csrf_token": token})
    assert r.status_code == 302 and r.headers["Location"] == "/records/review"
    r = client.post(f"/records/review/{second}", data={
        "decision": "correct", "choice": "materials/repeated_submission", "note": "其实是反复补材料", "csrf_token": token})
    assert r.status_code == 302
    with engine.connect() as conn:
        gold = [tuple(x) for x in conn.execute(select(GoldLabel.record_id, GoldLabel.category,
                                                      GoldLabel.subcategory, GoldLabel.labelled_by)
                                               .order_by(GoldLabel.id))]
        audits = [json.loads(d) for d in conn.execute(select(AuditLog.detail).where(AuditLog.action == "label")).scalars()]
        now = conn.execute(select(Score.category, Score.subcategory, Score.category_margin)
                           .where(Score.record_id == second, Score.model_version == scored)).one()
        corpus = store.training_corpus(conn, 1000)
    assert gold == [(first, cat, sub, "pm"), (second, "materials", "repeated_submission", "pm")]
    assert [(a["record_id"], a["decision"], a["via"]) for a in audits] == [
        (first, "confirm", "review"), (second, "correct", "review")]
    assert tuple(now) == ("materials", "repeated_submission", None)  # gold wins at once
    assert corpus.loc[corpus["record_id"] == second, "gold_sub"].tolist() == ["repeated_submission"]
    left = _queue_ids(client.get("/records/review").text)
    assert first not in left and second not in left and len(left) == len(scores) - 2


def test_bad_choices_and_foreign_records_are_refused(client_for, engine, scored, token_for):
    scores = _scores(engine, scored)
    own = next(rid for rid, s in scores.items() if s[3] == DEPT_A)
    foreign = next(rid for rid, s in scores.items() if s[3] != DEPT_A)
    client = client_for("ops_a")
    token = csrf_from(client.get("/records/review").text)
    wrong_parent = client.post(f"/records/review/{own}", data={"choice": "timeliness/repeated_submission", "csrf_token": token})
    assert wrong_parent.status_code == 400 and "二级分类" in wrong_parent.text
    assert client.post(f"/records/review/{own}", data={"choice": "nonsense", "csrf_token": token}).status_code == 400
    assert client.post(f"/records/review/{foreign}",
                       data={"choice": "materials", "csrf_token": token}).status_code == 404
    with engine.connect() as conn:
        assert conn.execute(select(GoldLabel.id)).first() is None
    # the API's label route takes the second level too, and refuses one of another category
    api = client_for("ops_a")
    headers = token_for("ops_a")
    schema = {"$ref": "#/components/schemas/Label", "components": document()["components"]}
    wrong = api.post(f"/api/v1/records/{own}/label", json={"category": "timeliness", "subcategory": "certificates"},
                     headers=headers)
    assert wrong.status_code == 400
    ok = api.post(f"/api/v1/records/{own}/label", json={"category": "materials", "subcategory": "certificates"},
                  headers=headers)
    assert ok.status_code == 201 and ok.json["subcategory_name"] == "证明盖章"
    jsonschema.validate(ok.json, schema, cls=jsonschema.Draft202012Validator)


def test_an_office_category_of_a_message_is_not_the_queues_to_confirm(client_for, engine, scored):
    """A 12345 message carrying the office's own category (城乡建设, from `[scoring] message_classifier`) is not a
    taxonomy classification: it stays out of the queue, whose choices are the taxonomy's."""
    scores = _scores(engine, scored)
    rid = sorted(scores, key=lambda r: (scores[r][2], r))[0]
    with engine.begin() as conn:
        conn.execute(Score.__table__.update().where(Score.record_id == rid, Score.model_version == scored)
                     .values(category="城乡建设", subcategory=None, category_margin=None))
    page = client_for("pm").get("/records/review").text
    assert rid not in _queue_ids(page) and f"待确认 {len(scores) - 1} 条" in page


def test_a_tie_of_tags_says_that_the_text_chose(client_for, engine, scored):
    """Several 差评 tags give their categories the same confidence and the text chooses among them
    (``test_classify.py::test_tags_naming_several_categories_are_told_apart_by_the_text``); the queue says so
    beside the margin, which is then the text's lead, and keeps the plain wording for the others."""
    scores = _scores(engine, scored)
    tied, plain = sorted(scores)[:2]
    with engine.begin() as conn:
        conn.execute(update(Score).where(Score.record_id == tied, Score.model_version == scored).values(
            category="guide_info", category_conf=0.9, category_margin=0.35,
            categories=json.dumps([["guide_info", 0.9], ["timeliness", 0.9], ["materials", 0.9]])))
    page = client_for("pm").get("/records/review").text
    cells = {rid: page.split(f'<tr id="r{rid}">')[1].split("</tr>")[0] for rid in (tied, plain)}
    assert "置信度 90%；评价标签或关键词同时指向多个分类，按评价文字判断领先 35 个百分点" in cells[tied]
    assert "也可能：办理时效、申报材料" in cells[tied]
    assert "同时指向多个分类" not in cells[plain] and "领先次选" in cells[plain]


def test_a_lead_that_rounds_to_nothing_reads_as_a_tie(client_for, engine, scored):
    """A margin under half a point printed "领先 0 个百分点" (a lead of nothing); such a row says the two are
    nearly level, with the tags' tie and without, and a real lead keeps its figure."""
    scores = _scores(engine, scored)
    tied, plain, clear = sorted(scores)[:3]
    with engine.begin() as conn:
        for rid, margin, cats in ((tied, 0.003, [["guide_info", 0.9], ["timeliness", 0.9]]),
                                  (plain, 0.004, [["guide_info", 0.5], ["timeliness", 0.496]]),
                                  (clear, 0.12, [["guide_info", 0.6], ["timeliness", 0.48]])):
            conn.execute(update(Score).where(Score.record_id == rid, Score.model_version == scored).values(
                category="guide_info", category_conf=cats[0][1], category_margin=margin, categories=json.dumps(cats)))
    page = client_for("pm").get("/records/review").text
    cells = {rid: page.split(f'<tr id="r{rid}">')[1].split("</tr>")[0] for rid in (tied, plain, clear)}
    assert "按评价文字判断与次选几乎持平" in cells[tied]
    assert "置信度 50%，与次选几乎持平" in cells[plain]
    assert "领先次选 12 个百分点" in cells[clear]
    assert not any("领先 0 个" in c or "领先次选 0 个" in c for c in cells.values())


def test_a_comment_filed_as_other_says_why_instead_of_a_lead(client_for, engine, scored):
    """Filed as other by the open-set rule, a score's confidence is 1 − the best category's and its margin lies
    between two categories the model rejected: "置信度 85%，领先次选 0 个百分点" read as a sure call. The row says
    how sure the best category was instead; the other rows keep their wording."""
    scores = _scores(engine, scored)
    outside, plain = sorted(scores)[:2]
    with engine.begin() as conn:
        conn.execute(update(Score).where(Score.record_id == outside, Score.model_version == scored).values(
            category="other", subcategory=None, category_conf=0.85, category_margin=0.001,
            categories=json.dumps([["other", 0.85]])))
    page = client_for("pm").get("/records/review").text
    cells = {rid: page.split(f'<tr id="r{rid}">')[1].split("</tr>")[0] for rid in (outside, plain)}
    assert "最可能的分类把握仅 15%，故归入其他问题" in cells[outside]
    assert "领先次选" not in cells[outside] and "置信度 85%" not in cells[outside]
    assert "领先次选" in cells[plain] and "最可能的分类" not in cells[plain]


def test_the_same_words_wait_as_one_row_and_are_answered_once(client_for, engine, scored):
    """Many people type the same short comment; the queue showed it once per record (the demo's top three rows
    were one sentence) and each had to be confirmed alone. Now a text waits as one row, says how many more of the
    department's records share it, and one answer labels them all, each its own gold label and audit entry;
    another department's record with the same words is not touched."""
    scores = _scores(engine, scored)
    order = sorted(scores, key=lambda rid: (scores[rid][2], rid))
    *own, apart = [rid for rid in order if scores[rid][3] == DEPT_A][:4]
    foreign = next(rid for rid in order if scores[rid][3] != DEPT_A)
    words = "办是办了，就是有点慢。。。"
    cat, sub = scores[own[0]][:2]
    with engine.begin() as conn:
        conn.execute(update(Record).where(Record.id.in_([*own, foreign, apart])).values(text=words))
        conn.execute(update(Score).where(Score.record_id.in_([*own, foreign]), Score.model_version == scored)
                     .values(category=cat, subcategory=sub))
        # the same words filed elsewhere (差评 tags can do that): not the same answer, not merged
        conn.execute(update(Score).where(Score.record_id == apart, Score.model_version == scored)
                     .values(category="online_platform" if cat != "online_platform" else "materials",
                             subcategory=None))
    everyone = client_for("pm").get("/records/review").text
    ids = _queue_ids(everyone)
    assert sum(rid in ids for rid in [*own, foreign]) == 1 and apart in ids  # one row for the four alike
    assert "另有 3 条评价文字与此完全相同" in everyone and f"待确认 {len(scores)} 条" in everyone
    client = client_for("ops_a")
    page = client.get("/records/review").text
    first = next(rid for rid in _queue_ids(page) if rid in own)
    assert first == own[0] and "另有 2 条本部门评价文字与此完全相同、模型分类也相同" in page
    r = client.post(f"/records/review/{first}", data={
        "decision": "confirm", "choice": cat + (f"/{sub}" if sub else ""), "same": "1", "csrf_token": csrf_from(page)})
    assert r.status_code == 302
    with engine.connect() as conn:
        gold = {rid: c for rid, c in conn.execute(select(GoldLabel.record_id, GoldLabel.category))}
        audits = [json.loads(d) for d in conn.execute(select(AuditLog.detail).where(AuditLog.action == "label")).scalars()]
    assert gold == {rid: cat for rid in own}  # the other department's record still waits
    assert [(a["record_id"], a.get("same_text_as")) for a in audits] == [(own[0], None)] + sorted(
        (rid, own[0]) for rid in own[1:])
    after = client.get("/records/review").text
    assert "一并确认" in after and not set(own) & set(_queue_ids(after))
    assert {foreign, apart} <= set(_queue_ids(client_for("pm").get("/records/review").text))


def test_without_same_only_the_record_is_answered(client_for, engine, scored):
    scores = _scores(engine, scored)
    own = [rid for rid in sorted(scores) if scores[rid][3] == DEPT_A][:2]
    with engine.begin() as conn:
        conn.execute(update(Record).where(Record.id.in_(own)).values(text="窗口没人"))
    client = client_for("ops_a")
    token = csrf_from(client.get("/records/review").text)
    assert client.post(f"/records/review/{own[0]}", data={"choice": "queue_onsite", "csrf_token": token}).status_code == 302
    with engine.connect() as conn:
        assert conn.execute(select(GoldLabel.record_id)).scalars().all() == [own[0]]


def test_not_a_complaint_for_the_same_words_leaves_the_bad_ratings_waiting(client_for, engine, scored):
    """不是投诉 is refused on a 差评 (the rating itself complains); among records sharing the words it labels the
    good ratings, and the page says how many 差评 still wait."""
    scores = _scores(engine, scored)
    good, bad = [rid for rid in sorted(scores) if scores[rid][3] == DEPT_A][:2]
    with engine.begin() as conn:
        conn.execute(update(Record).where(Record.id.in_([good, bad])).values(text="还行吧"))
        conn.execute(update(Record).where(Record.id == good).values(level=4))
        conn.execute(update(Record).where(Record.id == bad).values(level=1))
    client = client_for("ops_a")
    token = csrf_from(client.get("/records/review").text)
    r = client.post(f"/records/review/{good}", data={"decision": "not_complaint", "choice": "not_complaint",
                                                     "same": "1", "csrf_token": token})
    assert r.status_code == 302
    with engine.connect() as conn:
        assert conn.execute(select(GoldLabel.record_id)).scalars().all() == [good]
    page = client.get("/records/review").text
    assert "另有 1 条同样文字的差评不能标为“不是投诉”" in page and bad in _queue_ids(page)


def test_the_same_words_are_answered_within_the_pages_filters(client_for, engine, scored):
    """A queue opened with filters in its address (level=1) counts the same words within them; the answer used
    to label the whole department's records with those words, more than the row said. The filters now go with
    the answer, and the page comes back with them."""
    scores = _scores(engine, scored)
    order = sorted(scores, key=lambda rid: (scores[rid][2], rid))
    own = [rid for rid in order if scores[rid][3] == DEPT_A][:3]
    cat, sub = scores[own[0]][:2]
    with engine.begin() as conn:
        conn.execute(update(Record).where(Record.id.in_(own)).values(text="等了好久"))
        conn.execute(update(Record).where(Record.id.in_(own[:2])).values(level=1))
        conn.execute(update(Record).where(Record.id == own[2]).values(level=3))
        conn.execute(update(Score).where(Score.record_id.in_(own), Score.model_version == scored)
                     .values(category=cat, subcategory=sub))
    client = client_for("ops_a")
    page = client.get("/records/review?level=1").text
    assert "另有 1 条本部门评价文字与此完全相同" in page and own[2] not in _queue_ids(page)
    action = f'action="/records/review/{own[0]}?level=1"'
    assert action in page
    r = client.post(f"/records/review/{own[0]}?level=1", data={
        "decision": "confirm", "choice": cat + (f"/{sub}" if sub else ""), "same": "1", "csrf_token": csrf_from(page)})
    assert r.status_code == 302 and r.headers["Location"].endswith("/records/review?level=1")
    with engine.connect() as conn:
        assert sorted(conn.execute(select(GoldLabel.record_id)).scalars()) == sorted(own[:2])
