"""``haocha eval complaints``: the default pipeline measured exactly as ``haocha score`` applies it (pure).

The texts (with their ratings, when given) go through :meth:`Scorer.score` as ordinary rating records, so
fusion, the hidden-complaint rule, the signal gate, thresholds and ``other`` all act as in production. Labels:
a first-level category slug (a complaint), the taxonomy's ``other`` slug (a complaint outside the taxonomy), or
anything else (praise, neutral …: not a complaint).
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np
import pandas as pd

from feedback.scoring.evaluation import classification_metrics
from feedback.scoring.scorer import Scorer

NONE = "none"  # a complaint the pipeline gave no category at all (no complaint signal)
HIDDEN_FROM = 3  # 基本满意 or better: where a complaint is a hidden one


def _ratio(num: int, den: int) -> float | None:
    return round(num / den, 4) if den else None


def _binary(truth: np.ndarray, pred: np.ndarray) -> dict:
    tp = int((truth & pred).sum())
    return {"n": int(len(truth)), "positives": int(truth.sum()), "flagged": int(pred.sum()),
            "precision": _ratio(tp, int(pred.sum())), "recall": _ratio(tp, int(truth.sum()))}


def evaluate_complaints(scorer: Scorer, texts: Sequence[str], labels: Sequence[str],
                        ratings: Sequence[int | None] | None = None) -> dict:
    """Top-1 accuracy, macro-F1, per-class P/R/F1, confusion and ``other`` share over the complaint rows;
    hidden-complaint precision/recall (complaint labels under a rating ≥ 3) when ratings are given;
    complaint-vs-praise accuracy of the text sentiment (P(positive) < 0.5 = complaint); docs/s of scoring."""
    tax = scorer.complaints.taxonomy
    slugs, other = list(tax.slugs), tax.other_slug
    n = len(texts)
    if len(labels) != n or (ratings is not None and len(ratings) != n):
        raise ValueError("texts, labels and ratings must have the same length")
    levels = [None] * n if ratings is None else [None if r is None or pd.isna(r) else int(r) for r in ratings]
    frame = pd.DataFrame({"record_id": np.arange(1, n + 1), "kind": "rating", "level": pd.array(levels, "Int64"),
                          "tags": None, "title": None, "text": list(texts)})
    scorer.score(frame.head(1))  # models train or load on first use: not part of the scoring speed
    start = time.perf_counter()
    scored = scorer.score(frame)
    seconds = time.perf_counter() - start
    pred = np.array([c if isinstance(c, str) else NONE for c in scored["category"]], dtype=object)
    truth = np.array([str(v) for v in labels], dtype=object)
    complaint = np.isin(truth, slugs + [other])
    in_tax = np.isin(truth, slugs)
    report: dict = {"n": n, "complaints": int(complaint.sum()), "scoring_version": scorer.version,
                    "docs_per_s": round(n / seconds, 1) if seconds > 0 else None}
    if complaint.any():
        seen = [s for s in slugs if s in set(truth[complaint])] + ([other] if (truth == other).any() else [])
        res = classification_metrics(truth[complaint], pred[complaint], seen)
        full = classification_metrics(truth[complaint], pred[complaint], slugs + [other, NONE])
        report.update(top1=round(res.accuracy, 4), macro_f1=round(res.macro_f1, 4),
                      per_class={k: {m: round(v, 4) for m, v in d.items()} for k, d in res.per_class.items()},
                      confusion={"labels": full.labels, "matrix": full.confusion})
    if in_tax.any():
        report["other_share"] = round(float(np.isin(pred[in_tax], [other, NONE]).mean()), 4)
    text_p = np.array([np.nan if v is None or pd.isna(v) else float(v) for v in scored["text_score"]])
    judged = ~np.isnan(text_p)
    report["complaint_vs_praise"] = {"n": int(judged.sum()), "accuracy": _ratio(
        int(((text_p[judged] < 0.5) == complaint[judged]).sum()), int(judged.sum()))}
    if ratings is not None:
        lv = np.array([-1 if v is None else v for v in levels])
        good = lv >= HIDDEN_FROM
        report["hidden_complaints"] = _binary(complaint[good], scored["hidden_complaint"].to_numpy(bool)[good])
    return report


def report_lines(r: dict) -> list[str]:
    """The report as short lines for the terminal."""
    f = lambda v: "—" if v is None else f"{v:.4f}"  # noqa: E731
    lines = [f"scoring version {r['scoring_version']}: {r['n']:,} texts, {r['complaints']:,} complaints, "
             f"{r['docs_per_s'] or 0:,.0f} docs/s"]
    if "top1" in r:
        lines.append(f"category top-1 {f(r['top1'])}, macro-F1 {f(r['macro_f1'])}, "
                     f"other or none {f(r.get('other_share'))}")
        lines += [f"  {k:<22} P {v['precision']:.3f}  R {v['recall']:.3f}  F1 {v['f1']:.3f}  n {v['support']}"
                  for k, v in r["per_class"].items()]
    c = r["complaint_vs_praise"]
    lines.append(f"complaint vs praise from the text: accuracy {f(c['accuracy'])} (n={c['n']:,})")
    if "hidden_complaints" in r:
        h = r["hidden_complaints"]
        lines.append(f"hidden complaints (rating ≥ {HIDDEN_FROM}): precision {f(h['precision'])}, recall "
                     f"{f(h['recall'])} ({h['positives']:,} of {h['n']:,} rows are complaints, {h['flagged']:,} "
                     "flagged)")
    return lines


def read_eval_table(path: str, text_col: str, label_col: str, rating_col: str | None = None,
                    split: str | None = None) -> tuple[list[str], list[str], list[int | None] | None]:
    """(texts, labels, ratings) of a labelled file: tab-separated (the corpus format), CSV, XLSX or JSONL.
    ``split``: only rows whose ``split`` column has this value (e.g. ``test``). Errors name file and column."""
    from pathlib import Path

    from feedback.scoring.corpus import LabelledDataError, _read

    p = Path(path)
    if not p.exists():
        raise LabelledDataError(f"{p}: no such file")
    with open(p, "rb") as fh:
        head = fh.readline()
    if p.suffix.lower() == ".tsv" or (b"\t" in head and b"," not in head):
        frame = pd.read_csv(p, sep="\t", quoting=3, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    else:
        frame = _read(p)
    if split is not None:
        if "split" not in frame.columns:
            raise LabelledDataError(f"{p}: --split given but no column 'split'")
        frame = frame[frame["split"].astype(str).str.strip() == split]
    for col in (text_col, label_col, rating_col):
        if col is not None and col not in frame.columns:
            raise LabelledDataError(f"{p}: no column {col!r} (columns: {', '.join(map(str, frame.columns))})")
    frame = frame[frame[text_col].astype(str).str.strip().ne("") & frame[label_col].astype(str).str.strip().ne("")]
    if frame.empty:
        raise LabelledDataError(f"{p}: no labelled rows")
    ratings = None
    if rating_col is not None:
        raw = pd.to_numeric(frame[rating_col], errors="coerce")
        ratings = [None if pd.isna(v) else int(v) for v in raw]
    return (frame[text_col].astype(str).str.strip().tolist(), frame[label_col].astype(str).str.strip().tolist(),
            ratings)
