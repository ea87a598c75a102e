"""Scoring the store: fusion, hidden complaints, categories, gold labels, versions, resume, and the CLI."""

from __future__ import annotations

import hashlib
import itertools
import json
from datetime import datetime, timedelta

import pandas as pd
import pytest
from sqlalchemy import func, select

from feedback.cli import main
from feedback.models import ModelVersion, RollupDaily, Score
from feedback.scoring import repository as store
from feedback.scoring.score import load_scorer, score_store, train_scorer
from feedback.scoring.taxonomy import NOT_COMPLAINT
from feedback.stats.rollups import refresh_rollups
from tests import factory

T0 = datetime(2026, 3, 2, 9, 0, 0)
_seq = itertools.count(1)

RECORDS = [  # (kind, level, title, text, tags)
    ("rating", 1, None, "网上办理上传材料一直失败，系统总是报错，跑了三趟还没办好", None),
    ("rating", 5, None, "工作人员态度很好，办事效率高，非常满意", None),
    ("rating", 4, None, "窗口人员态度生硬，问什么都不耐烦，排队等了两个小时", None),  # hidden complaint
    ("rating", 2, None, None, "110"),  # a bare 差评 with a tag code
    ("rating", 5, None, None, None),  # a bare good rating
    ("message", None, "翠湖湾小区房产证办不下来", "交房两年多了还办不了房产证，多次催促没有结果", None),
    ("rating", 3, None, "还行吧", None),
]


def _insert(engine, rows=RECORDS) -> list[int]:
    with engine.begin() as conn:
        bid = factory.add_batch(conn, source_system="t", profile="t")
        numbers = [next(_seq) for _ in rows]
        return factory.add_records(conn, [
            dict(source_system="t", record_key=f"k{n}", kind=kind, row_number=n, level=level, title=title, text=text,
                 tags=tags, rated_at=T0 + timedelta(hours=n), service_name="社会保障卡申领", dept_name="人社局",
                 dept_code="D1", content_hash=hashlib.sha256(str(n).encode()).hexdigest())
            for n, (kind, level, title, text, tags) in zip(numbers, rows, strict=True)], batch_id=bid)


def _scores(engine) -> pd.DataFrame:
    with engine.connect() as conn:
        return pd.read_sql(select(Score), conn).set_index("record_id")


def test_scores_fuse_rating_and_text_and_flag_hidden_complaints(engine, settings):
    ids = _insert(engine)
    run = score_store(engine, settings)
    assert run.scored == len(RECORDS) and run.new_version
    s = _scores(engine)
    bad, praise, hidden, bare_bad, bare_good, msg, meh = (s.loc[i] for i in ids)
    assert bad.sentiment == "neg" and praise.sentiment == "pos" and bare_good.sentiment == "pos"
    assert hidden.hidden_complaint and not praise.hidden_complaint and not bad.hidden_complaint
    assert bare_bad.text_score is None or pd.isna(bare_bad.text_score)
    assert msg.sentiment == "neg" and not msg.hidden_complaint  # no rating: text alone, never "hidden"
    assert meh.sentiment == "neu"
    # categories go to complaint signals only: praise and bare good ratings have none
    assert pd.isna(praise.category) and pd.isna(bare_good.category)
    assert bad.category == "online_platform"
    assert hidden.category in ("staff_attitude", "queue_onsite")
    assert bare_bad.category == "timeliness" and bare_bad.subcategory == "over_legal_limit"  # from tag 110
    labels = json.loads(hidden.categories)
    assert [c for c, _ in labels][:1] == [hidden.category] and all(0 <= v <= 1 for _, v in labels)
    assert len({c for c, _ in labels}) >= 2  # attitude and queueing: multi-label
    with engine.connect() as conn:
        active = store.active_version(conn)
    assert active["version"] == run.version and set(s["model_version"]) == {run.version}
    assert active["description"]["sentiment"]["engine"] == "linear"


