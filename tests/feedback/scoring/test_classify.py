"""Classification: generic linear classifier, complaint categories (multi-label, other, gold), metrics."""

from __future__ import annotations

import pytest

from feedback.scoring.classify import train_complaint_classifier, weak_labels
from feedback.scoring.evaluation import classification_metrics, cross_validate, stratified_folds
from feedback.scoring.taxonomy import load_taxonomy
from feedback.scoring.textclf import ClassifierParams, load_classifier, save_classifier, train_classifier

PRAISE = ["工作人员态度很好，办事效率高", "很方便，一次就办好了", "非常满意，谢谢", "服务热情周到"]
FIXTURE = {
    "交通": ["公交车太挤了", "地铁站太远", "公交线路调整", "道路拥堵严重", "公交车不准时", "出租车拒载"],
    "教育": ["学校收费不合理", "老师体罚学生", "学位不够", "幼儿园太贵", "学校食堂太差", "学生午休问题"],
    "环境": ["工厂排放废气", "河水被污染", "噪音扰民严重", "垃圾没人清理", "污水直排河道", "烧垃圾冒黑烟"],
}


@pytest.fixture(scope="module")
def taxonomy():
    return load_taxonomy()


@pytest.fixture(scope="module")
def complaints(taxonomy):
    return train_complaint_classifier(taxonomy, corpus=())


def test_generic_classifier_single_label(tmp_path):
    texts = [t for v in FIXTURE.values() for t in v]
    labels = [k for k, v in FIXTURE.items() for _ in v]
    model = train_classifier(texts, labels, ClassifierParams(model="svm"))
    assert model.predict(["公交车又不准时", "河水污染", "学校乱收费"]) == ["交通", "环境", "教育"]
    back = load_classifier(save_classifier(model, tmp_path / "clf.joblib"))
    assert back.predict(["噪音扰民"]) == ["环境"] and back.version == model.version
    assert train_classifier(texts, labels, ClassifierParams(model="svm", C=2.0)).version != model.version


def test_generic_classifier_multi_label():
    texts = ["排队太久", "态度很差", "排队太久而且态度很差", "窗口排长队", "工作人员态度差", "服务很好"] * 2
    labels = [["queue"], ["attitude"], ["queue", "attitude"], ["queue"], ["attitude"], []] * 2
    model = train_classifier(texts, labels, ClassifierParams(C=10.0))
    multi = model.predict_multi(["排队太久，态度很差", "服务很好"], threshold=0.5)
    assert {c for c, _ in multi[0]} == {"queue", "attitude"}
    assert multi[1] == []


def test_complaints_multi_label_and_subcategory(complaints):
    res = complaints.classify(["窗口只开了一个窗口排了三个小时，工作人员还一直玩手机"])[0]
    cats = [c for c, _ in res.labels]
    assert set(cats) >= {"queue_onsite", "staff_attitude"}
    p = complaints.params  # a further category: at the threshold, or named by a seed phrase (its boost)
    assert all(min(p.threshold, p.phrase_conf) <= conf <= 1.0 for _, conf in res.labels)
    assert res.subcategory in {s.slug for s in complaints.taxonomy.category(res.category).subcategories}


def test_complaints_typical_phrases(complaints):
    cases = {
        "系统一直登录不上，人脸识别老是失败": "online_platform",
        "跑了好几个部门，都说不归他们管": "trips_process",
        "又让我去开一个证明": "materials",
        "等了一个多月还在审核中": "timeliness",
        "电话一直没人接": "access_consultation",
        "差评以后打电话让我改评价": "complaint_handling",
    }
    results = complaints.classify(list(cases))
    assert [r.category for r in results] == list(cases.values())


