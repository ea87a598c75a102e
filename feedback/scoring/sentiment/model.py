"""The linear sentiment model: training, prediction, versioning and save/load of its artefact."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from scipy.special import expit

from feedback.scoring.artifacts import load_artifact, save_artifact
from feedback.scoring.sentiment.lexicon import Lexicon, load_lexicon
from feedback.text.features import (
    CharNgramHasher,
    compact_columns,
    fit_idf,
    normalize,
    strip_punct,
    tfidf_rows,
)

# Bump when the maths of training or prediction changes: it is part of every model version.
CODE_VERSION = "sentiment-linear-5"  # 5: masked numbers ([手机号] …) read as 0 (features.mask_digits)

_POS = {"1", "pos", "positive", "正面", "积极", "好评", "true", "yes", "t", "y", "1.0"}
_NEG = {"0", "neg", "negative", "负面", "消极", "差评", "false", "no", "f", "n", "0.0", "-1"}


class LabelError(ValueError):
    """A sentiment label that is neither positive nor negative."""


def parse_labels(labels: Sequence[object]) -> np.ndarray:
    """Labels as 1 (positive) / 0 (negative): accepts 1/0, True/False, pos/neg, positive/negative, 正面/负面."""
    out = np.empty(len(labels), dtype=np.int8)
    for i, raw in enumerate(labels):
        key = str(raw).strip().lower()
        if key in _POS:
            out[i] = 1
        elif key in _NEG:
            out[i] = 0
        else:
            raise LabelError(f"row {i}: label {raw!r} is not positive (1/pos) or negative (0/neg)")
    return out


@dataclass(frozen=True)
class SentimentParams:
    """Hyper-parameters of :func:`train_sentiment`; all of them enter the model version."""

    ngram_min: int = 1
    ngram_max: int = 2
    n_features: int = 2**21
    preprocess: str = "digits"
    min_df: int = 2
    C: float = 1.0
    class_weight: str | None = "balanced"
    lexicon_scale: float = 0.5  # the lexicon score joins the features as one column, times this
    lexicon_docs_weight: float = 3.0  # lexicon entries (and negated/intensified forms) as extra documents
    emoticon_floor: float = 1.0  # logit per emoticon unit at least (review corpora contain no emoticons)
    neutral_shrink: float = 0.25  # logit factor for texts whose only lexicon hits are neutral words
    short_len: int = 10  # texts of at most this many characters (punctuation aside) lean on the lexicon …
    short_lexicon_share: float = 0.7  # … with this share of the logit …
    short_lexicon_gain: float = 2.0  # … at this many logits per lexicon unit

    def hasher(self) -> CharNgramHasher:
        return CharNgramHasher(self.ngram_min, self.ngram_max, self.n_features, self.preprocess)


def lexicon_documents(lexicon: Lexicon) -> tuple[list[str], list[int]]:
    """Lexicon entries as tiny labelled documents: "满意", "很满意", "非常满意", and "不满意" as negative."""
    texts, labels = [], []
    for term, w in lexicon.terms.items():
        if w == 0.0:
            continue
        y = int(w > 0)
        texts += [term, "很" + term, "非常" + term]
        labels += [y, y, y]
        if w > 0 and not term.startswith(("不", "没")):
            texts.append("不" + term)
            labels.append(0)
    return texts, labels


def data_digest(texts: Sequence[object], labels: Sequence[object],
                sample_weight: Sequence[float] | None = None) -> str:
    """Content hash of a labelled training set (normalised texts, parsed labels, weights; order-sensitive)."""
    h = hashlib.sha256()
    ys = parse_labels(labels)
    ws = [1.0] * len(ys) if sample_weight is None else sample_weight
    for t, y, w in zip(texts, ys, ws, strict=True):
        h.update(f"{int(y)}\t{float(w):g}\t{normalize(t)}\n".encode())
    return h.hexdigest()[:16]


def model_version(data_hash: str, params: SentimentParams, lexicon_digest: str) -> str:
    """Version string = hash of training data + parameters + lexicon + code version."""
    blob = json.dumps({"data": data_hash, "params": asdict(params), "lexicon": lexicon_digest,
                       "code": CODE_VERSION}, sort_keys=True)
    return "lin-" + hashlib.sha256(blob.encode()).hexdigest()[:12]


@dataclass
class SentimentModel:
    """Hashed char n-gram TF-IDF + lexicon column → logistic regression, plus an emoticon prior."""

    params: SentimentParams
    idf: np.ndarray
    coef: np.ndarray  # text feature weights (n_features,)
    lex_coef: float
    intercept: float
    emo_weight: float
    lexicon: Lexicon
    version: str
    meta: dict = field(default_factory=dict)

    def logits(self, texts: Sequence[object], counts: sp.csr_matrix | None = None) -> np.ndarray:
        """Decision values (log-odds of positive); ``counts`` = precomputed ``params.hasher()`` counts."""
        norm = [normalize(t) for t in texts]
        if counts is None:
            counts = self.params.hasher().transform(norm)
        lex = self.lexicon.features(norm, normalised=True)
        z = tfidf_rows(counts, self.idf) @ self.coef + self.intercept
        z += self.lex_coef * self.params.lexicon_scale * lex[:, 0] + self.emo_weight * lex[:, 1]
        p = self.params
        polar = (lex[:, 2] + lex[:, 3]) > 0
        only_neutral = (lex[:, 4] > 0) & ~polar & (lex[:, 1] == 0)
        z[only_neutral] *= p.neutral_shrink
        short = polar & np.fromiter((len(strip_punct(t).replace(" ", "")) <= p.short_len for t in norm),
                                    dtype=bool, count=len(norm))
        z[short] = (1 - p.short_lexicon_share) * z[short] + p.short_lexicon_share * p.short_lexicon_gain * lex[short, 0]
        z[np.fromiter((not t for t in norm), dtype=bool, count=len(norm))] = 0.0  # no text: no opinion (0.5)
        return z

    def predict_proba(self, texts: Sequence[object], counts: sp.csr_matrix | None = None) -> np.ndarray:
        """P(positive) per text."""
        if len(texts) == 0:
            return np.zeros(0)
        return expit(self.logits(texts, counts))


def train_sentiment(texts: Sequence[object], labels: Sequence[object], params: SentimentParams | None = None,
                    lexicon: Lexicon | None = None, sample_weight: Sequence[float] | None = None) -> SentimentModel:
    """Fit a :class:`SentimentModel` on labelled texts (labels 1/0 or pos/neg, see :func:`parse_labels`)."""
    from sklearn.linear_model import LogisticRegression

    params = params or SentimentParams()
    lexicon = lexicon or load_lexicon()
    y = parse_labels(labels)
    if len(set(y.tolist())) < 2:
        raise LabelError("training needs both positive and negative examples")
    docs = [normalize(t) for t in texts]
    weights = np.ones(len(docs)) if sample_weight is None else np.asarray(sample_weight, dtype=float)
    if params.lexicon_docs_weight > 0:
        extra, extra_y = lexicon_documents(lexicon)
        docs += extra
        y = np.concatenate([y, np.asarray(extra_y, dtype=np.int8)])
        weights = np.concatenate([weights, np.full(len(extra), params.lexicon_docs_weight)])
    counts = params.hasher().transform(docs)
    idf = fit_idf(counts)
    if params.min_df > 1:
        idf[np.bincount(counts.indices, minlength=counts.shape[1]) < params.min_df] = 0.0
    lex = lexicon.features(docs, normalised=True)
    text_x, active = compact_columns(tfidf_rows(counts, idf))
    x = sp.hstack([text_x, sp.csr_matrix(lex[:, :2] * params.lexicon_scale)]).tocsr()
    clf = LogisticRegression(C=params.C, solver="liblinear", class_weight=params.class_weight)
    clf.fit(x, y, sample_weight=weights)
    coef = np.zeros(counts.shape[1] + 2, dtype=np.float32)
    coef[active] = clf.coef_[0][:-2]
    coef[-2:] = clf.coef_[0][-2:]
    version = model_version(data_digest(texts, labels, sample_weight), params, lexicon.digest)
    return SentimentModel(
        params=params, idf=idf, coef=coef[:-2].copy(), lex_coef=float(coef[-2]), intercept=float(clf.intercept_[0]),
        emo_weight=max(float(coef[-1]) * params.lexicon_scale, params.emoticon_floor), lexicon=lexicon,
        version=version, meta={"n_train": len(texts), "n_lexicon_docs": len(docs) - len(texts)},
    )


def save_model(model: SentimentModel, path: Path | str) -> Path:
    """Write the model atomically (joblib, compressed); returns the path."""
    return save_artifact(model, path)


def load_model(path: Path | str) -> SentimentModel:
    """Read a model written by :func:`save_model` (only load files this project wrote: it is a pickle)."""
    return load_artifact(path, SentimentModel)