def test_only_new_records_are_scored_and_all_rescores_into_a_new_version(engine, settings):
    _insert(engine)
    first = score_store(engine, settings)
    assert score_store(engine, settings).scored == 0  # nothing new
    new_ids = _insert(engine, RECORDS[:2])
    again = score_store(engine, settings)
    assert again.scored == 2 and again.version == first.version and not again.new_version
    # a gold label changes the training data: --all builds a new version and replaces the old one entirely
    with engine.begin() as conn:
        store.add_gold_label(conn, new_ids[1], "staff_attitude", by="pm", note=None, version=first.version)
    assert _scores(engine).loc[new_ids[1], "category"] == "staff_attitude"  # gold wins at once
    rerun = score_store(engine, settings, rescore_all=True)
    assert rerun.new_version and rerun.replaced == first.version and rerun.version != first.version
    s = _scores(engine)
    assert set(s["model_version"]) == {rerun.version} and len(s) == len(RECORDS) + 2
    assert s.loc[new_ids[1], "category"] == "staff_attitude"  # and keeps winning after rescoring
    with engine.connect() as conn:
        actives = conn.execute(select(ModelVersion.version).where(ModelVersion.active.is_(True))).scalars().all()
    assert actives == [rerun.version]


def test_a_not_complaint_label_clears_the_hidden_complaint_now_and_after_rescoring(engine, settings):
    """The hidden complaint of RECORDS marked 不是投诉: its score loses category and flag at once, the rescored
    version keeps them off (the detector may still say complaint: the person wins), the version says what it
    learnt from, and the category agreement has nothing to compare for it."""
    ids = _insert(engine)
    first = score_store(engine, settings)
    hidden = ids[2]
    assert _scores(engine).loc[hidden, "hidden_complaint"]
    with engine.begin() as conn:
        store.add_gold_label(conn, hidden, NOT_COMPLAINT, by="ops", note="其实是表扬", version=first.version)
    now = _scores(engine).loc[hidden]
    assert not now.hidden_complaint and pd.isna(now.category) and pd.isna(now.categories)
    rerun = score_store(engine, settings, rescore_all=True)
    again = _scores(engine).loc[hidden]
    assert again.model_version == rerun.version and not again.hidden_complaint and pd.isna(again.category)
    with engine.connect() as conn:
        described = store.active_version(conn)["description"]["trained_on"]
        assert store.all_gold(conn).empty
    assert described["gold"] == 1 and described["not_complaint"] == 1


def test_a_killed_run_resumes_without_duplicates(engine, settings_factory, settings, monkeypatch):
    _insert(engine)
    small = settings_factory(settings.database.url, scoring={"batch_size": 2})
    calls = {"n": 0}
    real = store.insert_scores

    def crash_on_third(conn, version, scores):
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("killed")
        return real(conn, version, scores)

    monkeypatch.setattr(store, "insert_scores", crash_on_third)
    with pytest.raises(RuntimeError):
        score_store(engine, small)
    assert len(_scores(engine)) == 4  # two committed batches survive, the third rolled back
    monkeypatch.setattr(store, "insert_scores", real)
    assert score_store(engine, small).scored == len(RECORDS) - 4
    with engine.connect() as conn:
        n, distinct = conn.execute(select(func.count(), func.count(func.distinct(Score.record_id)))).one()
    assert n == distinct == len(RECORDS)


def test_version_names_its_models(engine, settings):
    _insert(engine)
    scorer, description = train_scorer(engine, settings)
    again, _ = train_scorer(engine, settings)
    assert scorer.version == again.version  # same data and parameters: same version
    other, _ = train_scorer(engine, settings_factory_like(settings, hidden_below=0.2))
    assert other.version != scorer.version
    assert description["classifier"]["version"] == scorer.complaints.version
    assert description["trained_on"]["texts"] == sum(1 for r in RECORDS if r[3])


def test_a_version_scores_new_records_with_the_rule_it_was_made_with(engine, settings):
    _insert(engine)
    score_store(engine, settings)
    with engine.connect() as conn:
        active = store.active_version(conn)
    assert load_scorer(settings, active).version == active["version"]  # the loaded scorer is that version
    changed = settings_factory_like(settings, complaint_above=0.9, hidden_turns=False)
    kept = load_scorer(changed, active)  # a changed fusion key waits for `haocha score --all`
    assert kept.version == active["version"] and kept.fusion.complaint_above == settings.scoring.complaint_above
    fusion = {k: v for k, v in active["description"]["fusion"].items() if k != "hidden_turns"}
    before = {**active, "description": {**active["description"], "fusion": fusion}}
    assert load_scorer(settings, before).fusion.hidden_turns is False  # described before the turns existed
    run = score_store(engine, changed, rescore_all=True)
    assert run.version != active["version"] and run.version == load_scorer(changed, {
        "version": run.version, "description": _description(engine, run.version)}).version


