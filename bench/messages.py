"""12345 messages: which fit the 政务服务 taxonomy, and the office's own classifier for the rest.

    python -m bench.messages [--data-dir ../shared/data] [--json]

1. **Threshold, chosen on written train rows only.** The packaged messages (``feedback/data/messages``) come from
   two writers; each writer's ``train`` rows are held out in turn and scored by a fit model trained on the other
   writer's rows and the corpus complaints. ``[scoring] message_fit_above`` is the threshold with the best
   balanced accuracy on those held-out rows.
2. **The frozen test rows** of the packaged messages (never trained on, never used to choose): the shipped fit
   model's AUC and service precision / recall at the configured threshold.
3. **Real 12345 messages nobody here wrote** (teddy2020c, skipped when ``../shared/data`` is absent): the 260
   hand-labelled messages of ``bench/data/teddy2020c_service_labels.csv`` (49 about a service's handling, 211
   city matters), scored by the whole pipeline as ``haocha score`` scores a message, before (every message asks
   the taxonomy) and after (the router): how many city matters get a 政务服务 category, and the in-taxonomy top-1.
4. **The office's classifier** (``haocha train classifier`` as an office would run it): trained on teddy2020c
   attach2_dev_1842 (7 first-level classes; rows whose text is also in the sample dropped), then the 495 messages
   of attach2_sample_495 scored by the whole pipeline with it adopted: the share routed to the taxonomy, and the
   office category's accuracy and macro-F1 on the rest (and on all, as the classifier alone).
"""

from __future__ import annotations

import argparse
import json
import re
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from bench.complaints import TEDDY_LABELS, teddy_texts
from feedback.scoring.classify import train_complaint_classifier
from feedback.scoring.evaluation import classification_metrics
from feedback.scoring.labelled_corpus import read_corpus
from feedback.scoring.messages import SERVICE, MessageRouter, read_fit_rows, train_fit_model
from feedback.scoring.scorer import Scorer, scoring_text
from feedback.scoring.sentiment import FusionParams, make_sentiment_engine
from feedback.scoring.taxonomy import load_taxonomy
from feedback.scoring.textclf import CORPUS_PARAMS, train_classifier
from feedback.settings import ScoringSettings

GRID = [round(x, 2) for x in np.arange(0.2, 0.81, 0.05)]



def _auc(y: np.ndarray, p: np.ndarray) -> float:
    """ROC AUC (scikit-learn's); NaN when one class is absent."""
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(y, p)) if 0 < y.sum() < len(y) else float("nan")


def _at(y: np.ndarray, p: np.ndarray, t: float) -> dict:
    flag = p >= t
    tp = int((flag & y).sum())
    prec = tp / flag.sum() if flag.sum() else float("nan")
    rec = tp / y.sum() if y.sum() else float("nan")
    spec = float((~flag & ~y).sum() / (~y).sum()) if (~y).sum() else float("nan")
    return {"threshold": t, "precision": round(prec, 4), "recall": round(rec, 4),
            "outside_kept_out": round(spec, 4), "balanced_accuracy": round((rec + spec) / 2, 4)}


def threshold_by_writers() -> dict:
    """Each writer's train rows held out in turn; the grid's balanced accuracy on the pooled held-out rows."""
    rows = read_fit_rows(split="train")
    corpus = read_corpus(split="train")
    writers = sorted({r.id[:2] for r in rows})
    ys, ps = [], []
    for w in writers:
        model = train_fit_model([r for r in rows if r.id[:2] != w], corpus)
        held = [r for r in rows if r.id[:2] == w]
        ys.append(np.array([r.fit == SERVICE for r in held]))
        ps.append(model.predict_proba([r.message for r in held])[:, 0])
    y, p = np.concatenate(ys), np.concatenate(ps)
    grid = [_at(y, p, t) for t in GRID]
    best = max(grid, key=lambda g: (g["balanced_accuracy"], -abs(g["threshold"] - 0.5)))
    return {"writers": writers, "held_out": len(y), "auc": round(_auc(y, p), 4), "grid": grid,
            "chosen": best["threshold"]}


def frozen_test(fit_above: float) -> dict:
    rows = read_fit_rows(split="train")
    model = train_fit_model(rows, read_corpus(split="train"))
    test = read_fit_rows(split="test")
    y = np.array([r.fit == SERVICE for r in test])
    p = model.predict_proba([r.message for r in test])[:, 0]
    return {"n": len(test), "service": int(y.sum()), "auc": round(_auc(y, p), 4), **_at(y, p, fit_above)}


def _score_messages(scorer: Scorer, texts: list[str]) -> pd.DataFrame:
    frame = pd.DataFrame({"record_id": np.arange(len(texts)), "kind": "message",
                          "level": pd.array([None] * len(texts), "Int64"), "tags": None, "title": None,
                          "text": texts})
    return scorer.score(frame)


