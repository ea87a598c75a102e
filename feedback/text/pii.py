"""Personal data protection: masking phones, ID numbers, e-mails and plates in text, and keyed hashing of identities."""

from __future__ import annotations

import hashlib
import logging
import os
import re
import secrets
from collections.abc import Mapping
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from feedback.text.normalise import from_arrow, to_arrow

log = logging.getLogger(__name__)

PHONE_TOKEN = "[手机号]"
LANDLINE_TOKEN = "[电话]"
ID_TOKEN = "[身份证号]"
EMAIL_TOKEN = "[邮箱]"
PLATE_TOKEN = "[车牌号]"
TOKENS = (PHONE_TOKEN, LANDLINE_TOKEN, ID_TOKEN, EMAIL_TOKEN, PLATE_TOKEN)  # what masking writes into a text
_TOKEN = re.compile("|".join(re.escape(t) for t in TOKENS))  # unchanged by NFKC and lower case

# RE2 (Arrow) has no look-around, so a pattern captures the character before and after the match to require a
# boundary, and puts it back. Two matches sharing one boundary character need a second pass (see _mask_arrow).
_D = "[0-9]"
_ND = "(^|[^0-9])"  # boundary before: start or a non-digit
_NDE = "([^0-9]|$)"  # boundary after: a non-digit or end
_ID18 = r"[1-9][0-9]{5}(?:18|19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])[0-9]{3}[0-9Xx]"
_ID15 = r"[1-9][0-9]{7}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])[0-9]{3}"
_MOBILE = r"(?:\+?86[ -]?)?1[3-9][0-9](?:[0-9]{8}|[ -][0-9]{4}[ -][0-9]{4})"
_LANDLINE = r"(?:0[1-9][0-9]{1,2}[ -]|\(0[1-9][0-9]{1,2}\)|（0[1-9][0-9]{1,2}）|0[1-9][0-9]{1,2})[2-9][0-9]{6,7}"
_EMAIL = r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}"
_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
_PLATE = (
    f"[{_PROVINCES}][A-Z][·•・. ]?"
    r"(?:[DF][A-HJ-NP-Z0-9][0-9]{4}|[0-9]{5}[DF]|[A-HJ-NP-Z0-9]{4}[A-HJ-NP-Z0-9挂学警港澳])"
)

# (pattern, replacement) in the order they run: e-mails first (their digits are not phones), then the longest
# number shapes, so an 18-digit ID is never cut into a phone.
_RULES: tuple[tuple[str, str], ...] = (
    (_EMAIL, EMAIL_TOKEN),
    (f"{_ND}(?:{_ID18}){'([^0-9Xx]|$)'}", f"\\1{ID_TOKEN}\\2"),
    (f"{_ND}(?:{_ID15}){_NDE}", f"\\1{ID_TOKEN}\\2"),
    (f"(^|[^0-9+])(?:{_MOBILE}){_NDE}", f"\\1{PHONE_TOKEN}\\2"),
    (f"{_ND}(?:{_LANDLINE}){_NDE}", f"\\1{LANDLINE_TOKEN}\\2"),
    (f"(^|[^A-Za-z0-9])(?:{_PLATE})([^A-Za-z0-9]|$)", f"\\1{PLATE_TOKEN}\\2"),
)
# Cheap pre-filter: only cells that hold something number-, mail- or plate-shaped go through the rules.
_CANDIDATE = f"{_D}[0-9 ()（）+-]{{5,}}{_D}|@|[{_PROVINCES}][A-Z]"


def _mask_valid(arr: pa.Array) -> pa.Array:
    cand = pc.match_substring_regex(arr, _CANDIDATE)
    if not pc.any(cand).as_py():
        return arr
    sub = pc.filter(arr, cand)
    for pattern, repl in _RULES:
        for _ in range(2):  # the second pass catches a match whose leading boundary the first one consumed
            sub = pc.replace_substring_regex(sub, pattern, repl)
    return pc.replace_with_mask(arr, cand, sub)


def _mask_arrow(arr: pa.Array) -> pa.Array:
    nulls = arr.null_count
    if nulls == len(arr):
        return arr
    if nulls:
        valid = arr.is_valid()
        return pc.replace_with_mask(arr, valid, _mask_valid(pc.filter(arr, valid)))
    return _mask_valid(arr)


def drop_masked(text: str, sep: str = "，") -> str:
    """``text`` with every mask token ([手机号] …) replaced by ``sep``: a masked number is never read as words
    (手机号, 身份证号) by a model, a topic, a task's keywords or its place anchors."""
    return _TOKEN.sub(sep, text)


