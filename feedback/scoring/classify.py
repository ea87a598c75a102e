"""Complaint classification over the taxonomy: the category and second-level models (``feedback.scoring.textclf``),
seed phrases and tag codes, the open-set rule, the main problem first, and training from the labelled corpus."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

import numpy as np
import scipy.sparse as sp

from feedback.scoring.clauses import lead_scores
from feedback.scoring.detector import train_detector
from feedback.scoring.labelled_corpus import CorpusRow, read_corpus
from feedback.scoring.taxonomy import NOT_COMPLAINT, PhraseMatcher, Taxonomy, weak_labels  # noqa: F401 (re-exported)
from feedback.scoring.textclf import (  # models pickled before textclf.py find these two here as well
    ClassifierParams,
    TextClassifier,
    _as_label_sets,
    _digest,
    train_classifier,
)
from feedback.text.features import CharNgramHasher, normalize

CODE_VERSION = "classify-3"  # classify-3: rule-raised ties ordered by the model (tags 110,109,111)


@dataclass(frozen=True)
class ComplaintParams:
    threshold: float = 0.5  # a further category (beyond the best one) is assigned at this confidence or above
    other_below: float = 0.22  # open set: best category's confidence below this = "other" (calibrated, see docs)
    max_labels: int = 3
    phrase_conf: float = 0.4  # confidence given by a matching seed phrase
    tag_conf: float = 0.9  # confidence given by a complaint tag code of the record
    seed_weight: float = 2.0  # weight of each seed phrase as a training document
    weak_weight: float = 1.0  # weight of a corpus text labelled by phrases or tags
    gold_weight: float = 4.0  # weight of a human-labelled text
    unlabelled_weight: float = 0.3  # weight of a corpus text no rule labels (a negative for every class)
    corpus_weight: float = 2.0  # weight of a labelled development-corpus text (feedback/data/corpus, train rows)
    sub_mix: float = 0.5  # share of a category's score taken from the best score of its own second levels
    lead_mix: float = 0.2  # share of a category's score taken from its clauses, the leading ones weighted most
    lead_decay: float = 0.3  # weight of each clause relative to the one before it (``lead_mix``)
    classifier: ClassifierParams = field(default_factory=ClassifierParams)


@dataclass
class ComplaintResult:
    """Categories of one text, best first; ``source``: gold, rule (phrase/tag), model, or other."""

    labels: list[tuple[str, float]]
    subcategory: str | None
    source: str
    margin: float | None = None  # best category's confidence minus the second best's (None for gold)

    @property
    def category(self) -> str:
        return self.labels[0][0]

    @property
    def confidence(self) -> float:
        return self.labels[0][1]


@dataclass
class ComplaintClassifier:
    taxonomy: Taxonomy
    params: ComplaintParams
    categories: TextClassifier
    subcategories: TextClassifier
    version: str
    detector: TextClassifier | None = None  # is the text a complaint at all? (feedback.scoring.detector)
    matcher: PhraseMatcher = field(init=False, repr=False)

    def __post_init__(self):
        self.matcher = PhraseMatcher(self.taxonomy)

    @property
    def hasher(self) -> CharNgramHasher:
        return self.params.classifier.hasher()

    def _subcategory(self, top: str, subs: list[str], sub_row: np.ndarray | None, sidx: dict[str, int]
                     ) -> str | None:
        """The second-level category of ``top``: the one named most often by phrases and tags, else the sub-model's
        best; every tie broken by the sub-model's score, then taxonomy order (never by hashing or set order)."""
        own = [s.slug for s in self.taxonomy.category(top).subcategories]
        candidates = [s for s in own if s in subs] if subs else [s for s in own if s in sidx]
        if not candidates:
            return None
        order = {s: k for k, s in enumerate(own)}

        def key(s: str) -> tuple[int, float, int]:
            score = float(sub_row[sidx[s]]) if sub_row is not None and s in sidx else 0.0
            return (-subs.count(s), -score, order[s])

        return min(candidates, key=key)

    def complaint_proba(self, texts: Sequence[object], counts: sp.csr_matrix | None = None) -> np.ndarray | None:
        """P(complaint) per text from the detector; None for a version trained without one."""
        detector = getattr(self, "detector", None)  # versions saved before the detector have none
        if detector is None:
            return None
        return detector.predict_proba(texts, counts)[:, 0] if len(texts) else np.zeros(0)

    def category_scores(self, norm: Sequence[str], counts: sp.csr_matrix | None = None
                        ) -> tuple[np.ndarray, np.ndarray]:
        """(category confidences, second-level confidences) of normalised texts. With ``params.sub_mix`` > 0 a
        category's confidence is mixed with the best confidence of its own second levels (the second levels are
        evidence for the first). With ``params.lead_mix`` > 0 the scores of a text of several clauses are mixed
        with its clauses' scores, each clause weighted ``lead_decay`` times the one before it: a comment names its
        main problem first (``lead_scores``). Versions saved before a mix existed keep their plain scores."""
        cat_p, sub_p = self._text_scores(norm, counts)
        lead = vars(self.params).get("lead_mix", 0.0)
        if lead <= 0 or not len(norm):
            return cat_p, sub_p
        return lead_scores(norm, cat_p, sub_p, lambda pieces: self._text_scores(pieces, self.hasher.transform(pieces)),
                           lead, self.params.lead_decay)

    def _text_scores(self, norm: Sequence[str], counts: sp.csr_matrix | None) -> tuple[np.ndarray, np.ndarray]:
        """``category_scores`` of each text as a whole."""
        cat_p = self.categories.predict_proba(norm, counts)
        sub_p = self.subcategories.predict_proba(norm, counts)
        mix = vars(self.params).get("sub_mix", 0.0)
        if mix <= 0 or not len(norm):
            return cat_p, sub_p
        sidx = {s: j for j, s in enumerate(self.subcategories.classes)}
        parent = np.zeros_like(cat_p)
        for k, c in enumerate(self.categories.classes):
            own = [sidx[s.slug] for s in self.taxonomy.category(c).subcategories if s.slug in sidx]
            if own:
                parent[:, k] = sub_p[:, own].max(axis=1)
            else:
                parent[:, k] = cat_p[:, k]
        return (1.0 - mix) * cat_p + mix * parent, sub_p

    def classify(self, texts: Sequence[object], tags: Sequence[object] | None = None,
                 gold: Sequence[object] | None = None, counts: sp.csr_matrix | None = None,
                 p_pos: Sequence[float] | None = None) -> list[ComplaintResult]:
        """Categories per text (the caller decided they are complaint signals); a gold label always wins.

        Whether a text is a complaint is not asked here (sentiment and the rating answer that): every text gets
        its best category with its confidence, and more categories at ``params.threshold`` or above. Only when
        the best confidence is below ``params.other_below`` (an open-set rule calibrated on held-out text, see
        :func:`calibrate_other_below`) is the text outside the taxonomy: ``other``. ``p_pos`` is accepted for
        callers' convenience and not used: praise does not decide the category.
        """
        p = self.params
        norm = [normalize(t) for t in texts]
        if counts is None and len(norm):
            counts = self.hasher.transform(norm)
        cat_p, sub_p = self.category_scores(norm, counts) if len(norm) else (np.zeros((0, 0)), np.zeros((0, 0)))
        cidx = {c: j for j, c in enumerate(self.categories.classes)}
        order = {c: k for k, c in enumerate(self.taxonomy.slugs)}
        sidx = {s: j for j, s in enumerate(self.subcategories.classes)}
        out = []
        for i, text in enumerate(norm):
            g = _as_label_sets([gold[i]])[0] if gold is not None else []
            if g:
                out.append(ComplaintResult([(c, 1.0) for c in g], None, "gold"))
                continue
            model = {c: float(cat_p[i, j]) for c, j in cidx.items()}
            conf = dict(model)
            hits = self.matcher.match(text)
            tag_hits = self.taxonomy.tag_categories(tags[i]) if tags is not None else []
            rule = set(hits) | {c for c, _ in tag_hits}
            for c in hits:
                conf[c] = max(conf.get(c, 0.0), p.phrase_conf)
            for c, _ in tag_hits:
                conf[c] = max(conf.get(c, 0.0), p.tag_conf)
            # Categories raised to the same confidence by rules (a record's 差评 tags often name two or three; two
            # seed phrases) are ordered by what the text says (the model's own score), then by taxonomy order.
            ranked = sorted(conf.items(), key=lambda kv: (-kv[1], -model.get(kv[0], 0.0), order.get(kv[0], len(order))))
            best = ranked[0][1] if ranked else 0.0
            margin = round(_margin(ranked, model), 6)
            if best < p.other_below:  # outside the taxonomy, unless it is filler the taxonomy names (凑字数凑字数…)
                filler = self.matcher.fallback(text)
                out.append(ComplaintResult([(filler[0], p.phrase_conf)], filler[1], "rule", margin) if filler else
                           ComplaintResult([(self.taxonomy.other_slug, round(other_confidence(best), 6))], None,
                                           "other", margin))
                continue
            # further categories: at the threshold or above, or named by a seed phrase or tag code of the text
            labels = ranked[:1] + [(c, v) for c, v in ranked[1:] if v >= p.threshold or c in rule][: p.max_labels - 1]
            top = labels[0][0]
            subs = [s for s in hits.get(top, [])] + [s for c, s in tag_hits if c == top and s]
            sub = self._subcategory(top, subs, sub_p[i] if len(sidx) else None, sidx)
            out.append(ComplaintResult(labels, sub, "rule" if top in rule else "model", margin))
        return out


