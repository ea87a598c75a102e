"""One scoring version: sentiment engine + complaint classifier + fusion, applied to a frame of records (pure)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from feedback.scoring.classify import ComplaintClassifier
from feedback.scoring.clauses import scored_turns
from feedback.scoring.sentiment import FusionParams, SentimentEngine, fuse_one, is_hidden_complaint
from feedback.scoring.sentiment.fusion import complains
from feedback.scoring.taxonomy import NOT_COMPLAINT
from feedback.text.features import normalize

if TYPE_CHECKING:  # messages.py reads messages as this module's scoring_text does
    from feedback.scoring.messages import MessageRouter

# Columns a frame must have for Scorer.score; "gold" (a category slug, NOT_COMPLAINT or None) and "gold_sub" (its
# second level) are optional.
INPUT_COLUMNS = ("record_id", "kind", "level", "tags", "title", "text")
OUTPUT_COLUMNS = ("record_id", "sentiment", "sentiment_score", "text_score", "hidden_complaint", "hidden_clause",
                  "category", "category_conf", "subcategory", "categories", "category_margin", "rated_at")
BAD_LEVEL = 2  # 不满意 or worse


def may_be_no_complaint(kind: object, level: object) -> bool:
    """Whether a person may say a record is no complaint (不是投诉): a rating above 差评 only. A 差评 is a
    complaint by its rating (a mistaken one is 误评, a category of its own), a 12345 message by its nature."""
    lv = _level(level)
    return kind == "rating" and lv is not None and lv > BAD_LEVEL


def scoring_text(kind: object, title: object, text: object) -> str:
    """What the models read: a message's subject and body, a rating's comment."""
    parts = [t.strip() for t in ((title if kind == "message" else None), text) if isinstance(t, str) and t.strip()]
    return "。".join(parts)


def _level(value: object) -> int | None:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return None
    return int(value)


@dataclass
class Scorer:
    """Turns records into score rows; the version names every model and parameter that made them."""

    sentiment: SentimentEngine
    complaints: ComplaintClassifier
    fusion: FusionParams
    messages: MessageRouter | None = None  # None (a version made before it): every message asks the taxonomy

    @property
    def version(self) -> str:
        parts = {"sentiment": self.sentiment.version, "complaints": self.complaints.version,
                 "fusion": asdict(self.fusion)}
        if self.messages is not None:
            parts["messages"] = self.messages.version
        blob = json.dumps(parts, sort_keys=True)
        return "sc-" + hashlib.sha256(blob.encode()).hexdigest()[:12]

    def _text_scores(self, texts: Sequence[str]) -> tuple[np.ndarray, object]:
        hasher = getattr(self.sentiment, "hasher", None)
        shared = hasher is not None and hasher.key == self.complaints.hasher.key
        counts = hasher.transform(texts) if shared and len(texts) else None
        p = self.sentiment.predict_proba(texts, counts) if len(texts) else np.zeros(0)
        return p, counts

    def _turns(self, idx: Sequence[int], texts: Sequence[str]) -> dict[int, list[tuple[str, float, float]]]:
        """record position → (clause, P(complaint), P(positive)) of each clause of its text that opens with a
        turn word (但/不过/就是 …; ``scored_turns``, clauses normalised), for the records at ``idx``."""

        def score(pieces: list[str]) -> tuple[np.ndarray, np.ndarray]:
            p, counts = self._text_scores(pieces)
            return self.complaints.complaint_proba(pieces, counts), p

        found = scored_turns([normalize(texts[i]) for i in idx], score)
        return {i: t for i, t in zip(idx, found, strict=True) if t}

    def _outside_messages(self, idx: list[int], kinds: list, texts: list[str], gold: list, counts: object,
                          pos: dict[int, int]) -> dict[int, tuple[str, float]]:
        """record position → (category, confidence) of each message in ``idx`` outside the 政务服务 taxonomy:
        the office's category, else ``other`` (its confidence: 1 − P(fits)). Gold labels always win."""
        r = self.messages
        msg = [i for i in idx if kinds[i] == "message" and gold[i] is None]
        if r is None or not msg:
            return {}
        shared = counts is not None and r.fit.params.hasher().key == self.complaints.hasher.key
        p = r.fit_proba([texts[i] for i in msg], counts[[pos[i] for i in msg]] if shared else None)
        out = {i: float(v) for i, v in zip(msg, p, strict=True) if v < r.fit_above}
        if not out or r.office is None:
            return {i: (self.complaints.taxonomy.other_slug, 1.0 - v) for i, v in out.items()}
        return dict(zip(out, r.office_labels([texts[i] for i in out]), strict=True))

    def score(self, frame: pd.DataFrame) -> pd.DataFrame:
        """One output row per input row (see OUTPUT_COLUMNS).

        Sentiment fuses text with the rating; records without text are judged by their rating alone, messages
        without a rating by their text alone. Categories go to complaint signals only (差评, hidden complaints,
        messages, negative unrated text) and to any record with a gold label, which always wins: a gold
        ``NOT_COMPLAINT`` makes the record no complaint signal at all (no category, no hidden complaint). A message the
        router finds outside the 政务服务 taxonomy gets the office's own category instead (or ``other``).
        """
        n = len(frame)
        kinds = frame["kind"].tolist()
        texts = [scoring_text(k, ti, tx) for k, ti, tx in zip(kinds, frame["title"].tolist(), frame["text"].tolist(),
                                                             strict=True)]
        levels = [_level(v) for v in frame["level"].tolist()]
        gold = frame["gold"].tolist() if "gold" in frame else [None] * n
        gold = [g if isinstance(g, str) and g else None for g in gold]
        no_complaint = np.array([g == NOT_COMPLAINT for g in gold], dtype=bool)  # a person said: no complaint
        gold = [None if g == NOT_COMPLAINT else g for g in gold]
        has_text = np.array([bool(t) for t in texts], dtype=bool)
        text_idx = np.flatnonzero(has_text)
        p_text = np.full(n, np.nan)
        p, counts = self._text_scores([texts[i] for i in text_idx])
        p_text[text_idx] = p
        p_complaint = np.full(n, np.nan)  # stays NaN without a detector: the sentiment-only rule applies
        pc = self.complaints.complaint_proba([texts[i] for i in text_idx], counts) if len(text_idx) else None
        if pc is not None:
            p_complaint[text_idx] = pc

        turns = {}  # a good rating whose whole text does not complain: its clauses after a turn may
        if pc is not None and self.fusion.hidden_turns:
            turns = self._turns([i for i in text_idx if (levels[i] or 0) >= self.fusion.hidden_min_level
                                 and not complains(p_complaint[i], p_text[i], self.fusion)], texts)

        labels, fused, hidden = [], np.zeros(n), np.zeros(n, dtype=bool)
        said: list[str | None] = [None] * n  # the clause after a turn that made a hidden complaint (not the whole)
        for i in range(n):
            tp = None if np.isnan(p_text[i]) else float(p_text[i])
            lab, fused[i] = fuse_one(tp, levels[i], self.fusion)
            labels.append(lab)
            ts = turns.get(i, ())
            hidden[i] = is_hidden_complaint(levels[i], tp, self.fusion, float(p_complaint[i]),
                                            [(c, q) for _, c, q in ts]) and not no_complaint[i]
            if hidden[i] and ts:  # only texts that do not complain as a whole have turns: a clause made it
                said[i] = next(clause for clause, c, q in ts if complains(c, q, self.fusion))

        lv = np.array([lv if lv is not None else 0 for lv in levels])
        signal = ((lv >= 1) & (lv <= BAD_LEVEL)) | hidden | np.array([k == "message" for k in kinds])
        signal |= (lv == 0) & np.array([lab == "neg" for lab in labels])
        signal |= np.array([g is not None for g in gold])
        signal &= ~no_complaint
        tags = frame["tags"].tolist()
        cat = [None] * n
        conf, sub, cats, margin = [None] * n, [None] * n, [None] * n, [None] * n
        classify_idx = [i for i in range(n) if signal[i] and has_text[i]]
        pos = {j: k for k, j in enumerate(text_idx)}  # record position → its row among the texts (``counts``)
        outside = self._outside_messages(classify_idx, kinds, texts, gold, counts, pos)
        classify_idx = [i for i in classify_idx if i not in outside]
        if classify_idx:
            rows = [pos[i] for i in classify_idx]
            sub_counts = counts[rows] if counts is not None else None
            results = self.complaints.classify([texts[i] for i in classify_idx], [tags[i] for i in classify_idx],
                                               [gold[i] for i in classify_idx], sub_counts,
                                               [float(p_text[i]) for i in classify_idx])
            gold_sub = frame["gold_sub"].tolist() if "gold_sub" in frame else [None] * n
            for i, r in zip(classify_idx, results, strict=True):
                if r.source == "gold" and isinstance(gold_sub[i], str) and gold_sub[i]:
                    r.subcategory = gold_sub[i]
                cat[i], conf[i], sub[i] = r.category, round(r.confidence, 4), r.subcategory
                margin[i] = None if r.margin is None else round(r.margin, 4)
                cats[i] = json.dumps([[c, round(v, 4)] for c, v in r.labels], ensure_ascii=False)
        for i, (c, v) in outside.items():
            cat[i], conf[i], cats[i] = c, round(v, 4), json.dumps([[c, round(v, 4)]], ensure_ascii=False)
        tax = self.complaints.taxonomy
        for i in range(n):  # complaint signals without text: the record's tag codes, or a gold label
            if not signal[i] or has_text[i]:
                continue
            if gold[i] is not None:
                cat[i], conf[i], cats[i] = gold[i], 1.0, json.dumps([[gold[i], 1.0]])
                continue
            hits = tax.tag_categories(tags[i]) if isinstance(tags[i], str) else []
            if hits:
                c0 = self.complaints.params.tag_conf
                cat[i], sub[i], conf[i] = hits[0][0], hits[0][1], c0
                cats[i] = json.dumps([[c, c0] for c, _ in hits[: self.complaints.params.max_labels]])
        return pd.DataFrame({
            "record_id": frame["record_id"].to_numpy(), "sentiment": labels, "sentiment_score": np.round(fused, 4),
            "text_score": [None if np.isnan(v) else round(float(v), 4) for v in p_text],
            "hidden_complaint": hidden, "hidden_clause": said, "category": cat, "category_conf": conf, "subcategory": sub,
            "categories": cats, "category_margin": margin,
            # the record's time, carried along: scores are partitioned by it in the province profile
            "rated_at": frame["rated_at"].to_numpy() if "rated_at" in frame else None,
        }, columns=list(OUTPUT_COLUMNS))
