"""The complaint detector and the hidden-complaint rule that asks it and the sentiment together."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from feedback.scoring.calibration import hidden_grid
from feedback.scoring.classify import train_complaint_classifier
from feedback.scoring.clauses import turn_clauses, turn_scores
from feedback.scoring.detector import COMPLAINT, detector_training_set, train_detector
from feedback.scoring.labelled_corpus import CorpusRow, is_complaint_label, read_corpus
from feedback.scoring.scorer import Scorer
from feedback.scoring.sentiment import FusionParams, is_hidden_complaint
from feedback.scoring.taxonomy import NOT_COMPLAINT, load_taxonomy


def _row(i: int, text: str, label: str, rating: int) -> CorpusRow:
    cats = () if label in ("praise", "neutral") else (label,)
    return CorpusRow(f"t{i}", text, rating, label, cats, (), "-", "train")


COMPLAINTS = ["还行吧，就是等了两个多小时才叫到号", "态度可以，但是材料让我补了三次", "总体满意，只是网上系统老是登不上去",
              "不算太差，不过审核拖了一个多月", "人挺好的，可惜让我来回跑了四趟", "基本满意，就是指南写的和窗口说的不一样"]
PRAISE = ["很快就办好了，谢谢", "工作人员很耐心，点赞", "一次就办完了，非常方便", "服务热情周到，满意",
          "比以前快多了，给你们点赞", "流程清楚，办得顺利"]
NEUTRAL = ["办完了", "材料交了，等通知", "无"]
CORPUS = ([_row(i, t, "queue_onsite", 4) for i, t in enumerate(COMPLAINTS)]
          + [_row(100 + i, t, "praise", 5) for i, t in enumerate(PRAISE)]
          + [_row(200 + i, t, "neutral", 3) for i, t in enumerate(NEUTRAL)])


def test_complaint_labels():
    assert is_complaint_label("timeliness") and is_complaint_label("other")
    assert not is_complaint_label("praise") and not is_complaint_label("neutral")


def test_training_set_labels_corpus_seed_and_gold():
    texts, labels, weights = detector_training_set(CORPUS[:2] + CORPUS[-1:], (["太慢了", "很好"], [0, 1]),
                                                   ["窗口推诿"], gold_weight=4.0)
    assert texts == [CORPUS[0].text, CORPUS[1].text, "无", "太慢了", "很好", "窗口推诿"]
    assert labels == [[COMPLAINT], [COMPLAINT], [], [COMPLAINT], [], [COMPLAINT]]
    assert weights == [1.0, 1.0, 1.0, 1.0, 1.0, 4.0]


def test_not_complaints_are_gold_weighted_non_complaints():
    texts, labels, weights = detector_training_set(CORPUS[:1], ([], []), ["窗口推诿"], 4.0, ["以前跑三趟，现在一趟办完"])
    assert texts == [CORPUS[0].text, "窗口推诿", "以前跑三趟，现在一趟办完"]
    assert labels == [[COMPLAINT], [COMPLAINT], []] and weights == [1.0, 4.0, 4.0]


def test_an_office_saying_not_a_complaint_teaches_the_detector_and_the_scorer_obeys_at_once():
    """Praise that speaks of past trouble reads as a complaint to a detector that never saw it; once an office
    marks such comments 不是投诉 the next version's detector says so for the like of them, and the scorer never
    flags or files the marked record itself, whatever its models say."""
    tax = load_taxonomy()
    marked = ["以前排队要等两个小时，现在十分钟就办完了", "原来材料要补好几次，这回一次就过了",
              "去年跑了三趟，今年一趟就办完，进步很大", "以前电话总打不通，这次一打就通了"]
    unseen = "以前要等一个多小时，现在二十分钟就叫到号了"
    texts = marked + ["等了两个小时才叫到号", "材料让我补了三次"]
    gold = [NOT_COMPLAINT] * len(marked) + [None, None]
    before = train_complaint_classifier(tax, texts, gold=[None] * len(texts), corpus=CORPUS, negatives=[])
    after = train_complaint_classifier(tax, texts, gold=gold, corpus=CORPUS, negatives=[])
    p_before, p_after = before.complaint_proba([unseen])[0], after.complaint_proba([unseen])[0]
    assert p_after < p_before - 0.05, (p_before, p_after)
    frame = pd.DataFrame({"record_id": [1, 2], "kind": "rating", "level": pd.array([4, 4], "Int64"), "tags": None,
                          "title": None, "text": ["还行，就是排队等了两个多小时"] * 2, "gold": [NOT_COMPLAINT, None]})
    scored = Scorer(_Sentiment({"还行，就是排队等了两个多小时": 0.42}), before, FusionParams()).score(frame)
    assert scored["hidden_complaint"].tolist() == [False, True]
    assert pd.isna(scored["category"].iloc[0]) and scored["category"].iloc[1] == "queue_onsite"


def test_detector_separates_complaints_from_praise():
    det = train_detector(CORPUS)
    p = det.predict_proba(["还行，就是排队等了两个多小时", "办得很快，谢谢，点赞"])[:, 0]
    assert p[0] > 0.5 > p[1]


def test_no_detector_without_non_complaints_in_the_corpus():
    assert train_detector([]) is None
    assert train_detector([r for r in CORPUS if r.label == "queue_onsite"]) is None


def test_rule_asks_detector_and_sentiment():
    f = FusionParams(complaint_above=0.6, hidden_text_below=0.5, hidden_below=0.3)
    assert is_hidden_complaint(4, 0.45, f, 0.8)  # detector: complaint; sentiment: not positive
    assert not is_hidden_complaint(4, 0.7, f, 0.95)  # the general sentiment calls it positive
    assert not is_hidden_complaint(4, 0.1, f, 0.3)  # the detector does not call it a complaint
    assert not is_hidden_complaint(2, 0.1, f, 0.9)  # a bad rating is a plain 差评, not a hidden complaint
    assert not is_hidden_complaint(5, None, f, 0.9)  # no text
    # no detector (NaN or None): the sentiment-only rule of versions trained before it
    assert is_hidden_complaint(4, 0.2, f, float("nan")) and not is_hidden_complaint(4, 0.45, f, None)


def test_classifier_carries_its_detector_and_old_versions_fall_back():
    tax = load_taxonomy()
    clf = train_complaint_classifier(tax, corpus=CORPUS, negatives=[])
    without = train_complaint_classifier(tax, corpus=[r for r in CORPUS if r.label == "queue_onsite"],
                                         negatives=[])
    assert clf.detector is not None and without.detector is None
    assert clf.version != train_complaint_classifier(tax, corpus=CORPUS[:-1], negatives=[]).version
    assert clf.complaint_proba(["排队两个小时"]).shape == (1,)
    old = dataclasses.replace(clf)
    del old.__dict__["detector"]  # as unpickled from a version saved before the detector existed
    assert old.complaint_proba(["排队两个小时"]) is None


class _Sentiment:
    """A fixed P(positive) per text (the test chooses what the general sentiment says)."""

    name, version, hasher = "fixed", "fixed-1", None

    def __init__(self, p: dict[str, float]):
        self.p = p

    def predict_proba(self, texts, counts=None):
        return np.array([self.p[t] for t in texts])


def test_scorer_flags_a_polite_complaint_the_sentiment_alone_missed():
    tax = load_taxonomy()
    clf = train_complaint_classifier(tax, corpus=CORPUS, negatives=[])
    texts = ["还行，就是排队等了两个多小时", "办得很快，谢谢，点赞"]
    frame = pd.DataFrame({"record_id": [1, 2], "kind": "rating", "level": pd.array([4, 4], "Int64"), "tags": None,
                          "title": None, "text": texts})
    sentiment = _Sentiment({texts[0]: 0.42, texts[1]: 0.45})  # neither clearly positive: 0.3 missed the first
    new = Scorer(sentiment, clf, FusionParams()).score(frame)
    assert new["hidden_complaint"].tolist() == [True, False]
    assert new["category"].iloc[0] == "queue_onsite" and pd.isna(new["category"].iloc[1])  # signals only
    old = dataclasses.replace(clf, detector=None)
    assert not Scorer(sentiment, old, FusionParams()).score(frame)["hidden_complaint"].any()


def test_hidden_grid_counts():
    grid = hidden_grid([True, True, False, False], [0.9, 0.5, 0.7, 0.1], [0.2, 0.2, 0.2, 0.2], (0.6,), (0.5, 0.1))
    assert grid[0] == {"complaint_above": 0.6, "hidden_text_below": 0.5, "flagged": 2, "precision": 0.5,
                       "recall": 0.5}
    assert grid[1]["flagged"] == 0 and grid[1]["precision"] is None
    # a turn clause that passes both thresholds flags its text (the second complaint); one that fails does not
    turns = [[], [(0.8, 0.3), (0.9, 0.9)], [(0.5, 0.1)], []]
    with_turns = hidden_grid([True, True, False, False], [0.9, 0.5, 0.7, 0.1], [0.2] * 4, (0.6,), (0.5,), turns)
    assert with_turns[0] == {"complaint_above": 0.6, "hidden_text_below": 0.5, "flagged": 3, "precision": 0.6667,
                             "recall": 1.0}


@pytest.mark.skipif(not read_corpus(split="test"), reason="the packaged corpus is absent")
def test_packaged_corpus_keeps_its_test_part_frozen_and_apart():
    """Every part after A and B (complaints_c.tsv …) is training text only; no training text equals a frozen test
    text."""
    rows = read_corpus(split=None)
    later = [r for r in rows if not r.id.startswith(("a", "b", "p"))]
    assert len(later) > 8000 and all(r.split == "train" for r in later)
    assert {r.split for r in rows if r.id.startswith(("a", "b", "p"))} == {"train", "test"}
    test = {r.text for r in rows if r.split == "test"}
    assert not test & {r.text for r in rows if r.split == "train"}
    assert len({r.id for r in rows}) == len(rows)


def test_turn_clauses_are_the_clauses_after_the_first_that_open_with_a_turn_word():
    texts = ["态度很好,就是等了两个小时", "但是还行", "可以理解但是希望改进", "流程清楚。不过指南太旧,但窗口很耐心",
             "还好,就是"]
    assert turn_clauses(texts) == [(0, "就是等了两个小时"), (3, "不过指南太旧"), (3, "但窗口很耐心")]


def test_rule_counts_a_complaint_after_a_turn():
    f = FusionParams(complaint_above=0.6, hidden_text_below=0.5)
    assert not is_hidden_complaint(4, 0.8, f, 0.3)  # the whole text reads as praise
    assert is_hidden_complaint(4, 0.8, f, 0.3, [(0.2, 0.9), (0.85, 0.3)])  # … but one clause after a turn complains
    assert not is_hidden_complaint(4, 0.8, f, 0.3, [(0.85, 0.7)])  # a turn the general sentiment calls positive
    assert not is_hidden_complaint(4, 0.8, f, 0.3, [(0.5, 0.2)])  # a turn the detector does not call a complaint
    assert not is_hidden_complaint(2, 0.8, f, 0.3, [(0.9, 0.1)])  # a 差评 is never a hidden complaint
    assert not is_hidden_complaint(4, 0.8, dataclasses.replace(f, hidden_turns=False), 0.3, [(0.9, 0.1)])
    assert not is_hidden_complaint(4, 0.8, f, None, [(0.9, 0.1)])  # no detector: the sentiment-only rule


def test_scorer_finds_the_complaint_after_praise_and_a_turn():
    tax = load_taxonomy()
    clf = train_complaint_classifier(tax, corpus=CORPUS, negatives=[])
    texts = ["服务热情周到，满意，就是排队等了两个多小时", "手续有点多，不过工作人员很耐心，点赞",
             "还行吧，就是等了两个多小时才叫到号"]
    clauses = {"就是排队等了两个多小时": 0.3, "不过工作人员很耐心": 0.9, "就是等了两个多小时才叫到号": 0.3}
    # the first two read as praise as a whole; the third complains as a whole
    sentiment = _Sentiment({texts[0]: 0.8, texts[1]: 0.8, texts[2]: 0.3, **clauses})
    frame = pd.DataFrame({"record_id": [1, 2, 3], "kind": "rating", "level": pd.array([5, 5, 4], "Int64"),
                          "tags": None, "title": None, "text": texts})
    assert clf.complaint_proba(["就是排队等了两个多小时"])[0] >= 0.55
    scored = Scorer(sentiment, clf, FusionParams()).score(frame)
    assert scored["hidden_complaint"].tolist() == [True, False, True]  # the praise after 不过 is no complaint
    assert scored["category"].iloc[0] == "queue_onsite"
    # which clause made it: the one after the turn; none where the whole text complains (it is the reason)
    said = scored["hidden_clause"]
    assert said.iloc[0] == "就是排队等了两个多小时" and said.iloc[1:].isna().all()
    off = Scorer(sentiment, clf, FusionParams(hidden_turns=False))
    assert off.score(frame)["hidden_complaint"].tolist() == [False, False, True] and off.version != Scorer(sentiment, clf, FusionParams()).version


def test_turn_scores_give_each_text_its_own_clauses_scores():
    def score(pieces):  # one call for every clause, in order
        return np.array([0.1 * (k + 1) for k in range(len(pieces))]), np.array([0.9] * len(pieces))

    texts = ["流程清楚。不过指南太旧,但窗口很耐心", "很好", "还行,就是排队太久"]
    assert turn_scores(texts, score) == [[(0.1, 0.9), (0.2, 0.9)], [], [(pytest.approx(0.3), 0.9)]]
    assert turn_scores(["很好"], score) == [[]]
