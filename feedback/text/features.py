"""Shared text featurisation: normalisation, hashed character n-grams, stop words and the jieba segmenter factory."""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from feedback.text.pii import drop_masked

_WS = re.compile(r"\s+")
_DIGITS = re.compile(r"\d+(?:\.\d+)?")
_LATIN = re.compile(r"[a-z]+")
_NON_CJK = re.compile(r"[^\u4e00-\u9fff0-9a-z\[\]]+")


def normalize(text: object) -> str:
    """NFKC (full-width → half-width), lower case, whitespace runs → one space; ``None``/NaN → ``""``."""
    if not isinstance(text, str):
        return ""
    return _WS.sub(" ", unicodedata.normalize("NFKC", text)).strip().lower()


def mask_digits(text: str) -> str:
    """Every number becomes ``0`` (a count or a house number says nothing about tone or topic), and so does a
    masked one: a comment reads the same before and after ingestion masked its phone number, and the token's
    characters ([手机号]: 手机) do not count as the mobile app's."""
    return _DIGITS.sub("0", drop_masked(text, "0"))


def mask_codes(text: str) -> str:
    """Numbers (masked ones too) and Latin runs become ``0``: anonymised place codes (A3区, K市) and ids stop
    acting as words."""
    return _LATIN.sub("0", mask_digits(text))


def strip_punct(text: str) -> str:
    """Punctuation and symbols become one space (CJK characters, digits, Latin letters and [] stay)."""
    return _NON_CJK.sub(" ", text)


PREPROCESSORS: dict[str, Callable[[str], str]] = {
    "none": lambda s: s,
    "digits": mask_digits,
    "codes": mask_codes,
    "codes_nopunct": lambda s: strip_punct(mask_codes(s)),
}


@dataclass(frozen=True)
class CharNgramHasher:
    """Stateless hashed character n-gram counts: models with equal hashers can share one count matrix."""

    ngram_min: int = 1
    ngram_max: int = 3
    n_features: int = 2**20
    preprocess: str = "digits"

    @property
    def key(self) -> tuple:
        return (self.ngram_min, self.ngram_max, self.n_features, self.preprocess)

    def _vectorizer(self):
        from sklearn.feature_extraction.text import HashingVectorizer

        return HashingVectorizer(
            analyzer="char", ngram_range=(self.ngram_min, self.ngram_max), n_features=self.n_features,
            alternate_sign=False, norm=None, lowercase=False, dtype=np.float32,
        )

    def prepare(self, texts: Iterable[object]) -> list[str]:
        fn = PREPROCESSORS[self.preprocess]
        return [fn(normalize(t)) for t in texts]

    def transform(self, texts: Sequence[object]) -> sp.csr_matrix:
        """Raw n-gram counts, one row per text (texts are normalised first): exactly sklearn's
        ``HashingVectorizer(analyzer="char")`` counts (``_vectorizer``), computed for the whole batch at once
        (``ngram_counts``) where the n-grams are at most three characters long."""
        docs = self.prepare(texts)
        if self.ngram_max <= _MAX_PACKED_N and docs:
            try:
                return ngram_counts(docs, self.ngram_min, self.ngram_max, self.n_features)
            except UnicodeEncodeError:  # a lone surrogate: let sklearn say what it says of it
                pass
        return self._vectorizer().transform(docs).tocsr()


# ---- batch n-gram hashing ----------------------------------------------------------------------------------
#
# sklearn's char analyzer builds every n-gram of every text as a Python string and hashes it (MurmurHash3 of its
# UTF-8 bytes); for short comments that is most of the cost of scoring. The same counts, batch-wise: each n-gram
# of at most three characters is packed into one int64 (each code point + 1 in 21 bits), the batch's distinct
# n-grams are hashed once with sklearn's own murmurhash3_32 and remembered, and the counts are summed by scipy.

