"""Fusion of text sentiment with the star rating, and the hidden-complaint rule."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

LABELS = ("neg", "neu", "pos")


@dataclass(frozen=True)
class FusionParams:
    """How text and rating combine. Levels are normalised (1 = 非常不满意 … 5 = 非常满意)."""

    # P(positive) that a rating level alone implies.
    level_prior: tuple[float, float, float, float, float] = (0.05, 0.2, 0.55, 0.8, 0.95)
    text_weight: float = 0.6  # share of the text's log-odds in the fused log-odds (the rest: the rating's)
    neg_below: float = 0.35  # fused score below this → "neg"
    pos_above: float = 0.65  # fused score above this → "pos"; between → "neu"
    hidden_below: float = 0.3  # text P(positive) below this makes a 基本满意-or-better rating a hidden complaint
    # With the complaint detector (feedback.scoring.detector): a hidden complaint is a detector probability of at
    # least ``complaint_above`` on a text whose P(positive) is below ``hidden_text_below`` (hidden_below is then
    # not used).
    complaint_above: float = 0.55
    hidden_text_below: float = 0.5
    hidden_min_level: int = 3  # 基本满意
    # With the detector: a clause after the first that opens with a turn word (但/不过/就是 …) and passes the same
    # two thresholds also makes the rating a hidden complaint (feedback.scoring.clauses.turn_clauses).
    hidden_turns: bool = True


DEFAULT_FUSION = FusionParams()


def _logit(p: float) -> float:
    p = min(max(p, 1e-6), 1 - 1e-6)
    return math.log(p / (1 - p))


def _missing(x) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def label_of(score: float, params: FusionParams = DEFAULT_FUSION) -> str:
    """"neg" / "neu" / "pos" of a score in [0, 1]."""
    if score < params.neg_below:
        return "neg"
    if score > params.pos_above:
        return "pos"
    return "neu"


def fuse_one(text_p_pos: float | None, level: int | None,
             params: FusionParams = DEFAULT_FUSION) -> tuple[str, float]:
    """(label, score in [0, 1]) of one record from its text's P(positive) and its normalised rating level.

    Either may be missing (``None``/NaN): a message without a rating is judged by its text alone, a rating
    without text by its level alone (基本满意 → "neu"). With both, the log-odds are mixed by ``text_weight``.
    """
    has_text, has_level = not _missing(text_p_pos), not _missing(level)
    if has_level:
        level = int(level)
        if not 1 <= level <= 5:
            raise ValueError(f"rating level must be 1..5 (5 = best), got {level}")
    if not has_text and not has_level:
        return "neu", 0.5
    if not has_text:
        score = params.level_prior[level - 1]
        return ("neu" if level == 3 else label_of(score, params)), score
    p = float(text_p_pos)
    if not has_level:
        return label_of(p, params), p
    z = params.text_weight * _logit(p) + (1 - params.text_weight) * _logit(params.level_prior[level - 1])
    score = 1.0 / (1.0 + math.exp(-z))
    return label_of(score, params), score


def fuse(text_p_pos, level, params: FusionParams = DEFAULT_FUSION):
    """:func:`fuse_one` for scalars; for arrays/lists, returns (labels array, scores array)."""
    if np.ndim(text_p_pos) == 0 and np.ndim(level) == 0:
        return fuse_one(text_p_pos, level, params)
    n = max(np.size(text_p_pos), np.size(level))
    ps = np.broadcast_to(np.asarray(text_p_pos, dtype=object), (n,))
    ls = np.broadcast_to(np.asarray(level, dtype=object), (n,))
    pairs = [fuse_one(p, lv, params) for p, lv in zip(ps, ls, strict=True)]
    return np.array([a for a, _ in pairs], dtype=object), np.array([b for _, b in pairs], dtype=float)


def complains(p_complaint: float, text_p_pos: float, params: FusionParams = DEFAULT_FUSION) -> bool:
    """The detector says complaint (≥ ``complaint_above``) and the general sentiment does not call the text
    positive (P(positive) < ``hidden_text_below``): of a whole text, or of one clause after a turn."""
    return float(p_complaint) >= params.complaint_above and float(text_p_pos) < params.hidden_text_below


def is_hidden_complaint(level: int | None, text_p_pos: float | None,
                        params: FusionParams = DEFAULT_FUSION, p_complaint: float | None = None,
                        turns: Sequence[tuple[float, float]] = ()) -> bool:
    """A 基本满意-or-better rating (level ≥ 3) whose text complains.

    With the complaint detector's probability ``p_complaint``: the detector says complaint (≥
    ``complaint_above``) and the general sentiment does not call the text positive (P(positive) <
    ``hidden_text_below``). Without it (a version trained before the detector, or no corpus): P(positive) <
    ``hidden_below``. ``turns``: (P(complaint), P(positive)) of each clause of the text that opens with a turn
    word (但/不过/就是 …); with ``hidden_turns`` one that :func:`complains` is enough, as the whole text is
    ("态度很好，就是等了两个小时" reads as praise as a whole). Records without a rating or without text are never
    hidden complaints: a message with no rating is a plain complaint or not, and a bare rating says what it says.
    """
    if _missing(level) or _missing(text_p_pos) or int(level) < params.hidden_min_level:
        return False
    if _missing(p_complaint):
        return float(text_p_pos) < params.hidden_below
    return complains(p_complaint, text_p_pos, params) or (
        params.hidden_turns and any(complains(c, p, params) for c, p in turns))