def _description(engine, version: str) -> dict:
    with engine.connect() as conn:
        return json.loads(conn.execute(select(ModelVersion.description).where(ModelVersion.version == version)).scalar_one())


def settings_factory_like(settings, **scoring):
    from dataclasses import replace

    return replace(settings, scoring=replace(settings.scoring, **scoring))


def _rollup_hidden(engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.coalesce(func.sum(RollupDaily.hidden), 0))).scalar_one())


def test_score_and_label_commands(runner, config_file):
    from feedback.db import make_engine
    from feedback.settings import load_settings

    assert runner.invoke(main, ["init"]).exit_code == 0
    eng = make_engine(load_settings(config_file).database_url)
    ids = _insert(eng)
    res = runner.invoke(main, ["score", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert out["scored"] == len(RECORDS) and out["version"].startswith("sc-")
    bad = runner.invoke(main, ["label", "add", str(ids[1]), "nonsense"])
    assert bad.exit_code == 2 and "unknown category" in bad.output and "staff_attitude" in bad.output
    assert runner.invoke(main, ["label", "add", "999999", "materials"]).exit_code == 2
    wrong_sub = runner.invoke(main, ["label", "add", str(ids[0]), "materials", "--sub", "slow_review"])
    assert wrong_sub.exit_code == 2 and "certificates" in wrong_sub.output
    assert runner.invoke(main, ["label", "add", str(ids[0]), "materials", "--by", "pm1",
                                "--sub", "certificates"]).exit_code == 0
    with eng.connect() as conn:
        assert store.training_corpus(conn, 100).set_index("record_id").loc[ids[0], "gold_sub"] == "certificates"
    # 不是投诉: a 差评 refuses it, the hidden complaint (基本满意 or better) takes it and leaves the rollups' count
    refused = runner.invoke(main, ["label", "add", str(ids[0]), "not_complaint"])
    assert refused.exit_code == 2 and "only a rating above 差评" in refused.output
    refresh_rollups(eng)
    hidden = _rollup_hidden(eng)
    assert runner.invoke(main, ["label", "add", str(ids[2]), "not_complaint"]).exit_code == 0
    assert _rollup_hidden(eng) == hidden - 1 and not _scores(eng).loc[ids[2], "hidden_complaint"]
    listed = json.loads(runner.invoke(main, ["label", "list", "--json"]).output)
    assert listed["labels"][0]["gold"] == "materials" and listed["labels"][0]["model"] == "online_platform"
    assert listed["agreement"]["n"] == 1 and listed["agreement"]["accuracy"] == 0.0
    eng.dispose()


def test_masking_a_phone_or_id_number_changes_no_score(engine, settings):
    """Ingestion masks personal numbers ([手机号], [身份证号] …) before scoring, while the corpus the models learn
    from holds none: a token reads as the number it replaced, so a comment scores the same masked or not, and the
    token's characters (手机: the mobile app; 身份证: an ID card's service) never pick a category."""
    from feedback.text.pii import mask_text

    _insert(engine)
    scorer, _ = train_scorer(engine, settings)
    raw = ["排队两个小时没人管，我电话13812345678，有问题联系我", "办事很快，态度好，联系电话13912345678",
           "网上办理一直报错，身份证110101199003071234输进去就说不对"]
    masked = mask_text(pd.Series(raw)).tolist()
    assert all("[" in m for m in masked)

    def scores(texts: list[str]) -> pd.DataFrame:
        return scorer.score(pd.DataFrame({"record_id": range(len(texts)), "kind": "rating", "level": [4, 5, 1],
                                          "title": None, "text": texts, "tags": None}))

    pd.testing.assert_frame_equal(scores(masked), scores(raw))
