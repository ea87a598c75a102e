"""Evaluation metrics shared by sentiment and classification: accuracy, macro-F1, per class, confusion, speed."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field

import numpy as np


@dataclass
class EvalResult:
    """Metrics of one evaluation run; ``to_dict`` gives a JSON-ready mapping."""

    n: int
    accuracy: float
    macro_f1: float
    per_class: dict[str, dict[str, float]] = field(default_factory=dict)
    labels: list[str] = field(default_factory=list)
    confusion: list[list[int]] = field(default_factory=list)  # rows = true label, columns = predicted
    docs_per_s: float | None = None
    extra: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)


def classification_metrics(y_true: Sequence[object], y_pred: Sequence[object],
                           labels: Sequence[object] | None = None) -> EvalResult:
    """Accuracy, macro-F1 (over ``labels``, default: every label seen), per-class P/R/F1/support, confusion."""
    yt = np.asarray([str(v) for v in y_true], dtype=object)
    yp = np.asarray([str(v) for v in y_pred], dtype=object)
    if len(yt) != len(yp):
        raise ValueError(f"{len(yt)} true labels but {len(yp)} predictions")
    labs = [str(v) for v in labels] if labels is not None else sorted(set(yt.tolist()) | set(yp.tolist()))
    index = {lab: i for i, lab in enumerate(labs)}
    k = len(labs)
    cm = np.zeros((k, k), dtype=np.int64)
    for t, p in zip(yt, yp, strict=True):
        if t in index and p in index:
            cm[index[t], index[p]] += 1
    per_class = {}
    f1s = []
    for lab, i in index.items():
        tp = int(cm[i, i])
        pred = int((yp == lab).sum())
        true = int((yt == lab).sum())
        prec = tp / pred if pred else 0.0
        rec = tp / true if true else 0.0
        f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
        per_class[lab] = {"precision": prec, "recall": rec, "f1": f1, "support": true}
        f1s.append(f1)
    n = len(yt)
    return EvalResult(n=n, accuracy=float((yt == yp).mean()) if n else 0.0,
                      macro_f1=float(np.mean(f1s)) if f1s else 0.0, per_class=per_class, labels=labs,
                      confusion=cm.tolist())


def timed(fn: Callable[[list], Sequence[object]], texts: Sequence[object]) -> tuple[list, float]:
    """(predictions, docs per second) of one call of ``fn`` on ``texts``."""
    start = time.perf_counter()
    out = list(fn(list(texts)))
    elapsed = time.perf_counter() - start
    return out, (len(texts) / elapsed if elapsed > 0 else float("inf"))


def evaluate(predict: Callable[[list], Sequence[object]], texts: Sequence[object], y_true: Sequence[object],
             labels: Sequence[object] | None = None) -> EvalResult:
    """Run ``predict`` on ``texts`` (timed) and score it against ``y_true``."""
    y_pred, speed = timed(predict, texts)
    res = classification_metrics(y_true, y_pred, labels)
    res.docs_per_s = speed
    return res


def evaluate_sentiment(predict_proba: Callable[[list], np.ndarray], texts: Sequence[object],
                       y_true: Sequence[object], threshold: float = 0.5) -> EvalResult:
    """Binary sentiment: P(positive) > threshold counts as 1; labels 1/0 or pos/neg."""
    from feedback.scoring.sentiment.model import parse_labels

    truth = parse_labels(y_true)
    return evaluate(lambda xs: (np.asarray(predict_proba(xs)) > threshold).astype(int), texts, truth, [0, 1])


def stratified_folds(y: Sequence[object], k: int = 5, seed: int = 0) -> list[np.ndarray]:
    """Indices of ``k`` stratified folds (each class dealt round-robin after a seeded shuffle)."""
    rng = np.random.default_rng(seed)
    ys = np.asarray([str(v) for v in y], dtype=object)
    folds: list[list[int]] = [[] for _ in range(k)]
    offset = 0
    for lab in sorted(set(ys.tolist())):
        idx = rng.permutation(np.flatnonzero(ys == lab))
        for j, i in enumerate(idx):
            folds[(j + offset) % k].append(int(i))
        offset += len(idx)
    return [np.sort(np.asarray(f, dtype=int)) for f in folds]


def cross_validate(train: Callable[[list, list], Callable[[list], Sequence[object]]], texts: Sequence[object],
                   y: Sequence[object], k: int = 5, seed: int = 0) -> EvalResult:
    """k-fold stratified cross-validation; ``train(texts, labels)`` returns a ``predict(texts)`` function.

    The metrics are computed on the pooled out-of-fold predictions; ``extra`` holds per-fold macro-F1 and the
    total training seconds.
    """
    texts = list(texts)
    ys = [str(v) for v in y]
    pred: list[object] = [None] * len(texts)
    fold_f1, train_s, n_pred, pred_s = [], 0.0, 0, 0.0
    for test_idx in stratified_folds(ys, k, seed):
        test = set(test_idx.tolist())
        tr = [i for i in range(len(texts)) if i not in test]
        start = time.perf_counter()
        predict = train([texts[i] for i in tr], [ys[i] for i in tr])
        train_s += time.perf_counter() - start
        out, speed = timed(predict, [texts[i] for i in test_idx])
        n_pred += len(test_idx)
        pred_s += len(test_idx) / speed if speed else 0.0
        for i, p in zip(test_idx, out, strict=True):
            pred[i] = p
        fold_f1.append(classification_metrics([ys[i] for i in test_idx], out).macro_f1)
    res = classification_metrics(ys, pred)
    res.docs_per_s = n_pred / pred_s if pred_s else None
    res.extra = {"fold_macro_f1": fold_f1, "train_seconds": train_s, "k": k, "seed": seed}
    return res


def nb_words_trainer(texts: Sequence[str]) -> Callable[[list, list], Callable[[list], Sequence[object]]]:
    """The classic baseline: multinomial naive Bayes on jieba words (stop words removed); ``texts`` are all the
    texts it will see, segmented once."""
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.naive_bayes import MultinomialNB

    from feedback.text.features import load_stopwords, make_segmenter

    seg, stop = make_segmenter(), load_stopwords()
    words = {t: [w for w in seg(t) if w not in stop] for t in set(texts)}

    def train(a: list, b: list) -> Callable[[list], Sequence[object]]:
        vec = CountVectorizer(analyzer=lambda t: words[t] if t in words else [w for w in seg(t) if w not in stop])
        nb = MultinomialNB(alpha=0.1).fit(vec.fit_transform(a), b)
        return lambda xs: nb.predict(vec.transform(xs))

    return train


def majority_baseline(train_labels: Sequence[object], y_true: Sequence[object]) -> EvalResult:
    """Always answering the most frequent training label: the floor any classifier must clear."""
    values, counts = np.unique(np.asarray([str(v) for v in train_labels], dtype=object), return_counts=True)
    top = values[counts.argmax()]
    return classification_metrics(y_true, [top] * len(y_true))