def test_complaints_other_is_open_set(complaints):
    import dataclasses

    from feedback.scoring.classify import ComplaintParams

    outside, inside = ["今天天气不错", "明天去公园放风筝"], ["窗口工作人员态度很差", "系统故障，上传不了材料"]
    from feedback.text.features import normalize

    best = complaints.category_scores([normalize(t) for t in outside + inside])[0].max(axis=1)
    assert max(best[:2]) < min(best[2:])  # text outside the taxonomy is less sure of any category
    cut = float((max(best[:2]) + min(best[2:])) / 2)
    open_set = dataclasses.replace(complaints, params=ComplaintParams(other_below=cut))
    res = open_set.classify(outside + inside, p_pos=[0.6, 0.5, 0.1, 0.1])
    assert [r.category for r in res] == ["other", "other", "staff_attitude", "online_platform"]
    res = res[:2]
    assert all(r.source == "other" and 0.0 <= r.confidence <= 1.0 for r in res)
    # Sentiment does not decide the category: praise and complaint text get the same answer either way.
    texts = ["态度很好但是让我给好评", "窗口工作人员说话很冲"]
    assert ([r.labels for r in complaints.classify(texts, p_pos=[0.95, 0.95])]
            == [r.labels for r in complaints.classify(texts)])
    assert complaints.classify(texts[:1], p_pos=[0.9])[0].category == "staff_attitude"


def test_best_category_below_the_multi_label_threshold(taxonomy):
    """A complaint signal gets its best category with its confidence even when no category reaches the 0.5
    multi-label threshold; only ``other_below`` (open set) files it as other."""
    import dataclasses

    from feedback.scoring.classify import ComplaintParams

    base = train_complaint_classifier(taxonomy, negatives=PRAISE, corpus=())
    texts = ["办个证前前后后折腾了好久", "问了三个人三个说法", "今天天气不错", "窗口的人一直低头不理人"]
    from feedback.text.features import normalize

    confs = [max(c for c in row) for row in base.category_scores([normalize(t) for t in texts])[0]]
    assert min(confs) < 0.5  # some best guesses are below the old fixed threshold
    keep_all = dataclasses.replace(base, params=ComplaintParams(other_below=0.0))
    res = keep_all.classify(texts)
    assert all(r.category in taxonomy.slugs and r.source in ("model", "rule") for r in res)
    assert all(r.confidence >= c - 1e-9 for r, c in zip(res, confs, strict=True))
    confs = [r.confidence for r in res]
    cut = sorted(confs)[1]
    some = dataclasses.replace(base, params=ComplaintParams(other_below=cut)).classify(texts)
    assert [r.category == "other" for r in some] == [c < cut for c in confs]


def test_corpus_rows_train_categories_and_subcategories(taxonomy):
    from feedback.scoring.labelled_corpus import CorpusRow

    rows = [CorpusRow(f"x{i}", t, 1, "staff_attitude", ("staff_attitude",), ("cold_rude",), "-", "train")
            for i, t in enumerate(["窗口小李总是叉腰站着瞪人", "小李叉腰瞪人还吼人", "那个小李瞪着眼叉着腰"])]
    rows.append(CorpusRow("p1", "办得很顺利，谢谢", 5, "praise", ("praise",), (), "-", "train"))
    before = train_complaint_classifier(taxonomy, negatives=PRAISE, corpus=())
    after = train_complaint_classifier(taxonomy, negatives=PRAISE, corpus=rows)
    b, a = before.classify(["小李又叉腰瞪人"])[0], after.classify(["小李又叉腰瞪人"])[0]
    assert a.category == "staff_attitude" and a.subcategory == "cold_rude"
    assert a.confidence > (b.confidence if b.category == "staff_attitude" else 0.0)
    assert after.version != before.version


def test_calibrate_other_below():
    from feedback.scoring.calibration import calibrate_other_below

    ins = [i / 100 for i in range(100)]  # 0.00 … 0.99
    res = calibrate_other_below(ins, [0.01, 0.02, 0.5], target_other=0.05)
    assert res["other_below"] == 0.05 and res["other_rate_in"] == 0.05
    assert res["recall_out"] == pytest.approx(2 / 3)
    assert calibrate_other_below(ins, target_other=0.0)["other_rate_in"] == 0.0
    with pytest.raises(ValueError):
        calibrate_other_below([])