def other_confidence(best: float) -> float:
    """The confidence of an answer filed as other by the open-set rule, from its best category's confidence: 1 − it
    (its own inverse, so the best category's confidence is read back from a stored other answer the same way)."""
    return 1.0 - best


def _margin(ranked: list[tuple[str, float]], model: dict[str, float]) -> float:
    """How far the chosen category led the next one, on what separated them: the confidences, or, where rules raised
    both to the same confidence (two tags, two seed phrases), the model's own scores, which chose between them."""
    if len(ranked) < 2:
        return ranked[0][1] if ranked else 0.0
    (first, a), (second, b) = ranked[0], ranked[1]
    return a - b if a != b else model.get(first, 0.0) - model.get(second, 0.0)


_VERDICTS = ("不满意", "非常不满意", "很不满意", "差评", "很差", "满意", "非常满意", "一般", "还行", "好评")


def default_negatives() -> list[str]:
    """Texts that fit no complaint category: the packaged positive seed comments and bare verdicts (不满意, 差评)
    that name no problem. (Praise of an aspect, 态度很好, is left to the ``p_pos`` gate of ``classify``.)"""
    from feedback.scoring.sentiment.engines import read_seed

    seeds = [t for t, y in zip(*read_seed(), strict=True) if y == 1]
    return seeds + list(_VERDICTS)


