"""A fast linear text classifier over hashed character n-grams: parameters, training, prediction, files.

The generic layer under the complaint classifier (``feedback.scoring.classify``), the complaint detector and the
12345 message classifiers; the taxonomy is not known here."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from scipy.special import expit

from feedback.scoring.artifacts import load_artifact, save_artifact
from feedback.text.features import (
    CharNgramHasher,
    compact_columns,
    fit_idf,
    normalize,
    tfidf_rows,
)

CODE_VERSION = "classify-2m"  # enters every model version; 2m: masked numbers ([手机号] …) read as 0 (features.mask_digits)


@dataclass(frozen=True)
class ClassifierParams:
    """Hyper-parameters of :func:`train_classifier` (all enter the model version)."""

    ngram_min: int = 1
    ngram_max: int = 2
    n_features: int = 2**21
    preprocess: str = "digits"  # see feedback.text.features.PREPROCESSORS ("codes_nopunct" for long messages)
    min_df: int = 1
    model: str = "lr"  # "lr": one-vs-rest logistic regression (probabilities); "svm": linear SVM (margins)
    C: float = 4.0
    class_weight: str | None = "balanced"

    def hasher(self) -> CharNgramHasher:
        return CharNgramHasher(self.ngram_min, self.ngram_max, self.n_features, self.preprocess)


# What `haocha train classifier` uses on a labelled corpus: a linear SVM over char n-grams with digits and codes
# masked and punctuation dropped (best 5-fold macro-F1 on the 12345 messages of teddy2020c attach2).
CORPUS_PARAMS = ClassifierParams(model="svm", C=1.0, preprocess="codes_nopunct", min_df=2)


@dataclass
class TextClassifier:
    """One-vs-rest linear model over hashed char n-gram TF-IDF; multi-label capable."""

    params: ClassifierParams
    classes: list[str]
    idf: np.ndarray
    weights: sp.csr_matrix  # (n_features, n_classes), zero rows dropped from storage
    intercepts: np.ndarray
    version: str = ""

    def decision(self, texts: Sequence[object], counts: sp.csr_matrix | None = None) -> np.ndarray:
        if counts is None:
            counts = self.params.hasher().transform(texts)
        row_of, dense = self._dense_weights()
        x = tfidf_rows(counts, self.idf)
        # the texts' columns that carry a weight, renumbered as the dense rows (in the same order, so each score
        # sums the same products in the same order as the sparse product did)
        at = row_of[x.indices]
        hit = at >= 0
        indptr = np.concatenate([[0], np.cumsum(hit)])[x.indptr]
        xa = sp.csr_matrix((x.data[hit], at[hit], indptr), shape=(x.shape[0], len(dense)))
        return np.asarray(xa @ dense, dtype=np.float64) + self.intercepts

    def _dense_weights(self) -> tuple[np.ndarray, np.ndarray]:
        """(the dense row of each hashed column, −1 for a column without weight; those rows' weights as a dense
        float32 matrix), built on first use: a one-vs-rest model weighs nearly every column it saw for every
        class, so dense rows are smaller than sparse ones (about 4 MB per 12 classes against 9 MB), and a sparse ×
        dense product is much cheaper than sparse × sparse. The column map costs 4 bytes per hashed column."""
        cached = self.__dict__.get("_dense")
        if cached is None:
            w = self.weights.tocsr()
            active = np.flatnonzero(np.diff(w.indptr))
            row_of = np.full(w.shape[0], -1, dtype=np.int32)
            row_of[active] = np.arange(len(active), dtype=np.int32)
            cached = self.__dict__["_dense"] = (row_of, np.asarray(w[active].todense(), dtype=np.float32))
        return cached

    def __getstate__(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k != "_dense"}  # rebuilt on use, never saved

    def predict_proba(self, texts: Sequence[object], counts: sp.csr_matrix | None = None) -> np.ndarray:
        """(n, k) per-class confidences in [0, 1] (probabilities for ``lr``; squashed margins for ``svm``)."""
        d = self.decision(texts, counts)
        return expit(d if self.params.model == "lr" else 2.0 * d)

    def predict(self, texts: Sequence[object], counts: sp.csr_matrix | None = None) -> list[str]:
        """Single best class per text."""
        d = self.decision(texts, counts)
        return [self.classes[i] for i in d.argmax(axis=1)] if len(texts) else []

    def predict_multi(self, texts: Sequence[object], threshold: float = 0.5, max_labels: int = 3,
                      counts: sp.csr_matrix | None = None) -> list[list[tuple[str, float]]]:
        """Every class with confidence ≥ ``threshold`` (best first, at most ``max_labels``) per text."""
        proba = self.predict_proba(texts, counts)
        out = []
        for row in proba:
            order = np.argsort(-row)[:max_labels]
            out.append([(self.classes[j], float(row[j])) for j in order if row[j] >= threshold])
        return out


def _as_label_sets(labels: Sequence[object]) -> list[list[str]]:
    out = []
    for lab in labels:
        if lab is None or (isinstance(lab, float) and np.isnan(lab)):
            out.append([])
        elif isinstance(lab, list | tuple | set | frozenset):
            out.append([str(v) for v in lab])
        else:
            out.append([str(lab)])
    return out


def _digest(*parts: object) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()


def train_classifier(texts: Sequence[object], labels: Sequence[object], params: ClassifierParams | None = None,
                     sample_weight: Sequence[float] | None = None, classes: Sequence[str] | None = None
                     ) -> TextClassifier:
    """Fit a one-vs-rest classifier. ``labels``: one label per text, or a list of labels (multi-label; an empty
    list = negative for every class)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.svm import LinearSVC

    params = params or ClassifierParams()
    sets = _as_label_sets(labels)
    if len(sets) != len(texts):
        raise ValueError(f"{len(texts)} texts but {len(sets)} labels")
    classes = list(classes) if classes is not None else sorted({c for s in sets for c in s})
    if not classes:
        raise ValueError("no labels to learn")
    version = "clf-" + _digest(CODE_VERSION, asdict(params), classes, [normalize(t) for t in texts], sets,
                               None if sample_weight is None else list(map(float, sample_weight)))[:12]
    cached = _reused_fit(version)
    if cached is not None:
        return cached
    counts = params.hasher().transform(texts)
    idf = fit_idf(counts)
    if params.min_df > 1:
        idf[np.bincount(counts.indices, minlength=counts.shape[1]) < params.min_df] = 0.0
    x, active = compact_columns(tfidf_rows(counts, idf))
    w = np.ones(len(sets)) if sample_weight is None else np.asarray(sample_weight, dtype=float)
    binary_cw = params.class_weight
    if params.class_weight == "balanced" and all(len(s) == 1 for s in sets):
        # Single-label data: weigh each class as sklearn's multi-class "balanced" does, in every binary problem.
        freq = {c: n for c, n in zip(*np.unique([s[0] for s in sets], return_counts=True), strict=True)}
        w = w * np.array([len(sets) / (len(freq) * freq[s[0]]) for s in sets])
        binary_cw = None
    rows, cols, vals, inter = [], [], [], np.zeros(len(classes))
    for j, c in enumerate(classes):
        y = np.fromiter((c in s for s in sets), dtype=bool, count=len(sets))
        if y.all() or not y.any():  # a class with no negatives (or positives) gets a constant score
            inter[j] = 5.0 if y.all() else -5.0
            continue
        if params.model == "svm":
            clf = LinearSVC(C=params.C, class_weight=binary_cw)
        else:
            clf = LogisticRegression(C=params.C, solver="liblinear", class_weight=binary_cw)
        clf.fit(x, y, sample_weight=w)
        nz = np.flatnonzero(clf.coef_[0])
        rows.append(active[nz])
        cols.append(np.full(len(nz), j))
        vals.append(clf.coef_[0][nz].astype(np.float32))
        inter[j] = float(clf.intercept_[0])
    cat = (lambda parts, dt: np.concatenate(parts).astype(dt) if parts else np.zeros(0, dt))  # noqa: E731
    weights = sp.csr_matrix((cat(vals, np.float32), (cat(rows, np.int64), cat(cols, np.int64))),
                            shape=(counts.shape[1], len(classes)))
    return _kept_fit(TextClassifier(params, classes, idf, weights, inter, version))


