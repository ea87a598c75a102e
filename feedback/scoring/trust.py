"""How far to trust the 模型 screen's figures: held-out corpus figures, gold labels, what 其他 means (pure panel)."""

from __future__ import annotations

import json
import logging
import os
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from feedback.scoring.labelled_corpus import read_corpus

MIN_GOLD = 30  # fewer gold labels than this: no accuracy, only "样本不足，仅供参考"
FEW_GOLD = "样本不足，仅供参考"
CACHE_PREFIX = "trust-"


def held_out_rows(directory: Path | str | None = None) -> tuple[list[str], list[str], list[int | None]]:
    """(texts, labels, ratings) of the frozen ``test`` part of the shipped corpus (never trained or tuned on)."""
    rows = read_corpus(directory, split="test")
    return [r.text for r in rows], [r.label for r in rows], [r.rating for r in rows]


def held_out_report(scorer, directory: Path | str | None = None) -> dict | None:
    """The scorer measured on the held-out corpus as ``haocha eval complaints`` measures it; None without rows."""
    from feedback.scoring.complaint_eval import evaluate_complaints

    texts, labels, ratings = held_out_rows(directory)
    if not texts:
        return None
    report = evaluate_complaints(scorer, texts, labels, ratings)
    report.pop("docs_per_s", None)  # a timing, not a property of the model
    report.pop("confusion", None)
    return report


def cache_path(models_dir: Path, version: str) -> Path:
    return Path(models_dir) / f"{CACHE_PREFIX}{re.sub(r'[^0-9A-Za-z_.-]', '_', version)}.json"


def cached_held_out(models_dir: Path, version: str, measure: Callable[[], dict | None]) -> dict | None:
    """The held-out report of ``version``, measured once (``measure``) and kept beside its models."""
    path = cache_path(models_dir, version)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        pass
    report = measure()
    if report is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(report, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, path)
    return report


_running: set[Path] = set()
_lock = threading.Lock()


def held_out_or_start(models_dir: Path, version: str, measure: Callable[[], dict | None]) -> tuple[dict | None, bool]:
    """(the cached held-out report of ``version`` or None, whether it is being measured now). Without a cached
    report, ``measure`` runs once in a background thread (about ten seconds) so a page never waits for it."""
    path = cache_path(models_dir, version)
    if path.exists():
        return cached_held_out(models_dir, version, measure), False
    with _lock:
        if path in _running:
            return None, True
        _running.add(path)

    def run() -> None:
        try:
            cached_held_out(models_dir, version, measure)
        except Exception:  # the panel then says the figures are missing; the next view retries
            logging.getLogger(__name__).exception("held-out figures of %s failed", version)
        finally:
            with _lock:
                _running.discard(path)

    threading.Thread(target=run, name="haocha-trust", daemon=True).start()
    return None, True


@dataclass(frozen=True)
class TrustPanel:
    held_out: dict | None  # n, complaints, top1, macro_f1, other_share, hidden_complaints … (see held_out_report)
    gold_n: int
    gold_enough: bool  # at least MIN_GOLD gold labels: the agreement figures may be shown
    gold_accuracy: float | None  # only when gold_enough
    gold_macro_f1: float | None
    gold_note: str  # one sentence about the gold labels, always shown
    other_name: str
    other_meaning: str


def trust_panel(held_out: dict | None, agreement: dict | None, n_gold: int, other_name: str, other_below: float,
                min_gold: int = MIN_GOLD) -> TrustPanel:
    """The panel from the held-out report, the gold agreement (``gold_agreement``) and the number of gold labels:
    below ``min_gold`` labels no accuracy is given (one correction would read as "准确率 0.0 %")."""
    enough = agreement is not None and n_gold >= min_gold
    if n_gold == 0:
        note = "尚无人工标注：上面的留出集成绩是唯一的参考。在“评价明细”中更正类别即成为人工标注。"
    elif agreement is None:
        note = f"已有 {n_gold:,} 条人工标注，尚无评分版本可比较。"
    elif not enough:
        note = (f"已有 {n_gold:,} 条人工标注，少于 {min_gold} 条，{FEW_GOLD}（其中 "
                f"{round(agreement['accuracy'] * agreement['n']):,} 条与模型一致）。")
    else:
        note = f"{n_gold:,} 条人工标注（模型结果在不看标注的情况下计算）。"
    meaning = (f"“{other_name}”是有投诉信号、但无法可靠归入任何已知类别的评价：内容超出分类体系，或模型对最可能"
               f"类别的把握低于 {other_below:.0%}。它的占比高，说明分类体系或训练数据没有覆盖本地的常见问题，"
               "而不是这些评价不重要。12345 留言多为分类体系之外的城市事务，归入该类是应有之义，"
               "不计入本页的类别构成与占比。")
    return TrustPanel(
        held_out=held_out, gold_n=n_gold, gold_enough=enough,
        gold_accuracy=agreement["accuracy"] if enough else None,
        gold_macro_f1=agreement["macro_f1"] if enough else None,
        gold_note=note, other_name=other_name, other_meaning=meaning,
    )
