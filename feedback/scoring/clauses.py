"""Clauses of a comment, and category scores that weigh its leading clauses most.

A comment of several problems names its main one first, which character n-grams of the whole text cannot see
(docs/scoring.md, "The main problem comes first")."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import numpy as np

# Where one clause of a comment ends: punctuation (full-width forms are half-width after ``normalize``), spaces.
_CLAUSE_END = re.compile(r"[,.!?;:，。！？；：、…~～\s]+")
MAX_CLAUSES = 8  # later clauses weigh under lead_decay ** 8 (0.01 %) at the default decay
# A clause after the first that opens with one of these turns from what came before: "态度很好，就是等了两个小时",
# "办下来了，感谢，但前后跑了三次". Praise first and the complaint after the turn is how a hidden complaint is
# most often written; the whole text reads as praise (docs/scoring.md, "The complaint after a turn").
_TURN = re.compile(r"(但是|但|可是|不过|就是|只是|可惜|然而|却|唯一|美中不足)..")  # and what it says


def clauses(text: str) -> list[str]:
    """The clauses of a (normalised) text, in order: the pieces between punctuation of two characters or more,
    at most ``MAX_CLAUSES``."""
    return [c for c in _CLAUSE_END.split(text) if len(c) >= 2][:MAX_CLAUSES]


def lead_scores(norm: Sequence[str], cat_p: np.ndarray, sub_p: np.ndarray,
                score: Callable[[list[str]], tuple[np.ndarray, np.ndarray]], mix: float, decay: float
                ) -> tuple[np.ndarray, np.ndarray]:
    """Whole-text scores (``cat_p``, ``sub_p``) mixed with the clause-weighted scores of each text of two clauses
    or more: ``(1 - mix) * whole + mix * sum_j decay**j * clause_j / sum_j decay**j``. ``score(clauses)`` gives
    the clauses' (category, second-level) scores. A comment of several problems names its main one first; the
    whole text cannot tell which came first (measured in docs/scoring.md)."""
    pieces = [clauses(t) for t in norm]
    multi = [i for i, p in enumerate(pieces) if len(p) >= 2]
    if not multi:
        return cat_p, sub_p
    flat = [c for i in multi for c in pieces[i]]
    c_cat, c_sub = score(flat)
    sizes = np.array([len(pieces[i]) for i in multi])
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    w = decay ** (np.arange(len(flat)) - np.repeat(starts, sizes))
    norm_w = np.add.reduceat(w, starts)
    cat_p, sub_p = cat_p.copy(), sub_p.copy()
    for whole, part in ((cat_p, c_cat), (sub_p, c_sub)):
        pooled = np.add.reduceat(part * w[:, None], starts, axis=0) / norm_w[:, None]
        whole[multi] = (1.0 - mix) * whole[multi] + mix * pooled
    return cat_p, sub_p


def turn_clauses(norm: Sequence[str]) -> list[tuple[int, str]]:
    """(text position, clause) for each clause of a (normalised) text, after its first, that opens with a turn
    word (但/但是/不过/就是/只是/可惜 …): where a comment that starts with praise says what was wrong."""
    return [(i, c) for i, t in enumerate(norm) for j, c in enumerate(clauses(t)) if j and _TURN.match(c)]


def scored_turns(norm: Sequence[str], score: Callable[[list[str]], tuple[np.ndarray, np.ndarray]]
                 ) -> list[list[tuple[str, float, float]]]:
    """Per (normalised) text, each of its ``turn_clauses`` with its (P(complaint), P(positive)): (clause,
    P(complaint), P(positive)), all clauses scored in one call of ``score(clauses)``; an empty list for a text
    without."""
    found = turn_clauses(norm)
    out: list[list[tuple[str, float, float]]] = [[] for _ in norm]
    if found:
        pc, pp = score([c for _, c in found])
        for (k, clause), c, q in zip(found, pc, pp, strict=True):
            out[k].append((clause, float(c), float(q)))
    return out


def turn_scores(norm: Sequence[str], score: Callable[[list[str]], tuple[np.ndarray, np.ndarray]]
                ) -> list[list[tuple[float, float]]]:
    """``scored_turns`` without the clauses: per text the (P(complaint), P(positive)) of each turn clause."""
    return [[(c, q) for _, c, q in t] for t in scored_turns(norm, score)]
