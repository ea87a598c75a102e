"""Vectorised string helpers of the generator: character matrices, timestamps as text, Arrow-backed columns."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa


def fmt_ts(ts: np.ndarray) -> np.ndarray:
    """yyyy-MM-dd HH:mm:ss for naive epoch seconds, as an (n, 19) character matrix (no Python loop)."""
    ts = np.asarray(ts, dtype=np.int64)
    day, sec = (ts // 86_400).astype("datetime64[D]"), ts % 86_400
    month = day.astype("datetime64[M]")
    y = month.astype("datetime64[Y]").astype(np.int64) + 1970
    m = month.astype(np.int64) % 12 + 1
    d = (day - month).astype(np.int64) + 1

    def sep(c: str) -> np.ndarray:
        return np.full((len(ts), 1), ord(c), dtype=np.uint8)

    return char_mat([digits(y, 4), sep("-"), digits(m, 2), sep("-"), digits(d, 2), sep(" "), digits(sec // 3600, 2),
                     sep(":"), digits(sec // 60 % 60, 2), sep(":"), digits(sec % 60, 2)])


def as_chars(strs) -> np.ndarray:
    """An (n, width) uint8 matrix of the characters of equally long ASCII strings."""
    u = np.ascontiguousarray(np.asarray(strs, dtype=str))
    return u.view(np.uint32).reshape(len(u), u.dtype.itemsize // 4).astype(np.uint8)


def digits(values: np.ndarray, width: int) -> np.ndarray:
    """Zero-padded decimal digits of integers as an (n, width) uint8 matrix of characters."""
    v = np.array(values, dtype=np.int64)
    out = np.empty((len(v), width), dtype=np.uint8)
    for k in range(width - 1, -1, -1):
        out[:, k] = v % 10 + 48
        v //= 10
    return out


def char_mat(blocks: list[np.ndarray]) -> np.ndarray:
    """Glue character matrices side by side."""
    return np.ascontiguousarray(np.hstack(blocks))


def take_col(values, idx: np.ndarray) -> pd.Series:
    """A pandas string column values[idx], gathered by Arrow rather than through Python objects."""
    return pd.Series(pa.array(list(values), pa.string()).take(pa.array(np.asarray(idx, dtype=np.int64))), dtype="str")


def str_col(m: np.ndarray) -> pd.Series:
    """A pandas string column over a character matrix, built straight from its bytes."""
    n, w = m.shape
    offsets = pa.py_buffer(np.arange(0, (n + 1) * w, w, dtype=np.int32))
    return pd.Series(pa.StringArray.from_buffers(n, offsets, pa.py_buffer(np.ascontiguousarray(m))), dtype="str")


