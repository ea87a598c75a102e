"""Judging complaint classifiers on corpus parts held out whole: the judged comments' writers are never in training.

    python -m bench.complaints --by-parts [--only NAME]   # candidates, each part of the corpus held out in turn
    python -m bench.complaints --agreement                # a second labeller beside the classifier

A random dev fold puts a writer's other comments into training and so rewards remembering how the corpus's writers
put things; whole parts (A, B, C, D) are by other people, as a citizen's comment is.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from feedback.scoring.classify import ComplaintParams, train_complaint_classifier
from feedback.scoring.labelled_corpus import read_corpus
from feedback.scoring.taxonomy import load_taxonomy


def _part(row) -> str:
    """The corpus part a row comes from: its id's letters (a, b, c, d …), with ``p`` (praise_neutral.tsv, written
    with part B) counted as part B."""
    letters = row.id.rstrip("0123456789")
    return "b" if letters == "p" else letters


def held_out_parts(rows: list) -> Iterator[tuple[str, list, list]]:
    """(part, the other parts' rows, the part's rows) for each corpus part in turn; nothing for a one-part corpus.
    Random folds would let a writer's other comments train the model that judges the held-out ones, which makes
    it surer than it will be on citizens it never read; whole parts are by other people."""
    parts = sorted({_part(r) for r in rows})
    for part in parts if len(parts) > 1 else []:
        yield part, [r for r in rows if _part(r) != part], [r for r in rows if _part(r) == part]


_R, _D = dataclasses.replace, ComplaintParams()
# The defaults with one change each, judged on corpus parts held out whole (``by_parts``).
PART_CANDIDATES: dict[str, ComplaintParams] = {
    "the defaults": _D,
    "LR C=1": _R(_D, classifier=_R(_D.classifier, C=1.0)),
    "LR C=2": _R(_D, classifier=_R(_D.classifier, C=2.0)),
    "LR C=8": _R(_D, classifier=_R(_D.classifier, C=8.0)),
    "LR char 1-3": _R(_D, classifier=_R(_D.classifier, ngram_max=3)),
    "min_df 2": _R(_D, classifier=_R(_D.classifier, min_df=2)),
    "sub_mix 0.25": _R(_D, sub_mix=0.25),
    "sub_mix 0.75": _R(_D, sub_mix=0.75),
    "phrase_conf 0 (no seed-phrase boosts)": _R(_D, phrase_conf=0.0),
    "seed-phrase weight 1": _R(_D, seed_weight=1.0),
    "corpus weight 4": _R(_D, corpus_weight=4.0),
    "lead_mix 0 (the whole text only)": _R(_D, lead_mix=0.0),
    **{f"lead_mix {m}, lead_decay {d}": _R(_D, lead_mix=m, lead_decay=d)
       for m in (0.2, 0.35, 0.5) for d in (0.3, 0.5, 0.7) if (m, d) != (_D.lead_mix, _D.lead_decay)},
}
# Parameters that act only when a trained classifier answers (not in training): candidates that differ only in
# these share one trained model per held-out part.
_INFERENCE = ("threshold", "other_below", "max_labels", "phrase_conf", "tag_conf", "sub_mix", "lead_mix",
              "lead_decay")


def by_parts(corpus_dir: Path | None, only: str | None = None) -> dict:
    """Each of PART_CANDIDATES (those whose name contains ``only``, and the defaults) trained on all corpus parts
    but one and measured on that part's in-taxonomy complaints, every part in turn (``held_out_parts``: the
    judged comments' writers are never in training, unlike the random dev fold of ``candidates``): top-1 as the
    product files it (``other`` counts wrong) and with ``other_below`` 0 (the best category always), pooled over
    the parts, and top-1 per part; multi-problem complaints (the main problem first) also apart."""
    tax = load_taxonomy()
    rows = read_corpus(corpus_dir, split="train")
    out: dict = {"candidates": {}}
    trained: dict = {}
    for name, params in PART_CANDIDATES.items():
        if only and only not in name and params != _D:
            continue
        hits, best, multi, per_part = [], [], [], {}
        key = _R(params, **{f: getattr(_D, f) for f in _INFERENCE})
        for part, fit, held in held_out_parts(rows):
            dev = [r for r in held if r.label in tax.slugs]
            if (part, key) not in trained:
                trained[part, key] = train_complaint_classifier(tax, params=key, corpus=fit)
            # the best category always (other_below 0); the product files it as other below params.other_below
            always = _R(trained[part, key], params=_R(params, other_below=0.0)).classify([r.text for r in dev])
            named = [p.category == r.label for p, r in zip(always, dev, strict=True)]
            right = [n and p.confidence >= params.other_below for n, p in zip(named, always, strict=True)]
            best += named
            hits += right
            multi += [h for h, r in zip(right, dev, strict=True) if len(r.categories) > 1]
            per_part[part] = round(float(np.mean(right)), 4)
        out["n_complaints"], out["n_multi_problem"] = len(hits), len(multi)
        out["candidates"][name] = {"top1": round(float(np.mean(hits)), 4),
                                   "top1_no_other": round(float(np.mean(best)), 4),
                                   "top1_multi_problem": round(float(np.mean(multi)), 4), "per_part": per_part}
    return out


SECOND_LABELLER = Path(__file__).resolve().parent / "data" / "corpus_ab_second_labeller.csv"


def agreement(corpus_dir: Path | None, labels: Path = SECOND_LABELLER) -> dict:
    """How often a second, independent labeller names the corpus's main category, beside the classifier on the
    same comments. ``labels``: 300 complaints of parts A and B (``train`` rows, a seeded draw, 150 each) labelled
    on 5 Dec 2026 by a labeller who saw only the texts and the taxonomy's two levels of names (no corpus labels,
    no seed phrases, no model output): its main category and any secondary ones. The classifier judging a part's
    comments is trained on the other parts (``held_out_parts``), as a citizen's comment would be met."""
    tax = load_taxonomy()
    second = pd.read_csv(labels, dtype=str, keep_default_na=False)
    rows = read_corpus(corpus_dir, split="train")
    by_id = {r.id: r for r in rows}
    second = second[second["id"].isin(by_id)]
    if second.empty:
        return {"skipped": "none of the labelled ids is in the corpus"}
    pred: dict[str, str] = {}
    wanted = set(second["id"])
    for _part_name, fit, held in held_out_parts(rows):
        dev = [r for r in held if r.id in wanted]
        if dev:
            clf = train_complaint_classifier(tax, corpus=fit)
            pred.update({r.id: p.category for r, p in zip(dev, clf.classify([r.text for r in dev]), strict=True)})
    gold = [by_id[i] for i in second["id"]]
    main = second["main"].tolist()
    multi = [k for k, r in enumerate(gold) if len(r.categories) > 1]

    def share(hits: list[bool]) -> float:
        return round(float(np.mean(hits)), 4) if hits else float("nan")

    return {"n": len(gold), "n_multi_problem": len(multi),
            "second_labeller_main": share([m == r.label for m, r in zip(main, gold, strict=True)]),
            "second_labeller_main_multi_problem": share([main[k] == gold[k].label for k in multi]),
            "second_labeller_main_among_labelled": share([m in r.categories for m, r in zip(main, gold, strict=True)]),
            "classifier_top1": share([pred.get(r.id) == r.label for r in gold]),
            "classifier_top1_multi_problem": share([pred.get(gold[k].id) == gold[k].label for k in multi])}
