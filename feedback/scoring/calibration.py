"""Thresholds of the complaint pipeline from held-out scores (pure functions).

The open-set ``other`` rule and the hidden-complaint rule; ``python -m bench.complaints`` feeds them held-out
corpus ``train`` rows, never the frozen ``test`` rows."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def calibrate_other_below(in_taxonomy: Sequence[float], outside: Sequence[float] = (), target_other: float = 0.05,
                          groups: Sequence[str] | None = None) -> dict:
    """The open-set threshold from held-out best-category confidences: the largest value that files at most
    ``target_other`` of in-taxonomy texts as ``other``; with the share of in-taxonomy texts it files as other and
    the recall on out-of-taxonomy texts (``outside``) that it reaches. With ``groups`` (one per in-taxonomy
    confidence: the corpus part, i.e. the writers, it comes from) the bound holds in every group, not only in the
    pool: the threshold is the lowest group's, so writers whom the model reads less surely do not pay for those it
    reads well."""
    ins = np.asarray(in_taxonomy, dtype=float)
    if not len(ins):
        raise ValueError("no in-taxonomy confidences to calibrate on")
    threshold = pooled = _largest_within(ins, target_other)
    by_group = {}
    if groups is not None:
        g = np.asarray(groups)
        by_group = {str(k): _largest_within(ins[g == k], target_other) for k in sorted(set(g.tolist()))}
        threshold = min([threshold, *by_group.values()])
    out = np.asarray(outside, dtype=float)
    res = {"other_below": round(threshold, 4), "n_in": int(len(ins)), "n_out": int(len(out)),
           "other_rate_in": float((ins < threshold).mean()),
           "recall_out": float((out < threshold).mean()) if len(out) else None}
    if by_group:
        res["pooled_other_below"] = round(pooled, 4)
        res["other_below_by_group"] = {k: round(v, 4) for k, v in by_group.items()}
    return res


def _largest_within(confidences: np.ndarray, target_other: float) -> float:
    """The largest threshold under which at most ``target_other`` of ``confidences`` fall."""
    ins = np.sort(confidences)
    k = int(np.floor(target_other * len(ins)))
    return float(ins[k]) if k < len(ins) else float(ins[-1])


def hidden_grid(is_complaint: Sequence[bool], p_complaint: Sequence[float], p_pos: Sequence[float],
                complaint_above: Sequence[float], text_below: Sequence[float],
                turns: Sequence[Sequence[tuple[float, float]]] | None = None) -> list[dict]:
    """Precision and recall of the hidden-complaint rule (detector ≥ ``complaint_above`` and P(positive) <
    ``text_below``) for every pair of thresholds, on held-out texts under a 基本满意-or-better rating. With
    ``turns`` (per text, the (P(complaint), P(positive)) of each clause after a turn word), a clause that passes
    both thresholds also flags its text, as ``[scoring] hidden_turns`` does."""
    truth = np.asarray(is_complaint, dtype=bool)
    pc, pp = np.asarray(p_complaint, dtype=float), np.asarray(p_pos, dtype=float)
    owner = np.array([i for i, ts in enumerate(turns or ()) for _ in ts], dtype=int)
    tc = np.array([c for ts in turns or () for c, _ in ts], dtype=float)
    tq = np.array([q for ts in turns or () for _, q in ts], dtype=float)
    out = []
    for a in complaint_above:
        for b in text_below:
            flag = (pc >= a) & (pp < b)
            flag[owner[(tc >= a) & (tq < b)]] = True
            tp = int((flag & truth).sum())
            out.append({"complaint_above": a, "hidden_text_below": b, "flagged": int(flag.sum()),
                        "precision": round(tp / flag.sum(), 4) if flag.any() else None,
                        "recall": round(tp / truth.sum(), 4) if truth.any() else None})
    return out
