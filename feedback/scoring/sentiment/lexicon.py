"""Rule-based lexicon scoring: sentiment words with negation, degree, contrast clauses and emoticons."""

from __future__ import annotations

import hashlib
import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np

from feedback.text.features import normalize, trie_regex

WORD_GROUPS = {"strong_pos": 2.0, "pos": 1.0, "neutral": 0.0, "neg": -1.0, "strong_neg": -2.0}
EMOTICON_GROUPS = {"strong_pos": 2.0, "pos": 1.0, "neg": -1.0, "strong_neg": -2.0,
                   "emoji_pos": 1.5, "emoji_neg": -1.5}
# Columns of Lexicon.features(): word score, emoticon score, positive hits, negative hits, neutral hits.
FEATURES = ("lex_score", "emo_score", "n_pos", "n_neg", "n_neutral")

_BRACKET = re.compile(r"\[([^\[\]]{1,10})\]")
_CLAUSE_TAIL = re.compile(r"[^,.!?;:~，。！？；：、…\s]*$")


class LexiconError(ValueError):
    """The lexicon file is malformed; the message names the offending key."""


@dataclass(frozen=True)
class Lexicon:
    """Compiled lexicon; build it with :func:`load_lexicon`."""

    terms: dict[str, float]
    neutral: frozenset[str]
    emoticons: dict[str, float]
    emoji: dict[str, float]
    flip_pos: float
    flip_neg: float
    strong_factor: float
    weak_factor: float
    before_factor: float
    after_factor: float
    digest: str
    _re: dict = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def build(cls, data: dict, digest: str) -> Lexicon:
        def section(key: str) -> dict:
            val = data.get(key, {})
            if not isinstance(val, dict):
                raise LexiconError(f"[{key}] must be a table")
            return val

        def strings(tab: dict, path: str, key: str) -> list[str]:
            val = tab.get(key, [])
            if not isinstance(val, list) or not all(isinstance(v, str) and v for v in val):
                raise LexiconError(f"{path}.{key} must be a list of non-empty strings")
            return [normalize(v) for v in val]

        words, neg, deg, con, emo = (section(k) for k in ("words", "negation", "degree", "contrast", "emoticons"))
        terms = dict.fromkeys(strings(words, "words", "blockers"), 0.0)
        for group, w in WORD_GROUPS.items():
            terms.update(dict.fromkeys(strings(words, "words", group), w))
        neutral = frozenset(strings(words, "words", "neutral"))
        emoticons, emoji = {}, {}
        for group, w in EMOTICON_GROUPS.items():
            (emoji if group.startswith("emoji") else emoticons).update(
                dict.fromkeys(strings(emo, "emoticons", group), w))
        negators = strings(neg, "negation", "negators")
        degrees = strings(deg, "degree", "strong") + strings(deg, "degree", "weak")
        fillers = str(neg.get("fillers", ""))

        def num(tab: dict, path: str, key: str, default: float) -> float:
            val = tab.get(key, default)
            if not isinstance(val, int | float) or isinstance(val, bool):
                raise LexiconError(f"{path}.{key} must be a number")
            return float(val)

        lex = cls(terms, neutral, emoticons, emoji, num(neg, "negation", "flip_pos", 0.9),
                  num(neg, "negation", "flip_neg", 0.4), num(deg, "degree", "strong_factor", 1.4),
                  num(deg, "degree", "weak_factor", 0.6), num(con, "contrast", "before_factor", 0.6),
                  num(con, "contrast", "after_factor", 1.4), digest)
        alt = lambda ws: "|".join(re.escape(w) for w in sorted(set(ws), key=len, reverse=True))  # noqa: E731
        filler = f"(?:{alt(degrees)}|[{re.escape(fillers)}])" if fillers or degrees else "(?!)"
        lex._re.update(
            term=re.compile(trie_regex(terms)),
            negated=re.compile(f"(?:{alt(negators)}){filler}{{0,3}}$") if negators else re.compile("(?!)"),
            strong=re.compile(f"(?:{alt(strings(deg, 'degree', 'strong'))})$"),
            weak=re.compile(f"(?:{alt(strings(deg, 'degree', 'weak'))})$"),
            contrast=re.compile(alt(strings(con, "contrast", "words")) or "(?!)"),
            emoji=re.compile(alt(emoji) or "(?!)"),
        )
        return lex

    def score_one(self, text: str) -> tuple[float, float, int, int, int]:
        """(word score, emoticon score, positive hits, negative hits, neutral hits) of one normalised text."""
        emo = 0.0
        if "[" in text:
            for m in _BRACKET.finditer(text):
                emo += self.emoticons.get(m.group(1), 0.0)
            text = _BRACKET.sub("，", text)
        if self.emoji:
            for m in self._re["emoji"].finditer(text):
                emo += self.emoji[m.group()]
        cut = -1
        for m in self._re["contrast"].finditer(text):
            cut = m.end()
        score, npos, nneg, nneu = 0.0, 0, 0, 0
        terms, negated, strong, weak = self.terms, self._re["negated"], self._re["strong"], self._re["weak"]
        for m in self._re["term"].finditer(text):
            word = m.group()
            w = terms.get(word, 0.0)
            if w == 0.0:
                nneu += word in self.neutral
                continue
            start = m.start()
            prefix = _CLAUSE_TAIL.search(text, max(0, start - 6), start).group()
            if prefix and negated.search(prefix):
                w = -self.flip_pos * w if w > 0 else -self.flip_neg * w
            elif prefix and strong.search(prefix):
                w *= self.strong_factor
            elif prefix and weak.search(prefix):
                w *= self.weak_factor
            if cut >= 0:
                w *= self.after_factor if start >= cut else self.before_factor
            score += w
            if w > 0:
                npos += 1
            else:
                nneg += 1
        return score, emo, npos, nneg, nneu

    def features(self, texts: Sequence[str], normalised: bool = False) -> np.ndarray:
        """Matrix of :data:`FEATURES` (float32), one row per text."""
        out = np.zeros((len(texts), len(FEATURES)), dtype=np.float32)
        for i, t in enumerate(texts):
            out[i] = self.score_one(t if normalised else normalize(t))
        return out


def default_lexicon_path() -> Path:
    return Path(str(resources.files("feedback").joinpath("data/sentiment_lexicon.toml")))


def load_lexicon(path: Path | str | None = None) -> Lexicon:
    """Parse and compile a lexicon TOML file (default: the packaged ``data/sentiment_lexicon.toml``)."""
    p = Path(path) if path is not None else default_lexicon_path()
    raw = p.read_bytes()
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise LexiconError(f"{p}: {exc}") from exc
    return Lexicon.build(data, hashlib.sha256(raw).hexdigest()[:16])