def test_calibrate_other_below_holds_the_bound_in_every_writer_group():
    """A group the model reads less surely (lower confidences) sets the threshold: pooled with a confident group
    it would find 20 % of its own texts filed as other."""
    from feedback.scoring.calibration import calibrate_other_below

    unsure = [0.10 + i / 1000 for i in range(100)]  # 0.100 … 0.199
    sure = [0.50 + i / 1000 for i in range(300)]
    pooled = calibrate_other_below(unsure + sure, target_other=0.05)
    assert pooled["other_below"] == 0.12  # the 20th of 400: a fifth of the unsure group below it
    grouped = calibrate_other_below(unsure + sure, target_other=0.05, groups=["u"] * 100 + ["s"] * 300)
    assert grouped["other_below"] == 0.105 and grouped["pooled_other_below"] == 0.12
    assert grouped["other_below_by_group"] == {"s": 0.515, "u": 0.105}
    assert sum(c < grouped["other_below"] for c in unsure) == 5


def test_tags_and_gold(complaints):
    res = complaints.classify(["很慢", "很慢", "窗口态度很差"], tags=["110", None, None],
                              gold=[None, None, ["materials"]])
    assert res[0].category == "timeliness" and res[0].subcategory == "over_legal_limit" and res[0].source == "rule"
    assert res[2].labels == [("materials", 1.0)] and res[2].source == "gold"  # gold wins over the phrase


def test_tags_naming_several_categories_are_told_apart_by_the_text(complaints):
    """A 差评 often carries two or three tags, each raising its category to the same confidence. Ties went to
    taxonomy order, so 办理时效 (the first category) won whatever the citizen wrote: on the demo's review queue
    "问了三个人三个说法" with tags 110, 109 and 111 was filed under 办理时效. The text decides among them now."""
    tags = "110,109,111"  # 无理由超过法定办理时间, 需提供办事指南之外的申报材料, 办事指南提供样本有错
    told = {text: complaints.classify([text], tags=[tags])[0] for text in (
        "问了三个窗口三个说法，到底听谁的", "叫我补了三次材料，每次说的都不一样的证明", "等了两个多月还没办下来")}
    assert [r.category for r in told.values()] == ["guide_info", "materials", "timeliness"], told
    assert all({c for c, _ in r.labels} == {"timeliness", "materials", "guide_info"} for r in told.values())
    for text, r in told.items():  # the same answer with the tags in another order
        assert complaints.classify([text], tags=["111,109,110"])[0].category == r.category
    # the margin (the 待确认 queue's order) is the model's lead among the tied categories, not 0 for every such 差评
    for text, r in told.items():
        assert dict(r.labels) == {"timeliness": 0.9, "materials": 0.9, "guide_info": 0.9}
        assert 0 < r.margin < 0.9, (text, r.margin)


def test_gold_joins_training(taxonomy):
    text = "窗口小李总是叉腰站着瞪人"
    before = train_complaint_classifier(taxonomy, negatives=PRAISE).classify(["小李又叉腰瞪人"])[0]
    assert before.category == "other"
    after = train_complaint_classifier(taxonomy, texts=[text, "办得很顺利"], gold=[["staff_attitude"], None],
                                       negatives=PRAISE)
    res = after.classify(["小李又叉腰瞪人"])[0]
    assert res.category == "staff_attitude" and res.source == "model"
    assert after.version != train_complaint_classifier(taxonomy, negatives=PRAISE).version


def test_weak_labels(taxonomy):
    lab = weak_labels(taxonomy, ["排队排了两个小时", "没什么", "太慢了"], tags=[None, None, "213"])
    assert lab[0][0] == ["queue_onsite"] and lab[1] == ([], [])
    assert "staff_competence" in lab[2][0] and "unfamiliar" in lab[2][1]


def test_metrics():
    r = classification_metrics(["a", "a", "b", "b"], ["a", "b", "b", "b"])
    assert r.accuracy == 0.75 and r.n == 4
    assert r.per_class["a"] == {"precision": 1.0, "recall": 0.5, "f1": pytest.approx(2 / 3), "support": 2}
    assert r.macro_f1 == pytest.approx((2 / 3 + 0.8) / 2)
    assert r.confusion == [[1, 1], [0, 2]] and r.labels == ["a", "b"]