def teddy_fit(data_dir: Path, fit_above: float, complaints, sentiment) -> dict:
    if not TEDDY_LABELS.exists() or not (data_dir / "teddy2020c").is_dir():
        return {"skipped": f"needs {TEDDY_LABELS.name} and {data_dir / 'teddy2020c'}"}
    lab = pd.read_csv(TEDDY_LABELS, dtype=str)
    texts = teddy_texts(data_dir)
    lab["text"] = [texts.get((s, r)) for s, r in zip(lab["source"], lab["留言编号"], strict=True)]
    lab = lab.dropna(subset=["text"]).reset_index(drop=True)
    tax = load_taxonomy()
    router = MessageRouter(train_fit_model(read_fit_rows(), read_corpus(split="train")), fit_above)
    y = (lab["label"] != "outside").to_numpy()
    p = router.fit_proba(lab["text"].tolist())
    out = {"labelled": len(lab), "service": int(y.sum()), "outside": int((~y).sum()), "auc": round(_auc(y, p), 4),
           "at_threshold": _at(y, p, fit_above), "grid": [_at(y, p, t) for t in GRID]}
    for name, r in (("before", None), ("after", router)):
        cat = _score_messages(Scorer(sentiment, complaints, FusionParams(), r), lab["text"].tolist())["category"]
        in_tax = cat.isin(tax.slugs).to_numpy()
        out[name] = {"outside_given_a_taxonomy_category": round(float(in_tax[~y].mean()), 4),
                     "service_top1": round(float((cat.to_numpy()[y] == lab["label"].to_numpy()[y]).mean()), 4),
                     "service_given_a_taxonomy_category": round(float(in_tax[y].mean()), 4)}
    return out


def _key(text: str) -> str:
    return re.sub(r"\s", "", text)


def office(data_dir: Path, fit_above: float, complaints, sentiment) -> dict:
    d = data_dir / "teddy2020c"
    if not d.is_dir():
        return {"skipped": f"needs {d}"}
    dev = pd.read_csv(d / "attach2_dev_1842.csv", dtype=str)
    sample = pd.read_csv(d / "attach2_sample_495.csv", dtype=str)
    s_text = [scoring_text("message", t, b) for t, b in zip(sample["留言主题"], sample["留言详情"], strict=True)]
    seen = {_key(t) for t in s_text} | {_key(str(t) + str(b)) for t, b in zip(sample["留言主题"], sample["留言详情"],
                                                                             strict=True)}
    dev = dev[~dev["text"].map(lambda t: _key(str(t)) in seen)]
    t0 = time.perf_counter()
    model = train_classifier(dev["text"].tolist(), dev["一级标签"].tolist(), CORPUS_PARAMS)
    train_s = time.perf_counter() - t0
    router = MessageRouter(train_fit_model(read_fit_rows(), read_corpus(split="train")), fit_above, model)
    t0 = time.perf_counter()
    cat = _score_messages(Scorer(sentiment, complaints, FusionParams(), router), s_text)["category"].to_numpy()
    secs = time.perf_counter() - t0
    truth = sample["一级标签"].to_numpy()
    routed = np.isin(cat, model.classes)
    alone = np.array(model.predict(s_text))
    rest = classification_metrics(truth[routed].tolist(), cat[routed].tolist(), model.classes)
    whole = classification_metrics(truth.tolist(), alone.tolist(), model.classes)
    return {"trained_on": len(dev), "train_seconds": round(train_s, 2), "scored": len(s_text),
            "docs_per_s": round(len(s_text) / secs, 1), "to_taxonomy": round(float((~routed).mean()), 4),
            "office_category": {"n": int(routed.sum()), "accuracy": round(rest.accuracy, 4),
                                "macro_f1": round(rest.macro_f1, 4)},
            "classifier_alone_on_all": {"n": len(truth), "accuracy": round(whole.accuracy, 4),
                                        "macro_f1": round(whole.macro_f1, 4)}}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.messages", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    ap.add_argument("--fit-above", type=float, default=ScoringSettings().message_fit_above,
                    help="threshold measured on the frozen and real messages (default: the shipped one)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    report = {"threshold_by_writers": threshold_by_writers(), "fit_above": args.fit_above,
              "frozen_test": frozen_test(args.fit_above)}
    complaints = train_complaint_classifier(load_taxonomy())
    with tempfile.TemporaryDirectory() as tmp:
        sentiment = make_sentiment_engine("linear", Path(tmp))
        report["teddy_fit"] = teddy_fit(args.data_dir, args.fit_above, complaints, sentiment)
        report["office"] = office(args.data_dir, args.fit_above, complaints, sentiment)
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=1))
        return 0
    w = report["threshold_by_writers"]
    print(f"threshold by writers ({w['held_out']} held-out train rows, AUC {w['auc']}): chosen {w['chosen']}")
    for g in w["grid"]:
        print(f"  {g['threshold']:.2f}  P {g['precision']:.3f}  R {g['recall']:.3f}  "
              f"outside kept out {g['outside_kept_out']:.3f}  balanced {g['balanced_accuracy']:.3f}")
    print(f"frozen test at {args.fit_above}: {json.dumps(report['frozen_test'], ensure_ascii=False)}")
    print(f"teddy labelled: {json.dumps({k: v for k, v in report['teddy_fit'].items() if k != 'grid'}, ensure_ascii=False)}")
    print(f"office classifier: {json.dumps(report['office'], ensure_ascii=False)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