def train_complaint_classifier(taxonomy: Taxonomy, texts: Sequence[object] = (), tags: Sequence[object] | None = None,
                               gold: Sequence[object] | None = None, params: ComplaintParams | None = None,
                               negatives: Sequence[str] | None = None, corpus: Sequence[CorpusRow] | None = None,
                               gold_subs: Sequence[object] | None = None) -> ComplaintClassifier:
    """Train on seed phrases, the labelled corpus, weak labels of ``texts`` (phrases, tag codes) and gold labels,
    which win.

    ``negatives`` are texts known to fit no category; they teach the model what "other" is. Default: the
    packaged positive seed comments (praise mentions 态度, 窗口, 效率 too, without complaining).
    ``corpus``: labelled rows (default: the ``train`` rows of the packaged ``feedback/data/corpus/*.tsv``, none
    when it is absent); complaint rows train their categories, other and non-complaint rows are negatives.
    ``gold_subs``: the second level of each gold label (None where the person gave none); it trains the
    second-level model when it belongs to the gold category. A gold ``NOT_COMPLAINT`` is a negative of the
    categories (like the praise negatives) and a non-complaint of the detector.
    """
    params = params or ComplaintParams()
    if negatives is None:
        negatives = default_negatives()
    if corpus is None:
        corpus = read_corpus(split="train")
    matcher = PhraseMatcher(taxonomy)
    docs, cat_sets, sub_sets, weights = [], [], [], []

    def add(doc: str, cats: list[str], subs: list[str], w: float) -> None:
        docs.append(doc)
        cat_sets.append(cats)
        sub_sets.append(subs)
        weights.append(w)

    for phrase, cat, sub in taxonomy.seed_phrases():
        add(phrase, [cat], [sub], params.seed_weight)
    for c in taxonomy.categories:
        for s in c.subcategories:
            add(s.name, [c.slug], [s.slug], params.seed_weight)
    weak = weak_labels(taxonomy, texts, tags, matcher)
    known, known_subs = set(taxonomy.slugs), set(taxonomy.subcategory_slugs)
    for i, t in enumerate(texts):
        if gold is not None and gold[i] == NOT_COMPLAINT:  # a person's "no complaint": fits no category
            add(str(t), [], [], params.weak_weight)
            continue
        g = [x for x in _as_label_sets([gold[i]])[0] if x != taxonomy.other_slug] if gold is not None else None
        is_gold = gold is not None and bool(_as_label_sets([gold[i]])[0])
        gs = gold_subs[i] if gold_subs is not None and is_gold else None
        gold_sub = [gs] if isinstance(gs, str) and gs in known_subs and taxonomy.subcategory(gs).parent in g \
            else []
        cats, subs = (g, gold_sub) if is_gold else weak[i]
        w = params.gold_weight if is_gold else params.weak_weight if cats else params.unlabelled_weight
        add(str(t), cats, subs, w)
    for t in negatives:
        add(t, [], [], params.weak_weight)
    for row in corpus:
        cats = [c for c in row.categories if c in known]
        subs = [s for s in row.subcategories if s in known_subs]
        add(row.text, cats, subs if cats else [], params.corpus_weight if cats else params.weak_weight)
    cp = params.classifier
    cat_model = train_classifier(docs, cat_sets, cp, weights, classes=taxonomy.slugs)
    sub_idx = [i for i, s in enumerate(sub_sets) if s]
    sub_model = train_classifier([docs[i] for i in sub_idx], [sub_sets[i] for i in sub_idx], cp,
                                 [weights[i] for i in sub_idx], classes=taxonomy.subcategory_slugs)
    gold_texts = [str(t) for i, t in enumerate(texts)
                  if gold is not None and gold[i] != NOT_COMPLAINT and _as_label_sets([gold[i]])[0]]
    not_complaints = [str(t) for i, t in enumerate(texts) if gold is not None and gold[i] == NOT_COMPLAINT]
    detector = train_detector(corpus, gold_texts, cp, params.gold_weight, not_complaints)
    version = "cmp-" + _digest(CODE_VERSION, taxonomy.digest, asdict(params), cat_model.version,
                               sub_model.version, detector.version if detector else None)[:12]
    return ComplaintClassifier(taxonomy, params, cat_model, sub_model, version, detector)
