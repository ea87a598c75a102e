"""Train and evaluate models on labelled corpora and on the organisation's own ratings, baseline beside each figure."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sqlalchemy import Engine

from feedback.scoring import repository as store
from feedback.scoring.evaluation import (
    cross_validate,
    evaluate,
    evaluate_sentiment,
    majority_baseline,
    nb_words_trainer,
    stratified_folds,
)
from feedback.scoring.sentiment import SentimentModel, make_sentiment_engine, save_model, train_sentiment
from feedback.scoring.sentiment.engines import default_training_set
from feedback.scoring.sentiment.model import parse_labels
from feedback.scoring.textclf import (
    CORPUS_PARAMS,
    ClassifierParams,
    TextClassifier,
    save_classifier,
    train_classifier,
)
from feedback.settings import Settings


class ModelingError(ValueError):
    """Training or evaluation cannot go on; the message says why."""


def _figures(res, digits: int = 4) -> dict:
    d = {"n": res.n, "accuracy": round(res.accuracy, digits), "macro_f1": round(res.macro_f1, digits)}
    if res.docs_per_s is not None:
        d["docs_per_s"] = round(res.docs_per_s, 1)
    return d


def holdout_split(labels, holdout: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(train, test) indices with ``holdout`` of each class in test (stratified, seeded)."""
    k = max(2, round(1 / holdout))
    test = stratified_folds(labels, k, seed)[0]
    mask = np.ones(len(labels), dtype=bool)
    mask[test] = False
    return np.flatnonzero(mask), test


def sentiment_engine(settings: Settings, engine: str | None, model_path: str | None):
    if model_path:
        return make_sentiment_engine("model", model_path=model_path)
    return make_sentiment_engine(engine or settings.scoring.engine, settings.instance_path)


def eval_sentiment(texts: list[str], labels: list[str], engine, *, baseline_sample: int = 2000,
                   seed: int = 0) -> dict:
    """Accuracy, macro-F1, n, docs/s of ``engine``; snownlp beside it on a seeded sample (it is slow) with this
    engine's figures on the same sample, so the two compare like for like."""
    try:
        y = parse_labels(labels)
    except ValueError as exc:
        raise ModelingError(str(exc)) from exc
    res = evaluate_sentiment(engine.predict_proba, texts, y)
    out = {"engine": engine.name, "version": engine.version, **_figures(res), "per_class": res.per_class}
    if baseline_sample and engine.name != "snownlp":
        rng = np.random.default_rng(seed)
        idx = np.sort(rng.choice(len(texts), min(baseline_sample, len(texts)), replace=False))
        sub, ys = [texts[i] for i in idx], y[idx]
        snow = make_sentiment_engine("snownlp")
        out["baseline"] = {"engine": "snownlp", **_figures(evaluate_sentiment(snow.predict_proba, sub, ys)),
                           "this_engine_on_same_rows": _figures(evaluate_sentiment(engine.predict_proba, sub, ys))}
    return out


def train_sentiment_file(texts: list[str], labels: list[str], *, holdout: float = 0.2,
                         seed: int = 0) -> tuple[SentimentModel, dict]:
    """A model trained on a labelled corpus; with ``holdout`` > 0 it trains on the rest and reports the held-out
    figures beside the default engine's on the same rows."""
    try:
        y = parse_labels(labels)
    except ValueError as exc:
        raise ModelingError(str(exc)) from exc
    if len(set(y.tolist())) < 2:
        raise ModelingError("training needs both positive and negative examples")
    if holdout <= 0:
        t0 = time.perf_counter()
        model = train_sentiment(texts, y.tolist())
        return model, {"train_n": len(texts), "train_seconds": round(time.perf_counter() - t0, 2)}
    tr, te = holdout_split(y, holdout, seed)
    t0 = time.perf_counter()
    model = train_sentiment([texts[i] for i in tr], y[tr].tolist())
    seconds = time.perf_counter() - t0
    test = [texts[i] for i in te]
    return model, {"train_n": len(tr), "train_seconds": round(seconds, 2), "holdout": holdout,
                   "held_out": _figures(evaluate_sentiment(model.predict_proba, test, y[te]))}


@dataclass
class Adoption:
    model: SentimentModel
    path: Path | None
    adopted: bool
    figures: dict


