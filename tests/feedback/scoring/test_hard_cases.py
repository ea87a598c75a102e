"""Hard comments under a good rating: negation, sarcasm, praise mixed with a complaint (issue 13, item 7).

``hard_cases.tsv`` beside this file: 240 comments written by hand for this test by a writer who saw no corpus, no
seed phrase and no model output, each with a rating of 3–5 and whether it complains (165 complaints, 67 praise,
8 neutral). No model is trained on it (``tests/`` is never read by training). The shipped pipeline (default
sentiment engine, complaint classifier and detector trained on the packaged corpus) must find the complaints
hidden behind the good ratings, and get each kind of hard comment right at least as often as the issue's target
for hard cases (0.65).

Measured with the shipped defaults (7 Dec 2026, session 36: corpus parts A–U): precision 0.933, recall 0.848;
negation 0.950, sarcasm 0.725, mixed 0.887. Before (6 Dec 2026, session 26: corpus parts A–Q, detector ≥ 0.55,
clauses after a turn word asked too): precision 0.934, recall 0.855 (the issue's hidden-complaint targets, 0.85 / 0.80, are the
floors here); negation 0.950, sarcasm 0.738, mixed 0.887 (whole texts only, before: 0.957 / 0.800; 0.950, 0.725,
0.838; parts A–N: 0.957 / 0.806; 0.950, 0.725, 0.850; parts A–L, detector ≥ 0.65: 0.943 / 0.806; 0.950,
0.700, 0.850; parts A–D: 0.894 / 0.818; 0.900, 0.713, 0.812). The former rule (P(positive) < 0.3, main at 74e3ed1) fails this
file: 0.762 / 0.564, sarcasm 0.388, mixed 0.625.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from feedback.scoring.classify import train_complaint_classifier
from feedback.scoring.labelled_corpus import read_corpus
from feedback.scoring.scorer import Scorer
from feedback.scoring.sentiment import FusionParams, make_sentiment_engine
from feedback.scoring.taxonomy import load_taxonomy

CASES = Path(__file__).with_name("hard_cases.tsv")

pytestmark = pytest.mark.skipif(not read_corpus(split="train"), reason="the packaged corpus is absent")


@pytest.fixture(autouse=True)
def _no_packaged_corpus():
    """Overrides the package's fixture: these cases are judged by the pipeline as shipped, corpus included."""


def _cases() -> pd.DataFrame:
    return pd.read_csv(CASES, sep="\t", dtype={"rating": int}, quoting=3, keep_default_na=False)


@pytest.fixture(scope="module")
def judged(tmp_path_factory) -> pd.DataFrame:
    cases = _cases()
    scorer = Scorer(make_sentiment_engine("linear", tmp_path_factory.mktemp("instance")),
                    train_complaint_classifier(load_taxonomy()), FusionParams())
    frame = pd.DataFrame({"record_id": np.arange(len(cases)), "kind": "rating",
                          "level": pd.array(cases["rating"], "Int64"), "tags": None, "title": None,
                          "text": cases["text"]})
    out = scorer.score(frame)
    cases["flagged"] = out["hidden_complaint"].to_numpy(bool)
    cases["complaint"] = cases["label"].eq("complaint").to_numpy()
    return cases


def test_the_file_is_what_the_docstring_says():
    cases = _cases()
    assert len(cases) >= 240 and cases["text"].is_unique
    assert set(cases["hard"]) == {"negation", "sarcasm", "mixed"} and cases["hard"].value_counts().min() >= 80
    assert cases["rating"].between(3, 5).all()
    assert set(cases["label"]) <= {"complaint", "praise", "neutral"}
    assert cases["label"].eq("complaint").mean() < 0.8  # praise hard cases too, not only complaints
    corpus = {r.text for r in read_corpus(split=None)}
    assert not corpus & set(cases["text"])  # nothing here trains anything


def test_hidden_complaints_among_hard_cases(judged):
    tp = int((judged["flagged"] & judged["complaint"]).sum())
    precision, recall = tp / judged["flagged"].sum(), tp / judged["complaint"].sum()
    assert precision >= 0.85 and recall >= 0.80, (precision, recall)


@pytest.mark.parametrize("hard", ["negation", "sarcasm", "mixed"])
def test_each_kind_of_hard_comment(judged, hard):
    part = judged[judged["hard"] == hard]
    accuracy = float((part["flagged"] == part["complaint"]).mean())
    assert accuracy >= 0.65, accuracy
