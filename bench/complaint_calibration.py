"""Calibrating the open-set ``other`` threshold on corpus parts held out in turn (``python -m bench.complaints``).

Each part's in-taxonomy ``train`` complaints are scored by a classifier trained on the other parts; the threshold is
the largest that files at most the target share of every part as ``other``. The outside texts (the subjects of the
teddy2020c 12345 messages, city matters, and bare verdicts) measure how much text outside the taxonomy it
recognises. The frozen ``test`` rows are never read.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd

from bench.complaint_parts import held_out_parts
from feedback.scoring.calibration import calibrate_other_below
from feedback.scoring.classify import ComplaintParams, train_complaint_classifier
from feedback.scoring.labelled_corpus import read_corpus
from feedback.scoring.taxonomy import load_taxonomy
from feedback.text.features import normalize

VERDICTS = ["不满意", "非常不满意", "差评", "很差", "太差了", "垃圾", "无语", "呵呵"]


def _outside(data_dir: Path) -> list[str]:
    path = data_dir / "teddy2020c" / "attach2_sample_495.csv"
    subjects = pd.read_csv(path)["留言主题"].astype(str).tolist() if path.exists() else []
    return subjects + VERDICTS


def _open_score(clf, texts: list[str], open_score: str) -> np.ndarray:
    """The open-set score of each text from the model's own confidences (before seed-phrase boosts): their sum over
    the categories ("mass") or the best one ("best")."""
    cat = clf.category_scores([normalize(t) for t in texts])[0]
    return cat.sum(axis=1) if open_score == "mass" else cat.max(axis=1)


def calibrate(corpus_dir: Path | None, data_dir: Path, target: float, sub_mix: float | None = None,
              open_score: str = "best") -> dict:
    """``other_below`` from held-out open-set scores, one corpus part held out at a time (``held_out_parts``): each
    part's in-taxonomy complaints are scored by a classifier trained on the other parts (plus seed phrases), with
    the default parameters (``sub_mix`` as given). Beside the threshold, each part's top-1 with it (rounded down
    to two decimals, as configured; ``other`` counts wrong) and without it."""
    tax = load_taxonomy()
    rows = read_corpus(corpus_dir, split="train")
    if not rows:
        return {"skipped": "no corpus train rows"}
    outside = _outside(data_dir)
    ins, groups, outs, hits, per_part = [], [], [], [], {}
    for part, fit, held in held_out_parts(rows):
        dev = [r for r in held if r.label in tax.slugs]
        params = dataclasses.replace(ComplaintParams(), other_below=0.0)
        params = params if sub_mix is None else dataclasses.replace(params, sub_mix=sub_mix)
        clf = train_complaint_classifier(tax, params=params, corpus=fit)
        best = _open_score(clf, [r.text for r in dev], open_score)
        ins += list(best)
        groups += [part] * len(best)
        outs.append(_open_score(clf, outside, open_score))
        right = [p.category == r.label for p, r in zip(clf.classify([r.text for r in dev]), dev, strict=True)]
        hits += right
        per_part[part] = {"n": len(dev), "top1_no_other": round(float(np.mean(right)), 4)}
    if not ins:
        return {"skipped": "the corpus has a single part: nothing to hold out"}
    out = np.mean(outs, axis=0) if outside else np.zeros(0)  # each outside text's score, over the parts' models
    res = calibrate_other_below(ins, out, target, groups=groups)
    cut = np.floor(res["other_below"] * 100) / 100  # as configured: rounded down
    kept, part_of = np.asarray(hits) & (np.asarray(ins) >= cut), np.asarray(groups)
    for part in per_part:
        per_part[part]["top1"] = round(float(kept[part_of == part].mean()), 4)
    res.update(open_score=open_score, configured=float(cut), dev_top1=round(float(kept.mean()), 4),
               recall_out_configured=float((out < cut).mean()) if outside else None)
    res["dev_top1_no_other"] = round(float(np.mean(hits)), 4)
    res.update(n_rows=len(rows), held_out_parts=per_part, target_other=target)
    return res