def train_from_ratings(engine: Engine, settings: Settings, *, holdout: float = 0.2, seed: int = 0,
                       current=None) -> Adoption:
    """Learn the organisation's language: the default corpus plus its rated comments (好评 ≥ 满意 → positive,
    差评 → negative); adopted only when it beats the model in use on held-out rated comments by
    ``[scoring].adopt_margin`` macro-F1."""
    cfg = settings.scoring
    with engine.connect() as conn:
        rated = store.rated_comments(conn, cfg.train_sample)
        in_use = store.active_version(conn, store.SENTIMENT)
    n_pos, n_neg = int(rated["label"].sum()), int((1 - rated["label"]).sum())
    if min(n_pos, n_neg) < cfg.min_per_class:
        raise ModelingError(f"too few rated comments to learn from: {n_pos} positive, {n_neg} negative "
                            f"(need {cfg.min_per_class} of each, [scoring].min_per_class)")
    texts, y = rated["text"].tolist(), rated["label"].to_numpy()
    tr, te = holdout_split(y, holdout, seed)
    base_texts, base_labels, base_weights = default_training_set()
    t0 = time.perf_counter()
    model = train_sentiment(base_texts + [texts[i] for i in tr], base_labels + y[tr].tolist(),
                            sample_weight=base_weights + [1.0] * len(tr))
    seconds = time.perf_counter() - t0
    if current is None:
        current = (make_sentiment_engine("model", model_path=_abs(settings, in_use["description"]["path"]))
                   if in_use else make_sentiment_engine(cfg.engine, settings.instance_path))
    test, yt = [texts[i] for i in te], y[te]
    new = _figures(evaluate_sentiment(model.predict_proba, test, yt))
    old = _figures(evaluate_sentiment(current.predict_proba, test, yt))
    adopted = new["macro_f1"] >= old["macro_f1"] + cfg.adopt_margin
    figures = {"rated_comments": len(texts), "positive": n_pos, "negative": n_neg, "train_n": len(tr),
               "train_seconds": round(seconds, 2), "held_out": new,
               "in_use": {"version": current.version, **old}, "adopt_margin": cfg.adopt_margin, "adopted": adopted}
    path = None
    if adopted:
        path = settings.instance_path / "models" / f"sentiment-{model.version}.joblib"
        save_model(model, path)
        with engine.begin() as conn:
            store.register_version(conn, model.version, store.SENTIMENT,
                                   {"path": str(path.relative_to(settings.instance_path)), "source": "from-ratings"},
                                   figures, active=True)
    return Adoption(model, path, adopted, figures)


def _abs(settings: Settings, path: str) -> str:
    p = Path(path)
    return str(p if p.is_absolute() else settings.instance_path / p)


def train_classifier_file(texts: list[str], labels: list[str], out: Path, *, cv: int = 0, seed: int = 0,
                          params: ClassifierParams = CORPUS_PARAMS) -> tuple[TextClassifier, dict]:
    """Train on the whole corpus and save to ``out``; with ``cv`` > 1 also report k-fold figures and the naive
    Bayes baseline under the same folds."""
    t0 = time.perf_counter()
    model = train_classifier(texts, labels, params)
    report = {"n": len(texts), "classes": model.classes, "train_seconds": round(time.perf_counter() - t0, 2),
              "version": model.version, "out": str(save_classifier(model, out))}
    if cv > 1:
        report["cv"] = cross_validation(texts, labels, cv, seed, params)
    return model, report


def cross_validation(texts: list[str], labels: list[str], k: int = 5, seed: int = 0,
                     params: ClassifierParams = CORPUS_PARAMS) -> dict:
    counts = {lab: labels.count(lab) for lab in sorted(set(labels))}
    if min(counts.values()) < k:
        raise ModelingError(f"{k}-fold cross-validation needs at least {k} examples per class; "
                            f"{min(counts, key=counts.get)!r} has {min(counts.values())}")
    res = cross_validate(lambda a, b: train_classifier(a, b, params).predict, texts, labels, k, seed)
    base = cross_validate(nb_words_trainer(texts), texts, labels, k, seed)
    return {"k": k, **_figures(res), "fold_macro_f1": [round(f, 4) for f in res.extra["fold_macro_f1"]],
            "per_class": res.per_class, "baseline": {"method": "naive Bayes on jieba words", **_figures(base)}}


def eval_classifier(model: TextClassifier, texts: list[str], labels: list[str]) -> dict:
    """Accuracy, macro-F1, per-class P/R/F1, confusion matrix, n, docs/s; the majority-class floor beside it."""
    unknown = sorted(set(labels) - set(model.classes))
    res = evaluate(model.predict, texts, labels, sorted(set(model.classes) | set(labels)))
    out = {"version": model.version, **_figures(res), "per_class": res.per_class, "labels": res.labels,
           "confusion": res.confusion,
           "baseline": {"method": "always the most frequent label of this file",
                        **_figures(majority_baseline(labels, labels))}}
    if unknown:
        out["labels_unknown_to_model"] = unknown
    return out
