"""Hashes made during the transform: record content hashes, record keys, keyed hashes of rater identities."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from feedback.models.records import ID_MASK
from feedback.text.normalise import STR_DTYPE, clean_arrow, from_arrow, to_arrow
from feedback.text.pii import keyed_hash_arrow

# The normalised content a record's hash covers (names of Record columns), in this order. Changing the list
# changes every hash: bump it only together with a data migration.
CONTENT_FIELDS: tuple[str, ...] = (
    "kind", "project_no", "service_code", "dept_code", "region_code", "channel", "level", "assess_number",
    "evaluator_hash", "tags", "title", "text", "reply_text", "rated_at", "replied_at",
)
_SEP = pa.scalar("\x1f", pa.large_string())


def _as_text(series: pd.Series) -> pa.Array:
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        micros = series.to_numpy(dtype="datetime64[us]").view(np.int64)
        return pc.cast(pa.array(micros, pa.int64(), mask=series.isna().to_numpy()), pa.large_string())
    if pd.api.types.is_integer_dtype(series.dtype):
        return pc.cast(pa.array(series, pa.int64()), pa.large_string())
    return to_arrow(series)


def content_hashes(records: pd.DataFrame) -> pd.Series:
    """sha256 hex per row over ``CONTENT_FIELDS`` joined with U+001F (missing = empty)."""
    if not len(records):
        return pd.Series([], index=records.index, dtype=STR_DTYPE)
    parts = [_as_text(records[c]) for c in CONTENT_FIELDS]
    joined = pc.binary_join_element_wise(*parts, _SEP, null_handling="replace", null_replacement="")
    data = pc.cast(joined, pa.large_binary()).to_pylist()
    sha = hashlib.sha256
    # Raw digests joined and hex-encoded in one call: no Python string per row.
    hexed = b"".join([sha(b).digest() for b in data]).hex().encode("ascii")
    fixed = pa.FixedSizeBinaryArray.from_buffers(pa.binary(64), len(data), [None, pa.py_buffer(hexed)])
    return from_arrow(fixed.cast(pa.binary()).cast(pa.large_string()), records.index)


def natural_ids(source_system: pd.Series, record_key: pd.Series) -> pd.Series:
    """``feedback.models.records.natural_id`` per row, vectorised like ``content_hashes``: the first 8 bytes of
    sha256(source_system ␟ record_key), big-endian, as positive int64 (the digests read as one buffer)."""
    if not len(record_key):
        return pd.Series([], index=record_key.index, dtype=np.int64)
    joined = pc.binary_join_element_wise(to_arrow(source_system), to_arrow(record_key), _SEP)
    data = pc.cast(joined, pa.large_binary()).to_pylist()
    sha = hashlib.sha256
    heads = np.frombuffer(b"".join([sha(b).digest()[:8] for b in data]), dtype=">u8")
    return pd.Series((heads & np.uint64(ID_MASK)).astype(np.int64), index=record_key.index)


def join_key(parts: list[pd.Series]) -> pd.Series:
    """Source record key: the id parts joined with ``#`` (a missing part makes the key missing)."""
    if len(parts) == 1:
        return parts[0]
    joined = pc.binary_join_element_wise(*[to_arrow(p) for p in parts], pa.scalar("#", pa.large_string()))
    return from_arrow(joined, parts[0].index)


def long_key_fix(keys: pd.Series, max_len: int) -> pd.Series:
    """Keys longer than the column allows become ``"k:" + sha256(key)`` (rare; computed only for those)."""
    too_long = keys.str.len().fillna(0).to_numpy() > max_len
    if not too_long.any():
        return keys
    keys = keys.copy()
    keys[too_long] = ["k:" + hashlib.sha256(k.encode("utf-8")).hexdigest() for k in keys[too_long]]
    return keys


def _identity(s: pd.Series) -> pd.Series:
    """Same person, same value: cleaned, spaces removed, upper case (ID numbers end in X or x)."""
    arr = pc.utf8_upper(pc.replace_substring(clean_arrow(to_arrow(s)), " ", ""))
    return from_arrow(pc.if_else(pc.equal(arr, ""), pa.scalar(None, pa.large_string()), arr), s.index)


def hash_identities(s: pd.Series, key: bytes) -> pd.Series:
    """Keyed hash of each normalised identity; each distinct raw value is normalised and hashed once (Arrow's
    dictionary encoding; the digests are hex-encoded in one call, no Python string per value)."""
    encoded = pc.dictionary_encode(to_arrow(s))
    identities = to_arrow(_identity(pd.Series(encoded.dictionary, dtype=STR_DTYPE)))
    hashed = keyed_hash_arrow(identities, key)
    return from_arrow(pc.take(hashed, encoded.indices), s.index)