def mask_text(series: pd.Series) -> pd.Series:
    """Vectorised masking of mobile and landline numbers, ID numbers, e-mails and vehicle plates with tokens."""
    return from_arrow(_mask_arrow(to_arrow(series)), series.index)


def mask_scalar(text: str | None) -> str | None:
    """``mask_text`` for one string (same rules, same engine)."""
    if text is None:
        return None
    return _mask_arrow(pa.array([str(text)], pa.large_string()))[0].as_py()


# ---------------------------------------------------------------------------------------------------------------
HASH_HEX_CHARS = 32  # first 128 bits of HMAC-SHA256, as hex
MIN_KEY_CHARS = 16


class HashKeyError(RuntimeError):
    """No usable key for hashing evaluator identities."""


def _hmac_states(key: bytes):
    """HMAC-SHA256's (RFC 2104) inner and outer hash states after the padded key, computed once per key."""
    if len(key) > 64:
        key = hashlib.sha256(key).digest()
    key = key.ljust(64, b"\0")
    return hashlib.sha256(bytes(b ^ 0x36 for b in key)), hashlib.sha256(bytes(b ^ 0x5C for b in key))


def _hmac_factory(key: bytes):
    """A fast HMAC-SHA256 over many short messages: the padded-key states are computed once."""
    inner, outer = _hmac_states(key)

    def digest(message: str) -> str:
        i = inner.copy()
        i.update(message.encode("utf-8"))
        o = outer.copy()
        o.update(i.digest())
        return o.hexdigest()[:HASH_HEX_CHARS]

    return digest


def keyed_hash(values: pd.Series | str, key: bytes) -> pd.Series | str:
    """HMAC-SHA256 of each value (first 32 hex chars); NA stays NA. Distinct values are hashed once."""
    if not key:
        raise HashKeyError("empty hash key")
    digest = _hmac_factory(key)
    if isinstance(values, str):
        return digest(values)
    codes, uniques = pd.factorize(values)
    hashed = pd.array([digest(str(u)) for u in uniques], dtype="str")
    out = pd.Series(hashed.take(codes, allow_fill=True), index=values.index, dtype="str")
    return out


def keyed_hash_arrow(values: pa.Array, key: bytes) -> pa.Array:
    """``keyed_hash`` of every value of an Arrow string array (nulls stay null), with no Python string per value:
    truncated raw digests are joined and hex-encoded in one call. The caller de-duplicates first."""
    if not key:
        raise HashKeyError("empty hash key")
    inner, outer = _hmac_states(key)
    size = HASH_HEX_CHARS // 2
    messages = pc.cast(values, pa.large_binary()).to_pylist()

    def raw(message: bytes | None) -> bytes:
        if message is None:
            return bytes(size)
        i = inner.copy()
        i.update(message)
        o = outer.copy()
        o.update(i.digest())
        return o.digest()[:size]

    hexed = b"".join([raw(m) for m in messages]).hex().encode("ascii")
    fixed = pa.FixedSizeBinaryArray.from_buffers(pa.binary(HASH_HEX_CHARS), len(messages), [None, pa.py_buffer(hexed)])
    out = fixed.cast(pa.binary()).cast(pa.large_string())
    return pc.if_else(pc.is_null(values), pa.scalar(None, pa.large_string()), out)


_WARNED: set[str] = set()


def load_hash_key(
    env: Mapping[str, str], instance_dir: Path, env_name: str = "HAOCHA_HASH_KEY", allow_dev_file: bool = True
) -> bytes:
    """The hashing key from ``env[env_name]``; without it, a random development key kept in
    ``instance_dir/hash.key`` (created with mode 0600) when allowed, else ``HashKeyError``."""
    value = (env.get(env_name) or "").strip()
    if value:
        if len(value) < MIN_KEY_CHARS:
            log.warning("$%s is only %d characters long: use at least %d (e.g. 32 random bytes as hex)",
                        env_name, len(value), MIN_KEY_CHARS)
        return value.encode("utf-8")
    if not allow_dev_file:
        raise HashKeyError(f"${env_name} is not set and development key files are disabled (security.dev_key_file)")
    path = Path(instance_dir) / "hash.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process created it first
        else:
            with os.fdopen(fd, "w", encoding="ascii") as fh:
                fh.write(secrets.token_hex(32) + "\n")
    if str(path) not in _WARNED:  # once per process, not once per file of a multi-file ingest
        _WARNED.add(str(path))
        log.warning(
            "$%s is not set: using the development hash key in %s; set $%s in production "
            "(hashes made with different keys do not match)", env_name, path, env_name,
        )
    value = path.read_text(encoding="ascii").strip()
    if len(value) < MIN_KEY_CHARS:
        raise HashKeyError(f"{path} holds no usable key; delete it to create a new one, or set ${env_name}")
    return value.encode("utf-8")