def test_folds_and_cross_validation():
    labels = [k for k, v in FIXTURE.items() for _ in v]
    folds = stratified_folds(labels, 3, seed=1)
    assert sorted(i for f in folds for i in f) == list(range(len(labels)))
    assert all(len({labels[i] for i in f}) == 3 for f in folds)
    texts = [t for v in FIXTURE.values() for t in v]
    res = cross_validate(lambda a, b: train_classifier(a, b, ClassifierParams(model="svm")).predict, texts, labels, 3)
    assert res.n == len(texts) and 0.0 <= res.macro_f1 <= 1.0 and len(res.extra["fold_macro_f1"]) == 3
    assert res.docs_per_s > 0


def test_margin_is_the_best_confidence_minus_the_second(complaints):
    texts = ["小李又叉腰瞪人", "门口的石狮子掉漆了", "窗口态度很差"]
    res = complaints.classify(texts, gold=[None, None, ["materials"]])
    from feedback.text.features import normalize

    assert not any(complaints.matcher.match(normalize(t)) for t in texts[:2])
    proba = complaints.category_scores([normalize(t) for t in texts[:2]])[0]
    for r, row in zip(res[:2], proba, strict=True):  # no phrase matches these two: the model's own scores
        top = sorted(row, reverse=True)
        assert r.margin == pytest.approx(top[0] - top[1], abs=1e-6) and r.margin >= 0
    assert res[2].margin is None  # a gold label is not a guess


def test_a_gold_second_level_trains_the_subcategory(taxonomy):
    texts = ["窗口小李总是叉腰站着瞪人", "小李叉腰瞪人还让我给好评", "办得很顺利"]
    gold = [["staff_attitude"], ["staff_attitude"], None]
    plain = train_complaint_classifier(taxonomy, texts=texts, gold=gold, negatives=PRAISE)
    subs = ["rating_pressure", "rating_pressure", None]
    taught = train_complaint_classifier(taxonomy, texts=texts, gold=gold, negatives=PRAISE, gold_subs=subs)
    assert plain.classify(["小李又叉腰瞪人"])[0].subcategory != "rating_pressure"
    res = taught.classify(["小李又叉腰瞪人"])[0]
    assert res.category == "staff_attitude" and res.subcategory == "rating_pressure"
    assert taught.version != plain.version
    # a second level outside the gold category is ignored, not learned
    wrong = train_complaint_classifier(taxonomy, texts=texts, gold=gold, negatives=PRAISE,
                                       gold_subs=["slow_review", "slow_review", None])
    assert wrong.version == plain.version


def test_second_levels_as_evidence_for_the_first(complaints, taxonomy):
    import dataclasses

    import numpy as np

    from feedback.scoring.classify import ComplaintParams
    from feedback.text.features import normalize

    texts = [normalize(t) for t in ("小李又叉腰瞪人", "排队排了两个小时", "门口的石狮子掉漆了")]
    plain, sub_p = dataclasses.replace(complaints, params=ComplaintParams(sub_mix=0.0)).category_scores(texts)
    assert np.allclose(plain, complaints.categories.predict_proba(texts))
    full = dataclasses.replace(complaints, params=ComplaintParams(sub_mix=1.0))
    mixed = dataclasses.replace(complaints, params=ComplaintParams(sub_mix=0.5))
    only_sub, _ = full.category_scores(texts)
    half, _ = mixed.category_scores(texts)
    sidx = {s: j for j, s in enumerate(complaints.subcategories.classes)}
    for k, c in enumerate(complaints.categories.classes):
        own = [sidx[s.slug] for s in taxonomy.category(c).subcategories]
        assert np.allclose(only_sub[:, k], sub_p[:, own].max(axis=1))
    assert np.allclose(half, (plain + only_sub) / 2)
    # a version saved before the mix existed (its params lack the field) keeps its plain scores
    old = ComplaintParams(sub_mix=1.0)
    del old.__dict__["sub_mix"]
    assert np.allclose(dataclasses.replace(complaints, params=old).category_scores(texts)[0], plain)


def test_clauses_split_at_punctuation_in_order():
    from feedback.scoring.clauses import MAX_CLAUSES, clauses
    from feedback.text.features import normalize

    assert clauses(normalize("态度恶劣！！而且材料清单是错的，白跑一趟。好")) == ["态度恶劣", "而且材料清单是错的", "白跑一趟"]
    assert clauses(normalize("排队太久")) == ["排队太久"]
    assert clauses("，。") == []
    assert len(clauses("，".join(["窗口"] * 20))) == MAX_CLAUSES


