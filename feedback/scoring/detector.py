"""Is this text a complaint? The in-domain complaint detector behind the hidden-complaint rule.

The general sentiment model (trained mostly on product and hotel reviews) reads a polite complaint under a good
rating ("还行吧，指南有几处不准。", "办下来了，感谢，但前后跑了三次有点累") as neither clearly negative nor positive, so
P(positive) < 0.3 missed a third of the hidden complaints in the labelled corpus. The detector is a binary linear
model over the same character n-grams, trained on 好差评 text only: the labelled corpus's ``train`` rows
(complaints, including those written under a good rating, against praise and neutral comments), the authored
sentiment seed comments, and the office's gold labels (a gold category is a confirmed complaint, a 不是投诉 a confirmed non-complaint).

Trained in-domain, it flags most praise of *other* domains as complaints (it never saw a hotel review), so the
hidden-complaint rule asks both models: the detector says complaint and the general sentiment says the text is
not positive (see :func:`feedback.scoring.sentiment.fusion.is_hidden_complaint`; thresholds in
``[scoring]``, chosen on cross-validated ``train`` rows by ``python -m bench.complaints --hidden``).
"""

from __future__ import annotations

from collections.abc import Sequence

from feedback.scoring.labelled_corpus import CorpusRow, is_complaint_label

COMPLAINT = "complaint"  # the detector's one class


def detector_training_set(corpus: Sequence[CorpusRow], seed: tuple[Sequence[str], Sequence[int]],
                          gold_texts: Sequence[str] = (), gold_weight: float = 4.0,
                          not_complaints: Sequence[str] = ()) -> tuple[list[str], list[list[str]], list[float]]:
    """(texts, label sets, weights): corpus rows (complaint or not), seed comments (label 0 = a complaint),
    gold-labelled texts (complaints) and texts a person marked 不是投诉 (``not_complaints``, non-complaints with
    the gold weight: the detector's own mistakes, corrected)."""
    texts, labels, weights = [], [], []
    for row in corpus:
        texts.append(row.text)
        labels.append([COMPLAINT] if is_complaint_label(row.label) else [])
        weights.append(1.0)
    for text, y in zip(*seed, strict=True):
        texts.append(text)
        labels.append([COMPLAINT] if y == 0 else [])
        weights.append(1.0)
    for text in gold_texts:
        texts.append(text)
        labels.append([COMPLAINT])
        weights.append(gold_weight)
    for text in not_complaints:
        texts.append(text)
        labels.append([])
        weights.append(gold_weight)
    return texts, labels, weights


def train_detector(corpus: Sequence[CorpusRow], gold_texts: Sequence[str] = (), params=None,
                   gold_weight: float = 4.0, not_complaints: Sequence[str] = ()):
    """The detector (a one-class :class:`~feedback.scoring.textclf.TextClassifier`), or None when its training
    set lacks complaints or non-complaints (no corpus): the rule then falls back to the sentiment alone."""
    from feedback.scoring.sentiment.engines import read_seed
    from feedback.scoring.textclf import ClassifierParams, train_classifier

    if all(is_complaint_label(r.label) for r in corpus) or not any(is_complaint_label(r.label) for r in corpus):
        return None  # no corpus, or one without both kinds
    texts, labels, weights = detector_training_set(corpus, read_seed(), gold_texts, gold_weight, not_complaints)
    return train_classifier(texts, labels, params or ClassifierParams(), weights, classes=[COMPLAINT])