_SKLEARN_WS = re.compile(r"\s\s+")  # sklearn's _char_ngrams collapses whitespace runs first
_MAX_PACKED_N = 3
_BITS = 21  # code points are < 0x110000 = 2**21 - 0xf0000
_MAX_REMEMBERED = 4_000_000  # distinct n-grams whose hashes a process keeps (16 bytes each)
_HASHES_LOCK = threading.Lock()
_hashes: tuple[np.ndarray, np.ndarray] = (np.zeros(0, np.int64), np.zeros(0, np.int32))  # sorted keys, hashes


def _unpack(key: int) -> str:
    chars = []
    while key:
        chars.append(chr((key & ((1 << _BITS) - 1)) - 1))
        key >>= _BITS
    return "".join(reversed(chars))


def _find(known: np.ndarray, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(where each of ``keys`` is or would be inserted in the sorted ``known``, whether it is there)."""
    at = np.searchsorted(known, keys)
    found = np.zeros(len(keys), dtype=bool)
    inside = at < len(known)
    found[inside] = known[at[inside]] == keys[inside]
    return at, found


def _murmur(keys: np.ndarray) -> np.ndarray:
    """Signed MurmurHash3 (seed 0) of the UTF-8 bytes of each packed n-gram of the sorted, distinct ``keys``."""
    global _hashes
    from sklearn.utils import murmurhash3_32

    known, hashes = _hashes
    at, found = _find(known, keys)
    out = np.empty(len(keys), dtype=np.int32)
    out[found] = hashes[at[found]]
    new = keys[~found]
    if len(new):
        out[~found] = [murmurhash3_32(_unpack(int(k)), seed=0) for k in new]
        if len(known) + len(new) <= _MAX_REMEMBERED:
            with _HASHES_LOCK:  # another thread may have added some of them since: insert the others
                known, hashes = _hashes
                at, there = _find(known, new)
                _hashes = (np.insert(known, at[~there], new[~there]), np.insert(hashes, at[~there], out[~found][~there]))
    return out


def ngram_counts(docs: Sequence[str], ngram_min: int, ngram_max: int, n_features: int) -> sp.csr_matrix:
    """Counts of the hashed character n-grams (``ngram_min``..``ngram_max`` ≤ 3) of prepared texts, the same
    matrix as sklearn's ``HashingVectorizer(analyzer="char", alternate_sign=False, norm=None, lowercase=False,
    dtype=float32)`` gives (column = |h| mod ``n_features`` of the n-gram's signed MurmurHash3)."""
    if _SKLEARN_WS.search("\0".join(docs)):  # prepared texts have none: one scan instead of one per text
        docs = [_SKLEARN_WS.sub(" ", d) for d in docs]
    lens = np.fromiter((len(d) for d in docs), dtype=np.int64, count=len(docs))
    cps = np.frombuffer("".join(docs).encode("utf-32-le"), dtype=np.uint32).astype(np.int64) + 1
    doc_of = np.repeat(np.arange(len(docs)), lens)
    left = np.repeat(lens, lens) - (np.arange(len(cps)) - np.repeat(np.cumsum(lens) - lens, lens))  # chars to its end
    keys, rows = [], []
    for n in range(ngram_min, ngram_max + 1):
        starts = np.flatnonzero(left >= n)
        key = cps[starts]
        for k in range(1, n):
            key = (key << _BITS) | cps[starts + k]
        keys.append(key)
        rows.append(doc_of[starts])
    key, row = np.concatenate(keys), np.concatenate(rows)
    distinct, inverse = np.unique(key, return_inverse=True)
    h = _murmur(distinct).astype(np.int64)
    cols = np.where(h == -(2**31), (2**31 - 1 - (n_features - 1)) % n_features, np.abs(h) % n_features)
    counts = sp.csr_matrix((np.ones(len(key), dtype=np.float32), (row, cols[inverse.ravel()].astype(np.int32))),
                           shape=(len(docs), n_features), dtype=np.float32)
    counts.sum_duplicates()
    return counts


def tfidf_rows(counts: sp.csr_matrix, idf: np.ndarray) -> sp.csr_matrix:
    """Sublinear tf (1 + log tf) × idf, rows scaled to unit L2 norm (TfidfTransformer's maths, without checks)."""
    x = sp.csr_matrix(counts, dtype=np.float32, copy=True)
    rows = np.repeat(np.arange(x.shape[0]), np.diff(x.indptr))
    x.data = (np.log(x.data) + 1.0) * idf[x.indices]
    norms = np.sqrt(np.bincount(rows, weights=x.data * x.data, minlength=x.shape[0]))
    norms[norms == 0] = 1.0
    x.data /= norms[rows].astype(np.float32)
    return x


def compact_columns(x: sp.csr_matrix) -> tuple[sp.csr_matrix, np.ndarray]:
    """(x restricted to its non-empty columns, their original indices): hashed spaces are mostly empty, and
    solvers pay for every column."""
    active = np.unique(x.indices)
    remap = np.zeros(x.shape[1], dtype=np.int64)
    remap[active] = np.arange(len(active))
    return sp.csr_matrix((x.data, remap[x.indices], x.indptr), shape=(x.shape[0], len(active))), active


def fit_idf(counts: sp.csr_matrix) -> np.ndarray:
    """Smoothed idf of each hashed column: log((1 + n) / (1 + df)) + 1."""
    n = counts.shape[0]
    df = np.bincount(counts.indices, minlength=counts.shape[1])
    return (np.log((1.0 + n) / (1.0 + df)) + 1.0).astype(np.float32)


def trie_regex(words: Iterable[str]) -> str:
    """One regex matching any word, longest first (a character trie compiled to nested groups)."""
    trie: dict = {}
    for w in words:
        node = trie
        for ch in w:
            node = node.setdefault(ch, {})
        node[""] = True

    def build(node: dict) -> str:
        end = "" in node
        alts = [re.escape(ch) + build(sub) for ch, sub in sorted(node.items()) if ch != ""]
        if not alts:
            return ""
        body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
        return f"(?:{body})?" if end else body

    return build(trie)


# ---- stop words --------------------------------------------------------------------------------------------


def default_stopwords_path() -> Path:
    return Path(str(resources.files("feedback").joinpath("data/stopwords.txt")))


def load_stopwords(path: Path | str | None = None) -> frozenset[str]:
    """Stop words, one per line (``#`` comments allowed); default = the packaged ``data/stopwords.txt``."""
    p = Path(path) if path is not None else default_stopwords_path()
    words = []
    for line in p.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            words.append(line)
    return frozenset(words)


# ---- jieba segmenter ---------------------------------------------------------------------------------------

_JIEBA_LOCK = threading.Lock()


def make_segmenter(user_words: Iterable[str] = (), dict_path: Path | str | None = None) -> Callable[[str], list[str]]:
    """A jieba word segmenter of its own (jieba's global state untouched); its dictionary loads at first use.

    ``user_words`` are added so that domain terms (人脸识别, 社保卡, 一窗受理) stay whole.
    """
    extra = tuple(w for w in user_words if w)
    state: dict[str, object] = {}

    def tokenizer():
        tok = state.get("tok")
        if tok is None:
            with _JIEBA_LOCK:
                tok = state.get("tok")
                if tok is None:
                    import logging

                    import jieba

                    jieba.setLogLevel(logging.WARNING)
                    tok = jieba.Tokenizer(dictionary=str(dict_path)) if dict_path else jieba.Tokenizer()
                    tok.initialize()
                    for w in extra:
                        tok.add_word(w, freq=max(tok.suggest_freq(w, False), 1000))
                    state["tok"] = tok
        return tok

    def segment(text: str) -> list[str]:
        return [w for w in tokenizer().lcut(text, HMM=True) if w.strip()]

    return segment
