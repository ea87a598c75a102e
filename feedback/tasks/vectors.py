"""Fast character n-gram TF-IDF vectors of short Chinese texts, computed with numpy (no Python loop per gram)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import sparse

_BASE = np.uint64(0x110000)  # one more than the largest code point: n-gram ids never collide


def _codes(docs: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Code points of all documents joined by a separator (0), and each position's document number."""
    joined = "\x00".join(docs) + "\x00"
    codes = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    lengths = np.fromiter((len(d) + 1 for d in docs), dtype=np.int64, count=len(docs))
    doc_of = np.repeat(np.arange(len(docs), dtype=np.int64), lengths)
    return codes, doc_of


def char_tfidf(
    docs: Sequence[str],
    *,
    ngrams: tuple[int, ...] = (2, 3),
    min_df: int = 1,
    max_df: float = 1.0,
    sublinear_tf: bool = True,
) -> sparse.csr_matrix:
    """Rows are L2-normalised TF-IDF vectors (smooth idf, like scikit-learn's TfidfVectorizer)."""
    n = len(docs)
    if n == 0:
        return sparse.csr_matrix((0, 0), dtype=np.float32)
    codes, doc_of = _codes(docs)
    ids, rows = [], []
    for size in ngrams:
        if len(codes) < size:
            continue
        gid = codes[: len(codes) - size + 1].copy()
        ok = gid != 0
        for k in range(1, size):
            nxt = codes[k: len(codes) - size + 1 + k]
            gid = gid * _BASE + nxt
            ok &= nxt != 0
        ids.append(gid[ok] + np.uint64(size))  # distinct sizes never share an id
        rows.append(doc_of[: len(codes) - size + 1][ok])
    if not ids:
        return sparse.csr_matrix((n, 0), dtype=np.float32)
    gid = np.concatenate(ids)
    row = np.concatenate(rows)
    # = np.unique(gid, return_inverse=True) (codes of the sorted uniques), by hashing instead of sorting every gram
    col, vocab = pd.factorize(gid, sort=True)
    counts = sparse.csr_matrix((np.ones(len(col), dtype=np.float32), (row, col)), shape=(n, len(vocab)))
    counts.sum_duplicates()
    df = np.bincount(counts.indices, minlength=len(vocab))
    keep = (df >= min_df) & (df <= max(max_df * n, min_df))
    counts = counts[:, np.flatnonzero(keep)]
    df = df[keep]
    if sublinear_tf:
        counts.data = 1.0 + np.log(counts.data)
    idf = (np.log((1.0 + n) / (1.0 + df)) + 1.0).astype(np.float32)
    tfidf = counts @ sparse.diags(idf)
    norms = np.sqrt(np.asarray(tfidf.multiply(tfidf).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sparse.csr_matrix(sparse.diags(1.0 / norms).astype(np.float32) @ tfidf, dtype=np.float32)


def cosine_distances(X: sparse.csr_matrix, block: int = 512) -> np.ndarray:
    """Dense ``1 − clip(X · Xᵀ, 0, 1)`` with a zero diagonal (float32), built a block of rows at a time so that the
    sparse product of all rows with all rows (larger than the dense result) is never held at once."""
    n = X.shape[0]
    out = np.empty((n, n), dtype=np.float32)
    XT = sparse.csr_matrix(X.T)
    for start in range(0, n, block):
        stop = min(start + block, n)
        out[start:stop] = (X[start:stop] @ XT).toarray()
    np.clip(out, 0.0, 1.0, out=out)
    np.subtract(1.0, out, out=out)
    np.fill_diagonal(out, 0.0)
    return out
