"""Which classification a 12345 message gets: the 政务服务 taxonomy where it fits, else the office's own.

Most 12345 messages are city matters (物业, 噪音, 拆迁, 道路 …) that the 政务服务 taxonomy does not describe; forcing
one of its categories on them files noise complaints under 政策与无效评价 or 办事指南. Only a message about how a
government service was handled (a window, an approval, a proof, an online service, the staff) gets a taxonomy
category. Whether a message is one is asked of the **fit model**, a binary linear model over character n-grams
trained on the packaged ``feedback/data/messages/*.tsv`` (12345-style messages written for it, labelled
``service`` or ``outside``; ``train`` rows only), the ``train`` complaints of the labelled corpus (service
complaints in 好差评 words) and the office's gold labels on messages. The rest get the office's own 12345
category when it has adopted a classifier (``[scoring] message_classifier``, a model saved by
``haocha train classifier`` on its labelled history), else ``other``.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from feedback.scoring.labelled_corpus import CorpusRow, is_complaint_label, read_corpus
from feedback.scoring.scorer import scoring_text
from feedback.scoring.textclf import ClassifierParams, TextClassifier, load_classifier, train_classifier

SERVICE = "service"  # the fit model's one class: the message is about a government service's handling
FIT_LABELS = (SERVICE, "outside")
FIT_COLUMNS = ("id", "title", "text", "fit", "split")


class MessageModelError(ValueError):
    """The office's message classifier cannot be used; the message names the file and what to do."""


@dataclass(frozen=True)
class FitRow:
    id: str
    title: str
    text: str
    fit: str  # service | outside
    split: str  # train | test

    @property
    def message(self) -> str:
        """What the models read of it: subject and body, joined as ``haocha score`` joins a message's."""
        return scoring_text("message", self.title, self.text)


def fit_dir() -> Path:
    return Path(str(resources.files("feedback").joinpath("data/messages")))


def read_fit_rows(directory: Path | str | None = None, split: str | None = "train") -> list[FitRow]:
    """Every row of every ``*.tsv`` in ``directory`` (default: the packaged one) of ``split`` (None = all), in
    file-name order; a malformed row raises with its file and line."""
    d = Path(directory) if directory is not None else fit_dir()
    rows: list[FitRow] = []
    for path in sorted(d.glob("*.tsv")) if d.is_dir() else []:
        with path.open(encoding="utf-8", newline="") as fh:
            reader = csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
            header = next(reader, None)
            if tuple(header or ()) != FIT_COLUMNS:
                raise ValueError(f"{path.name}: header must be {' '.join(FIT_COLUMNS)} (tab-separated)")
            for line, cells in enumerate(reader, start=2):
                if len(cells) != len(FIT_COLUMNS) or cells[3] not in FIT_LABELS or cells[4] not in ("train", "test"):
                    raise ValueError(f"{path.name} line {line}: needs {len(FIT_COLUMNS)} cells, fit service|outside "
                                     "and split train|test")
                rows.append(FitRow(*cells))
    return [r for r in rows if split is None or r.split == split]


def train_fit_model(rows: Sequence[FitRow], corpus: Sequence[CorpusRow] = (), gold: Sequence[tuple[str, bool]] = (),
                    corpus_weight: float = 0.05, gold_weight: float = 4.0,
                    params: ClassifierParams | None = None) -> TextClassifier | None:
    """The fit model; None without both kinds of written message (no packaged data). Corpus complaints count
    ``corpus_weight`` each (there are ten times as many, and they are short comments, not letters); ``gold``:
    (message text, fits the taxonomy) from the office's corrections."""
    if not any(r.fit == SERVICE for r in rows) or all(r.fit == SERVICE for r in rows):
        return None
    texts = [r.message for r in rows] + [r.text for r in corpus if is_complaint_label(r.label)] + [t for t, _ in gold]
    labels = ([[SERVICE] if r.fit == SERVICE else [] for r in rows]
              + [[SERVICE] for r in corpus if is_complaint_label(r.label)] + [[SERVICE] if f else [] for _, f in gold])
    weights = [1.0] * len(rows) + [corpus_weight] * (len(texts) - len(rows) - len(gold)) + [gold_weight] * len(gold)
    return train_classifier(texts, labels, params or ClassifierParams(), weights, classes=[SERVICE])


@functools.lru_cache(maxsize=4)
def packaged_fit_model(gold: tuple[tuple[str, bool], ...] = ()) -> TextClassifier | None:
    """The fit model of the packaged messages and corpus ``train`` rows plus ``gold`` (see :func:`train_fit_model`);
    trained once per process for the same inputs (training is deterministic, so this only saves time)."""
    return train_fit_model(read_fit_rows(), read_corpus(split="train"), gold)


def load_office_classifier(path: Path) -> TextClassifier:
    """The office's 12345 classifier (saved by ``haocha train classifier``); raises with the path and the fix."""
    if not path.exists():
        raise MessageModelError(f"[scoring] message_classifier: {path} does not exist; train it with "
                                "`haocha train classifier --out` or set the key to \"\"")
    try:
        model = load_classifier(path)
    except Exception as exc:  # not a joblib file at all (a spreadsheet named by mistake): say so, with the path
        raise MessageModelError(f"[scoring] message_classifier: {path} is not a classifier saved by "
                                f"`haocha train classifier` (cannot read it: {type(exc).__name__})") from exc
    if not isinstance(model, TextClassifier):
        raise MessageModelError(f"[scoring] message_classifier: {path} is not a classifier saved by "
                                "`haocha train classifier`")
    return model


@dataclass
class MessageRouter:
    """The fit model, its threshold and the office's classifier (None: outside messages are ``other``)."""

    fit: TextClassifier
    fit_above: float
    office: TextClassifier | None = None

    @property
    def version(self) -> str:
        blob = json.dumps([self.fit.version, self.fit_above, self.office.version if self.office else None])
        return "msg-" + hashlib.sha256(blob.encode()).hexdigest()[:12]

    def fit_proba(self, texts: Sequence[str], counts: sp.csr_matrix | None = None) -> np.ndarray:
        """P(the message is about a government service's handling) per text; ``counts``: the texts' char n-gram
        counts when they were hashed as the fit model hashes them."""
        return self.fit.predict_proba(texts, counts)[:, 0] if len(texts) else np.zeros(0)

    def office_labels(self, texts: Sequence[str]) -> list[tuple[str, float]]:
        """The office's category and its confidence per text (requires ``office``)."""
        proba = self.office.predict_proba(texts)
        best = proba.argmax(axis=1)
        return [(self.office.classes[j], float(proba[i, j])) for i, j in enumerate(best)]
