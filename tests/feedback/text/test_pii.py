"""PII masking in free text, keyed hashing of identities and the hash key."""

import hashlib
import hmac
import logging
import os
import stat

import pandas as pd
import pyarrow as pa
import pytest

from feedback.text.pii import (
    HashKeyError,
    keyed_hash,
    keyed_hash_arrow,
    load_hash_key,
    mask_scalar,
    mask_text,
)


@pytest.mark.parametrize(("raw", "expected"), [
    ("电话13812345678", "电话[手机号]"),
    ("电话 138 1234 5678 或 139-1234-5678", "电话 [手机号] 或 [手机号]"),
    ("13812345678,13912345678", "[手机号],[手机号]"),
    ("+86 13812345678", "[手机号]"),
    ("座机0731-88888888转人工", "座机[电话]转人工"),
    ("座机(0731)88888888", "座机[电话]"),
    ("身份证430101199001011234", "身份证[身份证号]"),
    ("证件43010119900101123X号", "证件[身份证号]号"),
    ("邮箱 zhang.san@example.com.cn 联系", "邮箱 [邮箱] 联系"),
    ("车牌湘A12345被拖", "车牌[车牌号]被拖"),
    ("新能源粤B·D12345", "新能源[车牌号]"),
    ("粤BD12345和京A1234F", "[车牌号]和[车牌号]"),
])
def test_masks_personal_data(raw, expected):
    assert mask_scalar(raw) == expected


@pytest.mark.parametrize("raw", [
    "办件编号4301002023123456789已办结",
    "2019年2月28日 11:25:05 提交",
    "20190228 金额12345.67元 共5000份",
    "编号 430100202307181 号",
    "A市A3区联丰路米兰春天G2栋320",
    "热线12345 和 0000-00000000",
])
def test_leaves_ordinary_numbers(raw):
    assert mask_scalar(raw) == raw


def test_mask_text_vectorised_keeps_na_and_index():
    s = pd.Series([None, "打13812345678", "没事"], index=[7, 8, 9])
    out = mask_text(s)
    assert pd.isna(out[7]) and out[8] == "打[手机号]" and out[9] == "没事"
    assert mask_scalar(None) is None


def test_keyed_hash_is_hmac_sha256_prefix():
    key = b"0123456789abcdef"
    expected = hmac.new(key, b"430101199001011234", hashlib.sha256).hexdigest()[:32]
    assert keyed_hash("430101199001011234", key) == expected
    s = keyed_hash(pd.Series(["430101199001011234", None, "430101199001011234"]), key)
    assert s[0] == expected == s[2] and pd.isna(s[1])
    assert keyed_hash("x", key) != keyed_hash("x", b"another-key-0123")
    assert keyed_hash(pd.Series([None, None], dtype="str"), key).isna().all()


@pytest.mark.parametrize("key", [b"0123456789abcdef", b"k" * 100])  # a key longer than the block is hashed first
def test_keyed_hash_arrow_matches_hmac(key):
    values = ["430101199001011234", None, "", "é✓𠀀", "430101199001011234"]
    got = keyed_hash_arrow(pa.array(values, pa.large_string()), key).to_pylist()
    assert got == [None if v is None else hmac.new(key, v.encode(), hashlib.sha256).hexdigest()[:32] for v in values]
    assert keyed_hash_arrow(pa.array([], pa.large_string()), key).to_pylist() == []
    with pytest.raises(HashKeyError):
        keyed_hash_arrow(pa.array(["x"]), b"")


def test_hash_key_from_environment(tmp_path):
    assert load_hash_key({"HAOCHA_HASH_KEY": "k" * 32}, tmp_path) == b"k" * 32
    assert load_hash_key({"MY_KEY": "m" * 20}, tmp_path, env_name="MY_KEY") == b"m" * 20
    assert not (tmp_path / "hash.key").exists()


def test_short_key_is_used_with_a_warning(tmp_path, caplog):
    with caplog.at_level(logging.WARNING):
        assert load_hash_key({"HAOCHA_HASH_KEY": "short"}, tmp_path) == b"short"
    assert "only 5 characters" in caplog.text


def test_dev_key_file_created_private_and_reused(tmp_path, caplog):
    inst = tmp_path / "instance"
    with caplog.at_level(logging.WARNING):
        key = load_hash_key({}, inst)
    path = inst / "hash.key"
    assert path.exists() and len(key) == 64
    if os.name == "posix":
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "HAOCHA_HASH_KEY" in caplog.text
    assert load_hash_key({}, inst) == key


def test_no_key_and_no_dev_file_raises(tmp_path):
    with pytest.raises(HashKeyError, match="HAOCHA_HASH_KEY"):
        load_hash_key({}, tmp_path, allow_dev_file=False)
