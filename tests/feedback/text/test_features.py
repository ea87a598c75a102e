"""What the models read of a text: numbers, masked numbers and codes."""

from __future__ import annotations

import pandas as pd

from feedback.text.features import CharNgramHasher, mask_codes, mask_digits, ngram_counts
from feedback.text.pii import TOKENS, mask_text


def test_a_masked_number_reads_as_the_number_it_replaced():
    raw = ["排队两个小时没人管，我电话13812345678，身份证110101199003071234，座机057187654321"]
    masked = mask_text(pd.Series(raw)).tolist()
    assert masked != raw and "[手机号]" in masked[0] and "[身份证号]" in masked[0]
    for preprocess in ("digits", "codes", "codes_nopunct"):
        hasher = CharNgramHasher(1, 2, 2**18, preprocess)
        assert hasher.prepare(masked) == hasher.prepare(raw), preprocess
        assert (hasher.transform(masked) != hasher.transform(raw)).nnz == 0, preprocess


def test_no_character_of_a_mask_token_reaches_the_models():
    text = "联系" + "、".join(TOKENS)
    for fn in (mask_digits, mask_codes):
        read = fn(text)
        assert not any(ch in read for ch in "手机号电话身份证邮箱车牌"), (fn.__name__, read)
    # words that are not a token keep their characters: a citizen writing 手机 or 电话 means them
    assert mask_digits("手机上办不了，电话打不通") == "手机上办不了，电话打不通"


# ---- batch n-gram hashing: exactly sklearn's counts --------------------------------------------------------

MIXED = ["", " ", "好", "排队两个小时没人管！！", "a  b\t\tc", "第3趟，等了2.5小时😡😡", "ＡＢＣ　全角", "app闪退 login失败",
         "态度很好，就是等了两个小时", "[手机号]已隐去", "办是办了，就是有点慢", "一" * 300, "é̀ combining"]


def _sklearn_counts(hasher: CharNgramHasher, docs: list[str]):
    ref = hasher._vectorizer().transform(docs).tocsr()
    ref.sort_indices()
    return ref


def test_batch_ngram_counts_equal_sklearns_hashing_vectorizer():
    # every n-gram range the models use or were measured with, and every preprocessing; twice, so the second call
    # reads the remembered hashes
    for lo, hi, n_features, preprocess in ((1, 2, 2**21, "digits"), (1, 3, 2**20, "codes_nopunct"),
                                           (2, 3, 2**18, "none"), (1, 1, 2**10, "codes")):
        hasher = CharNgramHasher(lo, hi, n_features, preprocess)
        ref = _sklearn_counts(hasher, hasher.prepare(MIXED))
        for got in (ngram_counts(hasher.prepare(MIXED), lo, hi, n_features), hasher.transform(MIXED)):
            assert got.shape == ref.shape and got.dtype == ref.dtype == "float32"
            assert (got != ref).nnz == 0, (lo, hi, preprocess)
            assert (got.indptr == ref.indptr).all() and (got.indices == ref.indices).all()


def test_batch_ngram_counts_hold_for_texts_hashed_one_by_one_and_in_any_batch():
    hasher = CharNgramHasher(1, 2, 2**21, "digits")
    whole = hasher.transform(MIXED)
    for i, text in enumerate(MIXED):  # a text's row does not depend on the batch it came in
        assert (hasher.transform([text]) != whole[i]).nnz == 0, text


def test_whitespace_runs_left_by_a_caller_collapse_as_sklearn_collapses_them():
    docs = ["排队  太久", "a \t b", "无空格"]
    ref = _sklearn_counts(CharNgramHasher(1, 2, 2**16, "none"), docs)
    assert (ngram_counts(docs, 1, 2, 2**16) != ref).nnz == 0


def test_longer_ngrams_and_unencodable_text_go_to_sklearn():
    hasher = CharNgramHasher(1, 4, 2**16, "none")  # four characters do not fit the packed keys
    ref = _sklearn_counts(hasher, hasher.prepare(MIXED))
    assert (hasher.transform(MIXED) != ref).nnz == 0
    lone = CharNgramHasher(1, 2, 2**16, "none")
    try:
        expected = lone._vectorizer().transform(["坏\ud800字"])
    except UnicodeEncodeError as e:  # sklearn refuses a lone surrogate; so does the batch path, with its error
        expected = type(e)
    try:
        got = lone.transform(["坏\ud800字"])
    except UnicodeEncodeError as e:
        got = type(e)
    assert (got is expected) if isinstance(expected, type) else (got != expected).nnz == 0