def test_lead_scores_weigh_leading_clauses_most():
    import numpy as np

    from feedback.scoring.clauses import lead_scores

    # two categories; a clause's scores say which one it names
    per_clause = {"甲问题": [0.9, 0.1], "乙问题": [0.1, 0.9], "只有一句": [0.5, 0.5]}
    seen = []

    def score(pieces):
        seen.extend(pieces)
        arr = np.array([per_clause[p] for p in pieces])
        return arr, arr[:, :1]

    whole = np.full((3, 2), 0.5)
    cat, sub = lead_scores(["甲问题,乙问题", "乙问题,甲问题", "只有一句"], whole, whole[:, :1], score, 0.2, 0.3)
    pooled_first = (0.9 + 0.3 * 0.1) / 1.3
    assert np.allclose(cat[0], [0.8 * 0.5 + 0.2 * pooled_first, 0.8 * 0.5 + 0.2 * (1 - pooled_first)])
    assert cat[0, 0] > cat[0, 1] and cat[1, 1] > cat[1, 0]  # the problem named first leads
    assert np.allclose(cat[2], 0.5) and "只有一句" not in seen  # one clause: the whole text's scores, no re-scoring
    assert np.allclose(sub[:, 0], cat[:, 0])
    assert np.allclose(whole, 0.5)  # the caller's arrays are not changed


def test_the_problem_named_first_ranks_higher(complaints):
    import dataclasses

    import numpy as np

    from feedback.scoring.classify import ComplaintParams
    from feedback.text.features import normalize

    a, b = "工作人员态度恶劣", "排队排了两个小时"
    texts = [normalize(f"{a}，{b}"), normalize(f"{b}，{a}")]
    idx = {c: j for j, c in enumerate(complaints.categories.classes)}

    def lead(params):
        s = dataclasses.replace(complaints, params=params).category_scores(texts)[0]
        return s[:, idx["staff_attitude"]] - s[:, idx["queue_onsite"]]

    whole = lead(ComplaintParams(lead_mix=0.0))
    mixed = lead(ComplaintParams(lead_mix=0.2, lead_decay=0.3))
    # the whole text barely knows the order; the clauses do: attitude gains when it comes first, loses when second
    assert mixed[0] > whole[0] and mixed[1] < whole[1]
    assert mixed[0] - mixed[1] > whole[0] - whole[1] + 0.01
    # a version saved before lead_mix existed (its params lack the field) scores the whole text only
    old = ComplaintParams(lead_mix=0.5)
    del old.__dict__["lead_mix"]
    assert np.allclose(dataclasses.replace(complaints, params=old).category_scores(texts)[0],
                       dataclasses.replace(complaints, params=ComplaintParams(lead_mix=0.0)).category_scores(texts)[0])


def test_dense_decision_equals_the_sparse_product_and_is_never_saved(tmp_path):
    import pickle

    import numpy as np

    from feedback.text.features import tfidf_rows

    texts = ["排队太久", "态度很差", "排队太久而且态度很差", "窗口排长队", "工作人员态度差", "服务很好", "材料退回三次"] * 3
    labels = [["queue"], ["attitude"], ["queue", "attitude"], ["queue"], ["attitude"], [], ["materials"]] * 3
    model = train_classifier(texts, labels, ClassifierParams(C=10.0))
    asked = ["排队两个小时，态度还很差", "材料", "", "从没见过的字词组合", "服务很好"]
    counts = model.params.hasher().transform(asked)
    sparse = np.asarray((tfidf_rows(counts, model.idf) @ model.weights).todense()) + model.intercepts
    assert np.array_equal(model.decision(asked), sparse)  # the same sums in the same order: bit for bit
    assert "_dense" in vars(model) and b"_dense" not in pickle.dumps(model)
    back = load_classifier(save_classifier(model, tmp_path / "m.joblib"))
    assert "_dense" not in vars(back) and np.array_equal(back.decision(asked), sparse)
