"""Learning curve of the office's corrections: category macro-F1 on the frozen test part after 0, 50, 100, 200
corrections chosen by the 待确认 queue (smallest margin first) vs chosen at random.

    python -m bench.learning [--corpus-dir DIR] [--steps 0,50,100,200] [--pool-share 0.6] [--seeds 3]

Simulation, on the labelled corpus only (its ``test`` rows are never trained on):

- the ``train`` complaint rows are split, stratified and seeded, into the *shipped* part (``1 - pool_share``; it
  trains the classifier as the packaged corpus does, with the non-complaint rows) and the office's *pool*
  (``pool_share``): records in the store, read as ``haocha score --all`` reads the store's texts (weak labels from
  seed phrases, unlabelled otherwise);
- a correction is a pool row's true first- and second-level category stored as a gold label (weight as in
  production); *queue*: at each step the uncorrected pool rows with the smallest margin under the current model
  (what /records/review lists first), retrained after each step; *random*: a seeded random choice (nested, the
  mean over ``--seeds``);
- measured: top-1 and macro-F1 of the category on every complaint row of the frozen ``test`` part (the
  classifier asked the category question of each; ``other`` counts wrong), with the open-set rule as configured.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from feedback.scoring.classify import ComplaintClassifier, ComplaintParams, train_complaint_classifier
from feedback.scoring.evaluation import classification_metrics, stratified_folds
from feedback.scoring.labelled_corpus import CorpusRow, read_corpus
from feedback.scoring.taxonomy import Taxonomy, load_taxonomy


def split_pool(rows: list[CorpusRow], slugs: list[str], pool_share: float, seed: int = 0
               ) -> tuple[list[CorpusRow], list[CorpusRow]]:
    """(shipped, pool): the complaint rows of ``rows`` split stratified by label; non-complaints stay shipped."""
    complaints = [r for r in rows if r.label in slugs]
    k = 10
    folds = stratified_folds([r.label for r in complaints], k, seed)
    n_pool = round(pool_share * k)
    pool_idx = set(np.concatenate(folds[:n_pool]).tolist()) if n_pool else set()
    pool = [r for i, r in enumerate(complaints) if i in pool_idx]
    shipped = [r for i, r in enumerate(complaints) if i not in pool_idx] + [r for r in rows if r.label not in slugs]
    return shipped, pool


def train_with(tax: Taxonomy, params: ComplaintParams, shipped: list[CorpusRow], pool: list[CorpusRow],
               corrected: set[int]) -> ComplaintClassifier:
    """The classifier ``haocha score --all`` would train: shipped corpus, the pool as store texts, gold labels on
    the corrected pool rows (first and second level)."""
    gold = [list(r.categories) if i in corrected else None for i, r in enumerate(pool)]
    subs = [(r.subcategories[0] if r.subcategories else None) if i in corrected else None for i, r in enumerate(pool)]
    return train_complaint_classifier(tax, [r.text for r in pool], None, gold, params, corpus=shipped,
                                      gold_subs=subs)


def evaluate(clf: ComplaintClassifier, test: list[CorpusRow]) -> dict:
    pred = [r.category for r in clf.classify([r.text for r in test])]
    truth = [r.label for r in test]
    res = classification_metrics(truth, pred, sorted(set(truth)))
    return {"top1": round(res.accuracy, 4), "macro_f1": round(res.macro_f1, 4)}


def margins(clf: ComplaintClassifier, pool: list[CorpusRow]) -> np.ndarray:
    return np.array([r.margin for r in clf.classify([r.text for r in pool])], dtype=float)


def curve(tax: Taxonomy, params: ComplaintParams, shipped, pool, test, steps: list[int], strategy: str,
          seed: int = 0) -> list[dict]:
    corrected: set[int] = set()
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(pool))
    out = []
    clf = train_with(tax, params, shipped, pool, corrected)
    for k in steps:
        need = min(k, len(pool)) - len(corrected)
        if need > 0:
            if strategy == "queue":
                m = margins(clf, pool)
                ranked = [i for i in np.lexsort((np.arange(len(pool)), m)) if i not in corrected]
                corrected |= set(int(i) for i in ranked[:need])
            else:
                corrected = set(int(i) for i in order[: len(corrected) + need])
            clf = train_with(tax, params, shipped, pool, corrected)
        out.append({"corrections": len(corrected), **evaluate(clf, test)})
        print(f"{strategy} seed {seed}: {out[-1]}", file=sys.stderr, flush=True)
    return out


def run(corpus_dir: Path | None, steps: list[int], pool_share: float, seeds: int, other_below: float) -> dict:
    tax = load_taxonomy()
    train = read_corpus(corpus_dir, split="train")
    test = [r for r in read_corpus(corpus_dir, split="test") if r.label in tax.slugs]
    if not train or not test:
        return {"skipped": "the labelled corpus (train and test rows) is absent"}
    shipped, pool = split_pool(train, tax.slugs, pool_share)
    params = ComplaintParams(other_below=other_below)
    t0 = time.perf_counter()
    queue = curve(tax, params, shipped, pool, test, steps, "queue")
    randoms = [curve(tax, params, shipped, pool, test, steps, "random", seed) for seed in range(seeds)]
    mean = [{"corrections": pts[0]["corrections"],
             **{m: round(float(np.mean([p[m] for p in pts])), 4) for m in ("top1", "macro_f1")},
             "macro_f1_min": min(p["macro_f1"] for p in pts), "macro_f1_max": max(p["macro_f1"] for p in pts)}
            for pts in zip(*randoms, strict=True)]
    return {"shipped_rows": len(shipped), "pool_rows": len(pool), "test_complaints": len(test),
            "other_below": other_below, "queue": queue, "random_mean": mean, "random_seeds": seeds,
            "seconds": round(time.perf_counter() - t0, 1)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.learning", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus-dir", type=Path, default=None, help="labelled corpus (default: the packaged one)")
    ap.add_argument("--steps", default="0,50,100,200", help="numbers of corrections (ascending)")
    ap.add_argument("--pool-share", type=float, default=0.6, help="share of train complaints in the office's store")
    ap.add_argument("--seeds", type=int, default=2, help="random-choice repetitions")
    ap.add_argument("--other-below", type=float, default=ComplaintParams().other_below)
    args = ap.parse_args(argv)
    steps = sorted({int(s) for s in args.steps.split(",") if s.strip()})
    report = run(args.corpus_dir, steps, args.pool_share, args.seeds, args.other_below)
    print(json.dumps(report, ensure_ascii=False, indent=1))
    if "queue" in report:
        print("corrections  queue top-1 / macro-F1   random top-1 / macro-F1 (mean)")
        for q, r in zip(report["queue"], report["random_mean"], strict=True):
            print(f"{q['corrections']:>11}  {q['top1']:.4f} / {q['macro_f1']:.4f}        "
                  f"{r['top1']:.4f} / {r['macro_f1']:.4f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
