"""Text normalisation of free-text cells: whitespace runs, full-width letters and digits, invisible characters."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

# Whitespace = ASCII \t\n\v\f\r plus every Unicode separator (category Z: Zs, Zl, Zp), U+3000 included.
_WS_CHARS = r"\t\n\x0b\x0c\r\u0020\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
_WS_RE2 = r"\t\n\x{0b}\x{0c}\r \x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}"
# Dropped outright: C0 controls other than whitespace (PostgreSQL refuses NUL), DEL, zero-width characters, BOM.
_DROP_CHARS = r"\x00-\x08\x0e-\x1f\x7f\u200b-\u200d\u2060\ufeff"
_DROP_RE2 = r"\x{00}-\x{08}\x{0e}-\x{1f}\x{7f}\x{200b}-\x{200d}\x{2060}\x{feff}"
# Full-width digits and Latin letters (U+FF10-FF19, FF21-FF3A, FF41-FF5A) become ASCII; full-width punctuation
# such as ，。！？：；（） is Chinese punctuation and stays as it is.
_FULLWIDTH_RE2 = r"\x{ff10}-\x{ff19}\x{ff21}-\x{ff3a}\x{ff41}-\x{ff5a}"
_FULLWIDTH_TABLE = {c: c - 0xFEE0 for r in ((0xFF10, 0xFF19), (0xFF21, 0xFF3A), (0xFF41, 0xFF5A)) for c in
                    range(r[0], r[1] + 1)}

_NEEDS_WORK_RE2 = f"[{_WS_RE2}{_DROP_RE2}{_FULLWIDTH_RE2}]"
_WS_RUN_RE2 = f"[{_WS_RE2}]+"
_DROP_RUN_RE2 = f"[{_DROP_RE2}]+"
_FULLWIDTH_ANY_RE2 = f"[{_FULLWIDTH_RE2}]"

# OOXML escapes of control characters that some Excel exports leave in cell text (e.g. "_x000D_" for \r).
_OOXML_ESCAPE_RE2 = r"_x00[0-1][0-9A-Fa-f]_"
_OOXML_ESCAPE = re.compile(_OOXML_ESCAPE_RE2)

_WS_RUN = re.compile(f"[{_WS_CHARS}]+")
_DROP_RUN = re.compile(f"[{_DROP_CHARS}]+")

STR_DTYPE = pd.StringDtype("pyarrow", na_value=np.nan)  # pandas' default ``str`` dtype


def to_arrow(series: pd.Series) -> pa.Array:
    """The series as an Arrow ``large_string`` array (zero-copy for pandas' Arrow-backed ``str`` dtype)."""
    if not isinstance(series.dtype, pd.StringDtype):
        series = series.astype(STR_DTYPE)
    arr = pa.array(series)
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if arr.type != pa.large_string():
        arr = arr.cast(pa.large_string())
    return arr


def from_arrow(arr: pa.Array | pa.ChunkedArray, index: pd.Index | None = None) -> pd.Series:
    """An Arrow string array as a pandas ``str`` series (missing = NaN)."""
    return pd.Series(arr, index=index, dtype=STR_DTYPE)


def _clean_all(arr: pa.Array) -> pa.Array:
    arr = pc.replace_substring_regex(arr, _OOXML_ESCAPE_RE2, " ")
    arr = pc.replace_substring_regex(arr, _DROP_RUN_RE2, "")
    arr = pc.replace_substring_regex(arr, _WS_RUN_RE2, " ")
    arr = pc.utf8_trim(arr, " ")
    has_fw = pc.fill_null(pc.match_substring_regex(arr, _FULLWIDTH_ANY_RE2), False)
    if pc.any(has_fw).as_py():
        # Arrow has no translate kernel: only the (rare) cells holding full-width letters or digits go through
        # Python's str.translate.
        idx = np.flatnonzero(has_fw.to_numpy(zero_copy_only=False))
        fixed = pa.array([s.translate(_FULLWIDTH_TABLE) for s in arr.take(idx).to_pylist()], pa.large_string())
        arr = pc.replace_with_mask(arr, has_fw, fixed)
    return pc.if_else(pc.equal(arr, ""), pa.scalar(None, pa.large_string()), arr)


def _clean_many(arr: pa.Array) -> pa.Array:
    """Clean a null-free array; many repeats (a department column) are cleaned once per distinct value."""
    if len(arr) >= 20_000:
        enc = pc.dictionary_encode(arr)
        if len(enc.dictionary) * 2 <= len(arr):
            return pc.take(_clean_all(enc.dictionary), enc.indices)
    return _clean_all(arr)


def _clean_valid(arr: pa.Array) -> pa.Array:
    simple = pc.ascii_is_alnum(arr)  # ids and codes: nothing to do (and "" is not alnum)
    if pc.all(simple).as_py():
        return arr
    rest_mask = pc.invert(simple)
    rest = pc.filter(arr, rest_mask)
    needs = pc.or_(pc.match_substring_regex(rest, _NEEDS_WORK_RE2), pc.equal(rest, ""))
    needs = pc.or_(needs, pc.match_substring(rest, "_x00"))
    if not pc.any(needs).as_py():
        return arr
    rest = pc.replace_with_mask(rest, needs, _clean_many(pc.filter(rest, needs)))
    return pc.replace_with_mask(arr, rest_mask, rest)


def clean_arrow(arr: pa.Array) -> pa.Array:
    """``clean_text`` on an Arrow ``large_string`` array; only the cells that need work are rewritten."""
    nulls = arr.null_count
    if nulls == len(arr):
        return arr
    if nulls:
        valid = arr.is_valid()
        return pc.replace_with_mask(arr, valid, _clean_valid(pc.filter(arr, valid)))
    return _clean_valid(arr)


def clean_text(series: pd.Series) -> pd.Series:
    """Vectorised: collapse whitespace runs (\\n, \\t, \\r, U+3000, spaces, Excel's ``_x000D_`` …) to one space,
    strip, drop control and zero-width characters, turn full-width letters/digits into ASCII, keep Chinese
    punctuation; empty → NA."""
    return from_arrow(clean_arrow(to_arrow(series)), series.index)


def clean_scalar(value: object) -> str | None:
    """``clean_text`` for one value (``None``/NaN/empty → ``None``; non-strings are formatted with ``str``)."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return None
    text = _DROP_RUN.sub("", _OOXML_ESCAPE.sub(" ", str(value)))
    text = _WS_RUN.sub(" ", text).strip(" ").translate(_FULLWIDTH_TABLE)
    return text or None