FIT_CACHE_ENV = "HAOCHA_FIT_CACHE"  # a folder: fitted classifiers reused by the digest of their inputs


def _fit_path(version: str) -> Path | None:
    folder = os.environ.get(FIT_CACHE_ENV)
    return Path(folder) / f"{version}.joblib" if folder else None


def _reused_fit(version: str) -> TextClassifier | None:
    """The classifier fitted earlier from exactly these inputs (the version is their digest: code version,
    parameters, classes, texts, labels, weights), when ``$HAOCHA_FIT_CACHE`` names a folder that holds it. For
    the test suite and benchmarks, which fit the same corpus many times; unset (the default), every call fits."""
    path = _fit_path(version)
    if path is None or not path.exists():
        return None
    model = load_artifact(path, TextClassifier)
    return model if model.version == version else None


def _kept_fit(model: TextClassifier) -> TextClassifier:
    """Write a new fit to ``$HAOCHA_FIT_CACHE`` (when set) for ``_reused_fit`` (``save_artifact`` is atomic, so
    processes can share the folder)."""
    path = _fit_path(model.version)
    if path is not None:
        save_artifact(model, path)
    return model


def save_classifier(model: object, path: Path | str) -> Path:
    """Write a classifier (joblib, compressed, atomic)."""
    return save_artifact(model, path)


def load_classifier(path: Path | str):
    """Read a classifier written by :func:`save_classifier` (a pickle: only load this project's files)."""
    return load_artifact(path)
